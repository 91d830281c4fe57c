"""Siting: where the next facilities of a class should go (Qt-free).

Candidates are points near the walking network (a user's own list, or generated along the streets of populated
areas and thinned to a spacing). Each candidate's walking reach is computed exactly as the analysis computes a
facility's (:func:`spatial.isochrones.reach_from` with the analysis' search limit), and what it would cover is
tested exactly as the analysis covers demand (:func:`spatial.coverage.points_covered` for population points,
:meth:`spatial.isochrones.DistanceField.covered_length_m` for people spread along streets): a suggested scenario
analysed again covers what the suggestion promised.

Covering is a set union: a population point is covered when one facility is within the walk; a street's covered
length is the union of the intervals each facility reaches. Streets are cut at every interval end of every
candidate and existing facility into pieces that one facility covers whole or not at all, so both kinds of demand
become *elements* (elderly weight, which candidates cover them) of one sparse matrix
(:class:`CoverageMatrix`). Elements the existing facilities of the class already cover are left out: existing
facilities stay and are the starting point; facilities marked to close are not counted.

Objectives (:func:`best_k`, :func:`meet_targets`):

* *best k* (maximal covering): greedy with lazy evaluation (CELF; within 1 - 1/e of the optimum) and an exact
  MIP with HiGHS (``highspy``) when asked and small enough, reporting greedy / optimal;
  optionally at least one new site in every township that has none of the class;
* *meet the targets* (set covering): the fewest new sites that satisfy the profile's per-unit targets for the
  class (a facility in every township/street or community, every community within the walk, a share of
  villages); targets the candidates cannot meet are reported with the units and the reason.
"""
from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from .feedback import Feedback
from .isochrones import DistanceField, Reach, minutes_to_m, reach_from
from .network import Snap, WalkNetwork, snap_points

#: default spacing of generated candidates (metres) and their least distance from an existing facility of the class
DEFAULT_SPACING_M = 300.0
#: a suggestion never comes closer than this to an existing facility of the class (metres; the same site)
MIN_FROM_EXISTING_M = 100.0
#: with population points, the streets within this straight distance of a populated point are "populated"
POPULATED_RADIUS_M = 500.0
#: the exact MIP is tried up to this many candidates x elements (non-zeros of the coverage matrix)
EXACT_MAX_NONZEROS = 2_000_000
#: seconds HiGHS may take before the best solution found so far is reported (with its bound)
EXACT_TIME_LIMIT_S = 60.0
OBJECTIVES = ("best_k", "meet_targets")
#: the per-unit target indicators siting can meet by placing facilities
SITING_INDICATORS = ("present_in_every", "count_per_unit", "reachable_from_every", "share_of_units_with")


# ---------------------------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidates:
    """Candidate sites in the network's metric CRS: positions, where they meet the network (their access leg
    counts as walking, as a facility's does), the township each stands in (-1 outside every township), names and
    where they came from (``file`` or ``generated``)."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    snap: Snap
    township: NDArray[np.int64]
    names: tuple[str, ...]
    origin: str = "generated"

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def take(self, idx: NDArray[np.int64] | Sequence[int]) -> "Candidates":
        idx = np.asarray(idx, dtype=np.int64)
        return Candidates(self.x[idx], self.y[idx], self.snap.take(idx), self.township[idx],
                          tuple(self.names[i] for i in idx), self.origin)


def candidates_at(model, *, x: NDArray[np.float64], y: NDArray[np.float64], names: Sequence[str] | None = None,
                  origin: str = "file") -> Candidates:
    """Candidates at given points (metric CRS of ``model.net``), snapped like facilities."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    snap = snap_points(model.net, x=x, y=y)
    town = model.circles._towns.locate(x, y)
    nm = tuple(str(n) for n in names) if names is not None else tuple(f"候选点{i + 1}" for i in range(x.size))
    return Candidates(x, y, snap, np.asarray(town, np.int64), nm, origin)


def generate_candidates(model, *, spacing_m: float = DEFAULT_SPACING_M, township: int | None = None,
                        populated_radius_m: float = POPULATED_RADIUS_M, max_count: int | None = None) -> Candidates:
    """Points on the walking network in populated areas, thinned to ``spacing_m``.

    Populated streets: those carrying elderly (township counts spread along streets) or, with population points,
    those within ``populated_radius_m`` of a point with elderly, on the network's main component or the points'
    own fragments. Positions every ``spacing_m / 2`` along them are kept by a greedy thinning that prefers the
    places with the most elderly around them (within ``spacing_m``, or with population points within the larger of
    ``spacing_m`` and ``populated_radius_m``; no two kept closer than ``spacing_m``); ``township``
    (an index of the township layer) keeps only those inside it; ``max_count`` the first so many in that order."""
    if not (math.isfinite(spacing_m) and spacing_m > 0):
        raise ValueError("spacing_m must be a positive number of metres")
    net, dem = model.net, model.demand
    mid_x = (net.x[net.u] + net.x[net.v]) / 2.0
    mid_y = (net.y[net.u] + net.y[net.v]) / 2.0
    populated = dem.edge_weight > 0
    px = py = pw = np.zeros(0)
    if len(dem.points):
        has = dem.point_weight > 0
        px, py = net.edge_point(dem.points.edge[has], dem.points.offset_m[has])
        pw = dem.point_weight[has]
        if px.size:
            near = cKDTree(np.column_stack([px, py])).query(np.column_stack([mid_x, mid_y]),
                                                              distance_upper_bound=populated_radius_m)[0]
            populated |= np.isfinite(near)
    edges = np.nonzero(populated)[0]
    if township is not None:
        edges = edges[dem.edge_township[edges] == int(township)]
    if not edges.size:
        return candidates_at(model, x=np.zeros(0), y=np.zeros(0), names=(), origin="generated")
    L = net.length_m[edges]
    n = np.maximum(1, np.ceil(L / (spacing_m / 2.0)).astype(np.int64))
    j = np.repeat(np.arange(edges.size), n)
    k = np.arange(j.size) - np.repeat(np.cumsum(n) - n, n)
    off = (k + 0.5) * (L / n)[j]
    e = edges[j]
    x, y = net.edge_point(e, off)
    # elderly within spacing_m of each position: points, or the street demand of nearby edges' midpoints
    if px.size:
        wx, wy, ww = px, py, pw
    else:
        wx, wy, ww = mid_x[dem.edge_weight > 0], mid_y[dem.edge_weight > 0], dem.edge_weight[dem.edge_weight > 0]
    tree = cKDTree(np.column_stack([wx, wy]))
    radius = max(spacing_m, populated_radius_m) if px.size else spacing_m
    lists = tree.query_ball_point(np.column_stack([x, y]), r=radius)
    score = np.array([ww[idx].sum() if idx else 0.0 for idx in lists])
    order = np.lexsort((np.arange(x.size), -score))
    keep = _thin(x, y, order, spacing_m)
    keep = keep[score[keep] > 0] if (score[keep] > 0).any() else keep
    if max_count is not None:
        keep = keep[:max_count]
    snap = Snap(e[keep].astype(np.int64), off[keep].astype(float), np.zeros(keep.size))
    town = model.circles._towns.locate(x[keep], y[keep])
    if township is not None:
        inside = town == int(township)
        keep, snap, town = keep[inside], snap.take(np.nonzero(inside)[0]), town[inside]
    names = tuple(f"候选点{i + 1}" for i in range(keep.size))
    return Candidates(x[keep], y[keep], snap, np.asarray(town, np.int64), names, "generated")


