"""新建项目 and layer replacement in the real window: the import dialog with a planner's awkward files (a GBK
shapefile without .prj in CGCS2000 Gauss-Krüger with the zone number, a facility list in Baidu BD-09), the
same choices on the command line giving the same coverage, refusal of layers that do not overlap, replacing
the facility list of a plan with scenarios (asked first, undoable), and the 提示与警告 dock."""
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtWidgets  # noqa: E402

from gui.cli import main as cli_main  # noqa: E402
from gui.i18n import set_language, tr  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402
from projects.inputs import LayerOptions  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "projects" / "sample"
OSM_FUJIAN = ROOT / "tests" / "data" / "layers" / "osm_ninghua_fujian.osm"
MS = 60_000
Yes = QtWidgets.QMessageBox.StandardButton.Yes
No = QtWidgets.QMessageBox.StandardButton.No
Discard = QtWidgets.QMessageBox.StandardButton.Discard


# -- fixtures: a planner's files, made from the bundled sample ---------------------------------------
#: three urban streets of the sample county (the whole county would make each analysis several times slower)
STREETS = ("如城街道", "城北街道", "城南街道")


@pytest.fixture
def planner_files(tmp_path) -> dict:
    """Townships as a GBK shapefile in CGCS2000 3-degree GK zone 40 with the zone number (EPSG:4528), no .prj
    and no .cpg; the facilities in and near them as a table in Baidu BD-09 (the sample's list is GCJ-02)."""
    from layers.gcj02 import gcj02_to_bd09, gcj02_to_wgs84

    towns = gpd.read_file(SAMPLE / "townships.gpkg")
    towns = towns[towns["name"].isin(STREETS)].to_crs(4528)
    shp = tmp_path / "乡镇边界.shp"
    pyogrio.write_dataframe(towns, shp, encoding="gb18030")
    for suffix in (".cpg", ".prj"):
        shp.with_suffix(suffix).unlink(missing_ok=True)
    assert not shp.with_suffix(".prj").exists() and not shp.with_suffix(".cpg").exists()
    table = pd.read_csv(SAMPLE / "facilities.csv", encoding="utf-8-sig", dtype={"编号": str})
    gx, gy = table["经度"].to_numpy(float), table["纬度"].to_numpy(float)
    pts = gpd.GeoSeries(gpd.points_from_xy(*gcj02_to_wgs84(gx, gy)), crs=4326).to_crs(4528)
    table = table[pts.within(towns.union_all().buffer(500)).to_numpy()].copy()
    lon, lat = gcj02_to_bd09(table["经度"].to_numpy(float), table["纬度"].to_numpy(float))
    table["经度"], table["纬度"] = np.round(lon, 7), np.round(lat, 7)
    csv = tmp_path / "养老设施_百度坐标.csv"
    table.to_csv(csv, index=False, encoding="utf-8-sig")
    return {"roads": SAMPLE / "roads.gpkg", "townships": shp, "facilities": csv, "n_facilities": len(table)}


@pytest.fixture
def win(qtbot):
    set_language("zh")
    w = MainWindow()
    qtbot.addWidget(w)
    w.ask_save_changes = lambda: Discard  # teardown closes the window without asking
    w.ask_restore = lambda when: False
    w.show()
    yield w
    w.wait_idle()


def open_sample(win, qtbot):
    with qtbot.waitSignal(win.inputsLoaded, timeout=MS):
        win.open_sample()
    win.wait_idle()
    qtbot.waitUntil(lambda: win.task is None, timeout=MS)
    return win


def analyse(win, qtbot):
    qtbot.waitUntil(lambda: win.task is None, timeout=MS)
    with qtbot.waitSignal(win.analysisFinished, timeout=MS):
        win.run_analysis()
    return win


def previews_done(dialog, qtbot):
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=MS)


# -- (a) a new project from the planner's files, the same as on the command line ------------------------

