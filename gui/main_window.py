"""The main window: map canvas in the middle, docks for layers, analysis, results and identify.

Slots here only start work (in :class:`gui.worker.Task`) and pass results to the workspace model or to
widgets; reading, analysis and geometry live in ``layers``, ``spatial`` and ``projects``.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import shapely
from PySide6 import QtCore, QtGui, QtWidgets

from layers.errors import InputError
from layers.tables import NOTES_ATTR
from projects.inputs import DataSources, LayerOptions, SampleInfo, cross_check, load_inputs, read_layer, read_population
from projects.profiles import load_profile
from layers.basemap import RasterImage, read_basemap
from projects.workspace import MapLayer, Workspace
from spatial.analysis import AnalysisParams, run_analysis
from spatial.network import build_network

from . import i18n
from .app import APP_ICON, icon
from .canvas import MapCanvas
from .commands import ReplaceLayer
from .exports import ExportRequest, export_all
from .i18n import file_filter, tr
from .gaps_panel import GapsPanel
from .import_dialog import IMPORT_LAYERS, ImportDialog, ImportedProject, LayerChoice
from .print_layout import Page
from .panels import AnalysisPanel, LayerPanel
from .plan_editing import PlanEditing
from .tables import AttributeTable, IdentifyPanel, ResultsTable
from .targets_panel import TargetsPanel
from .warnings_panel import WarningsPanel
from .worker import Task

IDENTIFY_TOLERANCE_PX = 8
EXPORT_KINDS = {"pdf": ".pdf", "png": ".png", "atlas": ".pdf", "html": ".html", "xlsx": ".xlsx", "gpkg": ".gpkg", "csv": ".csv"}

#: the bundled icon (``gui/icons/<name>.svg``) of each action; every toolbar action has one
ACTION_ICONS = {
    "action.new_project": "new", "action.open_project": "open", "action.open_sample": "open", "action.save": "save",
    "action.save_as": "save", "action.run": "run", "action.cancel": "cancel", "action.zoom_full": "zoom_full",
    "action.zoom_layer": "zoom_layer", "action.zoom_selection": "zoom_selection", "action.attribute_table": "table",
    "action.tool_identify": "identify", "action.tool_add": "add_facility", "action.tool_move": "move_facility",
    "action.tool_select": "select", "action.delete_selected": "remove_facility", "action.close_selected": "close_facility",
    "action.edit_facility": "edit", "action.undo": "undo", "action.redo": "redo", "toolbar.undo": "undo",
    "toolbar.redo": "redo", "action.new_scenario": "new_scenario", "action.compare": "compare", "action.about": "info",
    "action.print_layout": "print_layout", "export.pdf": "print_layout", "export.png": "image", "export.atlas": "atlas", "export.html": "web_map",
    "export.xlsx": "workbook", "export.gpkg": "database", "export.csv": "table",
}
#: the toolbars, left to right (None: a separator); the exports are where the print layout dialog goes
TOOLBARS = {
    "toolbar.main": ("action.new_project", "action.open_project", "action.save", None, "action.zoom_full",
                     "action.zoom_layer", "action.zoom_selection", "action.attribute_table", None, "action.run",
                     "action.cancel", None, "action.print_layout", "export.html", "export.xlsx"),
    "toolbar.edit": ("toolbar.undo", "toolbar.redo", None, "action.tool_identify", "action.tool_add", "action.tool_move",
                     "action.tool_select", "action.delete_selected"),
}
#: toolbar buttons that show their text beside the icon (the rest: icon only, the text as tooltip)
TEXT_BESIDE_ICON = ("action.run",)
TOOLBAR_ICON_PX = 22

#: where the docks go: per area, groups stacked top to bottom, the docks of a group tabbed (the first one in
#: front). *compact* (the window is smaller than COMPACT_BELOW, e.g. on a 1366x768 laptop): one tabbed column
#: on the left (full height) and one tabbed strip below the map, so the map keeps about three quarters of the
#: width; *comfortable*: layers and history on the left, analysis and identify on the right, the tables below.
#: A dock that is not in the window is skipped; a new dock (e.g. the named gaps) is placed by adding its key.
DOCK_LAYOUTS: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "compact": {"left": (("dock.layers", "dock.analysis", "dock.identify"),),
                "bottom": (("dock.results", "dock.gaps", "dock.targets", "dock.warnings", "dock.history"),)},
    "comfortable": {"left": (("dock.layers",), ("dock.history",)),
                    "right": (("dock.analysis",), ("dock.identify",)),
                    "bottom": (("dock.results", "dock.gaps", "dock.targets", "dock.warnings"),)},
}
#: share of the window each dock area takes once shown (width for left/right, height for bottom), and the
#: relative heights of stacked groups
DOCK_SHARES = {"compact": {"left": 0.22, "bottom": 0.30},
               "comfortable": {"left": 0.17, "right": 0.21, "bottom": 0.28}}
GROUP_WEIGHTS = {"left": (2, 1), "right": (3, 2), "bottom": (1,)}
#: below this window size (width, height) the compact layout is used
COMPACT_BELOW = (1600, 860)
#: bumped whenever the docks change, so a saved window state of an older version is not restored
LAYOUT_VERSION = 2
_AREAS = {"left": QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, "right": QtCore.Qt.DockWidgetArea.RightDockWidgetArea,
          "bottom": QtCore.Qt.DockWidgetArea.BottomDockWidgetArea}


class MainWindow(PlanEditing, QtWidgets.QMainWindow):
    analysisFinished = QtCore.Signal()
    inputsLoaded = QtCore.Signal()
    errorShown = QtCore.Signal(str)
    planChanged = QtCore.Signal()
    gapsRefreshed = QtCore.Signal()
    comparisonFinished = QtCore.Signal(object)
    exportFinished = QtCore.Signal(object)
    #: an input layer of the project was replaced (or the replacement undone): the layer
    layerReplaced = QtCore.Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.workspace = Workspace()
        self.canvas = MapCanvas(self.workspace)
        self.setCentralWidget(self.canvas)
        self.layer_panel = LayerPanel(self.workspace)
        self.analysis_panel = AnalysisPanel()
        self.results = ResultsTable()
        self.identify_panel = IdentifyPanel()
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self.layout_name = "compact"
        self._dock_sizes_pending = True
        self._layout_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._layout_timer.timeout.connect(self.apply_dock_sizes)
        #: where the window's layout is saved on close (set by the app, never in tests): a QSettings or None
        self.layout_settings: QtCore.QSettings | None = None
        self._setup_dock_options()
        self._add_dock("dock.layers", self.layer_panel)
        self._add_dock("dock.analysis", _scrolling(self.analysis_panel))
        self._add_dock("dock.identify", self.identify_panel)
        self._add_dock("dock.results", self.results)
        self.targets_panel = TargetsPanel(self.workspace)
        self._add_dock("dock.targets", self.targets_panel)
        self.warnings_panel = WarningsPanel(lambda: self.workspace.result)
        self._add_dock("dock.warnings", self.warnings_panel)
        self.gaps_panel = GapsPanel(self.workspace)
        self._add_dock("dock.gaps", self.gaps_panel)
        self.import_dialog: ImportDialog | None = None
        self.coords = QtWidgets.QLabel()
        self.statusBar().addPermanentWidget(self.coords)
        self.last_error_dialog: QtWidgets.QMessageBox | None = None
        self.attribute_tables: list[AttributeTable] = []
        self.task: Task | None = None
        self.sample: SampleInfo | None = None
        self._init_plan_editing()
        self._add_dock("dock.history", self.undo_view)
        self._make_actions()
        self._connect()
        self.retranslate()
        self.setWindowIcon(icon(APP_ICON))
        self.fit_to_screen()

    # -- construction -----------------------------------------------------------------------------
    def _setup_dock_options(self) -> None:
        """Docks that tab, nest, float and close; tabs on top of their dock group."""
        self.setDockNestingEnabled(True)
        opts = QtWidgets.QMainWindow.DockOption
        self.setDockOptions(opts.AnimatedDocks | opts.AllowTabbedDocks | opts.AllowNestedDocks | opts.GroupedDragging)
        self.setTabPosition(QtCore.Qt.DockWidgetArea.AllDockWidgetAreas, QtWidgets.QTabWidget.TabPosition.North)

    def _add_dock(self, key: str, widget: QtWidgets.QWidget,
                  area: QtCore.Qt.DockWidgetArea = QtCore.Qt.DockWidgetArea.BottomDockWidgetArea) -> QtWidgets.QDockWidget:
        """A dock for ``widget`` (placed by :meth:`arrange_docks` after its key is added to DOCK_LAYOUTS; until
        then in ``area``), closable, floatable and movable, with a toggle in 视图 → 面板."""
        dock = QtWidgets.QDockWidget(self)
        dock.setObjectName(key)
        dock.setWidget(widget)
        F = QtWidgets.QDockWidget.DockWidgetFeature
        dock.setFeatures(F.DockWidgetClosable | F.DockWidgetMovable | F.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        if hasattr(self, "panels_menu"):
            self.panels_menu.addAction(dock.toggleViewAction())
        return dock

    # -- window size and dock layout ----------------------------------------------------------------
    def fit_to_screen(self, available: QtCore.QRect | None = None) -> tuple[int, int]:
        """Size the window for the screen's free area (``available``: its geometry; default the window's
        screen), place it inside that area and lay the docks out for that size. Returns the size."""
        if available is None:
            screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
            available = screen.availableGeometry() if screen is not None else None
        width, height = fitted_size(_Area(available) if available is not None else None)
        self.set_window_size(width, height)
        if available is not None:
            self.move(available.x() + max(0, (available.width() - width - FRAME_PX[0]) // 2),
                      available.y() + max(0, (available.height() - height - FRAME_PX[1]) // 2))
        return width, height

    def set_window_size(self, width: int, height: int) -> None:
        """Resize the window and choose the dock layout for that size (compact below COMPACT_BELOW); the dock
        sizes follow once the window is shown (before that the main window's layout ignores them)."""
        self.arrange_docks("compact" if is_compact(width, height) else "comfortable")
        self.resize(width, height)

    def arrange_docks(self, layout: str) -> None:
        """Put every dock where DOCK_LAYOUTS[layout] says (shown, docked, tabbed), the rest stays where it is."""
        plan = DOCK_LAYOUTS[layout]
        self.layout_name = layout
        C, A = QtCore.Qt.Corner, QtCore.Qt.DockWidgetArea
        compact = layout == "compact"  # the left column takes the bottom-left corner: the table strip is narrower
        self.setCorner(C.TopLeftCorner, A.LeftDockWidgetArea if compact else A.TopDockWidgetArea)
        self.setCorner(C.BottomLeftCorner, A.LeftDockWidgetArea if compact else A.BottomDockWidgetArea)
        self.setCorner(C.TopRightCorner, A.RightDockWidgetArea if compact else A.TopDockWidgetArea)
        self.setCorner(C.BottomRightCorner, A.BottomDockWidgetArea)
        for area_name, groups in plan.items():
            area = _AREAS[area_name]
            firsts = []
            for group in groups:
                docks = [self.docks[k] for k in group if k in self.docks]
                if not docks:
                    continue
                for dock in docks:
                    dock.setFloating(False)
                    self.addDockWidget(area, dock, QtCore.Qt.Orientation.Vertical)
                    dock.show()
                for dock in docks[1:]:
                    self.tabifyDockWidget(docks[0], dock)
                firsts.append(docks[0])
            for first in firsts:
                first.raise_()
        # the window's minimum size was taken from the docks' earlier places (all stacked in one area: taller
        # than a laptop screen); the layout recomputes it from the arrangement
        self.layout().invalidate()
        self.layout().activate()
        self._dock_sizes_pending = True
        if self.isVisible():
            self._layout_timer.start()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._dock_sizes_pending:  # the main window's layout takes dock sizes only once it is shown
            self._layout_timer.start()

    def apply_dock_sizes(self) -> None:
        """Give each dock area its share of the window (DOCK_SHARES) and stacked groups their weights."""
        if not self._dock_sizes_pending:
            return
        self._dock_sizes_pending = False
        shares, plan = DOCK_SHARES[self.layout_name], DOCK_LAYOUTS[self.layout_name]
        for area_name, groups in plan.items():
            fronts = [self.docks[g[0]] for g in groups if g and g[0] in self.docks]
            if not fronts:
                continue
            if area_name == "bottom":
                height = round(self.height() * shares[area_name])
                self.resizeDocks(fronts[:1], [height], QtCore.Qt.Orientation.Vertical)
            else:
                hint = max(d.minimumSizeHint().width() for d in fronts)
                width = min(max(hint, round(self.width() * shares[area_name])), round(self.width() * 0.3))
                self.resizeDocks(fronts, [width] * len(fronts), QtCore.Qt.Orientation.Horizontal)
            if len(fronts) > 1:
                weights = GROUP_WEIGHTS[area_name][:len(fronts)]
                column = self.height() * 0.8
                self.resizeDocks(fronts, [round(column * w / sum(weights)) for w in weights], QtCore.Qt.Orientation.Vertical)

    def reset_layout(self) -> None:
        """视图 → 恢复默认布局: the docks and toolbars as at a first start for the current window size."""
        for tb in self.toolbars.values():
            tb.show()
        self.arrange_docks("compact" if is_compact(self.width(), self.height()) else "comfortable")

    def save_layout(self, settings: QtCore.QSettings) -> None:
        settings.setValue("window/layout_version", LAYOUT_VERSION)
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        settings.setValue("window/layout", self.layout_name)

    def restore_layout(self, settings: QtCore.QSettings) -> bool:
        """The window's size, docks and toolbars as saved at the last close, if they were saved by this
        version and the window still fits the screen; otherwise (and on a first start) nothing changes."""
        if str(settings.value("window/layout_version", "")) != str(LAYOUT_VERSION):
            return False
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        layout = str(settings.value("window/layout", ""))
        if not isinstance(geometry, QtCore.QByteArray) or not isinstance(state, QtCore.QByteArray) or layout not in DOCK_LAYOUTS:
            return False
        before = self.saveGeometry(), self.saveState(LAYOUT_VERSION), self.layout_name
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        free = screen.availableGeometry() if screen is not None else None
        ok = self.restoreGeometry(geometry) and self.restoreState(state, LAYOUT_VERSION)
        if ok and free is not None and not self.isMaximized() and (self.width() > free.width() or self.height() > free.height()):
            ok = False  # saved on a larger screen
        if not ok:
            self.restoreGeometry(before[0])
            self.restoreState(before[1], LAYOUT_VERSION)
            self.layout_name = before[2]
            return False
        self.layout_name = layout
        self._dock_sizes_pending = False
        return True

    def map_share(self) -> float:
        """The map canvas's share of the window's width."""
        return self.canvas.width() / max(self.width(), 1)

    def _make_actions(self) -> None:
        self.actions_: dict[str, QtGui.QAction] = {}

        def act(key: str, slot: Callable, shortcut: str | None = None) -> QtGui.QAction:
            a = QtGui.QAction(self)
            a.triggered.connect(slot)
            if shortcut:
                a.setShortcut(QtGui.QKeySequence(shortcut))
            self.actions_[key] = a
            return a

        act("action.new_project", lambda: self.new_project(), "Ctrl+N")
        act("action.open_sample", lambda: self.confirm_discard() and self.open_sample())
        act("action.open_project", self._ask_open_project, "Ctrl+O")
        act("action.save", self.save, "Ctrl+S")
        act("action.save_as", self.save_as, "Ctrl+Shift+S")
        undo = self.undo_stack.createUndoAction(self, tr("action.undo"))
        undo.setShortcut(QtGui.QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, tr("action.redo"))
        redo.setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"), QtGui.QKeySequence("Ctrl+Y")])
        self.actions_["action.undo"], self.actions_["action.redo"] = undo, redo
        # the toolbar's buttons keep a fixed text (the stack's own actions grow with the step's name and squeeze
        # the scenario box); the step they would undo or redo is their tooltip
        for key, step, can_changed, text_changed in (
                ("toolbar.undo", self.undo_stack.undo, self.undo_stack.canUndoChanged, self.undo_stack.undoTextChanged),
                ("toolbar.redo", self.undo_stack.redo, self.undo_stack.canRedoChanged, self.undo_stack.redoTextChanged)):
            a = QtGui.QAction(self)
            a.triggered.connect(step)
            a.setEnabled(False)
            can_changed.connect(a.setEnabled)
            text_changed.connect(lambda text, a=a, key=key: a.setToolTip(f"{tr(key)} {text}".strip()))
            self.actions_[key] = a
        self.tool_actions: dict[str, QtGui.QAction] = {}
        self.tool_group = QtGui.QActionGroup(self)
        for name in ("identify", "add", "move", "select"):
            a = act(f"action.tool_{name}", lambda _=False, n=name: self.set_tool(n))
            a.setCheckable(True)
            a.setChecked(name == "identify")
            self.tool_group.addAction(a)
            self.tool_actions[name] = a
        act("action.delete_selected", self.delete_selected)
        act("action.close_selected", self.close_selected)
        act("action.edit_facility", self.edit_selected)
        act("action.new_scenario", lambda: self.new_scenario())
        act("action.compare", self.compare_with_baseline)
        act("action.siting", self.open_siting)
        for kind in EXPORT_KINDS:
            act(f"export.{kind}", lambda _=False, k=kind: self._ask_export(k))
        act("action.print_layout", self.open_print_layout, "Ctrl+P")
        for kind in ("roads", "townships", "population", "communities", "facilities", "basemap"):
            act(f"action.add_{kind}", lambda _=False, k=kind: self._ask_layer_file(k))
        act("action.quit", self.close, "Ctrl+Q")
        act("action.zoom_full", self.canvas.zoom_full, "Ctrl+0")
        act("action.zoom_layer", self.zoom_to_current_layer)
        act("action.zoom_selection", self.zoom_to_selection)
        act("action.attribute_table", self.open_attribute_table)
        act("action.run", self.run_analysis, "F5")
        act("action.cancel", self.cancel_task, "Esc").setEnabled(False)  # on while a task runs
        act("action.about", self.show_about)
        act("action.reset_layout", self.reset_layout)
        self.lang_group = QtGui.QActionGroup(self)
        for lang in ("zh", "en"):
            a = act(f"lang.{lang}", lambda _=False, l=lang: self.set_language(l))
            a.setCheckable(True)
            a.setChecked(lang == i18n.language())
            self.lang_group.addAction(a)
        mb = self.menuBar()
        self.menus = {k: mb.addMenu("") for k in ("menu.file", "menu.edit", "menu.view", "menu.plan", "menu.analysis", "menu.language", "menu.help")}
        m = self.menus["menu.file"]
        for k in ("action.new_project", "action.open_sample", "action.open_project", "action.save", "action.save_as"):
            m.addAction(self.actions_[k])
        m.addSeparator()
        for kind in ("roads", "townships", "population", "communities", "facilities", "basemap"):
            m.addAction(self.actions_[f"action.add_{kind}"])
        m.addSeparator()
        m.addAction(self.actions_["action.print_layout"])
        self.export_menu = m.addMenu("")
        for kind in EXPORT_KINDS:
            self.export_menu.addAction(self.actions_[f"export.{kind}"])
        m.addSeparator()
        m.addAction(self.actions_["action.quit"])
        for k in ("action.undo", "action.redo", None, "action.tool_identify", "action.tool_add", "action.tool_move", "action.tool_select",
                  None, "action.edit_facility", "action.delete_selected", "action.close_selected"):
            self.menus["menu.edit"].addAction(self.actions_[k]) if k else self.menus["menu.edit"].addSeparator()
        for k in ("action.new_scenario", "action.compare", "action.siting"):
            self.menus["menu.plan"].addAction(self.actions_[k])
        for k in ("action.zoom_full", "action.zoom_layer", "action.zoom_selection", "action.attribute_table"):
            self.menus["menu.view"].addAction(self.actions_[k])
        self.menus["menu.view"].addSeparator()
        self.panels_menu = self.menus["menu.view"].addMenu("")  # a toggle per dock, titled like the dock
        for dock in self.docks.values():
            self.panels_menu.addAction(dock.toggleViewAction())
        self.toolbars_menu = self.menus["menu.view"].addMenu("")
        self.menus["menu.view"].addAction(self.actions_["action.reset_layout"])
        self.menus["menu.analysis"].addAction(self.actions_["action.run"])
        self.menus["menu.analysis"].addAction(self.actions_["action.cancel"])
        self.menus["menu.language"].addAction(self.actions_["lang.zh"])
        self.menus["menu.language"].addAction(self.actions_["lang.en"])
        self.menus["menu.help"].addAction(self.actions_["action.about"])
        for key, name in ACTION_ICONS.items():
            self.actions_[key].setIcon(icon(name))
        self.toolbars: dict[str, QtWidgets.QToolBar] = {}
        for key, keys in TOOLBARS.items():
            tb = self.addToolBar("")
            tb.setObjectName(key.replace(".", "-"))
            tb.setIconSize(QtCore.QSize(TOOLBAR_ICON_PX, TOOLBAR_ICON_PX))
            for k in keys:
                if k is None:
                    tb.addSeparator()
                    continue
                tb.addAction(self.actions_[k])
                if k in TEXT_BESIDE_ICON:
                    tb.widgetForAction(self.actions_[k]).setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self.toolbars[key] = tb
            self.toolbars_menu.addAction(tb.toggleViewAction())
        etb = self.toolbars["toolbar.edit"]
        etb.addSeparator()
        self.scenario_label = QtWidgets.QLabel()
        self.scenario_combo = QtWidgets.QComboBox()
        self.scenario_combo.setMinimumContentsLength(10)
        etb.addWidget(self.scenario_label)
        etb.addWidget(self.scenario_combo)
        etb.addAction(self.actions_["action.new_scenario"])
        etb.addAction(self.actions_["action.compare"])

    def _connect(self) -> None:
        self.canvas.cursorMoved.connect(self._show_coords)
        self.canvas.clicked.connect(self.identify_at)
        self.analysis_panel.runRequested.connect(self.run_analysis)
        self.analysis_panel.settingsEdited.connect(self.edit_settings)
        self.analysis_panel.cancelRequested.connect(self.cancel_task)
        self.analysis_panel.displayTypeChanged.connect(self.set_display_type)
        self.results.townshipActivated.connect(self.zoom_to_township)
        self.canvas.deleteRequested.connect(self.delete_selected)
        self.scenario_combo.textActivated.connect(self.switch_scenario)
        self.workspace.subscribe(lambda event, payload: self.canvas.refresh())
        self.targets_panel.targetPicked.connect(self._show_target_classes)
        self.workspace.subscribe(lambda event, payload: event == "result_changed" and self.warnings_panel.refresh())
        self.warnings_panel.countChanged.connect(lambda _n: self._title_warnings_dock())
        self.warnings_panel.facilityActivated.connect(self.zoom_to_facility)
        self.gaps_panel.zoom_requested.connect(self.zoom_to_point)
        self.analysis_panel.displayTypeChanged.connect(self.gaps_panel.set_class)

    def retranslate(self) -> None:
        self._update_title()
        for key, a in self.actions_.items():
            if key not in ("action.undo", "action.redo"):  # QUndoStack names these after the next step
                a.setText(tr(key))
        self.scenario_label.setText(tr("scenario.label") + " ")
        self.export_menu.setTitle(tr("menu.export"))
        self.panels_menu.setTitle(tr("menu.panels"))
        self.toolbars_menu.setTitle(tr("menu.toolbars"))
        for key, tb in self.toolbars.items():
            tb.setWindowTitle(tr(key + "_title"))
        self.undo_view.setEmptyLabel(tr("history.empty"))
        for key, menu in self.menus.items():
            menu.setTitle(tr(key))
        for key, dock in self.docks.items():
            dock.setWindowTitle(tr(key))
        self.warnings_panel.retranslate()
        self._title_warnings_dock()
        self.layer_panel.retranslate()
        self.analysis_panel.retranslate()
        self.results.retranslate()
        self.targets_panel.retranslate()
        self.gaps_panel.retranslate()

    def _title_warnings_dock(self) -> None:
        n = self.warnings_panel.count()
        self.docks["dock.warnings"].setWindowTitle(tr("dock.warnings_n", n=n) if n else tr("dock.warnings"))

    def set_language(self, lang: str) -> None:
        from .app import use_qt_translations

        i18n.set_language(lang)
        use_qt_translations(lang)
        self.actions_[f"lang.{lang}"].setChecked(True)
        self.retranslate()

    # -- errors -----------------------------------------------------------------------------------
    def show_error(self, message: str, *, title_key: str = "error.title") -> None:
        """A window-modal error dialog with one human line in the UI language (never a traceback); the
        untranslated original, if any, behind the dialog's details button."""
        from .warnings_panel import error_text, show_error_box

        self.last_error_dialog = show_error_box(self, tr(title_key), message)
        self.statusBar().showMessage(error_text(message)[0], 10000)
        self.errorShown.emit(message)

    # -- background work --------------------------------------------------------------------------
    def busy(self) -> bool:
        """True while a task's work is still going on (a task whose result has been handed over no longer
        counts, even if its thread has not quite ended)."""
        return self.task is not None and self.task.isRunning() and not getattr(self.task, "settled", False)

    def _start(self, fn: Callable, *args, on_success: Callable, busy_text: str) -> Task | None:
        if self.busy():
            self.statusBar().showMessage(tr("analysis.running"), 3000)
            return None
        task = Task(fn, *args, parent=self)
        task.settled = False
        for signal in (task.succeeded, task.failed, task.cancelled):  # connected first: settled before the result is used
            signal.connect(lambda *_a, t=task: setattr(t, "settled", True))
        task.progress.connect(self.analysis_panel.show_progress)
        task.succeeded.connect(on_success)
        task.failed.connect(self._task_failed)
        task.cancelled.connect(self._task_cancelled)
        task.finished.connect(lambda: self.task in (None, task) and self._set_busy(False))
        task.finished.connect(lambda: self._task_finished(task))
        self.task = task
        self._set_busy(True)
        self.analysis_panel.status.setText(busy_text)
        task.start()
        return task

    def _set_busy(self, busy: bool) -> None:
        self.analysis_panel.set_busy(busy)
        self.actions_["action.cancel"].setEnabled(busy)

    def _task_finished(self, task: Task) -> None:
        """A finished thread is released (and forgotten)."""
        if self.task is task:
            self.task = None
        task.deleteLater()

    def cancel_task(self) -> None:
        if self.task is not None and self.task.isRunning():
            self.task.cancel()

    def _task_failed(self, message: str) -> None:
        self.show_error(message)

    def _task_cancelled(self) -> None:
        self.analysis_panel.status.setText(tr("analysis.cancelled"))

    def wait_idle(self, timeout_ms: int = 120_000) -> bool:
        """Block until the running task ends (for the --screenshot mode)."""
        return self.task is None or self.task.wait(timeout_ms)

    # -- loading ----------------------------------------------------------------------------------
    def open_sources(self, info: SampleInfo) -> None:
        self.sample = info
        self._start(_load_all, info.sources, on_success=lambda inputs: self._inputs_loaded(inputs, info), busy_text=tr("analysis.loading"))

    def _inputs_loaded(self, inputs, info: SampleInfo) -> None:
        src = info.sources
        sources = {k: src.resolve(getattr(src, k)) for k in ("roads", "townships", "facilities", "population", "communities")}
        self._document_from_inputs(inputs, title=info.title, profile=info.profile, sources=sources)

    # -- new project and layer replacement (the import dialog) ----------------------------------------
    def new_project(self) -> ImportDialog:
        """新建项目: the import dialog for every layer; on *Create project* (after the save-changes question)
        the layers are read and checked in a worker and the new project replaces the open one."""
        profile = self.project.settings.profile.name if self.project is not None else None
        dialog = ImportDialog(self, layers=IMPORT_LAYERS, before_accept=self.confirm_discard, profile=profile)
        dialog.projectReady.connect(self._project_imported)
        self._open_import_dialog(dialog)
        return dialog

    def open_layer_dialog(self, kind: str) -> ImportDialog:
        """The import dialog for one layer (add or replace it); the file is then read, checked against the
        project's other layers and the layer replaced as one undo step."""
        townships = self.project.townships if self.project is not None else (
            self.workspace.layer("townships").frame if self.workspace.layer("townships") is not None else None)
        dialog = ImportDialog(self, layers=(kind,), townships=townships)
        dialog.layerAccepted.connect(self._layer_chosen)
        self._open_import_dialog(dialog)
        return dialog

    def _open_import_dialog(self, dialog: ImportDialog) -> None:
        dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        dialog.finished.connect(lambda _r, d=dialog: self._import_dialog_closed(d))
        self.import_dialog = dialog
        dialog.open()

    def _import_dialog_closed(self, dialog: ImportDialog) -> None:
        if self.import_dialog is dialog:
            self.import_dialog = None
        dialog.deleteLater()

    def _ask_layer_file(self, kind: str) -> None:
        self.open_layer_dialog(kind)

    def _layer_chosen(self, choice: LayerChoice) -> None:
        self.load_layer_file(choice.layer, choice.path, options=choice.options, frame=choice.frame)

    def _project_imported(self, imported: ImportedProject) -> None:
        project = imported.project
        self.set_document(project, imported.network, path=None)
        self._dirty_extra = True  # a new project: not saved anywhere yet
        self._update_title()
        if imported.basemap is not None:
            self.workspace.put_layer(MapLayer("basemap", "basemap", raster=imported.basemap, source=project.basemap))
        self.statusBar().showMessage(tr("import.done", title=project.title), 15000)

    def load_layer_file(self, kind: str, path: Path, *, options: LayerOptions | None = None, frame=None,
                        facilities_crs: str | None = None) -> Task | None:
        """Read one layer file off the GUI thread (with the import choices ``options``; ``frame``: the layer
        the import dialog already read with them) and check it against the project's other layers; then it
        replaces that layer as one undo step (asking first when the plan has scenarios or edits). On failure
        an error dialog names the file and the problem and nothing changes."""
        path = Path(path)
        opt = options or LayerOptions()
        if facilities_crs is not None and opt.crs is None:
            opt = replace(opt, crs=facilities_crs)
        if kind == "basemap":
            return self._start(_read_basemap, path, self.workspace.crs, on_success=lambda img: self.workspace.put_layer(MapLayer("basemap", "basemap", raster=img, source=path)), busy_text=tr("analysis.loading"))
        if kind not in ("roads", "townships", "population", "communities", "facilities"):
            raise ValueError(f"unknown layer {kind!r}")
        layers = self._current_layers()
        declared = opt.crs if kind == "facilities" else (self.project.imports.get("facilities", {}).get("crs") if self.project is not None else None)
        # new roads' network is built in the worker: in the project's CRS with its settings, or for the map alone
        build = (self.project.crs, self.project.settings) if self.project is not None else (None, None)
        return self._start(_read_checked, kind, path, opt, frame, layers, declared, build,
                           on_success=lambda done: self._layer_read(*done, path=path, options=opt, source_of=kind),
                           busy_text=tr("analysis.loading"))

    def _current_layers(self) -> dict:
        """The layers a new file is checked against: the project's (baseline facilities), else the map's."""
        p = self.project
        if p is not None:
            return {"roads": p.roads, "townships": p.townships, "facilities": p.plan.frame(p.plan.baseline),
                    "population": p.population, "communities": p.communities}
        out = {}
        for k in ("townships", "facilities", "population", "communities"):
            lyr = self.workspace.layer(k)
            out[k] = lyr.frame if lyr is not None else None
        roads = self.workspace.layer("roads")
        out["roads"] = roads.frame if roads is not None else None
        return out

    def _layer_read(self, kind: str, frame, notes: list[str], network, *, path: Path, options: LayerOptions,
                    source_of: str | None = None) -> bool:
        """A layer read and checked: replace it (one undo step) in the open project, or show it."""
        if self.project is None or self.doc is None:
            if kind == "roads":
                self.workspace.set_network(network, source=path)
            else:
                self.workspace.set_input_layer(kind, frame, source=path)
            if self.canvas.view is None:
                self.canvas.zoom_full()
            return True
        # a table of township counts read for the population fills the townships: the population points, which
        # the analysis would still prefer, go in the same undo step (always asked: the points are removed)
        points = self.project.population
        counts = kind == "townships" and source_of == "population"
        drop = counts and points is not None and len(points) > 0
        ask = drop or len(self.plan.scenarios) > 1 or self.undo_stack.count() > 0
        if ask and not self.ask_replace("population_counts" if drop else kind):
            return False
        shown = "population" if counts else kind
        self.undo_stack.push(ReplaceLayer(self.doc, kind, frame, tr("cmd.replace_layer", layer=tr(f"layer.{shown}")),
                                          notes=notes, source=str(path.resolve()), imports=options.to_dict(),
                                          source_of=source_of, network=network, drop_population=counts))
        dropped = [n for n in self.project.notes if n.startswith("scenario ") and " dropped (" in n]
        if kind == "facilities" and dropped:  # what the plan scenarios lost is listed in the warnings dock too
            self.statusBar().showMessage(tr("replace.changes_dropped", n=len(dropped)), 30000)
        return True

    def ask_replace(self, kind: str) -> bool:
        """Before replacing a layer the plan's scenarios or edit history build on (or, for a table of township
        counts, the population points the analysis would otherwise prefer): the user's yes."""
        if kind == "facilities":
            text = tr("replace.facilities_keep_ask")
        elif kind == "population_counts":
            text = tr("replace.population_counts_ask", n=len(self.project.population) if self.project is not None
                      and self.project.population is not None else 0)
        else:
            text = tr("replace.layer_ask", layer=tr(f"layer.{kind}"))
        answer = QtWidgets.QMessageBox.question(self, tr("replace.title"), text)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    # -- analysis ---------------------------------------------------------------------------------
    def analysis_params(self) -> AnalysisParams:
        p = self.analysis_panel
        doc = getattr(self, "doc", None)
        name = p.profile.currentText()
        profile = doc.settings.profile if doc is not None and doc.settings.profile.name == name else load_profile(name)
        from layers.classes import BASELINE_STATUSES
        from projects.live import statuses_for

        plan, project = getattr(self, "plan", None), getattr(self, "project", None)
        statuses = statuses_for(plan.active, baseline=plan.baseline) if plan is not None else BASELINE_STATUSES
        try:
            return AnalysisParams(profile=profile, minutes=p.minutes_values(), speed_kmh=p.speed.value(), statuses=statuses,
                                  elderly_basis=project.settings.elderly_basis if project is not None else "resident",
                                  area_name=project.title if project is not None else str(getattr(self.workspace, "title", "")))
        except ValueError as exc:
            raise InputError(str(exc)) from None

    def analysis_request(self):
        """``(inputs, params)`` for an analysis from the current layers and panel, or None after telling
        the user what is missing."""
        try:
            return self.workspace.analysis_inputs(), self.analysis_params()
        except InputError as exc:
            self.show_error(str(exc), title_key="error.analysis")
            return None

    def run_analysis(self) -> Task | None:
        request = self.analysis_request()
        if request is None:
            return None
        if self.doc is None:
            return self._start(_run, *request, on_success=self._analysis_done, busy_text=tr("analysis.running"))
        _, panel = request
        self._in_run = True
        try:  # what the panel shows is what runs (an undo step if it differs from the document's settings)
            self.edit_settings({"profile": panel.profile, "minutes": panel.minutes, "speed_kmh": panel.speed_kmh})
        finally:
            self._in_run = False
        self.doc.rerun()
        version, inputs, params = self.doc.analysis_job()  # a snapshot of the active scenario
        doc = self.doc
        return self._start(_run, inputs, params, on_success=lambda r: self._analysis_done(r, doc=doc, version=version),
                           busy_text=tr("analysis.running"))

    def _analysis_done(self, result, *, doc=None, version: int | None = None) -> None:
        if doc is not None:
            if doc is not self.doc or not doc.adopt(version, result):
                self.run_analysis()  # the plan changed while it ran: run it on the current state
                return
            result = doc.result
        self.workspace.set_result(result)
        self.layer_panel.minutes = result.params.minutes
        self.layer_panel.rebuild()
        self.results.set_results(result.coverage_frame(), result.flags_frame())
        self.analysis_panel.status.setText(tr("analysis.done"))
        self.canvas.refresh()
        self.analysisFinished.emit()

    def _show_target_classes(self, target_id: str | None) -> None:
        """A target picked for the map shows the circles and gaps of its (first) facility class."""
        result = self.workspace.result
        classes = result.params.profile.target(target_id).classes if target_id and result is not None else ()
        idx = self.analysis_panel.display_type.findData(classes[0]) if classes else -1
        if idx >= 0:
            self.analysis_panel.display_type.setCurrentIndex(idx)

    def set_display_type(self, type_: str) -> None:
        self.canvas.renderer.display_type = type_
        self.layer_panel.display_type = type_
        self.layer_panel.rebuild()
        self.canvas.refresh()

    # -- navigation and identify ------------------------------------------------------------------
    def zoom_to_point(self, x: float, y: float) -> None:
        """Zoom to a place in map coordinates (a community or village left outside a circle) and outline it."""
        p = shapely.Point(x, y)
        self.canvas.set_highlight(p.buffer(60))
        self.canvas.zoom_to_bounds(tuple(p.buffer(1000).bounds))

    def zoom_to_township(self, name: str) -> None:
        towns = self.workspace.layer("townships")
        if towns is None:
            return
        sel = towns.frame[towns.frame["name"] == name]
        if len(sel):
            geom = sel.geometry.iloc[0]
            self.canvas.set_highlight(geom)
            self.canvas.zoom_to_bounds(tuple(geom.bounds), margin=0.08)

    def zoom_to_facility(self, fid: str, lon: float = float("nan"), lat: float = float("nan")) -> bool:
        """Zoom to a facility of the map (by id; else at lon/lat, WGS 84) and highlight it."""
        geom = None
        lyr = self.workspace.layer("facilities")
        if lyr is not None and lyr.frame is not None and "fid" in lyr.frame.columns:
            hit = lyr.frame[lyr.frame["fid"].astype(str) == str(fid)]
            if len(hit):
                geom = hit.geometry.iloc[0]
        if geom is None and self.workspace.crs is not None and lon == lon and lat == lat:
            from pyproj import Transformer

            x, y = Transformer.from_crs("EPSG:4326", self.workspace.crs, always_xy=True).transform(lon, lat)
            geom = shapely.Point(x, y)
        if geom is None:
            return False
        self.canvas.set_highlight(geom.buffer(25))
        self.canvas.zoom_to_bounds(tuple(geom.buffer(400).bounds))
        return True

    def zoom_to_current_layer(self) -> None:
        lyr = self.workspace.layer(self.layer_panel.current_layer_id() or "")
        if lyr is not None:
            self.canvas.zoom_to_bounds(lyr.bounds)

    def zoom_to_selection(self) -> None:
        if self.canvas.highlight is not None:
            self.canvas.zoom_to_bounds(tuple(self.canvas.highlight.buffer(200).bounds))

    def identify_at(self, x: float, y: float) -> None:
        if self.canvas.view is None:
            return
        hit = self.workspace.identify(x, y, tolerance_m=IDENTIFY_TOLERANCE_PX * self.canvas.view.m_per_px)
        if hit is None:
            self.identify_panel.clear()
            self.canvas.set_highlight(None)
            return
        layer_id, index, record = hit
        lyr = self.workspace.layer(layer_id)
        self.docks["dock.identify"].raise_()  # in front of its tab group (the compact layout)
        self.identify_panel.show_feature(tr(f"layer.{lyr.kind}") + (f" · {record.get('name')}" if record.get("name") else ""), record)
        geom = lyr.frame.geometry.loc[index]
        if lyr.kind == "facilities" and self.workspace.result is not None and self.workspace.result.facility_circles is not None:
            circles = self.workspace.result.facility_circles
            mine = circles[circles["facility_id"] == record.get("fid")]
            if len(mine):
                geom = shapely.union_all([mine.to_crs(self.workspace.crs).geometry.iloc[-1], geom])
        self.canvas.set_highlight(geom)

    def open_attribute_table(self) -> AttributeTable | None:
        lyr = self.workspace.layer(self.layer_panel.current_layer_id() or "")
        if lyr is None or lyr.frame is None:
            return None
        table = AttributeTable(tr(f"layer.{lyr.kind}"), lyr.frame, parent=self)
        table.featureActivated.connect(lambda index, lid=lyr.id: self._feature_activated(lid, index))
        table.show()
        self.attribute_tables.append(table)
        return table

    def _feature_activated(self, layer_id: str, index: object) -> None:
        lyr = self.workspace.layer(layer_id)
        if lyr is not None and index in lyr.frame.index:
            geom = lyr.frame.geometry.loc[index]
            self.canvas.set_highlight(geom)
            self.canvas.zoom_to_bounds(tuple(geom.buffer(300).bounds))

    # -- exports ----------------------------------------------------------------------------------
    def _ask_export(self, kind: str) -> None:
        suffix = EXPORT_KINDS[kind]
        default = f"{self.workspace.title or 'carecircle'}{tr('export.atlas_suffix') if kind == 'atlas' else ''}{suffix}"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, tr(f"export.{kind}"), default,
                                                        file_filter({"atlas": "pdf"}.get(kind, kind)))
        if path:
            self.export_file(kind, Path(path))

    def export_file(self, kind: str, path: Path, *, page: Page | None = None) -> Task | None:
        """Write one report output for the current analysis (in a worker thread)."""
        request = ExportRequest(**{kind: Path(path)}, page=page or Page(), display_type=self.canvas.renderer.display_type,
                                comparison=self._screen_comparison())
        return self.export_request(request)

    def open_siting(self):
        """规划方案 > 选址建议…: where the next facilities of a class should go; the suggestion becomes a new
        scenario in one undo step."""
        if self.doc is None:
            self.show_error(tr("export.need_result"), title_key="error.analysis")
            return None
        from .siting_dialog import SitingDialog

        self.siting_dialog = SitingDialog(self.doc, self.undo_stack, self)
        self.siting_dialog.show()
        return self.siting_dialog

    def open_print_layout(self):
        """File > 打印布局…: paper, title, 制图单位, inset, atlas options and a preview; the export runs in the
        worker thread like every other export."""
        from .print_dialog import PrintLayoutDialog

        result = self.current_result()
        if result is None:
            self.show_error(tr("export.need_result"), title_key="error.analysis")
            return None
        dlg = PrintLayoutDialog(self.workspace, result, display_type=self.canvas.renderer.display_type,
                                scenario=self.plan.active if self.plan is not None else None,
                                sources=self.project.sources if self.project is not None else None,
                                comparison=self._screen_comparison(), parent=self)
        dlg.exportRequested.connect(self.export_request)
        self.print_dialog = dlg
        dlg.open()
        return dlg

    def _screen_comparison(self):
        """The comparison on screen, if it is of this plan's baseline and active scenario."""
        cmp = getattr(self, "last_comparison", None)
        if cmp is not None and self.plan is not None and (cmp.base, cmp.other) != (self.plan.baseline, self.plan.active):
            cmp = None
        return cmp

    def export_request(self, request: ExportRequest) -> Task | None:
        """Run an export request on the current complete result (in a worker thread)."""
        result = self.current_result()
        if result is None:
            self.show_error(tr("export.need_result"), title_key="error.analysis")
            return None
        scenario = self.plan.active if self.plan is not None else None
        sources = self.project.sources if self.project is not None else None
        return self._start(_export_job, request, self.workspace.snapshot(), result, self.workspace.layer("facilities").frame,
                           self.workspace.title or "CareCircle", scenario, sources, on_success=self._exported,
                           busy_text=tr("analysis.running"))

    def _exported(self, paths: dict) -> None:
        self.statusBar().showMessage(" · ".join(str(p) for p in paths.values()), 10000)
        self.exportFinished.emit(paths)

    def show_about(self) -> None:
        QtWidgets.QMessageBox.about(self, tr("action.about"), tr("about.text") + tr("sample.note"))

    def _show_coords(self, x: float, y: float) -> None:
        if self.workspace.crs is None or self.canvas.view is None:
            return
        lon, lat = _to_wgs84(self.workspace.crs, x, y)
        self.coords.setText(tr("status.coords", lon=lon, lat=lat, scale=self.canvas.view.scale_denominator()))

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        if not self.confirm_discard():
            event.ignore()
            return
        if self.layout_settings is not None:
            self.save_layout(self.layout_settings)
            self.layout_settings = None  # once: a second close (the app's teardown) finds the window hidden
        self.autosave_timer.stop()
        self._stop_background()
        if self.task is not None and self.task.isRunning():
            self.task.cancel()
            self.task.wait(10_000)
        for task in self.findChildren(Task):  # a task whose result was taken may still be ending its thread
            task.wait(10_000)
        # a finished task's queued signal may still arrive: it must find no view of this window listening
        self.closed_for_good = True
        self.workspace.clear_listeners()
        super().closeEvent(event)


