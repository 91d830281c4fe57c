"""The walking network: a graph of straight street segments in a metric CRS.

Lines are noded at their endpoints and at shared vertices; every vertex becomes a node and every segment
between consecutive vertices an undirected edge, so edges are straight and a point on an edge is given by
an offset in metres from its first node. Lines that merely cross (bridges, underpasses) are not connected.

Noding tolerance (``build_network(snap_m=...)``, default :data:`DEFAULT_SNAP_M` = 0.5 m): vertices are
first matched exactly (coordinates rounded to 1 mm), then

1. vertices of different lines (or far apart along the same line) lying within ``snap_m`` of each other
   become one node at their mean (sub-millimetre noise, near-miss junctions); a chain guard keeps every
   vertex within ``snap_m`` of its node. Edges that collapse are dropped: a line (or group of lines)
   that fits within ``snap_m`` becomes a point and leaves the network;
2. a line end left dangling (a node of degree 1) within ``snap_m`` of another edge is joined to it (a
   digitising undershoot): that edge is split at its nearest point and the end node is moved onto it.

Lengths are the straight lengths between the (moved) nodes. With a ``layer`` column (OpenStreetMap
``layer``), only lines of the same layer are snapped together. What was snapped is reported in
``WalkNetwork.noding`` (:class:`NodingReport`, :func:`noding_note`). ``snap_m=0`` is exact noding on the
1 mm grid only, as before the tolerance existed.

The graph model is a :class:`networkx.Graph` (``WalkNetwork.graph``); bulk shortest paths run on the same
graph held as a symmetric CSR matrix (``WalkNetwork.csr``) with :mod:`scipy.sparse.csgraph`.
"""
from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from layers.segments import SegmentIndex
from layers.crs import WGS84, metric_crs_for_frame, reproject_series, require_crs, transformer
from layers.errors import InputError

if TYPE_CHECKING:  # networkx is imported when a graph is asked for (start-up time)
    import networkx as nx

#: highway values never walked (also matched in the bureau's own Chinese road classes)
NOT_WALKABLE = frozenset({"motorway", "motorway_link", "高速公路", "高速", "快速路"})

#: coordinates are merged into one node when they agree to this many decimals of a metre
_NODE_DECIMALS = 3
#: default noding tolerance of :func:`build_network`: vertices and line ends this close are joined (metres)
DEFAULT_SNAP_M = 0.5
#: vertices already linked by at most this many ``snap_m`` of line (or of network, for line ends) are
#: never snapped together: joining them would only shorten a walk by less than a metre, and would chain
#: the vertices of a densely digitised line into one node
_LINKED_FACTOR = 2.0
#: vertices this close (metres) are coordinate noise: one node whatever the lines and layers they lie on
_NOISE_M = 0.01
#: undershoot search: edges longer than this (metres) are searched with an STRtree, shorter ones from
#: their nodes (a KD-tree ball of half this radius around each line end)
_LONG_EDGE_M = 100.0
#: a split point this close (metres) to an edge's node is that node (no sub-millimetre edges)
_SPLIT_EPS_M = 10.0 ** -_NODE_DECIMALS


