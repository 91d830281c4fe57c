"""Report tables for the planning bureau: an Excel workbook (targets, per-class coverage, facility list, gaps,
parameters) and one GeoPackage with every map layer of a result (Qt-free).

The first sheet is the bureau's task table: every target of the profile in every unit, exactly the rows of
``targets.csv`` (:meth:`spatial.analysis.AnalysisResult.targets_frame`), county rows first, with the run
notes (:func:`projects.outputs.run_notes`) under it. The per-class sheets show the numbers of
``coverage.csv`` (:meth:`~spatial.analysis.AnalysisResult.coverage_frame`), 合计 row included: a
township's beds there are a balance view, never judged against a county-level target. People are whole
persons: the townships are rounded so that they add up to the rounded county figure, and the 合计 is their
sum (:func:`spatial.analysis.whole_people`; stated under each sheet). The sheet 服务缺口 lists, per class, the
named communities and villages left outside the class's circle (``gaps.csv``,
:func:`projects.outputs.named_gaps_table`), most elderly first, with the nearest facility and the walk to it. Given a scenario
comparison (:class:`projects.compare.Comparison`), a sheet 方案对比 shows its Chinese table (``comparison.csv``),
rows whose covered share changed in bold and tinted. Class and status names
come from the facility class registry (:mod:`layers.classes`). Both files are written atomically: a
temporary file beside the target, then a rename, so an interrupted write leaves the previous file as it was.

Chinese labels: ``projects`` may not import ``gui`` (import-linter contract in ``pyproject.toml``), so the
few column/layer labels needed here are kept in :data:`ZH`; ``tests/test_report_tables.py`` checks that
they match ``gui.i18n.CATALOGUE``.
"""
from __future__ import annotations

import datetime as _dt
import math
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from layers.classes import ClassRegistry
from layers.crs import WGS84
from projects.compare import ZH_COLUMNS as COMPARE_ZH, Comparison, comparison_frame_zh
from projects.outputs import KIND_LABELS, NO_FACILITY, UNREACHABLE, atomic_write, named_gaps_table, run_notes
from spatial.analysis import TOTAL_ROW, AnalysisResult
from spatial.targets import BASIS_LABELS, LEVEL_LABELS, StandardProfile, Target, TargetRow, target_label

#: Chinese labels, keyed like ``gui.i18n.CATALOGUE`` (zh text only; kept equal to it by a test)
ZH: dict[str, str] = {
    "col.township": "乡镇/街道",
    "col.type": "设施类型",
    "col.elderly": "老年人口",
    "col.elderly_covered": "覆盖老人",
    "col.covered_share": "覆盖率",
    "col.facilities": "设施数",
    "col.beds": "床位数",
    "col.nursing_beds": "护理型床位",
    "col.beds_per_1000": "每千老人床位",
    "col.nursing_share": "护理型占比",
    "col.flags": "未达标项",
    "layer.roads": "步行道路网络",
    "layer.townships": "乡镇/街道边界",
    "layer.population": "老年人口",
    "layer.communities": "社区/村",
    "layer.facilities": "养老设施",
    "kind.urban": KIND_LABELS["urban"],
    "kind.village": KIND_LABELS["village"],
    "sample.note": "示例数据：县界、乡镇名称和2020年普查老年人口总数为真实数据；乡镇划分、道路、村社区和设施为生成数据。",
}

# -- the targets sheet (task table) --------------------------------------------------------------

COL_TARGET, COL_LEVEL, COL_UNIT, COL_INDICATOR = "目标", "层级", "单位", "指标"
COL_FIGURE, COL_ACTUAL, COL_MET, COL_GAP, COL_SOURCE = "目标值", "实际值", "是否达标", "差距", "依据"
TARGET_SHEET_COLUMNS = [COL_TARGET, COL_LEVEL, COL_UNIT, COL_INDICATOR, COL_FIGURE, COL_ACTUAL, COL_MET, COL_GAP,
                        COL_SOURCE]
