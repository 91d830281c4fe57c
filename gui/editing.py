"""Map tools for editing the plan, the facility form and the scenario comparison dialog.

Tools turn mouse gestures into calls on the main window (which pushes undo commands); they hold no plan
state of their own beyond the gesture in progress.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from PySide6 import QtCore, QtWidgets

from projects.plan import STATUSES
from layers.classes import registry

from .i18n import tr
from .tables import DataFrameModel, FrameSortProxy

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow

PICK_TOLERANCE_PX = 10


class MapTool:
    """Base tool: returns True from ``press`` to take over the gesture (no panning)."""

    name = "identify"

    def __init__(self, window: "MainWindow") -> None:
        self.window = window

    def press(self, x: float, y: float, modifiers: QtCore.Qt.KeyboardModifier) -> bool:
        return False

    def move(self, x: float, y: float) -> None:
        pass

    def release(self, x: float, y: float) -> None:
        pass

    def click(self, x: float, y: float, modifiers: QtCore.Qt.KeyboardModifier) -> None:
        self.window.identify_at(x, y)


class AddTool(MapTool):
    """Click where a planned facility should go; a form asks for its type, name and beds."""

    name = "add"

    def click(self, x: float, y: float, modifiers: QtCore.Qt.KeyboardModifier) -> None:
        dialog = FacilityDialog(self.window, title=tr("form.title_add"), type_=self.window.canvas.renderer.display_type)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.window.add_facility_at(x, y, **dialog.values())


class MoveTool(MapTool):
    """Press on a facility and drag it; its circle follows the cursor; release to commit (one undo step)."""

    name = "move"

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.fid: str | None = None

    def press(self, x: float, y: float, modifiers: QtCore.Qt.KeyboardModifier) -> bool:
        self.fid = self.window.facility_near(x, y)
        return self.fid is not None

    def move(self, x: float, y: float) -> None:
        if self.fid is not None:
            self.window.preview_move(self.fid, x, y)

    def release(self, x: float, y: float) -> None:
        if self.fid is not None:
            self.window.move_facility_to(self.fid, x, y)
        self.fid = None


class SelectTool(MapTool):
    """Click a facility to select it (Ctrl adds); drag a rectangle to select all inside."""

    name = "select"

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.start: tuple[float, float] | None = None

    def press(self, x: float, y: float, modifiers: QtCore.Qt.KeyboardModifier) -> bool:
        self.start = (x, y)
        return True

    def move(self, x: float, y: float) -> None:
        if self.start is not None:
            self.window.canvas.set_rubber_band((*self.start, x, y))

    def release(self, x: float, y: float) -> None:
        if self.start is None:
            return
        x0, y0 = self.start
        self.window.canvas.set_rubber_band(None)
        self.start = None
        tol = PICK_TOLERANCE_PX * self.window.canvas.view.m_per_px
        if abs(x - x0) < tol and abs(y - y0) < tol:
            fid = self.window.facility_near(x, y)
            add = bool(QtWidgets.QApplication.keyboardModifiers() & QtCore.Qt.KeyboardModifier.ControlModifier)
            self.window.select_facilities([fid] if fid else [], add=add)
        else:
            self.window.select_in_box(min(x0, x), min(y0, y), max(x0, x), max(y0, y))


class FacilityDialog(QtWidgets.QDialog):
    """Type, name, beds, nursing beds and status of a facility."""

    def __init__(self, parent: QtWidgets.QWidget | None, *, title: str, type_: str | None = None, name: str = "",
                 beds: int = 0, nursing_beds: int = 0, status: str = "planned") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.type = QtWidgets.QComboBox()
        ids = registry().ids
        for t in ids:
            self.type.addItem(tr(f"type.{t}"), t)
        self.type.setCurrentIndex(ids.index(type_) if type_ in ids else 0)
        self.name = QtWidgets.QLineEdit(name or tr("form.default_name", type=tr(f"type.{self.type.currentData()}")))
        self.beds = QtWidgets.QSpinBox(maximum=100_000, value=int(beds))
        self.nursing = QtWidgets.QSpinBox(maximum=100_000, value=int(nursing_beds))
        self.status = QtWidgets.QComboBox()
        for s in STATUSES:
            self.status.addItem(tr(f"status.{s}"), s)
        self.status.setCurrentIndex(STATUSES.index(status))
        form = QtWidgets.QFormLayout(self)
        form.addRow(tr("form.type"), self.type)
        form.addRow(tr("form.name"), self.name)
        form.addRow(tr("form.beds"), self.beds)
        form.addRow(tr("form.nursing_beds"), self.nursing)
        form.addRow(tr("form.status"), self.status)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.beds.valueChanged.connect(lambda v: self.nursing.setMaximum(v))
        self.nursing.setMaximum(self.beds.value())

    def values(self) -> dict:
        return {"name": self.name.text().strip() or tr("form.default_name", type=tr(f"type.{self.type.currentData()}")),
                "type": self.type.currentData(), "beds": self.beds.value(), "nursing_beds": self.nursing.value(),
                "status": self.status.currentData()}


class CompareDialog(QtWidgets.QDialog):
    """Per-township coverage of the baseline and a scenario, with the change."""

    def __init__(self, parent: QtWidgets.QWidget | None, table: pd.DataFrame, *, base: str, other: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("compare.title", base=base, other=other))
        frame = table.copy()
        frame["type"] = [tr(f"type.{t}") for t in frame["type"]]
        headers = {"township": tr("col.township"), "type": tr("col.type"), "elderly": tr("col.elderly"),
                   "base_covered": f"{base} · {tr('col.elderly_covered')}", "other_covered": f"{other} · {tr('col.elderly_covered')}",
                   "base_share": tr("compare.base_share"), "other_share": tr("compare.other_share"),
                   "delta_share": tr("compare.delta") + " (%)", "delta_covered": tr("compare.delta") + " (人)",
                   "base_flags": tr("compare.base_flags"), "other_flags": tr("compare.other_flags")}
        self.model = DataFrameModel(frame, headers=headers)
        self.proxy = FrameSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setStretchLastSection(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.view)
        self.resize(1100, 600)
