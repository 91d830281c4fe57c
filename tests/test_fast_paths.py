"""The fast paths of issue 19 against the plain tools they replace: the bucketed nearest-edge search against
the GEOS tree, the x-sorted polygon locator against a tree query, row uniqueness by lexsort against
``np.unique(axis=0)``, and road pieces against the whole lines (the same nearest distances)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.segments import SegmentIndex, segments_of
from layers.crs import reproject_frame, reproject_xy
from spatial.coverage import PolygonLocator
from spatial.network import build_network, nearest_edges, unique_rows

CRS = "EPSG:4528"


def _grid_net(seed: int, *, side: int = 12, step: float = 100.0, long_edges: bool = False):
    rng = np.random.default_rng(seed)
    x0, y0 = 40_470_000.0, 3_560_000.0
    lines = []
    for i in range(side):
        pts = [(x0 + j * step + rng.uniform(-20, 20), y0 + i * step + rng.uniform(-20, 20)) for j in range(side)]
        lines.append(shapely.LineString(pts))
        lines.append(shapely.LineString([(y - y0 + x0, x - x0 + y0) for x, y in pts]))
    if long_edges:  # a long diagonal road across the grid: many cells per edge
        lines.append(shapely.LineString([(x0 - 500, y0 - 700), (x0 + side * step + 900, y0 + side * step + 400)]))
    return build_network(gpd.GeoDataFrame(geometry=lines, crs=CRS), snap_m=0.5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), long_edges=st.booleans(), spread=st.sampled_from([50.0, 400.0, 5000.0]))
def test_nearest_edges_agree_with_the_tree(seed, long_edges, spread):
    net = _grid_net(seed, long_edges=long_edges)
    rng = np.random.default_rng(seed + 1)
    cx, cy = net.x.mean(), net.y.mean()
    x = np.r_[rng.normal(cx, spread, 300), net.x[:20], (net.x[net.u[:20]] + net.x[net.v[:20]]) / 2]
    y = np.r_[rng.normal(cy, spread, 300), net.y[:20], (net.y[net.u[:20]] + net.y[net.v[:20]]) / 2]
    edge, dist = nearest_edges(net, x=x, y=y)
    (src, tgt), d = net.edge_tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    assert (edge >= 0).all()
    np.testing.assert_allclose(dist[src], d, atol=1e-6)
    # the chosen edge is as near as the tree's (ties may pick another edge, then the lowest id)
    mine = shapely.distance(net.edge_lines[edge], shapely.points(x, y))
    np.testing.assert_allclose(mine, dist, atol=1e-6)


def test_nearest_edges_ties_go_to_the_lowest_edge():
    net = _grid_net(3)
    node = 40
    edge, dist = nearest_edges(net, x=net.x[[node]], y=net.y[[node]])
    touching = np.nonzero((net.u == node) | (net.v == node))[0]
    assert dist[0] == 0.0 and edge[0] == touching.min()


def test_nearest_edges_empty_inputs():
    net = _grid_net(1)
    edge, dist = nearest_edges(net, x=np.zeros(0), y=np.zeros(0))
    assert edge.size == 0 and dist.size == 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12))
def test_polygon_locator_first_match_like_a_tree_query(seed, n):
    rng = np.random.default_rng(seed)
    polys = [shapely.buffer(shapely.Point(rng.uniform(0, 100, 2)), rng.uniform(5, 40), quad_segs=4) for _ in range(n)]
    polys[0] = shapely.box(0, 0, 50, 50)  # shares edges with points on a lattice
    if n > 2:
        polys[1] = None
        polys[2] = shapely.Polygon()
    arr = np.asarray(polys, dtype=object)
    x = np.r_[rng.uniform(-10, 110, 500), np.arange(0, 60, 5.0)]
    y = np.r_[rng.uniform(-10, 110, 500), np.full(12, 50.0)]
    got = PolygonLocator(arr).locate(x, y)
    want = np.full(x.size, -1)
    for i in range(n - 1, -1, -1):
        if polys[i] is not None and not polys[i].is_empty:
            want[shapely.intersects_xy(polys[i], x, y)] = i
    np.testing.assert_array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 300), k=st.integers(1, 30))
def test_unique_rows_is_numpy_unique(seed, n, k):
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, k, (n, 2)) * 0.001 + np.array([40_000_000.0, 3_500_000.0])
    u, inv = unique_rows(xy)
    nu, ninv = np.unique(xy.reshape(-1, 2), axis=0, return_inverse=True)
    np.testing.assert_array_equal(u, nu)
    np.testing.assert_array_equal(inv, ninv.ravel())


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), spread=st.sampled_from([10.0, 300.0, 3000.0]))
def test_segment_index_agrees_with_the_tree_on_road_lines(seed, spread):
    rng = np.random.default_rng(seed)
    lines = [shapely.LineString(rng.uniform(0, 1000, (int(m), 2))) for m in rng.integers(2, 40, 6)]
    lines.append(shapely.MultiLineString([[(0, 0), (10, 10)], [(20, 20), (30, 30), (40, 45)]]))
    lines.append(shapely.LineString([(-500, -500), (2500, 1800)]))  # long and diagonal
    lines += [None, shapely.LineString()]
    index = SegmentIndex(*segments_of(np.asarray(lines, dtype=object)))
    pts = rng.normal(500, spread, (400, 2))
    real = np.asarray([g for g in lines if g is not None and not g.is_empty], dtype=object)
    want = shapely.STRtree(real).query_nearest(shapely.points(pts), return_distance=True, all_matches=False)[1]
    seg, got = index.nearest(pts[:, 0], pts[:, 1])
    assert (seg >= 0).all()
    np.testing.assert_allclose(got, want, atol=1e-9)


@pytest.mark.parametrize("src, extent_m", [("EPSG:4528", 50_000.0), ("EPSG:4528", 120_000.0), ("EPSG:32650", 80_000.0)])
def test_reprojection_on_a_grid_is_proj_to_a_millimetre(src, extent_m):
    rng = np.random.default_rng(7)
    x0 = 40_470_000.0 if src == "EPSG:4528" else 400_000.0
    xy = np.column_stack([rng.uniform(x0, x0 + extent_m, 250_000), rng.uniform(3_560_000, 3_560_000 + extent_m, 250_000)])
    got = reproject_xy(xy, src=src, dst="EPSG:4326")
    want = np.column_stack(pyproj.Transformer.from_crs(src, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1]))
    assert np.abs(got - want).max() < 2e-8  # degrees: about 2 mm


def test_reprojection_falls_back_to_proj_when_the_grid_cannot_agree(monkeypatch):
    import layers.crs as crs_mod

    monkeypatch.setattr(crs_mod, "GRID_TOLERANCE_DEG", 0.0)
    rng = np.random.default_rng(8)
    xy = np.column_stack([rng.uniform(40_470_000, 40_520_000, 150_000), rng.uniform(3_560_000, 3_610_000, 150_000)])
    got = reproject_xy(xy, src="EPSG:4528", dst="EPSG:4326")
    want = np.column_stack(pyproj.Transformer.from_crs("EPSG:4528", "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1]))
    np.testing.assert_array_equal(got, want)


def test_reproject_frame_is_to_crs():
    rng = np.random.default_rng(9)
    pts = shapely.points(rng.uniform(40_470_000, 40_520_000, 4000), rng.uniform(3_560_000, 3_610_000, 4000))
    frame = gpd.GeoDataFrame({"v": np.arange(4000)}, geometry=shapely.buffer(pts, 30.0, quad_segs=8), crs="EPSG:4528",
                             index=np.arange(4000) * 2)
    got = reproject_frame(frame, "EPSG:4326")
    want = frame.to_crs("EPSG:4326")
    assert got.crs.equals(want.crs) and list(got.index) == list(want.index) and list(got["v"]) == list(want["v"])
    a, b = shapely.get_coordinates(got.geometry.values), shapely.get_coordinates(want.geometry.values)
    assert shapely.get_num_coordinates(got.geometry.values).sum() > 100_000 and np.abs(a - b).max() < 2e-8
    empty = reproject_frame(frame.iloc[:0], "EPSG:4326")
    assert len(empty) == 0 and empty.crs.equals(want.crs)


# ------------------------------------------------------------------------------ polygon jobs side by side


def _grid_inputs(seed: int = 5):
    from spatial.analysis import AnalysisInputs

    net = _grid_net(seed, side=15)
    rng = np.random.default_rng(seed)
    cx, cy = net.x.mean(), net.y.mean()
    towns = gpd.GeoDataFrame({"name": ["甲镇", "乙镇"], "elderly": [900.0, 600.0]},
                             geometry=[shapely.box(cx - 900, cy - 900, cx, cy + 900), shapely.box(cx, cy - 900, cx + 900, cy + 900)], crs=CRS)
    pts = rng.uniform(-600, 600, (6, 2)) + [cx, cy]
    fac = gpd.GeoDataFrame({"fid": [f"F{i}" for i in range(6)], "name": [f"设施{i}" for i in range(6)],
                            "type": ["day_care", "day_care", "meal_point", "home_care_station", "home_care_station", "nursing_home"],
                            "beds": [0, 0, 0, 0, 0, 50], "nursing_beds": [0, 0, 0, 0, 0, 20], "status": ["existing"] * 6},
                           geometry=shapely.points(pts), crs=CRS)
    return AnalysisInputs(network=net, townships=towns, facilities=fac)


def test_polygon_jobs_in_threads_give_what_one_thread_gives():
    from spatial.analysis import AnalysisParams, run_analysis
    from spatial.targets import StandardProfile

    inputs = _grid_inputs()
    params = AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=10.0), minutes=(5.0, 10.0))
    one = run_analysis(inputs, params, workers=1)
    two = run_analysis(inputs, params, workers=2)
    for name in ("isochrones", "gaps", "facility_circles"):
        a, b = getattr(one, name), getattr(two, name)
        assert len(a) > 0 and list(a.columns) == list(b.columns)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert shapely.equals(a.geometry.values, b.geometry.values).all()
    # the elderly placed in a thread of their own beside the reaches (two workers): the same figures
    assert one.coverage_frame().equals(two.coverage_frame()) and one.targets_frame().equals(two.targets_frame())
    assert two.model._demand_thread is None  # joined before the polygon jobs


def test_an_error_placing_the_elderly_in_a_thread_is_raised_where_the_demand_is_asked_for(monkeypatch):
    import spatial.analysis as analysis
    from layers.errors import InputError
    from spatial.analysis import AnalysisParams, CoverageModel
    from spatial.targets import StandardProfile

    def broken(*args, **kwargs):
        raise InputError("population layer: broken")

    monkeypatch.setattr(analysis, "build_demand", broken)
    params = AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=10.0), minutes=(5.0, 10.0))
    model = CoverageModel(_grid_inputs(), params, demand_in_thread=True)
    with pytest.raises(InputError, match="broken"):
        model.demand


class _Record:
    def __init__(self):
        from spatial.feedback import Feedback

        class R(Feedback):
            def __init__(self):
                super().__init__()
                self.seen = []

            def on_progress(self, fraction, step):
                self.seen.append((fraction, step))

        self.fb = R()


def _job(step, weight, fn):
    from spatial.analysis import PolygonJob

    return PolygonJob(step, weight, fn)


@pytest.mark.parametrize("workers", [1, 2])
def test_run_jobs_keeps_the_jobs_order_and_reports_progress(workers):
    import time

    from spatial.analysis import run_jobs

    rec = _Record()
    jobs = [_job(f"j{i}", float(i + 1), (lambda i: lambda fb: (time.sleep(0.02 * (5 - i)), i)[1])(i)) for i in range(5)]
    assert run_jobs(jobs, feedback=rec.fb, workers=workers) == [0, 1, 2, 3, 4]
    fractions = [f for f, _ in rec.fb.seen]
    assert fractions and fractions == sorted(fractions) and fractions[-1] <= 1.0


@pytest.mark.parametrize("workers", [1, 2])
def test_run_jobs_raises_a_jobs_error(workers):
    from spatial.analysis import run_jobs

    def bad(fb):
        raise ValueError("bad input row 7")

    with pytest.raises(ValueError, match="row 7"):
        run_jobs([_job("ok", 1.0, lambda fb: 1), _job("bad", 1.0, bad)], feedback=_Record().fb, workers=workers)


def test_cancelling_stops_running_and_waiting_jobs():
    import threading

    from layers.errors import AnalysisCancelled
    from spatial.analysis import run_jobs

    rec = _Record()
    started, stopped = threading.Event(), threading.Event()
    ran = []

    def long(fb):  # checks its feedback like facility_circle_polygons does between packed rasters
        started.set()
        for _ in range(500):
            try:
                fb.progress(0.5)
            except AnalysisCancelled:
                stopped.set()
                raise
            threading.Event().wait(0.01)
        return "finished"

    def cancel_soon(fb):
        started.wait(2)
        rec.fb.cancel()
        return "c"

    jobs = [_job("long", 9.0, long), _job("cancel", 1.0, cancel_soon)] + [_job(f"w{i}", 0.5, lambda fb, i=i: ran.append(i)) for i in range(4)]
    with pytest.raises(AnalysisCancelled):
        run_jobs(jobs, feedback=rec.fb, workers=2)
    assert stopped.is_set()


# ------------------------------------------------------------------------------ whole columns at once


def test_parse_floats_is_parse_float_per_cell():
    from layers.errors import InputError
    from layers.tables import parse_float, parse_floats

    kw = dict(path="p.csv", column="老年人口", what="elderly count", minimum=0)
    np.testing.assert_array_equal(parse_floats(np.array([1, 2, 30]), **kw), [1.0, 2.0, 30.0])
    mixed = np.array(["1,200", "３", 4.5, " 7 "], dtype=object)
    np.testing.assert_array_equal(parse_floats(mixed, **kw), [parse_float(v, row=1, **kw) for v in mixed])
    for bad, row, text in ((np.array([1.0, np.nan, 3.0]), 2, "missing"), (np.array([1, 2, -3]), 3, "below"),
                           (np.array([1.0, np.inf]), 2, "finite"), (np.array(["1", "x"], dtype=object), 2, "number")):
        with pytest.raises(InputError, match=text) as err:
            parse_floats(bad, **kw)
        assert err.value.row == row and err.value.column == "老年人口"
    np.testing.assert_array_equal(parse_floats(np.array([1.0, np.nan]), path=None, column=None, what="x", default=0.0), [1.0, 0.0])


def test_population_points_vectorised_keep_the_checks_per_row():
    from layers.errors import InputError
    from layers.population import _single_points

    pts = np.array([shapely.Point(1, 2), shapely.MultiPoint([(3, 4)]), shapely.Point(5, 6, 7)], dtype=object)
    got = _single_points(pts, path=Path("p.gpkg"))
    assert list(shapely.get_type_id(got)) == [0, 0, 0] and not shapely.has_z(got).any()
    np.testing.assert_array_equal(shapely.get_coordinates(got), [[1, 2], [3, 4], [5, 6]])
    for bad, text in ((None, "no geometry"), (shapely.Point(), "no geometry"), (shapely.LineString([(0, 0), (1, 1)]), "LineString"),
                      (shapely.MultiPoint([(0, 0), (1, 1)]), "MultiPoint"), (shapely.Point(np.nan, 1), "finite")):
        arr = pts.copy()
        arr[1] = bad
        with pytest.raises(InputError, match=text) as err:
            _single_points(arr, path=Path("p.gpkg"))
        assert err.value.row == 2


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 400), k=st.integers(2, 30))
def test_unique_edges_keep_the_shortest_like_a_lexsort(seed, n, k):
    from spatial.network import _unique_edges

    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 5, (k, 2)).astype(float)  # repeated coordinates: equal lengths tie
    a, b = rng.integers(0, k, n), rng.integers(0, k, n)
    part = np.arange(n)
    keep = a != b
    ua, va, pa = np.minimum(a, b)[keep], np.maximum(a, b)[keep], part[keep]
    la = np.hypot(*(xy[va] - xy[ua]).T)
    order = np.lexsort((la, va, ua))
    ua, va, la, pa = ua[order], va[order], la[order], pa[order]
    first = np.r_[True, (ua[1:] != ua[:-1]) | (va[1:] != va[:-1])] if ua.size else np.zeros(0, bool)
    got = _unique_edges(xy, a, b, part)
    for g, w in zip(got, (ua[first], va[first], la[first], pa[first])):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 60))
def test_subgraph_is_scipy_fancy_indexing(seed, k):
    from scipy import sparse

    from spatial.isochrones import _subgraph

    rng = np.random.default_rng(seed)
    n = 80
    a = sparse.random(n, n, density=0.08, random_state=seed, format="csr")
    a = (a + a.T).tocsr()
    nodes = np.unique(rng.integers(0, n, k)).astype(np.int64)
    got, want = _subgraph(a, nodes), a[nodes][:, nodes]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.toarray(), want.toarray())


def test_the_kept_gap_base_gives_what_a_fresh_one_gives_after_an_edit():
    from dataclasses import replace

    from spatial.analysis import AnalysisParams, CoverageModel, gap_areas
    from spatial.targets import StandardProfile

    inputs = _grid_inputs(11)
    model = CoverageModel(inputs, AnalysisParams(profile=StandardProfile(name="t", coverage_minutes=5.0), minutes=(5.0,)))
    model.load_facilities(inputs.facilities)
    first = model.gap_base()
    st = model.circles.facilities["F0"]
    model.circles.set_facility("F0", x=st.x + 250.0, y=st.y - 120.0, type=st.type, name=st.name)
    snap = model.gap_snapshot("day_care")
    assert snap.base is first  # kept: the elderly did not move
    kept, fresh = gap_areas(snap), gap_areas(replace(snap, base=None))
    assert len(kept) > 0 and kept.drop(columns="geometry").equals(fresh.drop(columns="geometry"))
    assert shapely.equals(kept.geometry.values, fresh.geometry.values).all()


def test_reproject_series_is_to_crs():
    from layers.crs import reproject_series

    rng = np.random.default_rng(12)
    s = gpd.GeoSeries(shapely.points(rng.uniform(40_470_000, 40_520_000, 50), rng.uniform(3_560_000, 3_610_000, 50)),
                      crs="EPSG:4528", index=np.arange(50) + 7, name="g")
    got, want = reproject_series(s, "EPSG:4326"), s.to_crs("EPSG:4326")
    assert got.crs.equals(want.crs) and list(got.index) == list(want.index)
    np.testing.assert_allclose(shapely.get_coordinates(got.values), shapely.get_coordinates(want.values), atol=1e-12)
    assert reproject_series(s, "EPSG:4528") is s


def _disk_min_reference(grid, radius_cells):
    """The definition: per row offset dy, scipy's 1-D minimum filter of width 2*w(dy)+1, shifted by dy."""
    from scipy import ndimage

    r = int(np.floor(radius_cells + 1e-9))
    pad = np.full((grid.shape[0] + 2 * r, grid.shape[1]), 255, np.uint8)
    pad[r:r + grid.shape[0]] = grid
    out = np.full(grid.shape, 255, np.uint8)
    for dy in range(-r, r + 1):
        w = int(np.floor(np.sqrt(radius_cells ** 2 - dy * dy) + 1e-9))
        rows = ndimage.minimum_filter1d(pad, size=2 * w + 1, axis=1, mode="constant", cval=255)
        np.minimum(out, rows[r + dy:r + dy + grid.shape[0]], out=out)
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), h=st.integers(1, 30), w=st.integers(1, 30),
       radius=st.sampled_from([0.0, 0.9, 1.0, 1.5, 2.0, 3.5, 4.0, 5.0, 7.2]), levels=st.integers(1, 4))
def test_disk_min_filter_is_scipys_filter_per_row_offset(seed, h, w, radius, levels):
    from spatial.isochrones import disk_min_filter

    rng = np.random.default_rng(seed)
    grid = np.where(rng.random((h, w)) < 0.1, rng.integers(0, levels, (h, w)), 255).astype(np.uint8)
    assert np.array_equal(disk_min_filter(grid, radius_cells=radius), _disk_min_reference(grid, radius))


def test_threads_wanting_the_same_reprojection_grid_make_it_once(monkeypatch):
    import threading
    import time

    import layers.crs as crs

    made = []
    real = crs._make_grid

    def slow(tr, box, *, tol):
        made.append(box)
        time.sleep(0.2)  # long enough for the other threads to arrive while it is made
        return real(tr, box, tol=tol)

    monkeypatch.setattr(crs, "_make_grid", slow)
    monkeypatch.setattr(crs, "_grids", {})
    box = (40_461_000.0, 3_551_000.0, 40_468_000.0, 3_558_000.0)
    got = []
    threads = [threading.Thread(target=lambda: got.append(crs._interpolation_grid("EPSG:4528", "EPSG:4326", box)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len(got) == 4 and all(g is got[0] for g in got)