MET, NOT_MET = "达标", "未达标"
#: indicators whose figures are shares (shown as percentages, except on a county summary row, which counts units)
SHARE_INDICATORS = frozenset({"nursing_share", "share_of_units_with", "covered_share"})
_NUMBER_FORMATS = {"beds_per_1000": "0.0", "present_in_every": "0", "count_per_unit": "0",
                   "reachable_from_every": "0"}

SHEET_SUMMARY = "指标汇总"
SHEET_FACILITIES = "设施清单"
SHEET_GAPS = "服务缺口"
SHEET_PARAMS = "参数说明"
SHEET_COMPARE = "方案对比"


def report_classes(result: AnalysisResult, facilities: gpd.GeoDataFrame | None = None) -> tuple[str, ...]:
    """The classes the report shows, in registry order: those with any facility (in ``facilities``, of any
    status, or counted by the run) and those a target of the profile names."""
    reg = result.params.classes
    present = {c for t in result.params.profile.targets for c in t.classes}
    present |= {f.type for f in result.figures if f.facilities > 0}
    if facilities is not None and "type" in facilities.columns:
        present |= {str(t) for t in facilities["type"].dropna()}
    return tuple(c for c in reg.ids if c in present)


def sheet_names(result: AnalysisResult, facilities: gpd.GeoDataFrame | None = None, *,
                comparison: Comparison | None = None) -> list[str]:
    """The workbook's sheets, in order (方案对比 after the per-class sheets when a comparison is given)."""
    reg = result.params.classes
    return [SHEET_SUMMARY, *(reg.label(c) for c in report_classes(result, facilities)),
            *([SHEET_COMPARE] if comparison is not None else []), SHEET_FACILITIES, SHEET_GAPS, SHEET_PARAMS]


def level_label(row: TargetRow) -> str:
    """The level of a target row in Chinese: the county's own name (全市/全县) for county rows."""
    return row.unit if row.level == "county" else LEVEL_LABELS.get(row.level, row.level)


def indicator_label(t: Target, row: TargetRow, *, classes: ClassRegistry, minutes: float) -> str:
    """What the row's numbers measure, in Chinese (a county summary row counts the units that meet it)."""
    lvl = LEVEL_LABELS.get(t.level, t.level)
    cls = "或".join(classes.label(c) for c in t.classes)
    if row.summary:
        return f"达标{lvl}数"
    ind = row.indicator
    if ind == "beds_per_1000":
        return f"每千名老人{'机构' if t.beds == 'institutional' else '养老'}床位数"
    if ind == "nursing_share":
        return f"护理型床位占{'养老机构床位' if t.beds == 'institutional' else '养老床位'}比例"
    if ind in ("present_in_every", "count_per_unit"):
        return f"{cls}数量"
    if ind == "reachable_from_every":
        return f"{minutes:g}分钟内可达{cls}（1=是）"
    if ind == "share_of_units_with":
        return f"设有{cls}的{lvl}占比"
    if ind == "covered_share":
        return f"{cls}{minutes:g}分钟覆盖老人比例"
    return ind


def number_format(row: TargetRow) -> str:
    """The cell format of a target row's target/actual/gap."""
    if row.summary:
        return "0"
    if row.indicator in SHARE_INDICATORS:
        return "0.0%"
    return _NUMBER_FORMATS.get(row.indicator, "0.00")


def target_rows(result: AnalysisResult) -> pd.DataFrame:
    """The targets sheet as a table: the rows of ``result.targets_frame()`` in their order (county rows first),
    columns :data:`TARGET_SHEET_COLUMNS`. Numbers are those of ``targets.csv`` (shares as fractions);
    ``差距`` is the shortfall (0 when met, empty when the actual figure is unknown)."""
    frame = result.targets_frame()
    profile, classes = result.params.profile, result.params.classes
    rows = []
    for r, rec in zip(result.targets, frame.to_dict("records")):
        t = profile.target(r.target_id)
        minutes = profile.minutes_of(t)
        rows.append({
            COL_TARGET: target_label(t, class_label=classes.label, minutes=minutes),
            COL_LEVEL: level_label(r),
            COL_UNIT: str(rec["unit"]),
            COL_INDICATOR: indicator_label(t, r, classes=classes, minutes=minutes),
            COL_FIGURE: rec["target"],
            COL_ACTUAL: rec["actual"],
            COL_MET: MET if rec["met"] else NOT_MET,
            COL_GAP: rec["gap"],
            COL_SOURCE: str(rec["source"]),
        })
    return pd.DataFrame(rows, columns=TARGET_SHEET_COLUMNS)


