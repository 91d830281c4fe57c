"""Report tables for the planning bureau: an Excel workbook (task table, per-type coverage, facility list,
gaps, parameters) and one GeoPackage with every map layer of a result (Qt-free).

The numbers come from :func:`spatial.analysis.coverage_frame`, so the workbook shows exactly what
``coverage.csv`` holds. Both files are written atomically: a temporary file beside the target, then a
rename, so an interrupted write leaves the previous file as it was.

Chinese labels: ``projects`` may not import ``gui`` (import-linter contract in ``pyproject.toml``), so the
few labels needed here are kept in :data:`ZH`; ``tests/test_report_tables.py`` checks that they match
``gui.i18n.CATALOGUE``.
"""
from __future__ import annotations

import datetime as _dt
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from layers.crs import WGS84
from spatial.analysis import AnalysisResult, coverage_frame
from projects.outputs import atomic_write
from spatial.indicators import (
    BEDS_PER_1000_LOW,
    DAY_CARE_COVERAGE_LOW,
    FACILITY_TYPES,
    MEAL_POINT_GAP,
    NO_DAY_CARE,
    NURSING_SHARE_LOW,
    StandardProfile,
    TownshipTypeFigures,
    flags_for,
)

#: Chinese labels, keyed like ``gui.i18n.CATALOGUE`` (zh text only; kept equal to it by a test)
ZH: dict[str, str] = {
    "type.day_care": "日间照料中心",
    "type.nursing_home": "养老机构",
    "type.meal_point": "助餐点",
    "status.existing": "现状",
    "status.planned": "规划",
    "status.to_close": "拟关闭",
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
    "flag.no_day_care": "无日间照料中心",
    "flag.day_care_coverage_low": "日照覆盖率不足",
    "flag.beds_per_1000_low": "千人床位不足",
    "flag.nursing_share_low": "护理型床位占比不足",
    "flag.meal_point_gap": "社区助餐缺口",
    "layer.roads": "步行道路网络",
    "layer.townships": "乡镇/街道边界",
    "layer.population": "老年人口",
    "layer.communities": "社区/村",
    "layer.facilities": "养老设施",
    "sample.note": "示例数据：县界、乡镇名称和2020年普查老年人口总数为真实数据；乡镇划分、道路、村社区和设施为生成数据。",
}

# -- the task table ------------------------------------------------------------------------------

IND_DAY_CARE_SHARE = "日间照料中心覆盖率"
IND_DAY_CARE_COUNT = "日间照料中心数量"
IND_BEDS_PER_1000 = "每千名老人床位数"
IND_NURSING_SHARE = "护理型床位占比"
IND_MEAL_UNREACHED = "助餐点未覆盖城市社区数"
IND_NURSING_HOME_SHARE = "养老机构覆盖率"
IND_MEAL_SHARE = "助餐点覆盖率"

#: indicators shown for information only (no flag in coverage.csv; the target is the coverage target)
INFO_INDICATORS: tuple[str, ...] = (IND_NURSING_HOME_SHARE, IND_MEAL_SHARE)
#: how the sheet formats each indicator's target/actual/gap
SHARE_INDICATORS = frozenset({IND_DAY_CARE_SHARE, IND_NURSING_SHARE, IND_NURSING_HOME_SHARE, IND_MEAL_SHARE})
COUNT_INDICATORS = frozenset({IND_DAY_CARE_COUNT, IND_MEAL_UNREACHED})

COL_TOWNSHIP, COL_INDICATOR, COL_TARGET, COL_ACTUAL, COL_GAP, COL_MET = "乡镇/街道", "指标", "目标", "实际", "差距", "是否达标"
INDICATOR_COLUMNS = [COL_TOWNSHIP, COL_INDICATOR, COL_TARGET, COL_ACTUAL, COL_GAP, COL_MET]
MET, NOT_MET, NOT_APPLICABLE = "达标", "未达标", "—"

SHEET_SUMMARY = "指标汇总"
SHEET_FACILITIES = "设施清单"
SHEET_GAPS = "服务缺口"
SHEET_PARAMS = "参数说明"


def sheet_names() -> list[str]:
    """The workbook's sheets, in order."""
    return [SHEET_SUMMARY, *(ZH[f"type.{t}"] for t in FACILITY_TYPES), SHEET_FACILITIES, SHEET_GAPS, SHEET_PARAMS]


