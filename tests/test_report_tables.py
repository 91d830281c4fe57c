"""The bureau report: the XLSX workbook (task table, per-type coverage, facility list, gaps, parameters) and
the report GeoPackage, built from one real analysis of the sample project."""
import datetime as dt
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest

from projects import report_tables as rt
from projects.ccproj import load_project
from projects.outputs import write_analysis
from spatial.analysis import run_analysis
from spatial.indicators import FACILITY_TYPES, StandardProfile, TownshipTypeFigures

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PROJECT = ROOT / "projects" / "sample.ccproj"
SHEETS = ["指标汇总", "日间照料中心", "养老机构", "助餐点", "设施清单", "服务缺口", "参数说明"]


@pytest.fixture(scope="module")
def sample():
    project = load_project(SAMPLE_PROJECT)
    result = run_analysis(project.inputs(), project.settings.params())
    return project, result, project.plan.frame()


@pytest.fixture(scope="module")
def report(sample, tmp_path_factory):
    project, result, facilities = sample
    out = tmp_path_factory.mktemp("report")
    xlsx = rt.write_xlsx(out / "报告.xlsx", result=result, facilities=facilities, title=project.title,
                         sources=project.sources, scenario=project.plan.active, generated=dt.date(2025, 3, 1))
    paths = write_analysis(result, out / "analysis")
    return xlsx, paths, openpyxl.load_workbook(xlsx)


def _rows(ws, *, header_row=1):
    header = [c.value for c in ws[header_row]]
    return [dict(zip(header, r)) for r in ws.iter_rows(min_row=header_row + 1, values_only=True) if any(v is not None for v in r)]


def _red(cell):
    color = cell.font.color
    return color is not None and color.type == "rgb" and str(color.rgb).endswith("C00000")


def test_labels_match_the_gui_catalogue():
    from gui.i18n import CATALOGUE

    for key, zh in rt.ZH.items():
        assert CATALOGUE[key][0] == zh, key


