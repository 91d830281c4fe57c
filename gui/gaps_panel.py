"""The 未覆盖社区/村 dock: per facility class, the named communities and villages outside the class's circle
(``AnalysisResult.named_gaps``), most elderly first, with the nearest facility of the class and the walk to
it; clicking a row asks the window to zoom there (:attr:`GapsPanel.zoom_requested`, map coordinates).

The panel reads ``workspace.result`` on every ``result_changed`` event and keeps nothing of its own beyond
what is on screen (to skip refilling the table when the shown class's rows did not change).
"""
from __future__ import annotations

import math

import pandas as pd
import pyproj
from PySide6 import QtCore, QtWidgets

from layers.classes import registry
from layers.crs import WGS84
from projects.workspace import Workspace

from .i18n import tr

#: the table's columns: named-gap field and header key
COLUMNS = (("name", "gaps.col.name"), ("kind", "gaps.col.kind"), ("township", "gaps.col.township"),
           ("elderly", "gaps.col.elderly"), ("nearest_facility", "gaps.col.nearest"), ("walk_m", "gaps.col.walk_m"))
FIELDS = tuple(c for c, _ in COLUMNS)
#: where each row's position (map coordinates) is kept, on its name cell
XY_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1


class GapsPanel(QtWidgets.QWidget):
    """A class selector, a line of totals, and the named gaps of that class in a sortable table."""

    #: a row was clicked or activated: the community's position in map coordinates (the workspace's CRS,
    #: metres) — the window zooms there and outlines it
    zoom_requested = QtCore.Signal(float, float)

    def __init__(self, workspace: Workspace, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._shown: tuple | None = None  # (class, language, rows on screen) to skip refilling the same rows
        self._to_map: tuple[object, pyproj.Transformer] | None = None
        self._sorted = False
        self.class_label = QtWidgets.QLabel()
        self.classes = QtWidgets.QComboBox()
        self.classes.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        reg = registry()
        for cid in reg.ids:
            self.classes.addItem(reg.label(cid), cid)
        self.classes.currentIndexChanged.connect(lambda _i: self.refresh())
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.hint = QtWidgets.QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555555;")
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.cellClicked.connect(self._activated)
        self.table.cellActivated.connect(self._activated)
        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.class_label)
        top.addWidget(self.classes)
        top.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)
        workspace.subscribe(self._on_workspace)
        self.retranslate()

    # -- model events -----------------------------------------------------------------------------
    def _on_workspace(self, event: str, payload: object) -> None:
        if event == "result_changed":
            self.refresh()

    def retranslate(self) -> None:
        reg = registry()
        lang = _lang()
        for i in range(self.classes.count()):
            self.classes.setItemText(i, reg.label(self.classes.itemData(i), lang))
        self.class_label.setText(tr("gaps.class"))
        self.hint.setText(tr("gaps.hint"))
        self.table.setHorizontalHeaderLabels([tr(key) for _, key in COLUMNS])
        self._shown = None
        self.refresh()

    # -- reading ----------------------------------------------------------------------------------
    def current_class(self) -> str:
        return str(self.classes.currentData())

    def set_class(self, class_id: str) -> None:
        """Show the named gaps of ``class_id`` (e.g. the class the map shows)."""
        i = self.classes.findData(class_id)
        if i >= 0 and i != self.classes.currentIndex():
            self.classes.setCurrentIndex(i)

    def row_count(self) -> int:
        return self.table.rowCount()

    def record(self, row: int) -> dict[str, str]:
        """The texts of one row, by field (as shown, after sorting)."""
        return {f: (self.table.item(row, i).text() if self.table.item(row, i) else "") for i, f in enumerate(FIELDS)}

    def position(self, row: int) -> tuple[float, float]:
        """The map coordinates of one row's community (as shown, after sorting)."""
        x, y = self.table.item(row, 0).data(XY_ROLE)
        return float(x), float(y)

    # -- updating ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the current result's named gaps of the chosen class (nothing to do when they are on screen)."""
        result = self.workspace.result
        cid = self.current_class()
        gaps = getattr(result, "named_gaps", None) if result is not None else None
        rows = gaps[gaps["type"] == cid] if gaps is not None else None
        key = (cid, _lang(), result is None)
        if self._shown is not None and self._shown[0] == key and _same(self._shown[1], rows):
            return
        self._shown = (key, rows)
        self._fill(result, cid, rows)

    def _fill(self, result, cid: str, rows: pd.DataFrame | None) -> None:
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        type_label = registry().label(cid, _lang())
        if result is None:
            self.summary.setText(tr("gaps.empty"))
        elif result.model is not None and not len(result.model.unit_names):
            self.summary.setText(tr("gaps.no_communities"))
        else:
            minutes = f"{result.params.profile.coverage_minutes:g}"
            n = 0 if rows is None else len(rows)
            if n == 0:
                self.summary.setText(tr("gaps.none", type=type_label, minutes=minutes))
            else:
                known = rows["elderly"].dropna()
                text = tr("gaps.summary", n=f"{n:,}", type=type_label, minutes=minutes, elderly=f"{int(known.sum()):,}")
                if len(known) < n:
                    text += tr("gaps.summary_missing", k=n - len(known))
                self.summary.setText(text)
                self._fill_rows(result, cid, rows)
        self.table.setVisible(self.table.rowCount() > 0)
        self.hint.setVisible(self.table.rowCount() > 0)
        header = self.table.horizontalHeader()
        if not self._sorted:  # most elderly first; afterwards the order the user picked is kept
            header.setSortIndicator(FIELDS.index("elderly"), QtCore.Qt.SortOrder.DescendingOrder)
            self._sorted = True
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()

    def _fill_rows(self, result, cid: str, rows: pd.DataFrame) -> None:
        has_facility = any(f.facilities > 0 for f in result.figures if f.type == cid) or rows["nearest_id"].notna().any()
        xs, ys = self._map_xy(rows["lon"].to_numpy(dtype=float), rows["lat"].to_numpy(dtype=float))
        self.table.setRowCount(len(rows))
        right = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        for r, (rec, x, y) in enumerate(zip(rows.to_dict("records"), xs, ys)):
            name = QtWidgets.QTableWidgetItem(str(rec["name"]))
            name.setData(XY_ROLE, (float(x), float(y)))
            self.table.setItem(r, 0, name)
            self.table.setItem(r, 1, QtWidgets.QTableWidgetItem(tr(f"kind.{rec['kind']}")))
            town = rec["township"]
            self.table.setItem(r, 2, QtWidgets.QTableWidgetItem(town if isinstance(town, str) else ""))
            elderly = rec["elderly"]
            if pd.isna(elderly):
                item = _NumberItem(-math.inf, tr("gaps.elderly_missing"))  # sorts below every count
            else:
                item = _NumberItem(float(elderly), f"{int(elderly):,}")
            item.setTextAlignment(right)
            self.table.setItem(r, 3, item)
            nearest = rec["nearest_facility"]
            walk = rec["walk_m"]
            if isinstance(nearest, str) and nearest:
                near_item = QtWidgets.QTableWidgetItem(nearest)
                near_item.setToolTip(f"{nearest}（{rec['nearest_id']}）")
                walk_item = _NumberItem(float(walk), f"{walk:,.0f}")
            else:
                text = tr("gaps.unreachable") if has_facility else tr("gaps.no_facility")
                near_item = QtWidgets.QTableWidgetItem(text)
                if has_facility:
                    near_item.setToolTip(tr("gaps.unreachable_tip"))
                walk_item = _NumberItem(math.inf, text)  # farther than any distance
            walk_item.setTextAlignment(right)
            self.table.setItem(r, 4, near_item)
            self.table.setItem(r, 5, walk_item)

    def _map_xy(self, lon, lat):
        """WGS 84 to the map's coordinates (the workspace CRS; WGS 84 when it has none)."""
        crs = self.workspace.crs
        if crs is None:
            return lon, lat
        if self._to_map is None or self._to_map[0] != crs:
            self._to_map = (crs, pyproj.Transformer.from_crs(WGS84, crs, always_xy=True))
        return self._to_map[1].transform(lon, lat)

    def _activated(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is None or item.data(XY_ROLE) is None:
            return
        x, y = self.position(row)
        self.zoom_requested.emit(x, y)


class _NumberItem(QtWidgets.QTableWidgetItem):
    """A number shown as formatted text that sorts as a number."""

    def __init__(self, number: float, text: str) -> None:
        super().__init__(text)
        self.number = number

    def __lt__(self, other: QtWidgets.QTableWidgetItem) -> bool:
        return self.number < getattr(other, "number", math.nan)


def _lang() -> str:
    from . import i18n

    return i18n.language()


def _same(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    if a is None or b is None:
        return a is b
    return a is b or (a.shape == b.shape and a.equals(b))


__all__ = ["COLUMNS", "GapsPanel"]
