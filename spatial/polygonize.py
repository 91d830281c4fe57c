"""Raster regions to polygons, vectorised (numpy + shapely 2): what ``rasterio.features.shapes`` gives with
4-connectivity, without a GeoJSON mapping per polygon or a Python object per vertex.

How it works (every step is whole-array numpy; the only Python loops are over the four sides of a cell
and over about log2(longest ring) pointer-jumping rounds):

1. Cells outside every region (masked ones, and a one-cell frame around the raster, added by a copy unless
   the raster's outer rows and columns are already empty) hold a *sentinel* value, so two neighbours
   belong to one region exactly when their values are equal.
2. Boundary unit edges are the sides of region cells whose neighbour differs, directed clockwise around
   their cell as seen on a north-up map: the north side runs east, the east side south, the south side
   west, the west side north. Maximal runs of boundary edges of one value along one side are *segments*;
   the start of a segment is a ring vertex, so only the corners where the outline turns are kept.
3. Each segment's successor is decided at its end vertex: turn away from the cell (``outward``) when the
   cell ahead along the run has the same value (a concave corner), otherwise turn around the cell's corner
   (``inward``). At a *saddle* (two cells of one value touching only at a corner, the other two cells
   different) the first pass turns inward, which keeps two 4-connected regions apart; when both passes
   through the saddle then lie on one cycle, the two cells are one 4-connected region, and the successors
   of the two passes are swapped (turning outward), which splits that cycle into a shell and a hole (or two
   holes) touching at the vertex - the valid form of such a polygon.
4. The cycles of this permutation are the rings. Rings alternate horizontal and vertical segments, so
   pointer jumping runs on the horizontal segments two steps at a time (cycle id = smallest segment, a
   north one since every ring has one - a shell at its top, a hole at its bottom -, and the position in the
   ring from there); vertical segments follow their predecessor. A ring's signed area in index space says
   shell (> 0) or hole (< 0); every 4-connected region has exactly one shell.
5. Holes go to the shell of their region: by value when no value has two shells (then a value is one
   region); otherwise by a ray cast straight up from the hole's topmost edge to the top of the run of region
   cells above it, whose ring is the region's shell or another of its holes, further up (then followed again
   by pointer jumping).
6. Vertices are cell corners, mapped through the affine transform in the order GDAL applies a
   geotransform (bit-identical coordinates); the polygons are built by one ``shapely.from_ragged_array``.

Memory: a few bytes per cell (a bool raster, a temporary comparison, an int32 lookup table, plus a copy of
the labels when they need a frame or a mask is given) and some tens of bytes per boundary edge.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray

__all__ = ["Outlines", "outlines_of_labels", "polygons_of_labels", "polygons_of_outlines"]

# sides 0..3 = north, east, south, west (of a cell); the edge on side s runs along _RUN[s] and the
# neighbour across it lies at _ACROSS[s] (both as (row, column) steps); _ACROSS[s] == _RUN[s - 1]
_RUN = ((0, 1), (1, 0), (0, -1), (-1, 0))
_ACROSS = ((-1, 0), (0, 1), (1, 0), (0, -1))


@dataclass(frozen=True)
class Outlines:
    """Polygon outlines on the lattice of cell corners: vertex ``k`` is the corner at ``row[k]`` (0 = the
    raster's top edge), ``col[k]`` (0 = its left edge). Rings are consecutive runs of vertices starting at
    ``ring_start``, closed (the first vertex repeated at the end), outer rings clockwise and holes
    anticlockwise on a north-up map; ``ring_polygon`` (non-decreasing) names each ring's polygon, its shell
    first; ``value`` is each polygon's value. Polygons come in the row-major order of their top-left cell."""

    row: NDArray[np.int32]
    col: NDArray[np.int32]
    ring_start: NDArray[np.int64]
    ring_polygon: NDArray[np.int64]
    value: NDArray[np.int64]

    def vertex_polygon(self) -> NDArray[np.int64]:
        """The polygon of each vertex."""
        return np.repeat(self.ring_polygon, np.diff(np.append(self.ring_start, self.row.size)))


def polygons_of_labels(
    labels: NDArray[np.integer],
    *,
    mask: NDArray[np.bool_] | None = None,
    transform: Affine,
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Polygons (with holes) of the 4-connected regions of equal value among the cells where ``mask`` is true
    (default: ``labels != 0``), and each polygon's value.

    The same polygons, as point sets, as ``rasterio.features.shapes(labels, mask=mask, connectivity=4,
    transform=transform)`` (which, without a mask, would also outline the zeros); vertices are the cell
    corners where the outline turns, mapped through ``transform`` exactly as GDAL does. No assumption on the
    values: a value may have several regions, and regions of different values may touch. Every polygon is
    valid: where a region touches itself at a corner only, its shell and hole (or two holes) meet at that
    point. Polygons come in the row-major order of their top-left cell (rasterio's order differs).
    ``bool`` labels are taken as 0/1.

    Speed: zeros instead of a ``mask`` save two passes and a copy; a raster whose outer rows and columns
    are zero is used without a copy; a smaller integer type makes the cell comparisons cheaper."""
    o = outlines_of_labels(labels, mask=mask)
    a, b, c, d, e, f = (float(v) for v in tuple(transform)[:6])
    col = o.col.astype(np.float64)
    row = o.row.astype(np.float64)
    # the order of GDAL's GDALApplyGeoTransform, for bit-identical coordinates
    x = c + col * a + row * b
    y = f + col * d + row * e
    return polygons_of_outlines(o, x=x, y=y), o.value


def polygons_of_outlines(outlines: Outlines, *, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.object_]:
    """Shapely polygons of ``outlines`` with vertex ``k`` at ``(x[k], y[k])`` (one vectorised shapely call)."""
    n = outlines.row.size
    if n == 0:
        return np.zeros(0, dtype=object)
    xy = np.empty((n, 2), dtype=np.float64)
    xy[:, 0] = x
    xy[:, 1] = y
    ring_offsets = np.append(outlines.ring_start, n)
    poly_offsets = np.searchsorted(outlines.ring_polygon, np.arange(outlines.value.size + 1))
    return shapely.from_ragged_array(shapely.GeometryType.POLYGON, xy, offsets=(ring_offsets, poly_offsets))


def outlines_of_labels(labels: NDArray[np.integer], *, mask: NDArray[np.bool_] | None = None) -> Outlines:
    """The outlines of :func:`polygons_of_labels` in cell-corner indices (see :class:`Outlines`), for callers
    that place the vertices themselves (e.g. several windows packed into one raster)."""
    lab = np.asarray(labels)
    if lab.ndim != 2:
        raise ValueError(f"labels must be 2-D, got shape {lab.shape}")
    if lab.dtype == np.bool_:
        lab = lab.view(np.uint8)
    if not np.issubdtype(lab.dtype, np.integer):
        raise TypeError(f"labels must be integers, got {lab.dtype}")
    if lab.dtype == np.uint64 and lab.size and int(lab.max()) > np.iinfo(np.int64).max:
        raise ValueError("labels above the int64 range")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != lab.shape:
            raise ValueError(f"mask shape {mask.shape} differs from labels shape {lab.shape}")
        if mask.dtype != np.bool_:
            mask = mask != 0
    empty = Outlines(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64),
                     np.zeros(0, np.int64))
    if lab.size == 0:
        return empty
    if (lab.shape[0] + 2) * (lab.shape[1] + 2) >= 2**31:
        raise ValueError(f"rasters of 2**31 cells or more are not supported, got shape {lab.shape}")
    P, sentinel, pad = _framed(lab, mask)
    (vi, vj), ring_start, ring_polygon, value = _trace(P, sentinel)
    if pad:
        vi -= 1
        vj -= 1
    return Outlines(vi, vj, ring_start, ring_polygon, value.astype(np.int64))


def _framed(lab: NDArray[np.integer], mask: NDArray[np.bool_] | None) -> tuple[NDArray[np.integer], int, bool]:
    """``(P, sentinel, padded)``: the labels, C-contiguous, with masked cells set to ``sentinel``, a value no
    kept cell has, and a frame of sentinel cells around them. When the raster's outer rows and columns are
    already free of kept cells (and no mask is given), it is used as it is (no copy) and ``padded`` is false;
    otherwise ``P`` is a copy with one more cell on each side."""
    if mask is None:
        sentinel, dtype = 0, lab.dtype
        if lab.shape[0] > 2 and lab.shape[1] > 2 and lab.flags.c_contiguous and not (
                lab[0].any() or lab[-1].any() or lab[:, 0].any() or lab[:, -1].any()):
            return lab, 0, False
    else:
        info = np.iinfo(lab.dtype)
        lo = int(np.min(lab, where=mask, initial=info.max))
        hi = int(np.max(lab, where=mask, initial=info.min))
        dtype = lab.dtype
        if lo > info.min:
            sentinel = lo - 1
        elif hi < info.max:
            sentinel = hi + 1
        else:  # the dtype's whole range is used: widen
            if lab.dtype.itemsize == 8:
                raise ValueError("labels use the full 64-bit range; no value is left to mark masked cells")
            dtype, sentinel = np.int64, lo - 1
    h, w = lab.shape
    P = np.full((h + 2, w + 2), sentinel, dtype=dtype)
    if mask is None:
        P[1:-1, 1:-1] = lab
    else:
        np.copyto(P[1:-1, 1:-1], lab, where=mask, casting="unsafe")
    return P, sentinel, True


def _trace(P: NDArray[np.integer], sentinel: int):
    """Rings of the regions of ``P`` (cells equal to ``sentinel`` belong to none, and so do all cells of the
    outer rows and columns): ``((rows, cols) of the ring vertices in order, start of each ring in them,
    polygon of each ring (shell first), value of each polygon)``."""
    H, W = P.shape
    N = H * W
    flat = P.ravel()
    # the east and south neighbour differs (flat comparisons: the frame cells absorb the row wraps)
    east = np.zeros(N, dtype=bool)
    np.not_equal(flat[1:], flat[:-1], out=east[:-1])
    south = np.zeros(N, dtype=bool)
    np.not_equal(flat[W:], flat[:-W], out=south[:-W])
    edge = east | south  # region cells with a differing neighbour: east, south, west or north
    edge[1:] |= east[:-1]
    edge[W:] |= south[:-W]
    cells = np.flatnonzero(edge)
    del edge
    if N < 2**31:
        cells = cells.astype(np.int32)
    cval = flat[cells]
    k = np.flatnonzero(cval != sentinel)
    cells, cval = cells[k], cval[k]
    if cells.size == 0:
        e = np.zeros(0, dtype=np.int32)
        return (e, e.copy()), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, flat.dtype)
    run = [dr * W + dc for dr, dc in _RUN]
    across = [dr * W + dc for dr, dc in _ACROSS]
    differs = [south[cells - W], east[cells], south[cells], east[cells - 1]]  # per side: N, E, S, W
    del east, south

    # segments: maximal runs of unit edges along one side with one value; the unit edges of a side, in
    # row-major order (north, south) or column-major order (east, west), are consecutive along a run
    firsts, lasts, vals = [], [], []
    for s in range(4):
        on = np.flatnonzero(differs[s])
        if s in (1, 3):  # column-major order, by one sort of (column-major index, position)
            kp = np.sort((_col_major_key(cells[on], W, H).astype(np.int64) << 32) | on)
            key = (kp >> 32).astype(cells.dtype)
            on = (kp & 0xFFFFFFFF).astype(np.intp)
        cs, v = cells[on], cval[on]
        if s in (0, 2):
            key = cs
        cont = (key[1:] == key[:-1] + 1) & (v[1:] == v[:-1])  # unit edges i, i + 1 in one run
        head = np.concatenate(([True], ~cont))
        tail = np.concatenate((~cont, [True]))
        if s in (2, 3):  # south runs west, west runs north: against the order
            head, tail = tail, head
        if s == 0:
            north_cells = cs
        firsts.append(np.compress(head, cs))
        lasts.append(np.compress(tail, cs))
        vals.append(np.compress(head, v))
    del cells, cval, differs
    # segment ids: north, south, east, west segments, in this order (horizontal ones first)
    cnt = [f.size for f in firsts]
    base = [0, cnt[0] + cnt[2], cnt[0], cnt[0] + cnt[2] + cnt[1]]
    end = [base[s] + cnt[s] for s in range(4)]
    M = sum(cnt)
    it = np.int32 if M < 2**31 - 1 else np.int64

    # successor of each segment, from its last unit edge (see the module docstring). The segments turning
    # into side t start exactly the segments of side t, one each: sorted by the cell they turn into, in
    # side t's order, they line up with side t's segments
    outward, diag = [], []
    for s in range(4):
        diag.append(lasts[s] + (run[s] + across[s]))
        outward.append(flat[lasts[s] + run[s]] == vals[s])
    succ = np.empty(M, dtype=it)
    for t in range(4):
        s_out, s_in = (t + 1) % 4, (t - 1) % 4  # segments turning outward / inward into side t
        o = np.flatnonzero(outward[s_out])
        i = np.flatnonzero(~outward[s_in])
        into = np.concatenate((diag[s_out][o], lasts[s_in][i]))
        key = (into if t in (0, 2) else _col_major_key(into, W, H)).astype(np.int64)
        src = np.concatenate((o + base[s_out], i + base[s_in])).astype(np.int64)
        key = np.sort((key << 32) | src)  # (cell, segment) sorted by cell: one sort, no argsort
        first_key = firsts[t] if t in (0, 2) else _col_major_key(firsts[t], W, H)
        if not np.array_equal(key >> 32, first_key):
            raise AssertionError("segment successors do not match segment starts")
        succ[key & 0xFFFFFFFF] = np.arange(base[t], end[t], dtype=it)
    # saddles, seen from their north / east pass; the other pass is a south / west last edge
    saddle_a, saddle_b = [], []
    for s in (0, 1):
        i = np.flatnonzero(~outward[s])
        sad = i[flat[diag[s][i]] == vals[s][i]]
        t = s + 2
        last_key = lasts[t] if t == 2 else _col_major_key(lasts[t], W, H)
        q = diag[s][sad] if t == 2 else _col_major_key(diag[s][sad], W, H)
        pos = np.searchsorted(last_key, q)
        if not np.array_equal(last_key[np.minimum(pos, last_key.size - 1)], q):
            raise AssertionError("a saddle without its second pass")
        saddle_a.append((sad + base[s]).astype(it))
        saddle_b.append((pos + base[t]).astype(it))
    del outward, diag
    # the vertex of each segment's start, (row, column)
    vi = np.empty(M, dtype=np.int32)
    vj = np.empty(M, dtype=np.int32)
    for s, (dr, dc) in enumerate(((0, 0), (0, 1), (1, 1), (1, 0))):
        np.floor_divide(firsts[s], W, out=vi[base[s]:end[s]], casting="unsafe")
        vi[base[s]:end[s]] += dr
        np.remainder(firsts[s], W, out=vj[base[s]:end[s]], casting="unsafe")
        vj[base[s]:end[s]] += dc
    seg_value = np.concatenate([vals[s] for s in (0, 2, 1, 3)])
    del vals

    # rings alternate horizontal and vertical segments; horizontal ones come first
    n_horizontal = cnt[0] + cnt[2]
    rep, rank = _order_cycles(succ, n_horizontal)
    sa, sb = np.concatenate(saddle_a), np.concatenate(saddle_b)
    same = rep[sa] == rep[sb]
    if same.any():  # one region touching itself at a corner: split its ring there
        sa, sb = sa[same], sb[same]
        succ[sa], succ[sb] = succ[sb], succ[sa].copy()
        hit = np.zeros(M, dtype=bool)
        hit[rep[sa]] = True
        sub = np.flatnonzero(hit[rep]).astype(it)
        del hit
        local = np.empty(M, dtype=it)
        local[sub] = np.arange(sub.size, dtype=it)
        lrep, lrank = _order_cycles(local[succ[sub]], int(np.searchsorted(sub, n_horizontal)))
        del local
        rep[sub] = sub[lrep]
        rank[sub] = lrank
    ring_len = np.bincount(rep, minlength=M)

    # rings: one per cycle, named by its smallest segment; shells have a positive area in index space
    reps = np.flatnonzero(ring_len).astype(it)
    R = reps.size
    ring_of_rep = np.empty(M, dtype=it)
    ring_of_rep[reps] = np.arange(R, dtype=it)
    ring = ring_of_rep[rep]
    del ring_of_rep
    # area = sum of x * dy over the vertical segments (east runs down, west runs up)
    area = np.zeros(R, dtype=np.float64)
    for s, extra in ((1, 1), (3, -1)):
        seg = slice(base[s], end[s])
        dy = (lasts[s] - firsts[s]) // W + extra
        area += np.bincount(ring[seg], weights=vj[seg].astype(np.float64) * dy, minlength=R)
    is_shell = area > 0
    ring_value = seg_value[reps]
    shells = np.flatnonzero(is_shell)
    holes = np.flatnonzero(~is_shell)
    owner = np.empty(R, dtype=np.int64)  # the shell ring each ring belongs to
    owner[shells] = shells
    if holes.size:
        sv = ring_value[shells]
        order = np.argsort(sv, kind="stable")
        sv_sorted = sv[order]
        if (sv_sorted[1:] != sv_sorted[:-1]).all():  # one region per value: holes go by value
            owner[holes] = shells[order[np.searchsorted(sv_sorted, ring_value[holes])]]
        else:
            owner[holes] = _hole_owners(holes, ring=ring, is_shell=is_shell, base=base, firsts=firsts,
                                        north_cells=north_cells, W=W, H=H)
    # polygons in shell order; rings of each polygon: shell first
    poly_of_shell = np.empty(R, dtype=np.int64)
    poly_of_shell[shells] = np.arange(shells.size)
    ring_poly = poly_of_shell[owner]
    ring_order = np.lexsort((~is_shell, ring_poly))
    new_slot = np.empty(R, dtype=np.int64)
    new_slot[ring_order] = np.arange(R)
    lens = ring_len[reps][ring_order] + 1  # rings closed: the first vertex again at the end
    ring_start = np.zeros(R + 1, dtype=np.int64)
    np.cumsum(lens, out=ring_start[1:])
    pos = ring_start[new_slot[ring]] + rank
    out_i = np.empty(M + R, dtype=np.int32)
    out_j = np.empty(M + R, dtype=np.int32)
    out_i[pos] = vi
    out_j[pos] = vj
    out_i[ring_start[1:] - 1] = out_i[ring_start[:-1]]
    out_j[ring_start[1:] - 1] = out_j[ring_start[:-1]]
    return (out_i, out_j), ring_start[:-1], ring_poly[ring_order], ring_value[shells]


def _col_major_key(lin: NDArray[np.intp], W: int, H: int) -> NDArray[np.intp]:
    """Column-major linear index of row-major ``lin``."""
    return (lin % W) * H + lin // W


def _order_cycles(succ: NDArray[np.integer], n_rulers: int) -> tuple[NDArray[np.integer], NDArray[np.integer]]:
    """Cycles of the permutation ``succ`` that alternates *rulers* (elements ``0 .. n_rulers - 1``) and the
    other elements (as rings alternate horizontal and vertical segments): for each element the smallest
    element of its cycle (a ruler) and its position counted from there. The rulers' own cycles (two steps
    at a time) are solved by pointer jumping, O(r log r); the others follow their ruler."""
    it = succ.dtype
    n = n_rulers
    after = succ[:n]
    if (after < n).any() or (succ[n:] >= n).any():
        raise AssertionError("the cycles do not alternate horizontal and vertical segments")
    owner = np.empty(succ.size, dtype=it)  # the ruler each element follows, and how far behind it is
    behind = np.empty(succ.size, dtype=it)
    owner[:n] = np.arange(n, dtype=it)
    behind[:n] = 0
    owner[after] = owner[:n]
    behind[after] = 1
    p = succ[after]  # the next ruler
    # the smallest ruler of the cycle and the distance to it (in rulers), by doubling windows: ``key`` packs
    # (smallest ruler in the window, distance to its first occurrence), so one minimum updates both
    key = np.arange(n, dtype=np.int64) << 32
    width = 1
    while True:
        new = np.minimum(key, key[p] + width)
        if np.array_equal(new, key):
            break
        key = new
        width *= 2
        p = p[p]
    m = (key >> 32).astype(it)
    dist = (key & 0xFFFFFFFF).astype(it)
    length = np.bincount(m, minlength=n).astype(it)[m]
    r_rank = length - dist
    r_rank[r_rank == length] = 0
    return m[owner], 2 * r_rank[owner] + behind


def _hole_owners(holes: NDArray[np.intp], *, ring: NDArray[np.integer], is_shell: NDArray[np.bool_], base: list[int],
                 firsts: list[NDArray[np.intp]], north_cells: NDArray[np.intp], W: int, H: int) -> NDArray[np.int64]:
    """The shell ring of each hole ring when a value has several regions: from the hole's topmost edge (a
    south side of a region cell: the hole lies below) straight up through the region's cells to the north
    side that ends that column run; the ring holding it is the region's shell or another of its holes
    (strictly higher, so following these parents ends at the shell)."""
    R = is_shell.size
    # topmost south segment of each ring: south segments are in row-major order, so the first one
    s_ring = ring[base[2]:base[2] + firsts[2].size]
    top = np.full(R, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(top, s_ring, np.arange(s_ring.size, dtype=np.int64))
    start_cell = firsts[2][top[holes]]  # a region cell with the hole below it
    # north boundary unit edges, column-major: the last one at or above the start cell in its column
    north_cm = np.sort(_col_major_key(north_cells, W, H))
    q = _col_major_key(start_cell, W, H)
    pos = np.searchsorted(north_cm, q, side="right") - 1
    hit_cm = north_cm[np.maximum(pos, 0)]
    if (pos < 0).any() or (hit_cm // H != q // H).any():
        raise AssertionError("a hole found no region cell boundary above it")
    hit = (hit_cm % H) * W + hit_cm // H
    # the north segment holding that unit edge: the last one starting at or before it in its row
    seg = np.searchsorted(firsts[0], hit, side="right") - 1 + base[0]
    parent = np.arange(R, dtype=np.int64)
    parent[holes] = ring[seg]
    while True:  # pointer jumping up to the shells
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    if not is_shell[parent[holes]].all():
        raise AssertionError("a hole ring found no shell above it")
    return parent[holes]