def test_sheets_in_order(report):
    xlsx, _, wb = report
    assert wb.sheetnames == SHEETS == rt.sheet_names()
    assert not [p for p in xlsx.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_type_sheets_equal_coverage_csv(report):
    _, paths, wb = report
    csv = pd.read_csv(paths["coverage"], encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    csv["flags"] = csv["flags"].fillna("")
    cols = ["elderly", "elderly_covered", "covered_share", "facilities", "beds", "nursing_beds", "beds_per_1000", "nursing_share"]
    zh = {c: rt.ZH[f"col.{c}"] for c in [*cols, "township", "flags"]}
    seen = 0
    for t in FACILITY_TYPES:
        sheet = {r[zh["township"]]: r for r in _rows(wb[rt.type_label(t)])}
        expected = csv[csv["type"] == t]
        assert list(sheet) == list(expected["township"])
        for rec in expected.to_dict("records"):
            row = sheet[rec["township"]]
            for c in cols:
                want, got = rec[c], row[zh[c]]
                if isinstance(want, float) and math.isnan(want):
                    assert got is None, (t, rec["township"], c)
                else:
                    assert got == want, (t, rec["township"], c, got, want)
            assert (row[zh["flags"]] or "") == "；".join(rt.ZH[f"flag.{n}"] for n in rec["flags"].split(";") if n)
            seen += 1
    assert seen == 14 * 3
    assert wb["养老机构"]["D2"].number_format == "0.0%" and wb["养老机构"]["H2"].number_format == "0.0"


def test_summary_task_table(report, sample):
    _, paths, wb = report
    ws = wb["指标汇总"]
    assert "如皋市（示例数据）" in ws["A1"].value and "现状" in ws["A1"].value and "2025-03-01" in ws["A1"].value
    assert [c.value for c in ws[2]] == rt.INDICATOR_COLUMNS
    assert ws["A2"].font.b and ws.freeze_panes == "A3"
    rows = {(r["乡镇/街道"], r["指标"]): (i, r) for i, r in enumerate(_rows(ws, header_row=2), start=3) if r["指标"]}
    i, row = rows[("石庄镇", "护理型床位占比")]
    assert row["是否达标"] == "未达标" and row["目标"] == 0.25 and row["实际"] == pytest.approx(0.1667, abs=1e-4)
    assert row["差距"] == pytest.approx(0.25 - 0.1667, abs=1e-4)
    assert ws.cell(row=i, column=4).number_format == "0.0%"
    for c in range(1, 7):
        assert _red(ws.cell(row=i, column=c))
    i, row = rows[("如城街道", "护理型床位占比")]
    assert row["是否达标"] == "达标" and row["差距"] == 0
    assert not _red(ws.cell(row=i, column=1))
    i, row = rows[("石庄镇", "每千名老人床位数")]
    assert row["目标"] == 28.5 and row["是否达标"] == "未达标" and ws.cell(row=i, column=4).number_format == "0.0"
    # red exactly on the rows that miss their target
    for i, r in rows.values():
        assert _red(ws.cell(row=i, column=2)) == (r["是否达标"] == "未达标")
    # every flagged row agrees with coverage.csv (numbers and flags)
    csv = pd.read_csv(paths["coverage"], encoding="utf-8-sig", keep_default_na=False, na_values=[""]).fillna({"flags": ""})
    for rec in csv.to_dict("records"):
        town, t = rec["township"], rec["type"]
        if t == "day_care":
            _, r = rows[(town, "日间照料中心覆盖率")]
            assert r["实际"] == rec["covered_share"]
            assert (r["是否达标"] == "未达标") == ("day_care_coverage_low" in rec["flags"])
        elif t == "nursing_home":
            _, r = rows[(town, "每千名老人床位数")]
            assert r["实际"] == rec["beds_per_1000"]
            assert (r["是否达标"] == "未达标") == ("beds_per_1000_low" in rec["flags"])
            _, r = rows[(town, "护理型床位占比")]
            assert (r["是否达标"] == "未达标") == ("nursing_share_low" in rec["flags"])
            _, r = rows[(town, "养老机构覆盖率")]
            assert r["实际"] == rec["covered_share"] and r["目标"] == 0.9
        else:
            _, r = rows[(town, "助餐点覆盖率")]
            assert r["实际"] == rec["covered_share"]
    # the sample profile checks neither the day-care count nor meal points per community
    assert not {k for k in rows if k[1] in (rt.IND_DAY_CARE_COUNT, rt.IND_MEAL_UNREACHED)}


def test_indicator_rows_optional_checks():
    profile = StandardProfile("t", covered_share_target=0.8, beds_per_1000_min=None, nursing_share_min=None,
                              day_care_every_township=True, meal_point_every_urban_community=True)
    figs = [
        TownshipTypeFigures("甲镇", "day_care", 100.0, 90.0, 0, 0, 0),
        TownshipTypeFigures("甲镇", "nursing_home", 100.0, 50.0, 1, 10, 0),
        TownshipTypeFigures("甲镇", "meal_point", 100.0, 0.0, 0, 0, 0, urban_communities=3, urban_communities_unreached=2),
        TownshipTypeFigures("乙镇", "day_care", 0.0, 0.0, 1, 0, 0),
        TownshipTypeFigures("乙镇", "nursing_home", 0.0, 0.0, 0, 0, 0),
        TownshipTypeFigures("乙镇", "meal_point", 0.0, 0.0, 0, 0, 0),
    ]
    table = rt.indicator_rows(figs, profile)
    assert list(table.columns) == rt.INDICATOR_COLUMNS
    got = {(r[0], r[1]): r[2:] for r in table.itertuples(index=False)}
    assert {k[1] for k in got} == {"日间照料中心覆盖率", "日间照料中心数量", "助餐点未覆盖城市社区数", "养老机构覆盖率", "助餐点覆盖率"}
    assert got[("甲镇", "日间照料中心覆盖率")] == (0.8, 0.9, 0.0, "达标")
    assert got[("甲镇", "日间照料中心数量")] == (1.0, 0.0, 1.0, "未达标")
    assert got[("甲镇", "助餐点未覆盖城市社区数")] == (0.0, 2.0, 2.0, "未达标")
    assert got[("甲镇", "养老机构覆盖率")] == (0.8, 0.5, pytest.approx(0.3), "未达标")
    assert got[("乙镇", "日间照料中心数量")] == (1.0, 1.0, 0.0, "达标")
    _target, actual, gap, met = got[("乙镇", "日间照料中心覆盖率")]  # no elderly: not applicable
    assert math.isnan(actual) and math.isnan(gap) and met == "—"


def test_facility_sheet(report, sample):
    _, _, wb = report
    rows = _rows(wb["设施清单"])
    assert [c.value for c in wb["设施清单"][1]] == rt.FACILITY_COLUMNS
    assert len(rows) == 60 == len(sample[2])
    for r in rows:
        assert 120.2 <= r["经度"] <= 120.9 and 31.9 <= r["纬度"] <= 32.6
        assert r["经度"] == round(r["经度"], 6)
        assert r["类型"] in ("日间照料中心", "养老机构", "助餐点") and r["状态"] in ("现状", "规划", "拟关闭")
        assert r["护理型床位数"] <= r["床位数"]
    assert sum(r["状态"] == "规划" for r in rows) == 5
    assert wb["设施清单"]["G2"].number_format == "0.000000"


def test_gap_and_parameter_sheets(report, sample):
    _, _, wb = report
    _, result, _ = sample
    gaps = _rows(wb["服务缺口"])
    assert len(gaps) == len(result.gaps)
    assert gaps[0]["老年人口"] == result.gaps["elderly"].iloc[0] and gaps[0]["面积(公顷)"] == result.gaps["area_ha"].iloc[0]
    params = {r["设置项"]: r["内容"] for r in _rows(wb["参数说明"])}
    assert params["规划标准"] == "nantong-2014" and params["护理型床位占比下限"] == "25%"
    assert params["每千名老人床位数下限 (张)"] == "28.5" and "1.00 m/s" in params["步行速度"]
    assert params["时间圈 (分钟)"] == "5、10、15" and params["生成日期"] == "2025-03-01" and params["方案"] == "现状"
    assert params["数据来源：步行道路网络"] == "sample/roads.gpkg"
    assert "生成数据" in params["说明"]


def test_column_widths_count_cjk_double(report):
    _, _, wb = report
    ws = wb["设施清单"]
    longest = max(rt.display_width(r["名称"]) for r in _rows(ws))
    assert ws.column_dimensions["B"].width >= longest
    assert rt.display_width("如皋a") == 5


def test_report_gpkg(sample, tmp_path):
    _, result, facilities = sample
    path = rt.write_report_gpkg(tmp_path / "report.gpkg", result=result, facilities=facilities)
    layers = dict(pyogrio.list_layers(path))
    assert list(layers) == ["circles_day_care", "circles_nursing_home", "circles_meal_point", "facility_circles", "gaps", "facilities"]
    fac = pyogrio.read_dataframe(path, layer="facilities")
    assert len(fac) == 60 and fac.crs.to_epsg() == 4326 and layers["facilities"] == "Point"
    assert {"facility_id", "type_label", "status_label"} <= set(fac.columns)
    assert fac.geometry.x.between(120.2, 120.9).all() and fac.geometry.y.between(31.9, 32.6).all()
    circles = pyogrio.read_dataframe(path, layer="circles_day_care")
    assert sorted(circles["minutes"]) == [5.0, 10.0, 15.0] and circles.crs.to_epsg() == 4326
    assert len(pyogrio.read_dataframe(path, layer="gaps", read_geometry=False)) == len(result.gaps)


def test_interrupted_write_keeps_previous_file(sample, tmp_path, monkeypatch):
    _, result, facilities = sample
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"previous report")

    def boom(self, filename):
        Path(filename).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        rt.write_xlsx(target, result=result, facilities=facilities, title="t")
    assert target.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]
