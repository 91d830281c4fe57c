"""Named gaps: per facility class, the communities and villages outside its circle, with their elderly, the
nearest counted facility and the walk to it — on a hand network whose answers are worked out below, then on
the bundled sample (``gaps.csv``, the model's own coverage test, an independent search, live edits).

Hand network (6 km/h = 100 m/min; coverage 2 minutes = 200 m)::

    (0,0) —100— (100,0) — ... —100— (2000,0)          (5000,0) —100— (5100,0)  (island)

day care F0 at (50, 10): edge 0–100, offset 50, access 10 m; day care F1 at (1500, 0): on a node.
meal point M0 at (1250, 150): edge 1200–1300, offset 50, access 150 m.
"""
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from projects.outputs import GAPS_CSV_COLUMNS, NO_FACILITY, UNREACHABLE, named_gaps_table, write_analysis
from spatial.analysis import NAMED_GAP_COLUMNS, AnalysisInputs, AnalysisParams, AnalysisResult, CoverageModel, run_analysis
from spatial.coverage import chains_of, nearest_sources, points_covered
from spatial.isochrones import reach_from
from spatial.network import Snap, build_network
from spatial.targets import StandardProfile

CRS = "EPSG:32651"
ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PROJECT = ROOT / "projects" / "sample.ccproj"

#: name, kind, elderly (NaN: the layer gives none), position
COMMUNITIES = [
    ("甲社区", "urban", 100.0, (150, 20)),   # 20 + 50 + 50 + 10 = 130 m from F0: covered
    ("乙村", "village", 50.0, (700, 30)),     # F0: 30 + 650 + 10 = 690; F1: 30 + 800 = 830 -> F0, 690 m
    ("丙社区", "urban", 300.0, (1000, 0)),   # F0: 950 + 10 = 960; F1: 500 -> F1, 500 m
    ("丁村", "village", 20.0, (5050, 0)),     # on the island: no facility reachable
    ("戊村", "village", math.nan, (1800, 0)),  # F1: 300 m; its elderly unknown (stays unknown, sorted last)
    ("庚社区", "urban", 10.0, (1290, 100)),  # F1: 100 + 210 = 310; M0 on its own edge: 100 + 40 + 150 = 290
]


@pytest.fixture
def hand():
    coords = [(x, 0) for x in range(0, 2001, 100)]
    lines = gpd.GeoDataFrame(geometry=[LineString(coords), LineString([(5000, 0), (5100, 0)])], crs=CRS)
    net = build_network(lines)
    towns = gpd.GeoDataFrame({"name": ["甲镇", "乙镇"], "elderly": [400.0, 200.0]},
                             geometry=[box(-50, -200, 1100, 200), box(1100, -200, 5200, 200)], crs=CRS)
    com = gpd.GeoDataFrame({"name": [c[0] for c in COMMUNITIES], "kind": [c[1] for c in COMMUNITIES],
                            "elderly": [c[2] for c in COMMUNITIES]},
                           geometry=[Point(c[3]) for c in COMMUNITIES], crs=CRS)
    fac = gpd.GeoDataFrame(
        {"fid": ["F0", "F1", "M0"], "name": ["西日照", "东日照", "助餐点"], "type": ["day_care", "day_care", "meal_point"],
         "beds": [0, 0, 0], "nursing_beds": [0, 0, 0], "status": ["existing"] * 3},
        geometry=[Point(50, 10), Point(1500, 0), Point(1250, 150)], crs=CRS)
    params = AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=2.0), minutes=(1.0, 2.0), speed_kmh=6.0)
    return AnalysisInputs(network=net, townships=towns, facilities=fac, communities=com), params


def _model(inputs, params):
    model = CoverageModel(inputs, params)
    model.load_facilities(inputs.facilities)
    return model


