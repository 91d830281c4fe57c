"""The 提示与警告 dock: the current result's warning lines and, below, the facility-by-facility table behind
them (``AnalysisResult.warning_details``); double-clicking a facility row asks the window to zoom to it.

The panel keeps no data of its own beyond what it shows: ``refresh()`` reads the result through the getter
the window gives (the document's current result as the window shows it) and is called when that changes.

The data layers write their notes and warnings in English; :func:`warning_text`, :func:`crs_text` give the
Chinese text of the lines they know (any other line is shown as written).
"""
from __future__ import annotations

import math
import re
from typing import Callable

import pandas as pd
from PySide6 import QtCore, QtWidgets

from spatial.analysis import WARNING_COLUMNS

from .i18n import language, tr
from .tables import NOT_APPLICABLE, has_beds

#: the columns shown, in order (spatial.analysis.WARNING_COLUMNS)
COLUMNS = tuple(WARNING_COLUMNS)

# -- the data layers' English lines in Chinese ------------------------------------------------------

_NUM = r"[\d,]+"
_GK_ZONE = re.compile(r"(?P<datum>[\w ]+?) / (?P<deg>[36])-degree GK zone (?P<zone>\d+)")
_GK_CM = re.compile(r"(?P<datum>[\w ]+?) / (?P<deg>[36])-degree GK CM (?P<cm>[\d.]+)°E")
_UTM = re.compile(r"(?P<datum>[\w ]+?) / UTM zone (?P<zone>\d+)N")


def crs_text(label: str | None) -> str:
    """A coordinate-system label of :func:`layers.crs.describe_crs` in the UI language
    (``CGCS2000 / 3-degree GK zone 40 (EPSG:4528)`` → ``CGCS2000 3度带高斯投影 第40带 (EPSG:4528)``)."""
    if not label:
        return ""
    if language() == "en":
        return label
    if label == "no coordinate system":
        return tr("crs.none")
    out = _GK_ZONE.sub(lambda m: tr("crs.gk_zone", datum=m["datum"], deg=m["deg"], zone=m["zone"]), label)
    out = _GK_CM.sub(lambda m: tr("crs.gk_cm", datum=m["datum"], deg=m["deg"], cm=m["cm"]), out)
    out = _UTM.sub(lambda m: tr("crs.utm", datum=m["datum"], zone=m["zone"]), out)
    return out.replace("Web Mercator", tr("crs.web_mercator"))


def _status_names(text: str) -> str:
    return "、".join(tr(f"status.{s.strip()}") for s in text.split(",") if s.strip())


def _left_out(detail: str) -> str:
    parts = []
    for item in detail.split(","):
        n, _, status = item.strip().partition(" ")
        parts.append(f"{tr(f'status.{status}')} {n} 个" if status else item)
    return "，".join(parts)


def _noding(m: re.Match) -> str:
    merged = m["merged"].split(" ")[0]
    closed = m["closed"].split(" ")[0]
    isl = m["islands"]
    islands = tr("warn.noding_no_islands") if isl.startswith("no island") else tr("warn.noding_islands", n=isl.split(" ")[0])
    return tr("warn.noding", snap=m["snap"], merged=merged, closed=closed, islands=islands)


