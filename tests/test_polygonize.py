"""The vectorised polygoniser (:mod:`spatial.polygonize`) against ``rasterio.features.shapes`` (GDAL, 4-connected):
the same polygons as point sets with the same values and the same count per value, every polygon valid, and
bit-identical vertex coordinates (the corners where the outline turns) through the affine transform."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio import features
from scipy import ndimage

from spatial import polygonize
from spatial.polygonize import Outlines, outlines_of_labels, polygons_of_labels, polygons_of_outlines
from spatial.polygonize import _number_cycles, _ruler_cycles, _walk_cycles

GK = Affine(25.0, 0.0, 40469950.0, 0.0, -25.0, 3604950.0)  # a gap grid in CGCS2000 GK metres
SKEW = Affine(0.1, 0.02, 40469950.3, -0.01, -0.3, 3604950.7)  # rotated and sheared: the formula's order matters


def _reference(labels, mask, transform):
    """rasterio's polygons (made valid: GDAL may give a ring touching itself) and values."""
    lab = labels.view(np.uint8) if labels.dtype == bool else labels
    if lab.dtype not in (np.int8, np.int16, np.int32, np.uint8, np.uint16):  # types rasterio cannot take
        lab = lab.astype(np.float64)
    if mask is None:
        mask = lab != 0
    out = list(features.shapes(np.ascontiguousarray(lab), mask=np.ascontiguousarray(mask), connectivity=4,
                               transform=transform))
    polys = np.array([shapely.geometry.shape(g) for g, _ in out], dtype=object)
    return polys, np.array([int(v) for _, v in out], dtype=np.int64)


def _turns(ring: np.ndarray) -> set[tuple[float, float]]:
    """The vertices of a closed ring where its direction changes."""
    c = ring[:-1]
    prev, nxt = np.roll(c, 1, axis=0), np.roll(c, -1, axis=0)
    cross = (c[:, 0] - prev[:, 0]) * (nxt[:, 1] - c[:, 1]) - (c[:, 1] - prev[:, 1]) * (nxt[:, 0] - c[:, 0])
    return {tuple(p) for p in c[cross != 0]}


def assert_same_as_rasterio(labels, mask=None, transform=GK):
    polys, values = polygons_of_labels(labels, mask=mask, transform=transform)
    ref, ref_values = _reference(labels, mask, transform)
    assert polys.dtype == object and values.dtype == np.int64
    assert len(polys) == len(ref)
    assert Counter(values.tolist()) == Counter(ref_values.tolist())
    assert shapely.is_valid(polys).all(), [shapely.is_valid_reason(p) for p in polys if not shapely.is_valid(p)]
    assert (shapely.get_type_id(polys) == 3).all()  # polygons
    # one to one: each reference polygon equals exactly one of ours with its value
    tree = shapely.STRtree(polys)
    matched = np.zeros(len(polys), dtype=bool)
    for g, v in zip(shapely.make_valid(ref), ref_values):
        cand = [c for c in tree.query(g, predicate="intersects") if values[c] == v and shapely.equals(polys[c], g)]
        assert len(cand) == 1, (g, v)
        assert not matched[cand[0]]
        matched[cand[0]] = True
    # bit-identical corners: ours are exactly the turning vertices of GDAL's rings
    ours = {tuple(p) for p in shapely.get_coordinates(polys)}
    theirs: set = set()
    for g in ref:
        for r in [g.exterior, *g.interiors]:
            theirs |= _turns(shapely.get_coordinates(r))
    assert ours == theirs
    # no collinear vertices kept
    for p in polys:
        for r in [p.exterior, *p.interiors]:
            c = shapely.get_coordinates(r)
            assert len(_turns(c)) == len(c) - 1
    return polys, values


# ------------------------------------------------------------------------------------------ hand cases