def indicator_rows(figures: Sequence[TownshipTypeFigures], profile: StandardProfile) -> pd.DataFrame:
    """The bureau's task table (任务表): one row per township x indicator.

    Columns :data:`INDICATOR_COLUMNS` (乡镇/街道, 指标, 目标, 实际, 差距, 是否达标). Shares are fractions;
    ``实际`` carries the rounding of ``coverage.csv``. ``差距`` is the shortfall (0 when the target is met,
    empty when the indicator does not apply, e.g. a nursing-bed share without beds). ``是否达标`` follows the
    flags :func:`spatial.indicators.flags_for` raises under ``profile`` (达标/未达标, ``—`` when not
    applicable); the information rows (:data:`INFO_INDICATORS`) compare the share with the coverage target.
    """
    cov = coverage_frame(figures).set_index(["township", "type"])
    by_key = {(f.township, f.type): f for f in figures}
    townships = list(dict.fromkeys(f.township for f in figures))
    rows: list[dict[str, object]] = []

    def add(town: str, indicator: str, target: float, actual: float, *, missed: bool, nd: int, at_most: bool = False) -> None:
        if _isnan(actual):
            gap, met = math.nan, NOT_APPLICABLE
        else:
            short = (actual - target) if at_most else (target - actual)
            gap = round(max(short, 0.0), nd) if missed else 0.0
            met = NOT_MET if missed else MET
        rows.append({COL_TOWNSHIP: town, COL_INDICATOR: indicator, COL_TARGET: float(target), COL_ACTUAL: actual,
                     COL_GAP: gap, COL_MET: met})

    share_target = profile.covered_share_target
    for town in townships:
        dc, nh, mp = (by_key.get((town, t)) for t in FACILITY_TYPES)
        if dc is not None:
            flags = {fl.name for fl in flags_for(dc, profile)}
            add(town, IND_DAY_CARE_SHARE, share_target, _num(cov.at[(town, "day_care"), "covered_share"]),
                missed=DAY_CARE_COVERAGE_LOW in flags, nd=4)
            if profile.day_care_every_township:
                add(town, IND_DAY_CARE_COUNT, 1.0, float(dc.facilities), missed=NO_DAY_CARE in flags, nd=0)
        if nh is not None:
            flags = {fl.name for fl in flags_for(nh, profile)}
            if profile.beds_per_1000_min is not None:
                add(town, IND_BEDS_PER_1000, profile.beds_per_1000_min, _num(cov.at[(town, "nursing_home"), "beds_per_1000"]),
                    missed=BEDS_PER_1000_LOW in flags, nd=2)
            if profile.nursing_share_min is not None:
                add(town, IND_NURSING_SHARE, profile.nursing_share_min, _num(cov.at[(town, "nursing_home"), "nursing_share"]),
                    missed=NURSING_SHARE_LOW in flags, nd=4)
        if mp is not None and profile.meal_point_every_urban_community:
            flags = {fl.name for fl in flags_for(mp, profile)}
            add(town, IND_MEAL_UNREACHED, 0.0, float(mp.urban_communities_unreached), missed=MEAL_POINT_GAP in flags,
                nd=0, at_most=True)
        for fig, indicator in ((nh, IND_NURSING_HOME_SHARE), (mp, IND_MEAL_SHARE)):
            if fig is not None:
                add(town, indicator, share_target, _num(cov.at[(town, fig.type), "covered_share"]),
                    missed=fig.elderly > 0 and fig.covered_share < share_target, nd=4)
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


# -- the workbook --------------------------------------------------------------------------------

#: coverage.csv columns shown on the per-type sheets, with their number formats
_TYPE_SHEET_COLUMNS: list[tuple[str, str | None]] = [
    ("township", None), ("elderly", "#,##0"), ("elderly_covered", "#,##0"), ("covered_share", "0.0%"),
    ("facilities", "0"), ("beds", "0"), ("nursing_beds", "0"), ("beds_per_1000", "0.0"), ("nursing_share", "0.0%"),
    ("flags", None),
]
FACILITY_COLUMNS = ["编号", "名称", "类型", "状态", "床位数", "护理型床位数", "经度", "纬度"]
GAP_COLUMNS = ["设施类型", "乡镇/街道", "老年人口", "面积(公顷)"]
_RED = "FFC00000"
_SOURCE_LABELS = {"roads": "layer.roads", "townships": "layer.townships", "population": "layer.population",
                  "communities": "layer.communities", "facilities": "layer.facilities"}


