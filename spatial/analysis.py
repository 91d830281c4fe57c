"""The service-circle analysis as one unit: declared inputs and parameters in, a result out.

``run_analysis(inputs, params, feedback=...)`` is what the CLI, the GUI worker and the tests call.
:class:`ServiceCircles` keeps one reach per facility so that an edit recomputes one circle only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from layers.crs import WGS84, require_crs
from layers.errors import InputError

from .coverage import Demand, PolygonLocator, build_demand, covered_by_township, locate_in_polygons, points_covered
from .feedback import Feedback
from .indicators import FACILITY_TYPES, StandardProfile, TownshipTypeFigures, flags_for
from .isochrones import (
    DistanceField,
    Reach,
    band_polygons,
    circle_polygons,
    minutes_to_m,
    positions_along,
    reach_from,
    Samples,
)
from .network import WalkNetwork, islands, snap_points

#: facility statuses that take part in the analysis ("to_close" ones are left out)
ACTIVE_STATUS = ("existing", "planned")


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters of the service-circle analysis (units in the names)."""

    profile: StandardProfile
    minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
    speed_kmh: float = 3.6
    buffer_m: float = 50.0
    cell_m: float = 10.0
    gap_cell_m: float = 25.0
    #: how far around an uncovered home (street position or village point) a gap area extends
    gap_buffer_m: float = 100.0

    def __post_init__(self) -> None:
        if not self.minutes or any(m <= 0 for m in self.minutes):
            raise ValueError("minutes bands must be positive numbers")
        if list(self.minutes) != sorted(set(self.minutes)):
            object.__setattr__(self, "minutes", tuple(sorted(set(float(m) for m in self.minutes))))
        if not 0.1 <= self.speed_kmh <= 10.0:
            raise ValueError("speed_kmh must be a walking speed (0.1–10 km/h)")
        if self.buffer_m < 0 or self.gap_buffer_m < 0 or self.cell_m <= 0 or self.gap_cell_m <= 0:
            raise ValueError("buffer_m must be >= 0, cell sizes > 0")

    @property
    def limits_m(self) -> NDArray[np.float64]:
        return minutes_to_m(self.minutes, speed_kmh=self.speed_kmh)

    @property
    def coverage_m(self) -> float:
        return float(minutes_to_m(self.profile.coverage_minutes, speed_kmh=self.speed_kmh))

    @property
    def max_m(self) -> float:
        return float(max(self.limits_m.max(), self.coverage_m))


@dataclass(frozen=True)
class AnalysisInputs:
    """The layers an analysis needs. ``facilities`` as read by :func:`layers.facilities.read_facilities`
    (``fid``, ``name``, ``type``, ``beds``, ``nursing_beds``, ``status``, points)."""

    network: WalkNetwork
    townships: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    population: gpd.GeoDataFrame | None = None
    communities: gpd.GeoDataFrame | None = None


@dataclass
class FacilityState:
    fid: str
    name: str
    type: str
    beds: int
    nursing_beds: int
    status: str
    x: float
    y: float
    township: int
    reach: Reach