@dataclass(frozen=True)
class NodingReport:
    """What :func:`build_network` snapped with its tolerance ``snap_m`` (metres).

    ``vertices_merged``: vertices (distinct to 1 mm) joined to another vertex within ``snap_m``;
    ``undershoots_closed``: dangling line ends joined to an edge within ``snap_m``; ``chains_split``:
    groups of vertices linked pairwise within ``snap_m`` but spread wider than ``snap_m``, re-split so
    that no vertex moves by more than ``snap_m``; ``components_exact``: connected components with exact
    (1 mm) noding; ``components``: connected components of the network built.
    """

    snap_m: float = 0.0
    vertices_merged: int = 0
    undershoots_closed: int = 0
    chains_split: int = 0
    components_exact: int = 0
    components: int = 0

    @property
    def islands_from_near_misses(self) -> int:
        """Components that exact noding would have left apart and the tolerance joined."""
        return self.components_exact - self.components


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """Undirected walking network in a projected metric CRS.

    Node arrays ``x``, ``y`` (metres); edge arrays ``u``, ``v`` (node indices, ``u < v``) and
    ``length_m``; ``highway``/``name`` per edge (object arrays, may hold None).
    """

    crs: pyproj.CRS
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    length_m: NDArray[np.float64]
    highway: NDArray[np.object_]
    name: NDArray[np.object_]
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    #: what the noding tolerance joined (an empty report for networks not made by :func:`build_network`)
    noding: NodingReport = NodingReport()

    @property
    def n_nodes(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.u.shape[0])

    @cached_property
    def csr(self) -> sparse.csr_matrix:
        """Symmetric adjacency matrix with edge lengths (metres) as weights."""
        n = self.n_nodes
        rows = np.concatenate([self.u, self.v])
        cols = np.concatenate([self.v, self.u])
        data = np.concatenate([self.length_m, self.length_m])
        m = sparse.csr_matrix((data, (rows, cols)), shape=(n, n))
        m.sort_indices()
        return m

    @cached_property
    def node_density_per_m2(self) -> float:
        """Nodes per square metre of the network's bounding box (a rough density for search planning)."""
        if self.n_nodes < 2:
            return 0.0
        area = max((self.x.max() - self.x.min()) * (self.y.max() - self.y.min()), 1.0)
        return self.n_nodes / area

    @cached_property
    def kdtree(self) -> cKDTree:
        """KD-tree of node coordinates (for bounded local searches)."""
        return cKDTree(np.column_stack([self.x, self.y]))

    @cached_property
    def edge_lines(self) -> NDArray[np.object_]:
        """Shapely LineStrings of the edges (metric CRS)."""
        coords = np.stack(
            [np.column_stack([self.x[self.u], self.y[self.u]]), np.column_stack([self.x[self.v], self.y[self.v]])],
            axis=1,
        )
        return shapely.linestrings(coords)

    @cached_property
    def edge_tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.edge_lines)

    @cached_property
    def component(self) -> NDArray[np.int64]:
        """Connected-component label per node; label 0 is the largest component."""
        if self.n_nodes == 0:
            return np.zeros(0, dtype=np.int64)
        _, labels = csgraph.connected_components(self.csr, directed=False)
        sizes = np.bincount(labels)
        order = np.argsort(-sizes, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return rank[labels].astype(np.int64)

    @cached_property
    def graph(self) -> nx.Graph:
        """The network as a networkx graph: nodes carry ``x``, ``y``; edges ``length_m``, ``highway``, ``name``."""
        import networkx as nx

        g = nx.Graph(crs=self.crs.to_string())
        g.add_nodes_from((i, {"x": float(xx), "y": float(yy)}) for i, (xx, yy) in enumerate(zip(self.x, self.y)))
        g.add_edges_from(
            (int(a), int(b), {"length_m": float(L), "highway": h, "name": nm})
            for a, b, L, h, nm in zip(self.u, self.v, self.length_m, self.highway, self.name)
        )
        return g

    def edge_point(self, edge: NDArray[np.int64] | int, offset_m: NDArray[np.float64] | float) -> tuple[NDArray, NDArray]:
        """Coordinates of the point ``offset_m`` metres along ``edge`` from its ``u`` node."""
        e = np.asarray(edge)
        t = np.divide(np.asarray(offset_m, dtype=float), self.length_m[e])
        x = self.x[self.u[e]] + (self.x[self.v[e]] - self.x[self.u[e]]) * t
        y = self.y[self.u[e]] + (self.y[self.v[e]] - self.y[self.u[e]]) * t
        return x, y


def build_network(
    lines: gpd.GeoDataFrame,
    *,
    metric_crs: pyproj.CRS | str | None = None,
    exclude_highway: frozenset[str] = NOT_WALKABLE,
    snap_m: float = DEFAULT_SNAP_M,
) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from road lines (any CRS; it must be set).

    ``metric_crs`` defaults to the lines' own CRS when it is projected in metres (e.g. a CGCS2000
    Gauss-Krüger zone), else the UTM zone of the data's centre. Lines whose ``highway`` is in
    ``exclude_highway`` (motorways) are dropped. Duplicate segments keep the shortest.

    ``snap_m`` is the noding tolerance in metres (finite, >= 0; ValueError otherwise): vertices within
    ``snap_m`` of each other become one node (:func:`_snap_vertices`) and line ends within ``snap_m`` of
    another edge are joined to it (:func:`_close_undershoots`); ``0`` nodes identical coordinates (to
    1 mm) only. The result's ``noding`` (:class:`NodingReport`) says what was joined. When the lines
    carry a ``layer`` column (OpenStreetMap ``layer``: bridges above 0, tunnels below; empty = 0), the
    tolerance joins only lines of the same layer: a tunnel ending under a street is not connected to it.
    Vertices within 1 cm of each other (coordinate noise) are one node whatever their layers.
    """
    snap_m = _check_snap(snap_m)
    require_crs(lines, what="road network")
    if len(lines) == 0:
        raise InputError("the road layer has no lines")
    crs = pyproj.CRS.from_user_input(metric_crs) if metric_crs is not None else metric_crs_for_frame(lines, what="roads")
    if not crs.is_projected:
        raise ValueError(f"metric_crs must be a projected CRS in metres, got {crs.name}")
    gdf = lines
    if "highway" in gdf.columns:
        gdf = gdf[~gdf["highway"].isin(exclude_highway)]
    gdf = gdf.to_crs(crs)
    geoms = gdf.geometry.values
    present = np.flatnonzero(~(shapely.is_empty(geoms) | shapely.is_missing(geoms)))
    geoms = geoms[present]
    kinds = shapely.get_type_id(geoms)
    if not np.all(np.isin(kinds, (1, 5))):
        raise InputError("the road layer must contain lines (LineString/MultiLineString) only")
    parts, part_index = shapely.get_parts(geoms, return_index=True)
    coords, vertex_line = shapely.get_coordinates(parts, return_index=True)
    line_of_part = present[part_index]  # row of ``gdf`` of each part (empty rows skipped)
    highway = _column(gdf, "highway")[line_of_part]
    name = _column(gdf, "name")[line_of_part]
    part_layer = _layer_codes(gdf)[line_of_part]

    # exact noding: vertices equal to 1 mm are one node
    rounded = np.round(coords, _NODE_DECIMALS)
    uniq, node_of_vertex = unique_rows(rounded)
    same_line = vertex_line[1:] == vertex_line[:-1]
    a = node_of_vertex[:-1][same_line]
    b = node_of_vertex[1:][same_line]
    seg_part = vertex_line[:-1][same_line]
    keep = a != b
    a, b, seg_part = a[keep], b[keep], seg_part[keep]

    xy = uniq
    vertices_merged = chains_split = undershoots_closed = 0
    if snap_m > 0 and a.size:
        # an unbalanced tree builds twice as fast and answers these few radius queries as quickly
        tree = cKDTree(uniq, balanced_tree=False, compact_nodes=False)
        cluster, xy, chains_split = _snap_vertices(
            uniq,
            tree=tree,
            node_of_vertex=node_of_vertex,
            vertex_line=vertex_line,
            coords=coords,
            part_layer=part_layer,
            snap_m=snap_m,
        )
        vertices_merged = uniq.shape[0] - xy.shape[0]
        uu, vv, length, part = _unique_edges(xy, cluster[a], cluster[b], seg_part)
        xy, uu, vv, part, undershoots_closed = _close_undershoots(
            xy, uu, vv, part, length_m=length, part_layer=part_layer, exact_tree=tree, cluster=cluster, snap_m=snap_m
        )
        if undershoots_closed:
            uu, vv, length, part = _unique_edges(xy, uu, vv, part)
    else:
        uu, vv, length, part = _unique_edges(xy, a, b, seg_part)

    # drop nodes no edge uses (isolated single-vertex parts, line ends merged into an edge)
    used = np.zeros(xy.shape[0], dtype=bool)
    used[uu] = True
    used[vv] = True
    used = np.flatnonzero(used)
    remap = np.full(xy.shape[0], -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    u_final, v_final = remap[uu], remap[vv]
    components = _count_components(used.size, u_final, v_final)
    snapped = vertices_merged > 0 or undershoots_closed > 0
    report = NodingReport(
        snap_m=snap_m,
        vertices_merged=int(vertices_merged),
        undershoots_closed=int(undershoots_closed),
        chains_split=int(chains_split),
        components_exact=_count_components(uniq.shape[0], a, b) if snapped else components,
        components=components,
    )
    return WalkNetwork(
        crs=crs,
        x=xy[used, 0].astype(float),
        y=xy[used, 1].astype(float),
        u=u_final,
        v=v_final,
        length_m=length.astype(float),
        highway=highway[part],
        name=name[part],
        noding=report,
    )


def unique_rows(xy: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """``np.unique(xy, axis=0, return_inverse=True)`` for an ``N x 2`` float array (the same rows in the same
    order, and the inverse), by one lexsort instead of a sort of structured rows (several times faster)."""
    xy = np.asarray(xy, dtype=float)
    if xy.shape[0] == 0:
        return xy.reshape(0, 2), np.zeros(0, np.int64)
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    s = xy[order]
    new = np.empty(s.shape[0], dtype=bool)
    new[0] = True
    np.not_equal(s[1:, 0], s[:-1, 0], out=new[1:])
    new[1:] |= s[1:, 1] != s[:-1, 1]
    group = np.cumsum(new) - 1
    inverse = np.empty(xy.shape[0], dtype=np.int64)
    inverse[order] = group
    return s[new], inverse


def noding_note(report: NodingReport) -> str | None:
    """One line for a planner when the noding tolerance joined anything, else None, e.g.
    ``road noding joined 1,234 vertices within 0.5 m (312 undershoots closed); 306 islands came from
    near-misses``."""
    if report.vertices_merged == 0 and report.undershoots_closed == 0:
        return None
    merged = _plural(report.vertices_merged, "vertex", "vertices")
    closed = _plural(report.undershoots_closed, "undershoot", "undershoots")
    joined = report.islands_from_near_misses
    islands = "no island came" if joined <= 0 else _plural(joined, "island", "islands") + " came"
    snap = f"{report.snap_m:g}"
    if "e" in snap:  # plain digits only (1e-05 -> 0.00001)
        snap = f"{report.snap_m:.6f}".rstrip("0").rstrip(".")
    return f"road noding joined {merged} within {snap} m ({closed} closed); {islands} from near-misses"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _layer_codes(gdf: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Integer code of each row's ``layer`` (all 0 without the column; numbers compare as numbers,
    empty values are layer 0)."""
    if "layer" not in gdf.columns:
        return np.zeros(len(gdf), dtype=np.int64)
    labels = []
    for value in _column(gdf, "layer"):
        text = "" if value is None else str(value).strip()
        try:
            number = float(text) if text else 0.0
            labels.append(repr(number + 0.0) if math.isfinite(number) else text)
        except ValueError:
            labels.append(text)
    codes, _ = pd.factorize(pd.Series(labels, dtype=object))
    return codes.astype(np.int64)


