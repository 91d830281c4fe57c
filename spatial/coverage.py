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

from layers.crs import require_crs
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
    """Finds the polygon containing points (first match by row order; ``-1`` when none does)."""

    def __init__(self, polygons: NDArray[np.object_]) -> None:
        self._n = len(polygons)
        self._tree = shapely.STRtree(polygons) if self._n else None

    def locate(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int64]:
        out = np.full(np.asarray(x).shape[0], -1, dtype=np.int64)
        if out.size == 0 or self._tree is None:
            return out
        pts, polys = self._tree.query(shapely.points(x, y), predicate="intersects")
        order = np.lexsort((polys, pts))
        pts, polys = pts[order], polys[order]
        first = np.ones(pts.size, dtype=bool)
        first[1:] = pts[1:] != pts[:-1]
        out[pts[first]] = polys[first]
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
    polys = townships.geometry.to_crs(net.crs).to_numpy()
    mid_x = (net.x[net.u] + net.x[net.v]) / 2.0
    mid_y = (net.y[net.u] + net.y[net.v]) / 2.0
    edge_town = locate_in_polygons(mid_x, mid_y, polys)
    n_town = len(townships)
    if population is not None and len(population) > 0:
        require_crs(population, what="population layer")
        pts = population.geometry.to_crs(net.crs)
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