def _thin(x: NDArray, y: NDArray, order: NDArray[np.int64], spacing_m: float) -> NDArray[np.int64]:
    """Greedy thinning in ``order``: a point is kept when no kept point lies within ``spacing_m``."""
    cell = spacing_m
    grid: dict[tuple[int, int], list[int]] = {}
    kept: list[int] = []
    s2 = spacing_m * spacing_m
    for i in order.tolist():
        cx, cy = int(math.floor(x[i] / cell)), int(math.floor(y[i] / cell))
        ok = True
        for gx in (cx - 1, cx, cx + 1):
            for gy in (cy - 1, cy, cy + 1):
                for k in grid.get((gx, gy), ()):
                    if (x[k] - x[i]) ** 2 + (y[k] - y[i]) ** 2 < s2:
                        ok = False
                        break
                if not ok:
                    break
            if not ok:
                break
        if ok:
            grid.setdefault((cx, cy), []).append(i)
            kept.append(i)
    return np.asarray(kept, dtype=np.int64)


def drop_near_existing(model, cands: Candidates, *, type_: str, min_m: float = MIN_FROM_EXISTING_M) -> tuple[Candidates, int]:
    """Candidates farther than ``min_m`` (straight line) from every counted facility of ``type_`` (an existing
    site is never suggested again); returns them and how many were dropped."""
    facs = model.circles.active(type_)
    if not facs or not len(cands) or min_m <= 0:
        return cands, 0
    tree = cKDTree(np.array([(f.x, f.y) for f in facs], float))
    d, _ = tree.query(np.column_stack([cands.x, cands.y]))
    keep = np.nonzero(d > min_m)[0]
    return cands.take(keep), int(len(cands) - keep.size)


def candidate_reaches(model, cands: Candidates, *, feedback: Feedback | None = None) -> list[Reach]:
    """Each candidate's walking reach, computed as the analysis computes a facility's (same search limit)."""
    net, max_m = model.net, model.circles.max_m
    out = []
    for i in range(len(cands)):
        if feedback is not None and i % 50 == 0:
            feedback.progress(i / max(len(cands), 1), "candidate reaches")
        out.append(reach_from(net, edge=int(cands.snap.edge[i]), offset_m=float(cands.snap.offset_m[i]),
                              access_m=float(cands.snap.access_m[i]), max_m=max_m))
    return out


# ---------------------------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class CoverageMatrix:
    """What each candidate would newly cover within ``limit_m`` of walking: ``cover`` (elements x candidates,
    CSC, boolean) over elements not yet covered by the counted facilities of the class, ``weight`` their elderly
    and ``township`` theirs (-1 outside every township); ``total_elderly`` and ``existing_covered`` are county
    figures of the class before any suggestion (as the analysis counts them)."""

    cover: sparse.csc_matrix
    weight: NDArray[np.float64]
    township: NDArray[np.int64]
    total_elderly: float
    existing_covered: float
    limit_m: float

    @property
    def n_candidates(self) -> int:
        return int(self.cover.shape[1])

    def gain(self, chosen: Sequence[int]) -> float:
        """Elderly newly covered by a set of candidates together."""
        if not len(chosen):
            return 0.0
        hit = np.asarray(self.cover[:, list(chosen)].sum(axis=1)).ravel() > 0
        return float(self.weight[hit].sum())