# -- work functions run in the worker thread (no widgets here) -------------------------------------

def _load_all(feedback, sources: DataSources):
    return load_inputs(sources, feedback=feedback)


def _export_job(feedback, request, workspace, result, facilities, title, scenario, sources):
    feedback.progress(0.1, "export")
    return export_all(request, workspace=workspace, result=result, facilities=facilities, title=title, scenario=scenario, sources=sources)


def _run(feedback, inputs, params):
    return run_analysis(inputs, params, feedback=feedback)


def _scrolling(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """A tall panel in a scroll area, so its dock never makes the window taller than a laptop screen."""
    area = QtWidgets.QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    area.setMinimumWidth(widget.sizeHint().width() + area.verticalScrollBar().sizeHint().width())
    return area


#: room left for the window frame (borders, title bar) around the client area
FRAME_PX = (16, 40)
#: on a large screen the window takes this share of the free area, up to LARGEST_PX
LARGE_SCREEN_SHARE = 0.88
LARGEST_PX = (1800, 1120)


def fitted_size(screen: QtGui.QScreen | None, *, wanted: tuple[int, int] = (1400, 900)) -> tuple[int, int]:
    """The window's first size: what it wants, but never larger than the screen's free area (a 1366x768 laptop
    with its taskbar), leaving room for the window frame; on a large screen (more than ``wanted`` / 0.88) a
    share of the free area, so the comfortable layout has room."""
    if screen is None:
        return wanted
    free = screen.availableGeometry()
    w, h = free.width(), free.height()
    width = max(wanted[0], min(LARGEST_PX[0], round(w * LARGE_SCREEN_SHARE)))
    height = max(wanted[1], min(LARGEST_PX[1], round(h * LARGE_SCREEN_SHARE)))
    return min(width, max(800, w - FRAME_PX[0])), min(height, max(560, h - FRAME_PX[1]))


def is_compact(width: int, height: int) -> bool:
    """Whether a window of this size gets the compact dock layout (tabbed column left, tabbed strip below)."""
    return width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]