def flag_labels(profile: StandardProfile, classes: ClassRegistry) -> dict[str, str]:
    """Target id -> the target's Chinese label (what ``coverage.csv``'s ``flags`` column names)."""
    return {t.id: target_label(t, class_label=classes.label, minutes=profile.minutes_of(t)) for t in profile.targets}


def flags_label(flags: object, labels: Mapping[str, str]) -> str:
    """``coverage.csv``'s ``a;b`` target ids as Chinese labels joined by ``；``."""
    names = [n for n in str(flags or "").split(";") if n]
    return "；".join(labels.get(n, n) for n in names)


# -- the workbook --------------------------------------------------------------------------------

#: coverage.csv columns shown on every per-class sheet, with their number formats
_CLASS_SHEET_COLUMNS: list[tuple[str, str | None]] = [
    ("township", None), ("elderly", "#,##0"), ("elderly_covered", "#,##0"), ("covered_share", "0.0%"),
    ("facilities", "0"),
]
#: the bed columns, only on the sheets of classes whose beds count
_BED_COLUMNS: list[tuple[str, str | None]] = [
    ("beds", "0"), ("nursing_beds", "0"), ("beds_per_1000", "0.0"), ("nursing_share", "0.0%"),
]
FACILITY_COLUMNS = ["编号", "名称", "类型", "状态", "床位数", "护理型床位数", "经度", "纬度"]
#: the 服务缺口 sheet: the named gaps (``gaps.csv`` columns type_label, name, kind, township, elderly,
#: nearest_facility, walk_m)
GAP_COLUMNS = ["设施类型", "名称", "类别", "乡镇/街道", "老年人口", "最近设施", "步行距离(米)"]
_GAP_FIELDS = ["type_label", "name", "kind", "township", "elderly", "nearest_facility", "walk_m"]
#: the rounding rule of people, printed under the per-class sheets
PEOPLE_NOTE = ("人数为整数：各乡镇（街道）的老年人口和覆盖老人按最大余数法取整，使其之和等于全县（市）数四舍五入后的值；"
               "合计为各乡镇（街道）之和。覆盖率和每千老人床位按未取整的数计算。")
_RED = "FFC00000"
_SOURCE_LABELS = {"roads": "layer.roads", "townships": "layer.townships", "population": "layer.population",
                  "communities": "layer.communities", "facilities": "layer.facilities"}


def class_sheet_columns(class_id: str, classes: ClassRegistry) -> list[tuple[str, str | None]]:
    """The ``coverage.csv`` columns (and formats) of one class's sheet: bed columns only where beds count."""
    beds = class_id in classes and classes[class_id].has_beds
    return [*_CLASS_SHEET_COLUMNS, *(_BED_COLUMNS if beds else []), ("flags", None)]


def write_xlsx(
    path: str | Path,
    *,
    result: AnalysisResult,
    facilities: gpd.GeoDataFrame,
    title: str,
    sources: Mapping[str, str] | None = None,
    scenario: str | None = None,
    generated: _dt.date | None = None,
    comparison: Comparison | None = None,
) -> Path:
    """The report workbook (sheets :func:`sheet_names`), written atomically; returns ``path``.

    ``facilities`` is the plan's facility frame (``fid, name, type, beds, nursing_beds, status``, points in
    any CRS); ``generated`` the date printed on the report (default: today); ``comparison`` (a
    :class:`projects.compare.Comparison`) adds the sheet 方案对比: its Chinese table, rows whose covered share
    changed in bold and tinted (green a gain, red a loss)."""
    from openpyxl import Workbook

    path = Path(path)
    day = (generated or _dt.date.today()).isoformat()
    classes = result.params.classes
    labels = flag_labels(result.params.profile, classes)
    wb = Workbook()
    _summary_sheet(wb.active, result, title=title, scenario=scenario, day=day)
    cov = result.coverage_frame()
    for c in report_classes(result, facilities):
        _class_sheet(wb.create_sheet(classes.label(c)), cov[cov["type"] == c], class_sheet_columns(c, classes), labels)
    shown = report_classes(result, facilities)
    if comparison is not None:
        _compare_sheet(wb.create_sheet(SHEET_COMPARE), comparison)
    _facility_sheet(wb.create_sheet(SHEET_FACILITIES), facilities, classes)
    _gap_sheet(wb.create_sheet(SHEET_GAPS), result, shown)
    _params_sheet(wb.create_sheet(SHEET_PARAMS), result, title=title, sources=sources, scenario=scenario, day=day)
    atomic_write(path, wb.save)
    return path


