"""Scenario comparison as one unit: ``run_comparison`` (the window's worker and ``carecircle compare`` call it),
the Chinese table and CSV, changes.gpkg, the workbook's 方案对比 sheet and the comparison dialog, on the
bundled sample with one day-care centre added at the biggest village of 下原镇 (which has none)."""
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

from gui.cli import main
from layers.classes import registry
from layers.errors import AnalysisCancelled, InputError
from projects.ccproj import load_project, save_project
from projects.compare import (
    TABLE_COLUMNS,
    ZH_COLUMNS,
    CompareParams,
    Comparison,
    comparison_table,
    run_comparison,
    write_comparison_csv,
)
from projects.plan import Facility
from spatial.analysis import TOTAL_ROW, coverage_frame
from spatial.feedback import Feedback
from spatial.indicators import TownshipTypeFigures
from spatial.network import build_network
from spatial.targets import StandardProfile, Target

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PROJECT = ROOT / "projects" / "sample.ccproj"
SCENARIO = "下原镇补日照"
TOWN = "下原镇"
CSV_HEADERS = ["乡镇/街道", "设施类型", "现状覆盖率", "方案覆盖率", "变化（百分点）", "现状覆盖老人", "方案覆盖老人",
               "覆盖老人变化", "现状未达标项", "方案未达标项"]


def pp(text):
    """The number of a ``+3.2 百分点`` cell (NaN when empty)."""
    text = str(text)
    if not text or text == "nan":
        return float("nan")
    assert text.endswith(" 百分点") and (text[0] in "+-" or text == "0.0 百分点"), text
    return float(text.removesuffix(" 百分点"))


def biggest_village(project, township):
    towns, pop = project.townships, project.population.to_crs(project.townships.crs)
    inside = pop[pop.within(towns[towns["name"] == township].geometry.iloc[0])]
    return inside.loc[inside["elderly"].idxmax()].geometry


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory):
    """The sample with a scenario that adds one day-care centre at the biggest village of 下原镇."""
    project = load_project(SAMPLE_PROJECT)
    plan = project.plan
    towns = project.townships.to_crs(plan.crs)
    day_care = plan.frame(plan.baseline)
    day_care = day_care[day_care["type"] == "day_care"]
    assert not day_care.within(towns[towns["name"] == TOWN].geometry.iloc[0]).any()  # 下原镇 has none
    site = gpd.GeoSeries([biggest_village(project, TOWN)], crs=project.townships.crs).to_crs(plan.crs).iloc[0]
    plan.add_scenario(SCENARIO)
    plan.set_active(SCENARIO)
    for fid in [f.fid for f in plan.facilities.values() if f.status == "planned"]:
        plan.remove_facility(fid)  # the sample's own planned ones: the scenario is what exists plus the new centre
    plan.add_facility(Facility(plan.new_fid(), "下原镇日间照料中心", "day_care", 20, 5, "planned", site.x, site.y))
    plan.set_active(plan.baseline)  # the CLI must not depend on the active scenario when --scenario is given
    path = save_project(project, tmp_path_factory.mktemp("plan") / "下原镇方案.ccproj")
    return path


