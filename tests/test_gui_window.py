"""The main window on a small screen and a large one (issue 16, *Window*): it fits the free area of a
1366x768 laptop at start, the map keeps at least 55 % of the width once the docks have their sizes, the docks
are tabbed together (and can be closed, floated, toggled and reset), every toolbar button has a bundled icon
that renders, the window has its icon, and the layout is saved and restored."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from gui import i18n  # noqa: E402
from gui.app import APP_ICON, ICONS_DIR, icon, make_app  # noqa: E402
from gui.main_window import ACTION_ICONS, DOCK_LAYOUTS, FRAME_PX, TOOLBARS, MainWindow, fitted_size  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LAPTOP = QtCore.QRect(0, 0, 1366, 728)  # 1366x768 minus a 40 px taskbar
DESKTOP = QtCore.QRect(0, 0, 1920, 1040)
MIN_MAP_SHARE = 0.55


def _window(qtbot, available: QtCore.QRect, *, lang: str = "zh") -> MainWindow:
    i18n.set_language(lang)
    win = MainWindow()
    qtbot.addWidget(win)
    win.fit_to_screen(available)
    win.show()
    qtbot.waitUntil(lambda: not win._dock_sizes_pending, timeout=5000)  # the dock sizes follow the first show
    QtWidgets.QApplication.processEvents()
    return win


@pytest.fixture(autouse=True)
def _chinese_afterwards():
    yield
    i18n.set_language("zh")


def _tab_group(win: MainWindow, key: str) -> set[str]:
    dock = win.docks[key]
    return {key} | {d.objectName() for d in win.tabifiedDockWidgets(dock)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_window_fits_a_laptop_screen_and_the_map_keeps_most_of_the_width(qtbot, lang):
    win = _window(qtbot, LAPTOP, lang=lang)
    assert win.layout_name == "compact"
    assert (win.width(), win.height()) == fitted_size(_Free(LAPTOP)) == (1350, 688)
    # the window with its frame lies inside the free area
    assert win.x() >= 0 and win.y() >= 0
    assert win.x() + win.width() + FRAME_PX[0] <= LAPTOP.width() and win.y() + win.height() + FRAME_PX[1] <= LAPTOP.height()
    assert win.minimumSizeHint().height() < win.height() and win.minimumSize().height() <= win.height()
    assert win.canvas.width() >= MIN_MAP_SHARE * win.width(), win.map_share()
    # the table strip below the map does not take half the height (the dock sizes stuck after the show)
    results = win.docks["dock.results"]
    assert results.height() <= 0.36 * win.height()
    assert win.canvas.height() >= 0.45 * win.height()
    # maximised on the laptop: still most of the width for the map
    win.resize(1366, 728)
    qtbot.waitUntil(lambda: win.width() == 1366, timeout=2000)
    QtWidgets.QApplication.processEvents()
    assert win.canvas.width() >= MIN_MAP_SHARE * win.width(), win.map_share()


_ON_A_REAL_SCREEN = """
import json
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication([])
from gui.main_window import MainWindow
win = MainWindow()
win.show()
for _ in range(20):
    app.processEvents()
    QtCore.QThread.msleep(10)
free = app.primaryScreen().availableGeometry()
print(json.dumps({"screen": [free.width(), free.height()], "size": [win.width(), win.height()],
                  "pos": [win.x(), win.y()], "layout": win.layout_name, "share": win.map_share()}))
"""


def test_on_a_1366x768_screen_the_first_start_fits(tmp_path):
    """The offscreen platform given a 1366x768 screen (its ``configfile`` option): the window sizes itself
    from the screen it opens on."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    out = subprocess.run([sys.executable, "-c", _ON_A_REAL_SCREEN], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["screen"] == [1366, 768]
    assert got["size"] == [1350, 728] and got["layout"] == "compact"
    assert got["pos"][0] + got["size"][0] + FRAME_PX[0] <= 1366 and got["pos"][1] + got["size"][1] + FRAME_PX[1] <= 768
    assert got["share"] >= MIN_MAP_SHARE