class ServiceCircles:
    """Per-facility reaches on one network, kept up to date edit by edit.

    Coordinates are in the network's metric CRS. Editing one facility recomputes its reach alone; the
    merged field of its type is rebuilt from the cached reaches (cheap array minimums).
    """

    def __init__(self, net: WalkNetwork, *, max_m: float, township_polygons: NDArray[np.object_]) -> None:
        self.net = net
        self.max_m = float(max_m)
        self._towns = PolygonLocator(township_polygons)
        self.facilities: dict[str, FacilityState] = {}
        self._fields: dict[str, DistanceField] = {}

    # -- editing ---------------------------------------------------------------------------------
    def set_facility(
        self,
        fid: str,
        *,
        x: float,
        y: float,
        type: str,
        name: str = "",
        beds: int = 0,
        nursing_beds: int = 0,
        status: str = "existing",
    ) -> FacilityState:
        """Add or replace (move) one facility and compute its reach; the others are untouched."""
        (state,) = self.set_many([fid], x=[x], y=[y], type=[type], name=[name], beds=[beds],
                                 nursing_beds=[nursing_beds], status=[status])
        return state

    def set_many(
        self,
        fids: Sequence[str],
        *,
        x: Sequence[float],
        y: Sequence[float],
        type: Sequence[str],
        name: Sequence[str],
        beds: Sequence[int],
        nursing_beds: Sequence[int],
        status: Sequence[str],
        feedback: Feedback | None = None,
    ) -> list[FacilityState]:
        """Add or replace several facilities (snapped and located in one batch)."""
        bad = sorted({t for t in type if t not in FACILITY_TYPES})
        if bad:
            raise ValueError(f"unknown facility type {bad[0]!r}")
        xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        snap = snap_points(self.net, x=xs, y=ys)
        towns = self._towns.locate(xs, ys)
        out = []
        for i, fid in enumerate(fids):
            if feedback is not None and i % 10 == 0:
                feedback.progress(i / len(fids), "walking circles")
            reach = reach_from(self.net, edge=int(snap.edge[i]), offset_m=float(snap.offset_m[i]),
                               access_m=float(snap.access_m[i]), max_m=self.max_m)
            old = self.facilities.get(fid)
            if old is not None:
                self._invalidate(old.type)
            state = FacilityState(fid, str(name[i]), type[i], int(beds[i]), int(nursing_beds[i]), str(status[i]),
                                  float(xs[i]), float(ys[i]), int(towns[i]), reach)
            self.facilities[fid] = state
            self._invalidate(state.type)
            out.append(state)
        return out

    def update_attributes(self, fid: str, **attrs: object) -> FacilityState:
        """Change attributes that do not move the facility (name, beds, status, type)."""
        st = self.facilities[fid]
        old_type = st.type
        for k, v in attrs.items():
            if k not in ("name", "beds", "nursing_beds", "status", "type"):
                raise ValueError(f"cannot set {k!r}; move a facility with set_facility")
            setattr(st, k, v)
        self._invalidate(old_type)
        self._invalidate(st.type)
        return st

    def remove_facility(self, fid: str) -> None:
        st = self.facilities.pop(fid)
        self._invalidate(st.type)

    def _invalidate(self, type_: str) -> None:
        self._fields.pop(type_, None)

    # -- queries ---------------------------------------------------------------------------------
    def active(self, type_: str) -> list[FacilityState]:
        return [f for f in self.facilities.values() if f.type == type_ and f.status in ACTIVE_STATUS]

    def field(self, type_: str) -> DistanceField:
        """Walking distance to the nearest active facility of ``type_`` (merged circle)."""
        if type_ not in self._fields:
            self._fields[type_] = DistanceField.from_reaches(self.net, (f.reach for f in self.active(type_)))
        return self._fields[type_]


@dataclass
class AnalysisResult:
    """Everything an analysis produces. Geometries of the frames are in EPSG:4326."""

    params: AnalysisParams
    figures: list[TownshipTypeFigures]
    isochrones: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    islands: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    facility_circles: gpd.GeoDataFrame | None = None
    #: the analysis state, kept so that edits can be applied incrementally (see projects.live)
    model: "CoverageModel | None" = field(default=None, repr=False)

    def coverage_frame(self) -> pd.DataFrame:
        return coverage_frame(self.figures)

    def indicators_frame(self) -> pd.DataFrame:
        return indicators_frame(self.figures)


COVERAGE_COLUMNS = [
    "township", "type", "elderly", "elderly_covered", "covered_share", "facilities", "beds", "nursing_beds",
    "beds_per_1000", "nursing_share", "flags",
]


def coverage_frame(figures: Sequence[TownshipTypeFigures]) -> pd.DataFrame:
    """One row per township x facility type, the columns of ``coverage.csv``."""
    rows = [
        {
            "township": f.township,
            "type": f.type,
            "elderly": round(f.elderly, 1),
            "elderly_covered": round(f.elderly_covered, 1),
            "covered_share": _round(f.covered_share, 4),
            "facilities": f.facilities,
            "beds": f.beds,
            "nursing_beds": f.nursing_beds,
            "beds_per_1000": _round(f.beds_per_1000, 2),
            "nursing_share": _round(f.nursing_share, 4),
            "flags": ";".join(fl.name for fl in f.flags),
        }
        for f in figures
    ]
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def indicators_frame(figures: Sequence[TownshipTypeFigures]) -> pd.DataFrame:
    """The numbers behind each flag: township, type, flag, indicator, target, actual, gap."""
    rows = [
        {
            "township": f.township,
            "type": f.type,
            "flag": fl.name,
            "indicator": fl.indicator,
            "target": _round(fl.target, 4),
            "actual": _round(fl.actual, 4),
            "gap": _round(fl.gap, 4),
        }
        for f in figures
        for fl in f.flags
    ]
    return pd.DataFrame(rows, columns=["township", "type", "flag", "indicator", "target", "actual", "gap"])


