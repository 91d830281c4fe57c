"""The layout plan: a baseline of existing facilities and named plan scenarios (Qt-free).

Each scenario holds its own facility table (a scenario starts as a copy of another). Edits go through
the public methods below; the GUI wraps each in a ``QUndoCommand`` whose redo/undo call these methods, so
every change is undoable and the model never needs to know about Qt. Coordinates are metres in the
plan's CRS (the walking network's metric CRS), so an undo restores them exactly.

Subscribers get ``(event, payload)``: ``facility_added`` / ``facility_moved`` / ``facility_changed`` /
``facility_removed`` (fid), ``scenario_changed`` (name), ``scenarios_changed``.
"""
from __future__ import annotations

import copy
import unicodedata
from dataclasses import asdict, fields, replace
from typing import Callable, Iterable

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from layers.errors import InputError
from layers.classes import STATUS_IDS
from layers.facilities import Facility  # noqa: F401  (the one facility record; re-exported here)

STATUSES = STATUS_IDS
BASELINE = "现状"
EDITABLE = ("name", "type", "beds", "nursing_beds", "status")


Listener = Callable[[str, object], None]


class PlanModel:
    """Scenarios of facilities; one of them is active and receives the edits."""

    def __init__(self, crs: pyproj.CRS, facilities: Iterable[Facility] = (), *, baseline_name: str = BASELINE) -> None:
        self.crs = pyproj.CRS.from_user_input(crs)
        self.baseline = baseline_name
        self.scenarios: dict[str, dict[str, Facility]] = {baseline_name: {f.fid: f for f in facilities}}
        self.active = baseline_name
        self._listeners: list[Listener] = []
        self._next = 1

    # -- events -----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: str, payload: object = None) -> None:
        for listener in list(self._listeners):
            listener(event, payload)

    # -- reading ----------------------------------------------------------------------------------
    @property
    def facilities(self) -> dict[str, Facility]:
        """The active scenario's facilities by id (do not modify; use the edit methods)."""
        return self.scenarios[self.active]

    def facility(self, fid: str) -> Facility:
        try:
            return self.facilities[fid]
        except KeyError:
            raise KeyError(f"no facility {fid!r} in scenario {self.active!r}") from None

    def frame(self, scenario: str | None = None) -> gpd.GeoDataFrame:
        """A scenario's facilities as a frame (``fid, name, type, beds, nursing_beds, status``, points)."""
        facs = list(self.scenarios[scenario or self.active].values())
        return gpd.GeoDataFrame(
            {
                "fid": [f.fid for f in facs],
                "name": [f.name for f in facs],
                "type": [f.type for f in facs],
                "beds": np.array([f.beds for f in facs], dtype=np.int64),
                "nursing_beds": np.array([f.nursing_beds for f in facs], dtype=np.int64),
                "status": [f.status for f in facs],
            },
            geometry=shapely.points([f.x for f in facs], [f.y for f in facs]) if facs else [],
            crs=self.crs,
        )

    def new_fid(self) -> str:
        """An id not used in any scenario."""
        used = {fid for sc in self.scenarios.values() for fid in sc}
        while f"P{self._next:04d}" in used:
            self._next += 1
        return f"P{self._next:04d}"

    # -- edits (each has an exact inverse) ---------------------------------------------------------
    def add_facility(self, facility: Facility, *, index: int | None = None) -> None:
        """Add a facility to the active scenario (at ``index`` in its order, default last)."""
        sc = self.facilities
        if facility.fid in sc:
            raise InputError(f"a facility with id {facility.fid} already exists")
        items = list(sc.items())
        pos = len(items) if index is None else max(0, min(index, len(items)))
        items.insert(pos, (facility.fid, facility))
        self.scenarios[self.active] = dict(items)
        self._emit("facility_added", facility.fid)

    def remove_facility(self, fid: str) -> tuple[Facility, int]:
        """Remove a facility; returns it and its index (what :meth:`add_facility` needs to undo)."""
        sc = self.facilities
        fac = self.facility(fid)
        index = list(sc).index(fid)
        del sc[fid]
        self._emit("facility_removed", fid)
        return fac, index

    def move_facility(self, fid: str, x: float, y: float) -> tuple[float, float]:
        """Move a facility; returns its previous coordinates."""
        fac = self.facility(fid)
        self.facilities[fid] = replace(fac, x=float(x), y=float(y))
        self._emit("facility_moved", fid)
        return fac.x, fac.y

    def set_attributes(self, fid: str, **attrs: object) -> dict[str, object]:
        """Change ``name``, ``type``, ``beds``, ``nursing_beds`` or ``status``; returns the previous values."""
        bad = sorted(set(attrs) - set(EDITABLE))
        if bad:
            raise ValueError(f"cannot set {', '.join(bad)}")
        fac = self.facility(fid)
        clean = {k: (int(v) if k in ("beds", "nursing_beds") else str(v)) for k, v in attrs.items()}
        new = replace(fac, **clean)
        old = {k: getattr(fac, k) for k in clean}
        self.facilities[fid] = new
        self._emit("facility_changed", fid)
        return old

    # -- scenarios --------------------------------------------------------------------------------
    def add_scenario(self, name: str, *, copy_of: str | None = None) -> None:
        """A new scenario starting as a copy of ``copy_of`` (default: the baseline)."""
        name = name.strip()
        if not name:
            raise InputError("a scenario needs a name")
        if name in self.scenarios:
            raise InputError(f"a scenario called {name} already exists")
        self.scenarios[name] = dict(copy.copy(self.scenarios[copy_of or self.baseline]))
        self._emit("scenarios_changed", name)

    def remove_scenario(self, name: str) -> dict[str, Facility]:
        if name == self.baseline:
            raise InputError("the baseline cannot be removed")
        removed = self.scenarios.pop(name)
        if self.active == name:
            self.set_active(self.baseline)
        self._emit("scenarios_changed", name)
        return removed

    def set_active(self, name: str) -> str:
        """Switch the scenario that is shown and edited; returns the previous one."""
        if name not in self.scenarios:
            raise InputError(f"no scenario called {name}")
        old, self.active = self.active, name
        self._emit("scenario_changed", name)
        return old

    def replace_baseline(self, facilities: Iterable[Facility]) -> tuple[dict[str, dict[str, Facility]], list[str]]:
        """A new list of what exists (a re-read facility list) replaces the baseline; every plan scenario keeps
        its own changes. A scenario's changes are what differs from the *old* baseline:

        * facilities it added (ids not in the old baseline) are kept; one whose id the new list uses gets a
          new id, the same in every scenario (one rename map). So are the old list's planned facilities that
          the new list lacks (neither the same id, class and name nor the same class and name): a list of what
          exists need not repeat the plan; they are reported;
        * facilities it changed (any field differs: closure, beds, class, name, move) or removed are re-applied
          only when the new list holds the same facility: the same id, class and NFKC-normalised name as in
          the old baseline (ids of a list without an id column are row numbers, so a re-sorted list gives an
          id to another facility). Otherwise the change is dropped and reported. Only the changed fields are
          re-applied: the others take the new list's values; a field both changed is the scenario's, reported.

        Returns ``(old scenarios, report lines)``: what :meth:`restore_scenarios` needs to undo, and one English
        line per scenario with dropped or overriding changes and per renamed planned facility."""
        new = {f.fid: f for f in facilities}
        old = {name: dict(facs) for name, facs in self.scenarios.items()}
        base = old.get(self.baseline, {})
        listed = {(f.type, _norm(f.name)) for f in new.values()}
        # planned facilities the old list carried and the new one lacks (by id, class and name, or by class and
        # name): a list of what exists need not repeat the plan, so the plan scenarios keep them as their own
        carried = {fid for fid, f in base.items() if f.status == "planned" and (f.type, _norm(f.name)) not in listed
                   and not (fid in new and same_facility(f, new[fid]))}
        rename: dict[str, str] = {}
        used = set(new) | {fid for facs in old.values() for fid in facs}
        for name, facs in old.items():
            if name == self.baseline:
                continue
            for fid in facs:
                if (fid not in base or fid in carried) and fid in new and fid not in rename:
                    rename[fid] = self._free_fid(used)
                    used.add(rename[fid])
        report: list[str] = []
        renamed: dict[str, str] = {}
        kept: dict[str, str] = {}
        scenarios: dict[str, dict[str, Facility]] = {}
        for name, facs in old.items():
            if name == self.baseline:
                scenarios[name] = dict(new)
                continue
            merged = dict(new)
            dropped: list[str] = []
            kept_over: list[str] = []
            for fid, before in base.items():
                after = facs.get(fid)
                if fid in carried or after == before:
                    continue
                now = new.get(fid)
                same = now is not None and same_facility(before, now)
                if after is None:
                    if same:
                        del merged[fid]
                    else:
                        dropped.append(f"{before.name} removal")
                    continue
                diff = {k: getattr(after, k) for k in _CHANGE_FIELDS if getattr(after, k) != getattr(before, k)}
                if not same:
                    dropped.append(f"{before.name} {_describe(diff)}")
                    continue
                try:
                    merged[fid] = replace(now, **diff)
                except InputError as exc:  # e.g. the plan's beds below the new list's nursing beds
                    dropped.append(f"{before.name} {_describe(diff)} ({exc})")
                    continue
                over = {k: v for k, v in diff.items() if getattr(now, k) != getattr(before, k) and getattr(now, k) != v}
                if over:
                    kept_over.append(f"{before.name} {_describe(over)} (the new list: "
                                     f"{_describe({k: getattr(now, k) for k in over})})")
            for fid, f in facs.items():
                if fid in carried:
                    kept.setdefault(fid, f.name)
                if fid not in base or fid in carried:
                    key = rename.get(fid, fid)
                    merged[key] = f if key == fid else replace(f, fid=key)
                    if key != fid:
                        renamed.setdefault(fid, f.name)
            scenarios[name] = merged
            if dropped:
                n = len(dropped)
                report.append(f"scenario {name}: {n} change{'s' if n != 1 else ''} to facilities no longer in the list (same id, class "
                              f"and name) {'were' if n != 1 else 'was'} dropped ({', '.join(dropped)})")
            if kept_over:
                n = len(kept_over)
                report.append(f"scenario {name}: {n} planned change{'s' if n != 1 else ''} kept over the new list's "
                              f"values ({', '.join(kept_over)})")
        if kept:
            n = len(kept)
            report.append(f"{n} planned facilit{'ies' if n != 1 else 'y'} of the old list {'are' if n != 1 else 'is'} not in "
                          f"the new one; the plan scenarios keep {'them' if n != 1 else 'it'} ({', '.join(kept.values())})")
        for fid, name in renamed.items():
            report.append(f"planned facility {name} now has id {rename[fid]}: the new list uses {fid} for {new[fid].name}")
        self.scenarios = scenarios
        self._emit("scenario_changed", self.active)
        return old, report

    def restore_scenarios(self, scenarios: dict[str, dict[str, Facility]]) -> None:
        """Put back scenarios returned by :meth:`replace_baseline` (undo)."""
        self.scenarios = {name: dict(facs) for name, facs in scenarios.items()}
        if self.active not in self.scenarios:
            self.active = self.baseline
        self._emit("scenario_changed", self.active)

    def _free_fid(self, *taken) -> str:
        """An id in none of ``taken`` (sets or dicts of ids) nor any scenario."""
        while any(f"P{self._next:04d}" in t for t in taken) or any(f"P{self._next:04d}" in sc for sc in self.scenarios.values()):
            self._next += 1
        return f"P{self._next:04d}"

    # -- persistence helpers ----------------------------------------------------------------------
    def records(self) -> list[dict]:
        """All scenarios' facilities as flat records (``scenario`` + the facility fields)."""
        return [{"scenario": sc, **asdict(f)} for sc, facs in self.scenarios.items() for f in facs.values()]

    @classmethod
    def from_records(cls, crs: pyproj.CRS, records: Iterable[dict], *, scenarios: list[str], baseline: str, active: str) -> "PlanModel":
        plan = cls(crs, baseline_name=baseline)
        plan.scenarios = {name: {} for name in scenarios}
        names = {f.name for f in fields(Facility)}
        for rec in records:
            fac = Facility(**{k: rec[k] for k in names})
            plan.scenarios.setdefault(rec["scenario"], {})[fac.fid] = fac
        plan.active = active if active in plan.scenarios else baseline
        return plan

    @classmethod
    def from_frame(cls, facilities: gpd.GeoDataFrame, *, crs: pyproj.CRS) -> "PlanModel":
        """A plan whose baseline is a facility frame (as read by :func:`layers.facilities.read_facilities`)."""
        return cls(crs, facilities_of(facilities, crs=crs))


