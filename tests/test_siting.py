"""Siting (issue 17): solvers on hand-made cases, set covering checked by enumeration, coverage of candidates
exactly as the analysis covers demand (a suggestion analysed again gives what it promised), no duplicate of an
existing site, and the sample end to end."""
import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
from scipy import sparse
from shapely.geometry import LineString, Point, box

from spatial.analysis import AnalysisInputs, AnalysisParams, CoverageModel, run_analysis
from spatial.network import build_network
from spatial.siting import (
    MIN_FROM_EXISTING_M,
    CoverageMatrix,
    Requirement,
    ShareGroup,
    SitingParams,
    TargetProblem,
    _satisfied,
    candidates_at,
    exact_max_cover,
    exact_set_cover,
    generate_candidates,
    greedy_max_cover,
    greedy_set_cover,
    run_siting,
)
from spatial.targets import StandardProfile, Target

CRS = "EPSG:32651"
BOUND = 1 - 1 / math.e


def _cm(sets, weights, n_el=None):
    n_el = n_el if n_el is not None else len(weights)
    rows = [i for s in sets for i in s]
    cols = [j for j, s in enumerate(sets) for _ in s]
    A = sparse.csc_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(n_el, len(sets)))
    return CoverageMatrix(A, np.asarray(weights, float), np.zeros(n_el, np.int64), float(sum(weights)), 0.0, 100.0)


def _brute_max(cm, k):
    best = 0.0
    for combo in itertools.combinations(range(cm.n_candidates), min(k, cm.n_candidates)):
        best = max(best, cm.gain(combo))
    return best


def test_exact_beats_greedy_on_the_textbook_case():
    # C0 covers the middle four, C1 and C2 the two halves with an extra each: greedy takes C0 first
    cm = _cm([{0, 1, 2, 3}, {0, 1, 4}, {2, 3, 5}], [1, 1, 1, 1, 1, 1])
    g = greedy_max_cover(cm, 2)
    e = exact_max_cover(cm, 2)
    assert g.chosen[0] == 0 and g.value == pytest.approx(5.0)
    assert e.optimal and e.value == pytest.approx(6.0) and set(e.chosen) == {1, 2}
    assert g.value / e.value >= BOUND
    assert list(e.gains) == sorted(e.gains, reverse=True)


@pytest.mark.parametrize("seed", range(12))
def test_exact_is_the_optimum_and_greedy_within_its_bound(seed):
    rng = np.random.default_rng(seed)
    n_el, n_c, k = 14, 8, int(rng.integers(1, 4))
    sets = [set(np.nonzero(rng.random(n_el) < 0.25)[0].tolist()) for _ in range(n_c)]
    w = rng.integers(1, 20, n_el).astype(float)
    cm = _cm(sets, w)
    opt = _brute_max(cm, k)
    e = exact_max_cover(cm, k)
    g = greedy_max_cover(cm, k)
    assert e.optimal and e.value == pytest.approx(opt)
    assert g.value >= BOUND * opt - 1e-9
    assert g.value == pytest.approx(cm.gain(g.chosen))
    assert all(a >= b - 1e-9 for a, b in zip(g.gains, g.gains[1:])) and all(x > 0 for x in g.gains)


def test_greedy_keeps_one_per_lacking_township():
    cm = _cm([{0, 1, 2}, {0, 1}, {3}], [5, 5, 5, 1])
    groups = np.array([0, 0, 1])
    g = greedy_max_cover(cm, 2, groups=groups, need_groups=[1])
    assert set(g.chosen) == {0, 2}
    e = exact_max_cover(cm, 2, groups=groups, need_groups=[1])
    assert set(e.chosen) == {0, 2}


def _feasible_sets(problem, n):
    for size in range(n + 1):
        for combo in itertools.combinations(range(n), size):
            if _satisfied(problem, combo)[0]:
                yield size, combo


@pytest.mark.parametrize("seed", range(10))
def test_set_cover_meets_every_requirement_and_no_smaller_set_does(seed):
    rng = np.random.default_rng(100 + seed)
    n = 9
    reqs = []
    for u in range(5):
        cs = tuple(sorted(set(rng.choice(n, size=int(rng.integers(1, 4)), replace=False).tolist())))
        reqs.append(Requirement("t-every", "township", f"镇{u}", 1, cs))
    members = []
    for u in range(4):  # a share: any 2 of 4 villages
        cs = tuple(sorted(set(rng.choice(n, size=2, replace=False).tolist())))
        members.append(Requirement("t-share", "village", f"村{u}", 1, cs, 0))
    problem = TargetProblem(tuple(reqs + members), (ShareGroup("t-share", 2),), (), ("t-every", "t-share"))
    smallest = next(_feasible_sets(problem, n))[0]
    exact, optimal = exact_set_cover(problem, n)
    assert optimal and _satisfied(problem, exact)[0] and len(exact) == smallest
    greedy = greedy_set_cover(problem)
    assert _satisfied(problem, greedy)[0] and len(greedy) >= smallest