#: (pattern of an English line, its Chinese text)
_LINES: tuple[tuple[re.Pattern, Callable[[re.Match], str]], ...] = (
    (re.compile(rf"the road network has (?P<n>{_NUM}) islands \(fragments not joined to the main network, (?P<nodes>{_NUM}) nodes\)"),
     lambda m: tr("warn.islands", n=m["n"], nodes=m["nodes"])),
    (re.compile(r"road noding joined (?P<merged>[\d,]+ \w+) within (?P<snap>[\d.]+) m \((?P<closed>[\d,]+ \w+) closed\); "
                r"(?P<islands>.+) from near-misses"), _noding),
    (re.compile(rf"(?P<n>{_NUM}) population points with (?P<elderly>{_NUM}) elderly lie outside every township"),
     lambda m: tr("warn.outside_points", n=m["n"], elderly=m["elderly"])),
    (re.compile(rf"township (?P<name>.+) has (?P<n>{_NUM}) elderly but no walkable roads inside; none of them can be covered"),
     lambda m: tr("warn.unplaced", name=m["name"], n=m["n"])),
    (re.compile(rf"(?P<file>.+?): (?P<n>{_NUM}) facilities are listed twice \(same class(?:, status)? and name within (?P<m>[\d.]+) m\) and "
                rf"counted once \((?P<beds>{_NUM}) beds not doubled\): (?P<list>.+)"),
     lambda m: tr("warn.duplicates", file=m["file"], n=m["n"], m=m["m"], beds=m["beds"], list=m["list"])),
    (re.compile(rf"(?P<file>.+?): no beds column \(床位数\): its (?P<n>{_NUM}) facilities of classes with beds \((?P<k>{_NUM}) of them"),
     lambda m: tr("warn.no_beds_column", file=m["file"], n=m["n"], k=m["k"])),
    (re.compile(rf"(?P<file>.+?): (?P<n>{_NUM}) facilities with community beds have an empty beds cell \(rows (?P<rows>[^)]+)\)"),
     lambda m: tr("warn.empty_beds", file=m["file"], n=m["n"], rows=m["rows"])),
    (re.compile(rf"(?P<file>.+?): (?P<n>{_NUM}) townships are not in the elderly table \((?P<names>.+)\); they keep the count of "
                rf"the township layer \((?P<e>{_NUM}) elderly\)"),
     lambda m: tr("warn.kept_counts", file=m["file"], n=m["n"], names=m["names"], elderly=m["e"])),
    (re.compile(r"the townships lie outside China \(around (?P<at>[^)]+)\)"), lambda m: tr("warn.outside_china", at=m["at"])),
    (re.compile(rf"the facilities sit (?P<d>{_NUM}) m \(median\) from the nearest road as read \((?P<now>.+?)\); read as "
                rf"(?P<best>.+?) they sit (?P<d2>{_NUM}) m away: .* use --crs facilities=(?P<flag>\S+)"),
     lambda m: tr("warn.datum_shift", d=m["d"], now=m["now"], best=m["best"], d2=m["d2"], flag=m["flag"])),
    (re.compile(rf"(?P<n>{_NUM}) facilities: the layer of each facility's own circle is left out above (?P<limit>{_NUM}) facilities"),
     lambda m: tr("warn.circles_left_out", n=m["n"], limit=m["limit"])),
    (re.compile(r"(?P<file>.+?): (?P<n>\d+) row\(s\) not read as data: (?P<list>.+)"),
     lambda m: tr("warn.rows_skipped", file=m["file"], n=m["n"], list=_skipped_rows(m["list"]))),
    (re.compile(rf"(?P<file>.+?): no nursing beds column \(护理型床位数\): its (?P<n>{_NUM}) facilities"),
     lambda m: tr("warn.no_nursing_column", file=m["file"], n=m["n"])),
    (re.compile(rf"(?P<file>.+?): (?P<n>{_NUM}) pairs of facilities have the same class, status and name within (?P<m>[\d.]+) m "
                rf"but their own ids and different beds, and both are kept; check that each pair is two facilities and "
                rf"not one listed twice: (?P<list>.+)"),
     lambda m: tr("warn.pairs", file=m["file"], n=m["n"], m=m["m"], list=m["list"].replace("; and ", "；另 ").replace(" more", " 对"))),
    (re.compile(r"(?P<file>.+?): the format stores text as UTF-8; the chosen encoding (?P<enc>.+) was not used"),
     lambda m: tr("warn.utf8_format", file=m["file"], encoding=m["enc"])),
    (re.compile(r"(?P<file>.+?): no coordinate system in the file; read as (?P<crs>.+) from its coordinates"),
     lambda m: tr("warn.no_crs_inferred", file=m["file"], crs=crs_text(m["crs"]))),
    (re.compile(r"scenario (?P<name>.+?): (?P<n>\d+) changes? to facilities no longer in the list \(same id, class and name\) "
                r"(?:were|was) dropped"),
     lambda m: tr("warn.scenario_dropped", name=m["name"], n=m["n"])),
    (re.compile(r"scenario (?P<name>.+?): (?P<n>\d+) planned changes? kept over the new list's values"),
     lambda m: tr("warn.scenario_kept_over", name=m["name"], n=m["n"])),
    (re.compile(r"(?P<n>\d+) planned facilit(?:ies|y) of the old list (?:are|is) not in the new one; the plan scenarios keep "
                r"(?:them|it) \((?P<list>.+)\)"),
     lambda m: tr("warn.planned_kept", n=m["n"], list=m["list"].replace(", ", "、"))),
    (re.compile(r"planned facility (?P<name>.+) now has id (?P<new>\S+): the new list uses (?P<old>\S+) for (?P<other>.+)"),
     lambda m: tr("warn.planned_renamed", name=m["name"], new=m["new"], old=m["old"], other=m["other"])),
    (re.compile(rf"facility (?P<name>.+) \((?P<fid>[^()]+)\) lies on an island of (?P<value>{_NUM}) nodes"),
     lambda m: tr("warn.msg.island", name=m["name"], fid=m["fid"], value=float(m["value"].replace(",", "")))),
    (re.compile(rf"facility (?P<name>.+) \((?P<fid>[^()]+)\) is (?P<value>{_NUM}) m from the nearest walkable road"),
     lambda m: tr("warn.msg.far_from_road", name=m["name"], fid=m["fid"], value=float(m["value"].replace(",", "")))),
    (re.compile(rf"facility (?P<name>.+) \((?P<fid>[^()]+)\) lies outside every township; its (?P<beds>{_NUM}) beds"),
     lambda m: tr("warn.msg.outside_townships", name=m["name"], fid=m["fid"], beds=int(m["beds"].replace(",", "")))),
    (re.compile(rf"(?P<n>{_NUM}) facilities lie on road islands"), lambda m: tr("warn.many.island", n=int(m["n"].replace(",", "")))),
    (re.compile(rf"(?P<n>{_NUM}) facilities are more than (?P<m>{_NUM}) m from a walkable road"),
     lambda m: tr("warn.many.far_from_road", n=int(m["n"].replace(",", "")), m=m["m"])),
    (re.compile(rf"(?P<n>{_NUM}) facilities lie outside every township; their (?P<beds>{_NUM}) beds"),
     lambda m: tr("warn.many.outside_townships", n=int(m["n"].replace(",", "")), beds=m["beds"])),
    (re.compile(rf"counted statuses: (?P<st>[\w, ]+); left out (?P<n>{_NUM}) facilities \((?P<detail>.+), (?P<beds>{_NUM}) beds\)"),
     lambda m: tr("warn.statuses", statuses=_status_names(m["st"]), n=m["n"], detail=_left_out(m["detail"]), beds=m["beds"])),
    (re.compile(r"the profile has community/village targets but no community layer is loaded"), lambda m: tr("warn.no_communities")),
    (re.compile(r"target (?P<t>\S+) counts urban units only; taken as the streets \(街道\) by name or code: (?P<s>.*)"),
     lambda m: tr("warn.urban", target=_target_name(m["t"]), streets=tr("warn.none") if m["s"] == "none" else m["s"])),
    (re.compile(r"target (?P<t>\S+) counts per (?P<b>\w+) elderly, the data hold (?P<d>\w+) elderly"),
     lambda m: tr("warn.basis", target=_target_name(m["t"]), basis=tr(f"warn.basis.{m['b']}"), data=tr(f"warn.basis.{m['d']}"))),
    (re.compile(r"(?P<file>.+?): no \.cpg; attribute text read as (?P<enc>.+)"), lambda m: tr("warn.no_cpg", file=m["file"], encoding=m["enc"])),
    (re.compile(r"(?P<file>.+?): no \.prj; read as (?P<crs>.+) from its coordinates"),
     lambda m: tr("warn.no_prj", file=m["file"], crs=crs_text(m["crs"]))),
    (re.compile(r"(?P<file>.+?): attribute text read as (?P<enc>.+), as chosen"),
     lambda m: tr("warn.encoding_chosen", file=m["file"], encoding=m["enc"])),
    (re.compile(r"(?P<file>.+?): (?P<crs>.+) coordinates converted to WGS 84 \(EPSG:4326\)"),
     lambda m: tr("warn.converted", file=m["file"], crs=crs_text(m["crs"]))),
    (re.compile(r"(?P<file>.+?): the file states no coordinate system; read as (?P<crs>.+), as given"),
     lambda m: tr("warn.crs_given", file=m["file"], crs=crs_text(m["crs"]))),
    (re.compile(r"(?P<file>.+?): the file says (?P<own>.+); read as (?P<crs>.+), as given"),
     lambda m: tr("warn.crs_overridden", file=m["file"], own=crs_text(m["own"]), crs=crs_text(m["crs"]))),
)


