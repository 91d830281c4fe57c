"""Replacing an input layer of a project with scenarios: a re-read facility list keeps each plan scenario's own
changes where the facility is still listed (and reports the others), a table of township counts removes the
population points it replaces, and each layer's notes go with the layer. Every replacement undoes exactly."""
from dataclasses import replace
from pathlib import Path

import pyproj
import pytest

from layers.facilities import Facility, read_facilities
from projects.document import Document
from projects.inputs import read_population
from projects.plan import PlanModel, facilities_of

CRS = pyproj.CRS.from_epsg(4528)
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "projects" / "sample"


def fac(fid, name, beds=100, nursing=0, status="existing", x=0.0, y=0.0, type="nursing_home"):
    return Facility(fid, name, type, beds, nursing, status, x, y)


def snapshot(plan):
    return {name: dict(facs) for name, facs in plan.scenarios.items()}


# -- 1. the facility list replaces the baseline; the scenarios keep their own changes ------------------------

def test_a_resorted_list_without_ids_does_not_move_a_closure_to_another_facility(tmp_path):
    hdr = "名称,类型,经度,纬度,床位数\n"
    a = "九华镇敬老院,养老机构,120.511914,32.273401,80\n"
    b = "城北街道养老院,养老机构,120.641192,32.367531,337\n"
    c = "城南街道养老院,养老机构,120.624181,32.334142,462\n"
    (tmp_path / "v1.csv").write_text(hdr + a + b + c, encoding="utf-8")
    (tmp_path / "v2.csv").write_text(hdr + c + a + b, encoding="utf-8")  # the same list sorted otherwise
    plan = PlanModel.from_frame(read_facilities(tmp_path / "v1.csv"), crs=CRS)
    closed = next(f for f in plan.facilities.values() if f.name == "九华镇敬老院").fid
    plan.add_scenario("方案A")
    plan.set_active("方案A")
    plan.set_attributes(closed, status="to_close")
    planned = replace(plan.facility(closed), fid=plan.new_fid(), name="新建中心养老院", beds=500, status="planned")
    plan.add_facility(planned)
    before = snapshot(plan)
    old, report = plan.replace_baseline(facilities_of(read_facilities(tmp_path / "v2.csv"), crs=CRS))
    sc = plan.scenarios["方案A"]
    assert not [f for f in sc.values() if f.status == "to_close"]  # 城南 (462 beds) is not closed in its place
    assert {f.name: f.beds for f in sc.values() if f.status == "existing"} == {"九华镇敬老院": 80, "城北街道养老院": 337, "城南街道养老院": 462}
    assert sc[planned.fid] == planned
    assert report == ["scenario 方案A: 1 change to facilities no longer in the list (same id, class and name) was dropped "
                      "(九华镇敬老院 closure)"]
    plan.restore_scenarios(old)
    assert snapshot(plan) == before


def test_edits_to_facilities_still_listed_are_reapplied_and_the_others_reported():
    base = [fac("YL001", "甲敬老院", 100, 20), fac("YL002", "乙敬老院", 80, x=50.0), fac("YL003", "丙敬老院", 60, x=90.0),
            fac("YL004", "丁敬老院1号", 40, x=120.0)]
    plan = PlanModel(CRS, base)
    plan.add_scenario("2025规划")
    plan.set_active("2025规划")
    plan.set_attributes("YL001", beds=300, nursing_beds=200)  # 改扩建
    plan.move_facility("YL001", 10.0, 10.0)
    plan.remove_facility("YL002")  # merged away
    plan.set_attributes("YL003", status="to_close")
    plan.set_attributes("YL004", beds=90)
    before = snapshot(plan)
    # the same list re-imported: every change stays
    old, report = plan.replace_baseline(base)
    assert plan.scenarios["2025规划"] == before["2025规划"] and report == []
    assert plan.scenarios["现状"] == {f.fid: f for f in base}
    plan.restore_scenarios(old)
    assert snapshot(plan) == before
    # a newer list: 甲 has 120 beds now (the plan's 300 are kept, said so), 乙 is gone, YL003 is another home
    # (its closure must not close it), 丁 is written with a full-width digit (NFKC: still the same facility)
    newer = [fac("YL001", "甲敬老院", 120, 20), fac("YL003", "新建丙养老院", 60, x=90.0), fac("YL004", "丁敬老院１号", 40, x=120.0),
             fac("YL005", "戊敬老院", 30, x=200.0)]
    old, report = plan.replace_baseline(newer)
    sc = plan.scenarios["2025规划"]
    assert sc["YL001"] == fac("YL001", "甲敬老院", 300, 200, x=10.0, y=10.0)
    assert "YL002" not in sc
    assert sc["YL003"].status == "existing" and sc["YL003"].name == "新建丙养老院"
    assert sc["YL004"].beds == 90 and sc["YL004"].name == "丁敬老院１号"  # other fields from the new list
    assert sc["YL005"] == newer[-1]
    assert report == [
        "scenario 2025规划: 2 changes to facilities no longer in the list (same id, class and name) were dropped "
        "(乙敬老院 removal, 丙敬老院 closure)",
        "scenario 2025规划: 1 planned change kept over the new list's values (甲敬老院 beds 300 (the new list: beds 120))",
    ]
    plan.restore_scenarios(old)
    assert snapshot(plan) == before