def _summary_sheet(ws, result: AnalysisResult, *, title: str, scenario: str | None, day: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.title = SHEET_SUMMARY
    table = target_rows(result)
    n_cols = len(TARGET_SHEET_COLUMNS)
    head = f"{title}　养老服务设施规划目标汇总" + (f"　方案：{scenario}" if scenario else "") + f"　生成日期：{day}"
    ws.cell(row=1, column=1, value=head).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n_cols)
    ws.cell(row=1, column=1).alignment = Alignment(vertical="center")
    _header(ws, TARGET_SHEET_COLUMNS, row=2)
    numbers = {TARGET_SHEET_COLUMNS.index(c) + 1 for c in (COL_FIGURE, COL_ACTUAL, COL_GAP)}
    for r, (row, values) in enumerate(zip(result.targets, table.itertuples(index=False)), start=3):
        fmt = number_format(row)
        missed = values[TARGET_SHEET_COLUMNS.index(COL_MET)] == NOT_MET
        font = Font(bold=row.level == "county", color=_RED if missed else None)
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=_cell(v))
            if c in numbers:
                cell.number_format = fmt
            cell.font = font
    last = len(table) + 2
    note_row = last + 2
    ws.cell(row=note_row, column=1, value="注：").font = Font(bold=True)
    for i, line in enumerate(run_notes(result).splitlines(), start=note_row + 1):
        ws.cell(row=i, column=1, value=line)
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(n_cols)}{max(last, 2)}"
    _fit_widths(ws, first_row=2, last_row=last)


def _class_sheet(ws, cov: pd.DataFrame, columns: list[tuple[str, str | None]], labels: Mapping[str, str]) -> None:
    from openpyxl.styles import Font

    _header(ws, [ZH[f"col.{c}"] for c, _ in columns])
    bold = Font(bold=True)
    for r, rec in enumerate(cov.to_dict("records"), start=2):
        total = rec["township"] == TOTAL_ROW
        for c, (name, fmt) in enumerate(columns, start=1):
            v = flags_label(rec[name], labels) if name == "flags" else rec[name]
            cell = ws.cell(row=r, column=c, value=_cell(v))
            if fmt:
                cell.number_format = fmt
            if total:
                cell.font = bold
    n_towns = int((cov["township"] != TOTAL_ROW).sum())
    _finish_table(ws, n_towns, len(columns))  # the filter leaves the 合计 row below it
    _fit_widths(ws, first_row=1, last_row=len(cov) + 1)
    note = len(cov) + 3
    ws.cell(row=note, column=1, value="注：").font = bold
    ws.cell(row=note + 1, column=1, value=PEOPLE_NOTE)


#: number formats of the 方案对比 columns
_COMPARE_FORMATS = {"base_share": "0.0%", "other_share": "0.0%", "delta_pp": '+0.0" 百分点";-0.0" 百分点";"0.0 百分点"',
                    "base_covered": "#,##0", "other_covered": "#,##0", "delta_covered": "+#,##0;-#,##0;0"}
_GAIN_FILL, _LOSS_FILL = "FFE2EFDA", "FFFCE4D6"


