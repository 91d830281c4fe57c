"""The bureau report: the XLSX workbook (targets, per-class coverage, facility list, gaps, parameters) and the
report GeoPackage, built from one real analysis of the sample project under a profile that sets every kind of
target (county bed figures, per-township and per-community targets, a share of villages, covered shares)."""
import dataclasses
import datetime as dt
import math
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pyogrio
import pytest

from layers.classes import registry
from projects import report_tables as rt
from projects.ccproj import load_project
from projects.outputs import run_notes, write_analysis
from spatial.analysis import TOTAL_ROW, run_analysis
from spatial.indicators import TownshipTypeFigures
from spatial.targets import BASIS_LABELS, StandardProfile, Target, target_label

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PROJECT = ROOT / "projects" / "sample.ccproj"
DOC = "测试局《测试规划》"
#: every indicator once; the two bed targets are county figures (a township's beds are never judged)
MIX = StandardProfile("test-mix", title="测试：县级床位与各级设施目标", document="测试规划", issuer="测试局", year=2024,
                      coverage_minutes=15, targets=(
    Target("beds-per-1000", "beds_per_1000", "county", 28.5, document=DOC, clause="每千名老人床位28.5张"),
    Target("nursing-share", "nursing_share", "county", 0.25, document=DOC, clause="护理型床位占25%"),
    Target("day-care-every-township", "present_in_every", "township", 1, classes=("day_care",), document=DOC,
           clause="镇（街道）日间照料中心全覆盖"),
    Target("elder-stations", "count_per_unit", "township", 1, maximum=2, classes=("elder_station",), document=DOC,
           clause="每个镇长者驿站1-2个"),
    Target("village-mutual-aid", "share_of_units_with", "village", 0.6, classes=("rural_mutual_aid",), document=DOC,
           clause="农村幸福院覆盖60%的村"),
    Target("meal-reach", "reachable_from_every", "urban_community", 1, classes=("meal_point",), minutes=15,
           document=DOC, clause="城市社区助餐全覆盖"),
    Target("nh-covered", "covered_share", "township", 0.3, classes=("nursing_home",), document=DOC,
           clause="养老机构覆盖30%老人"),
))
SHARES = ("nursing_share", "share_of_units_with", "covered_share")


@pytest.fixture(scope="module")
def sample():
    project = load_project(SAMPLE_PROJECT)
    params = dataclasses.replace(project.params(), profile=MIX)
    result = run_analysis(project.inputs(), params)
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
    """The table rows (as dicts) from below the header to the first empty row."""
    header = [c.value for c in ws[header_row]]
    out = []
    for r in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if all(v is None for v in r):
            break
        out.append(dict(zip(header, r)))
    return out


def _red(cell):
    color = cell.font.color
    return color is not None and color.type == "rgb" and str(color.rgb).endswith("C00000")


def _same(got, want):
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None
    return got == want


def test_labels_match_the_gui_catalogue():
    from gui.i18n import CATALOGUE

    for key, zh in rt.ZH.items():
        assert CATALOGUE[key][0] == zh, key
    assert not [k for k in rt.ZH if k.startswith(("type.", "status.", "flag."))]  # names come from the registry