def _incidence(net: WalkNetwork) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Edges incident to each node as CSR arrays (start, edge ids)."""
    ends = np.concatenate([net.u, net.v])
    eid = np.concatenate([np.arange(net.n_edges)] * 2)
    order = np.argsort(ends, kind="stable")
    start = np.searchsorted(ends[order], np.arange(net.n_nodes + 1))
    return start, eid[order]


def _touched_edges(start: NDArray[np.int64], inc: NDArray[np.int64], nodes: NDArray[np.int64], own: int) -> NDArray[np.int64]:
    if nodes.size:
        lo, hi = start[nodes], start[nodes + 1]
        cnt = hi - lo
        idx = np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
        edges = inc[idx]
    else:
        edges = np.zeros(0, np.int64)
    if own >= 0:
        edges = np.append(edges, own)
    return np.unique(edges)


def point_distances(net: WalkNetwork, reaches: Sequence[Reach], snaps: Snap, *, limit_m: float,
                    feedback: Feedback | None = None) -> sparse.csc_matrix:
    """Walking distances (metres, access legs of both ends included) from each reach's source to the snapped
    points within ``limit_m`` — the formula of :func:`spatial.coverage.points_covered` — as a points x sources
    CSC matrix holding ``distance + 1e-9`` where within the limit (a stored zero would be lost)."""
    n_pts = len(snaps)
    if n_pts == 0 or not reaches:
        return sparse.csc_matrix((n_pts, len(reaches)))
    start, inc = _incidence(net)
    p_order = np.argsort(snaps.edge, kind="stable")
    p_edge = snaps.edge[p_order]
    nd = np.full(net.n_nodes, np.inf)
    rows, cols, vals = [], [], []
    for c, r in enumerate(reaches):
        if feedback is not None and c % 200 == 0:
            feedback.progress(c / len(reaches), "coverage of candidates")
        if r.edge < 0:
            continue
        nd[r.nodes] = r.dist_m
        edges = _touched_edges(start, inc, r.nodes, r.edge)
        lo = np.searchsorted(p_edge, edges, side="left")
        hi = np.searchsorted(p_edge, edges, side="right")
        cnt = hi - lo
        if cnt.sum():
            idx = p_order[np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))]
            e = snaps.edge[idx]
            o = snaps.offset_m[idx]
            L = net.length_m[e]
            d = np.minimum(nd[net.u[e]] + o, nd[net.v[e]] + (L - o))
            own = e == r.edge
            if own.any() and np.isfinite(r.access_m):
                d[own] = np.minimum(d[own], np.abs(r.offset_m - o[own]) + r.access_m)
            d = d + snaps.access_m[idx]
            ok = d <= limit_m
            rows.append(idx[ok])
            cols.append(np.full(int(ok.sum()), c, np.int64))
            vals.append(d[ok] + 1e-9)
        nd[r.nodes] = np.inf
    if not rows:
        return sparse.csc_matrix((n_pts, len(reaches)))
    return sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(n_pts, len(reaches)))


def _edge_intervals(net: WalkNetwork, node_m: NDArray[np.float64], edges: NDArray[np.int64], limit_m: float
                    ) -> tuple[NDArray, NDArray]:
    """Reached length from each end of ``edges`` (``a`` from u, ``c`` from v), as covered_length_m cuts them."""
    L = net.length_m[edges]
    a = np.clip(limit_m - node_m[net.u[edges]], 0.0, L)
    c = np.clip(limit_m - node_m[net.v[edges]], 0.0, L)
    return a, c


def coverage_matrix(model, type_: str, cands: Candidates, reaches: Sequence[Reach], *,
                    limit_m: float | None = None, feedback: Feedback | None = None) -> CoverageMatrix:
    """The coverage matrix of ``cands`` for class ``type_`` at the profile's coverage walk (default), on the
    analysis' own demand: population points and street pieces (see the module docstring)."""
    net, dem = model.net, model.demand
    lim = float(model.params.coverage_m if limit_m is None else limit_m)
    fld = model.circles.field(type_)
    total = float(np.nansum(dem.township_total))
    from .coverage import covered_by_township, points_covered

    existing = float(np.minimum(covered_by_township(net, dem, fld, limit_m=lim), dem.township_total).sum())
    blocks, weights, towns = [], [], []
    n_c = len(cands)
    if len(dem.points):
        pc = point_distances(net, reaches, dem.points, limit_m=lim, feedback=feedback)
        free = ~points_covered(net, fld, dem.points, limit_m=lim) & (dem.point_weight > 0)
        keep = np.nonzero(free)[0]
        m = pc[keep]
        m.data[:] = 1.0
        blocks.append(sparse.csc_matrix(m))
        weights.append(dem.point_weight[keep])
        towns.append(dem.point_township[keep])
    if dem.edge_weight.any():
        mat, w, t = _street_pieces(model, fld, reaches, lim)
        blocks.append(mat)
        weights.append(w)
        towns.append(t)
    if not blocks:
        cover = sparse.csc_matrix((0, n_c))
        return CoverageMatrix(cover, np.zeros(0), np.zeros(0, np.int64), total, existing, lim)
    cover = sparse.vstack(blocks, format="csc").astype(bool)
    return CoverageMatrix(cover, np.concatenate(weights), np.concatenate(towns).astype(np.int64), total, existing, lim)


