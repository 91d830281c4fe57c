"""Coverage numbers on a small network whose answers are computed by hand.

    A(0,0) —100— B(100,0) —100— C(200,0) —100— D(300,0)        E(1000,0) —100— F(1100,0)  (island)

Walking speed 6 km/h = 100 m/min, bands 1 and 2 minutes = 100 m and 200 m.
A facility at (50, 10) snaps to A–B at 50 m with a 10 m access leg.
"""
import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from spatial.analysis import AnalysisInputs, AnalysisParams, CoverageModel, run_analysis
from spatial.targets import StandardProfile, Target
from spatial.isochrones import DistanceField, reach_from
from spatial.network import build_network, snap_points

CRS = "EPSG:32651"


@pytest.fixture
def net():
    lines = gpd.GeoDataFrame(
        {"highway": ["residential", "footway", "motorway"]},
        geometry=[
            LineString([(0, 0), (100, 0), (200, 0), (300, 0)]),
            LineString([(1000, 0), (1100, 0)]),
            LineString([(0, 0), (0, 500)]),  # motorway: never walked
        ],
        crs=CRS,
    )
    return build_network(lines)


def _facilities(points, types):
    return gpd.GeoDataFrame(
        {"fid": [f"F{i}" for i in range(len(points))], "name": [f"f{i}" for i in range(len(points))],
         "type": types, "beds": [10] * len(points), "nursing_beds": [5] * len(points), "status": ["existing"] * len(points)},
        geometry=[Point(p) for p in points], crs=CRS,
    )


def test_network_nodes_edges_and_island(net):
    assert net.n_nodes == 6 and net.n_edges == 4
    assert net.crs.to_epsg() == 32651
    assert sorted(net.length_m.tolist()) == [100.0] * 4
    assert np.bincount(net.component).tolist() == [4, 2]


def test_snap_to_nearest_point_on_edge(net):
    s = snap_points(net, x=np.array([50.0]), y=np.array([10.0]))
    assert s.access_m[0] == pytest.approx(10.0)
    assert s.offset_m[0] == pytest.approx(50.0) or s.offset_m[0] == pytest.approx(50.0)


def test_reach_partial_edge_and_unreachable(net):
    s = snap_points(net, x=np.array([50.0]), y=np.array([10.0]))
    r = reach_from(net, edge=int(s.edge[0]), offset_m=float(s.offset_m[0]), access_m=float(s.access_m[0]), max_m=200.0)
    got = {(float(net.x[n]), float(d)) for n, d in zip(r.nodes, r.dist_m)}
    assert got == {(0.0, 60.0), (100.0, 60.0), (200.0, 160.0)}
    fld = DistanceField.from_reaches(net, [r])
    cov = fld.covered_length_m(net, limit_m=200.0)
    by_x = {(float(min(net.x[a], net.x[b]))): c for a, b, c in zip(net.u, net.v, cov)}
    assert by_x == {0.0: 100.0, 100.0: 100.0, 200.0: pytest.approx(40.0), 1000.0: 0.0}
    # at 100 m the facility covers 90 m of its own edge around itself: [0, 100] clipped (40 m each way + ...)
    cov100 = fld.covered_length_m(net, limit_m=100.0)
    by_x100 = {(float(min(net.x[a], net.x[b]))): c for a, b, c in zip(net.u, net.v, cov100)}
    assert by_x100[0.0] == pytest.approx(100.0)   # 50 m each side of the source, 90 m budget
    assert by_x100[100.0] == pytest.approx(40.0)  # B at 60 m, 40 m left


def test_source_interval_inside_a_long_edge():
    lines = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1000, 0)])], crs=CRS)
    net = build_network(lines)
    r = reach_from(net, edge=0, offset_m=500.0, access_m=0.0, max_m=200.0)
    assert r.nodes.size == 0  # both ends 500 m away
    fld = DistanceField.from_reaches(net, [r])
    assert fld.covered_length_m(net, limit_m=200.0)[0] == pytest.approx(400.0)