def test_hand_nearest_facility_and_walk(hand):
    inputs, params = hand
    gaps = _model(inputs, params).named_gaps()
    assert list(gaps.columns) == NAMED_GAP_COLUMNS
    day = gaps[gaps["type"] == "day_care"]
    # sorted by elderly, most first; the unknown count last, still listed
    assert list(day["name"]) == ["丙社区", "乙村", "丁村", "庚社区", "戊村"]
    rows = day.set_index("name")
    assert "甲社区" not in rows.index  # 130 m: inside the circle
    assert rows.loc["丙社区", "nearest_id"] == "F1" and rows.loc["丙社区", "walk_m"] == pytest.approx(500.0)
    assert rows.loc["乙村", "nearest_id"] == "F0" and rows.loc["乙村", "nearest_facility"] == "西日照"
    assert rows.loc["乙村", "walk_m"] == pytest.approx(690.0)
    assert rows.loc["庚社区", "nearest_id"] == "F1" and rows.loc["庚社区", "walk_m"] == pytest.approx(310.0)
    assert rows.loc["戊村", "walk_m"] == pytest.approx(300.0) and pd.isna(rows.loc["戊村", "elderly"])
    # unreachable: no facility, no distance — never counted as near
    assert pd.isna(rows.loc["丁村", "nearest_id"]) and math.isnan(rows.loc["丁村", "walk_m"])
    assert day["elderly"].dtype == "Int64" and rows.loc["丙社区", "elderly"] == 300
    assert list(rows["kind"]) == ["urban", "village", "village", "urban", "village"]
    assert rows.loc["丙社区", "township"] == "甲镇" and rows.loc["戊村", "township"] == "乙镇"
    # a facility on the community's own edge: along the edge, no detour through a node
    meal = gaps[gaps["type"] == "meal_point"].set_index("name")
    assert meal.loc["庚社区", "nearest_id"] == "M0" and meal.loc["庚社区", "walk_m"] == pytest.approx(290.0)
    assert meal.loc["甲社区", "walk_m"] == pytest.approx(20 + (1250 - 150) + 150)
    # a class with no facility: every community listed, none near
    homes = gaps[gaps["type"] == "nursing_home"]
    assert len(homes) == len(COMMUNITIES) and homes["nearest_id"].isna().all() and homes["walk_m"].isna().all()
    assert gaps["lon"].between(117, 123).all() and gaps["lat"].between(-0.1, 0.1).all()  # WGS 84 (UTM 51N)