def _compare_sheet(ws, comparison: Comparison) -> None:
    from openpyxl.styles import Font, PatternFill

    table = comparison.table
    columns = list(COMPARE_ZH)
    _header(ws, list(comparison_frame_zh(table).columns))
    fills = {1: PatternFill("solid", fgColor=_GAIN_FILL), -1: PatternFill("solid", fgColor=_LOSS_FILL)}
    # numbers stay numbers (the change in 百分点 with its sign by the cell format), people whole persons
    frame = table[columns]
    for r, (rec, values) in enumerate(zip(table.to_dict("records"), frame.itertuples(index=False)), start=2):
        changed = bool(rec["changed"])
        total = rec["township"] == TOTAL_ROW
        font = Font(bold=changed or total)
        fill = fills[1 if rec["delta_share"] > 0 else -1] if changed else None
        for c, (name, v) in enumerate(zip(columns, values), start=1):
            cell = ws.cell(row=r, column=c, value=_cell(v))
            if name in _COMPARE_FORMATS:
                cell.number_format = _COMPARE_FORMATS[name]
            cell.font = font
            if fill is not None:
                cell.fill = fill
    n_towns = int((table["township"] != TOTAL_ROW).sum())
    _finish_table(ws, n_towns, len(columns))  # the filter leaves the 合计 rows below it
    note = len(table) + 3
    ws.cell(row=note, column=1, value="注：").font = Font(bold=True)
    minutes = comparison.params.analysis.profile.coverage_minutes
    lines = [f"对比：{comparison.base}（现状列）→ {comparison.other}（方案列）；覆盖按步行 {minutes:g} 分钟计",
             "覆盖率有变化的行加粗并着色（绿色为提高，红色为降低）；覆盖率变化以百分点计（带正负号）",
             PEOPLE_NOTE]
    for i, line in enumerate(lines, start=note + 1):
        ws.cell(row=i, column=1, value=line)
    _fit_widths(ws, first_row=1, last_row=len(table) + 1)


def _facility_sheet(ws, facilities: gpd.GeoDataFrame, classes: ClassRegistry) -> None:
    _header(ws, FACILITY_COLUMNS)
    if len(facilities):
        pts = facilities.geometry.to_crs(WGS84) if facilities.crs is not None else facilities.geometry
        lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    else:
        lon = lat = []
    for r, (rec, x, y) in enumerate(zip(facilities.to_dict("records"), lon, lat), start=2):
        t = str(rec["type"])
        beds = t in classes and classes[t].has_beds  # no bed cells for classes whose beds do not count
        values = [str(rec["fid"]), str(rec["name"]), classes.label(t), classes.status_label(str(rec["status"])),
                  int(rec["beds"]) if beds else None, int(rec["nursing_beds"]) if beds else None,
                  round(float(x), 6), round(float(y), 6)]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if c >= 7:
                cell.number_format = "0.000000"
    _finish_table(ws, len(facilities), len(FACILITY_COLUMNS))


def _gap_sheet(ws, result: AnalysisResult, types: tuple[str, ...]) -> None:
    """The named gaps of the report's classes: per class, most elderly first (``gaps.csv``'s rows)."""
    from openpyxl.styles import Font

    table = named_gaps_table(result, types=types)
    _header(ws, GAP_COLUMNS)
    for r, rec in enumerate(table[_GAP_FIELDS].to_dict("records"), start=2):
        for c, name in enumerate(_GAP_FIELDS, start=1):
            v = rec[name]
            cell = ws.cell(row=r, column=c, value=None if v is pd.NA else _cell(v))
            if name in ("elderly", "walk_m"):
                cell.number_format = "#,##0"
    _finish_table(ws, len(table), len(GAP_COLUMNS))
    p = result.params
    minutes = p.profile.coverage_minutes
    note = len(table) + 3
    ws.cell(row=note, column=1, value="注：").font = Font(bold=True)
    model = result.model
    lines = [f"列出各类设施步行 {minutes:g} 分钟服务圈（步速 {p.speed_kmh:g} km/h）以外的社区和村，按老年人口从多到少排列；"
             "老年人口为空表示社区/村图层未提供该数，不作 0 计。",
             f"最近设施：步行可达的最近一处计入的该类设施，步行距离沿道路计（含社区/村到道路的距离），取整到米；"
             f"“{UNREACHABLE}”表示路网上无法到达任何该类设施，“{NO_FACILITY}”表示本次分析未计入该类设施。",
             "缺口范围（未覆盖地块）见 GeoPackage 的 gaps 图层。"]
    if model is not None and not len(model.unit_names):
        lines.insert(0, "未加载社区/村图层，无法列出未覆盖的社区和村。")
    for i, line in enumerate(lines, start=note + 1):
        ws.cell(row=i, column=1, value=line)


