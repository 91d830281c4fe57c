"""The service-circle analysis as one unit: declared inputs and parameters in, a result out.

``run_analysis(inputs, params, feedback=...)`` is what the CLI, the GUI worker and the tests call.
:class:`ServiceCircles` keeps one reach per facility so that an edit recomputes one circle only.
"""
from __future__ import annotations

import math
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from affine import Affine
from scipy.spatial import cKDTree

from layers.classes import BASELINE_STATUSES, SCENARIO_STATUSES, ClassRegistry, registry
from layers.crs import WGS84, reproject_frame, reproject_series, reproject_xy, require_crs
from layers.facilities import Facility
from layers.errors import AnalysisCancelled, InputError

from .coverage import (
    Chains,
    Demand,
    NearestSources,
    PolygonLocator,
    build_demand,
    chains_of,
    covered_by_township,
    locate_in_polygons,
    nearest_sources,
    points_covered,
)
from .feedback import Feedback, Scaled
from .indicators import Flag, StandardProfile, TownshipTypeFigures
from .targets import (
    BASIS_LABELS,
    ELDERLY_BASES,
    TARGET_COLUMNS,
    TargetRow,
    UnitFacts,
    county_label,
    evaluate_targets,
    target_label,
)
from .isochrones import (
    DistanceField,
    Reach,
    circle_polygons,
    facility_circle_polygons,
    minutes_to_m,
    positions_along,
    reach_from,
    disk_min_filter,
)
from .network import WalkNetwork, islands, make_search_structures, noding_note, snap_points
from .gaps import GridParts, class_parts, grid_parts
from .polygonize import Project
from layers.townships import is_street

