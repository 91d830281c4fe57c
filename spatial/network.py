"""The walking network: a graph of straight street segments in a metric CRS.

Lines are noded at their endpoints and at shared vertices (identical coordinates); every vertex becomes a
node and every segment between consecutive vertices an undirected edge, so edges are straight and a point
on an edge is given by an offset in metres from its first node. Lines that merely cross (bridges,
underpasses) are not connected.

The graph model is a :class:`networkx.Graph` (``WalkNetwork.graph``); bulk shortest paths run on the same
graph held as a symmetric CSR matrix (``WalkNetwork.csr``) with :mod:`scipy.sparse.csgraph`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from layers.crs import WGS84, metric_crs_for_frame, require_crs
from layers.errors import InputError

#: highway values never walked (also matched in the bureau's own Chinese road classes)
NOT_WALKABLE = frozenset({"motorway", "motorway_link", "高速公路", "高速", "快速路"})

#: coordinates are merged into one node when they agree to this many decimals of a metre
_NODE_DECIMALS = 3


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
) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from road lines (any CRS; it must be set).

    ``metric_crs`` defaults to the lines' own CRS when it is projected in metres (e.g. a CGCS2000
    Gauss-Krüger zone), else the UTM zone of the data's centre. Lines whose ``highway`` is in
    ``exclude_highway`` (motorways) are dropped. Duplicate segments keep the shortest.
    """
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
    geoms = geoms[~(shapely.is_empty(geoms) | shapely.is_missing(geoms))]
    kinds = shapely.get_type_id(geoms)
    if not np.all(np.isin(kinds, (1, 5))):
        raise InputError("the road layer must contain lines (LineString/MultiLineString) only")
    parts, part_index = shapely.get_parts(geoms, return_index=True)
    coords, vertex_line = shapely.get_coordinates(parts, return_index=True)
    line_of_part = part_index
    highway = _column(gdf, "highway")[np.asarray(line_of_part)]
    name = _column(gdf, "name")[np.asarray(line_of_part)]

    rounded = np.round(coords, _NODE_DECIMALS)
    uniq, node_of_vertex = np.unique(rounded, axis=0, return_inverse=True)
    node_of_vertex = node_of_vertex.ravel()
    same_line = vertex_line[1:] == vertex_line[:-1]
    a = node_of_vertex[:-1][same_line]
    b = node_of_vertex[1:][same_line]
    seg_part = vertex_line[:-1][same_line]
    keep = a != b
    a, b, seg_part = a[keep], b[keep], seg_part[keep]
    uu = np.minimum(a, b)
    vv = np.maximum(a, b)
    length = np.hypot(uniq[vv, 0] - uniq[uu, 0], uniq[vv, 1] - uniq[uu, 1])
    frame = pd.DataFrame({"u": uu, "v": vv, "length_m": length, "part": seg_part})
    frame = frame.sort_values(["u", "v", "length_m"], kind="stable").drop_duplicates(["u", "v"], keep="first")
    # drop nodes no edge uses (isolated single-vertex parts)
    used = np.unique(np.concatenate([frame["u"].to_numpy(), frame["v"].to_numpy()]))
    remap = np.full(uniq.shape[0], -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    part = frame["part"].to_numpy()
    return WalkNetwork(
        crs=crs,
        x=uniq[used, 0].astype(float),
        y=uniq[used, 1].astype(float),
        u=remap[frame["u"].to_numpy()],
        v=remap[frame["v"].to_numpy()],
        length_m=frame["length_m"].to_numpy(dtype=float),
        highway=highway[part],
        name=name[part],
    )


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
    pts = shapely.points(x, y)
    idx, dist = net.edge_tree.query_nearest(pts, return_distance=True, all_matches=False)
    edge = np.full(x.size, -1, dtype=np.int64)
    access = np.full(x.size, np.inf)
    # query_nearest returns (input_index, tree_index) pairs, one per point with all_matches=False
    edge[idx[0]] = idx[1]
    access[idx[0]] = dist
    ax, ay = net.x[net.u[edge]], net.y[net.u[edge]]
    dx, dy = net.x[net.v[edge]] - ax, net.y[net.v[edge]] - ay
    L = net.length_m[edge]
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / np.maximum(L * L, 1e-12), 0.0, 1.0)
    return Snap(edge=edge, offset_m=t * L, access_m=np.asarray(access, dtype=float))


def snap_frame(net: WalkNetwork, gdf: gpd.GeoDataFrame, *, what: str) -> Snap:
    """Snap a point layer (any CRS; must be set) to ``net``."""
    require_crs(gdf, what=what)
    pts = gdf.geometry.to_crs(net.crs)
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
    lon, lat = pyproj.Transformer.from_crs(net.crs, WGS84, always_xy=True).transform(net.x[first], net.y[first])
    frame = pd.DataFrame({"component": np.arange(n_comp), "nodes": nodes, "length_m": length, "lon": lon, "lat": lat})
    return frame.iloc[1:].reset_index(drop=True)