def test_a_removal_is_reapplied_and_a_change_that_no_longer_fits_is_dropped():
    base = [fac("F1", "甲敬老院", 100, 0), fac("F2", "乙敬老院", 80, x=50.0)]
    plan = PlanModel(CRS, base)
    plan.add_scenario("B")
    plan.set_active("B")
    plan.remove_facility("F2")
    plan.set_attributes("F1", beds=50)
    old, report = plan.replace_baseline([fac("F1", "甲敬老院", 100, 80), fac("F2", "乙敬老院", 90, x=50.0)])
    assert list(plan.scenarios["B"]) == ["F1"]
    assert plan.scenarios["B"]["F1"].beds == 100  # 50 beds cannot hold the new list's 80 nursing beds
    assert len(report) == 1 and report[0].startswith("scenario B: 1 change") and "甲敬老院 beds 50 (" in report[0]


def test_an_id_clash_renames_a_planned_facility_alike_in_every_scenario():
    base = [fac("F1", "甲敬老院")]
    plan = PlanModel(CRS, base)
    plan.add_scenario("A")
    plan.set_active("A")
    planned = fac(plan.new_fid(), "新建养老院", 300, status="planned", x=10.0, y=10.0)
    plan.add_facility(planned)
    plan.add_scenario("B", copy_of="A")  # B builds on A: the same planned facility
    before = snapshot(plan)
    new = base + [fac("P0001", "乙敬老院", 50, x=5.0, y=5.0)]  # the bureau's list uses P-numbers too
    old, report = plan.replace_baseline(new)
    a, b = plan.scenarios["A"], plan.scenarios["B"]
    assert a == b and a["P0001"].name == "乙敬老院"
    (key,) = [fid for fid, f in a.items() if f.name == "新建养老院"]
    assert key not in ("P0001", "F1") and a[key] == replace(planned, fid=key)
    assert report == [f"planned facility 新建养老院 now has id {key}: the new list uses P0001 for 乙敬老院"]
    plan.restore_scenarios(old)
    assert snapshot(plan) == before
    assert plan.replace_baseline(new)[0] == before and plan.scenarios["A"] == a  # a redo gives the same ids


def test_planned_facilities_of_the_old_list_stay_in_the_plan_unless_the_new_list_has_them():
    base = [fac("F1", "甲敬老院"), fac("F2", "规划乙中心", 50, status="planned", x=9.0), fac("F3", "规划丙中心", 40, status="planned")]
    plan = PlanModel(CRS, base)
    plan.add_scenario("A")
    plan.set_active("A")
    plan.set_attributes("F2", beds=70)
    # a list of what exists: 丙 is now built and listed under another id (a row number), 乙 is not listed
    old, report = plan.replace_baseline([fac("F1", "甲敬老院"), fac("F2", "规划丙中心", 40, status="existing")])
    sc = plan.scenarios["A"]
    assert [(f.name, f.beds, f.status) for f in sc.values()] == [
        ("甲敬老院", 100, "existing"), ("规划丙中心", 40, "existing"), ("规划乙中心", 70, "planned")]  # counted once
    assert report == [f"1 planned facility of the old list is not in the new one; the plan scenarios keep it (规划乙中心)",
                      f"planned facility 规划乙中心 now has id {next(k for k, f in sc.items() if f.name == '规划乙中心')}: "
                      "the new list uses F2 for 规划丙中心"]


