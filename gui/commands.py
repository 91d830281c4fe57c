"""Plan edits as QUndoCommands. redo/undo call the plan model's public methods, nothing else; each
command remembers the scenario it was made in and makes it active before acting."""
from __future__ import annotations

from PySide6 import QtGui

from projects.plan import Facility, PlanModel

from .i18n import tr


class _PlanCommand(QtGui.QUndoCommand):
    def __init__(self, plan: PlanModel, text: str, parent: QtGui.QUndoCommand | None = None) -> None:
        super().__init__(text, parent)
        self.plan = plan
        self.scenario = plan.active

    def _in_scenario(self) -> None:
        if self.plan.active != self.scenario:
            self.plan.set_active(self.scenario)


class AddFacility(_PlanCommand):
    def __init__(self, plan: PlanModel, facility: Facility, parent: QtGui.QUndoCommand | None = None) -> None:
        super().__init__(plan, tr("cmd.add", name=facility.name), parent)
        self.facility = facility

    def redo(self) -> None:
        self._in_scenario()
        self.plan.add_facility(self.facility)

    def undo(self) -> None:
        self._in_scenario()
        self.plan.remove_facility(self.facility.fid)


class RemoveFacility(_PlanCommand):
    def __init__(self, plan: PlanModel, fid: str, parent: QtGui.QUndoCommand | None = None) -> None:
        super().__init__(plan, tr("cmd.remove", name=plan.facility(fid).name), parent)
        self.fid = fid
        self._removed: tuple[Facility, int] | None = None

    def redo(self) -> None:
        self._in_scenario()
        self._removed = self.plan.remove_facility(self.fid)

    def undo(self) -> None:
        self._in_scenario()
        fac, index = self._removed
        self.plan.add_facility(fac, index=index)


class MoveFacility(_PlanCommand):
    def __init__(self, plan: PlanModel, fid: str, x: float, y: float, *, old: tuple[float, float] | None = None,
                 parent: QtGui.QUndoCommand | None = None) -> None:
        fac = plan.facility(fid)
        super().__init__(plan, tr("cmd.move", name=fac.name), parent)
        self.fid = fid
        self.new = (float(x), float(y))
        self.old = old if old is not None else (fac.x, fac.y)

    def redo(self) -> None:
        self._in_scenario()
        self.plan.move_facility(self.fid, *self.new)

    def undo(self) -> None:
        self._in_scenario()
        self.plan.move_facility(self.fid, *self.old)


class SetAttributes(_PlanCommand):
    def __init__(self, plan: PlanModel, fid: str, parent: QtGui.QUndoCommand | None = None, **attrs: object) -> None:
        fac = plan.facility(fid)
        super().__init__(plan, tr("cmd.edit", name=fac.name), parent)
        self.fid = fid
        self.new = dict(attrs)
        self.old = {k: getattr(fac, k) for k in attrs}

    def redo(self) -> None:
        self._in_scenario()
        self.plan.set_attributes(self.fid, **self.new)

    def undo(self) -> None:
        self._in_scenario()
        self.plan.set_attributes(self.fid, **self.old)


class SetSettings(QtGui.QUndoCommand):
    """A change of the analysis settings; redo/undo call :meth:`projects.document.Document.set_settings`."""

    def __init__(self, doc, new: dict, old: dict, text: str, parent: QtGui.QUndoCommand | None = None) -> None:
        super().__init__(text, parent)
        self.doc, self.new, self.old = doc, dict(new), dict(old)

    def redo(self) -> None:
        self.doc.set_settings(**self.new)

    def undo(self) -> None:
        self.doc.set_settings(**self.old)


class ReplaceLayer(QtGui.QUndoCommand):
    """An input layer replaced by a newly read file (roads, townships, population, communities, or the
    baseline's facility list: each plan scenario keeps its own changes where the facility is still listed;
    ``drop_population``: a table of township counts replaces the townships' elderly and removes the
    population points in the same step). redo calls
    :meth:`projects.document.Document.replace_layer`, undo :meth:`~projects.document.Document.restore_layer`;
    the project's record of the source file and import choices (under ``source_of``, default the layer: a
    population table of township counts replaces the townships and is recorded as the population) follows."""

    def __init__(self, doc, layer: str, frame, text: str, *, notes=(), source: str | None = None,
                 imports: dict | None = None, source_of: str | None = None, network=None,
                 drop_population: bool = False, parent: QtGui.QUndoCommand | None = None) -> None:
        super().__init__(text, parent)
        self.doc, self.layer, self.frame = doc, layer, frame
        self.network = network  # new roads' walking network, built in a worker (kept for a redo after an undo)
        self.source_of = source_of or layer
        self.notes = tuple(notes)
        self.source = source
        self.imports = dict(imports or {})
        self.drop_population = drop_population
        self._old = None
        self._old_record: tuple[str | None, dict | None] = (None, None)

    def redo(self) -> None:
        project = self.doc.project
        self._old_record = (project.sources.get(self.source_of), project.imports.get(self.source_of))
        crs = self.imports.get("crs") if self.layer == "facilities" else None  # what the new list was read as
        self._old = self.doc.replace_layer(self.layer, self.frame, notes=self.notes, network=self.network,
                                           drop_population=self.drop_population, facilities_crs=crs)
        if self.layer == "roads":
            self.network = self.doc.network
        self._record(self.source, self.imports or None)

    def undo(self) -> None:
        self.doc.restore_layer(self._old)
        self._record(*self._old_record)

    def _record(self, source: str | None, imports: dict | None) -> None:
        project = self.doc.project
        for table, value in ((project.sources, source), (project.imports, imports)):
            if value:
                table[self.source_of] = value
            else:
                table.pop(self.source_of, None)