def _round(v: float, nd: int) -> float:
    return round(v, nd) if not math.isnan(v) else math.nan


class CoverageModel:
    """The whole analysis state: network, demand, circles; recomputes figures after edits."""

    def __init__(self, inputs: AnalysisInputs, params: AnalysisParams) -> None:
        require_crs(inputs.townships, what="township layer")
        if "name" not in inputs.townships.columns:
            raise InputError("the township layer needs a name (名称) column")
        self.inputs = inputs
        self.params = params
        net = inputs.network
        self.net = net
        self.township_names = [str(n) for n in inputs.townships["name"]]
        self.township_polys = inputs.townships.geometry.to_crs(net.crs).to_numpy()
        self.demand: Demand = build_demand(net, inputs.townships, population=inputs.population)
        self.circles = ServiceCircles(net, max_m=params.max_m, township_polygons=self.township_polys)
        self.urban_snaps = None
        self.urban_township = np.zeros(0, np.int64)
        if inputs.communities is not None and len(inputs.communities):
            com = inputs.communities
            require_crs(com, what="community layer")
            urban = com[com["kind"] == "urban"] if "kind" in com.columns else com.iloc[0:0]
            pts = urban.geometry.to_crs(net.crs)
            self.urban_snaps = snap_points(net, x=pts.x.to_numpy(), y=pts.y.to_numpy())
            self.urban_township = locate_in_polygons(pts.x.to_numpy(), pts.y.to_numpy(), self.township_polys)

    # -- facilities ------------------------------------------------------------------------------
    def load_facilities(self, facilities: gpd.GeoDataFrame, *, feedback: Feedback | None = None) -> None:
        require_crs(facilities, what="facility layer")
        pts = facilities.geometry.to_crs(self.net.crs)
        self.circles.set_many(
            [str(f) for f in facilities["fid"]], x=pts.x.to_numpy(), y=pts.y.to_numpy(),
            type=list(facilities["type"]), name=list(facilities["name"]), beds=list(facilities["beds"]),
            nursing_beds=list(facilities["nursing_beds"]), status=list(facilities["status"]), feedback=feedback,
        )

    # -- results ---------------------------------------------------------------------------------
    def figures(self) -> list[TownshipTypeFigures]:
        """Per township and type: elderly, covered within the profile's minutes, facilities, beds, flags."""
        lim = self.params.coverage_m
        n_town = len(self.township_names)
        out: list[TownshipTypeFigures] = []
        per_type = {}
        none = np.zeros(n_town, np.int64)
        urban_total = np.bincount(self.urban_township[self.urban_township >= 0], minlength=n_town)
        for t in FACILITY_TYPES:
            fld = self.circles.field(t)
            covered = covered_by_township(self.net, self.demand, fld, limit_m=lim)
            count = np.zeros(n_town, np.int64)
            beds = np.zeros(n_town, np.int64)
            nbeds = np.zeros(n_town, np.int64)
            for f in self.circles.active(t):
                if f.township >= 0:
                    count[f.township] += 1
                    beds[f.township] += f.beds
                    nbeds[f.township] += f.nursing_beds
            unreached = none
            if t == "meal_point" and self.urban_snaps is not None and len(self.urban_snaps):
                ok = points_covered(self.net, fld, self.urban_snaps, limit_m=lim)
                m = (self.urban_township >= 0) & ~ok
                unreached = np.bincount(self.urban_township[m], minlength=n_town)
            # urban communities count only for meal points (the plans' "meal point for every community")
            per_type[t] = (covered, count, beds, nbeds, urban_total if t == "meal_point" else none, unreached)
        for i, name in enumerate(self.township_names):
            for t in FACILITY_TYPES:
                covered, count, beds, nbeds, urban_total, unreached = per_type[t]
                fig = TownshipTypeFigures(
                    township=name, type=t, elderly=float(self.demand.township_total[i]),
                    elderly_covered=float(min(covered[i], self.demand.township_total[i])),
                    facilities=int(count[i]), beds=int(beds[i]), nursing_beds=int(nbeds[i]),
                    urban_communities=int(urban_total[i]), urban_communities_unreached=int(unreached[i]),
                )
                out.append(replace(fig, flags=flags_for(fig, self.params.profile)))
        return out

    def type_circles(self, type_: str) -> list[shapely.Geometry]:
        """Merged circle polygons of one type, one per minutes band (metric CRS)."""
        reaches = [f.reach for f in self.circles.active(type_)]
        return circle_polygons(self.net, reaches, limits_m=self.params.limits_m, buffer_m=self.params.buffer_m, cell_m=self.params.cell_m)

    def facility_circle(self, fid: str) -> list[shapely.Geometry]:
        """One facility's circle polygons, one per minutes band (metric CRS)."""
        st = self.circles.facilities[fid]
        return circle_polygons(self.net, [st.reach], limits_m=self.params.limits_m, buffer_m=self.params.buffer_m, cell_m=self.params.cell_m)

    def gap_areas(self, type_: str) -> gpd.GeoDataFrame:
        """Populated places outside every circle of ``type_`` (at the profile's minutes), per township,
        with the elderly count inside (metric CRS)."""
        net, dem = self.net, self.demand
        lim = self.params.coverage_m
        fld = self.circles.field(type_)
        step = self.params.gap_cell_m * 0.5
        xs, ys, ws, ts = [], [], [], []
        populated = np.nonzero(dem.edge_weight > 0)[0]
        if populated.size:
            L = net.length_m[populated]
            j, pos = positions_along(L, step_m=step, centred=True)
            edge = populated[j]
            out = fld.at(net, edge=edge, offset_m=pos) > lim
            uncovered_len = L - fld.covered_length_m(net, limit_m=lim)[populated]
            n_out = np.bincount(j[out], minlength=populated.size)
            w_per = np.divide(dem.edge_weight[populated] * uncovered_len / L, n_out, out=np.zeros(populated.size), where=n_out > 0)
            x, y = net.edge_point(edge[out], pos[out])
            xs.append(x), ys.append(y)
            ws.append(w_per[j[out]]), ts.append(dem.edge_township[edge[out]])
        if len(dem.points):
            out = ~points_covered(net, fld, dem.points, limit_m=lim)
            x, y = net.edge_point(dem.points.edge[out], dem.points.offset_m[out])
            xs.append(np.asarray(x)), ys.append(np.asarray(y))
            ws.append(dem.point_weight[out]), ts.append(dem.point_township[out])
        cols = ["type", "township", "elderly", "area_ha", "geometry"]
        if not xs or sum(a.size for a in xs) == 0:
            return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=net.crs)
        x, y, w, t = (np.concatenate(a) for a in (xs, ys, ws, ts))
        samples = Samples(x, y, np.zeros(x.size, np.uint8))
        (area,) = band_polygons(samples, n_bands=1, buffer_m=max(self.params.gap_buffer_m, self.params.gap_cell_m),
                                cell_m=self.params.gap_cell_m)
        rows = []
        for ti, poly in enumerate(self.township_polys):
            piece = shapely.intersection(area, poly)
            if piece.is_empty:
                continue
            left = np.nonzero(t == ti)[0]
            for part in shapely.get_parts(piece):
                if shapely.get_type_id(part) != 3:
                    continue
                inside = shapely.intersects_xy(part, x[left], y[left])
                elderly = float(w[left[inside]].sum())
                left = left[~inside]
                if elderly >= 0.5:
                    rows.append({"type": type_, "township": self.township_names[ti], "elderly": round(elderly, 1),
                                 "area_ha": round(part.area / 1e4, 2), "geometry": part})
        return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=net.crs)


