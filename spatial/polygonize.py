"""Raster regions to polygons, vectorised (numpy + shapely 2): what ``rasterio.features.shapes`` gives with
4-connectivity, without a GeoJSON mapping per polygon or a Python object per vertex.

How it works (every step is whole-array numpy or a compiled scipy graph routine; the only Python loops are
over the four sides of a cell):

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
   the cycles are found on the horizontal segments two steps at a time (the *rulers*; vertical segments
   follow their predecessor): labelled by ``scipy.sparse.csgraph.connected_components`` (a saddle's two
   passes on one cycle are then swapped as in 3., and the labels found again), named by their smallest
   segment (a north one since every ring has one - a shell at its top, a hole at its bottom -), and, once
   the rings' order in the output is known (5.), chained into one path in that order and walked once by
   ``scipy.sparse.csgraph.breadth_first_order``: every vertex is written straight to its place. A ring's
   signed area in index space says shell (> 0) or hole (< 0); every 4-connected region has exactly one
   shell.
5. Holes go to the shell of their region: by value when no value has two shells (then a value is one
   region); otherwise by a ray cast straight up from the hole's topmost edge to the top of the run of region
   cells above it, whose ring is the region's shell or another of its holes, further up (then followed again
   by pointer jumping, over the rings only).
6. Vertices are cell corners, mapped through the affine transform in the order GDAL applies a
   geotransform (bit-identical coordinates); the polygons are built by one ``shapely.from_ragged_array``.

Memory: a few bytes per cell (three bool rasters and a temporary comparison, plus a copy of the labels when
they need a frame or a mask is given) and some tens of bytes per boundary edge.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

__all__ = ["Outlines", "Project", "corner_coordinates", "outlines_of_labels", "polygons_of_labels", "polygons_of_outlines"]

#: a map of vertex coordinates (``N x 2`` in, ``N x 2`` out), e.g. a reprojection
Project = Callable[[NDArray[np.float64]], NDArray[np.float64]]

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
    project: Project | None = None,
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Polygons (with holes) of the 4-connected regions of equal value among the cells where ``mask`` is true
    (default: ``labels != 0``), and each polygon's value.

    The same polygons, as point sets, as ``rasterio.features.shapes(labels, mask=mask, connectivity=4,
    transform=transform)`` (which, without a mask, would also outline the zeros); vertices are the cell
    corners where the outline turns, mapped through ``transform`` exactly as GDAL does (then through
    ``project``, when given: see :func:`polygons_of_outlines`). No assumption on the
    values: a value may have several regions, and regions of different values may touch. Every polygon is
    valid: where a region touches itself at a corner only, its shell and hole (or two holes) meet at that
    point. Polygons come in the row-major order of their top-left cell (rasterio's order differs).
    ``bool`` labels are taken as 0/1.

    Speed: zeros instead of a ``mask`` save two passes and a copy; a raster whose outer rows and columns
    are zero is used without a copy; a smaller integer type makes the cell comparisons cheaper."""
    o = outlines_of_labels(labels, mask=mask)
    x, y = corner_coordinates(o, transform)
    return polygons_of_outlines(o, x=x, y=y, project=project), o.value


