"""Walking service circles (isochrones) on the street network.

A facility's reach is computed with a bounded Dijkstra on the part of the network that can possibly be
reached: every node within network distance ``d`` of the source lies within straight-line distance ``d``,
so the search runs on the sub-graph of nodes inside a disk of radius ``budget`` around the source
(KD-tree query) with :func:`scipy.sparse.csgraph.dijkstra`. The result is exact, and one facility's
circle is recomputed without touching the others.

Circle polygons follow the reached streets: reached edges, with partial edges cut where the limit falls
mid-edge, are sampled densely, rasterised on a grid aligned to multiples of ``cell_m``, widened by the
street-side depth ``buffer_m`` (a disk-shaped minimum filter) and polygonised. Not convex hulls.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio import features as rio_features
from rasterio.transform import Affine
from scipy import ndimage
from scipy.sparse import csgraph

from .network import WalkNetwork


def minutes_to_m(minutes: float | Sequence[float], *, speed_kmh: float) -> NDArray[np.float64]:
    """Walking distance (metres) covered in ``minutes`` at ``speed_kmh``."""
    if speed_kmh <= 0:
        raise ValueError("speed_kmh must be positive")
    return np.asarray(minutes, dtype=float) * speed_kmh * 1000.0 / 60.0


@dataclass(frozen=True)
class Reach:
    """Nodes reached from one source within ``max_m`` of walking (access leg included).

    ``dist_m[i]`` is the walking distance to node ``nodes[i]``. The source sits on ``edge`` at
    ``offset_m`` with a straight access leg of ``access_m``.
    """

    nodes: NDArray[np.int64]
    dist_m: NDArray[np.float64]
    edge: int
    offset_m: float
    access_m: float
    max_m: float


#: above this expected share of all nodes inside the search disk, search the whole graph instead
_LOCAL_SHARE_MAX = 0.2


def reach_from(net: WalkNetwork, *, edge: int, offset_m: float, access_m: float, max_m: float) -> Reach:
    """Bounded single-source search from a point on an edge (exact; see module docstring)."""
    budget = max_m - access_m
    empty = Reach(np.zeros(0, np.int64), np.zeros(0), int(edge), float(offset_m), float(access_m), float(max_m))
    if budget < 0 or edge < 0:
        return empty
    L = float(net.length_m[edge])
    u, v = int(net.u[edge]), int(net.v[edge])
    ends = [(u, offset_m), (v, L - offset_m)]
    ends = [(n, d) for n, d in ends if d <= budget]
    if not ends:
        return empty
    offsets = np.array([d for _, d in ends])
    if np.pi * budget * budget * net.node_density_per_m2 > _LOCAL_SHARE_MAX * net.n_nodes:
        # the disk holds much of the network: searching the whole graph is cheaper than cutting it out
        dist = csgraph.dijkstra(net.csr, directed=True, indices=[n for n, _ in ends], limit=budget)
        total = np.min(dist + offsets[:, None], axis=0)
        cand = np.nonzero(total <= budget)[0]
        return Reach(cand, total[cand] + access_m, int(edge), float(offset_m), float(access_m), float(max_m))
    sx, sy = net.edge_point(edge, offset_m)
    cand = np.asarray(net.kdtree.query_ball_point((float(sx), float(sy)), r=budget + 1e-6), dtype=np.int64)
    cand.sort()
    # the edge's end nodes are always within the disk (straight line <= offset along the edge)
    sub = net.csr[cand][:, cand]
    local = np.searchsorted(cand, [n for n, _ in ends])
    dist = csgraph.dijkstra(sub, directed=True, indices=local, limit=budget)
    total = np.min(dist + offsets[:, None], axis=0)
    keep = total <= budget
    return Reach(cand[keep], total[keep] + access_m, int(edge), float(offset_m), float(access_m), float(max_m))


@dataclass(frozen=True)
class DistanceField:
    """Walking distance from the nearest of a set of sources: per node (``inf`` when unreachable) plus the
    sources' own positions, which matter on the edges they sit on."""

    node_m: NDArray[np.float64]
    src_edge: NDArray[np.int64]
    src_offset_m: NDArray[np.float64]
    src_access_m: NDArray[np.float64]

    @classmethod
    def from_reaches(cls, net: WalkNetwork, reaches: Iterable[Reach]) -> "DistanceField":
        node = np.full(net.n_nodes, np.inf)
        edges, offs, accs = [], [], []
        for r in reaches:
            np.minimum.at(node, r.nodes, r.dist_m)
            if r.edge >= 0 and np.isfinite(r.access_m):
                edges.append(r.edge)
                offs.append(r.offset_m)
                accs.append(r.access_m)
        return cls(node, np.asarray(edges, np.int64), np.asarray(offs, float), np.asarray(accs, float))

    def at(self, net: WalkNetwork, *, edge: NDArray[np.int64], offset_m: NDArray[np.float64]) -> NDArray[np.float64]:
        """Walking distance to points given by edge and offset (no access leg of their own)."""
        edge = np.asarray(edge, dtype=np.int64)
        offset_m = np.asarray(offset_m, dtype=float)
        L = net.length_m[edge]
        d = np.minimum(self.node_m[net.u[edge]] + offset_m, self.node_m[net.v[edge]] + (L - offset_m))
        if self.src_edge.size and edge.size:
            order = np.argsort(self.src_edge, kind="stable")
            se = self.src_edge[order]
            lo = np.searchsorted(se, edge, side="left")
            hi = np.searchsorted(se, edge, side="right")
            for i in np.nonzero(hi > lo)[0]:
                k = order[lo[i] : hi[i]]
                d[i] = min(d[i], float(np.min(np.abs(self.src_offset_m[k] - offset_m[i]) + self.src_access_m[k])))
        return d

    def covered_length_m(self, net: WalkNetwork, *, limit_m: float) -> NDArray[np.float64]:
        """Length of each edge within ``limit_m`` of walking, partial edges interpolated exactly."""
        L = net.length_m
        a = np.clip(limit_m - self.node_m[net.u], 0.0, L)
        c = np.clip(limit_m - self.node_m[net.v], 0.0, L)
        covered = np.minimum(L, a + c)
        if self.src_edge.size:
            for e in np.unique(self.src_edge):
                k = self.src_edge == e
                ivs = [(0.0, float(a[e])), (float(L[e] - c[e]), float(L[e]))]
                for off, acc in zip(self.src_offset_m[k], self.src_access_m[k]):
                    b = limit_m - acc
                    if b >= 0:
                        ivs.append((max(0.0, off - b), min(float(L[e]), off + b)))
                covered[e] = _union_length(ivs)
        return covered


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -np.inf
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if hi <= end:
            continue
        total += hi - max(lo, end)
        end = hi
    return total