#: facility statuses that can take part in an analysis ("to_close" ones never do); which of them a run
#: counts is :attr:`AnalysisParams.statuses`: the baseline (现状) what exists, a plan scenario both
ACTIVE_STATUS = SCENARIO_STATUSES


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
    #: the facility statuses this run counts: ("existing",) for the baseline 现状, ("existing", "planned") for a plan
    statuses: tuple[str, ...] = BASELINE_STATUSES
    #: the elderly head count the data hold: "resident" (常住, as the census counts) or "registered" (户籍)
    elderly_basis: str = "resident"
    #: the county's or city's name (如皋市): county totals are labelled 全市 / 全县 / 全区 after it
    area_name: str = ""
    #: the facility classes (names, levels, which beds count)
    classes: ClassRegistry = field(default_factory=registry, compare=False)

    def __post_init__(self) -> None:
        statuses = tuple(dict.fromkeys(self.statuses))
        if not statuses or any(s not in SCENARIO_STATUSES for s in statuses):
            raise ValueError(f"statuses must be taken from {', '.join(SCENARIO_STATUSES)} (to_close ones never count)")
        object.__setattr__(self, "statuses", statuses)
        if self.elderly_basis not in ELDERLY_BASES:
            raise ValueError(f"elderly_basis must be one of {', '.join(ELDERLY_BASES)}")
        missing = sorted({c for t in self.profile.targets for c in t.classes} - set(self.classes.ids))
        if missing:
            raise ValueError(f"the profile names facility classes the registry lacks: {', '.join(missing)}")
        if not self.minutes or any(not (math.isfinite(m) and m > 0) for m in self.minutes):
            raise ValueError("minutes bands must be positive numbers")
        if list(self.minutes) != sorted(set(self.minutes)):
            object.__setattr__(self, "minutes", tuple(sorted(set(float(m) for m in self.minutes))))
        for name in ("speed_kmh", "buffer_m", "cell_m", "gap_cell_m", "gap_buffer_m"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a number, not {getattr(self, name)}")
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
        reach = [float(minutes_to_m(m, speed_kmh=self.speed_kmh)) for m in self.profile.reach_minutes]
        return float(max(self.limits_m.max(), self.coverage_m, *reach))

    @property
    def county_label(self) -> str:
        return county_label(self.area_name)

    def counted_text(self) -> str:
        """Which statuses the run counts, and the elderly basis, in one line for notes and exports."""
        names = "、".join(self.classes.status_label(s) for s in self.statuses)
        return f"计入设施状态：{names}；老年人口口径：{BASIS_LABELS[self.elderly_basis]}"


@dataclass(frozen=True)
class AnalysisInputs:
    """The layers an analysis needs. ``facilities`` as read by :func:`layers.facilities.read_facilities`
    (``fid``, ``name``, ``type``, ``beds``, ``nursing_beds``, ``status``, points)."""

    network: WalkNetwork
    townships: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    population: gpd.GeoDataFrame | None = None
    communities: gpd.GeoDataFrame | None = None
    #: what reading and checking the layers found (inferred CRSs, skipped rows, duplicates, a likely
    #: GCJ-02 shift); the analysis lists them first among its warnings
    notes: tuple[str, ...] = ()
    #: the road lines the network was built from (kept so a project stores them, levels included)
    roads: gpd.GeoDataFrame | None = None


@dataclass
class FacilityState:
    """A facility (the plan's own record, :class:`layers.facilities.Facility`) with what the analysis
    adds: the township it stands in and its walking reach."""

    facility: Facility
    township: int
    reach: Reach

    fid = property(lambda self: self.facility.fid)
    name = property(lambda self: self.facility.name)
    type = property(lambda self: self.facility.type)
    beds = property(lambda self: self.facility.beds)
    nursing_beds = property(lambda self: self.facility.nursing_beds)
    status = property(lambda self: self.facility.status)
    x = property(lambda self: self.facility.x)
    y = property(lambda self: self.facility.y)


class ServiceCircles:
    """Per-facility reaches on one network, kept up to date edit by edit.

    Coordinates are in the network's metric CRS. Editing one facility recomputes its reach alone; the
    merged field of its type is rebuilt from the cached reaches (cheap array minimums).
    """

    def __init__(self, net: WalkNetwork, *, max_m: float, township_polygons: NDArray[np.object_],
                 classes: ClassRegistry | None = None, statuses: Sequence[str] = BASELINE_STATUSES) -> None:
        self.net = net
        self.classes = classes if classes is not None else registry()
        self.statuses = tuple(statuses)
        self.max_m = float(max_m)
        self._towns = PolygonLocator(township_polygons)
        self.facilities: dict[str, FacilityState] = {}
        self._fields: dict[str, DistanceField] = {}
        #: per class: the nearest counted facility at every node, unbounded (see :meth:`nearest`)
        self._nearest: dict[str, tuple[NearestSources, tuple[FacilityState, ...]]] = {}
        self._chains: Chains | None = None  # the network's chains merged, made on first use

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
        bad = sorted({t for t in type if t not in self.classes})
        if bad:
            raise ValueError(f"unknown facility class {bad[0]!r}; the registry has {', '.join(self.classes.ids)}")
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
            fac = Facility(str(fid), str(name[i]), str(type[i]), int(beds[i]), int(nursing_beds[i]), str(status[i]),
                           float(xs[i]), float(ys[i]))
            state = FacilityState(fac, int(towns[i]), reach)
            self.facilities[fid] = state
            self._invalidate(state.type)
            out.append(state)
        return out

    def update_attributes(self, fid: str, **attrs: object) -> FacilityState:
        """Change attributes that do not move the facility (name, beds, status, type)."""
        st = self.facilities[fid]
        old_type = st.type
        bad = sorted(set(attrs) - {"name", "beds", "nursing_beds", "status", "type"})
        if bad:
            raise ValueError(f"cannot set {bad[0]!r}; move a facility with set_facility")
        st.facility = replace(st.facility, **attrs)
        self._invalidate(old_type)
        self._invalidate(st.type)
        return st

    def remove_facility(self, fid: str) -> None:
        st = self.facilities.pop(fid)
        self._invalidate(st.type)

    def _invalidate(self, type_: str) -> None:
        self._fields.pop(type_, None)
        self._nearest.pop(type_, None)
        for key in [k for k in self._fields if isinstance(k, tuple) and type_ in k]:
            del self._fields[key]

    def set_statuses(self, statuses: Sequence[str]) -> None:
        """Count these statuses from now on (the baseline counts existing ones; a plan scenario both)."""
        statuses = tuple(statuses)
        if statuses != self.statuses:
            self.statuses = statuses
            self._fields.clear()
            self._nearest.clear()

    # -- queries ---------------------------------------------------------------------------------
    def counts(self, status: str) -> bool:
        return status in self.statuses

    def active(self, type_: str) -> list[FacilityState]:
        return [f for f in self.facilities.values() if f.type == type_ and f.status in self.statuses]

    def counted(self) -> list[FacilityState]:
        """Every facility the run counts, of any class."""
        return [f for f in self.facilities.values() if f.status in self.statuses]

    def field(self, type_: str | tuple[str, ...]) -> DistanceField:
        """Walking distance to the nearest counted facility of ``type_`` (a class, or any of several)."""
        if isinstance(type_, tuple) and len(type_) == 1:
            type_ = type_[0]
        if type_ not in self._fields:
            types = (type_,) if isinstance(type_, str) else type_
            reaches = (f.reach for f in self.facilities.values() if f.type in types and f.status in self.statuses)
            self._fields[type_] = DistanceField.from_reaches(self.net, reaches)
        return self._fields[type_]

    def nearest(self, type_: str) -> tuple[NearestSources, tuple[FacilityState, ...]]:
        """The nearest counted facility of class ``type_`` from anywhere on the network, with no walking
        limit, and the facilities its source indices refer to (one search of the merged chains, about a
        millisecond for a county, kept until the class is edited)."""
        if type_ not in self._nearest:
            facs = tuple(self.active(type_))
            if self._chains is None:
                self._chains = chains_of(self.net)
            near = nearest_sources(self.net, edge=np.array([f.reach.edge for f in facs], np.int64),
                                   offset_m=np.array([f.reach.offset_m for f in facs], float),
                                   access_m=np.array([f.reach.access_m for f in facs], float), chains=self._chains)
            self._nearest[type_] = (near, facs)
        return self._nearest[type_]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything an analysis produces, for one plan state; never patched (an edit makes a new one, see
    :class:`projects.document.Document`). Geometries of the frames are in EPSG:4326. ``pending``: classes
    whose merged circles and gap areas still show the state before the last edit (a quick result shown
    while they are recomputed); exports take complete results only."""

    params: AnalysisParams
    figures: list[TownshipTypeFigures]
    isochrones: gpd.GeoDataFrame
    #: None only when :func:`run_analysis` handed them to a ``gaps_sink`` (the command line writes them from
    #: another process); never in the window or an export
    gaps: gpd.GeoDataFrame | None
    islands: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    #: the rows behind grouped facility warnings (see :func:`warning_details`), for warnings.csv
    warning_details: pd.DataFrame | None = None
    facility_circles: gpd.GeoDataFrame | None = None
    #: every target of the profile in every unit (county rows first)
    targets: list[TargetRow] = field(default_factory=list)
    #: the analysis state, kept so that edits can be applied incrementally (see projects.live)
    model: "CoverageModel | None" = field(default=None, repr=False, compare=False)
    pending: frozenset[str] = frozenset()
    #: per class, the communities and villages outside its circle (:data:`NAMED_GAP_COLUMNS`, see
    #: :meth:`CoverageModel.named_gaps`); made from ``model`` when the result is built without it, so a
    #: result of a live edit lists the gaps of its own plan state (a lookup on the communities' positions)
    named_gaps: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.named_gaps is None:
            frame = self.model.named_gaps() if self.model is not None else empty_named_gaps()
            object.__setattr__(self, "named_gaps", frame)

    def coverage_frame(self) -> pd.DataFrame:
        return coverage_frame(self.figures, total_label=TOTAL_ROW)

    def indicators_frame(self) -> pd.DataFrame:
        return indicators_frame(self.targets)

    def targets_frame(self) -> pd.DataFrame:
        return targets_frame(self.targets)

    def flags_frame(self) -> pd.DataFrame:
        return flags_frame(self.figures)


#: the columns of :attr:`AnalysisResult.named_gaps`: class, the community's row in the community layer,
#: name, kind (urban | village), township (None outside every township), elderly (nullable integer: missing
#: stays missing), the nearest counted facility of the class (id and name; None when none is reachable) and
#: the walking distance to it in metres (NaN when unreachable), the community's position in WGS 84
NAMED_GAP_COLUMNS = ["type", "unit", "name", "kind", "township", "elderly", "nearest_id", "nearest_facility", "walk_m",
                     "lon", "lat"]


def empty_named_gaps() -> pd.DataFrame:
    """A named-gap frame with no rows (no community layer, or every community covered)."""
    return pd.DataFrame({
        "type": pd.Series([], dtype=object), "unit": pd.Series([], dtype=np.int64), "name": pd.Series([], dtype=object),
        "kind": pd.Series([], dtype=object), "township": pd.Series([], dtype=object),
        "elderly": pd.Series([], dtype="Int64"), "nearest_id": pd.Series([], dtype=object),
        "nearest_facility": pd.Series([], dtype=object), "walk_m": pd.Series([], dtype=float),
        "lon": pd.Series([], dtype=float), "lat": pd.Series([], dtype=float),
    })[NAMED_GAP_COLUMNS]


COVERAGE_COLUMNS = [
    "township", "type", "elderly", "elderly_covered", "covered_share", "facilities", "beds", "nursing_beds",
    "beds_per_1000", "nursing_share", "flags",
]
#: the township cell of coverage.csv's total row per class
TOTAL_ROW = "合计"


#: people columns of ``coverage.csv``: whole persons (see :func:`whole_people`)
PEOPLE_COLUMNS = ("elderly", "elderly_covered")


def coverage_frame(figures: Sequence[TownshipTypeFigures], *, total_label: str | None = None) -> pd.DataFrame:
    """One row per township x facility class, the columns of ``coverage.csv``; with ``total_label`` one
    total row per class after the townships.

    People (``elderly``, ``elderly_covered``) are whole persons, rounded here from the engine's figures
    (which stay fractional: people spread along streets are covered in part): per class, the townships are
    rounded by :func:`whole_people` so that they add up to the rounded county figure, and the total row is
    their sum — the 合计 always equals the sum of the rows above it, and each row is within one person of
    its exact figure. A township whose figure is missing (NaN) stays missing and leaves the total missing:
    never a partial sum shown as a total. Shares and beds per 1,000 come from the exact figures."""
    rows = [_coverage_row(f) for f in figures]
    by_type: dict[str, list[int]] = {}
    for i, f in enumerate(figures):
        by_type.setdefault(f.type, []).append(i)
    totals = []
    for t, idx in by_type.items():
        people = {}
        for col, attr in zip(PEOPLE_COLUMNS, ("elderly", "elderly_covered")):
            people[col] = whole_people(np.array([getattr(figures[i], attr) for i in idx], float))
        people["elderly_covered"] = np.minimum(people["elderly_covered"], people["elderly"])  # NaN stays NaN
        for col, values in people.items():
            for i, v in zip(idx, values):
                rows[i][col] = v
        if total_label is not None:
            figs = [figures[i] for i in idx]
            total = TownshipTypeFigures(
                township=total_label, type=t, elderly=float(sum(f.elderly for f in figs)),
                elderly_covered=float(sum(f.elderly_covered for f in figs)),
                facilities=sum(f.facilities for f in figs), beds=sum(f.beds for f in figs),
                nursing_beds=sum(f.nursing_beds for f in figs),
            )
            row = _coverage_row(total)
            for col, values in people.items():
                row[col] = float(values.sum())  # NaN when any township is missing
            totals.append(row)
    frame = pd.DataFrame(rows + totals, columns=COVERAGE_COLUMNS)
    for col in PEOPLE_COLUMNS:
        values = frame[col].to_numpy(dtype=float)
        if np.isfinite(values).all():
            frame[col] = values.astype(np.int64)
    return frame


def whole_people(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fractional head counts as whole persons that add up to the rounded sum (largest-remainder rounding:
    every value is rounded down, then the largest remainders rounded up until the sum is right; ties in
    order). NaN values stay NaN and are rounded half-up one by one (their sum is missing anyway)."""
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, np.nan)
    ok = np.isfinite(v)
    if not ok.all():
        out[ok] = np.floor(v[ok] + 0.5)
        return out
    if v.size == 0:
        return out
    low = np.floor(v)
    short = int(np.floor(v.sum() + 0.5) - low.sum())
    if short > 0:
        rest = v - low
        up = np.argsort(-rest, kind="stable")[:short]
        low[up] += 1.0
    return low


