"""Dock panels: the layer list with legend, and the analysis settings. They only relay user actions
to the workspace / main window and show the model's state."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from projects.profiles import profile_titles
from projects.workspace import Workspace
from layers.classes import registry

from .i18n import profile_label, step_text, tr
from .render import Swatch, draw_swatch, legend_entries

SPEED_PRESETS = (("speed.slow", 2.52), ("speed.default", 3.6), ("speed.fast", 4.32))


def legend_icon(swatch: Swatch) -> QtGui.QIcon:
    pm = QtGui.QPixmap(18, 18)
    pm.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(pm)
    draw_swatch(p, QtCore.QRectF(0, 0, 18, 18), swatch)
    p.end()
    return QtGui.QIcon(pm)


class ProfileCombo(QtWidgets.QComboBox):
    """The standard profiles shown by their Chinese short titles (``南通 2014``; the full title is the item's
    tooltip), never by their file names. To code it speaks names: :meth:`currentText`, :meth:`findText`,
    :meth:`setCurrentText` and ``addItem(name)`` take and give the profile's name (``nantong-2014``), so a
    caller that keeps names works unchanged; :meth:`itemText` is what the user sees."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._titles: dict[str, str] = {}
        for name, title in profile_titles().items():
            self.add_profile(name, title)
        self.currentIndexChanged.connect(lambda _i: self.setToolTip(self._titles.get(self.currentText(), "")))

    def add_profile(self, name: str, title: str = "") -> int:
        """List a profile (a project's own one too); returns its index (an already listed name keeps its place)."""
        i = self.findData(name)
        self._titles[name] = title or self._titles.get(name, "")
        if i < 0:
            super().addItem(profile_label(name, self._titles[name]), name)
            i = self.count() - 1
        else:
            self.setItemText(i, profile_label(name, self._titles[name]))
        self.setItemData(i, self._titles[name] or name, QtCore.Qt.ItemDataRole.ToolTipRole)
        return i

    def addItem(self, *args) -> None:  # noqa: N802 - addItem(name) lists a profile by its name
        if len(args) == 1 and isinstance(args[0], str):
            self.add_profile(args[0])
        else:
            super().addItem(*args)

    def currentText(self) -> str:  # noqa: N802 - the profile's name, not the label shown
        data = self.currentData()
        return str(data) if data is not None else super().currentText()

    def profile_name(self) -> str:
        return self.currentText()

    def findText(self, text: str, flags=QtCore.Qt.MatchFlag.MatchExactly | QtCore.Qt.MatchFlag.MatchCaseSensitive) -> int:  # noqa: N802
        i = self.findData(text)
        return i if i >= 0 else super().findText(text, flags)

    def setCurrentText(self, text: str) -> None:  # noqa: N802
        i = self.findText(text)
        if i >= 0:
            self.setCurrentIndex(i)

    def retranslate(self) -> None:
        for i in range(self.count()):
            name = str(self.itemData(i))
            self.setItemText(i, profile_label(name, self._titles.get(name, "")))
        self.setToolTip(self._titles.get(self.currentText(), ""))


#: layers drawn for one facility class at a time (the one picked in the analysis panel)
CLASS_LAYERS = frozenset({"coverage", "circles", "gaps"})


