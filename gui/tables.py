"""Table views: the attribute table of any vector layer, the coverage/gap results table, the identify panel.

The widgets here only show data and pass clicks on as signals; all numbers come ready-made from
:mod:`spatial.analysis` (``coverage_frame`` / ``indicators_frame``) or from a layer's (Geo)DataFrame.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from PySide6 import QtCore, QtGui, QtWidgets

from layers.styling import CHOROPLETH_OPACITY, share_colour
from spatial.analysis import TOTAL_ROW

from .i18n import field_label, language, tr, value_label

Qt = QtCore.Qt

#: foreground of a flagged cell
FLAG_COLOR = "#c0392b"

#: integer columns shown without thousands separators (ids, codes, years)
_PLAIN_INT_SUFFIXES = ("id", "code", "year", "_no", "component", "layer", "编码", "代码", "年份")
#: columns that count people: whole numbers always (41,431, never 41,431.0)
_PEOPLE_MARKERS = ("elderly", "population", "people", "persons", "老年人口", "老人")
_PEOPLE_SUFFIXES = ("covered",)
#: columns of beds and bed figures: blank (—) on a row whose facility class has no beds (助餐点, 居家养老服务站 …)
BED_COLUMNS = ("beds", "nursing_beds", "beds_per_1000", "nursing_share")
#: what a cell without meaning shows (a bed figure of a class without beds)
NOT_APPLICABLE = "—"

#: flag indicators whose target/actual are shares (shown as percent)
_SHARE_INDICATORS = ("covered_share", "nursing_share", "share_of_units_with")
#: flag indicators that count the units of a township that meet a target: shown as met/all
_UNIT_INDICATORS = ("units_met",)
#: flag indicators whose numbers add nothing to the flag's name
_BARE_INDICATORS = ("present_in_every",)
#: labels of the flags (target ids) shown last, from the flags frame
_FLAG_LABELS: dict[str, str] = {}


# -- values and formatting --------------------------------------------------------------------------
def is_missing(value: Any) -> bool:
    """``None``, NaN, ``pd.NA`` and ``NaT`` count as missing."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes)) else False
    except (TypeError, ValueError):  # array-likes
        return False


def _py(value: Any) -> Any:
    """A plain Python value (numpy scalars unwrapped, pandas missing markers as ``None``)."""
    if value is pd.NA or value is pd.NaT:
        return None
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def is_people_column(column: str) -> bool:
    """True for a column that counts people (``elderly``, ``elderly_covered``, ``base_covered`` …)."""
    name = str(column).lower()
    if name.endswith("share"):
        return False
    return any(m in name for m in _PEOPLE_MARKERS) or name.endswith(_PEOPLE_SUFFIXES)


def format_value(column: str, value: Any, *, decimals: int = 1) -> str:
    """Display text of one cell: shares (``*share`` and ``share_*`` columns) as percent, people (``elderly``,
    ``*_covered``) as whole numbers, walking minutes as written, other floats with ``decimals`` decimals,
    integers with thousands separators (ids, codes and years plain); missing numbers as an en dash."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if _is_number(value):
        if isinstance(value, complex):
            return str(value)
        if isinstance(value, float) and math.isnan(value):
            return "–"
        name = str(column).lower()
        if name.endswith("share") or name.startswith("share_"):
            return f"{float(value):.{decimals}%}"
        if is_people_column(name) and not isinstance(value, numbers.Integral):
            return f"{round(float(value)):,}"
        if name == "minutes":
            return f"{float(value):g}"
        if isinstance(value, numbers.Integral):
            if name.endswith(_PLAIN_INT_SUFFIXES):
                return str(int(value))
            return f"{int(value):,}"
        return f"{float(value):,.{decimals}f}"
    if is_missing(value):
        return ""
    return str(value)


def has_beds(class_id: Any) -> bool:
    """False for a facility class of the registry whose beds do not count (``meal_point`` …); True otherwise
    (unknown classes keep their numbers: never hide what may matter)."""
    from layers.classes import registry

    reg = registry()
    return reg[class_id].has_beds if isinstance(class_id, str) and class_id in reg else True


def cell_text(column: str, value: Any, *, class_id: Any = None, decimals: int = 1) -> str:
    """The display text of a (column, value) pair, the one rule of tables, identify and the comparison: codes
    by their label (:func:`gui.i18n.value_label`: ``day_care`` → 日间照料中心, ``existing`` → 现状, ``urban`` → 社区),
    flags by their names, bed figures blank (—) where ``class_id`` has no beds, numbers by :func:`format_value`."""
    name = str(column)
    if name in BED_COLUMNS and class_id is not None and not has_beds(class_id):
        return NOT_APPLICABLE
    label = value_label(name, value)
    if label is not None:
        return label
    if name == "flags" and isinstance(value, str):
        return _flag_separator().join(flag_label(f.strip()) for f in value.split(";") if f.strip())
    return format_value(name, value, decimals=decimals)


def _tr_or(key: str, fallback: str) -> str:
    text = tr(key)
    return fallback if text == key else text


def flag_label(flag: str) -> str:
    """The flag's name: the label of the target it stands for (the raw name when unknown)."""
    return _FLAG_LABELS.get(flag) or _tr_or(f"flag.{flag}", flag)