def _coverage_row(f: TownshipTypeFigures) -> dict:
    return {
        "township": f.township,
        "type": f.type,
        "elderly": float(f.elderly),
        "elderly_covered": float(f.elderly_covered),
        "covered_share": _round(f.covered_share, 4),
        "facilities": f.facilities,
        "beds": f.beds,
        "nursing_beds": f.nursing_beds,
        "beds_per_1000": _round(f.beds_per_1000, 2),
        "nursing_share": _round(f.nursing_share, 4),
        "flags": ";".join(fl.name for fl in f.flags),
    }


def targets_frame(rows: Sequence[TargetRow]) -> pd.DataFrame:
    """The rows of ``targets.csv``: ``target_id, level, unit, indicator, target, actual, met, gap, source``;
    ``gap`` is positive for a shortfall, 0 when met, empty when the actual figure is unknown."""
    return pd.DataFrame(
        [{"target_id": r.target_id, "level": r.level, "unit": r.unit, "indicator": r.indicator,
          "target": _round(r.target, 4), "actual": _round(r.actual, 4), "met": bool(r.met),
          "gap": _round(r.gap, 4), "source": r.source} for r in rows],
        columns=TARGET_COLUMNS,
    )


FLAG_COLUMNS = ["township", "type", "flag", "indicator", "target", "actual", "gap", "label"]


def flags_frame(figures: Sequence[TownshipTypeFigures]) -> pd.DataFrame:
    """The numbers behind each township flag: township, type, flag (target id), indicator, target, actual,
    gap (positive for a shortfall) and the target's label. ``units_met``: target = communities/villages of
    the township, actual = those that meet it."""
    rows = [{"township": f.township, "type": f.type, "flag": fl.name, "indicator": fl.indicator,
             "target": _round(fl.target, 4), "actual": _round(fl.actual, 4), "gap": _round(fl.gap, 4), "label": fl.label}
            for f in figures for fl in f.flags]
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def indicators_frame(rows: Sequence[TargetRow]) -> pd.DataFrame:
    """The targets that are not met (the rows of ``targets.csv`` with ``met`` false)."""
    return targets_frame([r for r in rows if not r.met])


def _round(v: float, nd: int) -> float:
    return round(v, nd) if not math.isnan(v) else math.nan