# ------------------------------------------------------------------------------------------- networks


def _grid_network():
    """A 5 x 5 street grid, 200 m blocks (800 m x 800 m)."""
    lines = [LineString([(0, y), (800, y)]) for y in range(0, 801, 200)]
    lines += [LineString([(x, 0), (x, 800)]) for x in range(0, 801, 200)]
    return build_network(gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=CRS))


def _townships():
    return gpd.GeoDataFrame({"name": ["西镇", "东镇"], "elderly": [4000.0, 2000.0]},
                            geometry=[box(-50, -50, 400, 850), box(400, -50, 850, 850)], crs=CRS)


def _profile(**kw):
    return StandardProfile("hand", coverage_minutes=kw.pop("minutes", 2.0), targets=tuple(kw.pop("targets", ())))


def _facilities(rows):
    return gpd.GeoDataFrame(
        {"fid": [r[0] for r in rows], "name": [r[0] for r in rows], "type": [r[1] for r in rows],
         "beds": [0] * len(rows), "nursing_beds": [0] * len(rows), "status": [r[2] for r in rows]},
        geometry=[Point(r[3], r[4]) for r in rows], crs=CRS)


def _model(facilities, *, population=None, communities=None, profile=None):
    net = _grid_network()
    params = AnalysisParams(profile=profile or _profile(), minutes=(1.0, 2.0), speed_kmh=6.0,
                            statuses=("existing", "planned"))
    inputs = AnalysisInputs(network=net, townships=_townships(), facilities=facilities, population=population,
                            communities=communities)
    m = CoverageModel(inputs, params)
    m.load_facilities(facilities)
    return m, inputs, params


def _reanalysed(inputs, params, result, type_, facilities):
    rows = [(f"S{i}", type_, "planned", s.x, s.y) for i, s in enumerate(result.sites)]
    facs = _facilities(list(zip(facilities["fid"], facilities["type"], facilities["status"],
                                facilities.geometry.x, facilities.geometry.y)) + rows)
    res = run_analysis(AnalysisInputs(network=inputs.network, townships=inputs.townships, facilities=facs,
                                      population=inputs.population, communities=inputs.communities),
                       params, facility_circles=False)
    return sum(f.elderly_covered for f in res.figures if f.type == type_), res


@pytest.mark.parametrize("exact", [False, True])
def test_street_demand_suggestion_is_what_the_analysis_counts(exact):
    """People spread along streets (township counts): partial edges, own-edge intervals and existing circles."""
    facs = _facilities([("E1", "day_care", "existing", 10, 10), ("X1", "day_care", "to_close", 700, 700)])
    m, inputs, params = _model(facs)
    cands = candidates_at(m, x=np.array([100.0, 600.0, 700.0, 400.0, 250.0, 790.0]),
                          y=np.array([400.0, 600.0, 100.0, 5.0, 800.0, 400.0]))
    r = run_siting(m, SitingParams(type="day_care", count=3, exact=exact, min_from_existing_m=0), candidates=cands)
    assert len(r.sites) == 3
    got, _ = _reanalysed(inputs, params, r, "day_care", facs)
    assert got == pytest.approx(r.promised_covered, abs=1e-6)
    assert r.existing_covered == pytest.approx(
        sum(f.elderly_covered for f in run_analysis(inputs, params, facility_circles=False).figures if f.type == "day_care"))
    gains = [s.elderly_newly_covered for s in r.sites]
    assert all(g > 0 for g in gains) and gains == sorted(gains, reverse=True)


def test_point_demand_suggestion_is_what_the_analysis_counts():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 800, (40, 2))
    pop = gpd.GeoDataFrame({"elderly": rng.integers(10, 200, 40).astype(float)},
                           geometry=[Point(a, b) for a, b in xy], crs=CRS)
    facs = _facilities([("E1", "meal_point", "existing", 400, 400)])
    m, inputs, params = _model(facs, population=pop)
    r = run_siting(m, SitingParams(type="meal_point", count=4, exact=True, spacing_m=100))
    got, _ = _reanalysed(inputs, params, r, "meal_point", facs)
    assert got == pytest.approx(r.promised_covered, abs=1e-6)
    assert r.ratio <= 1.0 + 1e-9 and r.ratio >= BOUND