class _Area:
    """A screen stand-in for :func:`fitted_size`: only the free area."""

    def __init__(self, rect: QtCore.QRect) -> None:
        self._rect = rect

    def availableGeometry(self) -> QtCore.QRect:  # noqa: N802 - Qt's name
        return self._rect


def _read_checked(feedback, kind: str, path: Path, options: LayerOptions, frame, layers: dict, declared: str | None,
                  build: tuple):
    """Read one layer file (unless the import dialog read it already) and check it against the other layers
    (:func:`projects.inputs.cross_check`: refuses layers that do not overlap). Returns ``(layer, frame, notes,
    network)``: a population table of township counts comes back as the townships it fills; ``network`` the
    walking network of new roads (``build``: the project's CRS and settings, or Nones for the map alone)."""
    feedback.progress(0.1, f"reading {kind}")
    if kind == "population":
        towns = layers.get("townships")
        if towns is None:
            raise InputError("load the township boundaries before a population table", path=path)
        new_towns, points = read_population(path, townships=towns, options=options)
        kind, frame = ("townships", new_towns) if points is None else ("population", points)
    elif frame is None:
        frame = read_layer(kind, path, options)
    feedback.progress(0.6, "checking the layers against each other")
    checked = {**layers, kind: frame}
    notes = cross_check(checked, files={kind: path}, facilities_crs=declared)
    own = list(frame.attrs.get(NOTES_ATTR, []))
    notes = list(dict.fromkeys([*own, *[n for n in notes if n not in _old_notes(layers, kind)]]))
    network = None
    if kind == "roads":
        feedback.progress(0.7, "building the walking network")
        crs, settings = build
        network = settings.network(frame.to_crs(crs)) if settings is not None else build_network(frame)
    feedback.progress(1.0, "layer ready")
    return kind, frame, notes, network


def _old_notes(layers: dict, replaced: str) -> set[str]:
    """The reading notes the other (unchanged) layers already carry."""
    out: set[str] = set()
    for k, f in layers.items():
        if k != replaced and f is not None and hasattr(f, "attrs"):
            out.update(f.attrs.get(NOTES_ATTR, []))
    return out


def _read_basemap(feedback, path: Path, crs) -> RasterImage:
    return read_basemap(path, crs=crs)


_TRANSFORMERS: dict = {}


def _to_wgs84(crs, x: float, y: float) -> tuple[float, float]:
    from pyproj import Transformer

    key = crs.to_wkt()
    if key not in _TRANSFORMERS:
        _TRANSFORMERS[key] = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return _TRANSFORMERS[key].transform(x, y)