class CoverageModel:
    """The whole analysis state: network, demand, circles; recomputes figures after edits."""

    def __init__(self, inputs: AnalysisInputs, params: AnalysisParams, *, demand_in_thread: bool = False) -> None:
        """``demand_in_thread``: place the elderly on the network (:attr:`demand`) in a thread of its own while
        the caller goes on (e.g. loading the facilities: their reaches); :attr:`demand` waits for it."""
        require_crs(inputs.townships, what="township layer")
        if "name" not in inputs.townships.columns:
            raise InputError("the township layer needs a name (名称) column")
        self.inputs = inputs
        self.params = params
        self.classes = params.classes
        net = inputs.network
        self.net = net
        self.township_names = [str(n) for n in inputs.townships["name"]]
        codes = inputs.townships["code"] if "code" in inputs.townships.columns else [None] * len(self.township_names)
        self.township_urban = np.array([is_street(n, c) for n, c in zip(self.township_names, codes)], bool)
        self.township_polys = reproject_series(inputs.townships.geometry, net.crs).to_numpy()
        self._demand: Demand | None = None
        self._demand_thread: threading.Thread | None = None
        if demand_in_thread:
            make_search_structures(net)  # both threads use them: made here first
            box: dict[str, object] = {}

            def place() -> None:
                try:
                    box["demand"] = build_demand(net, inputs.townships, population=inputs.population)
                except BaseException as exc:  # noqa: BLE001 - raised where the demand is asked for
                    box["error"] = exc

            self._demand_box = box
            self._demand_thread = threading.Thread(target=place, name="carecircle-demand", daemon=True)
            self._demand_thread.start()
        else:
            self._demand = build_demand(net, inputs.townships, population=inputs.population)
        self._gap_base: tuple[tuple[float, float], GapBase] | None = None
        self.circles = ServiceCircles(net, max_m=params.max_m, township_polygons=self.township_polys,
                                      classes=params.classes, statuses=params.statuses)
        self.unit_names: list[str] = []
        self.unit_kind = np.zeros(0, dtype=object)
        self.unit_township = np.zeros(0, np.int64)
        self.unit_xy = np.zeros((0, 2))
        self.unit_snaps = None
        #: the communities' elderly (NaN where the layer gives none: missing is not zero) and WGS 84 positions
        self.unit_elderly = np.zeros(0)
        self.unit_lonlat = np.zeros((0, 2))
        if inputs.communities is not None and len(inputs.communities):
            com = inputs.communities
            require_crs(com, what="community layer")
            pts = reproject_series(com.geometry, net.crs)
            x, y = pts.x.to_numpy(), pts.y.to_numpy()
            self.unit_names = [str(n) for n in com["name"]] if "name" in com.columns else [f"#{i + 1}" for i in range(len(com))]
            self.unit_kind = (com["kind"].astype(str).to_numpy(dtype=object) if "kind" in com.columns
                              else np.full(len(com), "village", dtype=object))
            self.unit_xy = np.column_stack([x, y])
            self.unit_snaps = snap_points(net, x=x, y=y)
            self.unit_township = locate_in_polygons(x, y, self.township_polys)
            self.unit_elderly = (pd.to_numeric(com["elderly"], errors="coerce").to_numpy(dtype=float)
                                 if "elderly" in com.columns else np.full(len(com), np.nan))
            wgs = reproject_series(pts, WGS84)
            self.unit_lonlat = np.column_stack([wgs.x.to_numpy(), wgs.y.to_numpy()])

    @property
    def demand(self) -> Demand:
        """The elderly placed on the network (waits for the thread placing them, see ``demand_in_thread``)."""
        if self._demand is None:
            self._demand_thread.join()
            self._demand_thread = None
            if "error" in self._demand_box:
                raise self._demand_box["error"]
            self._demand = self._demand_box["demand"]
        return self._demand

    # -- facilities ------------------------------------------------------------------------------
    def load_facilities(self, facilities: gpd.GeoDataFrame, *, feedback: Feedback | None = None) -> None:
        require_crs(facilities, what="facility layer")
        pts = reproject_series(facilities.geometry, self.net.crs)
        self.circles.set_many(
            [str(f) for f in facilities["fid"]], x=pts.x.to_numpy(), y=pts.y.to_numpy(),
            type=list(facilities["type"]), name=list(facilities["name"]), beds=list(facilities["beds"]),
            nursing_beds=list(facilities["nursing_beds"]), status=list(facilities["status"]), feedback=feedback,
        )

    # -- results ---------------------------------------------------------------------------------
    def facts(self) -> UnitFacts:
        """The counted facilities, townships and communities, as the targets are evaluated on them."""
        facs = self.circles.counted()
        xy = np.array([(f.x, f.y) for f in facs], float).reshape(-1, 2)
        fac_town = np.array([f.township for f in facs], np.int64)
        return UnitFacts(
            town_names=self.township_names, town_urban=self.township_urban,
            town_elderly=np.asarray(self.demand.township_total, float),
            fac_class=np.array([f.type for f in facs], dtype=object), fac_town=fac_town,
            fac_beds=np.array([f.beds for f in facs], np.int64),
            fac_nursing=np.array([f.nursing_beds for f in facs], np.int64),
            fac_unit=self._units_of(xy, fac_town),
            unit_names=self.unit_names, unit_kind=self.unit_kind, unit_town=self.unit_township,
            reached=self._reached, covered=self._covered,
            bed_classes={k: self.classes.with_beds(k) for k in ("all", "institutional")},
            county_label=self.params.county_label,
        )

    def _units_of(self, xy: NDArray[np.float64], town: NDArray[np.int64]) -> NDArray[np.int64]:
        """The community or village each facility stands in: the nearest community point of its own
        township (communities are points; their territories are taken as the nearest-point areas)."""
        out = np.full(len(xy), -1, np.int64)
        if not len(self.unit_names) or not len(xy):
            return out
        for ti in np.unique(town):
            fac = np.nonzero(town == ti)[0]
            cand = np.nonzero(self.unit_township == ti)[0] if ti >= 0 else np.arange(len(self.unit_names))
            if cand.size:
                _, k = cKDTree(self.unit_xy[cand]).query(xy[fac])
                out[fac] = cand[np.asarray(k, np.int64)]
        return out

    def _reached(self, classes: tuple[str, ...], minutes: float) -> NDArray[np.bool_]:
        if self.unit_snaps is None:
            return np.zeros(0, bool)
        lim = float(minutes_to_m(minutes, speed_kmh=self.params.speed_kmh))
        return points_covered(self.net, self.circles.field(tuple(classes)), self.unit_snaps, limit_m=lim)

    def _covered(self, classes: tuple[str, ...], minutes: float) -> NDArray[np.float64]:
        lim = float(minutes_to_m(minutes, speed_kmh=self.params.speed_kmh))
        cov = covered_by_township(self.net, self.demand, self.circles.field(tuple(classes)), limit_m=lim)
        return np.minimum(cov, self.demand.township_total)

    def targets(self) -> list[TargetRow]:
        """Every target of the profile in every unit, county rows first."""
        return evaluate_targets(self.params.profile, self.facts())

    def figures(self, targets: Sequence[TargetRow] | None = None) -> list[TownshipTypeFigures]:
        """Per township and class: elderly, covered within the profile's minutes, facilities, beds, and the
        flags of the targets set for every township (or every community/village, summed per township).
        County-level targets raise no township flag: a township's beds are a balance view."""
        if targets is None:
            targets = self.targets()
        lim = self.params.coverage_m
        n_town = len(self.township_names)
        flags = self._township_flags(targets)
        out: list[TownshipTypeFigures] = []
        per_type = {}
        for t in self.classes.ids:
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
            per_type[t] = (covered, count, beds, nbeds)
        for i, name in enumerate(self.township_names):
            for t in self.classes.ids:
                covered, count, beds, nbeds = per_type[t]
                out.append(TownshipTypeFigures(
                    township=name, type=t, elderly=float(self.demand.township_total[i]),
                    elderly_covered=float(min(covered[i], self.demand.township_total[i])),
                    facilities=int(count[i]), beds=int(beds[i]), nursing_beds=int(nbeds[i]),
                    flags=tuple(flags.get((name, t), ())),
                ))
        return out

    def _township_flags(self, targets: Sequence[TargetRow]) -> dict[tuple[str, str], list[Flag]]:
        """Missed per-unit targets as flags on the township row of the target's first class."""
        profile = self.params.profile
        unit_town = dict(zip(self.unit_names, self.unit_township))
        per: dict[tuple[str, str, str], list[TargetRow]] = {}
        for r in targets:
            if r.summary or r.level == "county" or not r.classes:
                continue
            if r.level in ("township", "urban_street"):
                town = r.unit
            else:
                ti = int(unit_town.get(r.unit, -1))
                if ti < 0:
                    continue
                town = self.township_names[ti]
            per.setdefault((town, r.classes[0], r.target_id), []).append(r)
        out: dict[tuple[str, str], list[Flag]] = {}
        for (town, cls, tid), rows in per.items():
            missed = [r for r in rows if not r.met]
            if not missed:
                continue
            t = profile.target(tid)
            label = target_label(t, class_label=self.classes.label, minutes=profile.minutes_of(t))
            if rows[0].level in ("township", "urban_street"):  # a township-level target: its own numbers
                fl = Flag(tid, rows[0].indicator, rows[0].target, rows[0].actual, label)
            else:  # communities/villages of the township: how many of them meet it
                fl = Flag(tid, "units_met", float(len(rows)), float(len(rows) - len(missed)), label)
            out.setdefault((town, cls), []).append(fl)
        return out

    def named_gaps(self, types: Sequence[str] | None = None) -> pd.DataFrame:
        """Per class (default: every class of the registry), the communities and villages outside its circle
        at the profile's coverage minutes — the same test as the community targets (:meth:`_reached`) — with
        their elderly, the nearest counted facility of the class and the walking distance to it (unbounded;
        NaN and no facility when none can be reached), sorted per class by elderly, most first (missing last).
        Columns :data:`NAMED_GAP_COLUMNS`. Each class's rows are kept until the class is edited: after an edit
        one network search for that class (a few ms), the others are reused as they are."""
        if self.unit_snaps is None or not len(self.unit_names):
            return empty_named_gaps()
        types = tuple(self.classes.ids if types is None else types)
        parts = tuple(self._named_part(t) for t in types)
        key = (types, tuple(id(p) for p in parts))
        cached = getattr(self, "_named_all", None)
        if cached is None or cached[0] != key:
            shown = [p for p in parts if len(p)]
            frame = pd.concat(shown, ignore_index=True) if shown else empty_named_gaps()
            self._named_all = (key, frame, parts)  # the parts kept alive so their ids stay theirs
        return self._named_all[1]

    def _named_part(self, type_: str) -> pd.DataFrame:
        """The named gaps of one class, sorted; cached on the class's distance field (a new field after
        every edit of the class or change of the counted statuses)."""
        fld, lim = self.circles.field(type_), self.params.coverage_m
        cache: dict = self.__dict__.setdefault("_named_parts", {})
        hit = cache.get(type_)
        if hit is not None and hit[0] is fld and hit[1] == lim:
            return hit[2]
        snaps = self.unit_snaps
        out = np.nonzero(~points_covered(self.net, fld, snaps, limit_m=lim))[0]
        if not out.size:
            frame = empty_named_gaps()
        else:
            near, facs = self.circles.nearest(type_)
            walk, src = near.at(self.net, snaps.take(out))
            elderly = self.unit_elderly[out]
            order = np.lexsort((np.array([self.unit_names[i] for i in out], dtype=object).astype(str),
                                -np.where(np.isfinite(elderly), elderly, -np.inf)))
            out, walk, src, elderly = out[order], walk[order], src[order], elderly[order]
            town = self.unit_township[out]
            frame = pd.DataFrame({
                "type": type_, "unit": out.astype(np.int64), "name": [self.unit_names[i] for i in out],
                "kind": self.unit_kind[out].astype(object),
                "township": [self.township_names[i] if i >= 0 else None for i in town],
                "elderly": pd.array(np.where(np.isfinite(elderly), np.floor(elderly + 0.5), np.nan), dtype="Int64"),
                "nearest_id": [facs[k].fid if k >= 0 else None for k in src],
                "nearest_facility": [facs[k].name if k >= 0 else None for k in src],
                "walk_m": np.where(src >= 0, walk, np.nan),
                "lon": self.unit_lonlat[out, 0], "lat": self.unit_lonlat[out, 1],
            }, columns=NAMED_GAP_COLUMNS)
        cache[type_] = (fld, lim, frame)
        return frame

    def type_circles(self, type_: str) -> list[shapely.Geometry]:
        """Merged circle polygons of one type, one per minutes band (metric CRS)."""
        return merged_circles(self.circle_snapshot(type_))

    def facility_circle(self, fid: str) -> list[shapely.Geometry]:
        """One facility's circle polygons, one per minutes band (metric CRS)."""
        st = self.circles.facilities[fid]
        return circle_polygons(self.net, [st.reach], limits_m=self.params.limits_m, buffer_m=self.params.buffer_m, cell_m=self.params.cell_m)

    def gap_areas(self, type_: str) -> gpd.GeoDataFrame:
        """Populated places outside every circle of ``type_`` (at the profile's minutes), per township,
        with the elderly count inside (metric CRS)."""
        return gap_areas(self.gap_snapshot(type_, base=self.gap_base()))

    def gap_snapshot(self, type_: str, *, base: "GapBase | None" = None) -> "GapSnapshot":
        """What :func:`gap_areas` needs, none of it changed by later edits (a worker may use it). ``base``
        defaults to the kept :meth:`gap_base` when there is one; it is never made here (the caller may be the
        GUI thread): without one, :func:`gap_areas` makes it in the worker."""
        return GapSnapshot(type_, self.net, self.demand, self.circles.field(type_), self.params,
                           tuple(self.township_polys), tuple(self.township_names), base if base is not None else self.kept_gap_base())

    def kept_gap_base(self) -> "GapBase | None":
        """The :class:`GapBase` kept from an earlier :meth:`gap_base` for the current gap grid, or None."""
        key = (self.params.gap_cell_m, self.params.gap_buffer_m)
        return self._gap_base[1] if self._gap_base is not None and self._gap_base[0] == key else None

    def gap_base(self) -> "GapBase":
        """The samples and township grid every class's gap areas share (:class:`GapBase`): kept for later edits
        when it holds at most :data:`GAP_BASE_KEEP_SAMPLES` samples, else made again on each call."""
        kept = self.kept_gap_base()
        if kept is not None:
            return kept
        base = gap_base(self.net, self.demand, self.params, tuple(self.township_polys))
        if base.row.size <= GAP_BASE_KEEP_SAMPLES:
            self._gap_base = ((self.params.gap_cell_m, self.params.gap_buffer_m), base)
        return base

    def circle_snapshot(self, type_: str) -> "CircleSnapshot":
        """What the merged circles of a class need: the reaches of its counted facilities (immutable)."""
        return CircleSnapshot(type_, self.net, tuple(f.reach for f in self.circles.active(type_)), self.params)