def test_suggestions_never_duplicate_an_existing_site():
    facs = _facilities([("E1", "day_care", "existing", 200, 200), ("E2", "day_care", "existing", 600, 400),
                        ("M1", "meal_point", "existing", 400, 400)])
    m, _, _ = _model(facs)
    cands = generate_candidates(m, spacing_m=50)
    assert len(cands) > 20
    r = run_siting(m, SitingParams(type="day_care", count=10, spacing_m=50))
    ex = np.array([[200, 200], [600, 400]], float)
    for s in r.sites:
        assert np.hypot(*(ex - [s.x, s.y]).T).min() > MIN_FROM_EXISTING_M
    # a user's candidate on an existing site is dropped, one on another class's site is not
    cands = candidates_at(m, x=np.array([200.0, 400.0]), y=np.array([200.0, 400.0]))
    r = run_siting(m, SitingParams(type="day_care", count=2), candidates=cands)
    assert r.candidates_dropped_near_existing == 1 and [(s.x, s.y) for s in r.sites] == [(400.0, 400.0)]


def test_meet_targets_reports_units_it_cannot_meet():
    com = gpd.GeoDataFrame({"name": ["甲社区", "乙社区", "丙村"], "kind": ["urban", "urban", "village"],
                            "elderly": [100.0, 100.0, 50.0]},
                           geometry=[Point(0, 0), Point(800, 800), Point(790, 10)], crs=CRS)
    profile = _profile(minutes=2.0, targets=[
        Target("dc-every-town", "present_in_every", "township", 1, classes=("day_care",)),
        Target("dc-reach", "reachable_from_every", "urban_community", 1, classes=("day_care",), minutes=2.0),
    ])
    facs = _facilities([])
    m, inputs, params = _model(facs, communities=com, profile=profile)
    # candidates only in the west: the east township cannot get one, 乙社区 (800, 800) is out of reach
    cands = candidates_at(m, x=np.array([0.0, 200.0, 100.0]), y=np.array([100.0, 200.0, 0.0]))
    r = run_siting(m, SitingParams(type="day_care", objective="meet_targets", exact=True), candidates=cands)
    reasons = {(u.target_id, u.unit): u.reason for u in r.unmet}
    assert reasons == {("dc-every-town", "东镇"): "no_candidate_in_unit", ("dc-reach", "乙社区"): "no_candidate_within_reach"}
    assert len(r.sites) == 1 and r.targets_met_all is False
    met = set(r.sites[0].targets_met)
    assert met == {"dc-every-town:西镇", "dc-reach:甲社区"}
    _, res = _reanalysed(inputs, params, r, "day_care", facs)
    rows = {(t.target_id, t.unit): t.met for t in res.targets if not t.summary}
    assert rows[("dc-every-town", "西镇")] and rows[("dc-reach", "甲社区")]
    assert not rows[("dc-every-town", "东镇")] and not rows[("dc-reach", "乙社区")]


# ------------------------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_doc():
    from projects.document import Document

    return Document.from_sample()


@pytest.mark.parametrize("type_,objective", [("day_care", "best_k"), ("elder_station", "meet_targets")])
def test_sample_suggested_scenario_analysed_again_gives_the_promise(sample_doc, type_, objective):
    from projects.siting import apply_suggestion, suggest, suggestions_frame

    doc = sample_doc
    doc.use_scenario(doc.plan.baseline)
    s = suggest(doc.project, SitingParams(type=type_, objective=objective, count=5, exact=True),
                scenario=doc.plan.baseline, network=doc.network)
    name = apply_suggestion(doc, s)
    try:
        assert doc.scenario == name
        covered = sum(f.elderly_covered for f in doc.result.figures if f.type == type_)
        assert covered == pytest.approx(s.result.promised_covered, abs=0.5)
        frame = suggestions_frame(s)
        assert list(frame["elderly_newly_covered"]) == sorted(frame["elderly_newly_covered"], reverse=True)
        if objective == "best_k":
            assert len(frame) == 5 and (frame["elderly_newly_covered"] > 0).all()
        else:
            rows = [t for t in doc.result.targets if not t.summary and "elder_station" in t.classes]
            assert rows and all(t.met for t in rows)
            assert all(frame["targets_met"].str.len() > 0)
    finally:
        doc.use_scenario(doc.plan.baseline)
        doc.plan.remove_scenario(name)


# ------------------------------------------------------------------------------------------- command line, files