#: the fields a scenario's change to a facility may touch (all but the id)
_CHANGE_FIELDS = ("name", "type", "beds", "nursing_beds", "status", "x", "y")


def _norm(name: str) -> str:
    return unicodedata.normalize("NFKC", str(name)).strip()


def same_facility(a: Facility, b: Facility) -> bool:
    """The same facility in two lists: the same id, class and NFKC-normalised name."""
    return a.fid == b.fid and a.type == b.type and _norm(a.name) == _norm(b.name)


def _describe(diff: dict) -> str:
    """A scenario's change in a few words: ``closure``, ``beds 300``, ``move`` …"""
    out: list[str] = []
    for k, v in diff.items():
        if k == "status":
            out.append("closure" if v == "to_close" else f"status {v}")
        elif k in ("x", "y"):
            if "move" not in out:
                out.append("move")
        elif k == "nursing_beds":
            out.append(f"nursing beds {v}")
        elif k == "type":
            out.append(f"class {v}")
        elif k == "name":
            out.append(f"renamed {v}")
        else:
            out.append(f"{k} {v}")
    return " + ".join(out)


def facilities_of(facilities: gpd.GeoDataFrame, *, crs: pyproj.CRS) -> list[Facility]:
    """The records of a facility frame (as read by :func:`layers.facilities.read_facilities`) in ``crs``."""
    pts = facilities.geometry.to_crs(crs)
    return [
        Facility(str(r.fid), str(r.name), str(r.type), int(r.beds), int(r.nursing_beds), str(r.status), float(x), float(y))
        for r, x, y in zip(facilities.itertuples(index=False), pts.x, pts.y)
    ]