# ---------------------------------------------------------------------------------------------- polygons


@dataclass(frozen=True)
class Samples:
    """Points sampled along reached streets with the index of the smallest band that reaches them."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    band: NDArray[np.uint8]


def positions_along(length_m: NDArray[np.float64], *, step_m: float, centred: bool = False) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Evenly spaced positions at most ``step_m`` apart along segments of the given lengths.

    Returns ``(segment index, offset_m)`` per position: both ends included, or with ``centred`` the
    centres of equal pieces (each position then stands for the same share of its segment)."""
    L = np.asarray(length_m, dtype=float)
    counts = np.ceil(L / step_m).astype(np.int64) + 1
    j = np.repeat(np.arange(L.size), counts)
    k = np.arange(j.size) - np.repeat(np.cumsum(counts) - counts, counts)
    pos = (k + 0.5) * (L / counts)[j] if centred else k * (L / (counts - 1))[j]
    return j, pos


def sample_bands(net: WalkNetwork, field: DistanceField, *, limits_m: Sequence[float], step_m: float) -> Samples:
    """Sample the streets reached within ``max(limits_m)`` every ``step_m`` metres (and at the exact
    points where each limit falls mid-edge); ``band`` is the index of the first limit reaching each sample."""
    limits = np.sort(np.asarray(limits_m, dtype=float))
    top = float(limits[-1])
    du = field.node_m[net.u]
    dv = field.node_m[net.v]
    sel = np.nonzero((du <= top) | (dv <= top))[0]
    if field.src_edge.size:
        sel = np.union1d(sel, field.src_edge)
    if sel.size == 0:
        return Samples(np.zeros(0), np.zeros(0), np.zeros(0, np.uint8))
    L = net.length_m[sel]
    du_s, dv_s = du[sel], dv[sel]
    j, pos = positions_along(L, step_m=step_m)  # j: index into ``sel`` of every sample
    # the exact cut points of partial edges, so the polygon ends where the limit falls
    cut_j, cut_o = [j], [pos]
    for lim in limits:
        for dn, from_v in ((du_s, False), (dv_s, True)):
            rem = lim - dn
            m = np.nonzero((rem > 0) & (rem < L))[0]
            cut_j.append(m)
            cut_o.append(L[m] - rem[m] if from_v else rem[m])
    j = np.concatenate(cut_j)
    pos = np.concatenate(cut_o)
    Lj = L[j]
    d = np.minimum(du_s[j] + pos, dv_s[j] + (Lj - pos))
    if field.src_edge.size:
        on_src = np.isin(sel, field.src_edge)[j]
        d[on_src] = field.at(net, edge=sel[j[on_src]], offset_m=pos[on_src])
    band = np.searchsorted(limits, d - 1e-9, side="left")
    ok = band < limits.size
    j, t = j[ok], pos[ok] / Lj[ok]
    ax, ay = net.x[net.u[sel]], net.y[net.u[sel]]
    bx, by = net.x[net.v[sel]], net.y[net.v[sel]]
    x = ax[j] + (bx - ax)[j] * t
    y = ay[j] + (by - ay)[j] * t
    return Samples(x, y, band[ok].astype(np.uint8))