def _street_pieces(model, fld: DistanceField, reaches: Sequence[Reach], lim: float):
    """Street demand as elements: every populated edge a candidate reaches, cut at each interval end of every
    candidate and of the existing facilities (vectorised: one sort of all cut points)."""
    net, dem = model.net, model.demand
    start, inc = _incidence(net)
    nd = np.full(net.n_nodes, np.inf)
    w_edge = dem.edge_weight
    E, C, LO, HI = [], [], [], []
    for c, r in enumerate(reaches):
        if r.edge < 0:
            continue
        nd[r.nodes] = r.dist_m
        edges = _touched_edges(start, inc, r.nodes, r.edge)
        edges = edges[w_edge[edges] > 0]
        if edges.size:
            a, cc = _edge_intervals(net, nd, edges, lim)
            L = net.length_m[edges]
            E += [edges, edges]
            C += [np.full(edges.size, c), np.full(edges.size, c)]
            LO += [np.zeros(edges.size), L - cc]
            HI += [a, L]
        if w_edge[r.edge] > 0 and np.isfinite(r.access_m) and lim - r.access_m >= 0:
            b = lim - r.access_m
            le = float(net.length_m[r.edge])
            E.append(np.array([r.edge]))
            C.append(np.array([c]))
            LO.append(np.array([max(0.0, r.offset_m - b)]))
            HI.append(np.array([min(le, r.offset_m + b)]))
        nd[r.nodes] = np.inf
    n_c = len(reaches)
    empty = (sparse.csc_matrix((0, n_c), dtype=bool), np.zeros(0), np.zeros(0, np.int64))
    if not E:
        return empty
    E, C, LO, HI = (np.concatenate(v) for v in (E, C, LO, HI))
    ok = HI > LO
    E, C, LO, HI = E[ok], C[ok], LO[ok], HI[ok]
    if not E.size:
        return empty
    ue, erank = np.unique(E, return_inverse=True)
    Lu = net.length_m[ue]
    ax, cx = _edge_intervals(net, fld.node_m, ue, lim)  # the existing facilities' reach from each end
    src_rank = {int(e): i for i, e in enumerate(ue)}
    ex_r, ex_lo, ex_hi = [], [], []
    for off, acc, e in zip(fld.src_offset_m, fld.src_access_m, fld.src_edge):
        i = src_rank.get(int(e))
        if i is not None and lim - acc >= 0:
            ex_r.append(i)
            ex_lo.append(max(0.0, off - (lim - acc)))
            ex_hi.append(min(float(Lu[i]), off + (lim - acc)))
    n_u = ue.size
    pr = np.concatenate([np.arange(n_u), np.arange(n_u), np.arange(n_u), np.arange(n_u), erank, erank,
                         np.asarray(ex_r, np.int64), np.asarray(ex_r, np.int64)])
    pp = np.concatenate([np.zeros(n_u), Lu, ax, Lu - cx, LO, HI, np.asarray(ex_lo, float), np.asarray(ex_hi, float)])
    inside = (pp >= 0) & (pp <= Lu[pr])
    pr, pp = pr[inside], pp[inside]
    order = np.lexsort((pp, pr))
    pr, pp = pr[order], pp[order]
    keep = np.ones(pr.size, bool)
    keep[1:] = (pr[1:] != pr[:-1]) | (pp[1:] != pp[:-1])
    pr, pp = pr[keep], pp[keep]
    # pieces: consecutive cut points of the same edge
    same = pr[1:] == pr[:-1]
    p_lo_idx = np.nonzero(same)[0]
    p_r, p_lo, p_hi = pr[p_lo_idx], pp[p_lo_idx], pp[p_lo_idx + 1]
    mid = (p_lo + p_hi) / 2.0
    length = p_hi - p_lo
    covered = (mid <= ax[p_r]) | (mid >= Lu[p_r] - cx[p_r])
    for i, lo_, hi_ in zip(ex_r, ex_lo, ex_hi):
        if hi_ > lo_:
            covered |= (p_r == i) & (mid >= lo_) & (mid <= hi_)
    live = (length > 1e-12) & ~covered
    # each candidate interval spans the pieces from the one starting at its lo to the one ending at its hi
    span = float(Lu.max()) * 2.0 + 1.0
    key = p_r * span + p_lo
    first = np.searchsorted(key, erank * span + LO, side="left")
    last = np.searchsorted(key, erank * span + HI, side="left")
    cnt = np.maximum(last - first, 0)
    rows = np.repeat(first - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
    cols = np.repeat(C, cnt)
    new_id = np.full(p_r.size, -1, np.int64)
    new_id[live] = np.arange(int(live.sum()))
    sel = live[rows]
    rows, cols = new_id[rows[sel]], cols[sel]
    n_el = int(live.sum())
    if not n_el:
        return empty
    mat = sparse.csc_matrix((np.ones(rows.size, bool), (rows, cols)), shape=(n_el, n_c))
    mat.sum_duplicates()
    e_live = ue[p_r[live]]
    weights = w_edge[e_live] * length[live] / net.length_m[e_live]
    return mat, weights, dem.edge_township[e_live].astype(np.int64)


# ---------------------------------------------------------------------------------------------- solvers


@dataclass(frozen=True)
class Solution:
    """Chosen candidate indices in the order chosen, each one's newly covered elderly (in that order) and how
    it was found (``greedy`` / ``exact``); ``optimal``: proven optimal (exact) or ``None`` (greedy); ``bound``: an
    upper bound on the optimum (exact: HiGHS's dual bound; greedy: the data-dependent bound of its last state)."""

    chosen: tuple[int, ...]
    gains: tuple[float, ...]
    method: str
    value: float
    optimal: bool | None = None
    bound: float = math.nan
    seconds: float = 0.0


def greedy_max_cover(cm: CoverageMatrix, k: int, *, groups: NDArray[np.int64] | None = None,
                     need_groups: Sequence[int] = (), feedback: Feedback | None = None) -> Solution:
    """Greedy maximal covering with lazy evaluation (CELF): ``k`` candidates, each the one that newly covers the
    most elderly given those already chosen (within 1 - 1/e of the optimum). ``groups`` (a township per
    candidate) and ``need_groups`` (townships that must get one): while the picks left are no more than the
    townships still lacking one, only candidates in those townships are taken."""
    t0 = time.perf_counter()
    A = cm.cover.tocsc()
    w = cm.weight
    covered = np.zeros(A.shape[0], bool)
    indptr, indices = A.indptr, A.indices
    gain0 = np.asarray(A.T @ w).ravel() if A.shape[0] else np.zeros(A.shape[1])
    heap = [(-float(g), j) for j, g in enumerate(gain0)]
    heapq.heapify(heap)
    fresh = np.zeros(A.shape[1], np.int64)  # the pick count at which each gain was computed
    lacking = set(int(g) for g in need_groups)
    chosen, gains = [], []
    deferred: list[tuple[float, int]] = []
    while len(chosen) < k and (heap or deferred):
        restrict = bool(lacking) and (k - len(chosen)) <= len(lacking)
        if not heap:
            break
        neg, j = heapq.heappop(heap)
        if restrict and (groups is None or int(groups[j]) not in lacking):
            deferred.append((neg, j))
            continue
        if fresh[j] != len(chosen):
            rows = indices[indptr[j]:indptr[j + 1]]
            g = float(w[rows[~covered[rows]]].sum())
            fresh[j] = len(chosen)
            heapq.heappush(heap, (-g, j))
            continue
        if -neg <= 0 and not restrict:
            break
        chosen.append(j)
        gains.append(-neg)
        covered[indices[indptr[j]:indptr[j + 1]]] = True
        if groups is not None:
            lacking.discard(int(groups[j]))
        for item in deferred:
            heapq.heappush(heap, item)
        deferred.clear()
        if feedback is not None:
            feedback.progress(len(chosen) / max(k, 1), "greedy")
    # a data-dependent upper bound on the optimum (Leskovec et al. 2007): what the greedy sites cover plus the k
    # largest gains any candidate still offers (coverage is submodular); greedy / bound <= greedy / optimal
    rest = np.asarray(A.T @ (w * ~covered)).ravel() if A.shape[0] else np.zeros(A.shape[1])
    top = np.sort(rest)[::-1][:k].sum() if rest.size else 0.0
    return Solution(tuple(chosen), tuple(gains), "greedy", float(sum(gains)), None, float(sum(gains) + top),
                    time.perf_counter() - t0)


def exact_max_cover(cm: CoverageMatrix, k: int, *, groups: NDArray[np.int64] | None = None,
                    need_groups: Sequence[int] = (), time_limit_s: float = EXACT_TIME_LIMIT_S,
                    start: Sequence[int] | None = None, should_stop: Callable[[], bool] | None = None) -> Solution:
    """Maximal covering as a MIP solved by HiGHS: binary x_j per candidate, y_i in [0, 1] per element,
    y_i <= sum of x_j covering i, sum x_j <= k, and (with ``need_groups``) at least one x_j per township.
    The chosen sites are returned in greedy order of their gains (so each adds the most of those left).
    ``should_stop``: polled by HiGHS; when it returns True the solve stops with the best solution so far."""
    import highspy

    t0 = time.perf_counter()
    A, w = compress_rows(cm)
    m, n = A.shape
    need = list(need_groups)
    # columns: x_0..x_{n-1}, y_0..y_{m-1}; rows: m cover rows (y_i - sum x_j <= 0), the budget, one per township
    blocks = [[-A.astype(float), sparse.identity(m, format="csr")],
              [sparse.csr_matrix(np.ones((1, n))), sparse.csr_matrix((1, m))]]
    if need:
        g = np.asarray(groups if groups is not None else np.full(n, -1), np.int64)
        r_, c_ = [], []
        for k_, t in enumerate(need):
            js = np.nonzero(g == t)[0]
            r_.extend([k_] * js.size)
            c_.extend(js.tolist())
        blocks.append([sparse.csr_matrix((np.ones(len(r_)), (r_, c_)), shape=(len(need), n)),
                       sparse.csr_matrix((len(need), m))])
    M = sparse.bmat(blocks, format="csc")
    M.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = n + m
    lp.num_row_ = m + 1 + len(need)
    lp.col_cost_ = np.concatenate([np.zeros(n), w]).astype(float)
    lp.col_lower_ = np.zeros(n + m)
    lp.col_upper_ = np.ones(n + m)
    lp.row_lower_ = np.concatenate([np.full(m, -highspy.kHighsInf), [-highspy.kHighsInf], np.ones(len(need))])
    lp.row_upper_ = np.concatenate([np.zeros(m), [float(k)], np.full(len(need), highspy.kHighsInf)])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr.astype(np.int32)
    lp.a_matrix_.index_ = M.indices.astype(np.int32)
    lp.a_matrix_.value_ = M.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * m
    h = _highs(should_stop)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    if start is not None and len(start):
        sol = highspy.HighsSolution()
        x0 = np.zeros(n + m)
        x0[list(start)] = 1.0
        x0[n:] = np.asarray(A[:, list(start)].sum(axis=1)).ravel() > 0
        sol.col_value = x0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value)
    if values.size < n and should_stop is not None and should_stop():
        return Solution((), (), "exact", 0.0, False, math.nan, time.perf_counter() - t0)
    if values.size < n:
        raise RuntimeError(f"HiGHS found no solution ({h.modelStatusToString(status)})")
    picked = np.nonzero(values[:n] > 0.5)[0]
    optimal = status == highspy.HighsModelStatus.kOptimal
    order, gains = _greedy_order(cm, picked)
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else math.nan
    return Solution(tuple(order), tuple(gains), "exact", float(sum(gains)), bool(optimal), bound, time.perf_counter() - t0)