@pytest.mark.parametrize("rows", [
    ["1"],
    ["0"],
    ["10", "01"],  # two cells of one value touching at a corner only: two polygons
    ["01", "10"],
    ["12", "21"],  # a 2x2 checkerboard of two values
    ["111", "101", "111"],  # a ring with a one-cell hole
    ["111", "121", "111"],  # the hole filled by another value
    ["111", "101", "011"],  # one region touching itself at a corner: shell and hole meet at a point
    ["110", "101", "011"],  # the hole touches the shell twice
    ["0110", "1001", "1001", "0110"],  # a diamond: four cells, four regions of one value
    ["11111", "10001", "10101", "10001", "11111"],  # an island in the hole
    ["11111", "10001", "10201", "10001", "11111"],
    ["1111111", "1000001", "1011101", "1010101", "1011101", "1000001", "1111111"],  # island with its own hole
    ["1212121", "2121212", "1212121"],  # checkerboard: every cell its own polygon
    ["10101", "01010", "10101"],  # checkerboard of one value and empty cells
    ["1111", "1001", "1001", "1111", "0110"],
    ["11011", "10001", "00100", "10001", "11011"],
    ["1234"],  # one row
])
def test_hand_cases(rows):
    labels = np.array([[int(ch) for ch in r] for r in rows], dtype=np.int32)
    assert_same_as_rasterio(labels)
    assert_same_as_rasterio(labels, transform=SKEW)
    assert_same_as_rasterio(labels.T.copy())


def test_the_corner_cases_of_validity():
    # a region touching itself at a corner: one polygon, its hole touching the shell at that point
    labels = np.array([[1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=np.int32)
    polys, _ = polygons_of_labels(labels, transform=Affine.identity())
    assert len(polys) == 1 and shapely.is_valid(polys[0])
    assert len(polys[0].interiors) == 1 and polys[0].area == 7
    # two regions of one value touching at a corner: two polygons, not a figure eight
    labels = np.array([[1, 0], [0, 1]], dtype=np.int32)
    polys, values = polygons_of_labels(labels, transform=Affine.identity())
    assert len(polys) == 2 and list(values) == [1, 1] and shapely.is_valid(polys).all()


def test_empty_and_degenerate():
    for labels in (np.zeros((0, 0), np.int32), np.zeros((0, 5), np.int32), np.zeros((3, 4), np.int32),
                   np.zeros((1, 1), np.int32)):
        polys, values = polygons_of_labels(labels, transform=GK)
        assert polys.shape == (0,) and values.shape == (0,)
    polys, values = polygons_of_labels(np.ones((3, 4), np.int32), mask=np.zeros((3, 4), bool), transform=GK)
    assert polys.size == 0
    o = outlines_of_labels(np.zeros((2, 2), np.int32))
    assert isinstance(o, Outlines) and o.row.size == 0 and polygons_of_outlines(o, x=np.zeros(0), y=np.zeros(0)).size == 0


def test_whole_raster_and_single_cells():
    assert_same_as_rasterio(np.full((5, 7), 3, np.int32))
    for shape in [(1, 1), (1, 9), (9, 1)]:
        assert_same_as_rasterio(np.full(shape, 2, np.int16))
        assert_same_as_rasterio(np.arange(1, np.prod(shape) + 1, dtype=np.int32).reshape(shape))
    polys, values = polygons_of_labels(np.array([[7]], np.int32), transform=Affine.identity())
    assert polys[0].equals(shapely.box(0, 0, 1, 1)) and list(values) == [7]


def test_dtypes_and_masks():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 3, (12, 15))
    for dtype in (np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64):
        assert_same_as_rasterio(base.astype(dtype))
    assert_same_as_rasterio(base.astype(bool))  # bool labels are 0 / 1
    mask = rng.random(base.shape) < 0.7
    assert_same_as_rasterio(base.astype(np.int32), mask)  # zeros kept where the mask says so
    # values over the whole int8 range: the masked cells need a wider type
    full = rng.integers(-128, 128, (16, 16)).astype(np.int8)
    full[0, :2] = [-128, 127]
    assert_same_as_rasterio(full, rng.random(full.shape) < 0.8)
    # a non-contiguous view
    big = rng.integers(0, 3, (20, 30)).astype(np.int32)
    assert_same_as_rasterio(big[::2, 1::3])
    with pytest.raises(ValueError):
        polygons_of_labels(np.zeros((2, 2, 2), np.int32), transform=GK)
    with pytest.raises(TypeError):
        polygons_of_labels(np.zeros((2, 2)), transform=GK)
    with pytest.raises(ValueError):
        polygons_of_labels(np.zeros((2, 2), np.int32), mask=np.zeros((3, 2), bool), transform=GK)


def test_order_and_orientation():
    """Polygons in the row-major order of their top-left cell, each ring starting there; outer rings
    clockwise on a north-up map, holes anticlockwise."""
    rng = np.random.default_rng(5)
    labels = np.where(rng.random((30, 40)) < 0.6, rng.integers(1, 4, (30, 40)), 0).astype(np.int32)
    labels[20:25, 30:35] = 1
    labels[22, 32] = 0  # one hole at least
    o = outlines_of_labels(labels)
    shell_start = o.ring_start[np.r_[0, np.flatnonzero(np.diff(o.ring_polygon)) + 1]]
    first = o.row[shell_start].astype(np.int64) * 100 + o.col[shell_start]
    assert (np.diff(first) > 0).all()
    assert (labels[o.row[shell_start], o.col[shell_start]] == o.value).all()
    polys, _ = polygons_of_labels(labels, transform=GK)
    assert not shapely.is_ccw(shapely.get_exterior_ring(polys)).any()
    holes = [r for p in polys for r in p.interiors]
    assert holes and shapely.is_ccw(holes).all()


def test_labels_with_a_zero_frame_are_used_without_a_copy():
    labels = np.zeros((8, 9), np.int32)
    labels[2:6, 3:7] = 4
    labels[3, 4] = 0
    o = outlines_of_labels(labels)
    assert o.row.min() == 2 and o.col.min() == 3 and o.row.max() == 6 and o.col.max() == 7
    assert_same_as_rasterio(labels)


# ------------------------------------------------------------------------------------------ random rasters


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=st.integers(1, 14), w=st.integers(1, 14), k=st.integers(1, 4), density=st.floats(0.05, 1.0),
       masked=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_random_rasters(h, w, k, density, masked, seed):
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random((h, w)) < density, rng.integers(1, k + 1, (h, w)), 0).astype(np.int32)
    mask = rng.random((h, w)) < 0.85 if masked else None
    assert_same_as_rasterio(labels, mask, transform=GK if seed % 2 else SKEW)