def band_polygons(
    samples: Samples,
    *,
    n_bands: int,
    buffer_m: float,
    cell_m: float,
    windows: Sequence[tuple[float, float, float, float]] | None = None,
    simplify_m: float = 0.0,
) -> list[shapely.Geometry]:
    """Cumulative band polygons (band ``k`` holds everything reached within limit ``k``) from samples.

    Rasterises in disjoint ``windows`` (metric bounds; by default one around all samples), so sparse
    county-wide inputs cost only the areas they cover. Outlines follow cell edges; ``simplify_m`` > 0 drops
    vertices within that distance (Douglas-Peucker, topology kept)."""
    if samples.x.size == 0:
        return [shapely.MultiPolygon() for _ in range(n_bands)]
    pad = buffer_m + 2 * cell_m
    if windows is None:
        windows = [(samples.x.min(), samples.y.min(), samples.x.max(), samples.y.max())]
    parts: list[list[shapely.Geometry]] = [[] for _ in range(n_bands)]
    for minx, miny, maxx, maxy in windows:
        inside = (samples.x >= minx) & (samples.x <= maxx) & (samples.y >= miny) & (samples.y <= maxy)
        if not inside.any():
            continue
        x0 = np.floor((minx - pad) / cell_m) * cell_m
        y1 = np.ceil((maxy + pad) / cell_m) * cell_m
        ncol = int(np.ceil((maxx + pad - x0) / cell_m)) + 1
        nrow = int(np.ceil((y1 - (miny - pad)) / cell_m)) + 1
        grid = np.full((nrow, ncol), 255, dtype=np.uint8)
        col = ((samples.x[inside] - x0) / cell_m).astype(np.int64)
        row = ((y1 - samples.y[inside]) / cell_m).astype(np.int64)
        np.minimum.at(grid, (row, col), samples.band[inside])
        grid = disk_min_filter(grid, radius_cells=buffer_m / cell_m)
        transform = Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1)
        for k in range(n_bands):
            mask = grid <= k
            rows = np.nonzero(mask.any(axis=1))[0]
            if rows.size == 0:
                continue
            cols = np.nonzero(mask.any(axis=0))[0]
            # polygonise only the cells' bounding box (inner bands cover far less of the window)
            r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            sub = np.ascontiguousarray(mask[r0:r1, c0:c1])
            # windows are disjoint and 4-connected regions never overlap: no union needed
            shapes = rio_features.shapes(sub.view(np.uint8), mask=sub, transform=transform @ Affine.translation(c0, r0))
            parts[k].extend(_polygons_from_shapes(g for g, _ in shapes))
    out = []
    for k in range(n_bands):
        geom = shapely.multipolygons(parts[k]) if parts[k] else shapely.MultiPolygon()
        out.append(shapely.simplify(geom, simplify_m, preserve_topology=True) if simplify_m > 0 else geom)
    return out


def _polygons_from_shapes(shapes: Iterable[dict]) -> list[shapely.Geometry]:
    """Polygons from GeoJSON-like polygon mappings, built in bulk (rings vectorised)."""
    coords: list = []
    sizes: list[int] = []
    poly_of_ring: list[int] = []
    for i, g in enumerate(shapes):
        for ring in g["coordinates"]:
            coords.extend(ring)
            sizes.append(len(ring))
            poly_of_ring.append(i)
    if not sizes:
        return []
    rings = shapely.linearrings(np.asarray(coords, dtype=float), indices=np.repeat(np.arange(len(sizes)), sizes))
    return list(shapely.polygons(rings, indices=np.asarray(poly_of_ring)))