def test_docks_are_tabbed_on_a_small_screen(qtbot):
    win = _window(qtbot, LAPTOP)
    left = QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
    bottom = QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
    assert _tab_group(win, "dock.layers") == {"dock.layers", "dock.analysis", "dock.identify"}
    assert _tab_group(win, "dock.results") == {"dock.results", "dock.gaps", "dock.targets", "dock.warnings", "dock.history"}
    assert all(win.dockWidgetArea(win.docks[k]) == left for k in ("dock.layers", "dock.analysis", "dock.identify"))
    assert all(win.dockWidgetArea(win.docks[k]) == bottom for k in ("dock.results", "dock.history"))
    # the layers and the results are in front; the history no longer shares the left column
    assert not win.docks["dock.layers"].visibleRegion().isEmpty()
    assert not win.docks["dock.results"].visibleRegion().isEmpty()
    assert win.docks["dock.history"].visibleRegion().isEmpty()
    # the left column takes the bottom-left corner: it runs the full height beside the map and the tables
    assert win.corner(QtCore.Qt.Corner.BottomLeftCorner) == left
    layers = win.docks["dock.layers"]
    assert layers.geometry().bottom() >= win.docks["dock.results"].geometry().bottom() - 2
    assert win.isDockNestingEnabled()
    assert win.dockOptions() & QtWidgets.QMainWindow.DockOption.AllowTabbedDocks


def test_a_large_screen_keeps_a_comfortable_layout(qtbot):
    win = _window(qtbot, DESKTOP)
    assert win.layout_name == "comfortable"
    assert win.width() > 1400 and win.width() + FRAME_PX[0] <= DESKTOP.width()
    assert win.canvas.width() >= MIN_MAP_SHARE * win.width(), win.map_share()
    right = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
    assert win.dockWidgetArea(win.docks["dock.analysis"]) == right
    layers, history = win.docks["dock.layers"], win.docks["dock.history"]
    assert not history.visibleRegion().isEmpty() and not layers.visibleRegion().isEmpty()
    assert history.height() < 0.5 * (layers.height() + history.height())  # not half the left column
    assert _tab_group(win, "dock.results") == {"dock.results", "dock.gaps", "dock.targets", "dock.warnings"}


def test_every_dock_can_be_closed_floated_and_toggled_from_the_view_menu(qtbot):
    win = _window(qtbot, LAPTOP)
    F = QtWidgets.QDockWidget.DockWidgetFeature
    toggles = set(win.panels_menu.actions())
    for key, dock in win.docks.items():
        assert dock.features() & F.DockWidgetClosable and dock.features() & F.DockWidgetFloatable, key
        assert dock.toggleViewAction() in toggles, key
        assert dock.toggleViewAction().text() == dock.windowTitle() and not dock.windowTitle().isascii()
    win.docks["dock.history"].toggleViewAction().trigger()
    assert win.docks["dock.history"].isHidden()
    win.docks["dock.layers"].setFloating(True)
    win.toolbars["toolbar.edit"].hide()
    win.actions_["action.reset_layout"].trigger()
    qtbot.waitUntil(lambda: not win._dock_sizes_pending, timeout=5000)
    assert not win.docks["dock.history"].isHidden() and not win.docks["dock.layers"].isFloating()
    assert not win.toolbars["toolbar.edit"].isHidden()
    assert _tab_group(win, "dock.layers") == {"dock.layers", "dock.analysis", "dock.identify"}
    # the toolbars have Chinese titles (their toggles in 视图 → 工具栏)
    assert {a.text() for a in win.toolbars_menu.actions()} == {"主工具栏", "编辑工具栏"}
    assert win.panels_menu.title() == "面板"
    win.set_language("en")
    try:
        assert {a.text() for a in win.toolbars_menu.actions()} == {"Main toolbar", "Edit toolbar"}
        assert win.panels_menu.title() == "Panels" and win.actions_["action.reset_layout"].text() == "Reset window layout"
    finally:
        win.set_language("zh")


