"""Per-facility circles built in bulk (:func:`spatial.isochrones.facility_circle_polygons`) against one
:func:`circle_polygons` call per facility: the same shapes within one raster cell."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from spatial.isochrones import circle_polygons, facility_circle_polygons, reach_from
from spatial.network import build_network, snap_points

LIMITS = (300.0, 600.0, 900.0)
CELL = 10.0


def _same_within_a_cell(old: list, new: list) -> None:
    assert len(old) == len(new)
    for a, b in zip(old, new):
        assert a.is_empty == b.is_empty
        if a.is_empty:
            continue
        assert b.is_valid
        diff = shapely.symmetric_difference(a, b).area
        assert diff <= a.length * CELL + 1e-6, (diff, a.length * CELL)
        assert shapely.hausdorff_distance(a, b) <= CELL * np.sqrt(2) + 1e-6
        # the same cells; a layer read back from WGS 84 (reprojected to within a millimetre) may differ by a hair
        assert b.area == pytest.approx(a.area, rel=1e-9, abs=0.1)


def _reaches(net, xs, ys, max_m=900.0):
    snap = snap_points(net, x=np.asarray(xs, float), y=np.asarray(ys, float))
    return [reach_from(net, edge=int(snap.edge[i]), offset_m=float(snap.offset_m[i]), access_m=float(snap.access_m[i]),
                       max_m=max_m) for i in range(len(xs))]


def _compare(net, reaches, **kw):
    bulk = facility_circle_polygons(net, reaches, limits_m=LIMITS, buffer_m=50.0, cell_m=CELL, **kw)
    assert len(bulk) == len(reaches)
    for r, new in zip(reaches, bulk):
        old = circle_polygons(net, [r], limits_m=LIMITS, buffer_m=50.0, cell_m=CELL)
        _same_within_a_cell(old, new)
    return bulk


@pytest.fixture(scope="module")
def sample():
    from projects.inputs import load_inputs, sample_info

    inputs = load_inputs(sample_info().sources)
    fac = inputs.facilities.to_crs(inputs.network.crs)
    return inputs.network, fac


def test_sample_facilities_same_as_one_call_each(sample):
    net, fac = sample
    reaches = _reaches(net, fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy())
    bulk = _compare(net, reaches)
    assert sum(not g.is_empty for b in bulk for g in b) > 0.9 * 3 * len(reaches)


def test_several_packed_rasters_give_the_same(sample):
    net, fac = sample
    reaches = _reaches(net, fac.geometry.x.to_numpy()[:40], fac.geometry.y.to_numpy()[:40])
    _compare(net, reaches, atlas_cells=200_000)  # a few windows per packed raster


def _grid_network(side: int = 60, seed: int = 3):
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(40_470_000.0 + np.arange(side) * 100.0, 3_560_000.0 + np.arange(side) * 100.0)
    gx = gx + rng.uniform(-20, 20, gx.shape)
    gy = gy + rng.uniform(-20, 20, gy.shape)
    pts = np.stack([gx, gy], axis=-1)
    coords = np.concatenate([pts.reshape(-1, 2), pts.transpose(1, 0, 2).reshape(-1, 2)])
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(2 * side), side))
    roads = gpd.GeoDataFrame({"highway": ["residential"] * len(lines), "name": [None] * len(lines)}, geometry=lines, crs="EPSG:4528")
    return build_network(roads), rng


def test_generated_grid_with_overlapping_and_edge_cases():
    net, rng = _grid_network()
    minx, maxx = net.x.min(), net.x.max()
    miny, maxy = net.y.min(), net.y.max()
    xs = list(rng.uniform(minx, maxx, 30)) + [minx + 1000.0, minx + 1010.0, maxx + 5.0]
    ys = list(rng.uniform(miny, maxy, 30)) + [miny + 1000.0, miny + 1000.0, maxy + 5.0]
    reaches = _reaches(net, xs, ys)
    # a facility whose walk to the road uses up the budget on its own edge only, and one reaching nothing
    r = reaches[0]
    from spatial.isochrones import Reach

    reaches.append(Reach(np.zeros(0, np.int64), np.zeros(0), r.edge, r.offset_m, 880.0, 900.0))
    reaches.append(Reach(np.zeros(0, np.int64), np.zeros(0), -1, 0.0, np.inf, 900.0))
    bulk = _compare(net, reaches)
    assert all(g.is_empty for g in bulk[-1])
    assert not bulk[-2][2].is_empty


def test_no_reaches():
    net, _ = _grid_network(side=5)
    assert facility_circle_polygons(net, [], limits_m=LIMITS) == []


def test_run_analysis_layer_matches_one_facility_at_a_time():
    from projects.inputs import load_inputs, sample_info
    from projects.profiles import load_profile
    from spatial.analysis import AnalysisParams, run_analysis

    info = sample_info()
    result = run_analysis(load_inputs(info.sources), AnalysisParams(profile=load_profile(info.profile)))
    layer = result.facility_circles.to_crs(result.model.net.crs)
    shown = [fid for fid, st in result.model.circles.facilities.items() if st.status != "to_close"]
    assert set(layer["facility_id"]) == set(shown)
    for fid in shown[::10]:
        old = result.model.facility_circle(fid)
        rows = layer[layer["facility_id"] == fid]
        new = [rows.loc[rows["minutes"] == m, "geometry"].iloc[0] if (rows["minutes"] == m).any() else shapely.MultiPolygon()
               for m in result.params.minutes]
        _same_within_a_cell(old, new)