def compress_rows(cm: CoverageMatrix) -> tuple[sparse.csr_matrix, NDArray[np.float64]]:
    """Elements covered by exactly the same candidates merged into one (weights summed), and elements no
    candidate covers dropped: the same objective for every choice of sites, a smaller model."""
    A = cm.cover.tocsr()
    A.sort_indices()
    keys: dict[bytes, int] = {}
    row_of = np.empty(A.shape[0], np.int64)
    first = []
    for i in range(A.shape[0]):
        key = A.indices[A.indptr[i]:A.indptr[i + 1]].tobytes()
        k = keys.get(key)
        if k is None:
            k = keys[key] = len(first)
            first.append(i)
        row_of[i] = k
    w = np.bincount(row_of, weights=cm.weight, minlength=len(first)) if len(first) else np.zeros(0)
    B = A[np.asarray(first, np.int64)] if first else sparse.csr_matrix((0, A.shape[1]), dtype=bool)
    live = np.diff(B.indptr) > 0
    return B[live].astype(bool).tocsr(), w[live]


def _greedy_order(cm: CoverageMatrix, picked: Sequence[int]) -> tuple[list[int], list[float]]:
    """Chosen sites ordered so that each adds the most of those left (its gain given the earlier ones)."""
    A = cm.cover.tocsc()
    covered = np.zeros(A.shape[0], bool)
    left = [int(j) for j in picked]
    order, gains = [], []
    while left:
        best, bg = None, -1.0
        for j in left:
            rows = A.indices[A.indptr[j]:A.indptr[j + 1]]
            g = float(cm.weight[rows[~covered[rows]]].sum())
            if g > bg + 1e-12:
                best, bg = j, g
        order.append(best)
        gains.append(bg)
        covered[A.indices[A.indptr[best]:A.indptr[best + 1]]] = True
        left.remove(best)
    return order, gains


# ---------------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Requirement:
    """One unit of one target that new sites must meet: at least ``need`` of ``candidates`` chosen. ``group``:
    the index of a :class:`ShareGroup` (a share of units, any ``need_units`` of them) or -1 (every one)."""

    target_id: str
    level: str
    unit: str
    need: int
    candidates: tuple[int, ...]
    group: int = -1


@dataclass(frozen=True)
class ShareGroup:
    target_id: str
    need_units: int


@dataclass(frozen=True)
class Unmet:
    """A unit of a target the candidates cannot bring to the target: reason ``no_candidate_in_unit`` (none stands
    in it), ``too_few_candidates`` (fewer than it needs), ``no_candidate_within_reach`` (none within the walk),
    ``share_out_of_reach`` (too few units can get one); targets set covering does not handle: ``bed_target`` (beds
    per 1,000 elderly, nursing share: see :mod:`spatial.access`) and ``coverage_share_target`` (a share of the
    elderly inside the circle: raise it with the best-k objective)."""

    target_id: str
    level: str
    unit: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class TargetProblem:
    requirements: tuple[Requirement, ...]
    groups: tuple[ShareGroup, ...]
    unmet: tuple[Unmet, ...]
    #: targets of the profile for the class that siting handles
    targets: tuple[str, ...]