def test_the_document_reports_in_the_notes_and_undo_restores_exactly():
    doc = Document.from_sample()
    plan = doc.plan
    doc.use_scenario("2025规划")
    sc = plan.scenarios["2025规划"]
    first, second = [fid for fid, f in sc.items() if f.status == "existing" and f.beds > 10][:2]
    doc.set_attributes(first, beds=sc[first].beds + 100)
    doc.set_attributes(second, status="to_close")
    before, notes_before = snapshot(plan), list(doc.project.notes)
    base = plan.frame(plan.baseline).set_index("fid", drop=False)
    newer = base.drop(index=second).to_crs("EPSG:4326")  # the closed one is gone from the newer list
    token = doc.replace_layer("facilities", newer)
    sc = plan.scenarios["2025规划"]
    kept = before["2025规划"][first]
    assert sc[first].beds == kept.beds and sc[first].status == kept.status and second not in sc
    assert (sc[first].x, sc[first].y) == pytest.approx((kept.x, kept.y))  # the new list's, round-tripped
    assert [n for n in doc.project.notes if n.startswith("scenario 2025规划")] == [
        f"scenario 2025规划: 1 change to facilities no longer in the list (same id, class and name) was dropped "
        f"({before['现状'][second].name} closure)"]
    assert doc.layer_notes["facilities"] == doc.project.notes
    doc.restore_layer(token)
    assert snapshot(plan) == before and doc.project.notes == notes_before


# -- 2. a table of township counts replaces the population points too ---------------------------------------

def test_a_township_count_table_removes_the_population_points_in_the_same_step(tmp_path):
    doc = Document.from_sample()
    p = doc.project
    towns, points = p.townships, p.population
    assert points is not None and len(points)
    table = tmp_path / "new_counts.csv"
    table.write_text("乡镇,老年人口\n" + "".join(f"{n},{int(2 * e)}\n" for n, e in zip(towns.name, towns.elderly)), encoding="utf-8")
    new_towns, pts = read_population(table, townships=towns)
    assert pts is None
    events = []
    doc.subscribe(lambda e, payload: events.append((e, payload)))
    token = doc.replace_layer("population_counts", new_towns)
    assert p.population is None and list(p.townships.elderly) == list(new_towns.elderly)
    assert [e for e in events if e[0] == "layer_replaced"] == [("layer_replaced", "townships"), ("layer_replaced", "population")]
    assert doc.layer_notes["population"] == [
        f"the table of township elderly counts replaced the population layer ({len(points):,} points removed): "
        f"the elderly are now counted per township"]
    assert doc.result.model.demand.township_total.sum() == pytest.approx(new_towns.elderly.sum())  # the table counts
    doc.restore_layer(token)
    assert p.population is points and p.townships is towns and p.notes == []
    # the keyword form does the same; without points nothing else changes
    token = doc.replace_layer("townships", new_towns, drop_population=True)
    assert p.population is None
    doc.restore_layer(token)
    assert p.population is points
    with pytest.raises(ValueError):
        doc.replace_layer("roads", p.roads, drop_population=True)


# -- 3. notes go with their layer ------------------------------------------------------------------------

GCJ = ("the facilities sit 480 m (median) from the nearest road as read (WGS 84); read as GCJ-02 they sit 12 m away: "
       "the list is probably in GCJ-02 — use --crs facilities=gcj02 (or choose it in the import dialog)")


def test_replacing_a_layer_replaces_its_notes_and_undo_puts_them_back():
    doc = Document.from_sample()
    p = doc.project
    loaded = [GCJ, "facilities.csv: 3 facilities are listed twice, counted once", "villages.gpkg: 2 villages without a name",
              "roads.gpkg: 5 roads without a class"]
    p.notes = list(loaded)  # as loaded from a project file: of no known layer
    # a corrected facility list: its old notes (the GCJ-02 suggestion, those naming its file) go; the others stay
    fixed = read_facilities(SAMPLE / "facilities.csv", crs="gcj02")
    token = doc.replace_layer("facilities", fixed, notes=["设施清单.csv: 1 row without beds, read as 0"], facilities_crs="gcj02")
    assert p.notes == ["villages.gpkg: 2 villages without a name", "roads.gpkg: 5 roads without a class",
                       "设施清单.csv: 1 row without beds, read as 0"]
    assert doc.layer_notes["facilities"] == ["设施清单.csv: 1 row without beds, read as 0"]
    # villages.gpkg holds both the population and the communities: replacing one keeps the file's notes
    token2 = doc.replace_layer("communities", p.communities, notes=["社区.gpkg: read in GBK"])
    assert "villages.gpkg: 2 villages without a name" in p.notes and "社区.gpkg: read in GBK" in p.notes
    token3 = doc.replace_layer("communities", p.communities, notes=[])
    assert "社区.gpkg: read in GBK" not in p.notes
    for t in (token3, token2, token):
        doc.restore_layer(t)
    assert p.notes == loaded