def corner_coordinates(o: "Outlines", transform: Affine) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The coordinates of the outlines' vertices (cell corners) through ``transform``, bit-identical to GDAL's."""
    a, b, c, d, e, f = (float(v) for v in tuple(transform)[:6])
    col = o.col.astype(np.float64)
    row = o.row.astype(np.float64)
    # the order of GDAL's GDALApplyGeoTransform, for bit-identical coordinates: x = c + col * a + row * b,
    # y = f + col * d + row * e (in place, fewer fresh arrays; a sum of two terms does not depend on their order)
    x = col * a
    x += c
    t = row * b
    x += t
    y = np.multiply(col, d, out=col)
    y += f
    np.multiply(row, e, out=t)
    y += t
    return x, y


def polygons_of_outlines(outlines: Outlines, *, x: NDArray[np.float64], y: NDArray[np.float64],
                         project: Project | None = None) -> NDArray[np.object_]:
    """Shapely polygons of ``outlines`` with vertex ``k`` at ``(x[k], y[k])`` (one vectorised shapely call).

    ``project`` maps an ``N x 2`` array of those coordinates to the ones the polygons get (a reprojection:
    every vertex goes through it once, before any geometry is built)."""
    n = outlines.row.size
    if n == 0:
        return np.zeros(0, dtype=object)
    xy = np.empty((n, 2), dtype=np.float64)
    xy[:, 0] = x
    xy[:, 1] = y
    if project is not None:
        xy = np.ascontiguousarray(project(xy), dtype=np.float64)
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
    P = np.empty((h + 2, w + 2), dtype=dtype)
    P[0] = P[-1] = P[:, 0] = P[:, -1] = sentinel
    if mask is None:
        P[1:-1, 1:-1] = lab
    else:
        P[1:-1, 1:-1] = sentinel
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
    if sentinel != 0 or flat.dtype.itemsize > 2:  # (for small types, cheaper after the gather below)
        edge &= flat != sentinel
    cells = np.flatnonzero(edge)
    del edge
    cval = flat[cells]
    if sentinel == 0 and flat.dtype.itemsize <= 2:
        k = np.flatnonzero(cval)
        cells, cval = cells[k], cval[k]
    if cells.size == 0:
        e = np.zeros(0, dtype=np.int32)
        return (e, e.copy()), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, flat.dtype)
    run = [dr * W + dc for dr, dc in _RUN]
    across = [dr * W + dc for dr, dc in _ACROSS]
    # (gathers by intp indices: numpy's gather of bools by int32 indices is about three times slower)
    at = cells - (W + 1)  # cells are in the rows and columns inside the frame
    differs = [south[1:][at], east[W + 1:][at], south[W + 1:][at], east[W:][at]]  # per side: N, E, S, W
    del at
    del east, south
    if N < 2**31:
        cells = cells.astype(np.int32)

    # segments: maximal runs of unit edges along one side with one value; the unit edges of a side, in
    # row-major order (north, south) or column-major order (east, west), are consecutive along a run
    firsts, lasts, vals, turn_in = [], [], [], []
    for s in range(4):
        on = np.flatnonzero(differs[s])
        if s in (1, 3):  # column-major order (rows stay in order within a column): sorted by (column, index)
            # in one int64 key (quicker than an argsort and a gather: np.sort is vectorised)
            key = (cells[on] % W).astype(np.int64)
            key <<= 32
            key |= on
            key.sort()
            on = np.bitwise_and(key, 0xFFFFFFFF, out=key)
            del key
        cs = cells[on]
        # unit edges i, i + 1 in one run: the next cell along, and of the same value (its side towards
        # cell i is no boundary: the east side of a north / south edge's cell, the south side of an east /
        # west edge's cell)
        step, along = (1, 1) if s in (0, 2) else (W, 2)
        cont = cs[1:] == cs[:-1] + step
        cont &= ~differs[along][on[:-1]]
        head = np.concatenate(([True], ~cont))
        tail = np.concatenate((~cont, [True]))
        if s in (2, 3):  # south runs west, west runs north: against the order
            head, tail = tail, head
        if s == 0:
            north_cells = cs
        firsts.append(np.compress(head, cs))
        lasts.append(np.compress(tail, cs))
        vals.append(cval[np.compress(head, on)])
        # at its end, a segment turns inward (around its cell's corner) when the next side of its last
        # cell is a boundary too, else outward (the cell ahead along the run has the same value)
        turn_in.append(differs[(s + 1) % 4][np.compress(tail, on)])
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
    diag = [lasts[s] + (run[s] + across[s]) for s in range(4)]
    succ = np.empty(M, dtype=it)
    for t in range(4):
        s_out, s_in = (t + 1) % 4, (t - 1) % 4  # segments turning outward / inward into side t
        o = np.flatnonzero(~turn_in[s_out])
        i = np.flatnonzero(turn_in[s_in])
        # (cell turned into, in side t's order; segment) sorted by cell: one sort, no argsort
        key_o, key_i = diag[s_out][o], lasts[s_in][i]
        if t in (1, 3):  # (before widening: quicker on int32)
            key_o, key_i = _col_major_key(key_o, W, H), _col_major_key(key_i, W, H)
        key = np.empty(o.size + i.size, dtype=np.int64)
        key[:o.size] = key_o
        key[o.size:] = key_i
        del key_o, key_i
        key <<= 32
        key[:o.size] += o + base[s_out]
        key[o.size:] += i + base[s_in]
        key.sort()
        first_key = firsts[t] if t in (0, 2) else _col_major_key(firsts[t], W, H)
        if not np.array_equal(key >> 32, first_key):
            raise AssertionError("segment successors do not match segment starts")
        succ[key & 0xFFFFFFFF] = np.arange(base[t], end[t], dtype=it)
    # saddles, seen from their north / east pass; the other pass is a south / west last edge
    saddle_a, saddle_b = [], []
    for s in (0, 1):
        i = np.flatnonzero(turn_in[s])
        sad = i[flat[diag[s][i]] == vals[s][i]]
        t = s + 2
        last_key = lasts[t] if t == 2 else _col_major_key(lasts[t], W, H)
        q = diag[s][sad] if t == 2 else _col_major_key(diag[s][sad], W, H)
        pos = np.searchsorted(last_key, q)
        if not np.array_equal(last_key[np.minimum(pos, last_key.size - 1)], q):
            raise AssertionError("a saddle without its second pass")
        saddle_a.append((sad + base[s]).astype(it))
        saddle_b.append((pos + base[t]).astype(it))
    del turn_in, diag
    # the vertex of each segment's start, as the corner (row, column) numbered row * W + column (the
    # top-left corner of a cell has the cell's number; corners stay within the framed raster's numbers)
    corner = np.empty(M, dtype=np.int32)
    for s, offset in enumerate((0, 1, W + 1, W)):
        np.add(firsts[s], offset, out=corner[base[s]:end[s]], casting="unsafe")
    seg_value = np.concatenate([vals[s] for s in (0, 2, 1, 3)])
    del vals

    # rings alternate horizontal and vertical segments; horizontal ones come first
    n_horizontal = cnt[0] + cnt[2]
    if n_horizontal >= 2**31:  # (scipy's graph routines index with int32)
        raise ValueError("too many boundary segments (2**31 horizontal ones or more)")
    # (a horizontal segment turns into a vertical one and back: the successors were matched side by side)
    rulers = succ[succ[:n_horizontal]].astype(np.int32, copy=False)
    lab = _ruler_cycles(rulers)
    sa, sb = np.concatenate(saddle_a), np.concatenate(saddle_b)
    # the cycle of a segment: its own ruler's, or for a vertical one the next ruler's
    same = lab[np.where(sa < n_horizontal, sa, succ[sa])] == lab[np.where(sb < n_horizontal, sb, succ[sb])]
    if same.any():  # one region touching itself at a corner: split its ring there
        sa, sb = sa[same], sb[same]
        succ[sa], succ[sb] = succ[sb], succ[sa].copy()
        rulers = succ[succ[:n_horizontal]].astype(np.int32, copy=False)
        lab = _ruler_cycles(rulers)
    lab, reps = _number_cycles(lab)  # rings numbered by their smallest segment, a north one
    R = reps.size
    ring_len = 2 * np.bincount(lab, minlength=R)
    # area = sum of x * dy over the vertical segments (east runs down, west runs up); a vertical segment
    # is in the ring of the horizontal one after it
    area = np.zeros(R, dtype=np.float64)
    for s, extra in ((1, 1), (3, -1)):
        seg = slice(base[s], end[s])
        dy = (lasts[s] - firsts[s]) // W + extra
        x = (firsts[s] % W + (1 if s == 1 else 0)).astype(np.float64)
        area += np.bincount(lab[succ[seg]], weights=x * dy, minlength=R)
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
            owner[holes] = _hole_owners(holes, ring=lab, is_shell=is_shell, base=base, firsts=firsts,
                                        north_cells=north_cells, W=W, H=H)
    # polygons in shell order; rings of each polygon: shell first
    poly_of_shell = np.empty(R, dtype=np.int64)
    poly_of_shell[shells] = np.arange(shells.size)
    ring_poly = poly_of_shell[owner]
    ring_order = np.lexsort((~is_shell, ring_poly))
    lens = ring_len[ring_order] + 1  # rings closed: the first vertex again at the end
    ring_start = np.zeros(R + 1, dtype=np.int64)
    np.cumsum(lens, out=ring_start[1:])
    # the horizontal segments of all rings, in this order, each ring from its head; the vertical segment
    # after each horizontal one follows it in the output, and each ring ends with its first vertex again
    walk = _walk_cycles(rulers, reps[ring_order])
    del rulers, lab
    at = np.repeat(np.arange(R, dtype=it), ring_len[ring_order] // 2)  # (the ring of each, in the output)
    at += np.arange(0, 2 * walk.size, 2, dtype=it)
    out = np.empty(M + R, dtype=np.int32)
    out[at] = corner[walk]
    walk = succ[walk]
    at += 1
    out[at] = corner[walk]
    del at, walk, corner
    out[ring_start[1:] - 1] = out[ring_start[:-1]]
    out_i = out // W
    out -= out_i * W
    return (out_i, out), ring_start[:-1], ring_poly[ring_order], ring_value[shells]


def _col_major_key(lin: NDArray[np.intp], W: int, H: int) -> NDArray[np.intp]:
    """Column-major linear index of row-major ``lin``."""
    row = lin // W  # (quicker than np.divmod)
    col = row * -W
    col += lin
    col *= H
    col += row
    return col


_WEAK_ABOVE = 20000  # rulers: above this, cycles are labelled as scipy's weak components, else strong ones


def _permutation_graph(nxt: NDArray[np.int32]) -> sparse.csr_matrix:
    """The directed graph ``i -> nxt[i]`` as a sparse matrix for :mod:`scipy.sparse.csgraph`."""
    n = nxt.size
    return sparse.csr_matrix((np.ones(n, dtype=np.float64), nxt, np.arange(n + 1, dtype=np.int32)), shape=(n, n))


def _ruler_cycles(rulers: NDArray[np.int32]) -> NDArray[np.int32]:
    """A label per cycle of the permutation ``rulers`` (its strongly connected components, by scipy)."""
    if rulers.size == 0:
        return np.zeros(0, np.int32)
    # (the same components either way; "weak" is the faster on large graphs, "strong" on small ones)
    connection = "weak" if rulers.size > _WEAK_ABOVE else "strong"
    _, lab = csgraph.connected_components(_permutation_graph(rulers), directed=True, connection=connection)
    return lab.astype(np.int32, copy=False)


def _number_cycles(lab: NDArray[np.int32]) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """``(lab, heads)``: cycle labels renumbered in the order of each cycle's smallest element, and that
    element (``heads``, increasing)."""
    n = lab.size
    if n == 0:
        return lab, np.zeros(0, np.int32)
    # each cycle's first element in index order is its smallest; scipy numbers the cycles in that order,
    # so they start where the label exceeds every earlier one (checked; else numbered again here)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.greater(lab[1:], np.maximum.accumulate(lab)[:-1], out=new[1:])
    heads = np.flatnonzero(new).astype(np.int32)
    k = int(lab.max()) + 1
    if heads.size != k or not np.array_equal(lab[heads], np.arange(k, dtype=lab.dtype)):
        first = np.full(k, n, dtype=np.int64)
        np.minimum.at(first, lab, np.arange(n, dtype=np.int64))
        order = np.argsort(first)
        heads = first[order].astype(np.int32)
        renumber = np.empty(k, dtype=np.int32)
        renumber[order] = np.arange(k, dtype=np.int32)
        lab = renumber[lab]
    return lab, heads


def _walk_cycles(perm: NDArray[np.int32], heads: NDArray[np.int32]) -> NDArray[np.int32]:
    """All elements of the permutation ``perm``, cycle after cycle, each cycle from its element in ``heads``
    (one per cycle, in the order given). The cycles are chained into one path (each cycle's last element
    leads to the next cycle's head) and walked once by scipy's compiled breadth-first order, O(n)."""
    n = perm.size
    if n == 0:
        return np.zeros(0, np.int32)
    last = np.empty(n, dtype=np.int32)
    last[perm] = np.arange(n, dtype=np.int32)
    nxt = perm.copy()
    nxt[last[heads]] = np.roll(heads, -1)
    del last
    # (on a path, breadth-first order is the path's order; scipy's is the quicker of its two walks)
    walk = csgraph.breadth_first_order(_permutation_graph(nxt), int(heads[0]), directed=True,
                                       return_predecessors=False)
    if walk.size != n:
        raise AssertionError("the cycle walk missed segments")
    return walk.astype(np.int32, copy=False)


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