def target_problem(model, type_: str, cands: Candidates, reaches: Sequence[Reach]) -> TargetProblem:
    """The profile's per-unit targets that count class ``type_`` as requirements on the candidates: the units
    not meeting them now (with the counted facilities) and which candidates would help each."""
    profile = model.params.profile
    facts = model.facts()
    from .targets import _town_mask, _unit_mask

    reqs: list[Requirement] = []
    groups: list[ShareGroup] = []
    unmet: list[Unmet] = []
    handled: list[str] = []
    cand_unit = model._units_of(np.column_stack([cands.x, cands.y]), cands.township) if len(cands) else np.zeros(0, np.int64)
    n_town = len(model.township_names)
    for t in profile.targets:
        if type_ not in t.classes:
            continue
        if t.indicator not in SITING_INDICATORS or t.level == "county":
            reason = "bed_target" if t.indicator in ("beds_per_1000", "nursing_share") else "coverage_share_target"
            unmet.append(Unmet(t.id, t.level, facts.county_label, reason))
            continue
        handled.append(t.id)
        sel = np.isin(facts.fac_class.astype(str), list(t.classes)) if len(facts.fac_class) else np.zeros(0, bool)
        town_level = t.level in ("township", "urban_street")
        if town_level:
            mask = _town_mask(t, facts)
            have = np.bincount(facts.fac_town[sel & (facts.fac_town >= 0)], minlength=n_town)
            names = model.township_names
            cand_of = cands.township
        else:
            mask = _unit_mask(t, facts)
            have = np.bincount(facts.fac_unit[sel & (facts.fac_unit >= 0)], minlength=len(model.unit_names))
            names = model.unit_names
            cand_of = cand_unit
        if t.indicator in ("present_in_every", "count_per_unit"):
            need_each = int(math.ceil(t.figure if t.indicator == "count_per_unit" else max(t.figure, 1.0)))
            for i in np.nonzero(mask)[0]:
                short = need_each - int(have[i])
                if short <= 0:
                    continue
                cs = tuple(np.nonzero(cand_of == i)[0].tolist())
                if not cs:
                    unmet.append(Unmet(t.id, t.level, names[i], "no_candidate_in_unit"))
                elif len(cs) < short:
                    unmet.append(Unmet(t.id, t.level, names[i], "too_few_candidates", f"{len(cs)} < {short}"))
                else:
                    reqs.append(Requirement(t.id, t.level, names[i], short, cs))
        elif t.indicator == "reachable_from_every":
            ok = facts.reached(t.classes, profile.minutes_of(t))
            lim = float(minutes_to_m(profile.minutes_of(t), speed_kmh=model.params.speed_kmh))
            todo = np.nonzero(mask & ~ok)[0]
            if todo.size:
                dist = point_distances(model.net, reaches, model.unit_snaps.take(todo), limit_m=lim).tocsr()
                for r, i in enumerate(todo):
                    cs = tuple(dist.indices[dist.indptr[r]:dist.indptr[r + 1]].tolist())
                    if cs:
                        reqs.append(Requirement(t.id, t.level, names[i], 1, tuple(sorted(cs))))
                    else:
                        unmet.append(Unmet(t.id, t.level, names[i], "no_candidate_within_reach",
                                           f"{profile.minutes_of(t):g} min"))
        elif t.indicator == "share_of_units_with":
            total = int(mask.sum())
            with_one = int(((have > 0) & mask).sum())
            short = int(math.ceil(t.figure * total - 1e-9)) - with_one
            if short <= 0:
                continue
            lacking = np.nonzero(mask & (have == 0))[0]
            members = []
            for i in lacking:
                cs = tuple(np.nonzero(cand_of == i)[0].tolist())
                if cs:
                    members.append(Requirement(t.id, t.level, names[i], 1, cs, len(groups)))
            if len(members) < short:
                unmet.append(Unmet(t.id, t.level, facts.county_label, "share_out_of_reach",
                                   f"{with_one + len(members)} / {total} < {t.figure:.0%}"))
                short = len(members)
            if short > 0:
                groups.append(ShareGroup(t.id, short))
                reqs.extend(members)
    return TargetProblem(tuple(reqs), tuple(groups), tuple(unmet), tuple(handled))


def _satisfied(problem: TargetProblem, chosen: Sequence[int]) -> tuple[bool, list[bool]]:
    s = set(int(j) for j in chosen)
    per = [sum(1 for j in r.candidates if j in s) >= r.need for r in problem.requirements]
    ok = all(p for r, p in zip(problem.requirements, per) if r.group < 0)
    for g, grp in enumerate(problem.groups):
        got = sum(p for r, p in zip(problem.requirements, per) if r.group == g)
        ok &= got >= grp.need_units
    return bool(ok), per


def greedy_set_cover(problem: TargetProblem, cm: CoverageMatrix | None = None) -> list[int]:
    """Greedy set covering: repeatedly the candidate that takes the most shortfall off the requirements (ties:
    the most elderly newly covered), until every requirement is met."""
    reqs = problem.requirements
    left = [r.need for r in reqs]
    group_left = [g.need_units for g in problem.groups]
    by_cand: dict[int, list[int]] = {}
    for ri, r in enumerate(reqs):
        for j in r.candidates:
            by_cand.setdefault(j, []).append(ri)
    covered = np.zeros(cm.cover.shape[0], bool) if cm is not None else None
    A = cm.cover.tocsc() if cm is not None else None
    chosen: list[int] = []
    while True:
        best, key = None, (0, 0.0)
        for j, rs in by_cand.items():
            if j in chosen:
                continue
            score = 0
            for ri in rs:
                if left[ri] <= 0:
                    continue
                g = reqs[ri].group
                if g >= 0 and group_left[g] <= 0:
                    continue
                score += 1
            if score == 0:
                continue
            extra = 0.0
            if A is not None:
                rows = A.indices[A.indptr[j]:A.indptr[j + 1]]
                extra = float(cm.weight[rows[~covered[rows]]].sum())
            if (score, extra) > key:
                best, key = j, (score, extra)
        if best is None:
            break
        chosen.append(best)
        if A is not None:
            covered[A.indices[A.indptr[best]:A.indptr[best + 1]]] = True
        for ri in by_cand[best]:
            if left[ri] > 0:
                left[ri] -= 1
                g = reqs[ri].group
                if left[ri] == 0 and g >= 0:
                    group_left[g] -= 1
    return chosen


def exact_set_cover(problem: TargetProblem, n_candidates: int, cm: CoverageMatrix | None = None, *,
                    time_limit_s: float = EXACT_TIME_LIMIT_S,
                    should_stop: Callable[[], bool] | None = None) -> tuple[list[int], bool]:
    """The fewest candidates meeting every requirement (a MIP solved by HiGHS); among sets of that size, one
    that newly covers the most elderly (a second solve with the count fixed). Returns the set and whether
    HiGHS proved it optimal."""
    import highspy

    reqs, groups = problem.requirements, problem.groups
    used = sorted({j for r in reqs for j in r.candidates})
    if not reqs:
        return [], True
    col = {j: i for i, j in enumerate(used)}
    n = len(used)
    # columns: x (n), z per share-group member (one per requirement with group >= 0)
    members = [ri for ri, r in enumerate(reqs) if r.group >= 0]
    zcol = {ri: n + k for k, ri in enumerate(members)}

    def solve(count: int | None) -> tuple[list[int], bool]:
        h = _highs(should_stop)
        h.setOptionValue("time_limit", float(time_limit_s))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("threads", 1)
        inf = highspy.kHighsInf
        nvar = n + len(members)
        cost = np.zeros(nvar)
        if count is None:
            cost[:n] = 1.0
        h.addVars(nvar, np.zeros(nvar), np.ones(nvar))
        h.changeColsIntegrality(nvar, np.arange(nvar, dtype=np.int32),
                                np.array([highspy.HighsVarType.kInteger] * nvar))
        h.changeColsCost(nvar, np.arange(nvar, dtype=np.int32), cost)
        for ri, r in enumerate(reqs):
            idx = [col[j] for j in r.candidates]
            if r.group < 0:
                h.addRow(float(r.need), inf, len(idx), np.asarray(idx, np.int32), np.ones(len(idx)))
            else:  # z <= sum x (z: the unit gets one)
                h.addRow(0.0, inf, len(idx) + 1, np.asarray(idx + [zcol[ri]], np.int32),
                         np.concatenate([np.ones(len(idx)), [-1.0]]))
        for g, grp in enumerate(groups):
            zs = [zcol[ri] for ri in members if reqs[ri].group == g]
            h.addRow(float(grp.need_units), inf, len(zs), np.asarray(zs, np.int32), np.ones(len(zs)))
        if count is not None:
            h.addRow(float(count), float(count), n, np.arange(n, dtype=np.int32), np.ones(n))
            if cm is not None and cm.cover.shape[0]:
                sub = CoverageMatrix(cm.cover.tocsc()[:, used], cm.weight, cm.township, cm.total_elderly,
                                     cm.existing_covered, cm.limit_m)
                B, wb = compress_rows(sub)
                ny = B.shape[0]
                h.addVars(ny, np.zeros(ny), np.ones(ny))
                h.changeColsCost(ny, np.arange(nvar, nvar + ny, dtype=np.int32), wb.astype(float))
                # y_r - sum of the x covering r <= 0
                R = sparse.hstack([-B.astype(float), sparse.csr_matrix((ny, nvar - n)), sparse.identity(ny)], format="csr")
                R.sort_indices()
                h.addRows(ny, np.full(ny, -inf), np.zeros(ny), R.nnz, R.indptr[:-1].astype(np.int32),
                          R.indices.astype(np.int32), R.data.astype(float))
                h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.run()
        status = h.getModelStatus()
        vals = np.asarray(h.getSolution().col_value)
        if vals.size < n:
            if should_stop is not None and should_stop():
                return [], False  # stopped by the user before any solution
            raise RuntimeError(f"HiGHS found no solution ({h.modelStatusToString(status)})")
        return [used[i] for i in np.nonzero(vals[:n] > 0.5)[0]], status == highspy.HighsModelStatus.kOptimal

    first, opt1 = solve(None)
    if cm is None or not opt1:
        return first, opt1
    second, opt2 = solve(len(first))
    return (second if _satisfied(problem, second)[0] else first), opt1