#: the names of the targets of the profile on screen (target id → its name), for lines that name a target
_TARGET_NAMES: dict[str, str] = {}


def _target_name(target_id: str) -> str:
    name = _TARGET_NAMES.get(target_id)
    return f"“{name}”" if name else target_id


def _skipped_rows(listed: str) -> str:
    """``row 3 (unit row); row 4 (note 单位：人)`` → ``第 3 行（单位行）；第 4 行（说明：单位：人）``."""
    reasons = {"unit row": "单位行", "column-number row": "列序号行"}

    def one(m: re.Match) -> str:
        reason = m["reason"]
        if reason in reasons:
            reason = reasons[reason]
        elif reason.startswith("totals row "):
            reason = f"合计行 {reason[len('totals row '):]}"
        elif reason.startswith("note "):
            reason = f"说明：{reason[len('note '):]}"
        return f"第 {m['row']} 行（{reason}）"

    return re.sub(r"row (?P<row>\d+) \((?P<reason>[^()]*(?:\([^()]*\)[^()]*)*)\)", one, listed).replace("; ", "；")


def warning_text(line: str, *, target_names: dict[str, str] | None = None) -> str:
    """A warning or reading note in the UI language (lines it does not know are shown as written);
    ``target_names`` names the profile's targets (id → name) for lines about a target."""
    if language() == "en":
        return line
    if target_names is not None:
        _TARGET_NAMES.clear()
        _TARGET_NAMES.update(target_names)
    for pattern, text in _LINES:
        m = pattern.match(line)
        if m:
            return text(m)
    return line


