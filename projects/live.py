"""Live coverage while a plan is edited (Qt-free).

Keeps a :class:`spatial.analysis.CoverageModel` in step with the active scenario of a
:class:`projects.plan.PlanModel`: an edit recomputes only the edited facility's reach and circle, then the
township figures (cheap sums over cached reaches) and the named gaps (the communities outside each class's
circle: a lookup at their snapped positions, plus one network search for the nearest facility of the edited
class). Scenario switches reload every facility.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd
import shapely

from layers.classes import BASELINE_STATUSES, SCENARIO_STATUSES
from spatial.analysis import CoverageModel
from spatial.indicators import TownshipTypeFigures
from spatial.targets import TargetRow
from spatial.isochrones import circle_polygons, reach_from
from spatial.network import snap_points

from .plan import PlanModel


@dataclass
class Timings:
    """Milliseconds of the last update, by step."""

    steps: dict[str, float] = field(default_factory=dict)


class LiveAnalysis:
    def __init__(self, model: CoverageModel, plan: PlanModel, *, circles: gpd.GeoDataFrame | None = None) -> None:
        """``circles``: the analysis's per-facility circles (``facility_id``, ``minutes``), reused as they are."""
        if model.net.crs != plan.crs:
            raise ValueError("the plan and the analysis must share the network's CRS")
        self.model = model
        self.plan = plan
        self._circles: dict[str, list[shapely.Geometry]] = {}
        if circles is not None and len(circles):
            metric = circles.to_crs(model.net.crs)
            bands = list(self.params.minutes)
            for fid, grp in metric.groupby("facility_id"):
                by_minutes = dict(zip(grp["minutes"], grp.geometry))
                if set(by_minutes) == set(bands):
                    self._circles[str(fid)] = [by_minutes[m] for m in bands]
        self.timings = Timings()
        self.reload()

    @property
    def params(self):
        return self.model.params

    def reload(self) -> None:
        """Make the model hold exactly the active scenario's facilities, counting what that scenario counts:
        the baseline (现状) its existing facilities, a plan scenario existing and planned ones."""
        circles = self.model.circles
        statuses = statuses_for(self.plan.active, baseline=self.plan.baseline)
        circles.set_statuses(statuses)
        if self.model.params.statuses != statuses:
            self.model.params = replace(self.model.params, statuses=statuses)
        facs = self.plan.facilities
        for fid in [f for f in circles.facilities if f not in facs]:
            circles.remove_facility(fid)
            self._circles.pop(fid, None)
        changed = [f for f in facs.values() if _differs(circles.facilities.get(f.fid), f)]
        if changed:
            circles.set_many([f.fid for f in changed], x=[f.x for f in changed], y=[f.y for f in changed],
                             type=[f.type for f in changed], name=[f.name for f in changed], beds=[f.beds for f in changed],
                             nursing_beds=[f.nursing_beds for f in changed], status=[f.status for f in changed])
            for f in changed:
                self._circles.pop(f.fid, None)

    def apply(self, fid: str) -> None:
        """Bring one facility up to date after an edit (added, moved, changed or removed)."""
        t0 = time.perf_counter()
        circles = self.model.circles
        fac = self.plan.facilities.get(fid)
        if fac is None:
            if fid in circles.facilities:
                circles.remove_facility(fid)
            self._circles.pop(fid, None)
        else:
            st = circles.facilities.get(fid)
            if st is None or (st.x, st.y) != (fac.x, fac.y):
                circles.set_facility(fid, x=fac.x, y=fac.y, type=fac.type, name=fac.name, beds=fac.beds,
                                     nursing_beds=fac.nursing_beds, status=fac.status)
                self._circles.pop(fid, None)
            else:
                circles.update_attributes(fid, name=fac.name, type=fac.type, beds=fac.beds, nursing_beds=fac.nursing_beds, status=fac.status)
        self.timings = Timings({"reach": (time.perf_counter() - t0) * 1000})

    def figures_and_targets(self) -> tuple[list[TownshipTypeFigures], list[TargetRow]]:
        t0 = time.perf_counter()
        targets = self.model.targets()
        out = self.model.figures(targets)
        self.timings.steps["figures"] = (time.perf_counter() - t0) * 1000
        return out, targets

    def named_gaps(self) -> pd.DataFrame:
        """The named gaps of the current plan state (:meth:`spatial.analysis.CoverageModel.named_gaps`): the
        classes edited since the last call are looked up again, the others reused."""
        t0 = time.perf_counter()
        out = self.model.named_gaps()
        self.timings.steps["named_gaps"] = (time.perf_counter() - t0) * 1000
        return out

    def facility_circle(self, fid: str) -> list[shapely.Geometry]:
        if fid not in self._circles:
            self._circles[fid] = self.model.facility_circle(fid)
        return self._circles[fid]

    def preview_circle(self, fid: str, *, x: float, y: float) -> list[shapely.Geometry]:
        """The circle a facility would have at (x, y), without changing anything (for dragging)."""
        net = self.model.net
        snap = snap_points(net, x=[x], y=[y])
        reach = reach_from(net, edge=int(snap.edge[0]), offset_m=float(snap.offset_m[0]), access_m=float(snap.access_m[0]),
                           max_m=self.model.circles.max_m)
        p = self.params
        return circle_polygons(net, [reach], limits_m=p.limits_m, buffer_m=p.buffer_m, cell_m=p.cell_m)


def statuses_for(scenario: str, *, baseline: str) -> tuple[str, ...]:
    """What a scenario counts: the baseline (现状) what exists; a plan scenario what exists and what is planned."""
    return BASELINE_STATUSES if scenario == baseline else SCENARIO_STATUSES


def _differs(state, fac) -> bool:
    return state is None or state.facility != fac  # the one facility record on both sides