@dataclass(frozen=True)
class CircleSnapshot:
    type: str
    net: WalkNetwork
    reaches: tuple[Reach, ...]
    params: AnalysisParams


def merged_circles(snap: CircleSnapshot, *, project: Project | None = None) -> list[shapely.Geometry]:
    """Merged circle polygons of one class, one per minutes band (metric CRS, or as ``project`` maps the
    vertices: :func:`to_wgs84`)."""
    p = snap.params
    return circle_polygons(snap.net, list(snap.reaches), limits_m=p.limits_m, buffer_m=p.buffer_m, cell_m=p.cell_m,
                           project=project)


def to_wgs84(crs: object) -> Project:
    """The vertex map from ``crs`` to WGS 84 the polygon builders take (``project=``): polygons are built once,
    in WGS 84, instead of built in metres and reprojected (:func:`layers.crs.reproject_xy`, the same map)."""
    return lambda xy: reproject_xy(xy, src=crs, dst=WGS84)


@dataclass(frozen=True)
class GapBase:
    """What the gap areas of every class share, made once per model: where the elderly are, as samples on the
    network (every half gap cell along the populated edges, and each population point where it meets the
    network), each with its township, whether it lies in that township's polygon and its cell on the gap grid;
    and the townships rasterised on that grid (cell centres; township index + 1, 0 = none). The grid lies on
    the lattice of multiples of the gap cell and covers every sample widened by the gap buffer, so a class's
    gap cells are a subset of its cells. ``parts``: the regions of every sample's cells widened by the buffer,
    traced once (:mod:`spatial.gaps`: a class re-traces only those it changes)."""

    cell_m: float
    buffer_m: float
    #: populated edges; for each edge sample: the index of its edge in ``populated`` and its offset
    populated: NDArray[np.int64]
    edge_j: NDArray[np.int64]
    edge_pos: NDArray[np.float64]
    #: every sample (edge samples first, then points): grid row and column, township, in its own township
    row: NDArray[np.int32]
    col: NDArray[np.int32]
    town: NDArray[np.int64]
    own: NDArray[np.bool_]
    #: grid origin (west edge, north edge) and the township grid
    x0: float
    y1: float
    town_grid: NDArray[np.integer]
    parts: GridParts

    @property
    def n_edge_samples(self) -> int:
        return int(self.edge_j.size)

    @property
    def transform(self) -> Affine:
        return Affine(self.cell_m, 0.0, self.x0, 0.0, -self.cell_m, self.y1)


#: a model keeps its gap base for later edits when it holds at most this many samples (else it is made per call)
GAP_BASE_KEEP_SAMPLES = 4_000_000


def gap_base(net: WalkNetwork, demand: Demand, params: AnalysisParams, township_polys: Sequence) -> GapBase:
    """The :class:`GapBase` of a model's demand (see there)."""
    cell = float(params.gap_cell_m)
    buffer = max(float(params.gap_buffer_m), cell)
    populated = np.nonzero(demand.edge_weight > 0)[0]
    if populated.size:
        j, pos = positions_along(net.length_m[populated], step_m=cell * 0.5, centred=True)
        ex, ey = net.edge_point(populated[j], pos)
        et = demand.edge_township[populated[j]]
    else:
        j, pos = np.zeros(0, np.int64), np.zeros(0)
        ex = ey = np.zeros(0)
        et = np.zeros(0, np.int64)
    if len(demand.points):
        px, py = (np.asarray(a, dtype=float) for a in net.edge_point(demand.points.edge, demand.points.offset_m))
        pt = demand.point_township
    else:
        px = py = np.zeros(0)
        pt = np.zeros(0, np.int64)
    x, y = np.concatenate([np.asarray(ex, float), px]), np.concatenate([np.asarray(ey, float), py])
    t = np.concatenate([np.asarray(et, np.int64), np.asarray(pt, np.int64)])
    # a sample counts for its own township when it lies in that township's polygon (as the elderly are assigned)
    own = np.zeros(x.size, bool)
    for ti in np.unique(t[t >= 0]):
        poly = township_polys[ti]
        if poly is None or poly.is_empty:
            continue
        sel = np.nonzero(t == ti)[0]
        poly = shapely.from_wkb(shapely.to_wkb(poly))  # a private copy to prepare (the snapshot is shared)
        shapely.prepare(poly)
        own[sel] = shapely.intersects_xy(poly, x[sel], y[sel])
    if x.size:
        pad = buffer + 2 * cell
        x0 = float(np.floor((x.min() - pad) / cell) * cell)
        y1 = float(np.ceil((y.max() + pad) / cell) * cell)
        ncol = int(np.ceil((x.max() + pad - x0) / cell)) + 1
        nrow = int(np.ceil((y1 - (y.min() - pad)) / cell)) + 1
    else:
        x0 = y1 = 0.0
        nrow = ncol = 0
    row = ((y1 - y) / cell).astype(np.int32)
    col = ((x - x0) / cell).astype(np.int32)
    transform = Affine(cell, 0.0, x0, 0.0, -cell, y1)
    grid = _township_grid(township_polys, shape=(nrow, ncol), transform=transform) \
        if nrow and ncol else np.zeros((0, 0), np.int32)
    parts = grid_parts(_gap_cells(grid.shape, row, col, buffer_m=buffer, cell_m=cell), grid, transform=transform)
    return GapBase(cell, buffer, populated, j.astype(np.int64), pos, row, col, t, own, x0, y1, grid, parts)


def _gap_cells(shape: tuple[int, int], row: NDArray[np.integer], col: NDArray[np.integer], *, buffer_m: float,
               cell_m: float) -> NDArray[np.bool_]:
    """The cells of a grid within ``buffer_m`` of the samples' cells (a disk on the cell lattice)."""
    grid = np.full(shape, 255, dtype=np.uint8)
    grid[row, col] = 0
    return disk_min_filter(grid, radius_cells=buffer_m / cell_m) == 0


@dataclass(frozen=True)
class GapSnapshot:
    type: str
    net: WalkNetwork
    demand: Demand
    field: DistanceField
    params: AnalysisParams
    township_polys: tuple
    township_names: tuple[str, ...]
    #: the model's shared :class:`GapBase` (None: made for this call)
    base: GapBase | None = None


