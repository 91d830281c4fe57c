"""Access to nursing-type beds: the two-step floating catchment area method (2SFCA) and its enhanced form with
distance decay (E2SFCA), per population location and per township, and where added beds raise the lowest
townships most (Qt-free).

Step 1, per supply site j (a facility whose class's beds count, :meth:`layers.classes.ClassRegistry.with_beds`):
``R_j = S_j / sum_i P_i W(d_ij)`` over the population locations i within the catchment (``S_j`` its nursing-type
beds, ``P_i`` the elderly at i). Step 2, per location: ``A_i = sum_j R_j W(d_ij)`` over the sites within the
catchment, reported per 1,000 elderly. ``W`` is 1 within the catchment (2SFCA) or a Gaussian decay (E2SFCA)
``(exp(-d²/2d0²) - exp(-1/2)) / (1 - exp(-1/2))`` that is 1 at the site and 0 at the catchment's edge ``d0``.
The elderly-weighted mean of ``A_i`` over a township is its figure; with every location in some catchment the
figures add up to the beds (``sum_i P_i A_i = sum_j S_j``).

Travel time is walking on the analysis' network at ``speed_kmh`` (the catchment in minutes: bed access is
usually a larger catchment than the walking circles, e.g. 30 minutes; give a driving or bus speed to model a
trip by car or bus on the same streets). Distances are those of the analysis (same reaches, same access legs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse

from .feedback import Feedback
from .isochrones import minutes_to_m, reach_from
from .network import Snap

DECAYS = ("none", "gaussian")
#: default catchment of bed access, minutes of travel
DEFAULT_CATCHMENT_MINUTES = 30.0
_E = math.exp(-0.5)


def decay_weight(minutes: NDArray[np.float64], *, catchment_minutes: float, decay: str = "gaussian") -> NDArray[np.float64]:
    """``W(d)``: 1 within the catchment (``none``) or the Gaussian decay (``gaussian``); 0 beyond the catchment."""
    d = np.asarray(minutes, dtype=float)
    if decay not in DECAYS:
        raise ValueError(f"decay must be one of {', '.join(DECAYS)}")
    inside = d <= catchment_minutes
    if decay == "none":
        return inside.astype(float)
    w = (np.exp(-0.5 * (d / catchment_minutes) ** 2) - _E) / (1.0 - _E)
    return np.where(inside, np.clip(w, 0.0, 1.0), 0.0)


@dataclass(frozen=True)
class FcaResult:
    """``ratio_per_1000`` per supply site (R_j x 1000: beds per 1,000 elderly of its catchment, NaN where nobody
    lives within it) and ``access_per_1000`` per demand location (A_i x 1000)."""

    ratio_per_1000: NDArray[np.float64]
    access_per_1000: NDArray[np.float64]
    #: per site, the weighted elderly of its catchment (sum_i P_i W(d_ij))
    catchment_elderly: NDArray[np.float64]


def two_step_fca(minutes: sparse.spmatrix, *, elderly: NDArray[np.float64], beds: NDArray[np.float64],
                 catchment_minutes: float, decay: str = "none") -> FcaResult:
    """2SFCA (``decay='none'``) or E2SFCA (``'gaussian'``) on a locations x sites matrix of travel ``minutes``
    holding only the pairs within the catchment (an explicit 0 is a pair at distance 0: store ``1e-12``)."""
    M = sparse.coo_matrix(minutes)
    P = np.asarray(elderly, float)
    S = np.asarray(beds, float)
    if M.shape != (P.size, S.size):
        raise ValueError("minutes must be locations x sites")
    if np.isnan(P).any() or np.isnan(S).any():
        raise ValueError("elderly and beds must be known (missing is not zero)")
    w = decay_weight(M.data, catchment_minutes=catchment_minutes, decay=decay)
    W = sparse.csr_matrix((w, (M.row, M.col)), shape=M.shape)
    demand = np.asarray(W.T @ P).ravel()
    R = np.divide(S, demand, out=np.full(S.size, np.nan), where=demand > 0)
    A = np.asarray(W @ np.nan_to_num(R, nan=0.0)).ravel()
    return FcaResult(1000.0 * R, 1000.0 * A, demand)


@dataclass(frozen=True)
class BedAccess:
    """Bed access on an analysis state: per location (``locations``: township, elderly, access_per_1000, x, y)
    and per township (``townships``: township, elderly, nursing_beds, access_per_1000 — the elderly-weighted
    mean — and the lowest location's figure), with what a bed-quota suggestion needs."""

    locations: pd.DataFrame
    townships: pd.DataFrame
    catchment_minutes: float
    speed_kmh: float
    decay: str
    #: locations x sites weights W(d_ij), the sites' catchment elderly and the sites (facility ids)
    weights: sparse.csr_matrix
    catchment_elderly: NDArray[np.float64]
    site_ids: tuple[str, ...]
    site_names: tuple[str, ...]


def _locations(model) -> tuple[Snap, NDArray[np.float64], NDArray[np.int64]]:
    """Population locations: the population points, or the midpoints of streets carrying elderly."""
    dem, net = model.demand, model.net
    if len(dem.points):
        return dem.points, dem.point_weight, dem.point_township
    e = np.nonzero(dem.edge_weight > 0)[0]
    return Snap(e, net.length_m[e] / 2.0, np.zeros(e.size)), dem.edge_weight[e], dem.edge_township[e]


def bed_access(model, *, catchment_minutes: float = DEFAULT_CATCHMENT_MINUTES, speed_kmh: float | None = None,
               decay: str = "gaussian", feedback: Feedback | None = None) -> BedAccess:
    """Nursing-type beds per 1,000 elderly within ``catchment_minutes`` of travel at ``speed_kmh`` (default the
    analysis' walking speed), by 2SFCA (``decay='none'``) or E2SFCA (``'gaussian'``), on the facilities the
    model counts whose class's beds count."""
    from .siting import point_distances

    if not (math.isfinite(catchment_minutes) and catchment_minutes > 0):
        raise ValueError("catchment_minutes must be positive")
    speed = float(model.params.speed_kmh if speed_kmh is None else speed_kmh)
    if not (math.isfinite(speed) and speed > 0):
        raise ValueError("speed_kmh must be positive")
    net = model.net
    bed_classes = set(model.classes.with_beds("all"))
    sites = [f for f in model.circles.counted() if f.type in bed_classes and f.nursing_beds > 0]
    lim = float(minutes_to_m(catchment_minutes, speed_kmh=speed))
    reaches = []
    for i, f in enumerate(sites):
        if feedback is not None and i % 20 == 0:
            feedback.progress(i / max(len(sites), 1), "bed catchments")
        reaches.append(reach_from(net, edge=f.reach.edge, offset_m=f.reach.offset_m, access_m=f.reach.access_m, max_m=lim))
    snaps, P, town = _locations(model)
    D = point_distances(net, reaches, snaps, limit_m=lim).tocoo()
    minutes = sparse.csr_matrix((D.data * 60.0 / (speed * 1000.0), (D.row, D.col)), shape=D.shape)
    S = np.array([f.nursing_beds for f in sites], float)
    fca = two_step_fca(minutes, elderly=P, beds=S, catchment_minutes=catchment_minutes, decay=decay)
    W = minutes.tocoo()
    Wm = sparse.csr_matrix((decay_weight(W.data, catchment_minutes=catchment_minutes, decay=decay), (W.row, W.col)),
                           shape=W.shape)
    x, y = net.edge_point(snaps.edge, snaps.offset_m)
    names = model.township_names
    loc = pd.DataFrame({"township": [names[t] if t >= 0 else None for t in town], "elderly": P,
                        "access_per_1000": fca.access_per_1000, "x": x, "y": y})
    towns = _township_table(model, loc, sites)
    return BedAccess(loc, towns, float(catchment_minutes), speed, decay, Wm, fca.catchment_elderly,
                     tuple(f.fid for f in sites), tuple(f.name for f in sites))


def _township_table(model, loc: pd.DataFrame, sites) -> pd.DataFrame:
    rows = []
    for i, name in enumerate(model.township_names):
        part = loc[loc["township"] == name]
        e = float(part["elderly"].sum())
        beds = sum(f.nursing_beds for f in sites if f.township == i)
        mean = float((part["elderly"] * part["access_per_1000"]).sum() / e) if e > 0 else math.nan
        low = float(part.loc[part["elderly"] > 0, "access_per_1000"].min()) if e > 0 else math.nan
        rows.append({"township": name, "elderly": e, "nursing_beds": int(beds), "access_per_1000": mean,
                     "lowest_location_per_1000": low})
    return pd.DataFrame(rows, columns=["township", "elderly", "nursing_beds", "access_per_1000", "lowest_location_per_1000"])


@dataclass(frozen=True)
class BedAllocation:
    """Added nursing-type beds per site (``beds`` by site id, in the order first chosen) and the township
    figures before and after (per 1,000 elderly)."""

    beds: dict[str, int]
    before: pd.Series
    after: pd.Series


def suggest_beds(access: BedAccess, *, budget_beds: int, step_beds: int = 10) -> BedAllocation:
    """Where ``budget_beds`` new nursing-type beds (the county quota) raise the lowest townships most: greedy in
    blocks of ``step_beds``, each block to the site that raises the lowest township figure most (ties: the
    county mean). The catchment denominators do not depend on the beds, so a bed added at site j adds
    ``W(d_ij) / D_j`` per elderly to every location i in its catchment (exact, not re-estimated)."""
    if budget_beds < 0 or step_beds <= 0:
        raise ValueError("budget_beds must be >= 0 and step_beds > 0")
    loc = access.locations
    names = list(access.townships["township"])
    E = access.townships["elderly"].to_numpy(float)
    live = E > 0
    tidx = pd.Categorical(loc["township"], categories=names).codes
    P = loc["elderly"].to_numpy(float)
    # per township x site: the township figure's rise per added bed (x 1000)
    W = access.weights.tocoo()
    D = access.catchment_elderly
    ok = (tidx[W.row] >= 0) & (D[W.col] > 0)
    vals = 1000.0 * P[W.row[ok]] * W.data[ok] / D[W.col[ok]]
    n_t, n_s = len(names), len(access.site_ids)
    M = np.zeros((n_t, n_s))
    np.add.at(M, (tidx[W.row[ok]], W.col[ok]), vals)
    M = np.divide(M, E[:, None], out=np.zeros_like(M), where=E[:, None] > 0)
    cur = access.townships["access_per_1000"].to_numpy(float).copy()
    before = pd.Series(cur.copy(), index=names)
    added: dict[str, int] = {}
    left = int(budget_beds)
    while left > 0 and n_s:
        s = min(step_beds, left)
        trial = cur[live, None] + s * M[live]
        low = trial.min(axis=0)
        mean = (trial * E[live, None]).sum(axis=0)
        j = int(np.lexsort((-mean, -low))[0])
        if M[:, j].sum() <= 0:
            break
        cur = cur + s * M[:, j]
        added[access.site_ids[j]] = added.get(access.site_ids[j], 0) + s
        left -= s
    return BedAllocation(added, before, pd.Series(cur, index=names))
