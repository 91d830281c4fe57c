"""The plan document: one object that owns a project's layers, its plan (scenarios of facilities), its
settings and its current analysis result, and is the only way to change them (Qt-free).

The window's undo commands, the command line and a planner's own Python scripts all go through it, so the
map, the tables, identify, every export and the comparison read the same result::

    from projects.document import Document

    doc = Document.from_sample()                      # or Document.open("县域规划.ccproj")
    doc.new_scenario("2026年方案")
    doc.use_scenario("2026年方案")
    fid = doc.add_facility("日间照料中心", "下原镇日间照料中心", 120.47, 32.45, beds=20)
    doc.move_facility(fid, 120.48, 32.45)
    doc.set_attributes(fid, beds=30)
    print(doc.result.targets_frame())                 # always the current plan state
    doc.export(xlsx="方案.xlsx", html="方案.html", pdf="方案.pdf")
    doc.save("方案.ccproj")

:attr:`Document.result` is immutable and complete: after an edit the next read builds a new result,
recomputing only what the edit touched (the edited facility's reach and circle, the figures and targets,
and the merged circles and gap areas of the classes involved). :meth:`Document.quick_result` gives the
same without the merged circles and gaps of the touched classes (``pending``), for a window that shows
those a moment later; :meth:`Document.pending_jobs` and :meth:`Document.complete` let a worker thread
compute them from immutable snapshots.
"""
from __future__ import annotations

import importlib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import geopandas as gpd
import pandas as pd
import numpy as np
import pyproj
import shapely

from layers.classes import registry
from layers.crs import WGS84
from layers.errors import InputError
from spatial.analysis import (
    AnalysisResult,
    CircleSnapshot,
    GapSnapshot,
    MAX_FACILITY_CIRCLES,
    _warnings,
    warning_details,
    W_CIRCLES,
    W_GAPS,
    PolygonJob,
    circle_frame,
    gap_frame,
    run_analysis,
    run_jobs as run_polygon_jobs,
)
from spatial.feedback import Feedback
from spatial.network import WalkNetwork, build_network

from .ccproj import Project, Settings, load_project, save_project
from .inputs import SAMPLE_DIR
from .live import LiveAnalysis
from .plan import EDITABLE, Facility

SAMPLE_PROJECT = SAMPLE_DIR.parent / "sample.ccproj"
#: the layers notes belong to, in the order :attr:`Project.notes` lists them (after notes of unknown layer)
_NOTE_LAYERS = ("roads", "townships", "population", "communities", "facilities")
Listener = Callable[[str, object], None]
#: settings a document changes (see :meth:`Document.set_settings`)
SETTINGS_FIELDS = tuple(f.name for f in fields(Settings))