def figure_text(t: Target, profile: StandardProfile) -> str:
    """A target's figure as the plan states it, e.g. ``28.5 张``, ``25%``, ``每个镇（街道）至少 1 个``."""
    lvl = LEVEL_LABELS.get(t.level, t.level)
    if t.indicator == "beds_per_1000":
        return f"{t.figure:g} 张"
    if t.indicator in SHARE_INDICATORS:
        return f"{t.figure * 100:g}%"
    if t.indicator == "present_in_every":
        return f"每个{lvl}至少 {max(t.figure, 1.0):g} 个"
    if t.indicator == "count_per_unit":
        upper = f"–{t.maximum:g}" if t.maximum is not None else " 个以上"
        return f"每个{lvl} {t.figure:g}{upper}" + (" 个" if t.maximum is not None else "")
    if t.indicator == "reachable_from_every":
        return f"每个{lvl}步行 {profile.minutes_of(t):g} 分钟内可达"
    return f"{t.figure:g}"


def _params_sheet(ws, result: AnalysisResult, *, title: str, sources: Mapping[str, str] | None, scenario: str | None,
                  day: str) -> None:
    p = result.params
    prof = p.profile
    classes = p.classes
    doc = f"{prof.issuer}《{prof.document}》" if prof.document else prof.issuer
    rows: list[tuple[str, object]] = [
        ("项目名称", title),
        ("方案", scenario or "—"),
        ("规划标准", prof.name),
        ("标准名称", prof.title or "—"),
        ("标准来源", (f"{doc}（{prof.year}）" if prof.year else doc) or "—"),
        ("计入设施状态", "、".join(classes.status_label(s) for s in p.statuses)),
        ("老年人口口径", BASIS_LABELS.get(p.elderly_basis, p.elderly_basis)),
        ("覆盖判定时间 (分钟)", f"{prof.coverage_minutes:g}"),
    ]
    for t in prof.targets:
        label = target_label(t, class_label=classes.label, minutes=prof.minutes_of(t))
        rows.append((f"目标：{label}", f"{figure_text(t, prof)}（{t.source or '—'}）"))
    rows += [
        ("步行速度", f"{p.speed_kmh:g} km/h（{p.speed_kmh / 3.6:.2f} m/s）"),
        ("时间圈 (分钟)", "、".join(f"{m:g}" for m in p.minutes)),
        ("沿街服务范围 (米)", f"{p.buffer_m:g}"),
    ]
    for key, value in (sources or {}).items():
        label = ZH.get(_SOURCE_LABELS.get(key, ""), key)
        rows.append((f"数据来源：{label}", str(value)))
    rows.append(("生成日期", day))
    if "示例" in title:
        rows.append(("说明", ZH["sample.note"]))
    _header(ws, ["设置项", "内容"])
    for r, (k, v) in enumerate(rows, start=2):
        ws.cell(row=r, column=1, value=k)
        ws.cell(row=r, column=2, value=v)
    ws.freeze_panes = "A2"
    _fit_widths(ws, first_row=1, last_row=len(rows) + 1)


def _header(ws, names: Iterable[str], *, row: int = 1) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FFD9E1F2")
    line = Border(bottom=Side(style="thin"))
    for c, name in enumerate(names, start=1):
        cell = ws.cell(row=row, column=c, value=name)
        cell.font, cell.fill, cell.border = bold, fill, line
        cell.alignment = Alignment(horizontal="center", vertical="center")


def _finish_table(ws, n_rows: int, n_cols: int) -> None:
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(n_cols)}{n_rows + 1}"
    _fit_widths(ws, first_row=1, last_row=n_rows + 1)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: East Asian wide/full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _fit_widths(ws, *, first_row: int, last_row: int, limit: int = 80) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=first_row, max_row=last_row):
        for cell in row:
            if cell.value is None:
                continue
            widths[cell.column] = max(widths.get(cell.column, 0), display_width(_shown(cell.value, cell.number_format)))
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(w + 2, limit) + 1


