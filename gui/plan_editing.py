"""The plan document in the main window: project files, undoable facility edits, live coverage,
scenarios, comparison, autosave and crash recovery. Mixed into :class:`gui.main_window.MainWindow`.

The window holds one :class:`projects.document.Document`. Every edit goes through a QUndoCommand
(gui.commands) whose redo/undo call the plan's public methods; the document hears the change first,
brings its result up to date, and the window then shows ``doc.quick_result()`` — the map layers, the
results table, identify and the targets panel all read that one object. The merged circles and gap
areas of the classes an edit touched are finished in a worker thread from immutable snapshots (rapid
edits coalesced by a short timer); exports take the complete ``doc.result``.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import shapely
from PySide6 import QtCore, QtGui, QtWidgets

from layers.errors import InputError
from projects.ccproj import Project, load_project, project_from_inputs, recovery_path, save_project
from projects.compare import compare_scenarios
from projects.document import SAMPLE_PROJECT, Document
from projects.profiles import load_profile
from projects.plan import Facility, PlanModel
from projects.workspace import MapLayer

from .commands import AddFacility, MoveFacility, RemoveFacility, SetAttributes, SetSettings
from .editing import PICK_TOLERANCE_PX, AddTool, CompareDialog, FacilityDialog, MapTool, MoveTool, SelectTool
from .i18n import file_filter, tr
from .warnings_panel import error_text, os_error_message
from .worker import Task

#: the panel label of each setting (names the undo step)
_SETTING_LABELS = {"profile": "analysis.profile", "minutes": "analysis.minutes", "speed_kmh": "analysis.speed",
                   "buffer_m": "analysis.buffer", "elderly_basis": "analysis.basis", "cell_m": "analysis.cell",
                   "gap_cell_m": "analysis.gap_cell", "snap_m": "analysis.snap"}
AUTOSAVE_MS = 3 * 60 * 1000
GAPS_DELAY_MS = 250


#: background threads still running (kept referenced until they finish, whatever became of their window)
_RUNNING: set = set()


def untitled_recovery_path() -> Path:
    base = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation) or str(Path.home() / ".carecircle")
    return Path(base) / "recovery" / "untitled.ccproj"


class PlanEditing:
    """Mixin: needs ``workspace``, ``canvas``, ``results``, ``analysis_panel``, ``_start``, ``show_error``."""

    planChanged = None  # set as a Qt signal on the window class

    def _init_plan_editing(self) -> None:
        self.project: Project | None = None
        self.project_path: Path | None = None
        self.plan: PlanModel | None = None
        self.doc: Document | None = None
        self._gaps_task: Task | None = None
        self.selected: list[str] = []
        self.undo_stack = QtGui.QUndoStack(self)
        self.undo_stack.cleanChanged.connect(lambda _: self._update_title())
        self._dirty_extra = False
        self.last_live_ms = 0.0
        self.tools: dict[str, MapTool | None] = {"identify": None, "add": AddTool(self), "move": MoveTool(self), "select": SelectTool(self)}
        self.autosave_timer = QtCore.QTimer(self, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self._gaps_timer = QtCore.QTimer(self, singleShot=True, interval=GAPS_DELAY_MS)
        self._gaps_timer.timeout.connect(self._refresh_gaps)
        self.undo_view = QtWidgets.QUndoView(self.undo_stack)

    # -- document state ---------------------------------------------------------------------------
    @property
    def live(self):
        """The document's incremental analysis engine (None before the first analysis)."""
        return self.doc._live if self.doc is not None else None

    def _bind_document(self) -> None:
        """(Re)make the document of the current project (after opening it or replacing one of its layers)."""
        self.plan = self.project.plan
        if self.doc is not None:
            self.doc.close()
        self.doc = Document(self.project, path=self.project_path, network=self.workspace.network)
        self.doc.subscribe(self._on_plan_event)

    def is_dirty(self) -> bool:
        return self.project is not None and (not self.undo_stack.isClean() or self._dirty_extra)

    def _update_title(self) -> None:
        name = self.project.title if self.project is not None else ""
        if self.project_path is not None:
            name = f"{self.project_path.name} — {name}"
        self.setWindowTitle(f"{tr('app.title')} — {name}[*]" if name else f"{tr('app.title')}[*]")
        self.setWindowModified(self.is_dirty())

    def recovery_file(self) -> Path:
        return recovery_path(self.project_path) if self.project_path is not None else untitled_recovery_path()

    # -- opening ----------------------------------------------------------------------------------
    def open_sample(self) -> None:
        """The bundled sample project, opened as a new untitled plan (saving asks where)."""
        self.open_project(SAMPLE_PROJECT, untitled=True)

    def open_project(self, path: Path, *, untitled: bool = False) -> None:
        path = Path(path)
        target = None if untitled else path
        self._start(_load_project, path, on_success=lambda loaded: self._project_loaded(loaded, target, recovered=False),
                    busy_text=tr("analysis.loading"))

    def _open_recovery(self, rec: Path, original: Path | None) -> None:
        self._start(_load_project, rec, on_success=lambda loaded: self._project_loaded(loaded, original, recovered=True),
                    busy_text=tr("analysis.loading"))

    def _ask_open_project(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, tr("action.open_project"), "", file_filter("ccproj"))
        if path and self.confirm_discard():
            self.open_project(Path(path))

    def _project_loaded(self, loaded: tuple[Project, object], path: Path | None, *, recovered: bool) -> None:
        project, network = loaded
        self.set_document(project, network, path=path)
        if recovered:
            self._dirty_extra = True  # restored edits are not saved yet
            self._update_title()
        else:
            self.offer_recovery()

    def set_document(self, project: Project, network, *, path: Path | None) -> None:
        """Show a project: its layers, its plan (active scenario) and settings; undo history starts empty."""
        self.project = project
        self.project_path = path
        self.selected = []
        self.undo_stack.clear()
        self._dirty_extra = False
        self.workspace.title = project.title
        self.workspace.set_inputs(project.inputs(network=network))
        self._bind_document()
        self.analysis_panel.show_settings(project.settings)
        self._refresh_scenarios()
        self.canvas.zoom_full()
        self._update_title()
        self.statusBar().showMessage(tr("sample.note"), 15000)
        self.inputsLoaded.emit()

    def _document_from_inputs(self, inputs, *, title: str, profile: str, sources: dict) -> None:
        project = project_from_inputs(title, inputs, profile=profile, sources=sources)
        self.set_document(project, inputs.network, path=None)

    def edit_settings(self, changes: dict) -> None:
        """The user changed settings in the panel: one undo step that changes the document's settings
        (invalid values are refused with a dialog and the panel shows the document's settings again)."""
        doc = self.doc
        if doc is None:
            return
        changes = dict(changes)
        try:
            if "profile" in changes and not hasattr(changes["profile"], "targets"):
                name = str(changes["profile"])
                changes["profile"] = doc.settings.profile if name == doc.settings.profile.name else load_profile(name)
            new = {k: v for k, v in changes.items() if getattr(doc.settings, k) != v}
            if not new:
                return
            replace(doc.settings, **new).params()  # refuse a bad value before it becomes an undo step
        except InputError as exc:
            self.show_error(str(exc), title_key="error.analysis")
            self.analysis_panel.show_settings(doc.settings)
            return
        old = {k: getattr(doc.settings, k) for k in new}
        what = "、".join(self.analysis_panel.labels[_SETTING_LABELS[k]].text() for k in new)
        self.undo_stack.push(SetSettings(doc, new, old, tr("cmd.settings", what=what)))

    # -- recovery ---------------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """If an autosave newer than the project exists, ask whether to restore it."""
        rec = self.recovery_file()
        if not rec.is_file():
            return False
        if self.project_path is not None and self.project_path.is_file() and rec.stat().st_mtime <= self.project_path.stat().st_mtime:
            return False
        when = datetime.fromtimestamp(rec.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        if not self.ask_restore(when):
            rec.unlink(missing_ok=True)
            return False
        self._open_recovery(rec, self.project_path)
        return True

    def ask_restore(self, when: str) -> bool:
        answer = QtWidgets.QMessageBox.question(self, tr("recover.title"), tr("recover.ask", when=when))
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def autosave(self) -> Path | None:
        """Write unsaved changes to the recovery file (never over the project itself)."""
        if not self.is_dirty():
            return None
        try:
            return save_project(self.project, self.recovery_file())
        except OSError as exc:
            self.statusBar().showMessage(tr("autosave.failed", error=os_error_message(exc)), 10000)
            return None
        except InputError as exc:
            self.statusBar().showMessage(tr("autosave.failed", error=error_text(str(exc))[0]), 10000)
            return None
        except Exception as exc:  # noqa: BLE001 - a timer slot must not raise into Qt: report anything else too
            self.statusBar().showMessage(tr("autosave.failed", error=error_text(f"{type(exc).__name__}: {exc}")[0]), 10000)
            return None

    # -- saving -----------------------------------------------------------------------------------
    def save(self) -> bool:
        if self.project_path is None:
            return self.save_as()
        return self.save_to(self.project_path)

    def save_as(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, tr("action.save_as"), f"{self.project.title if self.project else 'plan'}.ccproj", file_filter("ccproj"))
        return bool(path) and self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        if self.project is None:
            return False
        old_recovery = self.recovery_file()
        try:
            written = save_project(self.project, path)
        except OSError as exc:
            self.show_error(os_error_message(exc, path=Path(path).name))  # in the UI language, naming the file
            return False
        except InputError as exc:
            self.show_error(str(exc))  # the message names the file
            return False
        self.project_path = written
        self.undo_stack.setClean()
        self._dirty_extra = False
        old_recovery.unlink(missing_ok=True)
        self.recovery_file().unlink(missing_ok=True)
        self._update_title()
        return True

    def confirm_discard(self) -> bool:
        """Ask about unsaved changes; True when it is fine to go on (saved or discarded)."""
        if not self.is_dirty():
            return True
        choice = self.ask_save_changes()
        if choice == QtWidgets.QMessageBox.StandardButton.Save:
            return self.save()
        if choice == QtWidgets.QMessageBox.StandardButton.Discard:
            self.recovery_file().unlink(missing_ok=True)
            self._dirty_extra = False
            self.undo_stack.setClean()
            return True
        return False

    def ask_save_changes(self) -> QtWidgets.QMessageBox.StandardButton:
        return QtWidgets.QMessageBox.question(
            self, tr("save.title"), tr("save.ask"),
            QtWidgets.QMessageBox.StandardButton.Save | QtWidgets.QMessageBox.StandardButton.Discard | QtWidgets.QMessageBox.StandardButton.Cancel,
        )

    # -- edits ------------------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        self.canvas.tool = self.tools[name]
        for key, action in self.tool_actions.items():
            action.setChecked(key == name)

    def facility_near(self, x: float, y: float) -> str | None:
        if self.plan is None or self.canvas.view is None or not self.plan.facilities:
            return None
        facs = list(self.plan.facilities.values())
        d = np.hypot(np.array([f.x for f in facs]) - x, np.array([f.y for f in facs]) - y)
        i = int(np.argmin(d))
        return facs[i].fid if d[i] <= PICK_TOLERANCE_PX * self.canvas.view.m_per_px else None

    def add_facility_at(self, x: float, y: float, *, name: str, type: str, beds: int = 0, nursing_beds: int = 0,
                        status: str | None = None) -> str:
        """Add a facility; by default 现状 (existing) in the baseline, which holds what exists, and 规划
        (planned) in a plan scenario."""
        if status is None:
            status = "existing" if self.plan.active == self.plan.baseline else "planned"
        fac = Facility(self.plan.new_fid(), name, type, int(beds), int(nursing_beds), status, float(x), float(y))
        self.undo_stack.push(AddFacility(self.plan, fac))
        return fac.fid

    def move_facility_to(self, fid: str, x: float, y: float) -> None:
        self.canvas.set_preview([])
        fac = self.plan.facility(fid)
        if (fac.x, fac.y) != (x, y):
            self.undo_stack.push(MoveFacility(self.plan, fid, x, y))

    def preview_move(self, fid: str, x: float, y: float) -> None:
        """While dragging: the facility's circle at the cursor (nothing changes until release)."""
        if self.doc is not None and self.doc.analysed:
            self.canvas.set_preview(self.doc.preview_circle(fid, x, y)[-1:])
        else:
            self.canvas.set_preview([shapely.Point(x, y).buffer(30)])

    def set_facility_attributes(self, fid: str, **attrs: object) -> None:
        fac = self.plan.facility(fid)
        changed = {k: v for k, v in attrs.items() if getattr(fac, k) != v}
        if changed:
            Facility(**{**fac.__dict__, **changed})  # validate before it becomes an undo step
            self.undo_stack.push(SetAttributes(self.plan, fid, **changed))

    def edit_facility(self, fid: str) -> None:
        fac = self.plan.facility(fid)
        dialog = FacilityDialog(self, title=tr("form.title_edit"), type_=fac.type, name=fac.name, beds=fac.beds,
                                nursing_beds=fac.nursing_beds, status=fac.status)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            try:
                self.set_facility_attributes(fid, **dialog.values())
            except InputError as exc:
                self.show_error(str(exc))

    def edit_selected(self) -> None:
        if self.selected:
            self.edit_facility(self.selected[0])

    def select_facilities(self, fids: list[str], *, add: bool = False) -> None:
        chosen = [f for f in fids if f is not None]
        self.selected = list(dict.fromkeys([*self.selected, *chosen])) if add else chosen
        self._show_selection()

    def select_in_box(self, minx: float, miny: float, maxx: float, maxy: float) -> None:
        self.select_facilities([f.fid for f in self.plan.facilities.values() if minx <= f.x <= maxx and miny <= f.y <= maxy])

    def _show_selection(self) -> None:
        self.selected = [f for f in self.selected if self.plan is not None and f in self.plan.facilities]
        self.canvas.set_selection([shapely.Point(self.plan.facility(f).x, self.plan.facility(f).y) for f in self.selected])

    def delete_selected(self) -> None:
        """Delete the selected facilities: one undo step however many."""
        fids = list(self.selected)
        if not fids:
            return
        self.undo_stack.beginMacro(tr("cmd.remove_many", n=len(fids)))
        for fid in fids:
            self.undo_stack.push(RemoveFacility(self.plan, fid))
        self.undo_stack.endMacro()
        self.select_facilities([])

    def close_selected(self) -> None:
        """Mark the selected facilities "to close" (one undo step)."""
        fids = [f for f in self.selected if self.plan.facility(f).status != "to_close"]
        if not fids:
            return
        self.undo_stack.beginMacro(tr("cmd.close_many", n=len(fids)))
        for fid in fids:
            self.undo_stack.push(SetAttributes(self.plan, fid, status="to_close"))
        self.undo_stack.endMacro()

    # -- scenarios --------------------------------------------------------------------------------
    def new_scenario(self, name: str | None = None) -> str | None:
        if self.plan is None:
            return None
        if name is None:
            default = tr("scenario.default_name", n=len(self.plan.scenarios))
            name, ok = QtWidgets.QInputDialog.getText(self, tr("action.new_scenario"), tr("scenario.new_name"), text=default)
            if not ok:
                return None
        try:
            self.plan.add_scenario(name, copy_of=self.plan.active)
        except InputError as exc:
            self.show_error(str(exc))
            return None
        self._dirty_extra = True
        self.switch_scenario(name)
        return name

    def switch_scenario(self, name: str) -> None:
        if self.plan is not None and name and name != self.plan.active:
            self.plan.set_active(name)
            self._dirty_extra = True
            self._update_title()

    def _refresh_scenarios(self) -> None:
        combo = self.scenario_combo
        combo.blockSignals(True)
        combo.clear()
        if self.plan is not None:
            combo.addItems(list(self.plan.scenarios))
            combo.setCurrentText(self.plan.active)
        combo.blockSignals(False)

    def compare_with_baseline(self):
        request = self.analysis_request() if self.plan is not None else None
        if request is None:
            return None
        inputs, params = request
        frames = {name: self.plan.frame(name) for name in (self.plan.baseline, self.plan.active)}  # a snapshot for the worker
        return self._start(_compare, inputs, frames, params, self.plan.baseline, self.plan.active,
                           on_success=self._comparison_done, busy_text=tr("analysis.running"))

    def _comparison_done(self, comparison) -> None:
        self.last_comparison = comparison
        self.workspace.put_layer(MapLayer("compare", "compare", frame=comparison.areas))
        self.compare_dialog = CompareDialog(self, comparison, base=comparison.base, other=comparison.other)
        self.compare_dialog.show()
        self.comparisonFinished.emit(comparison)

    # -- live coverage ----------------------------------------------------------------------------
    def _on_plan_event(self, event: str, payload: object) -> None:
        """After the document took an edit: show its current result everywhere."""
        if event == "settings_changed":  # a settings edit (or its undo): the panel follows, the analysis is redone
            self.analysis_panel.show_settings(self.doc.settings)
            self._update_title()
            if self.workspace.result is not None and not getattr(self, "_in_run", False):
                self.run_analysis()
            return
        if event == "layer_replaced":
            self._show_replaced_layer(str(payload))
            return
        t0 = time.perf_counter()
        if event in ("scenario_changed", "scenarios_changed"):
            self._refresh_scenarios()
        self.workspace.set_facilities(self.plan.frame())
        self.last_comparison = None  # the plan changed: a comparison on screen no longer describes it
        if self.doc is not None and self.doc.analysed:
            result = self.doc.quick_result()
            self.workspace.set_result(result, quiet=True)
            self.results.set_results(result.coverage_frame(), result.flags_frame())
            if result.pending:
                self._gaps_timer.start()  # restarted by each edit: rapid edits are finished once
        self._show_selection()
        self._update_title()
        self.canvas.refresh()
        self.last_live_ms = (time.perf_counter() - t0) * 1000
        self.statusBar().showMessage(tr("status.live", ms=self.last_live_ms), 5000)
        self.planChanged.emit()

    def _show_replaced_layer(self, layer: str) -> None:
        """The document replaced an input layer (or undid that): the map shows the project's layer, the old
        result goes, and the analysis runs again if one was on screen (scenarios and history stay)."""
        had_result = self.workspace.result is not None
        project = self.project
        if layer == "roads":
            self.workspace.set_network(self.doc.network, source=self.workspace.layer("roads").source if self.workspace.layer("roads") else None)
        elif layer == "facilities":
            self.workspace.set_facilities(self.plan.frame())
        else:
            frame = getattr(project, layer)
            if frame is None:
                self.workspace.layers = [lyr for lyr in self.workspace.layers if lyr.id != layer]
            else:
                old = self.workspace.layer(layer)
                self.workspace.set_input_layer(layer, frame, source=old.source if old is not None else None)
        self.workspace.clear_result()
        self.results.set_results(None)
        self.last_comparison = None
        self._refresh_scenarios()
        self._show_selection()
        self.layer_panel.rebuild()
        self.canvas.refresh()
        self._update_title()
        self.layerReplaced.emit(layer)
        if had_result:
            self._run_when_idle()

    def _run_when_idle(self) -> None:
        """Run the analysis now, or when the running task (e.g. the one that read a replacement) has ended."""
        if self.busy():
            self.task.finished.connect(self._run_when_idle)  # after _task_finished: the window is idle then
            return
        self.run_analysis()

    def _refresh_gaps(self) -> None:
        """Finish the pending classes' merged circles and gap areas in a worker (immutable snapshots)."""
        doc = self.doc
        if doc is None or not doc.analysed or not doc.quick_result().pending:
            return
        if self._gaps_task is not None and self._gaps_task.isRunning():
            self._gaps_timer.start()  # one at a time; try again when this one is done
            return
        version, jobs = doc.pending_jobs()
        task = Task(_finish_jobs, jobs)  # no parent: it outlives nothing it needs; held until it ends
        task.succeeded.connect(lambda done: self._gaps_done(version, done))
        task.failed.connect(self._task_failed)
        _RUNNING.add(task)
        task.finished.connect(lambda: _RUNNING.discard(task))  # a finished thread is released
        self._gaps_task = task
        task.start()

    def _stop_background(self) -> None:
        """Before the window goes: let the gap-area worker end (its results are simply dropped)."""
        self._gaps_timer.stop()
        if self._gaps_task is not None and self._gaps_task.isRunning():
            self._gaps_task.wait(30_000)
        self._gaps_task = None

    def _gaps_done(self, version: int, done: dict) -> None:
        self._gaps_task = None
        if getattr(self, "closed_for_good", False):  # the window closed while the worker finished
            return
        if self.doc is None or not self.doc.complete(version, done):
            self._gaps_timer.start()  # the plan changed meanwhile: finish the newer state
            return
        result = self.doc.quick_result()
        self.workspace.set_result(result, quiet=True)
        self.results.set_results(result.coverage_frame(), result.flags_frame())
        self.canvas.refresh()
        self.gapsRefreshed.emit()

    def current_result(self):
        """The complete result of the plan on screen (what exports take); shown on the map too."""
        if self.doc is None or not self.doc.analysed:
            return self.workspace.result
        result = self.doc.result
        if result is not self.workspace.result:
            self.workspace.set_result(result, quiet=True)
            self.canvas.refresh()
        return result


# -- worker functions ------------------------------------------------------------------------------

def _load_project(feedback, path: Path):
    feedback.progress(0.1, "reading the project")
    project = load_project(path)
    feedback.progress(0.5, "building the walking network")
    return project, project.settings.network(project.roads)


def _finish_jobs(feedback, jobs):
    return Document.run_jobs(jobs)


def _compare(feedback, inputs, frames, params, base, other):
    return compare_scenarios(inputs, frames, params, base=base, other=other, baseline=base, feedback=feedback)
