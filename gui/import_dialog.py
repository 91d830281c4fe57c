"""新建项目 / 添加图层: the import dialog.

Every input layer (roads, townships, population, communities, facilities; the basemap is a GeoTIFF path
only) with its file, the coordinate system found or chosen, the text encoding, the sheet or layer of the
file, which header each field takes, and a preview of the first rows. Any choice re-reads that file with
:func:`projects.importing.preview_layer` in a worker thread (a big ``.osm`` never freezes the dialog).

*Create project* reads every layer with :func:`projects.inputs.load_inputs` in a worker (the checks across
layers run there and refuse layers that do not belong together) and builds the project with
:func:`projects.ccproj.project_from_inputs`; ``projectReady`` then hands it to the window. Nothing open in
the window changes before that; on a refusal the dialog stays open with the reason in an error dialog.

Restricted to one layer (the window's add/replace layer actions) *Load layer* hands the file and the choices
to the window (``layerAccepted``), which reads it, checks it against the project's other layers and replaces
the layer as one undo step.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import geopandas as gpd
from PySide6 import QtCore, QtGui, QtWidgets

from layers.crs import CRS_CHOICES
from layers.errors import InputError
from projects.importing import ENCODINGS, REQUIRED_FIELDS, LayerPreview, import_sources, preview_layer
from projects.inputs import LAYER_FIELDS, LAYERS, DataSources, LayerOptions
from projects.profiles import DEFAULT_PROFILE, available_profiles

from .i18n import tr
from .panels import ProfileCombo
from .warnings_panel import crs_text, error_text, show_error_box, warning_text
from .worker import Task

#: the layers the dialog lists, in order
IMPORT_LAYERS = (*LAYERS, "basemap")
#: layers a project cannot do without
REQUIRED_LAYERS = ("roads", "townships", "facilities")
DEFAULT_SNAP_M = 0.5
_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
#: overview columns
_OVERVIEW = ("layer", "file", "crs", "encoding", "columns", "status")

#: preview threads still running (kept referenced until they end, whatever became of their dialog)
_RUNNING: set[Task] = set()


@dataclass(frozen=True)
class LayerChoice:
    """What the one-layer dialog hands to the window: the file, how to read it and (when the preview read it
    with exactly these choices) the frame already read."""

    layer: str
    path: Path
    options: LayerOptions
    frame: gpd.GeoDataFrame | None = None


@dataclass(frozen=True)
class ImportedProject:
    """What *Create project* hands to the window."""

    project: Any  # projects.ccproj.Project
    network: Any  # spatial.network.WalkNetwork
    basemap: Any = None  # layers.basemap.RasterImage, or None


@dataclass
class _State:
    path: Path | None = None
    crs: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    sublayer: str | None = None
    columns: dict[str, str] | None = None
    preview: LayerPreview | None = None
    requested: int = 0  # preview requests made ...
    done: int = 0  # ... and the last one answered

    def options(self) -> LayerOptions:
        return LayerOptions(crs=self.crs, sheet=self.sheet, encoding=self.encoding, layer=self.sublayer,
                            columns=tuple(sorted((self.columns or {}).items())))


class _LayerPage(QtWidgets.QWidget):
    """The choices and the preview of one layer."""

    def __init__(self, layer: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = layer
        self.path = QtWidgets.QLineEdit()
        self.path.setReadOnly(True)
        self.browse = QtWidgets.QPushButton()
        self.clear = QtWidgets.QPushButton()
        file_row = QtWidgets.QHBoxLayout()
        file_row.setContentsMargins(0, 0, 0, 0)
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse)
        file_row.addWidget(self.clear)
        self.labels: dict[str, QtWidgets.QLabel] = {}
        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.labels["import.file"] = QtWidgets.QLabel()
        form.addRow(self.labels["import.file"], file_row)
        self.crs = self.encoding = self.sheet = self.sublayer = None
        self.fields: dict[str, QtWidgets.QComboBox] = {}
        self.field_labels: dict[str, QtWidgets.QLabel] = {}
        self.note = QtWidgets.QLabel()
        self.note.setWordWrap(True)
        left = QtWidgets.QVBoxLayout()
        left.addLayout(form)
        if layer != "basemap":
            self.crs = QtWidgets.QComboBox()
            self.crs.setEditable(True)
            self.crs.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
            self.crs.setMinimumContentsLength(24)
            self.crs.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            self.encoding = QtWidgets.QComboBox()
            self.sheet = QtWidgets.QComboBox()
            self.sublayer = QtWidgets.QComboBox()
            for key, widget in (("import.crs", self.crs), ("import.encoding", self.encoding), ("import.sheet", self.sheet),
                                ("import.sublayer", self.sublayer)):
                self.labels[key] = QtWidgets.QLabel()
                form.addRow(self.labels[key], widget)
            self.columns_box = QtWidgets.QGroupBox()
            grid = QtWidgets.QGridLayout(self.columns_box)
            grid.setColumnStretch(1, 1)
            grid.setColumnStretch(3, 1)
            for i, fld in enumerate(LAYER_FIELDS[layer]):
                label = QtWidgets.QLabel()
                combo = QtWidgets.QComboBox()
                combo.setMinimumContentsLength(8)
                combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                grid.addWidget(label, i // 2, (i % 2) * 2)
                grid.addWidget(combo, i // 2, (i % 2) * 2 + 1)
                self.fields[fld] = combo
                self.field_labels[fld] = label
            left.addWidget(self.columns_box)
        else:
            left.addWidget(self.note)
        left.addStretch(1)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QtWidgets.QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #555;")
        self.notes.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QtWidgets.QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b; font-weight: bold;")
        self.error.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QtWidgets.QTableWidget(0, 0)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.preview_box = QtWidgets.QGroupBox()
        pv = QtWidgets.QVBoxLayout(self.preview_box)
        pv.addWidget(self.summary)
        pv.addWidget(self.error)
        pv.addWidget(self.notes)
        pv.addWidget(self.table, 1)
        left_w = QtWidgets.QWidget()
        left_w.setLayout(left)
        left_w.setMinimumWidth(470)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(left_w, 0)
        row.addWidget(self.preview_box, 1)

    def retranslate(self) -> None:
        for key, label in self.labels.items():
            label.setText(tr(key))
        self.browse.setText(tr("import.browse"))
        self.clear.setText(tr("import.clear"))
        self.path.setPlaceholderText(tr("import.no_file"))
        self.preview_box.setTitle(tr("import.preview"))
        self.note.setText(tr("import.basemap_note"))
        if self.crs is not None:
            self.crs.setToolTip(tr("import.crs_tip"))
            self.columns_box.setTitle(tr("import.columns"))
            required = REQUIRED_FIELDS.get(self.layer, ())
            for fld, label in self.field_labels.items():
                label.setText(tr(f"field.{fld}") + (" *" if fld in required else ""))


class ImportDialog(QtWidgets.QDialog):
    """See the module docstring. ``layers``: the layers listed (one: the add/replace-layer form);
    ``townships``: the open project's townships (a population table of township counts fills them);
    ``before_accept``: asked before a new project is read (e.g. the window's save-changes question)."""

    #: a layer's preview was updated (layer)
    previewUpdated = QtCore.Signal(str)
    #: the new project is read and checked (:class:`ImportedProject`)
    projectReady = QtCore.Signal(object)
    #: one-layer form accepted (:class:`LayerChoice`)
    layerAccepted = QtCore.Signal(object)
    #: an error dialog was shown (its text)
    errorShown = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, layers: Sequence[str] = IMPORT_LAYERS,
                 townships: gpd.GeoDataFrame | None = None, profile: str | None = None, snap_m: float = DEFAULT_SNAP_M,
                 before_accept: Callable[[], bool] | None = None) -> None:
        super().__init__(parent)
        unknown = [k for k in layers if k not in IMPORT_LAYERS]
        if unknown or not layers:
            raise ValueError(f"unknown layers {unknown}")
        self.setObjectName("import-dialog")
        self.layers = tuple(layers)
        self.single = len(self.layers) == 1
        self._townships = townships
        self._before_accept = before_accept
        self._state = {k: _State() for k in self.layers}
        self._load_task: Task | None = None
        self.last_error_dialog: QtWidgets.QMessageBox | None = None

        # project settings (a new project only)
        self.title_edit = QtWidgets.QLineEdit()
        self.profile_combo = ProfileCombo()  # the profiles by their titles; currentText() gives the name
        names = available_profiles()
        self.profile_combo.setCurrentText(profile if profile in names else DEFAULT_PROFILE)
        self.snap_spin = QtWidgets.QDoubleSpinBox()
        self.snap_spin.setRange(0.0, 10.0)
        self.snap_spin.setDecimals(2)
        self.snap_spin.setSingleStep(0.1)
        self.snap_spin.setValue(snap_m)
        self.head_labels = {k: QtWidgets.QLabel() for k in ("import.project", "import.profile", "import.snap")}
        head = QtWidgets.QHBoxLayout()
        for key, widget, stretch in (("import.project", self.title_edit, 2), ("import.profile", self.profile_combo, 1),
                                     ("import.snap", self.snap_spin, 0)):
            head.addWidget(self.head_labels[key])
            head.addWidget(widget, stretch)
            head.addSpacing(12)
        self.head = QtWidgets.QWidget()
        self.head.setLayout(head)
        head.setContentsMargins(0, 0, 0, 0)

        # the overview of every layer
        self.overview = QtWidgets.QTableWidget(len(self.layers), len(_OVERVIEW))
        self.overview.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.overview.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.overview.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.overview.verticalHeader().setVisible(False)
        self.overview.horizontalHeader().setStretchLastSection(False)
        hh = self.overview.horizontalHeader()
        for i, key in enumerate(_OVERVIEW):
            hh.setSectionResizeMode(i, QtWidgets.QHeaderView.ResizeMode.Stretch if key in ("file", "columns")
                                    else QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.overview.itemSelectionChanged.connect(self._select_from_overview)

        # one page per layer
        self.pages: dict[str, _LayerPage] = {}
        self.stack = QtWidgets.QStackedWidget()
        for layer in self.layers:
            page = _LayerPage(layer)
            self.pages[layer] = page
            self.stack.addWidget(page)
            self._wire(page)

        self.status = QtWidgets.QLabel()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(240)
        self.buttons = QtWidgets.QDialogButtonBox()
        self.ok_button = self.buttons.addButton("", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.buttons)

        self.heading = QtWidgets.QLabel()  # the one-layer form says which layer it is
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.head)
        self.overview_label = QtWidgets.QLabel()
        layout.addWidget(self.overview_label)
        layout.addWidget(self.overview, 0)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)
        self.head.setVisible(not self.single)
        self.heading.setVisible(self.single)
        self.overview.setVisible(not self.single)
        self.overview_label.setVisible(not self.single)
        self.retranslate()
        self.overview.selectRow(0)
        self._fit_overview()
        if self.single:
            self.resize(1100, 560)
        else:
            self.resize(1180, 780)

    # -- construction -------------------------------------------------------------------------------
    def _wire(self, page: _LayerPage) -> None:
        layer = page.layer
        page.browse.clicked.connect(lambda _=False, k=layer: self._browse(k))
        page.clear.clicked.connect(lambda _=False, k=layer: self.set_file(k, None))
        if page.crs is None:
            return
        page.crs.activated.connect(lambda _i, k=layer: self._crs_edited(k))
        page.crs.lineEdit().editingFinished.connect(lambda k=layer: self._crs_edited(k))
        page.encoding.activated.connect(lambda _i, k=layer: self._choice_edited(k, "encoding", self.pages[k].encoding))
        page.sheet.activated.connect(lambda _i, k=layer: self._choice_edited(k, "sheet", self.pages[k].sheet))
        page.sublayer.activated.connect(lambda _i, k=layer: self._choice_edited(k, "sublayer", self.pages[k].sublayer))
        for fld, combo in page.fields.items():
            combo.activated.connect(lambda _i, k=layer, f=fld: self._column_edited(k, f))

    def retranslate(self) -> None:
        self.setWindowTitle(tr("import.title_layer", layer=tr(f"layer.{self.layers[0]}")) if self.single else tr("import.title"))
        self.heading.setText(self.windowTitle())
        for key, label in self.head_labels.items():
            label.setText(tr(key))
        self.title_edit.setPlaceholderText(tr("import.project_hint"))
        self.snap_spin.setSuffix(tr("import.metres"))
        self.snap_spin.setToolTip(tr("import.snap_tip"))
        self.head_labels["import.snap"].setToolTip(tr("import.snap_tip"))
        self.overview_label.setText(tr("import.layers"))
        self.overview.setHorizontalHeaderLabels([tr(f"import.col.{c}") for c in _OVERVIEW])
        self.ok_button.setText(tr("import.apply") if self.single else tr("import.create"))
        self.cancel_button.setText(tr("import.cancel"))
        self.profile_combo.retranslate()
        for layer, page in self.pages.items():
            page.retranslate()
            if page.crs is not None:
                self._fill_fixed_choices(page)
            self._show(layer)

    def _fill_fixed_choices(self, page: _LayerPage) -> None:
        st = self._state[page.layer]
        page.crs.blockSignals(True)
        page.crs.clear()
        page.crs.addItem(tr("import.crs_auto"), None)
        for code, label in CRS_CHOICES:
            page.crs.addItem(crs_text(label), code)
        self._show_crs(page, st.crs)
        page.crs.blockSignals(False)
        page.encoding.blockSignals(True)
        page.encoding.clear()
        page.encoding.addItem(tr("import.encoding_auto"), None)
        for enc in ENCODINGS:
            page.encoding.addItem(enc, enc)
        if st.encoding and page.encoding.findData(st.encoding) < 0:
            page.encoding.addItem(st.encoding, st.encoding)
        page.encoding.setCurrentIndex(max(0, page.encoding.findData(st.encoding)) if st.encoding else 0)
        page.encoding.blockSignals(False)

    @staticmethod
    def _show_crs(page: _LayerPage, code: str | None) -> None:
        if code is None:
            page.crs.setCurrentIndex(0)
            return
        idx = next((i for i in range(1, page.crs.count()) if str(page.crs.itemData(i)).lower() == code.lower()), -1)
        if idx >= 0:
            page.crs.setCurrentIndex(idx)
        else:
            page.crs.setCurrentIndex(-1)
            page.crs.setEditText(code)

    def _fit_overview(self) -> None:
        h = self.overview.horizontalHeader().height() + 2 * self.overview.frameWidth()
        h += sum(self.overview.rowHeight(r) for r in range(self.overview.rowCount()))
        self.overview.setFixedHeight(h + 2)

    # -- the public interface (also what the tests drive) -------------------------------------------
    @property
    def title(self) -> str:
        """The project's title: as typed, else the township file's name."""
        text = self.title_edit.text().strip()
        if text:
            return text
        st = self._state.get("townships")
        return st.path.stem if st is not None and st.path is not None else tr("action.new_project").rstrip("…")

    @title.setter
    def title(self, value: str) -> None:
        self.title_edit.setText(value)

    def set_file(self, layer: str, path: str | Path | None) -> None:
        """Choose (or with None clear) a layer's file; its sheet, layer and column choices start afresh."""
        st = self._state[layer]
        st.path = Path(path) if path else None
        st.sheet = st.sublayer = None
        st.columns = None
        st.preview = None
        self.pages[layer].path.setText(str(st.path) if st.path else "")
        self._request_preview(layer)

    def set_crs(self, layer: str, code: str | None) -> None:
        """The layer's coordinate system: a code of :data:`layers.crs.CRS_CHOICES`, any ``EPSG:xxxx``, ``gcj02``,
        ``bd09``; None: what the file says (or what its coordinates show)."""
        code = code.strip() if isinstance(code, str) and code.strip() else None
        self._show_crs(self.pages[layer], code)
        self._set(layer, crs=code)

    def set_encoding(self, layer: str, encoding: str | None) -> None:
        page = self.pages[layer]
        if encoding and page.encoding.findData(encoding) < 0:
            page.encoding.addItem(encoding, encoding)
        page.encoding.setCurrentIndex(page.encoding.findData(encoding) if encoding else 0)
        self._set(layer, encoding=encoding or None)

    def set_sheet(self, layer: str, sheet: str | None) -> None:
        self._set(layer, sheet=sheet or None)

    def set_layer(self, layer: str, name: str | None) -> None:
        """The layer to read inside a multi-layer file (GeoPackage)."""
        self._set(layer, sublayer=name or None)

    def set_column(self, layer: str, field: str, header: str | None) -> None:
        """The header holding ``field`` (None: the dialog's guess from the usual names)."""
        if field not in LAYER_FIELDS[layer]:
            raise KeyError(f"{layer} has no field {field!r}; fields: {', '.join(LAYER_FIELDS[layer])}")
        cols = dict(self._state[layer].columns or {})
        if header:
            cols[field] = header
        else:
            cols.pop(field, None)
        self._set(layer, columns=cols or None)

    def preview(self, layer: str) -> LayerPreview | None:
        """The layer's latest preview (None before its file is read)."""
        return self._state[layer].preview

    def file(self, layer: str) -> Path | None:
        return self._state[layer].path

    def files(self) -> dict[str, Path]:
        """The chosen files of the input layers (not the basemap)."""
        return {k: st.path for k, st in self._state.items() if k != "basemap" and st.path is not None}

    def options(self) -> dict[str, LayerOptions]:
        """How each chosen file is read, by layer."""
        return {k: st.options() for k, st in self._state.items() if k != "basemap" and st.path is not None}

    def sources(self) -> DataSources:
        """The :class:`DataSources` of the choices (what ``carecircle new`` builds from the same options)."""
        return import_sources(self.files(), self.options(), snap_m=self.snap_m)

    @property
    def snap_m(self) -> float:
        return float(self.snap_spin.value())

    @property
    def profile(self) -> str:
        return self.profile_combo.currentText()

    def busy(self) -> bool:
        """True while a preview or the project is being read."""
        return any(st.requested != st.done for st in self._state.values()) or (
            self._load_task is not None and self._load_task.isRunning())

    def select_layer(self, layer: str) -> None:
        self.overview.selectRow(self.layers.index(layer))
        self.stack.setCurrentWidget(self.pages[layer])

    # -- edits from the widgets ---------------------------------------------------------------------
    def _browse(self, layer: str) -> None:
        current = self._state[layer].path
        start = str(current.parent) if current is not None else ""
        filt = tr(f"import.filter.{layer}") if layer in ("roads", "population", "facilities", "basemap") else tr("import.filter.other")
        filt = f"{filt};;{tr('filter.all')}"
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, tr(f"layer.{layer}"), start, filt)
        if path:
            self.set_file(layer, path)

    def _crs_edited(self, layer: str) -> None:
        combo = self.pages[layer].crs
        text = combo.currentText().strip()
        idx = combo.findText(text)
        code = combo.itemData(idx) if idx >= 0 else (text or None)
        if code != self._state[layer].crs:
            self._set(layer, crs=code)

    def _choice_edited(self, layer: str, key: str, combo: QtWidgets.QComboBox) -> None:
        value = combo.currentData()
        if value != getattr(self._state[layer], key):
            self._set(layer, **{key: value})

    def _column_edited(self, layer: str, fld: str) -> None:
        header = self.pages[layer].fields[fld].currentData()
        current = (self._state[layer].columns or {}).get(fld)
        pv = self._state[layer].preview
        guessed = pv.columns.get(fld) if pv is not None else None
        if header != (current or guessed):
            self.set_column(layer, fld, header)

    def _set(self, layer: str, **changes: Any) -> None:
        st = self._state[layer]
        if all(getattr(st, k) == v for k, v in changes.items()):
            return
        for k, v in changes.items():
            setattr(st, k, v)
        self._request_preview(layer)

    # -- previews (worker threads) -------------------------------------------------------------------
    def _request_preview(self, layer: str) -> None:
        st = self._state[layer]
        st.requested += 1
        if st.path is None or layer == "basemap":
            st.preview = None
            st.done = st.requested
            self._show(layer)
            self.previewUpdated.emit(layer)
            return
        townships = self._townships_frame() if layer == "population" else None
        task = Task(_preview_job, layer, st.requested, st.path, st.options(), townships)
        task.succeeded.connect(self._preview_done)
        task.failed.connect(self._preview_failed)
        _RUNNING.add(task)
        task.finished.connect(lambda t=task: _RUNNING.discard(t))
        self._show(layer)
        task.start()

    def _townships_frame(self) -> gpd.GeoDataFrame | None:
        st = self._state.get("townships")
        if st is not None and st.preview is not None and st.preview.ok:
            return st.preview.frame
        return self._townships

    def _preview_done(self, answer: tuple) -> None:
        layer, number, pv = answer
        st = self._state.get(layer)
        if st is None or number != st.requested:
            return  # an older request: a newer one is on its way
        st.preview, st.done = pv, number
        self._show(layer)
        self.previewUpdated.emit(layer)
        if layer == "townships" and "population" in self._state:
            pop = self._state["population"]
            if pop.path is not None and pop.path.suffix.lower() in _TABLE_SUFFIXES:
                self._request_preview("population")  # a table of township counts fills these townships

    def _preview_failed(self, message: str) -> None:  # an unexpected error (preview_layer reports bad data itself)
        for layer, st in self._state.items():
            if st.requested != st.done and st.path is not None:
                st.preview = LayerPreview(layer=layer, path=st.path, options=st.options(), error=message)
                st.done = st.requested
                self._show(layer)
                self.previewUpdated.emit(layer)

    # -- showing --------------------------------------------------------------------------------------
    def _show(self, layer: str) -> None:
        """The overview row and the page of one layer as its state is."""
        st = self._state[layer]
        page = self.pages[layer]
        pv = st.preview
        reading = st.requested != st.done
        row = self.layers.index(layer)
        cells = {"layer": tr(f"layer.{layer}"), "file": st.path.name if st.path else tr("import.no_file"),
                 "crs": "", "encoding": "", "columns": "", "status": ""}
        status_colour = None
        if layer == "basemap":
            if st.path is None:
                cells["status"] = tr("import.optional_layer")
            elif st.path.suffix.lower() in (".tif", ".tiff"):
                cells["status"] = tr("import.status_basemap")
            else:
                cells["status"] = tr("import.status_bad")
                status_colour = "#c0392b"
        elif st.path is None:
            cells["status"] = tr("import.required_layer") if layer in REQUIRED_LAYERS else tr("import.optional_layer")
            cells["crs"] = crs_text(_choice_label(st.crs)) if st.crs else ""
        elif reading:
            cells["status"] = tr("import.reading")
        elif pv is not None:
            cells["crs"] = crs_text(pv.crs_label) if pv.crs_label else crs_text(_choice_label(st.crs))
            cells["encoding"] = st.encoding or tr("import.encoding_auto")
            cells["columns"] = tr("import.sep").join(f"{tr(f'field.{f}')}←{h}" for f, h in pv.columns.items() if h)
            if pv.ok:
                cells["status"] = tr("import.status_ok", n=pv.features)
                status_colour = "#1e8449"
            else:
                cells["status"] = tr("import.status_bad")
                status_colour = "#c0392b"
        for col, key in enumerate(_OVERVIEW):
            item = QtWidgets.QTableWidgetItem(cells[key])
            if key == "status" and status_colour:
                item.setForeground(QtGui.QColor(status_colour))
            if key == "status" and pv is not None and pv.error:
                item.setToolTip(pv.error)
            elif key in ("file", "columns") and cells[key]:
                item.setToolTip(str(st.path) if key == "file" and st.path else cells[key])
            self.overview.setItem(row, col, item)
        self._show_page(page, st, reading)
        self._update_buttons()

    def _show_page(self, page: _LayerPage, st: _State, reading: bool) -> None:
        pv = st.preview
        page.path.setText(str(st.path) if st.path else "")
        page.clear.setEnabled(st.path is not None)
        if page.layer == "basemap":
            bad = st.path is not None and st.path.suffix.lower() not in (".tif", ".tiff")
            page.error.setText(tr("import.basemap_bad") if bad else "")
            page.error.setVisible(bad)
            page.summary.setText(st.path.name if st.path else tr("import.no_file"))
            page.notes.setVisible(False)
            page.table.setVisible(False)
            return
        for combo, values, chosen in ((page.sheet, pv.sheets if pv else (), st.sheet),
                                      (page.sublayer, pv.layers if pv else (), st.sublayer)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(tr("import.first"), None)
            for v in values:
                combo.addItem(v, v)
            if chosen and combo.findData(chosen) < 0:
                combo.addItem(chosen, chosen)
            combo.setCurrentIndex(combo.findData(chosen) if chosen else 0)
            combo.setEnabled(len(values) > 1 or bool(chosen))
            combo.blockSignals(False)
        headers = pv.headers if pv is not None else ()
        chosen_cols = st.columns or {}
        for fld, combo in page.fields.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(tr("import.none"), None)
            for h in headers:
                combo.addItem(h, h)
            current = chosen_cols.get(fld) or (pv.columns.get(fld) if pv is not None else None)
            if current and combo.findData(current) < 0:
                combo.addItem(current, current)
            combo.setCurrentIndex(combo.findData(current) if current else 0)
            combo.setEnabled(bool(headers))
            combo.blockSignals(False)
        if st.path is None:
            page.summary.setText(tr("import.no_file"))
        elif reading:
            page.summary.setText(tr("import.reading"))
        elif pv is not None:
            parts = [st.path.name]
            if pv.ok:
                parts.append(tr("import.features", n=pv.features))
            if pv.crs_label:
                parts.append(tr("import.crs_is", crs=crs_text(pv.crs_label)))
            page.summary.setText("　·　".join(parts))
        page.error.setText(error_text(pv.error)[0] if pv is not None and pv.error and not reading else "")
        page.error.setToolTip(pv.error if pv is not None and pv.error and not reading else "")
        page.error.setVisible(bool(page.error.text()))
        notes = [warning_text(n) for n in pv.notes] if pv is not None and not reading else []
        page.notes.setText("\n".join(f"• {n}" for n in notes))
        page.notes.setVisible(bool(notes))
        page.table.setVisible(True)
        page.table.clear()
        rows = pv.rows if pv is not None else ()
        page.table.setColumnCount(len(headers))
        page.table.setRowCount(len(rows))
        page.table.setHorizontalHeaderLabels(list(headers))
        for r, values in enumerate(rows):
            for c, v in enumerate(values[: len(headers)]):
                page.table.setItem(r, c, QtWidgets.QTableWidgetItem(v))
        page.table.resizeColumnsToContents()

    def _update_buttons(self) -> None:
        loading = self._load_task is not None and self._load_task.isRunning()
        if self.single:
            layer = self.layers[0]
            st = self._state[layer]
            ready = st.path is not None and st.requested == st.done
            self.ok_button.setEnabled(ready and not loading)
        else:
            self.ok_button.setEnabled(not loading)

    def _select_from_overview(self) -> None:
        rows = self.overview.selectionModel().selectedRows()
        if rows:
            self.stack.setCurrentWidget(self.pages[self.layers[rows[0].row()]])

    # -- accepting ------------------------------------------------------------------------------------
    def accept(self) -> None:  # noqa: D102 - the OK button
        if self._load_task is not None and self._load_task.isRunning():
            return
        if self.single:
            self._accept_layer()
        else:
            self._accept_project()

    def _accept_layer(self) -> None:
        layer = self.layers[0]
        st = self._state[layer]
        if st.path is None:
            self._error(tr("import.need_files", layers=tr(f"layer.{layer}")))
            return
        if layer == "basemap":
            if st.path.suffix.lower() not in (".tif", ".tiff"):
                self._error(tr("import.basemap_bad"))
                return
            self.layerAccepted.emit(LayerChoice(layer, st.path, LayerOptions()))
            super().accept()
            return
        if st.requested != st.done:
            return  # the OK button is disabled while the file is read
        pv = st.preview
        if pv is not None and not pv.ok:
            self._error(pv.error or "")
            return
        frame = pv.frame if pv is not None and layer != "population" and pv.options == st.options() else None
        self.layerAccepted.emit(LayerChoice(layer, st.path, st.options(), frame))
        super().accept()

    def _accept_project(self) -> None:
        missing = [tr(f"layer.{k}") for k in REQUIRED_LAYERS if k in self._state and self._state[k].path is None]
        if missing:
            self._error(tr("import.need_files", layers=tr("import.list_sep").join(missing)))
            return
        base = self._state.get("basemap")
        basemap = base.path if base is not None else None
        if basemap is not None and basemap.suffix.lower() not in (".tif", ".tiff"):
            self._error(tr("import.basemap_bad"))
            return
        try:
            sources = self.sources()
        except InputError as exc:
            self._error(str(exc))
            return
        if self._before_accept is not None and not self._before_accept():
            return
        files = {k: p.resolve() for k, p in self.files().items()}
        imports = {k: v.to_dict() for k, v in sources.options.items()}
        task = Task(_load_job, sources, self.title, self.profile, self.snap_m, files, imports, basemap)
        task.progress.connect(self._load_progress)
        task.succeeded.connect(self._loaded)
        task.failed.connect(self._load_failed)
        task.finished.connect(self._load_finished)
        _RUNNING.add(task)
        task.finished.connect(lambda t=task: _RUNNING.discard(t))
        self._load_task = task
        self.status.setText(tr("import.loading"))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._update_buttons()
        task.start()

    def _load_progress(self, fraction: float, _step: str) -> None:
        self.progress.setValue(int(round(fraction * 100)))

    def _loaded(self, imported: ImportedProject) -> None:
        self.projectReady.emit(imported)
        super().accept()

    def _load_failed(self, message: str) -> None:
        self._error(message)

    def _load_finished(self) -> None:
        self.progress.setVisible(False)
        self.status.setText("")
        self._load_task = None
        self._update_buttons()

    def _error(self, message: str) -> None:
        """A window-modal error dialog with one line in the UI language (the reason, naming the file; the English
        original, if it says more, behind "show details"); the dialog stays open. ``errorShown`` carries ``message``."""
        self.last_error_dialog = show_error_box(self, tr("import.failed_title"), message)
        self.errorShown.emit(message)

    def reject(self) -> None:  # noqa: D102 - Cancel also stops reading the project
        if self._load_task is not None and self._load_task.isRunning():
            self._load_task.cancel()
        super().reject()


def _choice_label(code: str | None) -> str:
    if code is None:
        return ""
    return next((label for c, label in CRS_CHOICES if c.lower() == code.lower()), code)


# -- worker functions (no widgets here) ---------------------------------------------------------------

def _preview_job(feedback, layer: str, number: int, path: Path, options: LayerOptions, townships) -> tuple:
    try:
        pv = preview_layer(layer, path, options, townships=townships)
    except Exception as exc:  # noqa: BLE001 - the dialog shows the reason; the traceback goes to the log
        traceback.print_exc()
        pv = LayerPreview(layer=layer, path=Path(path), options=options, error=f"{Path(path).name}: {type(exc).__name__}: {exc}")
    return layer, number, pv


def _load_job(feedback, sources: DataSources, title: str, profile: str, snap_m: float, files: dict, imports: dict,
              basemap: Path | None) -> ImportedProject:
    from layers.basemap import read_basemap
    from projects.ccproj import project_from_inputs
    from projects.inputs import load_inputs

    inputs = load_inputs(sources, feedback=feedback)
    project = project_from_inputs(title, inputs, profile=profile, sources=files, base=None, imports=imports)
    project.settings = replace(project.settings, snap_m=snap_m)
    image = None
    if basemap is not None:
        image = read_basemap(basemap, crs=project.crs)
        project.basemap = Path(basemap).resolve()
    return ImportedProject(project, inputs.network, image)


__all__ = ["IMPORT_LAYERS", "ImportDialog", "ImportedProject", "LayerChoice"]