def type_label(type_: str) -> str:
    return ZH.get(f"type.{type_}", type_)


def status_label(status: str) -> str:
    return ZH.get(f"status.{status}", status)


def flags_label(flags: str) -> str:
    """``coverage.csv``'s ``a;b`` flag names as Chinese labels joined by ``；``."""
    names = [n for n in str(flags or "").split(";") if n]
    return "；".join(ZH.get(f"flag.{n}", n) for n in names)


def write_xlsx(
    path: str | Path,
    *,
    result: AnalysisResult,
    facilities: gpd.GeoDataFrame,
    title: str,
    sources: Mapping[str, str] | None = None,
    scenario: str | None = None,
    generated: _dt.date | None = None,
) -> Path:
    """The report workbook (sheets :func:`sheet_names`), written atomically; returns ``path``.

    ``facilities`` is the plan's facility frame (``fid, name, type, beds, nursing_beds, status``, points in
    any CRS); ``generated`` the date printed on the report (default: today)."""
    from openpyxl import Workbook

    path = Path(path)
    day = (generated or _dt.date.today()).isoformat()
    wb = Workbook()
    _summary_sheet(wb.active, result, title=title, scenario=scenario, day=day)
    cov = result.coverage_frame()
    for t in FACILITY_TYPES:
        _type_sheet(wb.create_sheet(type_label(t)), cov[cov["type"] == t])
    _facility_sheet(wb.create_sheet(SHEET_FACILITIES), facilities)
    _gap_sheet(wb.create_sheet(SHEET_GAPS), result.gaps)
    _params_sheet(wb.create_sheet(SHEET_PARAMS), result, title=title, sources=sources, scenario=scenario, day=day)
    atomic_write(path, wb.save)
    return path


def _summary_sheet(ws, result: AnalysisResult, *, title: str, scenario: str | None, day: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.title = SHEET_SUMMARY
    table = indicator_rows(result.figures, result.params.profile)
    head = f"{title}　养老服务设施指标汇总" + (f"　方案：{scenario}" if scenario else "") + f"　生成日期：{day}"
    ws.cell(row=1, column=1, value=head).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(INDICATOR_COLUMNS))
    ws.cell(row=1, column=1).alignment = Alignment(vertical="center")
    _header(ws, INDICATOR_COLUMNS, row=2)
    red = Font(color=_RED)
    for r, rec in enumerate(table.itertuples(index=False), start=3):
        town, indicator, target, actual, gap, met = rec
        fmt = "0.0%" if indicator in SHARE_INDICATORS else "0" if indicator in COUNT_INDICATORS else "0.0"
        values = [town, indicator, _cell(target), _cell(actual), _cell(gap), met]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if c in (3, 4, 5):
                cell.number_format = fmt
            if met == NOT_MET:
                cell.font = red
    note_row = len(table) + 4
    ws.cell(row=note_row, column=1, value=f"注：{'、'.join(INFO_INDICATORS)}为参考指标，以覆盖率目标"
                                          f" {result.params.profile.covered_share_target:.0%} 对照；"
                                          f"覆盖指步行 {result.params.profile.coverage_minutes:g} 分钟可达。")
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(INDICATOR_COLUMNS))}{max(len(table) + 2, 2)}"
    _fit_widths(ws, first_row=2, last_row=len(table) + 2)


def _type_sheet(ws, cov: pd.DataFrame) -> None:
    _header(ws, [ZH[f"col.{c}"] for c, _ in _TYPE_SHEET_COLUMNS])
    for r, rec in enumerate(cov.to_dict("records"), start=2):
        for c, (name, fmt) in enumerate(_TYPE_SHEET_COLUMNS, start=1):
            v = flags_label(rec[name]) if name == "flags" else rec[name]
            cell = ws.cell(row=r, column=c, value=_cell(v))
            if fmt:
                cell.number_format = fmt
    _finish_table(ws, len(cov), len(_TYPE_SHEET_COLUMNS))


def _facility_sheet(ws, facilities: gpd.GeoDataFrame) -> None:
    _header(ws, FACILITY_COLUMNS)
    if len(facilities):
        pts = facilities.geometry.to_crs(WGS84) if facilities.crs is not None else facilities.geometry
        lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    else:
        lon = lat = []
    for r, (rec, x, y) in enumerate(zip(facilities.to_dict("records"), lon, lat), start=2):
        values = [str(rec["fid"]), str(rec["name"]), type_label(str(rec["type"])), status_label(str(rec["status"])),
                  int(rec["beds"]), int(rec["nursing_beds"]), round(float(x), 6), round(float(y), 6)]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if c >= 7:
                cell.number_format = "0.000000"
    _finish_table(ws, len(facilities), len(FACILITY_COLUMNS))