# -- error dialogs: a Chinese line, the English original behind "show details" ----------------------------

_WHERE = re.compile(r"^(?P<file>[^,:;]+?\.[A-Za-z0-9]{1,8})(?:, row (?P<row>\d+))?(?:, column (?P<col>[^:]+?))?: (?P<msg>.+)$")
_WHAT_ZH = {"longitude": "经度", "latitude": "纬度", "beds": "床位数", "nursing beds": "护理型床位数", "elderly": "老年人口数",
            "x": "X 坐标", "y": "Y 坐标"}
_LAYER_ZH = {"roads": "layer.roads", "townships": "layer.townships", "facilities": "layer.facilities",
             "population": "layer.population", "communities": "layer.communities", "road": "layer.roads",
             "township": "layer.townships", "facility": "layer.facilities", "community": "layer.communities"}


def _what(text: str) -> str:
    """``longitude (经度)`` → 经度; an English field name by its Chinese name where known."""
    zh = re.search(r"\(([^()]*[\u4e00-\u9fff][^()]*)\)", text)
    if zh:
        return zh.group(1)
    words = text.strip().lower()
    for prefix in ("the ", "a "):
        words = words.removeprefix(prefix)
    if words in _WHAT_ZH:
        return _WHAT_ZH[words]
    if words in _LAYER_ZH:
        return tr(_LAYER_ZH[words])
    return text