def run_analysis(inputs: AnalysisInputs, params: AnalysisParams, *, feedback: Feedback | None = None,
                 facility_circles: bool = True) -> AnalysisResult:
    """Walking circles, coverage per township and type, flags against the profile, and gap areas."""
    fb = feedback or Feedback()
    fb.progress(0.0, "demand")
    model = CoverageModel(inputs, params)
    fb.progress(0.05, "walking circles")
    model.load_facilities(inputs.facilities, feedback=_Scaled(fb, 0.05, 0.45))
    fb.progress(0.45, "coverage")
    figures = model.figures()
    fb.progress(0.5, "circle polygons")
    iso_rows = []
    for i, t in enumerate(FACILITY_TYPES):
        fb.progress(0.5 + 0.1 * i, f"circle polygons: {t}")
        for minutes, poly in zip(params.minutes, model.type_circles(t)):
            if not poly.is_empty:
                iso_rows.append({"type": t, "minutes": float(minutes), "geometry": poly})
    iso = gpd.GeoDataFrame(iso_rows, columns=["type", "minutes", "geometry"], geometry="geometry", crs=model.net.crs)
    fac_iso = None
    if facility_circles:
        rows = []
        for i, (fid, st) in enumerate(model.circles.facilities.items()):
            if i % 5 == 0:
                fb.progress(0.8 + 0.1 * i / max(len(model.circles.facilities), 1), "facility circles")
            for minutes, poly in zip(params.minutes, model.facility_circle(fid)):
                if not poly.is_empty:
                    rows.append({"facility_id": fid, "name": st.name, "type": st.type, "status": st.status, "minutes": float(minutes), "geometry": poly})
        fac_iso = gpd.GeoDataFrame(rows, columns=["facility_id", "name", "type", "status", "minutes", "geometry"], geometry="geometry", crs=model.net.crs).to_crs(WGS84)
    fb.progress(0.9, "gap areas")
    gaps = pd.concat([model.gap_areas(t) for t in FACILITY_TYPES], ignore_index=True)
    gaps = gpd.GeoDataFrame(gaps, geometry="geometry", crs=model.net.crs)
    warnings = _warnings(model)
    for w in warnings:
        fb.message(w)
    fb.progress(1.0, "done")
    return AnalysisResult(
        params=params, figures=figures, isochrones=iso.to_crs(WGS84), gaps=gaps.to_crs(WGS84),
        islands=islands(model.net), warnings=warnings, facility_circles=fac_iso, model=model,
    )