def _gap_sheet(ws, gaps: gpd.GeoDataFrame) -> None:
    _header(ws, GAP_COLUMNS)
    for r, rec in enumerate(gaps[["type", "township", "elderly", "area_ha"]].to_dict("records"), start=2):
        values = [type_label(str(rec["type"])), str(rec["township"]), _cell(rec["elderly"]), _cell(rec["area_ha"])]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if c == 3:
                cell.number_format = "#,##0.0"
            elif c == 4:
                cell.number_format = "0.00"
    _finish_table(ws, len(gaps), len(GAP_COLUMNS))


def _params_sheet(ws, result: AnalysisResult, *, title: str, sources: Mapping[str, str] | None, scenario: str | None,
                  day: str) -> None:
    p = result.params
    prof = p.profile

    def opt(v: float | None, fmt: str) -> str | float:
        return "不考核" if v is None else format(v, fmt)

    rows: list[tuple[str, object]] = [
        ("项目名称", title),
        ("方案", scenario or "—"),
        ("规划标准", prof.name),
        ("标准名称", prof.title or "—"),
        ("标准来源", prof.source or "—"),
        ("覆盖判定时间 (分钟)", f"{prof.coverage_minutes:g}"),
        ("覆盖率目标", f"{prof.covered_share_target:.0%}"),
        ("每千名老人床位数下限 (张)", opt(prof.beds_per_1000_min, "g")),
        ("护理型床位占比下限", opt(prof.nursing_share_min, ".0%")),
        ("每个乡镇/街道至少一个日间照料中心", "是" if prof.day_care_every_township else "否"),
        ("城市社区助餐点全覆盖", "是" if prof.meal_point_every_urban_community else "否"),
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
    """The layers of :func:`write_report_gpkg`, all in EPSG:4326: ``circles_<type>`` (merged circles per
    minutes band), ``facility_circles``, ``gaps`` (with a Chinese ``type_label``) and ``facilities`` (``fid``
    renamed ``facility_id`` as GeoPackage reserves ``fid``; Chinese ``type_label`` and ``status_label``)."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    iso = result.isochrones.to_crs(WGS84)
    for t in FACILITY_TYPES:
        frame = iso[iso["type"] == t].reset_index(drop=True)
        layers[f"circles_{t}"] = gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
    if result.facility_circles is not None:
        layers["facility_circles"] = result.facility_circles.to_crs(WGS84).reset_index(drop=True)
    gaps = result.gaps.to_crs(WGS84).reset_index(drop=True)
    gaps.insert(1, "type_label", [type_label(str(t)) for t in gaps["type"]])
    layers["gaps"] = gaps
    fac = facilities.to_crs(WGS84).reset_index(drop=True).rename(columns={"fid": "facility_id"})
    fac.insert(fac.columns.get_loc("type") + 1, "type_label", [type_label(str(t)) for t in fac["type"]])
    fac.insert(fac.columns.get_loc("status") + 1, "status_label", [status_label(str(s)) for s in fac["status"]])
    layers["facilities"] = fac
    return layers


def write_report_gpkg(path: str | Path, *, result: AnalysisResult, facilities: gpd.GeoDataFrame) -> Path:
    """One GeoPackage (EPSG:4326) with the layers of :func:`report_layers`, written atomically.

    Area layers are written as MultiPolygon (like :func:`projects.outputs.write_gpkg_layers`); the facility
    layer stays Point so that its x/y read back as longitude/latitude."""
    path = Path(path)
    layers = report_layers(result=result, facilities=facilities)

    def write(tmp: Path) -> None:
        for name, frame in layers.items():
            points = name == "facilities"
            pyogrio.write_dataframe(
                frame, tmp, layer=name, driver="GPKG", promote_to_multi=not points,
                geometry_type=("Point" if points else "MultiPolygon") if frame.empty else None,
            )

    atomic_write(path, write)
    return path


# -- helpers -------------------------------------------------------------------------------------




def _isnan(v: object) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _num(v: object) -> float:
    return math.nan if v is None or pd.isna(v) else float(v)


def _cell(v: object) -> object:
    """A value openpyxl can store: NaN becomes an empty cell, numpy scalars plain Python numbers."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