def test_hand_gaps_csv_texts(hand, tmp_path):
    inputs, params = hand
    result = run_analysis(inputs, params, facility_circles=False)
    assert len(result.named_gaps) > 0
    paths = write_analysis(result, tmp_path)
    csv = pd.read_csv(paths["named_gaps"], encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert paths["named_gaps"].name == "gaps.csv" and list(csv.columns) == GAPS_CSV_COLUMNS
    day = csv[csv["type"] == "day_care"].set_index("name")
    assert set(day["type_label"]) == {"日间照料中心"}
    assert day.loc["乙村", "kind"] == "村" and day.loc["丙社区", "kind"] == "社区"
    assert day.loc["乙村", "walk_m"] == "690" and day.loc["乙村", "nearest_facility"] == "西日照"
    assert day.loc["乙村", "elderly"] == "50" and day.loc["戊村", "elderly"] == ""  # missing stays missing, never 0
    assert day.loc["丁村", "nearest_facility"] == UNREACHABLE and day.loc["丁村", "walk_m"] == ""
    assert day.loc["丁村", "nearest_id"] == ""
    homes = csv[csv["type"] == "nursing_home"]
    assert len(homes) == len(COMMUNITIES) and set(homes["nearest_facility"]) == {NO_FACILITY}


def test_nearest_sources_match_bounded_reaches(hand):
    """Within the reach limit the unbounded search on the merged chains gives the reaches' own distances;
    on the island nothing is reachable; no source at all: nothing is."""
    inputs, params = hand
    model = _model(inputs, params)
    net = model.net
    near, facs = model.circles.nearest("day_care")
    fld = model.circles.field("day_care")
    assert near.chains.n_junctions < net.n_nodes  # the two-edge nodes are merged away
    # every node, as a point at the start of one of its edges
    e = np.array([np.nonzero((net.u == k) | (net.v == k))[0][0] for k in range(net.n_nodes)])
    off = np.where(net.u[e] == np.arange(net.n_nodes), 0.0, net.length_m[e])
    d, src = near.at(net, Snap(e, off, np.zeros(e.size)))
    ok = np.isfinite(fld.node_m)
    assert ok.sum() > 3 and np.allclose(d[ok], fld.node_m[ok])
    island = net.component != 0
    assert np.isinf(d[island]).all() and (src[island] == -1).all()
    assert np.isfinite(d[~island]).all() and set(src[~island]) == {0, 1}
    empty = nearest_sources(net, edge=np.zeros(0, np.int64), offset_m=np.zeros(0), access_m=np.zeros(0))
    d, s = empty.at(net, Snap(np.array([0]), np.array([1.0]), np.array([0.0])))
    assert math.isinf(d[0]) and s[0] == -1


def test_chains_on_loops_and_branches():
    """A loop hanging off a junction, a closed ring with no junction, a T: distances as walked."""
    lines = gpd.GeoDataFrame(geometry=[
        LineString([(0, 0), (100, 0), (200, 0)]),                       # stem to the T
        LineString([(200, 0), (200, 100)]), LineString([(200, 0), (300, 0)]),
        LineString([(300, 0), (400, 0), (400, 100), (300, 100), (300, 0)]),  # a loop off (300, 0)
        LineString([(1000, 0), (1100, 0), (1100, 100), (1000, 100), (1000, 0)]),  # a ring, no junction
    ], crs=CRS)
    net = build_network(lines)
    chains = chains_of(net)
    assert np.isclose(chains.chain_len.sum(), net.length_m.sum())  # every edge on exactly one chain
    from spatial.network import snap_points

    at0 = snap_points(net, x=np.array([0.0]), y=np.array([0.0]))  # the source at (0, 0)
    near = nearest_sources(net, edge=at0.edge, offset_m=at0.offset_m, access_m=at0.access_m, chains=chains)
    pts = [(350, 100), (400, 50), (200, 100), (1050, 0)]
    s = snap_points(net, x=np.array([p[0] for p in pts], float), y=np.array([p[1] for p in pts], float))
    d, src = near.at(net, s)
    assert d[0] == pytest.approx(300 + 100 + 50)  # round the loop the short way: up at (300, 0), along the top
    assert d[1] == pytest.approx(300 + 100 + 50)  # the other way round
    assert d[2] == pytest.approx(200 + 100)
    assert math.isinf(d[3]) and src[3] == -1 and (src[:3] == 0).all()


def test_gaps_follow_edits_and_results_stay_as_built(hand):
    inputs, params = hand
    model = _model(inputs, params)
    first = AnalysisResult(params=params, figures=model.figures(), isochrones=None, gaps=None, islands=None, model=model)
    assert "丙社区" in set(first.named_gaps[first.named_gaps["type"] == "day_care"]["name"])
    kept = first.named_gaps.copy()
    model.circles.set_facility("F2", x=1000.0, y=10.0, type="day_care", name="新日照")  # at 丙社区
    second = AnalysisResult(params=params, figures=model.figures(), isochrones=None, gaps=None, islands=None, model=model)
    day = second.named_gaps[second.named_gaps["type"] == "day_care"].set_index("name")
    assert "丙社区" not in day.index
    assert day.loc["乙村", "nearest_id"] == "F2" and day.loc["乙村", "walk_m"] == pytest.approx(30 + 300 + 10)
    pd.testing.assert_frame_equal(first.named_gaps, kept)  # the earlier result is never patched
    # the other classes' rows are reused as they were (no new search)
    meal_before = first.named_gaps[first.named_gaps["type"] == "meal_point"].reset_index(drop=True)
    meal_after = second.named_gaps[second.named_gaps["type"] == "meal_point"].reset_index(drop=True)
    pd.testing.assert_frame_equal(meal_before, meal_after)


def test_no_community_layer_no_named_gaps(hand):
    inputs, params = hand
    from dataclasses import replace

    result = run_analysis(replace(inputs, communities=None), params, facility_circles=False)
    assert list(result.named_gaps.columns) == NAMED_GAP_COLUMNS and len(result.named_gaps) == 0
    assert list(named_gaps_table(result).columns) == GAPS_CSV_COLUMNS


# -- the sample -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_doc():
    from projects.document import Document

    return Document.from_sample()


def test_sample_gaps_csv_lists_names_outside_the_circle(sample_doc, tmp_path):
    result = sample_doc.result
    model = result.model
    paths = write_analysis(result, tmp_path)
    csv = pd.read_csv(paths["named_gaps"], encoding="utf-8-sig", keep_default_na=False)
    assert len(csv) > 100 and (csv["name"].astype(str).str.len() > 0).all()
    assert set(csv["kind"]) <= {"社区", "村"} and (csv["township"].astype(str).str.len() > 0).all()
    assert csv["elderly"].dtype.kind == "i"  # the sample's communities all have counts: whole persons
    named = result.named_gaps
    assert list(csv["name"]) == list(named["name"]) and list(csv["type"]) == list(named["type"])
    lim = result.params.coverage_m
    for t, grp in csv.groupby("type"):
        covered = points_covered(model.net, model.circles.field(t), model.unit_snaps, limit_m=lim)
        units = named.loc[named["type"] == t, "unit"].to_numpy()
        assert not covered[units].any(), t  # every listed community is outside the class's circle
        assert len(grp) == int((~covered).sum())  # and every community outside is listed
        assert list(grp["elderly"]) == sorted(grp["elderly"], reverse=True)
        walk = pd.to_numeric(grp["walk_m"], errors="coerce")
        assert ((walk >= round(lim)) | walk.isna()).all()
        assert (walk.isna() == (grp["nearest_facility"] == UNREACHABLE)).all()


def test_sample_nearest_is_the_nearest(sample_doc):
    """An independent check: walk from the community itself over the whole network and measure every
    facility of the class; the listed one is the nearest, at the listed distance."""
    result = sample_doc.result
    model, net = result.model, result.model.net
    gaps = result.named_gaps
    rng = np.random.default_rng(16)
    for t in ("day_care", "meal_point"):
        rows = gaps[(gaps["type"] == t) & gaps["nearest_id"].notna()]
        facs = model.circles.active(t)
        for _, row in rows.iloc[rng.choice(len(rows), size=4, replace=False)].iterrows():
            u = int(row["unit"])
            s = model.unit_snaps
            r = reach_from(net, edge=int(s.edge[u]), offset_m=float(s.offset_m[u]), access_m=float(s.access_m[u]),
                           max_m=float("inf"))
            node = np.full(net.n_nodes, np.inf)
            node[r.nodes] = r.dist_m
            best = {}
            for f in facs:
                e, off = f.reach.edge, f.reach.offset_m
                d = min(node[net.u[e]] + off, node[net.v[e]] + net.length_m[e] - off) + f.reach.access_m
                if e == int(s.edge[u]):
                    d = min(d, abs(off - float(s.offset_m[u])) + float(s.access_m[u]) + f.reach.access_m)
                best[f.fid] = d
            fid = min(best, key=best.get)
            assert row["nearest_id"] == fid and row["walk_m"] == pytest.approx(best[fid], abs=1e-6), (t, row["name"])


def test_sample_live_edit_keeps_named_gaps_current(sample_doc):
    doc = sample_doc
    before = doc.result.named_gaps
    day = before[before["type"] == "day_care"]
    top = day.iloc[0]  # the most elderly community outside every day-care circle
    fid = doc.add_facility("day_care", f"{top['name']}日间照料中心", float(top["lon"]), float(top["lat"]))
    try:
        quick = doc.quick_result()
        assert quick.pending  # circles and gap areas still coming, the named gaps already current
        listed = set(quick.named_gaps.loc[quick.named_gaps["type"] == "day_care", "name"])
        assert top["name"] not in listed and len(listed) < len(day)
        after = doc.result
        pd.testing.assert_frame_equal(after.named_gaps, quick.named_gaps)
        near = after.named_gaps[(after.named_gaps["type"] == "day_care") & (after.named_gaps["nearest_id"] == fid)]
        assert len(near) > 0  # the new centre is the nearest of some communities still outside
        fresh = run_analysis(doc.project.inputs(network=doc.network), doc.params(), facility_circles=False)
        pd.testing.assert_frame_equal(after.named_gaps, fresh.named_gaps)
        assert set(before.loc[before["type"] == "day_care", "name"]) > listed  # the old result kept its rows
    finally:
        doc.remove_facility(fid)


# -- the dock -----------------------------------------------------------------------------------------


def test_gaps_panel_lists_sorted_and_zooms(sample_doc, qtbot):
    pytest.importorskip("pytestqt")
    from PySide6 import QtCore

    from gui.gaps_panel import FIELDS, GapsPanel
    from gui.i18n import set_language, tr
    from layers.classes import registry
    from projects.workspace import Workspace

    set_language("zh")
    doc = sample_doc
    ws = Workspace()
    ws.set_network(doc.network)
    panel = GapsPanel(ws)
    qtbot.addWidget(panel)
    assert panel.row_count() == 0 and panel.summary.text() == tr("gaps.empty")
    ws.set_result(doc.result)
    reg = registry()
    assert [panel.classes.itemText(i) for i in range(panel.classes.count())] == [reg.label(c) for c in reg.ids]
    headers = [panel.table.horizontalHeaderItem(i).text() for i in range(panel.table.columnCount())]
    assert headers == ["名称", "社区/村", "乡镇/街道", "老年人口", "最近设施", "步行距离 m"]
    named = doc.result.named_gaps
    for cid in ("day_care", "nursing_home"):
        panel.set_class(cid)
        rows = named[named["type"] == cid]
        assert panel.current_class() == cid and panel.row_count() == len(rows) > 0
        shown = [panel.record(r) for r in range(panel.row_count())]
        elderly = [int(r["elderly"].replace(",", "")) for r in shown]
        assert elderly == sorted(elderly, reverse=True) == sorted(rows["elderly"], reverse=True)  # most first
        assert {r["kind"] for r in shown} <= {"社区", "村"} and all(r["name"] and r["township"] for r in shown)
        assert all(r["walk_m"].replace(",", "").isdigit() or r["nearest_facility"] == "不可达" for r in shown)
        assert reg.label(cid) in panel.summary.text() and f"{len(rows):,} 个社区/村" in panel.summary.text()
    # a click asks for a zoom to the community, in map coordinates (the workspace's CRS)
    panel.set_class("day_care")
    first = panel.record(0)
    unit = named[(named["type"] == "day_care") & (named["name"] == first["name"])]["unit"].iloc[0]
    with qtbot.waitSignal(panel.zoom_requested, timeout=2000) as sig:
        rect = panel.table.visualItemRect(panel.table.item(0, FIELDS.index("township")))
        qtbot.mouseClick(panel.table.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    x, y = sig.args
    mx, my = doc.result.model.unit_xy[unit]
    assert x == pytest.approx(mx, abs=0.01) and y == pytest.approx(my, abs=0.01)
    # a plan edit: the panel follows the document's new result
    top = named[named["type"] == "day_care"].iloc[0]
    fid = doc.add_facility("day_care", "新日照", float(top["lon"]), float(top["lat"]))
    try:
        ws.set_result(doc.quick_result(), quiet=True)
        assert top["name"] not in {panel.record(r)["name"] for r in range(panel.row_count())}
        assert panel.row_count() == int((doc.result.named_gaps["type"] == "day_care").sum())
    finally:
        doc.remove_facility(fid)
        ws.set_result(doc.result)
    # English
    set_language("en")
    try:
        panel.retranslate()
        assert panel.table.horizontalHeaderItem(0).text() == "Name"
        assert panel.classes.currentText() == reg.label("day_care", "en") != reg.label("day_care")
    finally:
        set_language("zh")
        panel.retranslate()