def import_project(win, qtbot, files: dict) -> list[str]:
    """Drive 新建项目 with the planner's files, fixing what the dialog does not find by itself; returns the
    same choices as command-line options."""
    dialog = win.new_project()
    assert win.import_dialog is dialog and dialog.isVisible()
    assert dialog.profile == "rugao-2022" and dialog.snap_m == 0.5
    dialog.title = "如皋（导入测试）"
    dialog.set_file("roads", files["roads"])
    dialog.set_file("townships", files["townships"])
    dialog.set_file("facilities", files["facilities"])
    previews_done(dialog, qtbot)
    argv = []
    towns = dialog.preview("townships")
    if "4528" not in towns.crs_label:  # not inferred from the coordinates: the planner states it
        dialog.set_crs("townships", "EPSG:4528")
        argv += ["--crs", "townships=EPSG:4528"]
        previews_done(dialog, qtbot)
        towns = dialog.preview("townships")
    assert towns.ok, towns.error
    assert "4528" in towns.crs_label and towns.features == len(STREETS)
    if set(towns.frame["name"]) != set(STREETS):  # GBK not detected: the planner picks it
        dialog.set_encoding("townships", "gbk")
        argv += ["--encoding", "townships=gbk"]
        previews_done(dialog, qtbot)
        towns = dialog.preview("townships")
    assert set(towns.frame["name"]) == set(STREETS)
    assert towns.columns["name"] == "name" and towns.columns["elderly"] == "elderly"
    dialog.set_crs("facilities", "bd09")
    argv += ["--crs", "facilities=bd09"]
    previews_done(dialog, qtbot)
    fac = dialog.preview("facilities")
    assert fac.ok, fac.error
    assert fac.features == files["n_facilities"] and "BD-09" in fac.crs_label
    assert fac.columns["beds"] == "床位数" and fac.columns["lon"] == "经度"
    assert dialog.options()["facilities"].crs == "bd09"
    assert dialog.sources().options["facilities"].crs == "bd09"
    # the overview lists every layer with its file, CRS and mapped columns
    overview = {dialog.overview.item(r, 0).text(): [dialog.overview.item(r, c).text() for c in range(6)]
                for r in range(dialog.overview.rowCount())}
    assert set(overview) == {"步行道路网络", "乡镇/街道边界", "老年人口", "社区/村", "养老设施", "离线底图"}
    assert overview["养老设施"][1] == files["facilities"].name and "BD-09" in overview["养老设施"][2]
    assert "床位数←床位数" in overview["养老设施"][4]
    assert "第40带" in overview["乡镇/街道边界"][2]
    with qtbot.waitSignal(win.inputsLoaded, timeout=MS):
        dialog.ok_button.click()
    return argv