def test_cli_suggest_writes_csv_gpkg_and_a_project(tmp_path, capsys):
    import pandas as pd

    from gui.cli import main
    from projects.ccproj import load_project
    from projects.siting import SUGGESTION_COLUMNS

    out = tmp_path / "out"
    assert main(["suggest", "--sample", "--type", "day_care", "--count", "4", "--exact", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "greedy/optimal" in text
    frame = pd.read_csv(out / "suggestions.csv", encoding="utf-8-sig")
    assert list(frame.columns) == SUGGESTION_COLUMNS and len(frame) == 4
    assert (frame["elderly_newly_covered"] > 0).all()
    assert list(frame["elderly_newly_covered"]) == sorted(frame["elderly_newly_covered"], reverse=True)
    assert list(frame["cumulative_share"]) == sorted(frame["cumulative_share"])
    assert frame["lon"].between(120, 121).all() and frame["lat"].between(32, 33).all()
    gdf = gpd.read_file(out / "suggestions.gpkg", layer="suggestions")
    assert len(gdf) == 4 and gdf.crs.to_epsg() == 4326
    project = load_project(out / "suggested.ccproj")
    assert "选址建议：日间照料中心" in project.plan.scenarios
    planned = [f for f in project.plan.scenarios["选址建议：日间照料中心"].values() if f.fid.startswith("S")]
    assert len(planned) == 4 and all(f.status == "planned" for f in planned)
    # the same on a project file, meeting the targets, limited to one township, with bad input refused in one line
    assert main(["suggest", str(out / "suggested.ccproj"), "--scenario", "现状", "--type", "长者驿站", "--meet-targets",
                 "--township", "磨头镇", "--out", str(tmp_path / "o2"), "--quiet"]) == 0
    frame = pd.read_csv(tmp_path / "o2" / "suggestions.csv", encoding="utf-8-sig")
    assert len(frame) == 1 and frame["township"].tolist() == ["磨头镇"]
    assert frame["targets_met"].tolist() == ["elder-stations-per-township:磨头镇"]
    capsys.readouterr()
    assert main(["suggest", "--sample", "--type", "spaceport", "--count", "2", "--out", str(tmp_path / "o3")]) == 2
    assert main(["suggest", "--sample", "--type", "day_care", "--count", "2", "--township", "火星镇",
                 "--out", str(tmp_path / "o3")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "火星镇" in err


def test_own_candidate_files(tmp_path, sample_doc):
    from projects.siting import read_candidates, suggest

    rows = [("城南社区活动中心", 120.5586, 32.3692), ("闲置小学", 120.6003, 32.1511), ("老村委会", 120.5476, 32.4059)]
    csv = tmp_path / "候选点.csv"
    csv.write_text("名称,经度,纬度\n" + "".join(f"{n},{a},{b}\n" for n, a, b in rows), encoding="gbk")
    gpkg = tmp_path / "cands.gpkg"
    gpd.GeoDataFrame({"名称": [r[0] for r in rows]}, geometry=[Point(a, b) for _, a, b in rows],
                     crs="EPSG:4326").to_crs("EPSG:4549").to_file(gpkg, driver="GPKG")
    xlsx = tmp_path / "cands.xlsx"
    import pandas as pd

    pd.DataFrame({"地点": [r[0] for r in rows], "经度": [r[1] for r in rows], "纬度": [r[2] for r in rows]}).to_excel(xlsx, index=False)
    frames = [read_candidates(p) for p in (csv, gpkg, xlsx)]
    for f in frames:
        assert list(f["name"]) == [r[0] for r in rows]
        assert np.allclose(f.geometry.x, [r[1] for r in rows], atol=1e-6)
    s = suggest(sample_doc.project, SitingParams(type="meal_point", count=2), scenario=sample_doc.plan.baseline,
                candidates=frames[1], network=sample_doc.network)
    assert len(s.facilities) == 2 and {f.name for f in s.facilities} <= {r[0] for r in rows}


@pytest.mark.parametrize("seed", range(6))
def test_greedy_bound_is_an_upper_bound(seed):
    rng = np.random.default_rng(300 + seed)
    sets = [set(np.nonzero(rng.random(12) < 0.3)[0].tolist()) for _ in range(7)]
    cm = _cm(sets, rng.integers(1, 9, 12).astype(float))
    g = greedy_max_cover(cm, 2)
    assert _brute_max(cm, 2) <= g.bound + 1e-9


def test_cancel_stops_the_exact_solution():
    """A Cancel while HiGHS runs stops it (its interrupt callbacks poll the feedback) and the run says cancelled."""
    from layers.errors import AnalysisCancelled
    from spatial.feedback import Feedback

    class CancelAtExact(Feedback):
        def on_progress(self, fraction, step):
            if step.startswith("exact"):
                self.cancel()

    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 800, (60, 2))
    pop = gpd.GeoDataFrame({"elderly": rng.integers(10, 200, 60).astype(float)},
                           geometry=[Point(a, b) for a, b in xy], crs=CRS)
    m, _, _ = _model(_facilities([]), population=pop)
    with pytest.raises(AnalysisCancelled):
        run_siting(m, SitingParams(type="meal_point", count=3, exact=True, spacing_m=60), feedback=CancelAtExact())
    stopped = exact_max_cover(_cm([{0, 1, 2, 3}, {0, 1, 4}, {2, 3, 5}], [1] * 6), 2, should_stop=lambda: True)
    assert stopped.chosen  # the start (or first) solution is still given back