def test_the_gcj02_suggestion_follows_the_roads_and_the_facilities():
    from layers.gcj02 import wgs84_to_gcj02
    import geopandas as gpd

    doc = Document.from_sample()
    p = doc.project
    right = read_facilities(SAMPLE / "facilities.csv", crs="gcj02")
    lon, lat = wgs84_to_gcj02(right.geometry.x.to_numpy(), right.geometry.y.to_numpy())
    shifted = right.set_geometry(gpd.points_from_xy(lon, lat, crs="EPSG:4326"))  # GCJ-02 read as WGS 84
    t1 = doc.replace_layer("facilities", shifted, notes=[GCJ])  # the worker's line is recomputed, not doubled
    p.imports.pop("facilities")  # as the window records it: read as given (WGS 84)
    (line,) = doc.layer_notes["facilities"]
    assert "use --crs facilities=gcj02" in line and line in p.notes
    t2 = doc.replace_layer("townships", p.townships, notes=[GCJ, "the townships lie outside China (around x)"])
    assert doc.layer_notes["facilities"] == [line] and doc.layer_notes["townships"] == ["the townships lie outside China (around x)"]
    t3 = doc.replace_layer("roads", p.roads, network=doc.network)  # recomputed with the new roads: still shifted
    assert doc.layer_notes["facilities"] == [line]
    t4 = doc.replace_layer("facilities", right, facilities_crs="gcj02")  # the corrected list: no suggestion
    p.imports["facilities"] = {"crs": "gcj02"}
    assert not any("use --crs" in n for n in p.notes)
    for t in (t4, t3, t2, t1):
        doc.restore_layer(t)
    assert p.notes == []


def test_notes_set_on_the_project_directly_are_kept_as_of_no_layer():
    doc = Document.from_sample()
    doc.project.notes.append("a planner's own line")
    token = doc.replace_layer("communities", doc.project.communities, notes=["社区: x"])
    assert doc.project.notes == ["a planner's own line", "社区: x"] and doc.layer_notes[""] == ["a planner's own line"]
    doc.restore_layer(token)
    assert doc.project.notes == ["a planner's own line"]


# -- the window: a population table asks first and removes the points in one undo step -------------------------

def test_window_population_table_removes_the_points_and_undoes(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("pytestqt")
    from PySide6 import QtWidgets

    from gui.i18n import set_language
    from sample_window import open_sample_window

    set_language("zh")
    win = open_sample_window(qtbot, show=False, timeout_ms=60_000)
    win.wait_idle()
    qtbot.waitUntil(lambda: win.task is None, timeout=60_000)
    p = win.project
    points, towns = p.population, p.townships
    n = len(points)
    table = tmp_path / "乡镇老年人口.csv"
    table.write_text("乡镇,老年人口\n" + "".join(f"{t},{int(2 * e)}\n" for t, e in zip(towns.name, towns.elderly)), encoding="utf-8")
    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        staticmethod(lambda *a, **k: asked.append(a[2]) or QtWidgets.QMessageBox.StandardButton.Yes))
    steps = win.undo_stack.count()
    with qtbot.waitSignal(win.layerReplaced, timeout=60_000):
        win.load_layer_file("population", table)
    qtbot.waitUntil(lambda: win.task is None, timeout=60_000)
    assert len(asked) == 1 and f"{n} 个人口点将被移除" in asked[0]
    assert p.population is None
    assert p.townships.elderly.sum() == pytest.approx(sum(int(2 * e) for e in towns.elderly))
    assert win.workspace.layer("population") is None
    assert win.undo_stack.count() == steps + 1 and p.sources["population"].endswith("乡镇老年人口.csv")
    assert any("points removed" in line for line in p.notes)
    win.undo_stack.undo()
    assert p.population is points and p.townships is towns
    assert win.workspace.layer("population") is not None and not any("points removed" in line for line in p.notes)
    win.wait_idle()