def _names(listed: str) -> str:
    return "、".join(tr(_LAYER_ZH[w.strip()]) if w.strip() in _LAYER_ZH else w.strip() for w in listed.split(","))


def _classes() -> str:
    from layers.classes import registry

    return "、".join(c.name for c in registry().classes)


def _statuses() -> str:
    from layers.classes import registry

    return "、".join(s.name for s in registry().statuses)


#: (pattern of an English error message, its Chinese text)
_ERRORS: tuple[tuple[re.Pattern, Callable[[re.Match], str]], ...] = (
    (re.compile(r"(?P<what>.+?) must be a number of degrees, got '(?P<value>.*)'$"),
     lambda m: tr("error.msg.not_degrees", what=_what(m["what"]), value=m["value"])),
    (re.compile(r"(?P<what>.+?) must be a (?:finite |whole )?number, got (?:'(?P<q>[^']*)'|(?P<value>\S+)).*$"),
     lambda m: tr("error.msg.not_number", what=_what(m["what"]), value=m["q"] if m["q"] is not None else m["value"])),
    (re.compile(r"(?:.*\b)?(?:file )?not found(?::.*)?$"), lambda m: tr("error.msg.not_found")),
    (re.compile(r"no column '(?P<want>[^']+)'; the columns are: (?P<cols>.+)$"),
     lambda m: tr("error.msg.no_column", want=_what(m["want"]), columns=m["cols"].replace(", ", "、"))),
    (re.compile(r"the facilities layer lacks the columns? (?P<cols>.+)$"),
     lambda m: tr("error.msg.lacks_columns", columns=", ".join(_what(c) for c in m["cols"].split(", ")).replace(", ", "、"))),
    (re.compile(r"unknown facility class '?(?P<text>.+?)'?; (?:accepted|use one of): .*$"),
     lambda m: tr("error.msg.unknown_class", text=m["text"], accepted=_classes())),
    (re.compile(r"unknown status '?(?P<text>.+?)'?; (?:accepted|use one of):? .*$"),
     lambda m: tr("error.msg.unknown_status", text=m["text"], accepted=_statuses())),
    (re.compile(r"no walkable road lies inside any township"), lambda m: tr("error.msg.no_overlap")),
    (re.compile(r"the (?P<name>\w+)(?: \((?P<file>[^)]+)\))? lie around (?P<at>.+?), the townships around (?P<t_at>.+?) "
                r"\((?P<km>[\d,]+) km apart\)"),
     lambda m: tr("error.msg.apart", layer=_what(m["name"]), file=f"（{m['file']}）" if m["file"] else "", at=m["at"],
                  t_at=m["t_at"], km=m["km"])),
    (re.compile(r"(?:no coordinate system given|the .+ has no coordinate reference system).*"), lambda m: tr("error.msg.no_crs")),
    (re.compile(r"unknown coordinate system '(?P<crs>[^']+)'.*"), lambda m: tr("error.msg.unknown_crs", crs=m["crs"])),
    (re.compile(r"the (?P<what>.+) layer has no features$"), lambda m: tr("error.msg.no_features")),
    (re.compile(r"the (?P<what>.+) is empty$"), lambda m: tr("error.msg.empty", what=_what(m["what"]))),
    (re.compile(r"(?:this is a folder, )?not a CareCircle project.*"), lambda m: tr("error.msg.not_project")),
    (re.compile(r"this project was saved by a newer CareCircle.*"), lambda m: tr("error.msg.newer_project")),
    (re.compile(r"a scenario called (?P<name>.+) already exists$"), lambda m: tr("error.msg.scenario_exists", name=m["name"])),
    (re.compile(r"a scenario needs a name$"), lambda m: tr("error.msg.scenario_name")),
    (re.compile(r"(?P<name>.+): nursing beds \((?P<n>\d+)\) exceed beds \((?P<b>\d+)\)$"),
     lambda m: tr("error.msg.nursing_beds", name=m["name"], nursing=m["n"], beds=m["b"])),
    (re.compile(r"beds cannot be negative$"), lambda m: tr("error.msg.negative_beds")),
    (re.compile(r".*name is empty$"), lambda m: tr("error.msg.name_empty")),
    (re.compile(r"the (?:attribute text|file) is (?:UTF-8|UTF-16).*choose (?P<enc>\S+)$"),
     lambda m: tr("error.msg.encoding", encoding=m["enc"])),
    (re.compile(r"this is not a text CSV file.*"), lambda m: tr("error.msg.not_csv")),
    (re.compile(r"old Excel \.xls files are not supported.*"), lambda m: tr("error.msg.xls")),
    (re.compile(r".*(?:outside China and beyond|are not degrees).*"), lambda m: tr("error.msg.outside_china")),
    (re.compile(r"the road snapping distance must be 0–(?P<max>[\d.]+) m.*"), lambda m: tr("error.msg.snap", max=m["max"])),
    (re.compile(r"load (?P<layers>.+) first$"), lambda m: tr("error.msg.load_first", layers=_names(m["layers"]))),
    (re.compile(r"choose the (?P<layers>.+) file$"), lambda m: tr("import.need_files", layers=_names(m["layers"]))),
)