def test_coverage_by_township_with_island_never_covered(net):
    towns = gpd.GeoDataFrame(
        {"name": ["T1", "T2"], "elderly": [100.0, 300.0]},
        geometry=[box(-50, -50, 120, 50), box(120, -50, 1200, 50)], crs=CRS,
    )
    cov = Target(id="cov", indicator="covered_share", level="township", classes=("day_care",), figure=0.9)
    beds = Target(id="beds", indicator="beds_per_1000", level="county", figure=150.0)
    params = AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=2.0, targets=(cov, beds)),
                            minutes=(1.0, 2.0), speed_kmh=6.0)
    inputs = AnalysisInputs(network=net, townships=towns, facilities=_facilities([(50, 10)], ["day_care"]))
    model = CoverageModel(inputs, params)
    model.load_facilities(inputs.facilities)
    figs = {(f.township, f.type): f for f in model.figures()}
    # T1 holds edge A-B (100 elderly, fully covered); T2 holds B-C (100, full), C-D (100, 40 m of 100) and the island (100, none)
    assert figs["T1", "day_care"].elderly_covered == pytest.approx(100.0)
    assert figs["T2", "day_care"].elderly_covered == pytest.approx(140.0)
    assert figs["T2", "day_care"].covered_share == pytest.approx(140.0 / 300.0)
    assert [(fl.name, fl.actual) for fl in figs["T2", "day_care"].flags] == [("cov", pytest.approx(140.0 / 300.0))]
    assert figs["T1", "day_care"].flags == ()  # 100 % covered; the county bed target raises no township flag
    county = [r for r in model.targets() if r.level == "county" and r.target_id == "beds"]
    assert len(county) == 1 and county[0].actual == pytest.approx(1000.0 * 10 / 400.0) and not county[0].met
    assert figs["T1", "day_care"].facilities == 1 and figs["T1", "day_care"].beds == 10
    assert figs["T1", "nursing_home"].elderly_covered == 0.0


def test_population_points_access_leg(net):
    towns = gpd.GeoDataFrame({"name": ["T"]}, geometry=[box(-50, -50, 1200, 50)], crs=CRS)
    pop = gpd.GeoDataFrame({"elderly": [7.0, 11.0, 13.0]},
                           geometry=[Point(250, 30), Point(150, 5), Point(1050, 0)], crs=CRS)
    profile = StandardProfile(name="t", coverage_minutes=2.0)
    inputs = AnalysisInputs(network=net, townships=towns, facilities=_facilities([(50, 10)], ["meal_point"]), population=pop)
    model = CoverageModel(inputs, AnalysisParams(profile=profile, minutes=(1.0, 2.0), speed_kmh=6.0))
    model.load_facilities(inputs.facilities)
    fig = {f.type: f for f in model.figures()}["meal_point"]
    # (250,30): 30 + 160 + 50 = 240 > 200 -> out; (150,5): 5 + 60 + 50 = 115 -> in; island -> out
    assert fig.elderly == pytest.approx(31.0)
    assert fig.elderly_covered == pytest.approx(11.0)
    # 2.5 minutes = 250 m reaches the first point too
    model2 = CoverageModel(inputs, AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=2.5), minutes=(1.0, 2.0), speed_kmh=6.0))
    model2.load_facilities(inputs.facilities)
    assert {f.type: f for f in model2.figures()}["meal_point"].elderly_covered == pytest.approx(18.0)


def test_edit_one_facility_only_recomputes_it(net):
    towns = gpd.GeoDataFrame({"name": ["T"], "elderly": [400.0]}, geometry=[box(-50, -50, 1200, 50)], crs=CRS)
    inputs = AnalysisInputs(network=net, townships=towns, facilities=_facilities([(50, 10), (1050, 0)], ["day_care", "day_care"]))
    model = CoverageModel(inputs, AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=2.0), minutes=(1.0, 2.0), speed_kmh=6.0))
    model.load_facilities(inputs.facilities)
    other = model.circles.facilities["F1"].reach
    assert {f.type: f for f in model.figures()}["day_care"].elderly_covered == pytest.approx(340.0)
    model.circles.set_facility("F0", x=300.0, y=0.0, type="day_care")
    assert model.circles.facilities["F1"].reach is other
    # from D: C-D full, B-C full -> 200 + island 100
    assert {f.type: f for f in model.figures()}["day_care"].elderly_covered == pytest.approx(300.0)