def _check_snap(snap_m: float) -> float:
    if isinstance(snap_m, bool):
        raise ValueError(f"snap_m must be a distance in metres, got {snap_m!r}")
    try:
        value = float(snap_m)
    except (TypeError, ValueError):
        raise ValueError(f"snap_m must be a distance in metres, got {snap_m!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"snap_m must be a finite distance >= 0 m, got {snap_m!r}")
    return value


def _count_components(n_nodes: int, u: NDArray[np.int64], v: NDArray[np.int64]) -> int:
    """Connected components among the nodes some edge uses (nodes ``0..n_nodes-1``)."""
    if u.size == 0:
        return 0
    m = sparse.csr_matrix((np.ones(u.size), (u, v)), shape=(n_nodes, n_nodes))
    n_comp, _ = csgraph.connected_components(m, directed=True, connection="weak")
    used = np.zeros(n_nodes, dtype=bool)
    used[u] = True
    used[v] = True
    return int(n_comp - (n_nodes - np.count_nonzero(used)))


def _unique_edges(
    xy: NDArray[np.float64], a: NDArray[np.int64], b: NDArray[np.int64], part: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Edges ``u < v`` with straight lengths; collapsed edges dropped, duplicates keep the shortest."""
    keep = a != b
    a, b, part = a[keep], b[keep], part[keep]
    uu = np.minimum(a, b)
    vv = np.maximum(a, b)
    length = np.hypot(xy[vv, 0] - xy[uu, 0], xy[vv, 1] - xy[uu, 1])
    # by u, v, then length (stable): one sort of a combined key, then the few duplicates by length
    key = uu.astype(np.int64) * np.int64(max(int(xy.shape[0]), 1)) + vv
    order = np.argsort(key, kind="stable")
    key = key[order]
    dup = np.zeros(key.size, dtype=bool)
    dup[1:] = key[1:] == key[:-1]
    if dup.any():
        group = np.zeros(key.size, dtype=bool)
        group[:-1] = dup[1:]
        group |= dup  # every member of a group of duplicates
        idx = np.nonzero(group)[0]
        sub = np.lexsort((length[order[idx]], key[idx]))
        order[idx] = order[idx][sub]
    uu, vv, length, part = uu[order], vv[order], length[order], part[order]
    first = ~dup
    return uu[first].astype(np.int64), vv[first].astype(np.int64), length[first], part[first].astype(np.int64)


def _snap_vertices(
    nodes_xy: NDArray[np.float64],
    *,
    tree: cKDTree,
    node_of_vertex: NDArray[np.int64],
    vertex_line: NDArray[np.int64],
    coords: NDArray[np.float64],
    part_layer: NDArray[np.int64],
    snap_m: float,
) -> tuple[NDArray[np.int64], NDArray[np.float64], int]:
    """Cluster the exact (1 mm) nodes ``nodes_xy`` (``tree`` is their KD-tree) lying within ``snap_m``.

    All pairs within ``snap_m`` are joined (connected components), except two vertices already linked
    along one line by at most ``_LINKED_FACTOR * snap_m`` of it: the vertices of a densely digitised
    line are never merged, so such a line cannot chain into one node. Vertices within ``_NOISE_M`` are
    joined first and unconditionally (noise), and count as one vertex when judging "linked". A
    cluster's node is the mean of its
    vertices. Chain guard: a cluster with a vertex farther than ``snap_m`` from that mean (pairs linked
    in a chain, e.g. two dense lines running side by side) is split greedily — the first unassigned
    vertex (in coordinate order) takes every unassigned vertex within ``snap_m`` and is their node — so
    no vertex ever moves by more than ``snap_m``. Exact nodes are never split. With several layers
    (``part_layer``), two nodes farther apart than ``_NOISE_M`` are joined only when some line of each
    lies on the same layer.

    Returns the cluster of every exact node, the cluster coordinates and the number of chains split.
    """
    n = nodes_xy.shape[0]
    pairs = tree.query_pairs(snap_m, output_type="ndarray").astype(np.int64)
    if pairs.size == 0:
        return np.arange(n, dtype=np.int64), nodes_xy, 0
    # coordinate noise first: vertices within _NOISE_M are one node whatever their lines and layers, so
    # that "linked along a line" below sees a noisy junction as the junction it is
    gap = np.hypot(*(nodes_xy[pairs[:, 0]] - nodes_xy[pairs[:, 1]]).T)
    noise = gap <= min(_NOISE_M, snap_m)
    base = np.arange(n, dtype=np.int64)
    if noise.any():
        adj = sparse.csr_matrix((np.ones(int(noise.sum())), (pairs[noise, 0], pairs[noise, 1])), shape=(n, n))
        base = csgraph.connected_components(adj, directed=True, connection="weak")[1].astype(np.int64)
    near = pairs[~noise]
    if near.size:
        bp, bq = base[near[:, 0]], base[near[:, 1]]
        lo, hi = np.minimum(bp, bq), np.maximum(bp, bq)
        linked = _linked_node_pairs(base[node_of_vertex], vertex_line, coords, n_nodes=n, limit_m=_LINKED_FACTOR * snap_m)
        near = near[(lo != hi) & ~np.isin(lo * n + hi, linked)]
    if near.size and part_layer.size and part_layer.min() != part_layer.max():
        near = near[_share_a_layer(near, _node_layer_keys(node_of_vertex, part_layer[vertex_line]))]
    pairs = np.concatenate([pairs[noise], near])
    if pairs.size == 0:
        return np.arange(n, dtype=np.int64), nodes_xy, 0
    adj = sparse.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_cl, label = csgraph.connected_components(adj, directed=True, connection="weak")
    label = label.astype(np.int64)
    size = np.bincount(label, minlength=n_cl)
    cx = np.bincount(label, weights=nodes_xy[:, 0], minlength=n_cl) / size
    cy = np.bincount(label, weights=nodes_xy[:, 1], minlength=n_cl) / size
    # chain guard
    multi = np.flatnonzero(size[label] > 1)
    r = np.hypot(nodes_xy[multi, 0] - cx[label[multi]], nodes_xy[multi, 1] - cy[label[multi]])
    spread = np.zeros(n_cl)
    np.maximum.at(spread, label[multi], r)
    wide = np.flatnonzero(spread > snap_m)
    if wide.size == 0:
        return label, np.column_stack([cx, cy]), 0
    extra_xy: list[NDArray[np.float64]] = []
    next_label = n_cl
    members_all = multi[np.isin(label[multi], wide)]
    members_all = members_all[np.argsort(label[members_all], kind="stable")]
    for members in np.split(members_all, np.flatnonzero(np.diff(label[members_all])) + 1):
        pts = nodes_xy[members]
        sub = cKDTree(pts)
        free = np.ones(members.size, dtype=bool)
        for i in range(members.size):  # members are in coordinate order (np.unique)
            if not free[i]:
                continue
            near = np.asarray(sub.query_ball_point(pts[i], snap_m), dtype=np.int64)
            near = near[free[near]]
            free[near] = False
            label[members[near]] = next_label
            extra_xy.append(pts[i])
            next_label += 1
    xy = np.vstack([np.column_stack([cx, cy]), np.asarray(extra_xy)])
    keep = np.zeros(next_label, dtype=bool)
    keep[label] = True
    compact = np.cumsum(keep) - 1
    return compact[label], xy[keep], int(wide.size)


def _node_layer_keys(node_of_vertex: NDArray[np.int64], vertex_layer: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
    """Sorted keys ``node * n_layers + layer`` of the layers each node lies on, and ``n_layers``."""
    n_layers = int(vertex_layer.max()) + 1
    return np.unique(node_of_vertex * n_layers + vertex_layer), n_layers


def _share_a_layer(pairs: NDArray[np.int64], keys: tuple[NDArray[np.int64], int]) -> NDArray[np.bool_]:
    """For node pairs ``(p, q)``: does some layer of ``p`` hold ``q`` too?"""
    sorted_keys, n_layers = keys
    p, q = pairs[:, 0], pairs[:, 1]
    lo = np.searchsorted(sorted_keys, p * n_layers, side="left")
    count = np.searchsorted(sorted_keys, (p + 1) * n_layers, side="left") - lo
    row = np.repeat(np.arange(p.size), count)
    layer = sorted_keys[np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))] % n_layers
    hit = np.isin(q[row] * n_layers + layer, sorted_keys)
    return np.bincount(row[hit], minlength=p.size) > 0


def _linked_node_pairs(
    node_of_vertex: NDArray[np.int64],
    vertex_line: NDArray[np.int64],
    coords: NDArray[np.float64],
    *,
    n_nodes: int,
    limit_m: float,
) -> NDArray[np.int64]:
    """Keys ``lo * n_nodes + hi`` of node pairs whose vertices follow each other along one line part
    within ``limit_m`` metres of that line."""
    nv = node_of_vertex.size
    if nv < 2:
        return np.zeros(0, dtype=np.int64)
    step = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    new_part = vertex_line[1:] != vertex_line[:-1]
    along = np.concatenate([[0.0], np.cumsum(np.where(new_part, 0.0, step))])  # along-line position + offset
    keys: list[NDArray[np.int64]] = []
    active = np.arange(nv - 1, dtype=np.int64)
    k = 1
    while active.size:
        j = active + k
        ok = j < nv
        active, j = active[ok], j[ok]
        ok = (vertex_line[j] == vertex_line[active]) & (along[j] - along[active] <= limit_m)
        active, j = active[ok], j[ok]
        p, q = node_of_vertex[active], node_of_vertex[j]
        keys.append(np.minimum(p, q) * n_nodes + np.maximum(p, q))
        k += 1
    return np.concatenate(keys)


def _close_undershoots(
    xy: NDArray[np.float64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    part: NDArray[np.int64],
    *,
    length_m: NDArray[np.float64],
    part_layer: NDArray[np.int64],
    exact_tree: cKDTree,
    cluster: NDArray[np.int64],
    snap_m: float,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], int]:
    """Join dangling line ends (degree-1 nodes) to an edge within ``snap_m`` that is not incident to them.

    Each end takes its nearest such edge, unless the network already links the end to that point within
    ``_LINKED_FACTOR * snap_m`` (a hooked line end, an end next to a junction); then the next nearest.
    The edge is split at the point nearest to the end (its parts' lengths sum to the old length; a
    point within 1 mm of a node is that node) and the end node is merged into the split point: the end's
    own edge then reaches the other road, its straight length including the gap (which is walkable).
    Lines that merely cross are never joined: only ends are; an end is joined only to an edge of its own
    layer (``part_layer``). ``exact_tree`` is the KD-tree of the exact nodes and ``cluster`` maps them to
    the nodes of ``xy`` (each moved by at most ``snap_m``).

    Returns the node coordinates (split nodes appended), the edges (to deduplicate, lengths to
    recompute) and the number of ends joined.
    """
    n = xy.shape[0]
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    ends = np.flatnonzero(degree == 1)
    if ends.size == 0:
        return xy, u, v, part, 0
    e, k = _end_edge_candidates(xy, u, v, length_m, ends, exact_tree=exact_tree, cluster=cluster, snap_m=snap_m)
    if part_layer.size and part_layer.min() != part_layer.max():
        edge_layer = part_layer[part]
        end_layer = np.zeros(n, dtype=np.int64)
        end_layer[u] = edge_layer  # a line end has one edge: its layer
        end_layer[v] = edge_layer
        same = edge_layer[k] == end_layer[e]
        e, k = e[same], k[same]
    if e.size == 0:
        return xy, u, v, part, 0
    ax, ay = xy[u[k], 0], xy[u[k], 1]
    dx, dy = xy[v[k], 0] - ax, xy[v[k], 1] - ay
    seg_len = length_m[k]
    t = np.clip(((xy[e, 0] - ax) * dx + (xy[e, 1] - ay) * dy) / np.maximum(seg_len * seg_len, 1e-18), 0.0, 1.0)
    qx, qy = ax + t * dx, ay + t * dy
    gap = np.hypot(qx - xy[e, 0], qy - xy[e, 1])
    ok = gap <= snap_m
    order = np.flatnonzero(ok)[np.lexsort((k[ok], gap[ok], e[ok]))]
    e, k, t, qx, qy, seg_len = e[order], k[order], t[order], qx[order], qy[order], seg_len[order]
    if e.size == 0:
        return xy, u, v, part, 0

    # the network may already link the end to that point closely: only then does a (tiny) Dijkstra run
    limit_m = _LINKED_FACTOR * snap_m
    offset = t * seg_len
    from_u = np.hypot(xy[u[k], 0] - xy[e, 0], xy[u[k], 1] - xy[e, 1]) + offset
    from_v = np.hypot(xy[v[k], 0] - xy[e, 0], xy[v[k], 1] - xy[e, 1]) + seg_len - offset
    maybe_linked = np.minimum(from_u, from_v) <= limit_m
    usable = ~maybe_linked
    if maybe_linked.any():
        local = np.zeros(n, dtype=bool)
        local[u[k[maybe_linked]]] = True  # edges near those ends: a path within limit_m stays near them
        local[v[k[maybe_linked]]] = True
        local[e[maybe_linked]] = True
        near_ends = _nodes_near(xy, e[maybe_linked], exact_tree=exact_tree, cluster=cluster, radius_m=limit_m + snap_m)
        local[near_ends] = True
        sub = np.flatnonzero(local[u] | local[v])
        graph = sparse.csr_matrix(
            (np.concatenate([length_m[sub], length_m[sub]]), (np.concatenate([u[sub], v[sub]]), np.concatenate([v[sub], u[sub]]))),
            shape=(n, n),
        )
        near: dict[int, dict[int, float]] = {}
        for i in np.flatnonzero(maybe_linked).tolist():
            end = int(e[i])
            if end not in near:
                near[end] = _nodes_within(graph, end, limit_m=limit_m)
            dist = near[end]
            via = min(dist.get(int(u[k[i]]), math.inf) + offset[i], dist.get(int(v[k[i]]), math.inf) + seg_len[i] - offset[i])
            usable[i] = via > limit_m
    _, first = np.unique(e[usable], return_index=True)
    c = np.flatnonzero(usable)[first]
    if c.size == 0:
        return xy, u, v, part, 0
    e, k, qx, qy, seg_len, offset = e[c], k[c], qx[c], qy[c], seg_len[c], offset[c]

    # targets: an edge's node when the point is within 1 mm of it, else a new split node
    target = np.where(offset <= _SPLIT_EPS_M, u[k], np.where(seg_len - offset <= _SPLIT_EPS_M, v[k], -1))
    split = np.flatnonzero(target < 0)
    new_xy = np.zeros((0, 2))
    new_u = new_v = new_part = np.zeros(0, dtype=np.int64)
    split_edges = np.zeros(0, dtype=np.int64)
    if split.size:
        # split points on the same edge within 1 mm of each other are one node
        mm = np.round(offset[split] / _SPLIT_EPS_M).astype(np.int64)
        _, group = np.unique(k[split] * (int(mm.max()) + 1) + mm, return_inverse=True)
        group = group.ravel()
        n_new = int(group.max()) + 1
        first_of = np.full(n_new, -1, dtype=np.int64)
        first_of[group[::-1]] = split[::-1]
        new_xy = np.column_stack([qx[first_of], qy[first_of]])
        target[split] = n + group
        # each split edge becomes a chain: u -> its split nodes in order along it -> v
        split_edges = np.unique(k[first_of])
        chain_edge = np.concatenate([split_edges, k[first_of], split_edges])
        chain_pos = np.concatenate([np.full(split_edges.size, -1.0), offset[first_of], np.full(split_edges.size, np.inf)])
        chain_node = np.concatenate([u[split_edges], n + np.arange(n_new), v[split_edges]])
        o = np.lexsort((chain_pos, chain_edge))
        chain_edge, chain_node = chain_edge[o], chain_node[o]
        same = chain_edge[1:] == chain_edge[:-1]
        new_u, new_v = chain_node[:-1][same], chain_node[1:][same]
        new_part = part[chain_edge[:-1][same]]
    keep_edges = np.ones(u.size, dtype=bool)
    keep_edges[split_edges] = False
    u = np.concatenate([u[keep_edges], new_u])
    v = np.concatenate([v[keep_edges], new_v])
    part = np.concatenate([part[keep_edges], new_part])
    xy = np.vstack([xy, new_xy])
    # merge each end into its target (a target node may itself be an end merged elsewhere: follow it)
    relabel = np.arange(xy.shape[0], dtype=np.int64)
    relabel[e] = target
    for _ in range(e.size):
        nxt = relabel[relabel]
        if np.array_equal(nxt, relabel):
            break
        relabel = nxt
    return xy, relabel[u], relabel[v], part, int(e.size)


def _nodes_near(
    xy: NDArray[np.float64], points: NDArray[np.int64], *, exact_tree: cKDTree, cluster: NDArray[np.int64], radius_m: float
) -> NDArray[np.int64]:
    """Nodes of ``xy`` with an exact vertex within ``radius_m`` of the nodes ``points`` (with repeats)."""
    balls = exact_tree.query_ball_point(xy[points], radius_m, return_sorted=False)
    return cluster[np.fromiter(itertools.chain.from_iterable(balls), dtype=np.int64)]


def _end_edge_candidates(
    xy: NDArray[np.float64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    length_m: NDArray[np.float64],
    ends: NDArray[np.int64],
    *,
    exact_tree: cKDTree,
    cluster: NDArray[np.int64],
    snap_m: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(end node, edge) pairs, unique, covering every edge within ``snap_m`` of an end and not incident
    to it (a superset: distances are checked by the caller).

    An edge within ``snap_m`` of an end has a node within ``snap_m + length/2`` of it, so edges up to
    the 95th percentile of lengths (at most ``_LONG_EDGE_M``) are found from the exact nodes' KD-tree
    around the ends (the tree holds the vertices before snapping, each at most ``snap_m`` from its
    node); the longer ones through a shapely STRtree of just those. No geometry is built for the others.
    """
    n_edges = u.size
    long_cut = min(max(float(np.quantile(length_m, 0.95)), 2.0 * snap_m), max(_LONG_EDGE_M, 2.0 * snap_m))
    is_long = length_m > long_cut
    balls = exact_tree.query_ball_point(xy[ends], snap_m + long_cut / 2.0 + snap_m, return_sorted=False)
    counts = np.fromiter((len(b) for b in balls), dtype=np.int64, count=ends.size)
    found_e: list[NDArray[np.int64]] = []
    found_k: list[NDArray[np.int64]] = []
    if counts.sum():
        node = cluster[np.fromiter(itertools.chain.from_iterable(balls), dtype=np.int64, count=int(counts.sum()))]
        which = np.repeat(np.arange(ends.size, dtype=np.int64), counts)
        pair = np.unique(node * ends.size + which)  # sorted by node
        node, which = pair // ends.size, pair % ends.size
        flag = np.zeros(xy.shape[0], dtype=bool)
        flag[node] = True
        short = np.flatnonzero(~is_long & (flag[u] | flag[v]))
        for side in (u, v):
            w = side[short]
            lo = np.searchsorted(node, w, side="left")
            cnt = np.searchsorted(node, w, side="right") - lo
            total = int(cnt.sum())
            start = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
            found_e.append(ends[which[start + np.arange(total)]])
            found_k.append(np.repeat(short, cnt))
    long_edges = np.flatnonzero(is_long)
    if long_edges.size:
        segs = shapely.linestrings(np.stack([xy[u[long_edges]], xy[v[long_edges]]], axis=1))
        pe, pk = shapely.STRtree(segs).query(shapely.points(xy[ends]), predicate="dwithin", distance=snap_m)
        found_e.append(ends[pe])
        found_k.append(long_edges[pk])
    if not found_e:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    e = np.concatenate(found_e)
    k = np.concatenate(found_k)
    not_incident = (u[k] != e) & (v[k] != e)
    pair = np.unique(e[not_incident] * n_edges + k[not_incident])
    return pair // n_edges, pair % n_edges


def _nodes_within(graph: sparse.csr_matrix, source: int, *, limit_m: float) -> dict[int, float]:
    """Network distances (metres) from ``source`` to the nodes within ``limit_m`` (a tiny Dijkstra)."""
    indptr, indices, data = graph.indptr, graph.indices, graph.data
    dist: dict[int, float] = {source: 0.0}
    heap = [(0.0, source)]
    done: set[int] = set()
    while heap:
        d, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        for j in range(int(indptr[node]), int(indptr[node + 1])):
            nd = d + float(data[j])
            other = int(indices[j])
            if nd <= limit_m and nd < dist.get(other, math.inf):
                dist[other] = nd
                heapq.heappush(heap, (nd, other))
    return dist


def _column(gdf: gpd.GeoDataFrame, col: str) -> NDArray[np.object_]:
    if col not in gdf.columns:
        return np.full(len(gdf), None, dtype=object)
    values = gdf[col].to_numpy(dtype=object)
    return np.where(pd.isna(values), None, values).astype(object)


@dataclass(frozen=True)
class Snap:
    """Locations on the network: ``edge`` index, ``offset_m`` from the edge's ``u`` node and the straight
    access leg ``access_m`` from the original point to the network (counted as walking)."""

    edge: NDArray[np.int64]
    offset_m: NDArray[np.float64]
    access_m: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    def take(self, idx: NDArray[np.int64] | list[int]) -> "Snap":
        return Snap(self.edge[idx], self.offset_m[idx], self.access_m[idx])


def snap_points(net: WalkNetwork, *, x: NDArray[np.float64], y: NDArray[np.float64]) -> Snap:
    """Snap points (metric CRS of ``net``) to the nearest point on the nearest edge."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0:
        return Snap(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    if net.n_edges == 0:
        raise InputError("the road network has no walkable edges")
    edge, access = nearest_edges(net, x=x, y=y)
    ax, ay = net.x[net.u[edge]], net.y[net.u[edge]]
    dx, dy = net.x[net.v[edge]] - ax, net.y[net.v[edge]] - ay
    L = net.length_m[edge]
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / np.maximum(L * L, 1e-12), 0.0, 1.0)
    return Snap(edge=edge, offset_m=t * L, access_m=np.asarray(access, dtype=float))


def nearest_edges(net: WalkNetwork, *, x: NDArray[np.float64], y: NDArray[np.float64]
                  ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The nearest edge of every point and the distance to it (metric CRS of ``net``); ties go to the lower
    edge index (:class:`layers.segments.SegmentIndex`, kept on the network)."""
    return segment_index(net).nearest(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def segment_index(net: WalkNetwork) -> SegmentIndex:
    """The network's edges as a :class:`layers.segments.SegmentIndex` (built once, kept on the network)."""
    key = "segment_index"
    if key not in net._cache:
        net._cache[key] = SegmentIndex(net.x[net.u], net.y[net.u], net.x[net.v], net.y[net.v])
    return net._cache[key]


def make_search_structures(net: WalkNetwork, *, edge_index: bool = True) -> None:
    """Make the lazily built structures the analysis searches with — node tree, adjacency matrix, components
    and (with ``edge_index``) the edge index — before threads that share them start (each is made once)."""
    net.kdtree, net.csr, net.component
    if edge_index:
        segment_index(net)


def snap_frame(net: WalkNetwork, gdf: gpd.GeoDataFrame, *, what: str) -> Snap:
    """Snap a point layer (any CRS; must be set) to ``net``."""
    require_crs(gdf, what=what)
    pts = reproject_series(gdf.geometry, net.crs)
    return snap_points(net, x=pts.x.to_numpy(), y=pts.y.to_numpy())


def islands(net: WalkNetwork) -> pd.DataFrame:
    """One row per connected component except the largest: ``component``, ``nodes``, ``length_m`` and
    the WGS 84 ``lon``/``lat`` of its first node — the fragments a planner should look at."""
    comp = net.component
    if comp.size == 0:
        return pd.DataFrame(columns=["component", "nodes", "length_m", "lon", "lat"])
    n_comp = int(comp.max()) + 1
    nodes = np.bincount(comp, minlength=n_comp)
    length = np.bincount(comp[net.u], weights=net.length_m, minlength=n_comp)
    first = np.full(n_comp, -1)
    first[comp[::-1]] = np.arange(comp.size)[::-1]
    lon, lat = transformer(net.crs, WGS84).transform(net.x[first], net.y[first])
    frame = pd.DataFrame({"component": np.arange(n_comp), "nodes": nodes, "length_m": length, "lon": lon, "lat": lat})
    return frame.iloc[1:].reset_index(drop=True)
