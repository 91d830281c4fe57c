"""Where the elderly live on the network (demand) and how many of them a set of circles covers.

Two forms of demand, both tied to townships:

* township counts spread along the township's streets in proportion to street length (the default when
  no population points are given): each edge carries a weight, spread evenly along it, and the part of an
  edge within the walking limit covers that share of its weight (partial edges interpolated);
* population points (villages/communities with counts, or raster cells): each point is snapped to the
  nearest street position; its straight access leg counts as walking.

Nodes not reached (other components, too far) have infinite distance and are never covered.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

from layers.crs import reproject_series, require_crs
from layers.errors import InputError

from .isochrones import DistanceField
from .network import Snap, WalkNetwork, snap_frame


#: population points outside every township beyond this share of the elderly mean the layers do not match
MAX_OUTSIDE_SHARE = 0.10


@dataclass(frozen=True)
class Demand:
    """Elderly people located on ``net``; township indices refer to the township frame's row order
    (``-1`` = outside every township)."""

    edge_weight: NDArray[np.float64]
    edge_township: NDArray[np.int64]
    points: Snap
    point_weight: NDArray[np.float64]
    point_township: NDArray[np.int64]
    township_total: NDArray[np.float64]
    #: population points outside every township (not counted anywhere) and the elderly they hold
    outside_points: int = 0
    outside_elderly: float = 0.0

    @property
    def n_townships(self) -> int:
        return int(self.township_total.shape[0])


class PolygonLocator:
    """Finds the polygon containing points (first match by row order; ``-1`` when none does).

    Each polygon is prepared once (a private copy: the caller's geometries may be shared with other
    threads) and tested only against the points inside its box (points sorted by x once per call), with
    ``intersects_xy`` (no point geometries are made): about ten times faster than a tree query."""

    def __init__(self, polygons: NDArray[np.object_]) -> None:
        geoms = np.asarray(polygons, dtype=object)
        self._n = len(geoms)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if self._n else np.zeros(0, bool)
        self._ids = np.nonzero(ok)[0]
        self._polys = shapely.from_wkb(shapely.to_wkb(geoms[self._ids])) if self._ids.size else np.zeros(0, object)
        if self._ids.size:
            shapely.prepare(self._polys)
        self._bounds = shapely.bounds(self._polys) if self._ids.size else np.zeros((0, 4))

    def locate(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int64]:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        out = np.full(x.shape[0], -1, dtype=np.int64)
        if out.size == 0 or self._ids.size == 0:
            return out
        order = np.argsort(x, kind="stable")
        xs = x[order]
        # the last polygon first, so the first polygon (by row) that holds a point has the last word
        for k in range(self._ids.size - 1, -1, -1):
            minx, miny, maxx, maxy = self._bounds[k]
            lo, hi = np.searchsorted(xs, minx, side="left"), np.searchsorted(xs, maxx, side="right")
            if hi <= lo:
                continue
            cand = order[lo:hi]
            cand = cand[(y[cand] >= miny) & (y[cand] <= maxy)]
            if cand.size:
                out[cand[shapely.intersects_xy(self._polys[k], x[cand], y[cand])]] = self._ids[k]
        return out


def locate_in_polygons(x: NDArray[np.float64], y: NDArray[np.float64], polygons: NDArray[np.object_]) -> NDArray[np.int64]:
    """Index of the polygon containing each point (first match), ``-1`` when none does."""
    return PolygonLocator(polygons).locate(x, y)


def build_demand(
    net: WalkNetwork,
    townships: gpd.GeoDataFrame,
    *,
    population: gpd.GeoDataFrame | None = None,
) -> Demand:
    """Place the elderly on the network.

    ``townships`` needs ``name`` and, when no ``population`` points are given, ``elderly``.
    ``population`` points need ``elderly``; a township's total is then the sum of the points inside it.
    """
    require_crs(townships, what="township layer")
    polys = reproject_series(townships.geometry, net.crs).to_numpy()
    mid_x = (net.x[net.u] + net.x[net.v]) / 2.0
    mid_y = (net.y[net.u] + net.y[net.v]) / 2.0
    edge_town = locate_in_polygons(mid_x, mid_y, polys)
    n_town = len(townships)
    if population is not None and len(population) > 0:
        require_crs(population, what="population layer")
        pts = reproject_series(population.geometry, net.crs)
        weight = population["elderly"].to_numpy(dtype=float)
        p_town = locate_in_polygons(pts.x.to_numpy(), pts.y.to_numpy(), polys)
        inside = p_town >= 0
        out_weight = float(weight[~inside].sum())
        all_weight = float(weight.sum())
        if all_weight > 0 and out_weight > MAX_OUTSIDE_SHARE * all_weight:
            raise InputError(
                f"{out_weight / all_weight:.0%} of the elderly in the population layer ({out_weight:,.0f} of {all_weight:,.0f}, "
                f"{int((~inside).sum()):,} points) lie outside every township: the population and township layers do not "
                f"match (another area, or a wrong coordinate system)")
        snap = snap_frame(net, population.loc[inside], what="population layer")
        total = np.bincount(p_town[inside], weights=weight[inside], minlength=n_town)
        return Demand(np.zeros(net.n_edges), edge_town, snap, weight[inside], p_town[inside], total,
                      outside_points=int((~inside).sum()), outside_elderly=out_weight)
    if "elderly" not in townships.columns or townships["elderly"].isna().all():
        raise InputError("no elderly population: give township counts (an elderly/老年人口 column or table) or a population layer")
    missing = townships["elderly"].isna().to_numpy()
    if missing.any():
        names = [str(n) for n in townships["name"].to_numpy()[missing]] if "name" in townships.columns else []
        shown = "、".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        raise InputError(
            f"{int(missing.sum())} of {len(townships)} townships have no elderly count ({shown}); missing is not zero: "
            f"fill them in the township layer or the elderly table (0 where nobody lives), or give a population layer")
    elderly = townships["elderly"].to_numpy(dtype=float)
    in_town = edge_town >= 0
    if not in_town.any():
        raise InputError("no walkable road lies inside any township: the road and township layers do not match "
                         "(another area, or a wrong coordinate system)")
    town_len = np.bincount(edge_town[in_town], weights=net.length_m[in_town], minlength=n_town)
    w = np.zeros(net.n_edges)
    share = np.divide(elderly, town_len, out=np.zeros(n_town), where=town_len > 0)
    w[in_town] = share[edge_town[in_town]] * net.length_m[in_town]
    empty = Snap(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    return Demand(w, edge_town, empty, np.zeros(0), np.zeros(0, np.int64), elderly)


def covered_by_township(net: WalkNetwork, demand: Demand, field: DistanceField, *, limit_m: float) -> NDArray[np.float64]:
    """Elderly within ``limit_m`` of walking of the field's sources, per township."""
    out = np.zeros(demand.n_townships)
    if demand.edge_weight.any():
        frac = field.covered_length_m(net, limit_m=limit_m) / net.length_m
        m = demand.edge_township >= 0
        out += np.bincount(demand.edge_township[m], weights=(demand.edge_weight * frac)[m], minlength=demand.n_townships)
    if len(demand.points):
        ok = points_covered(net, field, demand.points, limit_m=limit_m)
        out += np.bincount(demand.point_township, weights=demand.point_weight * ok, minlength=demand.n_townships)
    return out