@pytest.mark.parametrize("seed", range(4))
def test_larger_random_rasters(seed):
    rng = np.random.default_rng(seed)
    h, w = 60 + 17 * seed, 80
    # blobs: smoothed noise thresholded into several values, with holes, islands and diagonal contacts
    noise = ndimage.uniform_filter(rng.random((h, w)), 3)
    labels = np.digitize(noise, np.quantile(noise, [0.3, 0.5, 0.7, 0.85])).astype(np.int32)
    assert_same_as_rasterio(labels)
    assert_same_as_rasterio(labels, rng.random((h, w)) < 0.95)


# ------------------------------------------------------------------------------------------ the three uses


def test_use_unique_component_ids():
    """Gap areas: every 4-connected region already has its own value; regions of different values touch."""
    rng = np.random.default_rng(7)
    gap = ndimage.uniform_filter(rng.random((90, 110)), 4) > 0.5
    town = (np.arange(110)[None, :] // 37) + 3 * (np.arange(90)[:, None] // 30)  # townships cut the gaps
    comp = np.zeros(gap.shape, np.int32)
    n = 0
    for t in np.unique(town):  # (test set-up only) components per township
        lab, k = ndimage.label(gap & (town == t))
        comp[lab > 0] = lab[lab > 0] + n
        n += k
    polys, values = assert_same_as_rasterio(comp)
    assert len(set(values.tolist())) == len(values) == n


def test_use_windows_packed_side_by_side():
    """Facility circles: a window index per window (+1), several regions per value, a zero frame, int16."""
    rng = np.random.default_rng(11)
    label = np.zeros((2 + 3 * 30, 2 + 4 * 40), np.int16)
    for j in range(12):
        r, c = 1 + 30 * (j // 4), 1 + 40 * (j % 4)
        blob = ndimage.uniform_filter(rng.random((28, 38)), 3) > 0.52  # margins: windows never touch
        label[r + 1:r + 29, c + 1:c + 39][blob] = j + 1
    polys, values = assert_same_as_rasterio(label)
    assert max(Counter(values.tolist()).values()) > 1  # several regions of one window
    # the caller places each window's vertices itself
    o = outlines_of_labels(label)
    owner = o.value[o.vertex_polygon()]
    assert owner.shape == o.row.shape
    x = 1000.0 + o.col * 5.0 + owner * 0.0
    y = 2000.0 - o.row * 5.0
    mine = polygons_of_outlines(o, x=x, y=y)
    again, _ = polygons_of_labels(label, transform=Affine(5.0, 0.0, 1000.0, 0.0, -5.0, 2000.0))
    assert shapely.equals(mine, again).all()


def test_use_band_mask():
    """Band polygons: a bool mask, shapes of value 1."""
    rng = np.random.default_rng(3)
    grid = ndimage.uniform_filter(rng.random((70, 50)), 5)
    mask = grid < np.quantile(grid, 0.4)
    assert_same_as_rasterio(mask.view(np.uint8), mask, transform=Affine(10.0, 0.0, 40512810.0, 0.0, -10.0, 3582000.0))
    assert_same_as_rasterio(mask)


# ------------------------------------------------------------------------------------------ the cycle helpers


def _random_cycles(rng, n):
    """A permutation of ``n`` elements with cycles of random lengths, and a label per cycle."""
    order = rng.permutation(n).astype(np.int32)
    cuts = np.sort(rng.choice(np.arange(1, n), size=min(n - 1, max(1, n // 5)), replace=False)) if n > 1 else []
    perm = np.empty(n, np.int32)
    lab = np.empty(n, np.int32)
    for k, part in enumerate(np.split(order, cuts)):
        perm[part] = np.roll(part, -1)
        lab[part] = k
    return perm, lab


@pytest.mark.parametrize("seed", range(5))
def test_cycles_numbered_and_walked(seed):
    """Cycle labels in any order are renumbered by each cycle's smallest element; the walk visits every
    cycle in the order asked, each from its head, following the permutation."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    perm, lab = _random_cycles(rng, n)
    lab = rng.permutation(lab.max() + 1).astype(np.int32)[lab]  # labels not in the order of the heads
    new, heads = _number_cycles(lab)
    assert (np.diff(heads) > 0).all() and (new[heads] == np.arange(heads.size)).all()
    for k, h in enumerate(heads):
        members = np.flatnonzero(new == k)
        assert members.min() == h and np.unique(lab[members]).size == 1
    ring_order = rng.permutation(heads.size)
    walk = _walk_cycles(perm, heads[ring_order])
    assert np.array_equal(np.sort(walk), np.arange(n))
    at = 0
    for k in ring_order:
        size = int((new == k).sum())
        part = walk[at:at + size]
        assert part[0] == heads[k] and np.array_equal(perm[part[:-1]], part[1:]) and perm[part[-1]] == part[0]
        at += size
    # labels already in the order of the heads (as scipy gives them) are kept
    same, heads2 = _number_cycles(new)
    assert np.array_equal(same, new) and np.array_equal(heads2, heads)


@pytest.mark.parametrize("n", [1, 7, 500, 30000])
def test_cycle_labels(n):
    """One label per cycle, small graphs and large ones (scipy's two ways)."""
    rng = np.random.default_rng(n)
    perm, lab = _random_cycles(rng, n)
    got = _ruler_cycles(perm)
    pairs = set(zip(lab.tolist(), got.tolist()))
    assert len(pairs) == len(set(lab.tolist())) == len(set(got.tolist()))


@pytest.mark.parametrize("weak_above", [0, 10**9])
def test_both_ways_of_labelling_cycles(monkeypatch, weak_above):
    """The polygons do not depend on which of scipy's component searches labels the rings."""
    monkeypatch.setattr(polygonize, "_WEAK_ABOVE", weak_above)
    rng = np.random.default_rng(21)
    noise = ndimage.uniform_filter(rng.random((70, 90)), 3)
    labels = np.digitize(noise, np.quantile(noise, [0.3, 0.5, 0.7, 0.85])).astype(np.int32)
    assert_same_as_rasterio(labels)
    assert_same_as_rasterio(np.array([[1, 1, 1], [1, 0, 1], [0, 1, 1]], np.int32))


def test_many_corner_contacts_in_one_ring():
    """A region touching itself at many corners: one ring split at every one of them."""
    rows = ["111111111", "101010101", "110101011", "101010101", "110101011", "111111111"]
    labels = np.array([[int(ch) for ch in r] for r in rows], dtype=np.int32)
    assert_same_as_rasterio(labels)
    assert_same_as_rasterio(labels.T.copy())
    two = labels.copy()
    two[:, 4] = 0  # two regions of one value, each touching itself
    assert_same_as_rasterio(two)


def test_very_wide_raster():
    """More than 2**16 columns: the column sort of the vertical runs takes a wide key."""
    labels = np.zeros((4, 66000), np.int16)
    labels[0:3, 10:20] = 1
    labels[1:4, 65990:65999] = 2
    labels[1, 65995] = 0
    labels[2, 40000:40003] = 1
    labels[1, 40003] = 1
    assert_same_as_rasterio(labels)