def test_new_project_dialog_matches_cli(win, qtbot, tmp_path, planner_files):
    files = planner_files
    choices = import_project(win, qtbot, files)
    project = win.project
    assert project.title == "如皋（导入测试）"
    assert project.imports["facilities"] == {"crs": "bd09"}
    assert project.settings.snap_m == 0.5
    assert project.settings.profile.name == "rugao-2022"
    assert len(project.plan.facilities) == files["n_facilities"] and len(project.townships) == len(STREETS)
    assert win.isWindowModified()  # a new project is not saved anywhere yet
    assert win.import_dialog is None
    analyse(win, qtbot)
    result = win.current_result()

    # the same files and choices on the command line
    argv = ["new", str(tmp_path / "p.ccproj"), "--roads", str(files["roads"]), "--townships", str(files["townships"]),
            "--facilities", str(files["facilities"]), *choices, "--quiet"]
    assert cli_main(argv) == 0
    assert cli_main(["analyze", str(tmp_path / "p.ccproj"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    cli = pd.read_csv(tmp_path / "out" / "coverage.csv", encoding="utf-8-sig")
    gui = result.coverage_frame()
    assert list(cli.columns) == list(gui.columns) and len(cli) == len(gui) > len(STREETS)
    key = ["township", "type"]
    merged = cli.merge(gui, on=key, suffixes=("_cli", "_gui"))
    assert len(merged) == len(gui)
    for col in gui.columns:
        if col in key:
            continue
        a, b = merged[f"{col}_cli"], merged[f"{col}_gui"]
        if pd.api.types.is_numeric_dtype(b) and pd.api.types.is_numeric_dtype(a):
            assert np.allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True), col
        else:
            assert (a.astype(object).fillna("").astype(str) == b.astype(object).fillna("").astype(str)).all(), col


def test_dialog_refuses_layers_that_do_not_overlap(win, qtbot):
    open_sample(win, qtbot)
    project, doc, net = win.project, win.doc, win.workspace.network
    layers = [lyr.id for lyr in win.workspace.layers]
    dialog = win.new_project()
    dialog.set_file("roads", OSM_FUJIAN)  # roads in Fujian, townships and facilities in Jiangsu
    dialog.set_file("townships", SAMPLE / "townships.gpkg")
    dialog.set_file("facilities", SAMPLE / "facilities.csv")
    dialog.set_crs("facilities", "gcj02")
    previews_done(dialog, qtbot)
    assert dialog.preview("roads").ok and dialog.preview("roads").features > 0
    with qtbot.waitSignal(dialog.errorShown, timeout=MS) as sig:
        dialog.ok_button.click()
    message = sig.args[0]
    assert "osm_ninghua_fujian.osm" in message
    box = dialog.last_error_dialog
    assert box.isVisible() and "osm_ninghua_fujian.osm" in box.text()
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=MS)
    # nothing open was replaced, and the dialog stays open for the planner to fix the choice
    assert win.project is project and win.doc is doc and win.workspace.network is net
    assert [lyr.id for lyr in win.workspace.layers] == layers
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    box.accept()
    dialog.reject()


# -- (b) replacing the facility list of a plan with scenarios --------------------------------------------

def test_replace_facilities_keeps_scenarios_and_undoes(win, qtbot, tmp_path, monkeypatch):
    open_sample(win, qtbot)
    baseline = win.plan.baseline
    old_fids = set(win.plan.scenarios[baseline])
    scenarios = {*win.plan.scenarios, "2026年方案"}
    assert win.new_scenario("2026年方案") == "2026年方案"
    x, y = next(iter(win.plan.facilities.values())).x + 500.0, next(iter(win.plan.facilities.values())).y
    planned = win.add_facility_at(x, y, name="新建日间照料中心", type="day_care")
    assert win.plan.facility(planned).status == "planned"
    steps = win.undo_stack.count()
    old_record = (win.project.sources.get("facilities"), win.project.imports.get("facilities"))
    # a shorter list of what exists: the first ten facilities closed down and gone from the list
    table = pd.read_csv(SAMPLE / "facilities.csv", encoding="utf-8-sig", dtype={"编号": str})
    gone = set(table["编号"].iloc[:10])
    path = tmp_path / "设施清单_2025.csv"
    table.iloc[10:].to_csv(path, index=False, encoding="utf-8-sig")

    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(lambda *a, **k: asked.append(a[2]) or Yes))
    dialog = win.open_layer_dialog("facilities")
    assert dialog.overview.isHidden() and dialog.windowTitle().endswith("养老设施")
    dialog.set_file("facilities", path)
    dialog.set_crs("facilities", "gcj02")
    previews_done(dialog, qtbot)
    assert dialog.preview("facilities").ok and dialog.preview("facilities").features == 219
    with qtbot.waitSignal(win.layerReplaced, timeout=MS) as sig:
        dialog.ok_button.click()
    assert sig.args == ["facilities"]
    assert asked == [tr("replace.facilities_keep_ask")]
    plan = win.plan
    assert set(plan.scenarios) == scenarios and plan.active == "2026年方案"
    assert set(plan.scenarios[baseline]) == old_fids - gone
    assert planned in plan.scenarios["2026年方案"] and plan.scenarios["2026年方案"][planned].name == "新建日间照料中心"
    assert win.undo_stack.count() == steps + 1  # the history is kept, the replacement is one more step
    assert win.project.sources["facilities"].endswith("设施清单_2025.csv")
    assert win.project.imports["facilities"] == {"crs": "gcj02"}
    assert len(win.workspace.layer("facilities").frame) == len(plan.scenarios["2026年方案"])
    win.undo_stack.undo()
    assert set(win.plan.scenarios[baseline]) == old_fids
    assert planned in win.plan.scenarios["2026年方案"]
    assert (win.project.sources.get("facilities"), win.project.imports.get("facilities")) == old_record
    win.undo_stack.undo()  # and the history before it still undoes
    assert planned not in win.plan.scenarios["2026年方案"]
    win.undo_stack.redo()
    win.undo_stack.redo()
    assert set(win.plan.scenarios[baseline]) == old_fids - gone and planned in win.plan.scenarios["2026年方案"]
    win.undo_stack.undo()

    # answering No changes nothing
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(lambda *a, **k: No))
    count, index = win.undo_stack.count(), win.undo_stack.index()
    qtbot.waitUntil(lambda: win.task is None, timeout=MS)
    task = win.load_layer_file("facilities", path, facilities_crs="gcj02")
    assert task is not None
    qtbot.waitUntil(lambda: win.task is None, timeout=MS)
    assert set(win.plan.scenarios[baseline]) == old_fids
    assert (win.undo_stack.count(), win.undo_stack.index()) == (count, index)


