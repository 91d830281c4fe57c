"""Every kind of target computed by hand on small cases: county totals, per-unit targets, scopes, statuses."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from layers.classes import registry
from layers.townships import is_street
from projects.profiles import load_profile, profile_from_dict, profile_to_dict
from spatial.analysis import AnalysisInputs, AnalysisParams, CoverageModel
from spatial.network import build_network
from spatial.targets import StandardProfile, Target, UnitFacts, county_label, evaluate_targets, target_label

TOWNS = ["如城街道", "城北街道", "白蒲镇", "丁堰镇"]
ELDERLY = np.array([10_000.0, 20_000.0, 30_000.0, 40_000.0])  # 100,000 in all


def facts(classes, towns, beds=None, nursing=None, units=None, *, unit_kind=(), unit_town=(), reached=None) -> UnitFacts:
    n = len(classes)
    reg = registry()
    return UnitFacts(
        town_names=TOWNS, town_urban=np.array([is_street(t) for t in TOWNS]), town_elderly=ELDERLY,
        fac_class=np.array(classes, dtype=object), fac_town=np.array(towns, np.int64),
        fac_beds=np.array(beds if beds is not None else [0] * n, np.int64),
        fac_nursing=np.array(nursing if nursing is not None else [0] * n, np.int64),
        fac_unit=np.array(units if units is not None else [-1] * n, np.int64),
        unit_names=[f"U{i}" for i in range(len(unit_kind))], unit_kind=np.array(unit_kind, dtype=object),
        unit_town=np.array(unit_town, np.int64), reached=reached, covered=None,
        bed_classes={k: reg.with_beds(k) for k in ("all", "institutional")}, county_label="全市",
    )


def rows_of(profile: StandardProfile, f: UnitFacts) -> dict:
    return {(r.target_id, r.level, r.unit): r for r in evaluate_targets(profile, f)}


def test_county_bed_target_met_while_townships_are_below_raises_no_township_row():
    beds = Target(id="beds", indicator="beds_per_1000", level="county", figure=28.5)
    nursing = Target(id="nursing", indicator="nursing_share", level="county", beds="institutional", figure=0.55)
    profile = StandardProfile(name="p", targets=(beds, nursing))
    # one 3,000-bed county home in 如城街道 (2,000 nursing), a 60-bed day-care centre elsewhere: 3,060 / 100,000 elderly
    f = facts(["nursing_home", "day_care", "meal_point"], [0, 2, 3], beds=[3000, 60, 50], nursing=[2000, 0, 0])
    rows = evaluate_targets(profile, f)
    assert [(r.level, r.unit) for r in rows] == [("county", "全市"), ("county", "全市")]
    b, n = rows
    assert b.actual == pytest.approx(30.6) and b.met and b.gap == 0.0  # meal points' beds never count
    # three townships hold no bed at all (0 per 1,000 each) and are not judged against the county figure
    assert n.actual == pytest.approx(2000 / 3000) and n.met  # institutional beds only: the day-care beds are left out
    missed = evaluate_targets(StandardProfile(name="p", targets=(Target(id="b", indicator="beds_per_1000", level="county",
                                                                       figure=38.4),)), f)
    assert not missed[0].met and missed[0].gap == pytest.approx(38.4 - 30.6)  # a shortfall is positive


def test_missing_elderly_makes_the_county_figure_unknown_not_zero():
    f = facts(["nursing_home"], [0], beds=[100], nursing=[50])
    f = UnitFacts(**{**f.__dict__, "town_elderly": np.array([10_000.0, math.nan, 30_000.0, 40_000.0])})
    (row,) = evaluate_targets(StandardProfile(name="p", targets=(Target(id="b", indicator="beds_per_1000", level="county",
                                                                      figure=1.0),)), f)
    assert math.isnan(row.actual) and not row.met and math.isnan(row.gap)


def test_present_in_every_township_and_its_county_summary():
    t = Target(id="hc", indicator="present_in_every", level="township", classes=("home_care_centre",), figure=1)
    f = facts(["home_care_centre", "home_care_centre", "home_care_station"], [0, 0, 2])
    rows = rows_of(StandardProfile(name="p", targets=(t,)), f)
    assert [rows["hc", "township", n].actual for n in TOWNS] == [2.0, 0.0, 0.0, 0.0]
    assert [rows["hc", "township", n].met for n in TOWNS] == [True, False, False, False]
    assert rows["hc", "township", "白蒲镇"].gap == 1.0  # a station is not a centre
    s = rows["hc", "county", "全市"]
    assert (s.target, s.actual, s.met, s.gap, s.summary) == (4.0, 1.0, False, 3.0, True)


def test_target_scoped_to_urban_districts_ignores_rural_townships():
    urban_share = Target(id="n", indicator="nursing_share", level="county", scope="urban", figure=0.30)
    streets = Target(id="ic", indicator="present_in_every", level="urban_street", classes=("integrated_centre",), figure=1)
    # streets: 100 beds, 40 nursing (40 %); the towns' 900 beds without nursing beds would pull the county to 4 %
    f = facts(["nursing_home", "nursing_home", "integrated_centre"], [1, 2, 0], beds=[100, 900, 0], nursing=[40, 0, 0])
    rows = rows_of(StandardProfile(name="p", targets=(urban_share, streets)), f)
    assert rows["n", "county", "全市"].actual == pytest.approx(0.40) and rows["n", "county", "全市"].met
    assert {u for (tid, lvl, u) in rows if tid == "ic" and lvl == "urban_street"} == {"如城街道", "城北街道"}
    assert rows["ic", "urban_street", "如城街道"].met and not rows["ic", "urban_street", "城北街道"].met
    assert (rows["ic", "county", "全市"].target, rows["ic", "county", "全市"].actual) == (2.0, 1.0)


def test_village_share_target():
    t = Target(id="rural", indicator="share_of_units_with", level="village", classes=("home_care_station", "home_care_centre"),
               figure=0.9)
    # 5 villages and an urban community; stations stand in villages 0 and 1 and in the urban community (not counted)
    kinds = ["village"] * 5 + ["urban"]
    f = facts(["home_care_station", "home_care_centre", "home_care_station", "meal_point"], [2, 2, 0, 3], units=[0, 1, 5, 2],
              unit_kind=kinds, unit_town=[2, 2, 3, 3, 3, 0])
    rows = evaluate_targets(StandardProfile(name="p", targets=(t,)), f)
    assert len(rows) == 1  # a county figure: no village is judged on its own
    assert rows[0].level == "county" and rows[0].actual == pytest.approx(2 / 5) and rows[0].gap == pytest.approx(0.5)


def test_count_per_town():
    t = Target(id="es", indicator="count_per_unit", level="township", classes=("elder_station",), figure=1, maximum=2)
    f = facts(["elder_station"] * 4, [0, 0, 0, 3])
    rows = rows_of(StandardProfile(name="p", targets=(t,)), f)
    assert [rows["es", "township", n].actual for n in TOWNS] == [3.0, 0.0, 0.0, 1.0]
    assert [rows["es", "township", n].met for n in TOWNS] == [True, False, False, True]  # three is more than asked, not a shortfall
    assert rows["es", "county", "全市"].actual == 2.0
    assert target_label(t, class_label=registry().label) == "每个镇（街道）长者驿站1–2个"


def test_reach_from_every_urban_community():
    t = Target(id="meal", indicator="reachable_from_every", level="urban_community", classes=("meal_point",), figure=1)
    seen = {}

    def reached(classes, minutes):
        seen["args"] = (classes, minutes)
        return np.array([True, False, True])

    f = facts([], [], unit_kind=["urban", "urban", "village"], unit_town=[0, 1, 2], reached=reached)
    rows = rows_of(StandardProfile(name="p", coverage_minutes=15, targets=(t,)), f)
    assert seen["args"] == (("meal_point",), 15.0)
    assert rows["meal", "urban_community", "U0"].met and not rows["meal", "urban_community", "U1"].met
    assert ("meal", "urban_community", "U2") not in rows
    assert rows["meal", "county", "全市"].gap == 1.0


def _line_county():
    """Two townships on one 400 m street; walking 6 km/h = 100 m/min."""
    net = build_network(gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[LineString([(0, 0), (100, 0), (200, 0), (300, 0), (400, 0)])],
                                         crs="EPSG:32651"))
    towns = gpd.GeoDataFrame({"name": ["甲街道", "乙镇"], "elderly": [1000.0, 1000.0]},
                             geometry=[box(-50, -50, 200, 50), box(200, -50, 450, 50)], crs="EPSG:32651")
    fac = gpd.GeoDataFrame(
        {"fid": ["A", "B", "C"], "name": ["现状院", "规划院", "拟关闭院"], "type": ["nursing_home"] * 3,
         "beds": [100, 50, 30], "nursing_beds": [60, 50, 0], "status": ["existing", "planned", "to_close"]},
        geometry=[Point(50, 0), Point(300, 0), Point(350, 0)], crs="EPSG:32651")
    return AnalysisInputs(network=net, townships=towns, facilities=fac)


def test_planned_facilities_are_left_out_of_the_baseline():
    inputs = _line_county()
    profile = StandardProfile(name="p", coverage_minutes=1.0, targets=(
        Target(id="b", indicator="beds_per_1000", level="county", figure=10),
        Target(id="nh", indicator="present_in_every", level="township", classes=("nursing_home",), figure=1),
    ))
    results = {}
    for statuses in (("existing",), ("existing", "planned")):
        model = CoverageModel(inputs, AnalysisParams(profile=profile, minutes=(1.0,), speed_kmh=6.0, statuses=statuses))
        model.load_facilities(inputs.facilities)
        results[statuses] = {(r.target_id, r.unit): r for r in model.targets()}, {(f.township, f.type): f for f in model.figures()}
    base, plan = results[("existing",)], results[("existing", "planned")]
    assert base[0]["b", "全县"].actual == pytest.approx(1000 * 100 / 2000)  # 50 per 1,000: the planned 50 beds are not there
    assert plan[0]["b", "全县"].actual == pytest.approx(1000 * 150 / 2000)  # the to-close 30 beds never count
    assert not base[0]["nh", "乙镇"].met and plan[0]["nh", "乙镇"].met
    assert base[1]["乙镇", "nursing_home"].elderly_covered == 0.0 and plan[1]["乙镇", "nursing_home"].elderly_covered > 0
    p = AnalysisParams(profile=profile, statuses=("existing",))
    assert "现状" in p.counted_text() and "常住" in p.counted_text()
    with pytest.raises(ValueError):
        AnalysisParams(profile=profile, statuses=("to_close",))


def test_target_validation_and_profile_round_trip():
    with pytest.raises(ValueError, match="share between 0 and 1"):
        Target(id="x", indicator="nursing_share", level="county", figure=55)
    with pytest.raises(ValueError, match="facility classes"):
        Target(id="x", indicator="present_in_every", level="township", figure=1)
    with pytest.raises(ValueError, match="below the county"):
        Target(id="x", indicator="present_in_every", level="county", classes=("day_care",), figure=1)
    for name in ("nantong-2014", "changzhou-2014", "changzhou-2025", "rugao-2022", "xinhui-2015", "national-2025"):
        prof = load_profile(name)
        assert profile_from_dict(profile_to_dict(prof)) == prof
    from layers.errors import InputError

    with pytest.raises(InputError, match="old format"):
        profile_from_dict({"name": "x", "covered_share_target": 0.9})
    with pytest.raises(InputError, match="unknown facility class 'hospital'"):
        profile_from_dict({"name": "x", "target": [{"id": "h", "indicator": "present_in_every", "level": "township",
                                                     "classes": ["hospital"], "figure": 1}]})


def test_streets_and_county_labels():
    assert is_street("如城街道") and not is_street("白蒲镇") and not is_street("某乡")
    assert is_street("某地", "320682001") and not is_street("某街道", "320682102")  # the code decides
    assert county_label("如皋市（示例数据）") == "全市" and county_label("海安县") == "全县" and county_label("") == "全县"