def format_flag(flag: str, indicator: str | None = None, target: float | None = None,
                actual: float | None = None) -> str:
    """One flag with the numbers behind it, e.g. ``千人床位不足 (9.8 < 28.5)``, ``日间照料中心覆盖率不足 (32.1% < 90.0%)``,
    ``社区助餐缺口 (2)``. Without numbers the flag's name alone."""
    label = flag_label(flag)
    if indicator is None or indicator in _BARE_INDICATORS or actual is None or is_missing(actual):
        return label
    if indicator in _UNIT_INDICATORS and target is not None and not is_missing(target):
        return f"{label} ({int(round(float(actual))):,}/{int(round(float(target))):,})"
    if target is None or is_missing(target):
        return label
    if indicator in _SHARE_INDICATORS or indicator.endswith("share"):
        return f"{label} ({float(actual):.1%} < {float(target):.1%})"
    return f"{label} ({float(actual):,.1f} < {float(target):,.1f})"


def _flag_separator() -> str:
    return "；" if language() == "zh" else "; "


def _column_values(series: pd.Series) -> list[Any]:
    """Plain Python values of a column; in non-numeric columns missing values become ``None``."""
    values = [_py(v) for v in series.tolist()]
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return values
    return [None if is_missing(v) else v for v in values]


def _dense_ranks(values: list[Any]) -> np.ndarray:
    """Rank of each value (0 = smallest, ties equal), -1 for missing values. All-number columns rank
    numerically, anything else by case-folded text."""
    ranks = np.full(len(values), -1, dtype=np.int64)
    present = [i for i, v in enumerate(values) if not is_missing(v)]
    if not present:
        return ranks
    vals = [values[i] for i in present]
    if all(isinstance(v, numbers.Real) for v in vals):
        keys = np.asarray(vals)
        if keys.dtype == object:
            keys = keys.astype(float)
    else:
        keys = np.asarray([str(v).casefold() for v in vals])
    ranks[present] = np.unique(keys, return_inverse=True)[1].ravel()
    return ranks


def _geometry_columns(df: pd.DataFrame) -> set[str]:
    hidden = {c for c in df.columns if str(getattr(df[c], "dtype", "")) == "geometry"}
    active = getattr(df, "_geometry_column_name", None)
    if active is not None and active in df.columns:
        hidden.add(active)
    return hidden