def _warnings(model: CoverageModel) -> list[str]:
    out = []
    net = model.net
    isl = islands(net)
    if len(isl):
        out.append(f"the road network has {len(isl)} islands (fragments not joined to the main network, "
                   f"{int(isl['nodes'].sum())} nodes); people and facilities on them reach only their own fragment")
    comp = net.component
    for f in model.circles.facilities.values():
        e = f.reach.edge
        if e >= 0 and comp[net.u[e]] != 0:
            out.append(f"facility {f.name} ({f.fid}) lies on an island of {int((comp == comp[net.u[e]]).sum())} nodes; its circle stays on that island")
        if f.reach.access_m > 300:
            out.append(f"facility {f.name} ({f.fid}) is {f.reach.access_m:.0f} m from the nearest walkable road")
        if f.township < 0:
            out.append(f"facility {f.name} ({f.fid}) lies outside every township")
    unplaced = [model.township_names[i] for i in range(len(model.township_names))
                if model.demand.township_total[i] > 0 and model.demand.edge_weight.any()
                and not np.any((model.demand.edge_township == i) & (model.demand.edge_weight > 0))]
    for name in unplaced:
        out.append(f"township {name} has elderly people but no roads; none of them can be covered")
    return out


class _Scaled(Feedback):
    """Maps a sub-step's 0..1 progress into a slice of the parent's."""

    def __init__(self, parent: Feedback, lo: float, hi: float) -> None:
        super().__init__()
        self._parent, self._lo, self._hi = parent, lo, hi

    def progress(self, fraction: float, step: str = "") -> None:
        self._parent.progress(self._lo + (self._hi - self._lo) * fraction, step)

    @property
    def cancelled(self) -> bool:
        return self._parent.cancelled
