"""The 选址建议 dialog (issue 17): choose a class, an objective (best k sites, or the fewest that meet the
profile's targets), candidates (generated at a spacing, or the planner's own file), a township limit and the
exact solution; the siting runs in a worker with progress and cancel; the sites found are listed with what each
adds, and 采纳为新方案 makes them a new plan scenario in one undoable step (:class:`ApplySuggestion`)."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from layers.classes import registry
from layers.errors import InputError
from projects.plan import PlanModel
from projects.siting import Suggestion, read_candidates, scenario_name, suggest
from spatial.siting import DEFAULT_SPACING_M, SitingParams

from .i18n import tr
from .worker import Task


class ApplySuggestion(QtGui.QUndoCommand):
    """A siting suggestion as a new scenario: a copy of the scenario it was computed on with the suggested sites
    added as planned facilities, made active. Undo removes the scenario and returns to the one active before."""

    def __init__(self, plan: PlanModel, suggestion: Suggestion, name: str,
                 parent: QtGui.QUndoCommand | None = None) -> None:
        super().__init__(tr("siting.cmd", name=name), parent)
        self.plan, self.suggestion, self.name = plan, suggestion, name
        self.previous = plan.active

    def redo(self) -> None:
        self.previous = self.plan.active
        self.plan.add_scenario(self.name, copy_of=self.suggestion.source_scenario)
        self.plan.set_active(self.name)
        for fac in self.suggestion.facilities:
            self.plan.add_facility(fac)

    def undo(self) -> None:
        if self.plan.active == self.name:
            self.plan.set_active(self.previous if self.previous in self.plan.scenarios else self.plan.baseline)
        self.plan.remove_scenario(self.name)


def _run(feedback, project, params, scenario, candidates_path, network):
    candidates = read_candidates(candidates_path) if candidates_path else None
    return suggest(project, params, scenario=scenario, candidates=candidates, network=network, feedback=feedback)


class SitingDialog(QtWidgets.QDialog):
    """Siting on ``doc`` (a :class:`projects.document.Document`); the accepted suggestion is pushed on
    ``undo_stack``."""

    finishedRun = QtCore.Signal(object)  # the Suggestion, or None after a failure or cancel

    def __init__(self, doc, undo_stack: QtGui.QUndoStack, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.undo_stack = doc, undo_stack
        self.task: Task | None = None
        self.suggestion: Suggestion | None = None
        self.setWindowTitle(tr("siting.title"))
        self.setModal(True)
        form = QtWidgets.QFormLayout()
        self.class_box = QtWidgets.QComboBox()
        for cid in registry().ids:
            self.class_box.addItem(tr(f"type.{cid}"), cid)
        form.addRow(tr("siting.class"), self.class_box)
        self.best_k = QtWidgets.QRadioButton(tr("siting.best_k"))
        self.meet = QtWidgets.QRadioButton(tr("siting.meet_targets"))
        self.best_k.setChecked(True)
        self.k_spin = QtWidgets.QSpinBox()
        self.k_spin.setRange(1, 500)
        self.k_spin.setValue(5)
        self.per_town = QtWidgets.QCheckBox(tr("siting.per_township"))
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.best_k)
        row.addWidget(self.k_spin)
        row.addWidget(self.meet)
        row.addStretch(1)
        form.addRow(tr("siting.objective"), row)
        form.addRow("", self.per_town)
        self.generated = QtWidgets.QRadioButton(tr("siting.generated"))
        self.from_file = QtWidgets.QRadioButton(tr("siting.from_file"))
        self.generated.setChecked(True)
        self.spacing = QtWidgets.QSpinBox()
        self.spacing.setRange(50, 5000)
        self.spacing.setSingleStep(50)
        self.spacing.setValue(int(DEFAULT_SPACING_M))
        self.spacing.setSuffix(tr("siting.metres"))
        self.file_edit = QtWidgets.QLineEdit()
        self.file_edit.setPlaceholderText(tr("siting.file_hint"))
        browse = QtWidgets.QPushButton(tr("siting.browse"))
        browse.clicked.connect(self._browse)
        grid = QtWidgets.QGridLayout()
        grid.addWidget(self.generated, 0, 0)
        grid.addWidget(QtWidgets.QLabel(tr("siting.spacing")), 0, 1)
        grid.addWidget(self.spacing, 0, 2)
        grid.addWidget(self.from_file, 1, 0)
        grid.addWidget(self.file_edit, 1, 1)
        grid.addWidget(browse, 1, 2)
        form.addRow(tr("siting.candidates"), grid)
        self.town_box = QtWidgets.QComboBox()
        self.town_box.addItem(tr("siting.whole_county"), None)
        for name in doc.project.townships["name"]:
            self.town_box.addItem(str(name), str(name))
        form.addRow(tr("siting.township"), self.town_box)
        self.exact = QtWidgets.QCheckBox(tr("siting.exact"))
        form.addRow("", self.exact)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QtWidgets.QLabel(tr("siting.ready"))
        self.status.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([tr("siting.col.site"), tr("siting.col.township"), tr("siting.col.newly"),
                                              tr("siting.col.share"), tr("siting.col.targets")])
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary = QtWidgets.QLabel("")  # explicit lines, no word wrap: its height follows its lines
        buttons = QtWidgets.QHBoxLayout()
        self.run_button = QtWidgets.QPushButton(tr("siting.run"))
        self.cancel_button = QtWidgets.QPushButton(tr("siting.cancel"))
        self.apply_button = QtWidgets.QPushButton(tr("siting.apply"))
        self.close_button = QtWidgets.QPushButton(tr("siting.close"))
        self.cancel_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.apply_button.clicked.connect(self.apply)
        self.close_button.clicked.connect(self.reject)
        for b in (self.run_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        for b in (self.apply_button, self.close_button):
            buttons.addWidget(b)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.summary)
        lay.addLayout(buttons)
        self.resize(760, 620)

    # -- input ----------------------------------------------------------------------------------------
    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, tr("siting.from_file"), "",
                                                        ";;".join([tr("siting.filter"), tr("filter.all")]))
        if path:
            self.file_edit.setText(path)
            self.from_file.setChecked(True)

    def params(self) -> SitingParams:
        return SitingParams(type=self.class_box.currentData(),
                            objective="meet_targets" if self.meet.isChecked() else "best_k",
                            count=int(self.k_spin.value()), township=self.town_box.currentData(),
                            exact=self.exact.isChecked(), per_township=self.per_town.isChecked(),
                            spacing_m=float(self.spacing.value()))

    # -- running --------------------------------------------------------------------------------------
    def start(self) -> Task | None:
        if self.task is not None and self.task.isRunning():
            return None
        path = self.file_edit.text().strip() if self.from_file.isChecked() else ""
        if self.from_file.isChecked() and not path:
            self._failed(tr("siting.no_file"))
            return None
        self.suggestion = None
        self.apply_button.setEnabled(False)
        self.table.setRowCount(0)
        self.summary.setText("")
        task = Task(_run, self.doc.project, self.params(), self.doc.scenario, Path(path) if path else None,
                    self.doc.network, parent=self)
        task.progress.connect(self._progress)
        task.succeeded.connect(self._done)
        task.failed.connect(self._failed)
        task.cancelled.connect(self._cancelled)
        task.finished.connect(lambda: self._set_running(False))
        self.task = task
        self._set_running(True)
        self.status.setText(tr("siting.running"))
        task.start()
        return task

    def cancel(self) -> None:
        if self.task is not None and self.task.isRunning():
            self.task.cancel()

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)

    def _progress(self, fraction: float, step: str) -> None:
        self.progress.setValue(int(round(fraction * 100)))

    def _done(self, suggestion: Suggestion) -> None:
        self._set_running(False)
        self.suggestion = suggestion
        r = suggestion.result
        self.table.setRowCount(len(r.sites))
        for i, (s, fac) in enumerate(zip(r.sites, suggestion.facilities)):
            cells = [fac.name, s.township or "—", f"{s.elderly_newly_covered:,.0f}", f"{s.cumulative_share:.1%}",
                     "、".join(t.split(":", 1)[1] for t in s.targets_met)]
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if c in (2, 3):
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, c, item)
        self.summary.setText(self.summary_text(suggestion))
        self.status.setText(tr("siting.done", n=len(r.sites)))
        self.progress.setValue(100)
        self.apply_button.setEnabled(bool(r.sites))
        self.finishedRun.emit(suggestion)

    def summary_text(self, suggestion: Suggestion) -> str:
        r = suggestion.result
        lines = [tr("siting.summary", before=f"{r.existing_covered / r.total_elderly:.1%}" if r.total_elderly else "—",
                    after=f"{r.promised_covered / r.total_elderly:.1%}" if r.total_elderly else "—",
                    n=f"{r.candidates:,}", method=tr(f"siting.method.{r.method}"))]
        if r.params.objective == "meet_targets":
            if r.exact_value == r.exact_value:
                lines.append(tr("siting.sets", greedy=f"{r.greedy_value:.0f}", exact=f"{r.exact_value:.0f}"))
        elif r.ratio == r.ratio:  # a number: greedy beside the optimum
            lines.append(tr("siting.ratio", ratio=f"{r.ratio:.3f}", optimal=tr("siting.optimal") if r.exact_optimal
                            else tr("siting.time_limit")))
        if r.unmet:
            shown = "；".join(f"{u.unit}（{tr('siting.reason.' + u.reason)}）" for u in r.unmet[:8])
            more = tr("siting.more", n=len(r.unmet) - 8) if len(r.unmet) > 8 else ""
            lines.append(tr("siting.unmet", units=shown + more))
        return "\n".join(lines)

    def _failed(self, message: str) -> None:
        from .warnings_panel import error_text

        self._set_running(False)
        line, detail = error_text(message)  # the engine's English one-liners in the UI language
        self.status.setText(tr("siting.failed", message=line))
        self.status.setToolTip(detail)
        self.finishedRun.emit(None)

    def _cancelled(self) -> None:
        self._set_running(False)
        self.status.setText(tr("siting.cancelled"))
        self.progress.setValue(0)
        self.finishedRun.emit(None)

    # -- result ---------------------------------------------------------------------------------------
    def apply(self) -> str | None:
        """Push the suggestion as a new scenario (one undo step); returns its name."""
        if self.suggestion is None:
            return None
        plan = self.doc.plan
        name = scenario_name(plan, self.suggestion)
        try:
            self.undo_stack.push(ApplySuggestion(plan, self.suggestion, name))
        except InputError as exc:
            self._failed(str(exc))
            return None
        self.apply_button.setEnabled(False)
        self.status.setText(tr("siting.applied", name=name))
        return name

    def reject(self) -> None:
        if self.task is not None and self.task.isRunning():
            self.task.cancel()
            self.task.wait(10000)
        super().reject()
