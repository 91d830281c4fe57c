"""Gap parts made incrementally (:mod:`spatial.gaps`): a class re-traces only the base regions it changes; the
parts must be those one trace of the class's whole grid gives (the method before it), cell for cell."""
from __future__ import annotations

import numpy as np
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from spatial.gaps import class_parts, grid_parts, township_components
from spatial.polygonize import polygons_of_labels

TRANSFORM = Affine(25.0, 0.0, 40_500_000.0, 0.0, -25.0, 3_600_000.0)


def _towns(rng, h, w, k):
    """Township index + 1 per cell: nearest of ``k`` random seeds (blocky regions that touch), some cells none."""
    sy, sx = rng.integers(0, h, k), rng.integers(0, w, k)
    yy, xx = np.mgrid[0:h, 0:w]
    d = (yy[..., None] - sy) ** 2 + (xx[..., None] - sx) ** 2
    town = (np.argmin(d, axis=-1) + 1).astype(np.int16)
    town[rng.random((h, w)) < 0.03] = 0
    return town


def _full_trace(on, town):
    """One trace of the whole class grid: parts by township, then row-major first cell; their cell counts."""
    comp, comp_town = township_components(np.where(on, town, 0))
    polys, values = polygons_of_labels(comp, transform=TRANSFORM)
    order = np.argsort(comp_town[values - 1], kind="stable")
    cells = np.bincount(comp.ravel(), minlength=comp_town.size + 1)[values]
    return polys[order], comp_town[values - 1][order], cells[order], comp


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 100_000), h=st.integers(1, 40), w=st.integers(1, 40), k=st.integers(1, 5),
       density=st.floats(0.2, 0.9), keep=st.sampled_from([1.0, 0.97, 0.8, 0.5, 0.0]))
def test_class_parts_are_one_trace_of_the_class_grid(seed, h, w, k, density, keep):
    rng = np.random.default_rng(seed)
    town = _towns(rng, h, w, k)
    base_on = rng.random((h, w)) < density
    on = base_on & (rng.random((h, w)) < keep)  # a class's cells lie within the base's
    base = grid_parts(base_on, town, transform=TRANSFORM)
    cp = class_parts(base, on, transform=TRANSFORM, key="grid", project=None)
    want, want_town, want_cells, comp = _full_trace(on, town)
    order = np.lexsort((cp.first, cp.town))
    got = cp.geoms[order]
    assert got.size == want.size
    assert (cp.town[order] == want_town).all()
    assert (cp.cells[order] == want_cells).all()
    assert shapely.equals_exact(got, want, tolerance=0.0).all()
    assert np.allclose(shapely.area(got), cp.cells[order] * 625.0)
    # every on cell in a township: its part holds the cell's centre; other cells have none
    flat = np.arange(h * w)
    part = cp.part_at(flat)
    inside = (on & (town > 0)).ravel()
    assert ((part >= 0) == inside).all()
    rows, cols = np.divmod(flat[inside], w)
    x, y = TRANSFORM.c + (cols + 0.5) * TRANSFORM.a, TRANSFORM.f + (rows + 0.5) * TRANSFORM.e
    assert shapely.contains_xy(cp.geoms[part[inside]], x, y).all()
    # the metric polygons are the geometries themselves here; a vertex map gives mapped copies of them
    assert cp.metric() is cp.geoms
    moved = class_parts(base, on, transform=TRANSFORM, key="shifted", project=lambda xy: xy + [1.0, 2.0])
    assert shapely.equals_exact(moved.geoms, shapely.transform(cp.geoms, lambda xy: xy + [1.0, 2.0]), tolerance=1e-9).all()
    assert shapely.equals_exact(moved.metric(), cp.geoms, tolerance=0.0).all()


def test_a_class_covering_nothing_keeps_every_base_part():
    rng = np.random.default_rng(5)
    town = _towns(rng, 30, 30, 3)
    on = rng.random((30, 30)) < 0.5
    base = grid_parts(on, town, transform=TRANSFORM)
    cp = class_parts(base, on, transform=TRANSFORM, key="grid", project=None)
    assert cp.town.size == base.n
    assert all(a is b for a, b in zip(cp.geoms, base.polygons("grid", None)))  # the same objects, not traced again
