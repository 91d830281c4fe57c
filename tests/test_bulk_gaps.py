"""Gap areas built in bulk (:func:`spatial.analysis.gap_areas`: townships rasterised on the gap grid, one
polygonise call) against the former per-township cut, kept here as the reference: the same elderly per class
and township, areas within one cell along the outlines, every part inside its own township."""
from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from spatial.analysis import CoverageModel, gap_areas, points_covered
from spatial.isochrones import Samples, band_polygons, positions_along

ROOT = Path(__file__).resolve().parents[1]


def reference_gap_areas(snap) -> gpd.GeoDataFrame:
    """The implementation before the bulk rewrite (issue 19), copied verbatim as the reference: the gap
    multipolygon cut by each township in turn, samples given to the first part of their township holding them."""
    type_, net, dem, fld = snap.type, snap.net, snap.demand, snap.field
    params, polys, names = snap.params, snap.township_polys, snap.township_names
    lim = params.coverage_m
    step = params.gap_cell_m * 0.5
    xs, ys, ws, ts = [], [], [], []
    populated = np.nonzero(dem.edge_weight > 0)[0]
    if populated.size:
        L = net.length_m[populated]
        j, pos = positions_along(L, step_m=step, centred=True)
        edge = populated[j]
        out = fld.at(net, edge=edge, offset_m=pos) > lim
        uncovered_len = L - fld.covered_length_m(net, limit_m=lim)[populated]
        n_out = np.bincount(j[out], minlength=populated.size)
        w_per = np.divide(dem.edge_weight[populated] * uncovered_len / L, n_out, out=np.zeros(populated.size), where=n_out > 0)
        x, y = net.edge_point(edge[out], pos[out])
        xs.append(x), ys.append(y)
        ws.append(w_per[j[out]]), ts.append(dem.edge_township[edge[out]])
    if len(dem.points):
        out = ~points_covered(net, fld, dem.points, limit_m=lim)
        x, y = net.edge_point(dem.points.edge[out], dem.points.offset_m[out])
        xs.append(np.asarray(x)), ys.append(np.asarray(y))
        ws.append(dem.point_weight[out]), ts.append(dem.point_township[out])
    cols = ["type", "township", "elderly", "area_ha", "geometry"]
    if not xs or sum(a.size for a in xs) == 0:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=net.crs)
    x, y, w, t = (np.concatenate(a) for a in (xs, ys, ws, ts))
    samples = Samples(x, y, np.zeros(x.size, np.uint8))
    (area,) = band_polygons(samples, n_bands=1, buffer_m=max(params.gap_buffer_m, params.gap_cell_m),
                            cell_m=params.gap_cell_m)
    rows = []
    for ti, poly in enumerate(polys):
        piece = shapely.intersection(area, poly)
        if piece.is_empty:
            continue
        left = np.nonzero(t == ti)[0]
        for part in shapely.get_parts(piece):
            if shapely.get_type_id(part) != 3:
                continue
            inside = shapely.intersects_xy(part, x[left], y[left])
            elderly = float(w[left[inside]].sum())
            left = left[~inside]
            if elderly >= 0.5:
                rows.append({"type": type_, "township": names[ti], "elderly": round(elderly, 1),
                             "area_ha": round(part.area / 1e4, 2), "geometry": part})
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=net.crs)


def _compare(model: CoverageModel) -> int:
    """Every class: the bulk gap areas against the reference; returns the number of parts compared."""
    cell = model.params.gap_cell_m
    polys = dict(zip(model.township_names, model.township_polys))
    n = 0
    for t in model.classes.ids:
        snap = model.gap_snapshot(t)
        old, new = reference_gap_areas(snap), gap_areas(snap)
        assert list(new.columns) == ["type", "township", "elderly", "area_ha", "geometry"]
        assert new.crs == old.crs
        assert (new["type"] == t).all()
        e_old = old.groupby("township")["elderly"].sum()
        e_new = new.groupby("township")["elderly"].sum()
        both = e_old.index.union(e_new.index)
        diff = (e_old.reindex(both, fill_value=0) - e_new.reindex(both, fill_value=0)).abs()
        # the same samples; only the border and part assignment differ (parts under 0.5 are dropped in both)
        assert diff.max() <= 0.5, diff[diff > 0.5]
        if len(old):
            per = float(shapely.length(old.geometry.to_numpy()).sum())
            assert abs(new["area_ha"].sum() - old["area_ha"].sum()) * 1e4 <= cell * per, (t, new["area_ha"].sum(), old["area_ha"].sum())
        for name, g in zip(new["township"], new.geometry):
            assert g.is_valid and g.geom_type == "Polygon"
            town = polys[name]
            # inside its own township within one cell; nothing of another township beyond one cell
            assert shapely.difference(g, shapely.buffer(town, cell * 1.5)).area == pytest.approx(0.0, abs=1e-3)
            for other, op in polys.items():
                if other != name:
                    assert shapely.intersection(g, shapely.buffer(op, -cell * 1.5)).area == pytest.approx(0.0, abs=1e-3)
        assert (new["elderly"] >= 0.5).all()
        n += len(new)
    return n


@pytest.fixture(scope="module")
def sample_model():
    from projects.inputs import load_inputs, sample_info
    from projects.ccproj import Settings
    from projects.profiles import DEFAULT_PROFILE, load_profile
    from layers.classes import BASELINE_STATUSES

    inputs = load_inputs(sample_info().sources)
    params = Settings(profile=load_profile(DEFAULT_PROFILE)).params(statuses=BASELINE_STATUSES, area_name="")
    model = CoverageModel(inputs, params)
    model.load_facilities(inputs.facilities)
    return model


def test_sample_every_class_same_as_reference(sample_model):
    assert _compare(sample_model) > 0


def test_generated_small_case_same_as_reference():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_e2e
    except ImportError:  # pragma: no cover - the bench is part of the repository
        pytest.skip("bench/bench_e2e.py not importable")
    finally:
        sys.path.remove(str(ROOT / "bench"))
    import gui.cli as cli
    from layers.classes import BASELINE_STATUSES
    from projects.ccproj import Settings
    from projects.inputs import load_inputs
    from projects.profiles import DEFAULT_PROFILE, load_profile

    paths = bench_e2e.generate("small")
    args = cli.build_parser().parse_args(bench_e2e.cli_args(paths, Path("/nonexistent")))
    inputs = load_inputs(cli._sources(args))
    params = Settings(profile=load_profile(DEFAULT_PROFILE)).params(statuses=BASELINE_STATUSES, area_name="")
    model = CoverageModel(inputs, params)
    model.load_facilities(inputs.facilities)
    assert _compare(model) > 0


def test_nothing_uncovered_gives_empty_frame(sample_model):
    snap = sample_model.gap_snapshot(sample_model.classes.ids[0])
    from dataclasses import replace

    none = gap_areas(replace(snap, township_polys=(), township_names=()))
    assert list(none.columns) == ["type", "township", "elderly", "area_ha", "geometry"] and len(none) == 0