def gap_areas(snap: GapSnapshot, *, wgs84: bool = False) -> gpd.GeoDataFrame:
    """Populated places outside every circle of the snapshot's class (at the profile's minutes), per
    township, with the elderly count inside (metric CRS; WGS 84 with ``wgs84``, the polygons built there
    directly). ``area_ha`` is the parts' area in the metric CRS (their cells).

    Built in bulk on the model's :class:`GapBase`: the uncovered samples are widened on the gap grid, the gap
    cells of each township split into 4-connected regions and polygonised, so every part lies in one township
    (outlines on cell edges) — only the regions of the base (every sample widened) this class changes are
    traced here (:mod:`spatial.gaps`). A sample counts for its own township
    when it lies in that township's polygon (as the elderly are assigned), and goes to the part of its own cell
    (or, where the cell-aligned border leaves it just outside, the nearest part of its township)."""
    type_, net, dem, fld = snap.type, snap.net, snap.demand, snap.field
    params, polys, names = snap.params, snap.township_polys, snap.township_names
    cols = GAP_COLUMNS
    crs = WGS84 if wgs84 else net.crs
    empty = gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=crs)
    if not polys:
        return empty
    base = snap.base if snap.base is not None else gap_base(net, dem, params, polys)
    lim = params.coverage_m
    cell = base.cell_m
    n_e = base.n_edge_samples
    weights = []
    outs = []
    if n_e:
        populated = base.populated
        L = net.length_m[populated]
        out_e = fld.at(net, edge=populated[base.edge_j], offset_m=base.edge_pos) > lim
        uncovered_len = L - fld.covered_length_m(net, limit_m=lim)[populated]
        n_out = np.bincount(base.edge_j[out_e], minlength=populated.size)
        w_per = np.divide(dem.edge_weight[populated] * uncovered_len / L, n_out, out=np.zeros(populated.size), where=n_out > 0)
        outs.append(out_e)
        weights.append(w_per[base.edge_j])
    if len(dem.points):
        outs.append(~points_covered(net, fld, dem.points, limit_m=lim))
        weights.append(np.asarray(dem.point_weight, dtype=float))
    if not outs:
        return empty
    sel = np.nonzero(np.concatenate(outs))[0]  # the uncovered samples
    if sel.size == 0:
        return empty
    w = np.concatenate(weights)[sel]
    t = base.town[sel]
    shape = base.town_grid.shape
    row, col = base.row[sel].astype(np.int64), base.col[sel].astype(np.int64)
    # the class's gap cells; the base's regions it keeps as they are, those it changes traced again
    on = _gap_cells(shape, row, col, buffer_m=base.buffer_m, cell_m=cell)
    cp = class_parts(base.parts, on, transform=base.transform, key="wgs84" if wgs84 else "grid",
                     project=to_wgs84(net.crs) if wgs84 else None)
    del on
    if not cp.town.size:
        return empty
    # the samples that count: those in their own township's polygon (as the per-township cut counted them);
    # the part holding one is its cell's part, when that part is of the sample's township
    idx = np.nonzero(base.own[sel])[0]
    pid = cp.part_at(row[idx] * shape[1] + col[idx])
    part_of = np.full(sel.size, -1, np.int64)
    hit = (pid >= 0) & (cp.town[np.maximum(pid, 0)] == t[idx])
    part_of[idx[hit]] = pid[hit]
    left = idx[part_of[idx] < 0]
    part_town = cp.town
    if left.size:  # just across a cell-aligned border: the nearest part of its own township
        parts_arr = cp.metric()
        x, y = _sample_xy(net, dem, base, sel[left])
        pts = shapely.points(x, y)
        tree = shapely.STRtree(parts_arr)
        si, pj = tree.query(pts, predicate="dwithin", distance=2.0 * cell)
        ok = part_town[pj] == t[left[si]]
        si, pj = si[ok], pj[ok]
        d = shapely.distance(parts_arr[pj], pts[si])
        order = np.lexsort((pj, d, si))
        si, pj = si[order], pj[order]
        first = np.r_[True, si[1:] != si[:-1]] if si.size else np.zeros(0, bool)
        part_of[left[si[first]]] = pj[first]
        still = part_of[left] < 0
        for ti in np.unique(t[left[still]]):  # farther still (rare): any part of its township
            cand = np.nonzero(part_town == ti)[0]
            if cand.size == 0:
                continue
            here = np.nonzero(still & (t[left] == ti))[0]
            d = shapely.distance(parts_arr[cand][None, :], pts[here][:, None])
            part_of[left[here]] = cand[np.argmin(d, axis=1)]
    got = part_of >= 0
    elderly = np.bincount(part_of[got], weights=w[got], minlength=part_town.size)
    keep = np.nonzero(elderly >= 0.5)[0]
    # by township, then in the row-major order of each part's first cell (as one trace of the grid gives them)
    keep = keep[np.lexsort((cp.first[keep], part_town[keep]))]
    if keep.size == 0:
        return empty
    return gpd.GeoDataFrame({
        "type": [type_] * keep.size,
        "township": [names[i] for i in part_town[keep]],
        "elderly": np.round(elderly[keep], 1),
        "area_ha": np.round(cp.cells[keep] * (cell * cell / 1e4), 2),
        "geometry": cp.geoms[keep],
    }, columns=cols, geometry="geometry", crs=crs)


def _sample_xy(net: WalkNetwork, dem: Demand, base: GapBase, idx: NDArray[np.int64]
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coordinates of the base's samples ``idx`` (edge samples first, then the population points)."""
    x, y = np.empty(idx.size), np.empty(idx.size)
    on_edge = idx < base.n_edge_samples
    if on_edge.any():
        k = idx[on_edge]
        x[on_edge], y[on_edge] = net.edge_point(base.populated[base.edge_j[k]], base.edge_pos[k])
    if (~on_edge).any():
        k = idx[~on_edge] - base.n_edge_samples
        x[~on_edge], y[~on_edge] = net.edge_point(dem.points.edge[k], dem.points.offset_m[k])
    return x, y


def _township_grid(polys: Sequence[shapely.Geometry], *, shape: tuple[int, int], transform) -> NDArray[np.integer]:
    """Township index + 1 at every cell centre of the grid (0 = in none); int16 when that holds every index (the
    grid is kept with the model)."""
    from rasterio import features as rio_features

    dtype = np.int16 if len(polys) < np.iinfo(np.int16).max else np.int32
    pairs = [(p, i + 1) for i, p in enumerate(polys) if p is not None and not p.is_empty]
    if not pairs:
        return np.zeros(shape, dtype)
    return rio_features.rasterize(pairs, out_shape=shape, transform=transform, fill=0, dtype=dtype)


#: threads for the polygon steps of :func:`run_analysis` (at most the machine's cores)
POLYGON_WORKERS = 2
#: relative time of one polygon job (merged circles of a class, all per-facility circles, gap areas of a class with
#: its share of the gap base), between the county and city bench cases (county 1 : 11 : 0.6, city 1 : 13 : 1.3):
#: progress advances by finished work, and the gap jobs, heavier than a class's circles, start first
W_CIRCLES, W_FACILITY, W_GAPS = 1.0, 12.0, 1.5


@dataclass(frozen=True)
class PolygonJob:
    """One independent piece of :func:`run_jobs`: its step name, its relative time and what it runs."""

    step: str
    weight: float
    run: Callable[[Feedback], object]


def _call(fn: Callable, *args) -> Callable[[Feedback], object]:
    return lambda feedback: fn(*args)


class _Once:
    """A value made by the first caller (from any thread); later callers wait for it and share it."""

    def __init__(self, make: Callable[[], object]) -> None:
        self._make, self._lock, self._value, self._made = make, threading.Lock(), None, False

    def __call__(self) -> object:
        with self._lock:
            if not self._made:
                self._value, self._made = self._make(), True
            return self._value


def _gap_job(snap: "GapSnapshot", base: _Once) -> Callable[[Feedback], object]:
    """A class's gap frame on the shared base (made by the first gap job that needs it)."""
    return lambda feedback: gap_frame(snap if snap.base is not None else replace(snap, base=base()))


class _JobFeedback(Feedback):
    """A job's feedback in a worker thread: remembers its share done; stops when the run is cancelled."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self._stop = stop
        self.fraction = 0.0

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def check(self) -> None:
        if self._stop.is_set():
            raise AnalysisCancelled("analysis cancelled")

    def progress(self, fraction: float, step: str = "") -> None:
        self.check()
        self.fraction = min(max(float(fraction), 0.0), 1.0)


def run_jobs(jobs: Sequence[PolygonJob], *, feedback: Feedback, workers: int | None = None) -> list[object]:
    """Run independent jobs, each ``job.run(feedback)``, and return their results in the jobs' order.

    With one worker they run here one after the other (``feedback`` hears each step as it starts). With more,
    a thread pool takes the longest first; this thread reports the share of work done (by weight) and polls
    ``feedback`` for cancellation, which stops jobs not yet started and tells running ones (through their
    feedback) to stop. A job's error is raised here once the others have stopped."""
    total = sum(j.weight for j in jobs) or 1.0
    n = min(workers if workers is not None else POLYGON_WORKERS, os.cpu_count() or 1, max(len(jobs), 1))
    if n <= 1:
        out, done = [], 0.0
        for job in jobs:
            feedback.progress(done / total, job.step)
            out.append(job.run(Scaled(feedback, done / total, (done + job.weight) / total)))
            done += job.weight
        return out
    stop = threading.Event()
    fbs = [_JobFeedback(stop) for _ in jobs]
    results: list[object] = [None] * len(jobs)
    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="carecircle-polygons")
    try:
        order = sorted(range(len(jobs)), key=lambda i: -jobs[i].weight)
        futures = {pool.submit(jobs[i].run, fbs[i]): i for i in order}
        pending = set(futures)
        step = jobs[order[0]].step
        while pending:
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for f in finished:
                i = futures[f]
                results[i] = f.result()  # a job's error ends the run
                fbs[i].fraction = 1.0
                step = jobs[i].step
            feedback.progress(sum(j.weight * b.fraction for j, b in zip(jobs, fbs)) / total, step)
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
    return results