# -- models -----------------------------------------------------------------------------------------
class DataFrameModel(QtCore.QAbstractTableModel):
    """Read-only table over a pandas DataFrame; geometry columns are hidden.

    ``DisplayRole`` gives formatted text (:func:`format_value`), ``Qt.UserRole`` the raw value (for numeric
    sorting), ``TextAlignmentRole`` right-aligns numbers. ``headers`` maps column name -> header text.
    """

    def __init__(self, frame: pd.DataFrame | None = None, *, headers: Mapping[str, str] | None = None,
                 decimals: int = 1, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[str, str] = dict(headers or {})
        self._decimals = decimals
        self._frame = pd.DataFrame()
        self._columns: list[str] = []
        self._cols: list[list[Any]] = []
        self._index: list[Any] = []
        self._nrows = 0
        self._order: list[int] = []  # model row -> frame position (the model sorts itself, see sort())
        self._ranks: dict[int, Any] = {}
        self._sorted: tuple[str | None, Qt.SortOrder] = (None, Qt.AscendingOrder)  # by column name
        if frame is not None:
            self.set_frame(frame)

    # -- content ---------------------------------------------------------------------------------
    def set_frame(self, frame: pd.DataFrame | None) -> None:
        """Show ``frame`` (``None`` empties the table)."""
        self.beginResetModel()
        frame = pd.DataFrame() if frame is None else frame
        hidden = _geometry_columns(frame)
        self._frame = frame
        self._columns = [c for c in frame.columns if c not in hidden]
        self._cols = [_column_values(frame[c]) for c in self._columns]
        self._index = [_py(v) for v in frame.index.tolist()]
        self._nrows = len(frame)
        self._ranks = {}
        self._order = self._sort_order(*self.sort_state())
        self.endResetModel()

    def set_headers(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)
        if self._columns:
            self.headerDataChanged.emit(Qt.Horizontal, 0, len(self._columns) - 1)

    def frame(self) -> pd.DataFrame:
        """The frame as given (geometry included)."""
        return self._frame

    def columns(self) -> list[str]:
        """The shown columns, in order."""
        return list(self._columns)

    def column_of(self, name: str) -> int:
        """Column number of ``name`` (-1 when not shown)."""
        try:
            return self._columns.index(name)
        except ValueError:
            return -1

    def raw(self, row: int, column: int | str) -> Any:
        col = self.column_of(column) if isinstance(column, str) else column
        return self._cols[col][self._order[row]]

    def row_record(self, row: int) -> dict[str, Any]:
        """Raw values of one row (shown columns, geometry left out)."""
        pos = self._order[row]
        return {c: self._cols[i][pos] for i, c in enumerate(self._columns)}

    def index_label(self, row: int) -> Any:
        """The frame's index value of ``row``."""
        return self._index[self._order[row]]

    def row_of_label(self, label: Any) -> int:
        """Row of the frame index value ``label`` (-1 when absent)."""
        try:
            pos = self._index.index(label)
        except ValueError:
            return -1
        return self._order.index(pos)

    # -- sorting ---------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        """Sort rows on the raw values of ``column`` (-1: the frame's order): numbers numerically, text
        case-insensitively, missing values last in both orders; ties keep the frame's order. Done in numpy,
        so large attribute tables sort at once (a proxy sorting through Python ``data()`` would take
        seconds); the order is kept across :meth:`set_frame`."""
        column = column if 0 <= column < len(self._columns) else -1
        self._sorted = (self._columns[column] if column >= 0 else None, order)
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_pos = [self._order[i.row()] for i in old]
        self._order = self._sort_order(column, order)
        row_of = {p: r for r, p in enumerate(self._order)}
        self.changePersistentIndexList(old, [self.index(row_of[p], i.column()) for p, i in zip(old_pos, old)])
        self.layoutChanged.emit()

    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        """(column, order) of the last :meth:`sort` (column -1: unsorted)."""
        name, order = self._sorted
        return (self.column_of(name) if name is not None else -1), order

    def _sort_order(self, column: int, order: Qt.SortOrder) -> list[int]:
        if column < 0 or column >= len(self._columns):
            return list(range(self._nrows))
        ranks = self._ranks.get(column)
        if ranks is None:
            ranks = self._ranks[column] = _dense_ranks(self._cols[column])
        present = np.nonzero(ranks >= 0)[0]
        missing = np.nonzero(ranks < 0)[0]
        keys = ranks[present]
        if order == Qt.DescendingOrder:
            keys = -keys
        return present[np.argsort(keys, kind="stable")].tolist() + missing.tolist()

    def retranslate(self) -> None:
        """Re-read headers and texts (after a language switch)."""
        if self._columns:
            self.headerDataChanged.emit(Qt.Horizontal, 0, len(self._columns) - 1)
        if self._nrows and self._columns:
            self.dataChanged.emit(self.index(0, 0), self.index(self._nrows - 1, len(self._columns) - 1),
                                  [Qt.DisplayRole, Qt.ToolTipRole])

    # -- hooks for subclasses --------------------------------------------------------------------
    def header_text(self, column: str) -> str:
        """The header given for ``column``, else its label (:func:`gui.i18n.field_label`)."""
        return self._headers.get(column, None) or field_label(column)

    def row_class(self, row: int) -> Any:
        """The facility class of ``row`` (its ``type`` value), or None when the table has no such column."""
        col = self.column_of("type")
        return self.raw(row, col) if col >= 0 else None

    def display_text(self, row: int, column: str, value: Any) -> str:
        return cell_text(column, value, class_id=self.row_class(row) if column in BED_COLUMNS else None,
                         decimals=self._decimals)

    def cell_role(self, row: int, column: str, value: Any, role: int) -> Any:
        """Extra roles (foreground, font, background, tooltip) for subclasses."""
        return None

    # -- QAbstractTableModel ---------------------------------------------------------------------
    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._nrows

    def columnCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QtCore.QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < self._nrows and 0 <= col < len(self._columns)):
            return None
        value = self._cols[col][self._order[row]]
        column = self._columns[col]
        if role == Qt.DisplayRole:
            return self.display_text(row, column, value)
        if role == Qt.UserRole:
            return value
        if role == Qt.TextAlignmentRole:
            if _is_number(value):
                return int(Qt.AlignRight | Qt.AlignVCenter)
            return int(Qt.AlignLeft | Qt.AlignVCenter)
        return self.cell_role(row, column, value, role)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            if 0 <= section < len(self._columns):
                return self.header_text(self._columns[section])
            return None
        if 0 <= section < self._nrows:
            return str(section + 1)
        return None

    def flags(self, index: QtCore.QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable


class CoverageTableModel(DataFrameModel):
    """The coverage results (``coverage_frame``) with the numbers behind each flag (``indicators_frame``).

    Headers are ``tr('col.<name>')``, the type column ``tr('type.<type>')``, the flags column each flag in
    the current language with its numbers; flagged cells are red and bold, covered shares tinted red→green.
    """

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent=parent)
        self._flag_numbers: dict[tuple[str, str, str], tuple[str, float, float, float]] = {}

    def set_results(self, coverage: pd.DataFrame | None, indicators: pd.DataFrame | None = None) -> None:
        numbers_: dict[tuple[str, str, str], tuple[str, float, float, float]] = {}
        if indicators is not None and len(indicators):
            gap = indicators["gap"] if "gap" in indicators.columns else indicators["target"] - indicators["actual"]
            for town, typ, flag, ind, target, actual, g in zip(
                indicators["township"], indicators["type"], indicators["flag"], indicators["indicator"],
                indicators["target"], indicators["actual"], gap,
            ):
                numbers_[(str(town), str(typ), str(flag))] = (str(ind), _py(target), _py(actual), _py(g))
            if "label" in indicators.columns:
                _FLAG_LABELS.update({str(f): str(lb) for f, lb in zip(indicators["flag"], indicators["label"]) if lb})
        self._flag_numbers = numbers_
        self.set_frame(coverage)

    def flag_names(self, row: int) -> list[str]:
        col = self.column_of("flags")
        if col < 0:
            return []
        raw = self.raw(row, col)
        if raw is None or is_missing(raw):
            return []
        return [f for f in str(raw).split(";") if f.strip()]

    def flag_numbers(self, row: int, flag: str) -> tuple[str, float, float, float] | None:
        """``(indicator, target, actual, gap)`` behind ``flag`` on ``row``, from the indicators frame."""
        key = (str(self.raw(row, "township")), str(self.raw(row, "type")), flag)
        return self._flag_numbers.get(key)

    def flags_text(self, row: int) -> str:
        parts = []
        for flag in self.flag_names(row):
            nums = self.flag_numbers(row, flag)
            parts.append(format_flag(flag, *nums[:3]) if nums else flag_label(flag))
        return _flag_separator().join(parts)

    # -- hooks -----------------------------------------------------------------------------------
    def display_text(self, row: int, column: str, value: Any) -> str:
        if column == "flags":
            return self.flags_text(row)
        return super().display_text(row, column, value)

    def is_total(self, row: int) -> bool:
        """True for a county total row (合计, one per facility class)."""
        return self.column_of("township") >= 0 and self.raw(row, "township") == TOTAL_ROW

    def cell_role(self, row: int, column: str, value: Any, role: int) -> Any:
        if role == Qt.FontRole and self.is_total(row):
            font = QtGui.QFont()
            font.setBold(True)
            return font
        if column == "flags" and self.flag_names(row):
            if role == Qt.ForegroundRole:
                return QtGui.QBrush(QtGui.QColor(FLAG_COLOR))
            if role == Qt.FontRole:
                font = QtGui.QFont()
                font.setBold(True)
                return font
            if role == Qt.ToolTipRole:
                return "\n".join(self.flags_text(row).split(_flag_separator()))
        if column == "covered_share" and role == Qt.BackgroundRole and _is_number(value) and not is_missing(value):
            # the map's choropleth class (colour-blind safe, layers.styling), as pale as the map draws it
            colour = QtGui.QColor(share_colour(min(max(float(value), 0.0), 1.0)))
            colour.setAlphaF(CHOROPLETH_OPACITY * 0.75)
            return QtGui.QBrush(colour)
        return None


class FrameSortProxy(QtCore.QSortFilterProxyModel):
    """Sorts on ``Qt.UserRole`` (raw values): numbers numerically, text case-insensitively, missing values last
    in both orders. Over a :class:`DataFrameModel` the sorting itself is delegated to the model."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(Qt.UserRole)
        self.setDynamicSortFilter(True)

    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        """A :class:`DataFrameModel` source sorts itself (fast, same rules as :meth:`lessThan`); the proxy then
        keeps the source's order and only filters. Other sources are sorted here."""
        src = self.sourceModel()
        if isinstance(src, DataFrameModel):
            if self.sortColumn() != -1:
                super().sort(-1, order)
            src.sort(column, order)
        else:
            super().sort(column, order)

    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        """(column, order) the rows are shown in (column -1: unsorted)."""
        src = self.sourceModel()
        if isinstance(src, DataFrameModel):
            return src.sort_state()
        return self.sortColumn(), self.sortOrder()

    def lessThan(self, left: QtCore.QModelIndex, right: QtCore.QModelIndex) -> bool:
        a, b = left.data(self.sortRole()), right.data(self.sortRole())
        a_missing, b_missing = is_missing(a), is_missing(b)
        if a_missing or b_missing:
            if a_missing and b_missing:
                return False
            descending = self.sortOrder() == Qt.DescendingOrder
            return descending if a_missing else not descending
        if _is_number(a) and _is_number(b):
            return a < b
        if isinstance(a, bool) and isinstance(b, bool):
            return a < b
        try:
            if type(a) is type(b) and not isinstance(a, str):
                return a < b
        except TypeError:
            pass
        return str(a).casefold() < str(b).casefold()

    def refilter(self) -> None:
        """Re-run ``filterAcceptsRow`` after the filter's settings changed."""
        if hasattr(self, "endFilterChange"):
            self.beginFilterChange()
            self.endFilterChange(QtCore.QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - Qt < 6.10
            self.invalidateFilter()


class _ResultsProxy(FrameSortProxy):
    """Keeps rows whose township contains a text and, optionally, of one facility type."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.township_text = ""
        self.type_key: str | None = None

    def filterAcceptsRow(self, source_row: int, source_parent: QtCore.QModelIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, DataFrameModel):
            return True
        if self.type_key is not None and model.column_of("type") >= 0:
            if str(model.raw(source_row, "type")) != self.type_key:
                return False
        text = self.township_text.strip().casefold()
        if text and model.column_of("township") >= 0:
            if text not in str(model.raw(source_row, "township")).casefold():
                return False
        return True


def _make_view(parent: QtWidgets.QWidget) -> QtWidgets.QTableView:
    view = QtWidgets.QTableView(parent)
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
    view.setSelectionMode(QtWidgets.QAbstractItemView.SingleSelection)
    view.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setSortIndicatorClearable(True)
    header.setSortIndicator(-1, Qt.AscendingOrder)  # keep the frame's order until a header is clicked
    header.setStretchLastSection(True)
    view.verticalHeader().setVisible(False)
    view.setSortingEnabled(True)
    return view


class _RowActivation(QtCore.QObject):
    """Calls ``callback(source_row)`` once per row selected (mouse or keyboard) and when a click lands on the
    already selected row. Programmatic selection inside :meth:`silently` stays quiet."""

    def __init__(self, view: QtWidgets.QTableView, proxy: QtCore.QSortFilterProxyModel,
                 callback: Callable[[int], None]) -> None:
        super().__init__(view)
        self._view, self._proxy, self._callback = view, proxy, callback
        self._serial = 0
        self._serial_at_press = -1
        self._quiet = False
        view.viewport().installEventFilter(self)
        view.clicked.connect(self._on_clicked)
        view.selectionModel().selectionChanged.connect(self._on_selection_changed)

    def silently(self, fn: Callable[[], Any]) -> Any:
        self._quiet = True
        try:
            return fn()
        finally:
            self._quiet = False

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.MouseButtonPress:
            self._serial_at_press = self._serial
        return False

    def _on_selection_changed(self, selected: QtCore.QItemSelection, _deselected: QtCore.QItemSelection) -> None:
        self._serial += 1
        if self._quiet:
            return
        rows = self._view.selectionModel().selectedRows()
        if rows:
            self._emit(rows[0])

    def _on_clicked(self, index: QtCore.QModelIndex) -> None:
        if self._quiet or not index.isValid():
            return
        if self._serial == self._serial_at_press:  # the click did not change the selection: re-activate
            self._emit(index)

    def _emit(self, proxy_index: QtCore.QModelIndex) -> None:
        source = self._proxy.mapToSource(proxy_index)
        if source.isValid():
            self._callback(source.row())


# -- widgets ----------------------------------------------------------------------------------------
class ResultsTable(QtWidgets.QWidget):
    """Coverage and gaps per township and facility type, filterable by township text and type.

    ``townshipActivated(str)`` carries the township of a row the user clicks or selects;
    :meth:`select_township` selects a row without emitting it (no echo back to the map)."""

    townshipActivated = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CoverageTableModel(self)
        self.proxy = _ResultsProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QtWidgets.QLineEdit(self)
        self.filter_edit.setClearButtonEnabled(True)
        self.type_combo = QtWidgets.QComboBox(self)
        self.type_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToContents)
        self.view = _make_view(self)
        self.view.setModel(self.proxy)

        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.type_combo)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)

        self._types: list[str] = []
        self._fill_types()
        self.retranslate()
        self._activation = _RowActivation(self.view, self.proxy, self._row_activated)
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.type_combo.currentIndexChanged.connect(self._on_type_index)

    # -- public ----------------------------------------------------------------------------------
    def set_results(self, coverage: pd.DataFrame | None, indicators: pd.DataFrame | None = None) -> None:
        """Show a ``coverage_frame`` and the ``indicators_frame`` behind its flags. Column widths are fitted
        when the table is first filled, not on every live update (fitting reads every cell)."""
        first = self.model.rowCount() == 0
        self.model.set_results(coverage, indicators)
        self._fill_types()
        if first:
            self.view.resizeColumnsToContents()

    def row_count(self) -> int:
        """Rows shown (after filtering)."""
        return self.proxy.rowCount()

    def select_township(self, name: str) -> bool:
        """Select (and scroll to) the first shown row of township ``name``; does not emit
        ``townshipActivated``. False when no shown row has that township."""
        col = self.model.column_of("township")
        if col < 0:
            return False
        for r in range(self.proxy.rowCount()):
            idx = self.proxy.index(r, col)
            if str(idx.data(Qt.UserRole)) == name:
                def do() -> None:
                    self.view.selectionModel().setCurrentIndex(
                        idx, QtCore.QItemSelectionModel.ClearAndSelect | QtCore.QItemSelectionModel.Rows)
                self._activation.silently(do)
                self.view.scrollTo(idx)
                return True
        self._activation.silently(self.view.clearSelection)
        return False

    def selected_township(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return str(self.model.raw(self.proxy.mapToSource(rows[0]).row(), "township"))

    def set_township_filter(self, text: str) -> None:
        self.filter_edit.setText(text)

    def set_type_filter(self, type_key: str | None) -> None:
        """Show one facility type (``None``: all)."""
        i = self.type_combo.findData(type_key if type_key is not None else "")
        if i >= 0:
            self.type_combo.setCurrentIndex(i)

    def retranslate(self) -> None:
        """Re-read texts after a language switch."""
        self.filter_edit.setPlaceholderText(tr("results.filter"))
        self.type_combo.setItemText(0, tr("results.all_types"))
        for i, t in enumerate(self._types, start=1):
            self.type_combo.setItemText(i, _tr_or(f"type.{t}", t))
        self.model.retranslate()
        self.view.resizeColumnsToContents()

    # -- slots -----------------------------------------------------------------------------------
    def _row_activated(self, source_row: int) -> None:
        if self.model.column_of("township") >= 0:
            self.townshipActivated.emit(str(self.model.raw(source_row, "township")))

    def _on_filter_text(self, text: str) -> None:
        self.proxy.township_text = text
        self.proxy.refilter()

    def _on_type_index(self, i: int) -> None:
        key = self.type_combo.itemData(i)
        self.proxy.type_key = key or None
        self.proxy.refilter()

    def _fill_types(self) -> None:
        from_frame: list[str] = []
        col = self.model.column_of("type")
        if col >= 0:
            for v in self.model._cols[col]:
                if v is not None and str(v) not in from_frame:
                    from_frame.append(str(v))
        if from_frame == self._types and self.type_combo.count():
            return
        current = self.type_combo.currentData() or ""
        self._types = from_frame
        self.type_combo.blockSignals(True)
        self.type_combo.clear()
        self.type_combo.addItem(tr("results.all_types"), "")
        for t in from_frame:
            self.type_combo.addItem(_tr_or(f"type.{t}", t), t)
        i = self.type_combo.findData(current)
        self.type_combo.setCurrentIndex(i if i >= 0 else 0)
        self.type_combo.blockSignals(False)
        self.proxy.type_key = self.type_combo.currentData() or None
        self.proxy.refilter()


class AttributeTable(QtWidgets.QDialog):
    """Non-modal attribute table of a vector layer (geometry hidden), sortable, with the feature count.

    ``featureActivated(int)`` carries the frame's index value of the clicked/selected row (its position
    when the index is not integer)."""

    featureActivated = QtCore.Signal(int)

    def __init__(self, title: str, frame: pd.DataFrame | None = None, *,
                 headers: Mapping[str, str] | None = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowContextHelpButtonHint, False)
        self.model = DataFrameModel(headers=headers, parent=self)
        self.proxy = FrameSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = _make_view(self)
        self.view.setModel(self.proxy)
        self.count_label = QtWidgets.QLabel(self)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.count_label)
        self._activation = _RowActivation(self.view, self.proxy, self._row_activated)
        self.resize(720, 420)
        self.set_frame(frame)

    def set_frame(self, frame: pd.DataFrame | None) -> None:
        self.model.set_frame(frame)
        self.view.resizeColumnsToContents()
        self._update_count()

    def feature_count(self) -> int:
        return self.model.rowCount()

    def select_feature(self, label: Any) -> bool:
        """Select the row with frame index ``label`` without emitting ``featureActivated``."""
        row = self.model.row_of_label(label)
        if row < 0:
            return False
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        if not idx.isValid():
            return False
        self._activation.silently(lambda: self.view.selectionModel().setCurrentIndex(
            idx, QtCore.QItemSelectionModel.ClearAndSelect | QtCore.QItemSelectionModel.Rows))
        self.view.scrollTo(idx)
        return True

    def retranslate(self) -> None:
        self.model.retranslate()
        self._update_count()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        text = tr("attr.count", n=n) if tr("attr.count") != "attr.count" else f"{n:,}"
        self.count_label.setText(text)

    def _row_activated(self, source_row: int) -> None:
        label = self.model.index_label(source_row)
        if isinstance(label, numbers.Integral) and not isinstance(label, bool):
            self.featureActivated.emit(int(label))
        else:
            self.featureActivated.emit(source_row)


class IdentifyPanel(QtWidgets.QWidget):
    """Attributes of one feature: a title line (layer title + feature name) over a field/value table."""

    #: record keys tried, in order, for the feature's name
    NAME_KEYS = ("name", "名称", "township", "fid", "id")

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_label = QtWidgets.QLabel(self)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, 2, self)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAlternatingRowColors(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title_label)
        lay.addWidget(self.table, 1)
        self._title: str | None = None
        self._record: dict[str, Any] = {}
        self._labels: dict[str, str] = {}
        self.retranslate()
        self.clear()

    def show_feature(self, title: str, record: Mapping[str, Any], *,
                     labels: Mapping[str, str] | None = None) -> None:
        """Show ``record`` (field -> value; geometries left out) under ``title``; ``labels`` maps field names
        to display names (others by :func:`gui.i18n.field_label`); values by :func:`cell_text`."""
        self._title = title
        self._record = {k: _py(v) for k, v in record.items() if not _is_geometry(k, v)}
        self._labels = dict(labels or {})
        self._fill()

    def clear(self) -> None:
        """No feature: the table empties and the title says ``tr('identify.none')``."""
        self._title = None
        self._record = {}
        self._labels = {}
        self._fill()

    def title_text(self) -> str:
        return self.title_label.text()

    def value_text(self, field: str) -> str | None:
        """The shown text of ``field`` (None when not shown)."""
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(Qt.UserRole) == field:
                return self.table.item(r, 1).text()
        return None

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([tr("identify.field"), tr("identify.value")])
        self._fill()

    def _feature_name(self) -> str:
        for key in self.NAME_KEYS:
            v = self._record.get(key)
            if v is not None and not is_missing(v) and str(v):
                return str(v)
        return ""

    def _fill(self) -> None:
        if self._title is None:
            self.title_label.setText(tr("identify.none"))
            self.table.setRowCount(0)
            return
        name = self._feature_name()
        shown = name and name not in self._title  # a title that names the feature already says it once
        self.title_label.setText(f"{self._title} — {name}" if shown else self._title)
        self.table.setRowCount(len(self._record))
        class_id = self._record.get("type")
        for r, (field, value) in enumerate(self._record.items()):
            key_item = QtWidgets.QTableWidgetItem(self._labels.get(field) or field_label(field))
            key_item.setData(Qt.UserRole, field)
            text = cell_text(str(field), value, class_id=class_id)
            val_item = QtWidgets.QTableWidgetItem(text)
            val_item.setData(Qt.UserRole, value if not isinstance(value, (list, dict, tuple)) else str(value))
            val_item.setToolTip(text)
            if _is_number(value):
                val_item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.table.setItem(r, 0, key_item)
            self.table.setItem(r, 1, val_item)
        self.table.resizeColumnToContents(0)


def _is_geometry(key: Any, value: Any) -> bool:
    if key == "geometry":
        return True
    return type(value).__module__.startswith("shapely")