class Document:
    """A project, its plan and its current result. See the module docstring."""

    def __init__(self, project: Project, *, path: str | Path | None = None, network: WalkNetwork | None = None) -> None:
        self.project = project
        self.path = Path(path) if path is not None else None
        self.network = network if network is not None else project.settings.network(project.roads)
        self._to_plan = pyproj.Transformer.from_crs(WGS84, project.crs, always_xy=True)
        self._listeners: list[Listener] = []
        self._live: LiveAnalysis | None = None
        self._result: AnalysisResult | None = None  # the last complete result
        self._quick: AnalysisResult | None = None  # the current state without the pending classes' areas
        self._iso: dict[str, gpd.GeoDataFrame] = {}  # merged circles per class (EPSG:4326)
        self._gaps: dict[str, gpd.GeoDataFrame] = {}  # gap areas per class (EPSG:4326)
        self._stale: set[str] = set()  # classes whose merged circles and gaps predate the last edit
        self._wgs_cache: dict[str, tuple] = {}  # per facility: its circles in EPSG:4326 (see _circles_wgs84)
        self._to_wgs: pyproj.Transformer | None = None
        self._joined_cache: dict[str, tuple] = {}  # per kind: the classes' frames joined (see _joined)
        self.version = 0  # counts edits: a worker's snapshot is applied only to the version it was taken from
        self.modified = False
        #: the project's notes by layer ("": of unknown layer, as loaded); project.notes is their concatenation
        self._notes: dict[str, list[str]] = {"": list(dict.fromkeys(project.notes))}
        project.plan.subscribe(self._on_plan)

    # -- opening -----------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> "Document":
        """A saved project (``.ccproj``)."""
        return cls(load_project(path), path=path)

    @classmethod
    def from_sample(cls) -> "Document":
        """The bundled sample county (如皋市, partly generated data)."""
        return cls(load_project(SAMPLE_PROJECT))

    def close(self) -> None:
        """Stop following the plan (a window that makes a new document for the same project calls this)."""
        self.plan.unsubscribe(self._on_plan)
        self._listeners.clear()

    def rerun(self) -> None:
        """Redo the whole analysis on the next read (e.g. the user pressed Run)."""
        self._live = None
        self._result = self._quick = None
        self.version += 1

    # -- events ------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """``listener(event, payload)``: the plan's events, plus ``settings_changed``."""
        self._listeners.append(listener)

    def _emit(self, event: str, payload: object = None) -> None:
        for listener in list(self._listeners):
            listener(event, payload)

    # -- reading -----------------------------------------------------------------------------------
    @property
    def plan(self):
        return self.project.plan

    @property
    def settings(self) -> Settings:
        return self.project.settings

    @property
    def title(self) -> str:
        return self.project.title

    @property
    def scenarios(self) -> list[str]:
        return list(self.plan.scenarios)

    @property
    def scenario(self) -> str:
        """The active scenario (the one edits go to)."""
        return self.plan.active

    @property
    def facilities(self) -> gpd.GeoDataFrame:
        """The active scenario's facilities (``fid, name, type, beds, nursing_beds, status``), EPSG:4326."""
        return self.plan.frame().to_crs(WGS84)

    def params(self):
        """The analysis parameters of the active scenario: built from the settings by the one function
        the command line and the window use (:meth:`projects.ccproj.Project.params`)."""
        return self.project.params()

    @property
    def result(self) -> AnalysisResult:
        """The complete result of the current plan state (computed when first read after a change)."""
        if self._result is None or self._result_version != self.version:
            self._result = self._build(complete=True)
            self._result_version = self.version
        return self._result

    def quick_result(self) -> AnalysisResult:
        """The current figures, targets and facility circles; merged circles and gap areas of the classes
        an edit touched are those of before the edit and listed in ``pending``."""
        if (self._result is not None and self._result_version == self.version) or (self._live is not None and not self._stale):
            return self.result
        if self._quick is None or self._quick_version != self.version:
            self._quick = self._build(complete=False)
            self._quick_version = self.version
        return self._quick

    # -- edits ---------------------------------------------------------------------------------------
    def add_facility(self, type: str, name: str, lon: float, lat: float, **attrs: Any) -> str:
        """Add a facility to the active scenario at lon/lat (EPSG:4326); ``type`` a class id or any name
        the class registry knows (日间照料中心, 敬老院 …). ``attrs``: beds, nursing_beds, status (default:
        existing in the baseline, which holds what exists; planned in a plan scenario). Returns its id."""
        bad = sorted(set(attrs) - {"beds", "nursing_beds", "status", "fid"})
        if bad:
            raise InputError(f"unknown facility attributes: {', '.join(bad)}")
        x, y = self._xy(lon, lat)
        status = attrs.get("status") or ("existing" if self.scenario == self.plan.baseline else "planned")
        fac = Facility(str(attrs.get("fid") or self.plan.new_fid()), str(name), self._class_id(type),
                       int(attrs.get("beds", 0)), int(attrs.get("nursing_beds", 0)), self._status_id(status), x, y)
        self.plan.add_facility(fac)
        return fac.fid

    def move_facility(self, fid: str, lon: float, lat: float) -> None:
        x, y = self._xy(lon, lat)
        self.plan.move_facility(fid, x, y)

    def remove_facility(self, fid: str) -> None:
        self.plan.remove_facility(fid)

    def set_attributes(self, fid: str, **attrs: Any) -> None:
        """Change name, type, beds, nursing_beds or status (class and status by id or by name)."""
        bad = sorted(set(attrs) - set(EDITABLE))
        if bad:
            raise InputError(f"cannot set {', '.join(bad)}; editable: {', '.join(EDITABLE)}")
        if "type" in attrs:
            attrs["type"] = self._class_id(attrs["type"])
        if "status" in attrs:
            attrs["status"] = self._status_id(attrs["status"])
        old = self.plan.facility(fid)
        new = replace(old, **{k: (int(v) if k in ("beds", "nursing_beds") else str(v)) for k, v in attrs.items()})
        if new != old:  # validates (nursing beds within beds, known class) before anything changes
            self.plan.set_attributes(fid, **attrs)

    def new_scenario(self, name: str, *, copy_of: str | None = None) -> None:
        """A new plan scenario, a copy of ``copy_of`` (default: the baseline)."""
        self.plan.add_scenario(name, copy_of=copy_of)

    def use_scenario(self, name: str) -> None:
        """Make ``name`` the active scenario (the one edits go to and the result describes)."""
        if name != self.scenario:
            self.plan.set_active(name)

    def replace_layer(self, layer: str, frame: gpd.GeoDataFrame, *, notes: Sequence[str] = (),
                      network: WalkNetwork | None = None, drop_population: bool = False,
                      facilities_crs: str | None = None) -> Any:
        """Replace an input layer (roads, townships, population, communities) with a newly read one, or the
        baseline's facility list (``facilities``: each plan scenario keeps its own changes where the facility
        is still listed, see :meth:`projects.plan.PlanModel.replace_baseline`; what could not be kept is
        reported among the facility notes). New roads take ``network`` when it was built (in a worker, from
        the roads in the project's CRS with its settings), else it is built here.

        A population table of township counts fills the townships' elderly: replace ``townships`` (the
        townships with the table's counts) with ``drop_population=True``, or use the layer name
        ``population_counts``: the population points, which the analysis would otherwise still count, are
        removed in the same step, and the table's notes replace the population's (the townships keep theirs).

        ``notes``: what reading and checking the new layer found (:func:`projects.inputs.cross_check`); they
        replace the layer's previous notes (see :meth:`_new_notes`). The GCJ-02/BD-09 suggestion is recomputed
        here when the roads or facilities change (``facilities_crs``: the system the new facility list was
        read as; for new roads, the project's recorded one). Returns what :meth:`restore_layer` needs to undo
        (the old network included: an undo builds nothing). The whole analysis is redone on the next read
        of :attr:`result`."""
        p = self.project
        if layer == "population_counts":
            layer, drop_population = "townships", True
        if layer not in ("roads", "townships", "population", "communities", "facilities"):
            raise ValueError(f"unknown layer {layer!r}")
        if drop_population and layer != "townships":
            raise ValueError("drop_population goes with a table of township counts (the townships layer)")
        counts = drop_population  # a table of township counts: the population's notes, not the boundaries'
        drop_population = counts and p.population is not None
        self._sync_notes()
        old_notes = ({k: list(v) for k, v in self._notes.items()}, list(p.notes))
        self._reset()  # first: the plan's events below then find no live analysis to update
        old_network = self.network
        report: list[str] = []
        changed = [layer]
        if layer == "facilities":
            from .plan import facilities_of

            scenarios, report = p.plan.replace_baseline(facilities_of(frame, crs=p.crs))
            values: dict[str, Any] = {"facilities": scenarios}
        else:
            values = {layer: getattr(p, layer)}
            setattr(p, layer, frame.to_crs(p.crs))
            if layer == "roads":
                self.network = network if network is not None else p.settings.network(p.roads)
        if drop_population:
            values["population"] = p.population
            n_points = len(p.population)
            p.population = None
            changed.append("population")
            report.append(f"the table of township elderly counts replaced the population layer ({n_points:,} points "
                          f"removed): the elderly are now counted per township")
        note_layer = "population" if counts else layer
        self._notes = self._new_notes(note_layer, [*notes, *report], facilities_crs=facilities_crs,
                                      old_sources={note_layer: p.sources.get(note_layer)})
        p.notes = self._joined_notes()
        for name in changed:
            self._emit("layer_replaced", name)
        return (layer, values, old_notes, old_network)

    def restore_layer(self, old: Any) -> None:
        """Undo :meth:`replace_layer` with what it returned (layers, notes and network exactly as before)."""
        layer, values, (tagged, notes), network = old
        p = self.project
        self._reset()
        for name, value in values.items():
            if name == "facilities":
                p.plan.restore_scenarios(value)
            else:
                setattr(p, name, value)
        self.network = network
        self._notes = {k: list(v) for k, v in tagged.items()}
        p.notes = list(notes)
        for name in values:
            self._emit("layer_replaced", name)

    @property
    def layer_notes(self) -> dict[str, list[str]]:
        """The project's notes by the layer they belong to (``""``: notes of unknown layer, as loaded from a
        project file); :attr:`Project.notes <projects.ccproj.Project.notes>` is their concatenation."""
        self._sync_notes()
        return {k: list(v) for k, v in self._notes.items()}

    def _sync_notes(self) -> None:
        """Follow notes changed on the project directly: new lines are of unknown layer, removed ones go."""
        if self.project.notes == self._joined_notes():
            return
        current = list(dict.fromkeys(self.project.notes))
        known = {n for lines in self._notes.values() for n in lines}
        self._notes = {k: [n for n in v if n in current] for k, v in self._notes.items()}
        self._notes[""] = [*self._notes.get("", []), *[n for n in current if n not in known]]

    def _joined_notes(self) -> list[str]:
        order = ["", *_NOTE_LAYERS, *[k for k in self._notes if k not in _NOTE_LAYERS and k]]
        return list(dict.fromkeys(n for k in order for n in self._notes.get(k, ())))

    def _new_notes(self, layer: str, given: Sequence[str], *, facilities_crs: str | None,
                   old_sources: dict[str, str | None]) -> dict[str, list[str]]:
        """The notes by layer after ``layer`` was replaced (``given``: the new layer's; a table of township
        counts is the ``population``'s).

        * The layer's notes are replaced with the new ones; a given line belongs to ``layer``, except the
          GCJ-02/BD-09 suggestion (facilities) and the townships-outside-China note (townships), which are
          added to those layers' notes.
        * The GCJ-02/BD-09 suggestion depends on the roads and the facilities: when either is replaced it is
          recomputed here (:func:`layers.checks.suggest_datum_shift`), wherever the old one was kept.
        * Notes of unknown layer (a project file keeps one flat list) are dropped when they name the replaced
          layer's previous file (and no unchanged layer was read from that file), and the townships-outside-
          China note when the townships are replaced: the new layer's check says it again if it still holds."""
        new = {k: list(v) for k, v in self._notes.items()}
        files = {Path(str(v).replace("\\", "/")).name for k, v in old_sources.items() if v}
        files -= {Path(str(v).replace("\\", "/")).name for k, v in self.project.sources.items() if v and k not in old_sources}
        datum = layer in ("roads", "facilities")

        def stale(line: str) -> bool:
            return ((datum and _is_datum_note(line)) or (layer == "townships" and _is_outside_note(line))
                    or any(f in line for f in files))

        new[""] = [n for n in new.get("", []) if not stale(n)]
        new[layer] = []
        for line in dict.fromkeys(given):
            owner = "facilities" if _is_datum_note(line) else "townships" if _is_outside_note(line) else layer
            if _is_datum_note(line) and (datum or any(_is_datum_note(n) for v in new.values() for n in v)):
                continue  # recomputed below, or kept as it was
            if line not in new.setdefault(owner, []):
                new[owner].append(line)
        if datum:
            for k in new:
                new[k] = [n for n in new[k] if not _is_datum_note(n)]
            line = self._datum_note(facilities_crs if layer == "facilities"
                                    else self.project.imports.get("facilities", {}).get("crs"))
            if line:
                new.setdefault("facilities", []).append(line)
        return new

    def _datum_note(self, declared: str | None) -> str | None:
        """The GCJ-02/BD-09 suggestion for the baseline's facilities on the roads (as :func:`cross_check`)."""
        from layers.checks import suggest_datum_shift
        from layers.crs import parse_crs

        p = self.project
        try:
            system = parse_crs(declared) if declared else None
        except InputError:
            system = None
        return suggest_datum_shift(p.plan.frame(p.plan.baseline), p.roads,
                                   declared=system if isinstance(system, str) else "wgs84")

    def set_settings(self, **changes: Any) -> None:
        """Change settings (profile, minutes, speed_kmh, buffer_m, elderly_basis, cell_m, gap_cell_m, snap_m — a new
        snapping distance rebuilds the walking network):
        validated first, then the whole analysis is redone on the next read of :attr:`result`."""
        bad = sorted(set(changes) - set(SETTINGS_FIELDS))
        if bad:
            raise InputError(f"unknown settings: {', '.join(bad)}; settings: {', '.join(SETTINGS_FIELDS)}")
        if "profile" in changes and not hasattr(changes["profile"], "targets"):
            from .profiles import load_profile

            changes["profile"] = load_profile(changes["profile"])
        if "minutes" in changes:
            changes["minutes"] = tuple(float(m) for m in changes["minutes"])
        new = replace(self.settings, **changes)
        new.check()  # raises InputError for a bad value, before anything changes
        if new == self.settings:
            return
        if new.snap_m != self.settings.snap_m:
            self.network = new.network(self.project.roads)
        self.project.settings = new
        self._reset()
        self._emit("settings_changed", tuple(changes))

    def save(self, path: str | Path | None = None) -> Path:
        """Write the project (atomic); the document remembers the path."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise InputError("give a file name to save the project to (.ccproj)")
        written = save_project(self.project, target)
        self.path = written
        self.modified = False
        return written

    def export(self, *, pdf=None, png=None, atlas=None, html=None, xlsx=None, gpkg=None, csv=None,
               page: str = "A4", landscape: bool = True, dpi: int = 200, display_type: str | None = None,
               title: str | None = None, comparison=None, org: str = "", inset: bool = True,
               page_numbers: bool = False, summary_page: bool = True) -> dict[str, Path]:
        """Write report exports of the current result (``comparison``: a :meth:`compare` result for the
        workbook's 方案对比 sheet). ``title`` is the maps' title (default: the thematic title built from the
        analysis, e.g. 如皋市日间照料中心15分钟服务圈覆盖现状图); ``org`` the 制图单位; ``inset`` the main-town
        inset; ``page_numbers`` and ``summary_page`` the atlas's. Maps (PDF/PNG/atlas) are drawn by the
        desktop app's renderer, loaded on demand (Qt, offscreen when there is no screen)."""
        printer = importlib.import_module("gui.exports")  # the renderer lives with the Qt code
        return printer.export_document(self, pdf=pdf, png=png, atlas=atlas, html=html, xlsx=xlsx, gpkg=gpkg, csv=csv,
                                       page=page, landscape=landscape, dpi=dpi, display_type=display_type, title=title,
                                       comparison=comparison, org=org, inset=inset, page_numbers=page_numbers,
                                       summary_page=summary_page)

    def compare(self, other: str | None = None, *, base: str | None = None, feedback: Feedback | None = None):
        """Scenario ``other`` (default: the active one) beside ``base`` (default: the baseline 现状), each
        counting what its kind counts: :class:`projects.compare.Comparison` (``table``, ``areas``)."""
        from .compare import run_comparison

        base = base or self.plan.baseline
        other = other or self.scenario
        frames = {name: self.plan.frame(name) for name in (base, other) if name in self.plan.scenarios}
        return run_comparison(self.project.inputs(network=self.network), frames, self.params(), base=base, other=other,
                              baseline=self.plan.baseline, feedback=feedback)

    # -- background completion ------------------------------------------------------------------------
    def pending_jobs(self) -> tuple[int, list[CircleSnapshot | GapSnapshot]]:
        """The version and immutable snapshots a worker thread needs to finish the pending classes."""
        live = self._engine()
        return self.version, [s for t in sorted(self._stale)
                              for s in (live.model.circle_snapshot(t), live.model.gap_snapshot(t))]

    @staticmethod
    def run_jobs(jobs: list[CircleSnapshot | GapSnapshot], *, feedback: Feedback | None = None) -> dict[tuple[str, str], Any]:
        """The worker's part: merged circles and gap areas from snapshots (touches no live object), side by
        side in :func:`spatial.analysis.run_jobs`'s threads."""
        keys = [("iso" if isinstance(job, CircleSnapshot) else "gaps", job.type) for job in jobs]
        work = [PolygonJob(f"{kind} {t}", W_CIRCLES if kind == "iso" else W_GAPS,
                           (lambda job: lambda fb: circle_frame(job) if isinstance(job, CircleSnapshot) else gap_frame(job))(job))
                for (kind, t), job in zip(keys, jobs)]
        return dict(zip(keys, run_polygon_jobs(work, feedback=feedback or Feedback())))

    def complete(self, version: int, done: dict[tuple[str, str], Any]) -> bool:
        """Take a worker's results if the plan has not changed since its snapshots; True when taken."""
        if version != self.version:
            return False
        for (kind, t), frame in done.items():
            (self._iso if kind == "iso" else self._gaps)[t] = frame
        self._stale -= {t for (_, t) in done}
        self._quick = None
        return True

    def analysis_job(self) -> tuple[int, Any, Any]:
        """``(version, inputs, params)`` for a worker to run the full analysis (:func:`run_analysis`)
        on a snapshot of the active scenario; hand its result to :meth:`adopt`."""
        inputs = self.project.inputs(network=self.network)  # the facility frame is a copy
        return self.version, inputs, self.params()

    def adopt(self, version: int, first: AnalysisResult) -> bool:
        """Take a full analysis run by a worker as the current result, if nothing changed meanwhile."""
        if version != self.version or first.model is None:
            return False
        self._start_engine(first)
        return True

    def preview_circle(self, fid: str, x: float, y: float):
        """The circle bands a facility would have at (x, y) in the project CRS, changing nothing."""
        return self._engine().preview_circle(fid, x=x, y=y)

    @property
    def analysed(self) -> bool:
        """True once the analysis has run (edits are then applied incrementally)."""
        return self._live is not None

    # -- internals -------------------------------------------------------------------------------------
    def _engine(self) -> LiveAnalysis:
        if self._live is None:
            self._start_engine(run_analysis(self.project.inputs(network=self.network), self.params()))
        return self._live

    def _start_engine(self, first: AnalysisResult) -> None:
        self._live = LiveAnalysis(first.model, self.plan, circles=first.facility_circles)
        self._iso = {t: g.reset_index(drop=True) for t, g in first.isochrones.groupby("type")}
        self._gaps = {t: g.reset_index(drop=True) for t, g in first.gaps.groupby("type")}
        self._stale = set()
        self._islands = first.islands
        self._wgs_cache = {}
        self._quick = None
        self._result, self._result_version = first, self.version

    def _build(self, *, complete: bool) -> AnalysisResult:
        live = self._engine()
        if self._result is not None and self._result_version == self.version:
            return self._result
        if complete and self._stale:
            version, jobs = self.pending_jobs()
            self.complete(version, self.run_jobs(jobs))
        figures, targets = live.figures_and_targets()
        model = live.model
        circles = self._circles_wgs84(live)
        iso = self._joined("iso", [self._iso.get(t) for t in model.classes.ids], ["type", "minutes", "geometry"])
        gaps = self._joined("gaps", [self._gaps.get(t) for t in model.classes.ids], ["type", "township", "elderly", "area_ha", "geometry"])
        details = warning_details(model)
        return AnalysisResult(params=model.params, figures=figures, isochrones=iso, gaps=gaps, islands=self._islands,
                              warnings=_warnings(model, isl=self._islands, details=details), warning_details=details,
                              facility_circles=circles, targets=targets, model=model,
                              pending=frozenset(self._stale))

    def _circles_wgs84(self, live: LiveAnalysis) -> gpd.GeoDataFrame:
        """Every facility's circle bands in EPSG:4326; only facilities whose circle or attributes changed
        are reprojected (the others keep their geometry objects, so views can keep theirs too)."""
        cache = self._wgs_cache
        if self._to_wgs is None:
            self._to_wgs = pyproj.Transformer.from_crs(live.model.net.crs, WGS84, always_xy=True)
        to_wgs = self._to_wgs
        rows, seen = [], set()
        minutes = [float(m) for m in live.params.minutes]
        facilities = live.model.circles.facilities
        if len(facilities) > MAX_FACILITY_CIRCLES:  # see spatial.analysis.MAX_FACILITY_CIRCLES
            facilities = {}
            cache.clear()
        for fid, st in facilities.items():
            if st.status == "to_close":
                continue
            polys = live.facility_circle(fid)
            key = (tuple(id(p) for p in polys), st.name, st.type, st.status)
            hit = cache.get(fid)
            if hit is None or hit[0] != key:
                wgs = [shapely.transform(p, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1]))) for p in polys]
                hit = (key, [{"facility_id": fid, "name": st.name, "type": st.type, "status": st.status, "minutes": m,
                              "geometry": g} for m, g in zip(minutes, wgs) if not g.is_empty], polys)
                cache[fid] = hit
            rows.extend(hit[1])
            seen.add(fid)
        for fid in [f for f in cache if f not in seen]:
            del cache[fid]
        return gpd.GeoDataFrame(rows, columns=["facility_id", "name", "type", "status", "minutes", "geometry"],
                                geometry="geometry", crs=WGS84)

    def _joined(self, kind: str, frames: list, columns: list[str]) -> gpd.GeoDataFrame:
        """The classes' frames as one; the same object while none of them changed (views keep their caches)."""
        key = tuple(id(f) for f in frames)
        cache = self._joined_cache
        if kind not in cache or cache[kind][0] != key:
            cache[kind] = (key, _concat(frames, columns, WGS84), frames)  # frames kept alive so their ids stay theirs
        return cache[kind][1]

    def _reset(self) -> None:
        """Settings changed: the next read redoes the analysis."""
        self._live = None
        self._result = self._quick = None
        self.version += 1
        self.modified = True

    def _on_plan(self, event: str, payload: object) -> None:
        self.version += 1
        self.modified = True
        if self._live is None:
            self._emit(event, payload)
            return
        if event == "scenario_changed":
            self._live.reload()
            self._stale = set(self._live.model.classes.ids)
        elif event.startswith("facility_"):
            fid = str(payload)
            before = self._live.model.circles.facilities.get(fid)
            self._live.apply(fid)
            after = self._live.model.circles.facilities.get(fid)
            self._stale |= {s.type for s in (before, after) if s is not None}
        self._emit(event, payload)

    def _xy(self, lon: float, lat: float) -> tuple[float, float]:
        lon, lat = float(lon), float(lat)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InputError(f"lon/lat ({lon}, {lat}) are not degrees; give WGS 84 longitude and latitude")
        x, y = self._to_plan.transform(lon, lat)
        return float(x), float(y)

    @staticmethod
    def _class_id(text: object) -> str:
        reg = registry()
        cid = str(text) if str(text) in reg else reg.lookup(text)
        if cid is None:
            raise InputError(f"unknown facility class {text!r}; accepted: {reg.accepted_names()}")
        return cid

    @staticmethod
    def _status_id(text: object) -> str:
        reg = registry()
        sid = reg.lookup_status(text)
        if sid is None:
            raise InputError(f"unknown status {text!r}; accepted: {reg.accepted_statuses()}")
        return sid


def _is_datum_note(line: str) -> bool:
    """The GCJ-02/BD-09 suggestion of :func:`layers.checks.suggest_datum_shift` (roads x facilities)."""
    return "from the nearest road as read" in line and "use --crs facilities=" in line


def _is_outside_note(line: str) -> bool:
    """The townships-outside-China note of :func:`layers.checks.check_overlap`."""
    return line.startswith("the townships lie outside China")


def _concat(frames, columns: list[str], crs) -> gpd.GeoDataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)