ISO_COLUMNS = ["type", "minutes", "geometry"]
FACILITY_CIRCLE_COLUMNS = ["facility_id", "name", "type", "status", "minutes", "geometry"]
GAP_COLUMNS = ["type", "township", "elderly", "area_ha", "geometry"]


def iso_frame(type_: str, minutes: Sequence[float], polys: Sequence[shapely.Geometry], crs) -> gpd.GeoDataFrame:
    """One class's merged circles (in ``crs``) as rows ``type, minutes, geometry`` (empty bands left out), in
    WGS 84."""
    rows = [{"type": type_, "minutes": float(m), "geometry": p} for m, p in zip(minutes, polys) if not p.is_empty]
    return reproject_frame(gpd.GeoDataFrame(rows, columns=ISO_COLUMNS, geometry="geometry", crs=crs), WGS84)


def circle_frame(snap: CircleSnapshot) -> gpd.GeoDataFrame:
    """A class's merged circles as :func:`iso_frame` rows, built in WGS 84."""
    return iso_frame(snap.type, snap.params.minutes, merged_circles(snap, project=to_wgs84(snap.net.crs)), WGS84)


def gap_frame(snap: GapSnapshot) -> gpd.GeoDataFrame:
    return gap_areas(snap, wgs84=True)


def _facility_frame(net: WalkNetwork, shown: Sequence[tuple[str, FacilityState]], params: AnalysisParams,
                    feedback: Feedback) -> gpd.GeoDataFrame:
    """Every shown facility's own circles (bulk, packed rasters) as rows, built in WGS 84."""
    bulk = facility_circle_polygons(net, [st.reach for _, st in shown], limits_m=params.limits_m, buffer_m=params.buffer_m,
                                    cell_m=params.cell_m, feedback=feedback, project=to_wgs84(net.crs))
    rows = [{"facility_id": fid, "name": st.name, "type": st.type, "status": st.status, "minutes": float(m), "geometry": poly}
            for (fid, st), polys in zip(shown, bulk) for m, poly in zip(params.minutes, polys) if not poly.is_empty]
    return gpd.GeoDataFrame(rows, columns=FACILITY_CIRCLE_COLUMNS, geometry="geometry", crs=WGS84)


def _concat_frames(frames: Sequence[gpd.GeoDataFrame], columns: list[str]) -> gpd.GeoDataFrame:
    kept = [f for f in frames if len(f)]
    if not kept:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=WGS84)
    return gpd.GeoDataFrame(pd.concat(kept, ignore_index=True), geometry="geometry", crs=WGS84)


#: takes the gap areas of an analysis over (:func:`run_analysis`): given the function that makes them (all classes,
#: WGS 84), makes them and keeps them elsewhere — e.g. a forked process that writes them to a file
GapSink = Callable[[Callable[[], gpd.GeoDataFrame]], None]

#: where each step of :func:`run_analysis` starts on its 0..1 progress (weighted by measured time)
P_REACHES, P_COVERAGE, P_CIRCLES, P_GAPS_END = 0.05, 0.14, 0.16, 0.98


def run_analysis(inputs: AnalysisInputs, params: AnalysisParams, *, feedback: Feedback | None = None,
                 facility_circles: bool = True, workers: int | None = None,
                 gaps_sink: GapSink | None = None) -> AnalysisResult:
    """Walking circles, coverage per township and type, flags against the profile, and gap areas.

    ``workers`` threads build the polygons (default :data:`POLYGON_WORKERS`, at most the machine's cores;
    1 runs every step in this thread, in order). ``gaps_sink`` takes the gap areas over (see
    :data:`GapSink`; the result's ``gaps`` is then None): it is called as soon as the reaches are known,
    before the figures and circles, with no worker thread alive, with the function that makes them (in
    ``workers`` threads)."""
    fb = feedback or Feedback()
    # fractions weighted by measured time (bench/bench_e2e.py, county and city cases, polygons side by side):
    # placing the elderly ~5%, reaches ~9%, figures ~2%, the polygon jobs ~82% (by their weights), the rest ~2%
    fb.progress(0.0, "demand")
    # the elderly placed in a thread while the facilities' reaches are found (two workers or more)
    model = CoverageModel(inputs, params, demand_in_thread=(workers or POLYGON_WORKERS) > 1 and (os.cpu_count() or 1) > 1)
    fb.progress(P_REACHES, "walking circles")
    model.load_facilities(inputs.facilities, feedback=Scaled(fb, P_REACHES, P_COVERAGE))
    model.demand  # noqa: B018 - placed: no thread alive from here (gaps_sink may fork)
    types = model.classes.ids
    # one gap base for every class (kept by the model when small enough), made by the first gap job to run (the
    # others wait for it), so that it too is built beside the per-facility circles
    base = _Once(model.gap_base)
    gap_jobs = [PolygonJob(f"gap areas: {t}", W_GAPS, _gap_job(model.gap_snapshot(t, base=model.kept_gap_base()), base))
                for t in types]
    if gaps_sink is not None:  # handed over now (no worker thread alive), made where the sink decides
        gaps_sink(lambda: _concat_frames(run_jobs(gap_jobs, feedback=Feedback(), workers=workers), GAP_COLUMNS))
    fb.progress(P_COVERAGE, "coverage")
    targets = model.targets()
    figures = model.figures(targets)
    too_many = facility_circles and len(model.circles.facilities) > MAX_FACILITY_CIRCLES
    shown = [(fid, st) for fid, st in model.circles.facilities.items() if st.status != "to_close"] \
        if facility_circles and not too_many else None
    # every polygon step from immutable snapshots, so they may run side by side (numpy, shapely and GDAL
    # release the GIL for much of their work): merged circles and gap areas per class, per-facility circles
    # each job hands back its frame in WGS 84 (reprojecting is part of the work that runs side by side)
    jobs: list[PolygonJob] = [PolygonJob(f"circle polygons: {t}", W_CIRCLES, _call(circle_frame, model.circle_snapshot(t)))
                        for t in types]
    n_fac = 0
    if shown is not None:
        # all facilities in bulk (packed rasters), the same shapes as model.facility_circle(fid) one by one; in as
        # many jobs as there are workers (each facility's circle is its own: the parts are the whole)
        n_fac = max(1, min(POLYGON_WORKERS, len(shown)))
        bounds = np.linspace(0, len(shown), n_fac + 1).astype(int)
        jobs += [PolygonJob("facility circles", W_FACILITY / n_fac,
                            (lambda part: lambda feedback: _facility_frame(model.net, part, params, feedback))(shown[a:b]))
                 for a, b in zip(bounds[:-1], bounds[1:])]
    if gaps_sink is None:
        done = run_jobs(jobs + gap_jobs, feedback=Scaled(fb, P_CIRCLES, P_GAPS_END), workers=workers)
        gaps = _concat_frames(done[-len(types):], GAP_COLUMNS)
    else:
        gaps = None
        done = run_jobs(jobs, feedback=Scaled(fb, P_CIRCLES, P_GAPS_END), workers=workers)
    iso = _concat_frames(done[:len(types)], ISO_COLUMNS)
    fac_iso = _concat_frames(done[len(types):len(types) + n_fac], FACILITY_CIRCLE_COLUMNS) if shown is not None else None
    fb.progress(P_GAPS_END, "named gaps")
    named = model.named_gaps()
    isl, details = islands(model.net), warning_details(model)
    warnings = _warnings(model, isl=isl, details=details)
    for w in warnings:
        fb.message(w)
    fb.progress(1.0, "done")
    return AnalysisResult(
        params=params, figures=figures, isochrones=iso, gaps=gaps,
        islands=isl, warnings=warnings, warning_details=details, facility_circles=fac_iso, targets=targets, model=model,
        named_gaps=named,
    )