class LayerPanel(QtWidgets.QWidget):
    """Layers top-most first, with visibility check boxes, order buttons, opacity and a legend."""

    layerSelected = QtCore.Signal(str)

    def __init__(self, workspace: Workspace, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.display_type = registry().default
        self.minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QtCore.QSize(18, 18))
        self.up = QtWidgets.QToolButton(arrowType=QtCore.Qt.ArrowType.UpArrow)
        self.down = QtWidgets.QToolButton(arrowType=QtCore.Qt.ArrowType.DownArrow)
        self.opacity = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity_label = QtWidgets.QLabel()
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.up)
        row.addWidget(self.down)
        row.addWidget(self.opacity_label)
        row.addWidget(self.opacity, 1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.tree, 1)
        lay.addLayout(row)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.up.clicked.connect(lambda: self._move(+1))
        self.down.clicked.connect(lambda: self._move(-1))
        self.opacity.valueChanged.connect(self._opacity_changed)
        workspace.subscribe(self._on_workspace)
        self.retranslate()
        self.rebuild()

    def _on_workspace(self, event: str, payload: object) -> None:
        if event == "layer_changed":
            self._sync_item(str(payload))  # never rebuild here: we may be inside an item's own signal
        elif event in ("layers_changed", "result_changed"):
            self.rebuild()

    def _sync_item(self, layer_id: str) -> None:
        lyr = self.workspace.layer(layer_id)
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if lyr is not None and item.data(0, QtCore.Qt.ItemDataRole.UserRole) == layer_id:
                state = QtCore.Qt.CheckState.Checked if lyr.visible else QtCore.Qt.CheckState.Unchecked
                if item.checkState(0) != state:
                    self.tree.blockSignals(True)
                    item.setCheckState(0, state)
                    self.tree.blockSignals(False)
                icons = [icon for _, icon in self._legend(lyr.kind, opacity=lyr.opacity)]
                for k in range(min(item.childCount(), len(icons))):  # the swatches follow the layer's opacity
                    item.child(k).setIcon(0, icons[k])
        self._sync_opacity()

    def retranslate(self) -> None:
        self.up.setToolTip(tr("layers.up"))
        self.down.setToolTip(tr("layers.down"))
        self.opacity_label.setText(tr("layers.opacity"))
        self.rebuild()

    def current_layer_id(self) -> str | None:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        return item.data(0, QtCore.Qt.ItemDataRole.UserRole) if item is not None else None

    def rebuild(self) -> None:
        current = self.current_layer_id()
        self.tree.blockSignals(True)
        self.tree.clear()
        for lyr in reversed(self.workspace.layers):
            title = tr(f"layer.{lyr.kind}")
            if lyr.kind in CLASS_LAYERS:  # say which class the circles, gaps and choropleth show
                title = f"{title}：{tr(f'type.{self.display_type}')}"
            item = QtWidgets.QTreeWidgetItem([title])
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, lyr.id)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, QtCore.Qt.CheckState.Checked if lyr.visible else QtCore.Qt.CheckState.Unchecked)
            for text, icon in self._legend(lyr.kind, opacity=lyr.opacity):
                child = QtWidgets.QTreeWidgetItem([text])
                child.setIcon(0, icon)
                child.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            item.setExpanded(lyr.kind in ("facilities", "circles", "coverage", "gaps"))
            if lyr.id == current:
                self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        self._sync_opacity()

    def _legend(self, kind: str, *, opacity: float = 1.0) -> list[tuple[str, QtGui.QIcon]]:
        """Legend rows of a layer, swatches drawn at the opacity the map draws them with."""
        return [(text, legend_icon(sw)) for text, sw in
                legend_entries(kind, display_type=self.display_type, minutes=self.minutes, opacity=opacity)]

    def _item_changed(self, item: QtWidgets.QTreeWidgetItem, column: int) -> None:
        layer_id = item.data(0, QtCore.Qt.ItemDataRole.UserRole)
        if layer_id is not None:
            self.workspace.set_visible(layer_id, item.checkState(0) == QtCore.Qt.CheckState.Checked)

    def _current_changed(self, *_: object) -> None:
        self._sync_opacity()
        lid = self.current_layer_id()
        if lid is not None:
            self.layerSelected.emit(lid)

    def _sync_opacity(self) -> None:
        lyr = self.workspace.layer(self.current_layer_id() or "")
        self.opacity.blockSignals(True)
        self.opacity.setValue(int(round((lyr.opacity if lyr else 1.0) * 100)))
        self.opacity.setEnabled(lyr is not None)
        self.opacity.blockSignals(False)

    def _opacity_changed(self, value: int) -> None:
        lid = self.current_layer_id()
        if lid is not None:
            self.workspace.set_opacity(lid, value / 100.0)

    def _move(self, direction: int) -> None:
        lid = self.current_layer_id()
        lyr = self.workspace.layer(lid or "")
        if lyr is not None:
            self.workspace.move_layer(lid, self.workspace.layers.index(lyr) + direction)

    def set_checked(self, layer_id: str, visible: bool) -> None:
        """Tick or untick a layer as a user would."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, QtCore.Qt.ItemDataRole.UserRole) == layer_id:
                item.setCheckState(0, QtCore.Qt.CheckState.Checked if visible else QtCore.Qt.CheckState.Unchecked)


class AnalysisPanel(QtWidgets.QWidget):
    """Profile, minutes bands, walking speed, the facility type shown, Run / Cancel and progress."""

    runRequested = QtCore.Signal()
    cancelRequested = QtCore.Signal()
    displayTypeChanged = QtCore.Signal(str)
    #: the user changed settings: {setting name: new value} (the window turns it into an undo step)
    settingsEdited = QtCore.Signal(dict)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = ProfileCombo()
        self.minutes = QtWidgets.QLineEdit("5,10,15")
        self.minutes.setValidator(QtGui.QRegularExpressionValidator(QtCore.QRegularExpression(r"^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$")))
        self.speed_preset = QtWidgets.QComboBox()
        self.speed = QtWidgets.QDoubleSpinBox(decimals=2, minimum=0.5, maximum=8.0, singleStep=0.1, value=3.6)
        self.buffer = QtWidgets.QDoubleSpinBox(decimals=0, minimum=0.0, maximum=500.0, singleStep=10.0, value=50.0)
        self.basis = QtWidgets.QComboBox()
        self.cell = QtWidgets.QDoubleSpinBox(decimals=0, minimum=2.0, maximum=200.0, singleStep=5.0, value=10.0)
        self.gap_cell = QtWidgets.QDoubleSpinBox(decimals=0, minimum=5.0, maximum=500.0, singleStep=5.0, value=25.0)
        self.snap = QtWidgets.QDoubleSpinBox(decimals=2, minimum=0.0, maximum=10.0, singleStep=0.1, value=0.5)
        self.display_type = QtWidgets.QComboBox()
        self.run = QtWidgets.QPushButton()
        self.cancel = QtWidgets.QPushButton()
        self.cancel.setEnabled(False)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.form = QtWidgets.QFormLayout()
        self.labels = {k: QtWidgets.QLabel() for k in ("analysis.profile", "analysis.minutes", "analysis.speed", "analysis.speed_kmh",
                                                       "analysis.buffer", "analysis.basis", "analysis.cell", "analysis.gap_cell",
                                                       "analysis.snap", "analysis.choropleth")}
        self.form.addRow(self.labels["analysis.profile"], self.profile)
        self.form.addRow(self.labels["analysis.minutes"], self.minutes)
        self.form.addRow(self.labels["analysis.speed"], self.speed_preset)
        self.form.addRow(self.labels["analysis.speed_kmh"], self.speed)
        self.form.addRow(self.labels["analysis.buffer"], self.buffer)
        self.form.addRow(self.labels["analysis.basis"], self.basis)
        self.form.addRow(self.labels["analysis.cell"], self.cell)
        self.form.addRow(self.labels["analysis.gap_cell"], self.gap_cell)
        self.form.addRow(self.labels["analysis.snap"], self.snap)
        self.form.addRow(self.labels["analysis.choropleth"], self.display_type)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.run)
        buttons.addWidget(self.cancel)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(self.form)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addStretch(1)
        self.run.clicked.connect(self.runRequested)
        self.cancel.clicked.connect(self.cancelRequested)
        self.speed_preset.currentIndexChanged.connect(self._preset_changed)
        self.speed.valueChanged.connect(self._speed_changed)
        self.display_type.currentIndexChanged.connect(lambda _: self.displayTypeChanged.emit(self.display_type.currentData()))
        # what the user changes becomes a settings edit (programmatic updates block signals)
        self.profile.activated.connect(lambda _: self.settingsEdited.emit({"profile": self.profile.currentText()}))
        self.minutes.editingFinished.connect(self._minutes_edited)
        self.speed_preset.activated.connect(lambda _: self.settingsEdited.emit({"speed_kmh": round(self.speed.value(), 2)}))
        self.speed.editingFinished.connect(lambda: self.settingsEdited.emit({"speed_kmh": round(self.speed.value(), 2)}))
        self.buffer.editingFinished.connect(lambda: self.settingsEdited.emit({"buffer_m": float(self.buffer.value())}))
        self.basis.activated.connect(lambda _: self.settingsEdited.emit({"elderly_basis": self.basis.currentData()}))
        self.cell.editingFinished.connect(lambda: self.settingsEdited.emit({"cell_m": float(self.cell.value())}))
        self.gap_cell.editingFinished.connect(lambda: self.settingsEdited.emit({"gap_cell_m": float(self.gap_cell.value())}))
        self.snap.editingFinished.connect(lambda: self.settingsEdited.emit({"snap_m": round(float(self.snap.value()), 2)}))
        self.retranslate()

    def _minutes_edited(self) -> None:
        try:
            self.settingsEdited.emit({"minutes": self.minutes_values()})
        except ValueError:
            pass  # the validator keeps the text parseable; an empty field changes nothing

    def show_settings(self, settings) -> None:
        """Show a document's settings (without emitting edits)."""
        widgets = (self.profile, self.minutes, self.speed, self.speed_preset, self.buffer, self.basis, self.cell, self.gap_cell,
                   self.snap)
        for w in widgets:
            w.blockSignals(True)
        try:
            name = settings.profile.name
            # a project's own profile: listed too (by its title), never dropped
            self.profile.setCurrentIndex(self.profile.add_profile(name, settings.profile.title or ""))
            self.minutes.setText(",".join(f"{m:g}" for m in settings.minutes))
            self.speed.setValue(settings.speed_kmh)
            self._speed_changed(settings.speed_kmh)
            self.buffer.setValue(settings.buffer_m)
            self.basis.setCurrentIndex(max(self.basis.findData(settings.elderly_basis), 0))
            self.cell.setValue(settings.cell_m)
            self.gap_cell.setValue(settings.gap_cell_m)
            self.snap.setValue(settings.snap_m)
        finally:
            for w in widgets:
                w.blockSignals(False)

    def retranslate(self) -> None:
        for key, label in self.labels.items():
            label.setText(tr(key))
        self.run.setText(tr("action.run"))
        self.profile.retranslate()
        self.cancel.setText(tr("action.cancel"))
        current_t = self.display_type.currentData() or registry().default
        self.display_type.blockSignals(True)
        self.display_type.clear()
        ids = registry().ids
        for t in ids:
            self.display_type.addItem(tr(f"type.{t}"), t)
        self.display_type.setCurrentIndex(ids.index(current_t) if current_t in ids else 0)
        self.display_type.blockSignals(False)
        idx = self.speed_preset.currentIndex()
        self.speed_preset.blockSignals(True)
        self.speed_preset.clear()
        for key, kmh in SPEED_PRESETS:
            self.speed_preset.addItem(f"{tr(key)} ({kmh:g} km/h)", kmh)
        self.speed_preset.addItem(tr("speed.custom"), None)
        self.speed_preset.setCurrentIndex(idx if idx >= 0 else 1)
        self.speed_preset.blockSignals(False)
        basis = self.basis.currentData() or "resident"
        self.basis.blockSignals(True)
        self.basis.clear()
        for key in ("resident", "registered"):
            self.basis.addItem(tr(f"basis.{key}"), key)
        self.basis.setCurrentIndex(max(self.basis.findData(basis), 0))
        self.basis.blockSignals(False)

    def _preset_changed(self, index: int) -> None:
        kmh = self.speed_preset.itemData(index)
        if kmh is not None:
            self.speed.blockSignals(True)
            self.speed.setValue(kmh)
            self.speed.blockSignals(False)

    def _speed_changed(self, value: float) -> None:
        match = next((i for i, (_, kmh) in enumerate(SPEED_PRESETS) if abs(kmh - value) < 1e-6), len(SPEED_PRESETS))
        self.speed_preset.blockSignals(True)
        self.speed_preset.setCurrentIndex(match)
        self.speed_preset.blockSignals(False)

    def profile_name(self) -> str:
        """The name of the chosen profile (``nantong-2014``; the combo shows its title)."""
        return self.profile.profile_name()

    def minutes_values(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.minutes.text().split(",") if v.strip())

    def set_busy(self, busy: bool) -> None:
        self.run.setEnabled(not busy)
        self.cancel.setEnabled(busy)
        if busy:  # a new run starts from 0; a finished one keeps its last figure (100 % beside 分析完成)
            self.progress.setValue(0)

    def show_progress(self, fraction: float, step: str) -> None:
        self.progress.setValue(int(round(fraction * 100)))
        self.status.setText(step_text(step))