@pytest.fixture(scope="module")
def compared(plan_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    code = main(["compare", str(plan_file), "--scenario", SCENARIO, "--out", str(out), "--quiet"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def comparison(plan_file):
    project = load_project(plan_file)
    frames = {n: project.plan.frame(n) for n in (project.plan.baseline, SCENARIO)}
    return run_comparison(project.inputs(network=build_network(project.roads)), frames, project.params(),
                          base=project.plan.baseline, other=SCENARIO, baseline=project.plan.baseline)


def test_delta_pp_hand_case():
    reg = registry()
    profile = StandardProfile("p", targets=(Target("dc", "present_in_every", "township", 1, classes=("day_care",)),))
    before = [TownshipTypeFigures("甲镇", "day_care", 1000.0, 400.0, 0, 0, 0),
              TownshipTypeFigures("乙镇", "day_care", 500.0, 100.0, 1, 0, 0)]
    after = [TownshipTypeFigures("甲镇", "day_care", 1000.0, 432.0, 1, 0, 0),
             TownshipTypeFigures("乙镇", "day_care", 500.0, 100.0, 1, 0, 0)]
    a = coverage_frame(before, total_label=TOTAL_ROW)
    b = coverage_frame(after, total_label=TOTAL_ROW)
    a.loc[0, "flags"] = "dc"  # 甲镇 lacked one, then got one
    t = comparison_table(a, b, classes=reg, profile=profile)
    assert list(t.columns) == TABLE_COLUMNS
    rows = t.set_index("township")
    assert rows.loc["甲镇", "delta_pp"] == 3.2 and rows.loc["甲镇", "delta_share"] == 0.032  # 0.40 -> 0.432
    assert rows.loc["甲镇", "delta_covered"] == 32.0 and bool(rows.loc["甲镇", "changed"])
    assert rows.loc["甲镇", "base_flag_labels"] == "镇（街道）日间照料中心全覆盖" and rows.loc["甲镇", "other_flag_labels"] == ""
    assert rows.loc["乙镇", "delta_pp"] == 0.0 and not rows.loc["乙镇", "changed"]
    assert rows.loc[TOTAL_ROW, "delta_pp"] == pytest.approx(32 / 1500 * 100, abs=0.01)  # 合计 row: 500/1500 -> 532/1500
    assert rows.loc["甲镇", "type_label"] == "日间照料中心"


def test_cli_compare_gains_only_where_the_new_circle_reaches(compared, plan_file):
    raw = (compared / "comparison.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    table = pd.read_csv(compared / "comparison.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(table.columns) == CSV_HEADERS == list(ZH_COLUMNS.values())
    table["变化（百分点）"] = [pp(v) for v in table["变化（百分点）"]]
    for col in ("现状覆盖老人", "方案覆盖老人", "覆盖老人变化"):  # whole persons
        assert table[col].dtype.kind == "i", col
    project = load_project(plan_file)
    n_towns, n_classes = len(project.townships), len(registry().ids)
    assert len(table) == (n_towns + 1) * n_classes  # a 合计 row per class
    assert set(table["设施类型"]) == {registry().label(c) for c in registry().ids}

    changes = pyogrio.read_dataframe(compared / "changes.gpkg", layer="changes")
    assert changes.crs.to_epsg() == 4326
    assert {"type", "type_label", "change", "change_label", "area_ha"} <= set(changes.columns)
    assert set(changes["change"]) == {"gained"} and set(changes["change_label"]) == {"新增覆盖"}
    assert set(changes["type"]) == {"day_care"} and set(changes["type_label"]) == {"日间照料中心"}
    assert changes["area_ha"].sum() > 10

    # the townships the new centre's 15-minute circle newly reaches
    towns = project.townships.to_crs(4326)
    gained = changes.geometry.union_all()
    reached = set(towns.loc[towns.intersects(gained), "name"])
    assert TOWN in reached

    towns_rows = table[table["乡镇/街道"] != TOTAL_ROW]
    moved = towns_rows[(towns_rows["变化（百分点）"] != 0) | (towns_rows["覆盖老人变化"] != 0)]
    assert set(moved["设施类型"]) == {"日间照料中心"}  # day-care rows only
    assert (moved["变化（百分点）"] > 0).all() and (moved["覆盖老人变化"] > 0).all()
    assert TOWN in set(moved["乡镇/街道"]) and set(moved["乡镇/街道"]) <= reached
    total = table[(table["乡镇/街道"] == TOTAL_ROW) & (table["设施类型"] == "日间照料中心")].iloc[0]
    assert total["覆盖老人变化"] == moved["覆盖老人变化"].sum() and total["变化（百分点）"] > 0
    others = table[table["设施类型"] != "日间照料中心"]
    assert (others["变化（百分点）"].fillna(0) == 0).all() and (others["覆盖老人变化"] == 0).all()
    assert not [p for p in compared.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_cli_compare_bad_input_one_line(plan_file, tmp_path, capsys):
    capsys.readouterr()
    assert main(["compare", str(plan_file), "--scenario", "没有这个方案", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "没有这个方案" in err[0] and SCENARIO in err[0]
    assert main(["compare", str(tmp_path / "nope.ccproj"), "--scenario", SCENARIO, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not found" in err[0]
    assert main(["compare", str(plan_file), "--base", "无此基准", "--scenario", SCENARIO, "--out", str(tmp_path / "o")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_run_comparison_is_the_cli_table(comparison, compared):
    assert isinstance(comparison, Comparison) and isinstance(comparison.params, CompareParams)
    assert comparison.base == "现状" and comparison.other == SCENARIO and comparison.params.baseline == "现状"
    assert list(comparison.table.columns) == TABLE_COLUMNS
    csv = pd.read_csv(compared / "comparison.csv", encoding="utf-8-sig", keep_default_na=False)
    zh = comparison.frame_zh()
    assert list(zh.columns) == CSV_HEADERS
    assert list(csv["变化（百分点）"]) == list(zh["变化（百分点）"])
    assert [pp(v) for v in zh["变化（百分点）"]] == pytest.approx([round(v, 1) for v in comparison.table["delta_pp"]], abs=0.051)
    day = zh[(comparison.table["type"] == "day_care") & comparison.table["changed"]]
    assert len(day) and all(v.startswith("+") and v.endswith(" 百分点") for v in day["变化（百分点）"])
    changed = comparison.table[comparison.table["changed"]]
    assert set(changed["type"]) == {"day_care"} and (changed["delta_pp"] > 0).all()
    assert set(comparison.areas["change"]) == {"gained"}
    assert comparison.areas.crs.is_projected  # the map's CRS (the window shows it as a layer)


def test_unknown_scenario_and_cancel(comparison, plan_file):
    project = load_project(plan_file)
    frames = {project.plan.baseline: project.plan.frame(project.plan.baseline)}
    with pytest.raises(InputError, match="no scenario called"):
        run_comparison(project.inputs(network=build_network(project.roads)), frames, project.params(), base="现状", other="无")
    fb = Feedback()
    fb.cancel()
    with pytest.raises(AnalysisCancelled):
        run_comparison(project.inputs(network=build_network(project.roads)), {**frames, "x": frames["现状"]},
                       comparison.params.analysis, base="现状", other="x", feedback=fb)


def test_workbook_comparison_sheet(comparison, plan_file, tmp_path):
    from projects import report_tables as rt
    from spatial.analysis import run_analysis

    project = load_project(plan_file)
    project.plan.set_active(SCENARIO)
    result = run_analysis(project.inputs(), project.params(), facility_circles=False)
    facilities = project.plan.frame()
    path = rt.write_xlsx(tmp_path / "report.xlsx", result=result, facilities=facilities, title=project.title,
                         scenario=SCENARIO, comparison=comparison)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == rt.sheet_names(result, facilities, comparison=comparison)
    assert "方案对比" in wb.sheetnames and rt.sheet_names(result, facilities) == [s for s in wb.sheetnames if s != "方案对比"]
    ws = wb["方案对比"]
    assert [c.value for c in ws[1]] == CSV_HEADERS
    table = comparison.table
    for r, rec in enumerate(table.to_dict("records"), start=2):
        assert ws.cell(row=r, column=1).value == rec["township"]
        emphasised = ws.cell(row=r, column=5).font.b and ws.cell(row=r, column=5).fill.fill_type == "solid"
        assert bool(emphasised) == bool(rec["changed"]), rec
    assert ws.cell(row=2, column=3).number_format == "0.0%"
    # the change in 百分点 with its sign (a number, shown by the cell format), people whole persons, 合计 = sum
    fmt = ws.cell(row=2, column=5).number_format
    assert fmt.startswith('+0.0" 百分点"') and '-0.0" 百分点"' in fmt
    assert all(isinstance(ws.cell(row=r, column=5).value, (int, float)) for r in range(2, len(table) + 2))
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=len(table) + 1)]
    for row in rows:
        assert all(type(v) is int for v in row[5:8]), row
    for label in {r[1] for r in rows}:
        towns = [r for r in rows if r[1] == label and r[0] != TOTAL_ROW]
        (total,) = [r for r in rows if r[1] == label and r[0] == TOTAL_ROW]
        for c in (5, 6, 7):
            assert total[c] == sum(r[c] for r in towns), (label, c)
    notes = [c.value for c in ws["A"][len(table) + 2:] if c.value]
    assert notes[0] == "注：" and any("百分点" in n for n in notes) and any("最大余数法" in n for n in notes)


def test_compare_dialog_shows_and_exports(comparison, compared, qtbot, tmp_path, monkeypatch):
    from PySide6 import QtCore, QtWidgets

    from gui.editing import CompareDialog

    dialog = CompareDialog(None, comparison.table, base=comparison.base, other=comparison.other)
    qtbot.addWidget(dialog)
    n_towns = int((comparison.table["township"] != TOTAL_ROW).sum())
    assert dialog.model.rowCount() == n_towns and dialog.totals.rowCount() == len(registry().ids)
    headers = [dialog.model.headerData(i, QtCore.Qt.Orientation.Horizontal) for i in range(dialog.model.columnCount())]
    assert headers == CSV_HEADERS
    rows = [r for r in range(dialog.model.rowCount()) if dialog.model.change(r)]
    assert rows and all(dialog.model.raw(r, "type") == "day_care" for r in rows)
    idx = dialog.model.index(rows[0], 0)
    assert dialog.model.data(idx, QtCore.Qt.ItemDataRole.FontRole).bold()  # not colour alone
    assert dialog.model.data(idx, QtCore.Qt.ItemDataRole.BackgroundRole) is not None
    assert dialog.model.data(dialog.model.index(rows[0], 4)).startswith("+")
    still = next(r for r in range(dialog.model.rowCount()) if not dialog.model.change(r))
    assert dialog.model.data(dialog.model.index(still, 0), QtCore.Qt.ItemDataRole.FontRole) is None

    target = tmp_path / "导出" / "对比.csv"
    target.parent.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "CSV (*.csv)")))
    dialog.export_button.click()
    assert target.read_bytes() == (compared / "comparison.csv").read_bytes()  # the CLI's writer, the same bytes
    assert str(target) in dialog.status.text()
    via = write_comparison_csv(comparison, tmp_path / "again.csv")
    assert via.read_bytes() == target.read_bytes()


def test_pp_text():
    from projects.compare import pp_text

    assert pp_text(3.2) == "+3.2 百分点" and pp_text(-0.5) == "-0.5 百分点" and pp_text(0.0) == "0.0 百分点"
    assert pp_text(0.04) == "+0.04 百分点" and pp_text(float("nan")) == ""


def test_dialog_headers_match_the_csv():
    from gui.editing import COMPARE_COLUMNS
    from gui.i18n import CATALOGUE

    shown = {c: CATALOGUE[k][0] for c, k in COMPARE_COLUMNS.items()}
    assert [shown["type" if c == "type_label" else c] for c in ZH_COLUMNS] == list(ZH_COLUMNS.values())