def error_text(message: str) -> tuple[str, str]:
    """An error message of the engine (``InputError``: ``facilities.csv, row 2, column 经度: longitude (经度) must be
    a number of degrees, got 'abc'``) as the dialog shows it: ``(line, detail)``, the line in the UI language
    naming the file, row and column (``facilities.csv，第 2 行，“经度”列：“经度”须为以度为单位的数字，现为“abc”``),
    the detail the English original when the line could not say it all (else empty)."""
    message = " ".join(str(message).split())
    if language() == "en" or not message:
        return message, ""
    m = re.match(r"^(?P<exc>[A-Z]\w*(?:Error|Exception|Warning)): (?P<msg>.*)$", message)
    if m:  # an unexpected error (a bug): say so, the original for the report
        return tr("error.internal"), message
    place, body = "", message
    w = _WHERE.match(message)
    if w:
        parts = [w["file"]]
        if w["row"]:
            parts.append(tr("error.row", row=w["row"]))
        if w["col"]:
            parts.append(tr("error.column", column=w["col"]))
        place, body = "，".join(parts), w["msg"]
    if _has_chinese_only(body):
        text, detail = body, ""
    else:
        text, detail = tr("error.bad_data"), message
        for pattern, make in _ERRORS:
            hit = pattern.match(body)
            if hit:
                text, detail = make(hit), ""
                break
    return (tr("error.where", place=place, text=text) if place else text), detail


def _has_chinese_only(text: str) -> bool:
    """True for a message already in Chinese: it starts in Chinese and, file names and paths aside, has no English
    word of three letters or more (``扩建后的敬老院: nursing beds … exceed …`` is English)."""
    bare = re.sub(r"\S*[/\\]\S*|\S*\.[A-Za-z0-9]{1,8}\b|CareCircle|GeoPackage|GeoTIFF|EPSG|Excel|CSV|UTF", " ", text)
    first = re.search(r"[A-Za-z\u4e00-\u9fff]", text)
    return first is not None and not first.group().isascii() and re.search(r"[A-Za-z]{3,}", bare) is None


def os_error_message(exc: OSError, *, path: object = None) -> str:
    """An operating-system error (saving, writing an export) as one line in the UI language."""
    import errno

    reasons = {errno.EACCES: "error.os.permission", errno.EPERM: "error.os.permission", errno.ENOENT: "error.os.not_found",
               errno.ENOSPC: "error.os.no_space", errno.EEXIST: "error.os.exists", errno.EISDIR: "error.os.is_dir",
               errno.EROFS: "error.os.read_only"}
    where = path if path is not None else (exc.filename or "")
    code = exc.errno
    if code is None:  # an OSError made from a message alone: read the reason from it
        said = str(exc).lower()
        code = next((c for c, words in ((errno.ENOSPC, "no space"), (errno.EACCES, "permission denied"),
                                         (errno.ENOENT, "no such file"), (errno.EROFS, "read-only"),
                                         (errno.EISDIR, "is a directory"), (errno.EEXIST, "exists")) if words in said), None)
    if language() == "en":
        return f"Cannot read or write {where}: {exc.strerror or exc}" if where else str(exc)
    return tr("error.os", path=f" {where}" if where else "", reason=tr(reasons.get(code, "error.os.other")))