def test_replace_townships_then_refuse_roads_that_do_not_overlap(win, qtbot, monkeypatch):
    open_sample(win, qtbot)
    assert len(win.plan.scenarios) > 1  # the sample has a plan scenario: replacing asks first
    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(lambda *a, **k: asked.append(a[2]) or Yes))
    scenarios = dict(win.plan.scenarios)
    towns_before = win.project.townships
    with qtbot.waitSignal(win.layerReplaced, timeout=MS) as sig:
        win.load_layer_file("townships", SAMPLE / "townships.gpkg")
    assert sig.args == ["townships"]
    assert asked == ["替换“乡镇/街道边界”图层？各规划方案和编辑历史均保留，可撤销"]
    assert win.project.townships is not towns_before and len(win.project.townships) == 14
    assert win.plan.scenarios == scenarios
    assert win.undo_stack.count() == 1 and win.undo_stack.undoText() == "替换图层：乡镇/街道边界"
    qtbot.waitUntil(lambda: win.task is None, timeout=MS)
    # roads in Fujian do not lie over the townships: refused before anything is replaced (nor asked)
    roads, net = win.project.roads, win.doc.network
    with qtbot.waitSignal(win.errorShown, timeout=MS) as sig:
        win.load_layer_file("roads", OSM_FUJIAN)
    assert "osm_ninghua_fujian.osm" in sig.args[0]
    assert win.project.roads is roads and win.doc.network is net and win.undo_stack.count() == 1
    assert len(asked) == 1
    win.last_error_dialog.accept()
    win.undo_stack.undo()
    assert win.project.townships is towns_before


# -- (c) the warnings dock ------------------------------------------------------------------------------

def test_warnings_dock_shows_the_results_warnings(win, qtbot, planner_files, tmp_path, monkeypatch):
    import_project(win, qtbot, planner_files)
    panel = win.warnings_panel
    assert panel.count() == 0 and panel.empty.isVisibleTo(panel)
    assert win.docks["dock.warnings"].windowTitle() == "提示与警告"
    analyse(win, qtbot)
    result = win.current_result()
    assert result.warnings, "the sample's analysis gives warnings (road islands at least)"
    assert panel.count() == len(result.warnings)
    assert win.docks["dock.warnings"].windowTitle() == f"提示与警告（{len(result.warnings)}）"
    tips = [panel.lines.item(i).toolTip() for i in range(panel.count())]
    assert tips == list(result.warnings)  # the analysis' own lines, in order
    islands = [i for i, w in enumerate(result.warnings) if "islands (fragments" in w]
    if islands:
        assert panel.line_texts()[islands[0]].startswith("路网有")
    # what reading found is among them, in Chinese
    assert "乡镇边界.shp：缺少 .prj 坐标系文件，按坐标推断为 CGCS2000 3度带高斯投影 第40带 (EPSG:4528)" in panel.line_texts()
    details = result.warning_details
    assert panel.detail_count() == (0 if details is None else len(details))
    for header in ("问题", "设施编号", "设施名称", "设施类型", "床位数", "经度", "纬度", "说明"):
        assert header in [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    if panel.detail_count():
        rec = panel.detail_record(0)
        assert rec["facility_id"] in set(details["facility_id"].astype(str))
        before = win.canvas.current_bounds()
        panel.table.cellDoubleClicked.emit(0, 1)
        assert win.canvas.current_bounds() != before
        assert win.canvas.highlight is not None
    # the english UI shows the same lines as written
    set_language("en")
    try:
        win.retranslate()
        assert panel.line_texts() == list(result.warnings)
        assert win.docks["dock.warnings"].windowTitle() == f"Notes and warnings ({len(result.warnings)})"
    finally:
        set_language("zh")
        win.retranslate()
    # an edit's quick result keeps the panel current (the panel reads the window's result)
    fid, fac = next(iter(win.plan.facilities.items()))
    with qtbot.waitSignal(win.planChanged, timeout=MS):
        win.move_facility_to(fid, fac.x + 50.0, fac.y)
    assert panel.count() == len(win.workspace.result.warnings)
    # a replaced facility list (one step more in the history: asked first) is analysed again at once
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(lambda *a, **k: Yes))
    table = pd.read_csv(planner_files["facilities"], encoding="utf-8-sig", dtype={"编号": str})
    shorter = tmp_path / "设施清单_少五处.csv"
    table.iloc[5:].to_csv(shorter, index=False, encoding="utf-8-sig")
    with qtbot.waitSignal(win.layerReplaced, timeout=MS):
        win.load_layer_file("facilities", shorter, options=LayerOptions(crs="bd09"))
    assert panel.count() == 0 and win.workspace.result is None  # the old result is gone with the old list
    qtbot.waitUntil(lambda: win.workspace.result is not None and win.task is None, timeout=MS)
    assert len(win.plan.facilities) == len(table) - 5
    assert panel.count() == len(win.current_result().warnings) > 0
    counts = win.current_result().coverage_frame().groupby("type")["facilities"].sum()
    assert counts.sum() < result.coverage_frame().groupby("type")["facilities"].sum().sum()
    win.undo_stack.undo()
    assert len(win.plan.facilities) == len(table)
    win.cancel_task()  # the analysis of the undone state need not finish here