def disk_min_filter(grid: NDArray[np.uint8], *, radius_cells: float) -> NDArray[np.uint8]:
    """Minimum over a disk of ``radius_cells`` around every cell (grey erosion by a disk).

    The lattice disk is the union of the rectangles ``[-w(dy), w(dy)] x [-dy, dy]`` with
    ``w(dy) = floor(sqrt(r^2 - dy^2))``; each rectangle is two separable 1-D minimum filters, so the cost
    does not grow with the disk's area."""
    r = int(np.floor(radius_cells + 1e-9))
    if r <= 0:
        return grid.copy()
    out = None
    half_widths = {}
    for dy in range(r + 1):
        w = int(np.floor(np.sqrt(radius_cells * radius_cells - dy * dy) + 1e-9))
        half_widths[w] = dy  # the tallest rectangle for each width
    for w, dy in half_widths.items():
        m = ndimage.minimum_filter1d(grid, size=2 * w + 1, axis=1, mode="constant", cval=255)
        if dy:
            m = ndimage.minimum_filter1d(m, size=2 * dy + 1, axis=0, mode="constant", cval=255)
        out = m if out is None else np.minimum(out, m, out=out)
    return out


def merge_windows(boxes: NDArray[np.float64]) -> list[tuple[float, float, float, float]]:
    """Merge overlapping boxes (``N x 4`` minx, miny, maxx, maxy) until none overlap."""
    boxes = [tuple(map(float, b)) for b in np.asarray(boxes, dtype=float).reshape(-1, 4)]
    changed = True
    while changed and len(boxes) > 1:
        changed = False
        arr = np.asarray(boxes)
        merged: list[tuple[float, float, float, float]] = []
        used = np.zeros(len(boxes), dtype=bool)
        for i in range(len(boxes)):
            if used[i]:
                continue
            cur = arr[i].copy()
            while True:
                hit = (~used) & (arr[:, 0] <= cur[2]) & (arr[:, 2] >= cur[0]) & (arr[:, 1] <= cur[3]) & (arr[:, 3] >= cur[1])
                hit[i] = False
                if not hit.any():
                    break
                changed = True
                used |= hit
                cur = np.array([min(cur[0], arr[hit, 0].min()), min(cur[1], arr[hit, 1].min()),
                                max(cur[2], arr[hit, 2].max()), max(cur[3], arr[hit, 3].max())])
            used[i] = True
            merged.append(tuple(cur))
        boxes = merged
    return boxes


def reach_windows(net: WalkNetwork, reaches: Sequence[Reach], *, pad_m: float) -> list[tuple[float, float, float, float]]:
    """Disjoint raster windows covering the given reaches: per reach, the box of its reached nodes, their
    neighbours (partially reached edges end between the two) and its source edge, padded."""
    boxes = []
    csr = net.csr
    for r in reaches:
        if r.edge < 0:
            continue
        ends = np.array([net.u[r.edge], net.v[r.edge]])
        neighbours = csr[r.nodes].indices if r.nodes.size else ends
        pts = np.concatenate([r.nodes, neighbours, ends])
        xs, ys = net.x[pts], net.y[pts]
        boxes.append((float(xs.min()) - pad_m, float(ys.min()) - pad_m, float(xs.max()) + pad_m, float(ys.max()) + pad_m))
    return merge_windows(np.asarray(boxes)) if boxes else []


#: a merged circle layer is rasterised on at most about this many cells; beyond it the cell grows
MAX_RASTER_CELLS = 4_000_000


def circle_polygons(
    net: WalkNetwork,
    reaches: Sequence[Reach],
    *,
    limits_m: Sequence[float],
    buffer_m: float = 50.0,
    cell_m: float = 10.0,
    max_cells: int = MAX_RASTER_CELLS,
) -> list[shapely.Geometry]:
    """Street-following circle polygons (cumulative, one per limit, metric CRS) of the union of
    ``reaches`` — one facility's circle when given one reach, a type's merged circle when given many.

    ``cell_m`` is the raster resolution; when the area to rasterise would exceed ``max_cells`` cells (a
    county full of facilities) the cell grows just enough to stay within it."""
    field = DistanceField.from_reaches(net, reaches)
    windows = reach_windows(net, reaches, pad_m=buffer_m + cell_m)
    area = sum((w[2] - w[0]) * (w[3] - w[1]) for w in windows)
    cell = max(cell_m, float(np.ceil(np.sqrt(area / max_cells) / 5.0) * 5.0)) if area > max_cells * cell_m**2 else cell_m
    samples = sample_bands(net, field, limits_m=limits_m, step_m=cell)
    return band_polygons(samples, n_bands=len(limits_m), buffer_m=buffer_m, cell_m=cell, windows=windows)