def _warnings(model: CoverageModel, *, isl: pd.DataFrame | None = None, details: pd.DataFrame | None = None) -> list[str]:
    """The warning lines of an analysis state; ``isl`` and ``details`` (:func:`islands`, :func:`warning_details`)
    are computed here when the caller has not already."""
    out = list(model.inputs.notes)
    net = model.net
    params = model.params
    left = [f for f in model.circles.facilities.values() if f.status not in params.statuses]
    if left:
        kinds = sorted({f.status for f in left})
        out.append(f"counted statuses: {', '.join(params.statuses)}; left out {len(left)} facilities "
                   f"({', '.join(f'{sum(f.status == k for f in left)} {k}' for k in kinds)}, "
                   f"{sum(f.beds for f in left):,} beds)")
    for t in params.profile.targets:
        if t.elderly_basis is not None and t.elderly_basis != params.elderly_basis:
            out.append(f"target {t.id} counts per {t.elderly_basis} elderly, the data hold {params.elderly_basis} "
                       f"elderly: its figure is not strictly comparable")
        if (t.scope == "urban" or t.level == "urban_street"):
            streets = [n for n, u in zip(model.township_names, model.township_urban) if u]
            out.append(f"target {t.id} counts urban units only; taken as the streets (街道) by name or code: "
                       f"{', '.join(streets) if streets else 'none'}")
    if model.params.profile.targets and any(t.level in ("urban_community", "village") for t in params.profile.targets) \
            and not len(model.unit_names):
        out.append("the profile has community/village targets but no community layer is loaded; they cannot be met")
    isl = islands(net) if isl is None else isl
    if len(isl):
        out.append(f"the road network has {len(isl)} islands (fragments not joined to the main network, "
                   f"{int(isl['nodes'].sum())} nodes); people and facilities on them reach only their own fragment")
    line = noding_note(net.noding)
    if line:
        out.append(line)
    dem = model.demand
    if dem.outside_points:
        out.append(f"{dem.outside_points:,} population points with {dem.outside_elderly:,.0f} elderly lie outside every "
                   f"township and are not counted in any figure")
    details = warning_details(model) if details is None else details
    for kind, (one, many) in _FACILITY_WARNINGS.items():
        rows = details[details["kind"] == kind]
        if len(rows) == 0:
            continue
        beds = int(rows["beds"].sum())
        if len(rows) <= GROUP_WARNINGS_OVER:
            out.extend(one.format(name=r.name, fid=r.facility_id, value=r.value, beds=r.beds) for r in rows.itertuples())
        else:
            out.append(many.format(n=len(rows), beds=beds, limit=FAR_FROM_ROAD_M))
    if len(model.circles.facilities) > MAX_FACILITY_CIRCLES:
        out.append(FACILITY_CIRCLES_LEFT_OUT.format(n=len(model.circles.facilities), limit=MAX_FACILITY_CIRCLES))
    if not len(dem.points):  # township counts spread along streets: a township without streets cannot be covered
        with_roads = np.zeros(dem.n_townships, dtype=bool)
        with_roads[dem.edge_township[dem.edge_township >= 0]] = True
        for i in np.nonzero((dem.township_total > 0) & ~with_roads)[0]:
            out.append(f"township {model.township_names[i]} has {dem.township_total[i]:,.0f} elderly but no walkable roads "
                       f"inside; none of them can be covered")
    return out


#: above this many facilities the per-facility circle layer is not made (it would take gigabytes for a
#: prefecture-wide list); the merged circles per class, coverage and gaps are computed as always
MAX_FACILITY_CIRCLES = 5000
FACILITY_CIRCLES_LEFT_OUT = ("{n:,} facilities: the layer of each facility's own circle is left out above "
                             "{limit:,} facilities (memory); circles per class, coverage and gaps are complete")
#: per-facility warnings listed one by one up to this many of a kind; beyond, one line and warnings.csv
GROUP_WARNINGS_OVER = 5
#: facility warning kinds: (one facility, many facilities)
_FACILITY_WARNINGS = {
    "island": ("facility {name} ({fid}) lies on an island of {value:.0f} nodes; its circle stays on that island",
               "{n:,} facilities lie on road islands; their circles stay on those fragments (listed in warnings.csv)"),
    "far_from_road": ("facility {name} ({fid}) is {value:.0f} m from the nearest walkable road",
                      "{n:,} facilities are more than {limit:g} m from a walkable road (listed in warnings.csv)"),
    "outside_townships": ("facility {name} ({fid}) lies outside every township; its {beds:,} beds are left out of the "
                          "county bed figures",
                          "{n:,} facilities lie outside every township; their {beds:,} beds are left out of the county "
                          "bed figures (listed in warnings.csv)"),
}
#: walking access leg beyond which a facility is reported as far from the roads
FAR_FROM_ROAD_M = 300.0
WARNING_COLUMNS = ["kind", "facility_id", "name", "type", "beds", "value", "lon", "lat", "message"]


def warning_details(model: CoverageModel) -> pd.DataFrame:
    """One row per facility warning (kind island / far_from_road / outside_townships): id, name, class, beds,
    the value (nodes of its island, metres to the road), WGS 84 position and a line of text — the table behind
    the grouped warning lines (``warnings.csv``)."""
    net = model.net
    comp = net.component
    sizes = np.bincount(comp) if comp.size else np.zeros(1, np.int64)
    rows = []
    for f in model.circles.facilities.values():
        e = f.reach.edge
        found = []
        if e >= 0 and comp[net.u[e]] != 0:
            found.append(("island", float(sizes[comp[net.u[e]]])))
        if f.reach.access_m > FAR_FROM_ROAD_M:
            found.append(("far_from_road", float(f.reach.access_m)))
        if f.township < 0:
            found.append(("outside_townships", math.nan))
        for kind, value in found:
            rows.append({"kind": kind, "facility_id": f.fid, "name": f.name, "type": f.type, "beds": int(f.beds),
                         "value": value, "x": f.x, "y": f.y,
                         "message": _FACILITY_WARNINGS[kind][0].format(name=f.name, fid=f.fid, value=value, beds=int(f.beds))})
    frame = pd.DataFrame(rows, columns=[c for c in WARNING_COLUMNS if c not in ("lon", "lat")] + ["x", "y"])
    if len(frame):
        lon, lat = gpd.GeoSeries(gpd.points_from_xy(frame["x"], frame["y"]), crs=net.crs).to_crs(WGS84).pipe(
            lambda s: (s.x.round(7), s.y.round(7)))
        frame["lon"], frame["lat"] = lon.to_numpy(), lat.to_numpy()
    else:
        frame["lon"], frame["lat"] = [], []
    return frame[WARNING_COLUMNS]