def show_error_box(parent: QtWidgets.QWidget | None, title: str, message: str) -> QtWidgets.QMessageBox:
    """A window-modal warning dialog: the message in the UI language (:func:`error_text`), the English original
    (if any) behind the dialog's "show details" button; opened, not exec'd. Returns the box."""
    text, detail = error_text(message)
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, title, text, QtWidgets.QMessageBox.StandardButton.Ok, parent)
    if detail:
        box.setDetailedText(tr("error.detail", detail=detail))
    box.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
    box.open()
    return box


def _detail_message(row: pd.Series) -> str:
    """The 说明 of one facility row (the analysis' own English line in English)."""
    kind = str(row.get("kind", ""))
    if language() == "en" or kind not in ("island", "far_from_road", "outside_townships"):
        return str(row.get("message", ""))
    value = row.get("value")
    return tr(f"warn.msg.{kind}", name=row.get("name", ""), fid=row.get("facility_id", ""),
              value=float(value) if value is not None and not pd.isna(value) else math.nan, beds=int(row.get("beds", 0) or 0))


class WarningsPanel(QtWidgets.QWidget):
    """Warning lines above, the facility table below. ``result_of()`` gives the result to show (or None)."""

    #: a facility row was double-clicked: facility id, longitude, latitude (WGS 84)
    facilityActivated = QtCore.Signal(str, float, float)
    #: the number of warning lines shown changed
    countChanged = QtCore.Signal(int)

    def __init__(self, result_of: Callable[[], object], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._result_of = result_of
        self._shown: tuple[tuple[str, ...], pd.DataFrame | None] | None = None  # identity of what is on screen
        self.empty = QtWidgets.QLabel()
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #666;")
        self.lines = QtWidgets.QListWidget()
        self.lines.setWordWrap(True)
        self.lines.setAlternatingRowColors(True)
        self.lines.setTextElideMode(QtCore.Qt.TextElideMode.ElideNone)
        self.details_label = QtWidgets.QLabel()
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(self._activated)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        self.split = split
        split.addWidget(self.lines)
        lower = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(lower)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.details_label)
        lay.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        self.retranslate()

    def resizeEvent(self, event) -> None:  # noqa: N802 - a wide, low dock shows the lines beside the table
        wide = event.size().width() > 2.2 * event.size().height()
        orientation = QtCore.Qt.Orientation.Horizontal if wide else QtCore.Qt.Orientation.Vertical
        if orientation != self.split.orientation():
            self.split.setOrientation(orientation)
            extent = event.size().width() if wide else event.size().height()
            self.split.setSizes([int(extent * 0.4), int(extent * 0.6)])  # the table gets the larger part
        super().resizeEvent(event)

    # -- reading ------------------------------------------------------------------------------------
    def count(self) -> int:
        """Warning lines shown."""
        return self.lines.count()

    def line_texts(self) -> list[str]:
        return [self.lines.item(i).text() for i in range(self.lines.count())]

    def detail_count(self) -> int:
        return self.table.rowCount()

    def detail_record(self, row: int) -> dict[str, str]:
        """The texts of one row of the facility table, by column name (as shown, after sorting)."""
        return {c: (self.table.item(row, i).text() if self.table.item(row, i) else "") for i, c in enumerate(COLUMNS)}

    # -- updating -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the current result's warnings (nothing to do when they are the ones on screen)."""
        result = self._result_of()
        warnings = tuple(getattr(result, "warnings", None) or ()) if result is not None else ()
        details = getattr(result, "warning_details", None) if result is not None else None
        if self._shown is not None and self._shown[0] == warnings and _same(self._shown[1], details):
            return
        self._shown = (warnings, details)
        self._fill(result is not None, warnings, details)

    def _fill(self, has_result: bool, warnings: tuple[str, ...], details: pd.DataFrame | None) -> None:
        self.lines.clear()
        names = _profile_target_names(self._result_of())
        for line in warnings:
            item = QtWidgets.QListWidgetItem(warning_text(line, target_names=names))
            item.setToolTip(line)
            self.lines.addItem(item)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        if details is not None and len(details):
            self.table.setRowCount(len(details))
            for r, (_, row) in enumerate(details.iterrows()):
                for c, col in enumerate(COLUMNS):
                    self.table.setItem(r, c, self._cell(col, row))
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not has_result)
        self.details_label.setVisible(self.table.rowCount() > 0)
        self.table.setVisible(self.table.rowCount() > 0)
        self.countChanged.emit(self.count())

    def _cell(self, col: str, row: pd.Series) -> QtWidgets.QTableWidgetItem:
        value = row.get(col)
        item = QtWidgets.QTableWidgetItem()
        if col == "kind":
            item.setText(tr(f"warn.kind.{value}"))
            item.setData(QtCore.Qt.ItemDataRole.UserRole, str(row.get("facility_id", "")))
        elif col == "type":
            item.setText(tr(f"type.{value}"))
        elif col == "message":
            item.setText(_detail_message(row))
            item.setToolTip(item.text())
        elif col == "beds" and not has_beds(row.get("type")):  # 助餐点 … count no beds: no figure, not 0
            item = _NumberItem(math.nan, NOT_APPLICABLE)
            item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        elif col in ("beds", "value", "lon", "lat"):
            number = float(value) if value is not None and not pd.isna(value) else math.nan
            item = _NumberItem(number, "" if math.isnan(number) else
                               (f"{number:.6f}" if col in ("lon", "lat") else f"{number:,.0f}"))
            item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        else:
            item.setText("" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value))
        return item

    def retranslate(self) -> None:
        self.empty.setText(tr("warnings.empty"))
        self.details_label.setText(tr("warnings.details"))
        self.table.setHorizontalHeaderLabels([tr(f"warn.col.{c}") for c in COLUMNS])
        if self._shown is not None:  # the lines and cells in the new language
            result = self._result_of()
            self._fill(result is not None, *self._shown)
        else:
            self.refresh()

    def _activated(self, row: int, _column: int) -> None:
        rec = self.detail_record(row)
        fid = self.table.item(row, COLUMNS.index("kind")).data(QtCore.Qt.ItemDataRole.UserRole) if self.table.item(row, 0) else ""
        try:
            lon, lat = float(rec["lon"]), float(rec["lat"])
        except ValueError:
            lon = lat = math.nan
        self.facilityActivated.emit(str(fid or rec.get("facility_id", "")), lon, lat)


class _NumberItem(QtWidgets.QTableWidgetItem):
    """A number shown as formatted text that sorts as a number (empty cells last)."""

    def __init__(self, number: float, text: str) -> None:
        super().__init__(text)
        self.number = number

    def __lt__(self, other: QtWidgets.QTableWidgetItem) -> bool:
        theirs = getattr(other, "number", math.nan)
        if math.isnan(self.number) or math.isnan(theirs):
            return not math.isnan(self.number) and math.isnan(theirs)
        return self.number < theirs


def _profile_target_names(result: object) -> dict[str, str]:
    """Target id → its name in the UI language, for the profile of ``result`` (empty without one)."""
    profile = getattr(getattr(result, "params", None), "profile", None)
    if profile is None:
        return {}
    from layers.classes import registry
    from spatial.targets import target_label

    return {t.id: target_label(t, class_label=registry().label, lang=language(), minutes=profile.minutes_of(t))
            for t in profile.targets}


def _same(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    if a is None or b is None:
        return a is b
    return a is b or (a.shape == b.shape and a.equals(b))


__all__ = ["COLUMNS", "WarningsPanel", "crs_text", "error_text", "os_error_message", "show_error_box", "warning_text"]
