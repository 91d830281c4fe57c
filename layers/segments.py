"""Nearest line segment of many points, exactly, without a tree of geometries.

Segments are bucketed on a grid of square cells about as wide as a typical segment is long. A point's
candidates are the segments whose box touches the cells within ``k`` cells of its own; the nearest of them is
the nearest of all whenever it is no farther than the border of that square of cells (any nearer segment
passes through a searched cell). Points not settled with ``k = 0`` (their own cell) are searched again with a
wider ``k``, and the few left after that go to a GEOS tree. Ties go to the lower segment index. Used to snap points to the walking network and to test
facility lists against the roads (:mod:`layers.checks`).
"""
from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

#: points per batch (bounds the candidate pairs held at once)
BATCH = 65_536
#: the search widths (cells around the point's own) tried before the tree
WIDTHS = (0, 1, 3, 9, 27)


class SegmentIndex:
    """Segments ``(ax, ay) -> (bx, by)`` bucketed by grid cell, for :meth:`nearest`."""

    def __init__(self, ax: NDArray[np.float64], ay: NDArray[np.float64], bx: NDArray[np.float64],
                 by: NDArray[np.float64]) -> None:
        self.ax, self.ay, self.bx, self.by = (np.ascontiguousarray(a, dtype=float) for a in (ax, ay, bx, by))
        self.n = int(self.ax.size)
        self._tree: shapely.STRtree | None = None
        if self.n == 0:
            return
        length = np.hypot(self.bx - self.ax, self.by - self.ay)
        cell = float(max(np.median(length), 1.0))
        x0 = float(min(self.ax.min(), self.bx.min())) - cell
        y0 = float(min(self.ay.min(), self.by.min())) - cell
        while True:
            i0 = np.floor((np.minimum(self.ax, self.bx) - x0) / cell).astype(np.int64)
            i1 = np.floor((np.maximum(self.ax, self.bx) - x0) / cell).astype(np.int64)
            j0 = np.floor((np.minimum(self.ay, self.by) - y0) / cell).astype(np.int64)
            j1 = np.floor((np.maximum(self.ay, self.by) - y0) / cell).astype(np.int64)
            nx, ny = i1 - i0 + 1, j1 - j0 + 1
            per = nx * ny
            if per.sum() <= 8 * per.size:  # long diagonal segments would fill many cells: coarser cells then
                break
            cell *= 2.0
        self.cell_m, self.x0, self.y0 = cell, x0, y0
        self.ni, self.nj = int(i1.max()) + 2, int(j1.max()) + 2
        seg = np.repeat(np.arange(self.n, dtype=np.int64), per)
        k = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
        ci = np.repeat(i0, per) + k // np.repeat(ny, per)
        cj = np.repeat(j0, per) + k % np.repeat(ny, per)
        keys = ci * self.nj + cj
        order = np.argsort(keys, kind="stable")
        keys, self.segs = keys[order], seg[order]
        head = np.r_[True, keys[1:] != keys[:-1]]
        self.starts = np.nonzero(head)[0]
        self.keys = keys[self.starts]
        self.counts = np.diff(np.r_[self.starts, keys.size])

    def nearest(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The nearest segment of each point and the distance to it (``-1``, ``inf`` when there are none)."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        seg = np.full(x.size, -1, dtype=np.int64)
        dist = np.full(x.size, np.inf)
        if x.size == 0 or self.n == 0:
            return seg, dist
        todo = np.arange(x.size)
        for width in WIDTHS:
            for lo in range(0, todo.size, BATCH):
                idx = todo[lo:lo + BATCH]
                s, d = self._search(x[idx], y[idx], width)
                seg[idx], dist[idx] = s, d
            todo = todo[seg[todo] < 0]
            if todo.size == 0:
                return seg, dist
        (src, tgt), d = self._geos_tree().query_nearest(shapely.points(x[todo], y[todo]), return_distance=True,
                                                        all_matches=False)
        seg[todo[src]], dist[todo[src]] = tgt, d
        return seg, dist

    def _search(self, px: NDArray[np.float64], py: NDArray[np.float64], width: int
                ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest among the segments of the cells within ``width`` of each point's; unsettled: -1, inf."""
        seg = np.full(px.size, -1, dtype=np.int64)
        dist = np.full(px.size, np.inf)
        ix = np.floor((px - self.x0) / self.cell_m).astype(np.int64)
        iy = np.floor((py - self.y0) / self.cell_m).astype(np.int64)
        off = np.arange(-width, width + 1)
        m = off.size * off.size
        nb_i = ix[:, None] + np.repeat(off, off.size)[None, :]
        nb_j = iy[:, None] + np.tile(off, off.size)[None, :]
        valid = (nb_i >= 0) & (nb_i < self.ni) & (nb_j >= 0) & (nb_j < self.nj)
        nb = np.where(valid, nb_i * self.nj + nb_j, -1).ravel()
        pos = np.minimum(np.searchsorted(self.keys, nb), self.keys.size - 1)
        hit = (self.keys[pos] == nb) & (nb >= 0)
        n = np.where(hit, self.counts[pos], 0)
        first = np.where(hit, self.starts[pos], 0)
        owner = np.repeat(np.arange(nb.size, dtype=np.int64) // m, n)
        if owner.size == 0:
            return seg, dist
        within = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        cand = self.segs[np.repeat(first, n) + within]
        qx, qy = px[owner], py[owner]
        ax, ay = self.ax[cand], self.ay[cand]
        ex, ey = self.bx[cand] - ax, self.by[cand] - ay
        ll = ex * ex + ey * ey
        t = np.clip(((qx - ax) * ex + (qy - ay) * ey) / np.where(ll > 0, ll, 1.0), 0.0, 1.0)
        d = np.hypot(qx - (ax + t * ex), qy - (ay + t * ey))
        # pairs come grouped by point: the minimum per run, ties to the lower segment
        run = np.r_[0, np.nonzero(owner[1:] != owner[:-1])[0] + 1]
        who = owner[run]
        dmin = np.minimum.reduceat(d, run)
        big = np.iinfo(np.int64).max
        smin = np.minimum.reduceat(np.where(d == np.repeat(dmin, np.diff(np.r_[run, d.size])), cand, big), run)
        # no segment outside the searched square of cells can be nearer than the square's border
        wx, wy = px[who], py[who]
        lo_x = self.x0 + (ix[who] - width) * self.cell_m
        lo_y = self.y0 + (iy[who] - width) * self.cell_m
        side = (2 * width + 1) * self.cell_m
        border = np.minimum(np.minimum(wx - lo_x, lo_x + side - wx), np.minimum(wy - lo_y, lo_y + side - wy))
        sure = dmin <= border
        seg[who[sure]] = smin[sure]
        dist[who[sure]] = dmin[sure]
        return seg, dist

    def _geos_tree(self) -> shapely.STRtree:
        if self._tree is None:
            coords = np.stack([np.column_stack([self.ax, self.ay]), np.column_stack([self.bx, self.by])], axis=1)
            self._tree = shapely.STRtree(shapely.linestrings(coords))
        return self._tree


def segments_of(lines: NDArray[np.object_]) -> tuple[NDArray[np.float64], ...]:
    """The segments of line geometries (parts of multi-lines included) as ``(ax, ay, bx, by)``."""
    geoms = np.asarray(lines, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))] if geoms.size else geoms
    if geoms.size == 0:
        z = np.zeros(0)
        return z, z, z, z
    parts = shapely.get_parts(geoms)
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]  # linestrings and rings
    xy, part = shapely.get_coordinates(parts, return_index=True)
    same = part[1:] == part[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    return a[:, 0], a[:, 1], b[:, 0], b[:, 1]
