"""Map tools for editing the plan, the facility form and the scenario comparison dialog.

Tools turn mouse gestures into calls on the main window (which pushes undo commands); they hold no plan
state of their own beyond the gesture in progress.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from PySide6 import QtCore, QtGui, QtWidgets

from projects.compare import Comparison, write_comparison_csv
from projects.plan import STATUSES
from layers.classes import registry
from spatial.analysis import TOTAL_ROW

from .i18n import file_filter, tr
from .tables import DataFrameModel, FrameSortProxy
from .warnings_panel import os_error_message, show_error_box

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
        self.type.currentIndexChanged.connect(lambda _i: self._bed_fields())
        self._bed_fields()

    def _bed_fields(self) -> None:
        """Beds are entered only for a class whose beds count (助餐点, 居家养老服务站 … have none: the fields are off;
        a value a list gave is kept as it was, never changed behind the user's back)."""
        cid = self.type.currentData()
        with_beds = cid not in registry() or registry()[cid].has_beds
        for spin in (self.beds, self.nursing):
            spin.setEnabled(with_beds)

    def values(self) -> dict:
        return {"name": self.name.text().strip() or tr("form.default_name", type=tr(f"type.{self.type.currentData()}")),
                "type": self.type.currentData(), "beds": self.beds.value(), "nursing_beds": self.nursing.value(),
                "status": self.status.currentData()}


#: the columns the comparison dialog shows (those of comparison.csv), with their header keys
COMPARE_COLUMNS = {
    "township": "col.township", "type": "col.type",
    "base_share": "compare.col.base_share", "other_share": "compare.col.other_share", "delta_pp": "compare.col.delta_pp",
    "base_covered": "compare.col.base_covered", "other_covered": "compare.col.other_covered",
    "delta_covered": "compare.col.delta_covered",
    "base_flag_labels": "compare.col.base_flag_labels", "other_flag_labels": "compare.col.other_flag_labels",
}
GAIN_COLOUR, LOSS_COLOUR = "#dff0d8", "#f9dcd2"


class CompareTableModel(DataFrameModel):
    """Rows of a comparison table: changes with their sign; rows whose covered share changed in bold and
    tinted (green a gain, red a loss), with a tooltip saying so (never colour alone)."""

    def header_text(self, column: str) -> str:
        key = COMPARE_COLUMNS.get(column)
        return tr(key) if key else super().header_text(column)

    def display_text(self, row: int, column: str, value) -> str:
        """Types by their labels, shares as percent, covered elderly as whole people, changes with their
        sign: the covered share's in percentage points (百分点, one decimal, as the shares), people as people."""
        if column in ("delta_pp", "delta_covered") and isinstance(value, (int, float)) and value == value:
            sign = "+" if round(value, 1 if column == "delta_pp" else 0) else ""  # a sign on changes only
            return f"{value:{sign}.1f}" if column == "delta_pp" else f"{round(value):{sign},d}"
        return super().display_text(row, column, value)

    def change(self, row: int) -> float:
        """The row's change of the covered share in percentage points (0 when unchanged or unknown)."""
        v = self.raw(row, "delta_pp")
        return float(v) if isinstance(v, (int, float)) and v == v else 0.0

    def cell_role(self, row: int, column: str, value, role: int):
        delta = self.change(row)
        if not delta:
            return None
        if role == QtCore.Qt.ItemDataRole.FontRole:
            font = QtGui.QFont()
            font.setBold(True)
            return font
        if role == QtCore.Qt.ItemDataRole.BackgroundRole:
            return QtGui.QBrush(QtGui.QColor(GAIN_COLOUR if delta > 0 else LOSS_COLOUR))
        if role == QtCore.Qt.ItemDataRole.ForegroundRole:
            return QtGui.QBrush(QtGui.QColor("#000000"))  # readable on the tint in a dark theme too
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return tr("compare.changed_tip", delta=f"{delta:+.2f}")
        return None


class CompareDialog(QtWidgets.QDialog):
    """The comparison of two scenarios: per township and facility class the covered shares and covered
    elderly of both, their change and the missed targets of both (the columns of ``comparison.csv``); the
    合计 rows per class below; 导出… saves the table as CSV through :func:`projects.compare.write_comparison_csv`."""

    def __init__(self, parent: QtWidgets.QWidget | None, comparison: "Comparison | pd.DataFrame", *,
                 base: str | None = None, other: str | None = None) -> None:
        super().__init__(parent)
        if isinstance(comparison, Comparison):
            table = comparison.table
            base, other = base or comparison.base, other or comparison.other
        else:
            table = comparison
        self.table = table.reset_index(drop=True)
        self.base, self.other = str(base or ""), str(other or "")
        self.setWindowTitle(tr("compare.title", base=self.base, other=self.other))
        cols = [c for c in COMPARE_COLUMNS if c in self.table.columns]
        total = self.table["township"] == TOTAL_ROW
        self.model = CompareTableModel(self.table.loc[~total, cols])
        self.proxy = FrameSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.proxy)
        self.view.horizontalHeader().setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)  # the table's order first
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.totals = CompareTableModel(self.table.loc[total, cols])
        self.totals_view = QtWidgets.QTableView()
        self.totals_view.setModel(self.totals)
        self.totals_view.horizontalHeader().setStretchLastSection(True)
        rows = self.totals_view.verticalHeader()
        rows.setDefaultSectionSize(max(rows.minimumSectionSize(), self.fontMetrics().height() + 8))
        self.totals_view.setFixedHeight(self.totals_view.horizontalHeader().sizeHint().height()
                                        + rows.defaultSectionSize() * max(self.totals.rowCount(), 1)
                                        + 2 * self.totals_view.frameWidth() + 2)
        self.legend = QtWidgets.QLabel(tr("compare.legend"))
        self.legend.setWordWrap(True)
        self.export_button = QtWidgets.QPushButton(tr("compare.export"))
        self.export_button.clicked.connect(self.ask_export)
        self.status = QtWidgets.QLabel("")
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.export_button, QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(QtWidgets.QLabel(tr("compare.totals")))
        lay.addWidget(self.totals_view)
        lay.addWidget(self.legend)
        lay.addWidget(self.status)
        lay.addWidget(buttons)
        self.resize(1150, 820)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Columns wide enough for their labels (居家养老服务中心 whole), the 合计 table's columns under the table's."""
        self.view.resizeColumnsToContents()
        self.totals_view.resizeColumnsToContents()
        for c in range(self.model.columnCount()):
            width = max(self.view.columnWidth(c), self.totals_view.columnWidth(c))
            self.view.setColumnWidth(c, width)
            self.totals_view.setColumnWidth(c, width)
        self.totals_view.verticalHeader().setFixedWidth(self.view.verticalHeader().sizeHint().width())

    def ask_export(self) -> Path | None:
        """Ask where to save the comparison as CSV, then save it."""
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, tr("compare.export_title"), tr("compare.export_file", other=self.other),
                                                        file_filter("csv"))
        if not path:
            return None
        return self.export_csv(Path(path))

    def export_csv(self, path: Path) -> Path | None:
        """Save the whole comparison (合计 rows included) as ``comparison.csv`` is written: UTF-8 with a BOM,
        Chinese headers, atomically."""
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".csv")
        try:
            written = write_comparison_csv(self.table, path)
        except OSError as exc:
            show_error_box(self, tr("compare.export_title"), os_error_message(exc, path=path))
            return None
        self.status.setText(tr("compare.exported", path=written))
        return written