def test_run_analysis_polygons_follow_streets(net):
    towns = gpd.GeoDataFrame({"name": ["T"], "elderly": [400.0]}, geometry=[box(-50, -50, 1200, 50)], crs=CRS)
    inputs = AnalysisInputs(network=net, townships=towns, facilities=_facilities([(50, 10)], ["day_care"]))
    res = run_analysis(inputs, AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=2.0), minutes=(1.0, 2.0),
                                              speed_kmh=6.0, buffer_m=20.0, cell_m=5.0))
    iso = res.isochrones.to_crs(CRS)
    two = iso[(iso["type"] == "day_care") & (iso["minutes"] == 2.0)].geometry.iloc[0]
    # reached streets: x from 0 to 240, widened by 20 m: about 280 m x 40 m
    minx, miny, maxx, maxy = two.bounds
    assert minx == pytest.approx(-20, abs=6) and maxx == pytest.approx(260, abs=6)
    assert maxy - miny == pytest.approx(40, abs=11)
    assert two.area == pytest.approx(280 * 40, rel=0.15)
    assert not two.contains(Point(1050, 0))
    assert len(res.islands) == 1 and res.islands["nodes"].iloc[0] == 2
    gaps = res.gaps.to_crs(CRS)
    g = gaps[gaps["type"] == "day_care"]
    assert g["elderly"].sum() == pytest.approx(160.0, rel=0.02)  # 60 on C-D beyond 240 m + 100 on the island


def test_meal_point_gap_counts_unreached_urban_communities(net):
    towns = gpd.GeoDataFrame({"name": ["T1", "T2"], "elderly": [100.0, 300.0]},
                             geometry=[box(-50, -50, 120, 50), box(120, -50, 1200, 50)], crs=CRS)
    communities = gpd.GeoDataFrame(
        {"name": ["甲社区", "乙社区", "丙社区", "丁村"], "kind": ["urban", "urban", "urban", "village"]},
        # 1: 20 + 60 + 50 = 130 m from the meal point -> reached; 2: on the island -> never; 3: 0 + 160 + 90 = 250 > 200
        geometry=[Point(150, 20), Point(1050, 0), Point(290, 0), Point(1060, 0)], crs=CRS,
    )
    profile = StandardProfile(name="cz", coverage_minutes=2.0, targets=(
        Target(id="meal", indicator="reachable_from_every", level="urban_community", classes=("meal_point",), figure=1),
        Target(id="dc", indicator="present_in_every", level="township", classes=("day_care",), figure=1),
    ))
    inputs = AnalysisInputs(network=net, townships=towns, facilities=_facilities([(50, 10)], ["meal_point"]), communities=communities)
    model = CoverageModel(inputs, AnalysisParams(profile=profile, minutes=(1.0, 2.0), speed_kmh=6.0))
    model.load_facilities(inputs.facilities)
    figs = {(f.township, f.type): f for f in model.figures()}
    t2 = figs["T2", "meal_point"]
    # T2's urban communities: 乙 (island) and 丙 (250 m) unreached, 甲 reached -> 1 of 3 meet it
    assert [(fl.name, fl.indicator, fl.target, fl.actual, fl.gap) for fl in t2.flags] == [("meal", "units_met", 3.0, 1.0, 2.0)]
    assert [fl.name for fl in figs["T1", "day_care"].flags] == ["dc"]
    rows = {(r.target_id, r.unit): r for r in model.targets()}
    assert [rows["meal", n].met for n in ("甲社区", "乙社区", "丙社区")] == [True, False, False]
    assert ("meal", "丁村") not in rows  # a village is no urban community
    summary = rows["meal", "全县"]
    assert (summary.level, summary.target, summary.actual, summary.gap, summary.met) == ("county", 3.0, 1.0, 2.0, False)


def test_raster_population_sums_per_township(net, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import Affine

    from layers.population import read_population_raster

    # 4 cells of 100 m along the street, 10 elderly per cell, one cell over the island
    data = np.zeros((1, 1, 12), dtype="float32")
    data[0, 0, [0, 1, 2, 10]] = 10.0
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=12, height=1, count=1, dtype="float32", crs=CRS,
                       transform=Affine(100.0, 0.0, 0.0, 0.0, -100.0, 50.0), nodata=0) as dst:
        dst.write(data)
    pop = read_population_raster(path)
    towns = gpd.GeoDataFrame({"name": ["T"]}, geometry=[box(-50, -50, 1200, 50)], crs=CRS)
    inputs = AnalysisInputs(network=net, townships=towns, facilities=_facilities([(50, 10)], ["day_care"]), population=pop)
    model = CoverageModel(inputs, AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=2.0), minutes=(1.0, 2.0), speed_kmh=6.0))
    model.load_facilities(inputs.facilities)
    fig = {f.type: f for f in model.figures()}["day_care"]
    # cell centres (50,0), (150,0), (250,0), (1050,0): walking 60, 60+50... -> 10 + 10 + 0 (250: 160+50=210>200) + island 0
    assert fig.elderly == pytest.approx(40.0)
    assert fig.elderly_covered == pytest.approx(20.0)