# ---------------------------------------------------------------------------------------------- the unit


@dataclass(frozen=True)
class SitingParams:
    """What to site: ``type`` (a class id), ``objective`` (``best_k`` or ``meet_targets``), ``count`` (k for
    best k), ``township`` (a township name: candidates only inside it), ``exact`` (also solve the MIP with
    HiGHS), ``per_township`` (best k: at least one new site in each township without one of the class; it
    needs k at least the number of such townships), ``spacing_m`` of generated candidates and the least
    distance from an existing facility of the class ``min_from_existing_m``."""

    type: str
    objective: str = "best_k"
    count: int = 5
    township: str | None = None
    exact: bool = False
    per_township: bool = False
    spacing_m: float = DEFAULT_SPACING_M
    min_from_existing_m: float = MIN_FROM_EXISTING_M
    time_limit_s: float = EXACT_TIME_LIMIT_S
    max_candidates: int | None = None

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
        if self.objective == "best_k" and not (isinstance(self.count, int) and self.count >= 1):
            raise ValueError("count (k) must be a whole number >= 1")
        for name in ("spacing_m", "min_from_existing_m", "time_limit_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a number >= 0")
        if self.spacing_m <= 0:
            raise ValueError("spacing_m must be > 0")


@dataclass(frozen=True)
class Site:
    """One suggested site, in the order chosen: its candidate, position (metric CRS), township (name or None),
    the elderly it newly covers given the sites before it, the county's covered share after it (existing
    facilities and the sites up to it) and the target units it meets (``target_id:unit``)."""

    candidate: int
    name: str
    x: float
    y: float
    township: str | None
    elderly_newly_covered: float
    cumulative_share: float
    targets_met: tuple[str, ...] = ()


@dataclass(frozen=True)
class SitingResult:
    params: SitingParams
    sites: tuple[Site, ...]
    total_elderly: float
    existing_covered: float
    #: the county's covered elderly after the suggestion, as the analysis will count it (existing + new)
    promised_covered: float
    candidates: int
    candidates_dropped_near_existing: int
    method: str
    greedy_value: float = math.nan
    exact_value: float = math.nan
    exact_optimal: bool | None = None
    exact_bound: float = math.nan
    #: best k: an upper bound on the optimum from the greedy run (see :func:`greedy_max_cover`)
    greedy_bound: float = math.nan
    greedy_seconds: float = math.nan
    exact_seconds: float = math.nan
    unmet: tuple[Unmet, ...] = ()
    notes: tuple[str, ...] = ()
    targets_met_all: bool | None = None

    @property
    def ratio(self) -> float:
        """Greedy / optimal (exact) value of the objective; NaN when no exact solution was made."""
        if not math.isfinite(self.exact_value) or self.exact_value <= 0:
            return math.nan
        return self.greedy_value / self.exact_value