def _shown(value: object, fmt: str) -> str:
    """Roughly how a number looks with the formats used here (for column widths)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if fmt.endswith("%"):
            return f"{value:.1%}"
        if fmt == "#,##0":
            return f"{value:,.0f}"
        if fmt.startswith("#,##0."):
            return f"{value:,.1f}"
        if fmt.startswith("0."):
            return f"{value:.{len(fmt) - 2}f}"
        if fmt == "0":
            return f"{value:.0f}"
    return str(value)


# -- the GeoPackage ------------------------------------------------------------------------------


def report_layers(*, result: AnalysisResult, facilities: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The layers of :func:`write_report_gpkg`, all in EPSG:4326: ``circles_<class>`` (merged circles per
    minutes band) for the classes of :func:`report_classes`, ``facility_circles``, ``gaps`` (with a Chinese
    ``type_label``), ``named_gaps`` (the communities and villages outside each class's circle, points with the
    columns of ``gaps.csv``) and ``facilities`` (``fid`` renamed ``facility_id`` as GeoPackage reserves ``fid``;
    Chinese ``type_label`` and ``status_label`` from the class registry)."""
    classes = result.params.classes
    layers: dict[str, gpd.GeoDataFrame] = {}
    iso = result.isochrones.to_crs(WGS84)
    for c in report_classes(result, facilities):
        frame = iso[iso["type"] == c].reset_index(drop=True)
        layers[f"circles_{c}"] = gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
    if result.facility_circles is not None:
        layers["facility_circles"] = result.facility_circles.to_crs(WGS84).reset_index(drop=True)
    gaps = result.gaps.to_crs(WGS84).reset_index(drop=True)
    gaps.insert(1, "type_label", [classes.label(str(t)) for t in gaps["type"]])
    layers["gaps"] = gaps
    named = named_gaps_table(result)
    layers["named_gaps"] = gpd.GeoDataFrame(named, geometry=gpd.points_from_xy(named["lon"], named["lat"]), crs=WGS84)
    fac = facilities.to_crs(WGS84).reset_index(drop=True).rename(columns={"fid": "facility_id"})
    fac.insert(fac.columns.get_loc("type") + 1, "type_label", [classes.label(str(t)) for t in fac["type"]])
    fac.insert(fac.columns.get_loc("status") + 1, "status_label", [classes.status_label(str(s)) for s in fac["status"]])
    layers["facilities"] = fac
    return layers


def write_report_gpkg(path: str | Path, *, result: AnalysisResult, facilities: gpd.GeoDataFrame) -> Path:
    """One GeoPackage (EPSG:4326) with the layers of :func:`report_layers` and two attribute tables,
    ``targets`` (the rows of ``targets.csv``) and ``notes`` (what the run counted), written atomically.

    Area layers are written as MultiPolygon (like :func:`projects.outputs.write_gpkg_layers`); the facility
    layer stays Point so that its x/y read back as longitude/latitude."""
    path = Path(path)
    layers = report_layers(result=result, facilities=facilities)

    targets = result.targets_frame()
    notes = pd.DataFrame({"line": run_notes(result).splitlines()})

    def write(tmp: Path) -> None:
        for name, frame in layers.items():
            points = name in ("facilities", "named_gaps")
            pyogrio.write_dataframe(
                frame, tmp, layer=name, driver="GPKG", promote_to_multi=not points,
                geometry_type=("Point" if points else "MultiPolygon") if frame.empty else None,
            )
        # attribute tables: the plan's targets (targets.csv) and what the run counted
        pyogrio.write_dataframe(targets.astype({"met": "int64"}), tmp, layer="targets", driver="GPKG")
        pyogrio.write_dataframe(notes, tmp, layer="notes", driver="GPKG")

    atomic_write(path, write)
    return path


# -- helpers -------------------------------------------------------------------------------------


def _cell(v: object) -> object:
    """A value openpyxl can store: NaN becomes an empty cell, numpy scalars plain Python numbers."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