def points_covered(net: WalkNetwork, field: DistanceField, snaps: Snap, *, limit_m: float) -> NDArray[np.bool_]:
    """Whether each snapped point is within ``limit_m`` of walking (its own access leg included)."""
    if len(snaps) == 0:
        return np.zeros(0, dtype=bool)
    d = snaps.access_m + field.at(net, edge=snaps.edge, offset_m=snaps.offset_m)
    return d <= limit_m


@dataclass(frozen=True)
class Chains:
    """The network with its chains merged: every run of edges through nodes that join exactly two edges
    becomes one edge between two junctions (nodes of any other degree; a closed loop gets one of its nodes
    as junction). Searching the junctions alone is exact and several times faster (the sample: 11,526
    junctions of 90,039 nodes). A point on edge ``e`` at ``offset_m`` lies on chain ``edge_chain[e]`` at
    ``edge_pos[e] + edge_dir[e] * offset_m`` metres from the chain's start junction ``chain_a``."""

    n_junctions: int
    #: junction graph (symmetric; weights: the shortest chain between two junctions, metres)
    csr: sparse.csr_matrix
    chain_a: NDArray[np.int64]
    chain_b: NDArray[np.int64]
    chain_len: NDArray[np.float64]
    edge_chain: NDArray[np.int64]
    #: chain position of each edge's ``u`` node, and +1 / -1 when ``u -> v`` runs along / against the chain
    edge_pos: NDArray[np.float64]
    edge_dir: NDArray[np.float64]

    def position(self, edge: NDArray[np.int64], offset_m: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Chain and position along it (metres from its start) of points on edges."""
        edge = np.asarray(edge, dtype=np.int64)
        return self.edge_chain[edge], self.edge_pos[edge] + self.edge_dir[edge] * np.asarray(offset_m, dtype=float)


def chains_of(net: WalkNetwork) -> Chains:
    """Merge the network's chains (see :class:`Chains`); one pass over the edges (about 0.1 s for a county)."""
    u, v, length = net.u.tolist(), net.v.tolist(), net.length_m.tolist()
    n, m = net.n_nodes, net.n_edges
    ends = np.concatenate([net.u, net.v])
    order = np.argsort(ends, kind="stable")
    start = np.searchsorted(ends[order], np.arange(n + 1)).tolist()
    inc = (order % max(m, 1)).tolist()  # incident edges of node k: inc[start[k]:start[k + 1]]
    degree = np.diff(np.asarray(start))
    junction = (degree != 2).tolist()
    edge_chain = [-1] * m
    edge_pos = [0.0] * m
    edge_dir = [1.0] * m
    chain_a: list[int] = []
    chain_b: list[int] = []
    chain_len: list[float] = []

    def walk(j: int, e: int) -> None:
        c = len(chain_a)
        cur, pos = j, 0.0
        while True:
            edge_chain[e] = c
            if u[e] == cur:
                edge_pos[e], edge_dir[e], cur = pos, 1.0, v[e]
            else:
                edge_pos[e], edge_dir[e], cur = pos + length[e], -1.0, u[e]
            pos += length[e]
            if junction[cur]:
                break
            a, b = inc[start[cur]], inc[start[cur] + 1]
            nxt = b if a == e else a
            if edge_chain[nxt] >= 0:  # a loop of one edge on a two-edge node: back where it started
                break
            e = nxt
        chain_a.append(j)
        chain_b.append(cur)
        chain_len.append(pos)

    for k in np.nonzero(degree != 2)[0].tolist():
        for e in inc[start[k]:start[k + 1]]:
            if edge_chain[e] < 0:
                walk(k, e)
    for e in range(m):  # closed loops with no junction: one of their nodes becomes one
        if edge_chain[e] < 0:
            junction[u[e]] = True
            walk(u[e], e)
    node_junction = np.full(n, -1, np.int64)
    is_j = np.asarray(junction, dtype=bool)
    node_junction[is_j] = np.arange(int(is_j.sum()))
    a = node_junction[np.asarray(chain_a, np.int64)] if chain_a else np.zeros(0, np.int64)
    b = node_junction[np.asarray(chain_b, np.int64)] if chain_b else np.zeros(0, np.int64)
    lens = np.asarray(chain_len, float)
    nj = int(is_j.sum())
    keep = a != b  # a chain from a junction back to itself never shortens a path between junctions
    rows, cols, w = np.concatenate([a[keep], b[keep]]), np.concatenate([b[keep], a[keep]]), np.concatenate([lens[keep]] * 2)
    first = np.lexsort((w, cols, rows))  # parallel chains: the shortest (a sparse matrix would add them up)
    rows, cols, w = rows[first], cols[first], w[first]
    uniq = np.ones(rows.size, bool)
    uniq[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    graph = sparse.csr_matrix((np.maximum(w[uniq], 1e-9), (rows[uniq], cols[uniq])), shape=(nj, nj))
    return Chains(nj, graph, a, b, lens, np.asarray(edge_chain, np.int64), np.asarray(edge_pos, float),
                  np.asarray(edge_dir, float))


@dataclass(frozen=True)
class NearestSources:
    """Which of a set of sources is nearest on foot, and how far, from anywhere on the network: per junction
    of :class:`Chains` the walking distance (the source's own access leg included; ``inf`` where no source
    can be reached) and the index of that source in the order given (``-1`` where none). Not bounded by any
    walking limit: it tells how far the nearest facility is from a place outside every circle."""

    chains: Chains
    junction_m: NDArray[np.float64]
    junction_src: NDArray[np.int64]
    #: the sources' chains, positions along them and access legs (chain -1: not on the network)
    src_chain: NDArray[np.int64]
    src_pos_m: NDArray[np.float64]
    src_access_m: NDArray[np.float64]

    def at(self, net: WalkNetwork, snaps: Snap) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """``(walk_m, source)`` for snapped points: the walking distance to the nearest source, the points'
        own access legs included, and that source's index (``inf`` and ``-1`` when none is reachable)."""
        ch = self.chains
        edge = np.asarray(snaps.edge, dtype=np.int64)
        n = edge.size
        dist = np.full(n, np.inf)
        src = np.full(n, -1, np.int64)
        ok = np.nonzero(edge >= 0)[0]
        if ok.size:
            c, p = ch.position(edge[ok], np.asarray(snaps.offset_m, dtype=float)[ok])
            a, b = ch.chain_a[c], ch.chain_b[c]
            da = self.junction_m[a] + p
            db = self.junction_m[b] + (ch.chain_len[c] - p)
            via_b = db < da
            d = np.where(via_b, db, da)
            s = np.where(via_b, self.junction_src[b], self.junction_src[a])
            if self.src_chain.size:  # a source on the point's own chain: along it, through no junction
                order = np.argsort(self.src_chain, kind="stable")
                sc = self.src_chain[order]
                lo = np.searchsorted(sc, c, side="left")
                hi = np.searchsorted(sc, c, side="right")
                for i in np.nonzero(hi > lo)[0]:
                    k = order[lo[i]:hi[i]]
                    cand = np.abs(self.src_pos_m[k] - p[i]) + self.src_access_m[k]
                    j = int(np.argmin(cand))
                    if cand[j] < d[i]:
                        d[i], s[i] = float(cand[j]), int(k[j])
            s[~np.isfinite(d)] = -1
            dist[ok], src[ok] = d, s
        return dist + np.asarray(snaps.access_m, dtype=float), src


def nearest_sources(net: WalkNetwork, *, edge: NDArray[np.int64], offset_m: NDArray[np.float64],
                    access_m: NDArray[np.float64], chains: Chains | None = None) -> NearestSources:
    """The nearest of the sources from anywhere on the network (see :class:`NearestSources`): one
    multi-source search of the junction graph (each source a virtual node joined to its chain's two ends),
    about a millisecond for a county. ``chains``: :func:`chains_of` ``(net)``, made here when not given.
    Sources with ``edge < 0`` (not on the network) are never nearest."""
    ch = chains if chains is not None else chains_of(net)
    edge = np.asarray(edge, dtype=np.int64)
    offset_m = np.asarray(offset_m, dtype=float)
    access_m = np.asarray(access_m, dtype=float)
    nj = ch.n_junctions
    src_chain = np.full(edge.size, -1, np.int64)
    src_pos = np.zeros(edge.size)
    on = np.nonzero((edge >= 0) & np.isfinite(access_m))[0]
    if on.size:
        src_chain[on], src_pos[on] = ch.position(edge[on], offset_m[on])
    junction_m = np.full(nj, np.inf)
    junction_src = np.full(nj, -1, np.int64)
    if on.size and nj:
        c = src_chain[on]
        # explicit zero weights may be taken as "no edge": a source on a junction gets a tiny positive leg
        w = np.maximum(np.column_stack([access_m[on] + src_pos[on], access_m[on] + (ch.chain_len[c] - src_pos[on])]), 1e-9)
        ends = np.column_stack([ch.chain_a[c], ch.chain_b[c]])
        f = on.size
        base = ch.csr
        indptr = np.concatenate([base.indptr, base.indptr[-1] + 2 * np.arange(1, f + 1)])
        graph = sparse.csr_matrix((np.concatenate([base.data, w.ravel()]), np.concatenate([base.indices, ends.ravel()]),
                                   indptr), shape=(nj + f, nj + f))
        dist, _, sources = csgraph.dijkstra(graph, directed=True, indices=np.arange(nj, nj + f), min_only=True,
                                            return_predecessors=True)
        reached = sources[:nj] >= nj
        junction_m[reached] = dist[:nj][reached]
        junction_src[reached] = on[sources[:nj][reached] - nj]
    return NearestSources(ch, junction_m, junction_src, src_chain, src_pos, access_m.copy())