def run_siting(model, params: SitingParams, *, candidates: Candidates | None = None,
               feedback: Feedback | None = None) -> SitingResult:
    """Suggest sites for ``params.type`` on an analysis state (:class:`spatial.analysis.CoverageModel` with the
    facilities of the scenario loaded and the statuses the result scenario will count). ``candidates``: the
    user's own (metric CRS, see :func:`candidates_at`), else generated (:func:`generate_candidates`)."""
    fb = feedback or Feedback()
    if params.type not in model.classes:
        raise ValueError(f"unknown facility class {params.type!r}; the registry has {', '.join(model.classes.ids)}")
    town_idx = None
    if params.township:
        if params.township not in model.township_names:
            raise ValueError(f"no township called {params.township}; the township layer has: "
                             f"{'、'.join(model.township_names)}")
        town_idx = model.township_names.index(params.township)
    fb.progress(0.0, "candidates")
    notes: list[str] = []
    if candidates is None:
        cands = generate_candidates(model, spacing_m=params.spacing_m, township=town_idx)
    else:
        cands = candidates
        if town_idx is not None:
            cands = cands.take(np.nonzero(cands.township == town_idx)[0])
    cands, dropped = drop_near_existing(model, cands, type_=params.type, min_m=params.min_from_existing_m)
    if params.max_candidates is not None and len(cands) > params.max_candidates:
        cands = cands.take(np.arange(params.max_candidates))
    off = np.nonzero(~np.isfinite(cands.snap.access_m) | (cands.snap.edge < 0))[0]
    if off.size:
        notes.append(f"{off.size} candidates cannot reach the network and were left out")
        cands = cands.take(np.nonzero(np.isfinite(cands.snap.access_m) & (cands.snap.edge >= 0))[0])
    reaches = candidate_reaches(model, cands, feedback=_Part(fb, 0.02, 0.45))
    fb.progress(0.45, "coverage of candidates")
    cm = coverage_matrix(model, params.type, cands, reaches, feedback=_Part(fb, 0.45, 0.6))
    fb.progress(0.6, "choosing sites")
    g_sol = e_sol = None
    unmet: tuple[Unmet, ...] = ()
    site_targets: dict[int, list[str]] = {}
    met_all = None
    if params.objective == "best_k":
        need = []
        if params.per_township:
            have = {f.township for f in model.circles.active(params.type)}
            need = [i for i in range(len(model.township_names)) if i not in have and (town_idx is None or i == town_idx)]
            present = set(cands.township.tolist())
            missing = [i for i in need if i not in present]
            if missing:
                notes.append("townships without a facility of the class and without a candidate: "
                             + "、".join(model.township_names[i] for i in missing))
            need = [i for i in need if i in present]
            if len(need) > params.count:
                notes.append(f"{len(need)} townships lack a facility of the class but k = {params.count}: "
                             f"only {params.count} of them can get one")
        g_sol = greedy_max_cover(cm, min(params.count, len(cands)), groups=cands.township, need_groups=need,
                                 feedback=_Part(fb, 0.6, 0.7))
        if len(g_sol.chosen) < params.count:
            notes.append(f"only {len(g_sol.chosen)} sites newly cover anyone (k = {params.count})")
        sol = g_sol
        if params.exact and len(cands):
            if cm.cover.nnz > EXACT_MAX_NONZEROS:
                notes.append(f"the exact solution was not tried: {cm.cover.nnz:,} coverage pairs "
                             f"(more than {EXACT_MAX_NONZEROS:,})")
            else:
                fb.progress(0.7, "exact solution (HiGHS)")
                e_sol = exact_max_cover(cm, min(params.count, len(cands)), groups=cands.township,
                                        need_groups=need if len(need) <= params.count else (),
                                        time_limit_s=params.time_limit_s, start=g_sol.chosen,
                                        should_stop=lambda: fb.cancelled)
                fb.check()
                if e_sol.value >= g_sol.value - 1e-9:
                    sol = e_sol
                if not e_sol.optimal:
                    bound = e_sol.bound if math.isfinite(e_sol.bound) else g_sol.bound
                    notes.append(f"the exact solution stopped at the time limit ({params.time_limit_s:g} s) with the "
                                 f"best sites found; the optimum is at most {bound:,.1f} elderly")
        chosen, gains = list(sol.chosen), list(sol.gains)
        # targets the chosen sites help meet (informative)
        problem = target_problem(model, params.type, cands, reaches)
        site_targets = _targets_of(problem, chosen)
    else:
        problem = target_problem(model, params.type, cands, reaches)
        unmet = problem.unmet
        t0 = time.perf_counter()
        greedy = greedy_set_cover(problem, cm)
        g_sol = Solution(tuple(greedy), (), "greedy", float(len(greedy)), None, math.nan, time.perf_counter() - t0)
        chosen = greedy
        method = "greedy"
        if params.exact and problem.requirements:
            fb.progress(0.7, "exact solution (HiGHS)")
            t0 = time.perf_counter()
            exact, optimal = exact_set_cover(problem, len(cands), cm, time_limit_s=params.time_limit_s,
                                             should_stop=lambda: fb.cancelled)
            fb.check()
            e_sol = Solution(tuple(exact), (), "exact", float(len(exact)), optimal, math.nan, time.perf_counter() - t0)
            if _satisfied(problem, exact)[0] and len(exact) <= len(greedy):
                chosen = exact
        chosen, gains = _greedy_order(cm, chosen)
        met_all = _satisfied(problem, chosen)[0] and not unmet
        site_targets = _targets_of(problem, chosen)
    fb.progress(0.95, "sites")
    sites = []
    cum = cm.existing_covered
    for j, g in zip(chosen, gains):
        cum += g
        t = int(cands.township[j])
        sites.append(Site(int(j), cands.names[j], float(cands.x[j]), float(cands.y[j]),
                          model.township_names[t] if t >= 0 else None, float(g),
                          cum / cm.total_elderly if cm.total_elderly > 0 else math.nan,
                          tuple(site_targets.get(int(j), ()))))
    if params.objective == "best_k":
        method = "exact" if e_sol is not None and sol is e_sol else "greedy"
        gv = g_sol.value
        ev = e_sol.value if e_sol is not None else math.nan
    else:
        gv = float(len(g_sol.chosen))
        ev = float(len(e_sol.chosen)) if e_sol is not None else math.nan
        method = "exact" if e_sol is not None and list(chosen) and set(chosen) == set(e_sol.chosen) else method
    fb.progress(1.0, "done")
    return SitingResult(
        params=params, sites=tuple(sites), total_elderly=cm.total_elderly, existing_covered=cm.existing_covered,
        promised_covered=cum, candidates=len(cands), candidates_dropped_near_existing=dropped, method=method,
        greedy_value=gv, exact_value=ev, exact_optimal=e_sol.optimal if e_sol is not None else None,
        exact_bound=e_sol.bound if e_sol is not None else math.nan, greedy_seconds=g_sol.seconds,
        greedy_bound=g_sol.bound if params.objective == "best_k" else math.nan,
        exact_seconds=e_sol.seconds if e_sol is not None else math.nan, unmet=unmet, notes=tuple(notes),
        targets_met_all=met_all,
    )


def _targets_of(problem: TargetProblem, chosen: Sequence[int]) -> dict[int, list[str]]:
    """Per chosen candidate, the requirement units it counts towards (``target_id:unit``), in the order the
    sites were chosen: a unit is credited to the sites that fill its shortfall first."""
    out: dict[int, list[str]] = {}
    left = [r.need for r in problem.requirements]
    for j in chosen:
        for ri, r in enumerate(problem.requirements):
            if left[ri] > 0 and j in r.candidates:
                left[ri] -= 1
                out.setdefault(int(j), []).append(f"{r.target_id}:{r.unit}")
    return out


def _highs(should_stop: Callable[[], bool] | None = None):
    """A HiGHS instance with its output off (the banner it prints on creation goes to the C stdout); with
    ``should_stop``, the simplex, interior-point and MIP loops stop when it returns True (a user's Cancel)."""
    import os
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    if should_stop is not None:
        def interrupt(event) -> None:
            if should_stop():
                event.interrupt()

        h.cbSimplexInterrupt += interrupt
        h.cbIpmInterrupt += interrupt
        h.cbMipInterrupt += interrupt
    return h


class _Part(Feedback):
    def __init__(self, parent: Feedback, lo: float, hi: float) -> None:
        super().__init__()
        self._p, self._lo, self._hi = parent, lo, hi

    def progress(self, fraction: float, step: str = "") -> None:
        self._p.progress(self._lo + (self._hi - self._lo) * fraction, step)

    @property
    def cancelled(self) -> bool:
        return self._p.cancelled