def _drawn(ic: QtGui.QIcon, px: int = 22) -> bool:
    """Whether the icon paints something (an SVG the icon engine cannot read gives a blank pixmap)."""
    img = ic.pixmap(px, px).toImage()
    return not img.isNull() and any(img.pixelColor(x, y).alpha() > 0 for x in range(px) for y in range(px))


def test_every_toolbar_action_has_a_bundled_icon_that_renders(qtbot):
    win = _window(qtbot, LAPTOP)
    seen = 0
    for tb in win.findChildren(QtWidgets.QToolBar):
        for a in tb.actions():
            if a.isSeparator() or isinstance(a, QtWidgets.QWidgetAction):  # the scenario label and box
                continue
            assert not a.icon().isNull() and _drawn(a.icon()), a.text()
            seen += 1
    assert seen == sum(k is not None for keys in TOOLBARS.values() for k in keys) + 2  # + new scenario, compare
    for name in set(ACTION_ICONS.values()) | {APP_ICON}:
        assert (ICONS_DIR / f"{name}.svg").is_file() and _drawn(icon(name)), name
    with pytest.raises(FileNotFoundError):
        icon("no-such-icon")
    # the toolbar undo/redo keep a fixed text (their step is the tooltip) and show only the icon
    undo = win.toolbars["toolbar.edit"].widgetForAction(win.actions_["toolbar.undo"])
    assert undo.toolButtonStyle() == QtCore.Qt.ToolButtonStyle.ToolButtonIconOnly
    assert win.actions_["toolbar.undo"].text() == "撤销"
    # the run button says what it does; cancel is only on while something runs
    run = win.toolbars["toolbar.main"].widgetForAction(win.actions_["action.run"])
    assert run.toolButtonStyle() == QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    assert not win.actions_["action.cancel"].isEnabled()


def test_the_icons_ship_with_their_licence_as_package_data():
    assert (ICONS_DIR / "LICENSE").is_file() and "MIT" in (ICONS_DIR / "LICENSE").read_text()
    readme = (ICONS_DIR / "README.md").read_text()
    assert "MIT" in readme and "drawn" in readme.lower()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["gui"]
    assert "icons/*.svg" in data and "icons/LICENSE" in data
    assert ICONS_DIR == ROOT / "gui" / "icons"  # found next to the module (also in a PyInstaller bundle)


def test_the_window_and_the_application_have_the_icon(qtbot):
    win = _window(qtbot, LAPTOP)
    assert not win.windowIcon().isNull() and _drawn(win.windowIcon(), 32)
    app = make_app()
    assert not app.windowIcon().isNull() and _drawn(app.windowIcon(), 32)


def test_the_layout_is_saved_and_restored(qtbot, tmp_path):
    settings = QtCore.QSettings(str(tmp_path / "layout.ini"), QtCore.QSettings.Format.IniFormat)
    win = _window(qtbot, LAPTOP)
    assert not win.restore_layout(settings)  # a first start: nothing saved, the layout for the screen stays
    win.docks["dock.history"].close()
    win.layout_settings = settings
    win.close()  # saves the layout
    settings.sync()
    again = _window(qtbot, LAPTOP)
    assert not again.docks["dock.history"].isHidden()
    assert again.restore_layout(settings)
    assert again.docks["dock.history"].isHidden() and again.layout_name == "compact"
    settings.setValue("window/layout_version", 0)  # saved by an older window: ignored
    third = _window(qtbot, LAPTOP)
    assert not third.restore_layout(settings) and not third.docks["dock.history"].isHidden()


def test_every_dock_of_the_window_has_a_place_in_both_layouts(qtbot):
    win = _window(qtbot, LAPTOP)
    for layout in DOCK_LAYOUTS.values():
        placed = {k for groups in layout.values() for group in groups for k in group}
        assert set(win.docks) <= placed


class _Free:
    def __init__(self, rect: QtCore.QRect) -> None:
        self._rect = rect

    def availableGeometry(self) -> QtCore.QRect:  # noqa: N802 - Qt's name
        return self._rect