def test_sheets_in_order(report, sample):
    xlsx, _, wb = report
    _, result, facilities = sample
    reg = registry()
    classes = rt.report_classes(result, facilities)
    assert wb.sheetnames == rt.sheet_names(result, facilities)
    assert wb.sheetnames == ["指标汇总", *(reg.label(c) for c in classes), "设施清单", "服务缺口", "参数说明"]
    assert list(classes) == [c for c in reg.ids if c in classes]  # registry order
    assert set(classes) >= set(facilities["type"]) | {c for t in MIX.targets for c in t.classes}
    assert not [p for p in xlsx.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_report_classes_are_those_with_a_facility_or_a_target():
    reg = registry()
    profile = StandardProfile("p", targets=(Target("hc", "present_in_every", "township", 1, classes=("home_care_centre",)),))
    figures = [TownshipTypeFigures("甲镇", c, 100.0, 50.0, int(c == "nursing_home"), 0, 0) for c in reg.ids]
    result = SimpleNamespace(params=SimpleNamespace(classes=reg, profile=profile), figures=figures)
    listed = pd.DataFrame({"type": ["meal_point", "meal_point"]})  # listed, e.g. planned: not counted in the run
    assert rt.report_classes(result, listed) == ("nursing_home", "meal_point", "home_care_centre")
    assert rt.report_classes(result) == ("nursing_home", "home_care_centre")
    assert rt.sheet_names(result, listed) == ["指标汇总", "养老机构", "助餐点", "居家养老服务中心", "设施清单", "服务缺口", "参数说明"]


def test_targets_sheet_is_targets_csv(report, sample):
    _, paths, wb = report
    _, result, _ = sample
    ws = wb.worksheets[0]
    assert ws.title == "指标汇总"
    assert "如皋市（示例数据）" in ws["A1"].value and "现状" in ws["A1"].value and "2025-03-01" in ws["A1"].value
    assert [c.value for c in ws[2]] == rt.TARGET_SHEET_COLUMNS == ["目标", "层级", "单位", "指标", "目标值", "实际值",
                                                                 "是否达标", "差距", "依据"]
    assert ws["A2"].font.b and ws.freeze_panes == "A3"
    rows = _rows(ws, header_row=2)
    frame = result.targets_frame()
    csv = pd.read_csv(paths["targets"], encoding="utf-8-sig")
    assert len(rows) == len(frame) == len(csv) == len(result.targets) > 100
    county = result.params.county_label
    assert county == "全市"
    n_county = sum(r.level == "county" for r in result.targets)
    assert n_county == len(MIX.targets)  # one county row per target (a figure or a summary of the units)
    reg = registry()
    for i, (row, rec, tr) in enumerate(zip(rows, frame.to_dict("records"), result.targets)):
        t = MIX.target(rec["target_id"])
        assert row["目标"] == target_label(t, class_label=reg.label, minutes=MIX.minutes_of(t))
        assert row["单位"] == rec["unit"] == csv["unit"].iloc[i]
        assert (row["层级"] == county) == (i < n_county) == (rec["level"] == "county")  # county rows first
        for col, key in (("目标值", "target"), ("实际值", "actual"), ("差距", "gap")):
            assert _same(row[col], rec[key]), (i, col, row[col], rec[key])
        assert row["是否达标"] == ("达标" if rec["met"] else "未达标") and bool(csv["met"].iloc[i]) == rec["met"]
        assert row["依据"] == rec["source"] == t.source
        # the format: shares as percentages, county summaries and counts as whole numbers
        fmt = ws.cell(row=i + 3, column=5).number_format
        assert fmt == ("0" if tr.summary else "0.0%" if rec["indicator"] in SHARES else
                       "0.0" if rec["indicator"] == "beds_per_1000" else "0"), (i, fmt)
        for c in range(1, 10):
            assert _red(ws.cell(row=i + 3, column=c)) == (not rec["met"])
        assert bool(ws.cell(row=i + 3, column=1).font.b) == (rec["level"] == "county")
    # a county summary row counts the units of its target that meet it
    for tr in result.targets:
        if tr.summary:
            units = [u for u in result.targets if u.target_id == tr.target_id and not u.summary]
            assert tr.target == len(units) and tr.actual == sum(u.met for u in units)
    by_id = {r["目标"]: r for r in rows if r["层级"] == county}
    assert by_id["护理型床位占养老床位比例"]["指标"] == "护理型床位占养老床位比例"
    assert by_id["镇（街道）日间照料中心全覆盖"]["指标"] == "达标镇（街道）数"
    assert by_id["村（农村社区）农村幸福院覆盖率"]["指标"] == "设有农村幸福院的村（农村社区）占比"


def test_targets_sheet_notes(report, sample):
    _, _, wb = report
    _, result, _ = sample
    ws = wb.worksheets[0]
    col_a = [c.value for c in ws["A"]]
    first = 3 + len(result.targets)
    assert col_a[first - 1] is None and col_a[first] == "注："
    notes = run_notes(result).splitlines()
    assert col_a[first + 1:first + 1 + len(notes)] == notes
    assert result.params.counted_text() in notes  # counted statuses and the elderly basis
    assert any("test-mix" in line for line in notes) and any(DOC in line for line in notes)
    assert ws.auto_filter.ref == f"A2:I{first - 1}"  # the filter stops at the table


def test_no_township_verdict_on_county_bed_targets(report, sample):
    """Beds are a county figure in the plans: no township row may be judged against them (the old per-township
    beds-per-1,000 and nursing-share verdict must not come back)."""
    _, _, wb = report
    _, result, _ = sample
    county = result.params.county_label
    rows = _rows(wb.worksheets[0], header_row=2)
    bed_rows = [r for r in rows if "床位" in r["指标"]]
    assert len(bed_rows) == 2
    assert all(r["单位"] == county and r["层级"] == county for r in bed_rows)
    bed_ids = {t.id for t in MIX.targets if t.indicator in ("beds_per_1000", "nursing_share")}
    bed_labels = {target_label(t, class_label=registry().label) for t in MIX.targets if t.id in bed_ids}
    for c in rt.report_classes(result, sample[2]):
        ws = wb[registry().label(c)]
        for r in _rows(ws):
            flags = r["未达标项"] or ""
            assert "床位" not in flags and not any(label in flags for label in bed_labels), (c, r["乡镇/街道"], flags)
    assert not any(set(str(f).split(";")) & bed_ids for f in result.coverage_frame()["flags"])
    # the townships are short of the county figure in the sample, and still carry no bed verdict
    nh = {r["乡镇/街道"]: r for r in _rows(wb["养老机构"])}
    assert any(r["每千老人床位"] is not None and r["每千老人床位"] < 28.5 for k, r in nh.items() if k != TOTAL_ROW)


def test_class_sheets_equal_coverage_frame(report, sample):
    _, paths, wb = report
    _, result, facilities = sample
    reg = registry()
    cov = result.coverage_frame()
    csv = pd.read_csv(paths["coverage"], encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    labels = {t.id: target_label(t, class_label=reg.label, minutes=MIX.minutes_of(t)) for t in MIX.targets}
    base = ["elderly", "elderly_covered", "covered_share", "facilities"]
    beds = ["beds", "nursing_beds", "beds_per_1000", "nursing_share"]
    seen = flagged = 0
    for c in rt.report_classes(result, facilities):
        ws = wb[reg.label(c)]
        header = [x.value for x in ws[1]]
        cols = base + (beds if reg[c].has_beds else [])
        assert header == [rt.ZH[f"col.{k}"] for k in ["township", *cols, "flags"]], c
        rows = _rows(ws)
        expected = cov[cov["type"] == c]
        assert [r["乡镇/街道"] for r in rows] == list(expected["township"]) == list(csv[csv["type"] == c]["township"])
        assert rows[-1]["乡镇/街道"] == TOTAL_ROW and ws.cell(row=len(rows) + 1, column=1).font.b
        assert ws.auto_filter.ref.endswith(str(len(rows)))  # the 合计 row stays out of the filter
        for r, rec in zip(rows, expected.to_dict("records")):
            for k in cols:
                assert _same(r[rt.ZH[f"col.{k}"]], rec[k]), (c, rec["township"], k, r[rt.ZH[f"col.{k}"]], rec[k])
            want = "；".join(labels[n] for n in rec["flags"].split(";") if n)
            assert (r["未达标项"] or "") == want
            flagged += bool(want)
            seen += 1
        # people are whole persons and the 合计 is the sum of the townships (each within 1 of its exact figure)
        figs = [f for f in result.figures if f.type == c]
        for key, attr in (("elderly", "elderly"), ("elderly_covered", "elderly_covered")):
            values = [r[rt.ZH[f"col.{key}"]] for r in rows]
            assert all(type(v) is int for v in values), (c, key, values)
            assert values[-1] == sum(values[:-1]) == round(sum(getattr(f, attr) for f in figs)), (c, key)
            assert all(abs(v - getattr(f, attr)) < 1 for v, f in zip(values, figs))
        assert all(r["覆盖老人"] <= r["老年人口"] for r in rows)
        assert [x.value for x in ws["A"]][len(rows) + 2] == "注：" and "最大余数法" in ws.cell(row=len(rows) + 4, column=1).value
        fmt = {k: ws.cell(row=2, column=header.index(rt.ZH[f"col.{k}"]) + 1).number_format for k in cols}
        assert fmt["covered_share"] == "0.0%"
        if reg[c].has_beds:
            assert fmt["nursing_share"] == "0.0%" and fmt["beds_per_1000"] == "0.0"
    assert seen == sum(len(cov[cov["type"] == c]) for c in rt.report_classes(result, facilities))
    assert flagged  # the sample misses some per-unit targets


def test_target_rows_table(sample):
    _, result, _ = sample
    table = rt.target_rows(result)
    assert list(table.columns) == rt.TARGET_SHEET_COLUMNS and len(table) == len(result.targets)
    first = table.iloc[0]
    assert first["目标"] == "每千名老人养老床位" and first["指标"] == "每千名老人养老床位数" and first["目标值"] == 28.5
    meal = table[table["目标"] == "城市社区15分钟可达助餐点"]
    assert set(meal.iloc[1:]["层级"]) == {"城市社区"} and set(meal.iloc[1:]["目标值"]) == {1.0}


def test_facility_sheet(report, sample):
    _, _, wb = report
    facilities = sample[2]
    reg = registry()
    rows = _rows(wb["设施清单"])
    assert [c.value for c in wb["设施清单"][1]] == rt.FACILITY_COLUMNS
    assert len(rows) == len(facilities) > 0
    names = {reg.label(c) for c in reg.ids}
    statuses = {reg.status_label(s) for s in ("existing", "planned", "to_close")}
    for r, (_, f) in zip(rows, facilities.iterrows()):
        assert 120.2 <= r["经度"] <= 120.9 and 31.9 <= r["纬度"] <= 32.6
        assert r["经度"] == round(r["经度"], 6)
        assert r["类型"] in names and r["类型"] == reg.label(f["type"])
        assert r["状态"] in statuses and r["状态"] == reg.status_label(f["status"])
        if reg[f["type"]].has_beds:
            assert isinstance(r["床位数"], int) and r["护理型床位数"] <= r["床位数"] == f["beds"]
        else:  # no meaningless 0 beds for classes whose beds do not count
            assert r["床位数"] is None and r["护理型床位数"] is None
    assert sum(r["状态"] == "规划" for r in rows) == int((facilities["status"] == "planned").sum())
    assert wb["设施清单"]["G2"].number_format == "0.000000"


def test_gap_and_parameter_sheets(report, sample):
    _, _, wb = report
    _, result, _ = sample
    reg = registry()
    gaps = _rows(wb["服务缺口"])
    assert [c.value for c in wb["服务缺口"][1]] == rt.GAP_COLUMNS == ["设施类型", "名称", "类别", "乡镇/街道", "老年人口",
                                                                    "最近设施", "步行距离(米)"]
    shown = rt.report_classes(result, sample[2])
    named = result.named_gaps[result.named_gaps["type"].isin(shown)]
    assert len(gaps) == len(named) > 100  # the named communities and villages, not unnamed gap discs
    labels = [reg.label(c) for c in shown]
    assert [g["设施类型"] for g in gaps] == sorted((g["设施类型"] for g in gaps), key=labels.index)  # per class
    for label in labels:
        rows = [g for g in gaps if g["设施类型"] == label]
        elderly = [g["老年人口"] for g in rows]
        assert all(isinstance(e, int) for e in elderly) and elderly == sorted(elderly, reverse=True)
        assert all(g["名称"] and g["类别"] in ("社区", "村") and g["乡镇/街道"] for g in rows)
        assert all(isinstance(g["步行距离(米)"], int) and g["步行距离(米)"] >= round(result.params.coverage_m) or g["最近设施"] == "不可达"
                   for g in rows)
    first = named.iloc[0]
    assert gaps[0]["名称"] == first["name"] and gaps[0]["老年人口"] == first["elderly"]
    assert gaps[0]["最近设施"] == first["nearest_facility"] and gaps[0]["步行距离(米)"] == round(first["walk_m"])
    params = {r["设置项"]: r["内容"] for r in _rows(wb["参数说明"])}
    assert params["规划标准"] == "test-mix" and params["标准来源"] == "测试局《测试规划》（2024）"
    assert params["计入设施状态"] == "现状" and params["老年人口口径"] == BASIS_LABELS[result.params.elderly_basis]
    assert params["目标：每千名老人养老床位"].startswith("28.5 张（") and DOC in params["目标：每千名老人养老床位"]
    assert params["目标：护理型床位占养老床位比例"].startswith("25%")
    assert params["目标：每个镇（街道）长者驿站1–2个"].startswith("每个镇（街道） 1–2 个")
    assert params["目标：城市社区15分钟可达助餐点"].startswith("每个城市社区步行 15 分钟内可达")
    assert f"{result.params.speed_kmh / 3.6:.2f} m/s" in params["步行速度"]
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
    reg = registry()
    path = rt.write_report_gpkg(tmp_path / "report.gpkg", result=result, facilities=facilities)
    layers = dict(pyogrio.list_layers(path))
    assert list(layers) == [*(f"circles_{c}" for c in rt.report_classes(result, facilities)), "facility_circles", "gaps",
                            "named_gaps", "facilities", "targets", "notes"]
    named = pyogrio.read_dataframe(path, layer="named_gaps")
    assert layers["named_gaps"] == "Point" and len(named) == len(result.named_gaps) and named.crs.to_epsg() == 4326
    assert named["name"].str.len().gt(0).all() and set(named["kind"]) <= {"社区", "村"}
    assert named.geometry.x.round(6).tolist() == named["lon"].tolist()
    targets = pyogrio.read_dataframe(path, layer="targets")
    assert len(targets) == len(result.targets) and list(targets["target_id"]) == [r.target_id for r in result.targets]
    notes = list(pyogrio.read_dataframe(path, layer="notes")["line"])
    assert any("计入设施状态" in n and "老年人口口径" in n for n in notes)
    fac = pyogrio.read_dataframe(path, layer="facilities")
    assert len(fac) == len(facilities) and fac.crs.to_epsg() == 4326 and layers["facilities"] == "Point"
    assert {"facility_id", "type_label", "status_label"} <= set(fac.columns)
    assert set(fac["type_label"]) == {reg.label(t) for t in facilities["type"]}
    assert set(fac["status_label"]) == {reg.status_label(s) for s in facilities["status"]}
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


def test_whole_people_add_up_and_missing_stays_missing():
    """People are whole persons; the townships add up to the 合计, which is the rounded county figure; a
    township with no count leaves the total empty (never a partial sum shown as a total)."""
    from spatial.analysis import coverage_frame, whole_people

    figs = [TownshipTypeFigures("甲镇", "day_care", 1000.4, 300.5, 1, 0, 0),
            TownshipTypeFigures("乙镇", "day_care", 2000.3, 200.7, 1, 0, 0),
            TownshipTypeFigures("丙镇", "day_care", 500.3, 100.6, 0, 0, 0)]
    cov = coverage_frame(figs, total_label=TOTAL_ROW).set_index("township")
    assert cov["elderly"].dtype.kind == "i" and cov["elderly_covered"].dtype.kind == "i"
    # 300.5 + 200.7 + 100.6 = 601.8 -> 602; rounded one by one they would add up to 603: the two largest
    # remainders are rounded up, the third down; likewise 3501.0 -> 3501 with 甲镇's .4 rounded up
    assert list(cov["elderly_covered"]) == [300, 201, 101, 602] and list(cov["elderly"]) == [1001, 2000, 500, 3501]
    assert cov.loc[TOTAL_ROW, "elderly_covered"] == 602 == round(300.5 + 200.7 + 100.6)
    assert cov.loc[TOTAL_ROW, "elderly"] == sum(cov["elderly"].iloc[:3]) == round(1000.4 + 2000.3 + 500.3)
    assert cov.loc["甲镇", "covered_share"] == pytest.approx(300.5 / 1000.4, abs=1e-4)  # shares from exact figures
    assert list(whole_people([0.6, 0.6, 0.6])) == [1.0, 1.0, 0.0]  # 1.8 -> 2: the largest remainders first
    missing = figs + [TownshipTypeFigures("丁镇", "day_care", math.nan, math.nan, 0, 0, 0)]
    cov = coverage_frame(missing, total_label=TOTAL_ROW).set_index("township")
    assert math.isnan(cov.loc[TOTAL_ROW, "elderly"]) and math.isnan(cov.loc[TOTAL_ROW, "elderly_covered"])
    assert math.isnan(cov.loc["丁镇", "elderly"]) and cov.loc["甲镇", "elderly"] == 1000
