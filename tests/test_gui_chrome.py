"""The window's chrome in Chinese and on a small screen (issue 16, first part): Qt's own dialog texts
translated, a first size that fits a 1366x768 laptop, toolbar undo/redo buttons of fixed width."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from gui import i18n  # noqa: E402
from gui.app import use_qt_translations  # noqa: E402
from gui.main_window import MainWindow, fitted_size  # noqa: E402


def test_qt_standard_buttons_speak_chinese(qtbot):
    assert use_qt_translations("zh")
    try:
        box = QtWidgets.QMessageBox()
        qtbot.addWidget(box)
        box.setStandardButtons(QtWidgets.QMessageBox.StandardButton.Ok | QtWidgets.QMessageBox.StandardButton.Cancel)
        texts = {box.button(b).text().replace("&", "") for b in (QtWidgets.QMessageBox.StandardButton.Ok,
                                                                   QtWidgets.QMessageBox.StandardButton.Cancel)}
        assert not any(t.isascii() for t in texts), texts
    finally:
        use_qt_translations(i18n.language())


class _Screen:
    def __init__(self, w: int, h: int) -> None:
        self._rect = QtCore.QRect(0, 0, w, h)

    def availableGeometry(self) -> QtCore.QRect:  # noqa: N802 - Qt's name
        return self._rect


def test_the_first_size_fits_a_laptop_screen():
    assert fitted_size(_Screen(1366, 728)) == (1350, 688)  # 1366x768 minus a 40 px taskbar
    assert fitted_size(_Screen(1920, 1040)) == (1690, 915)  # a large screen: 88 % of the free area
    assert fitted_size(_Screen(2560, 1400)) == (1800, 1120)
    assert fitted_size(None) == (1400, 900)


def test_toolbar_undo_keeps_its_width_and_names_the_step(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    undo = win.actions_["toolbar.undo"]
    assert undo.text() == "撤销" and not undo.isEnabled()
    cmd = QtGui.QUndoCommand("移动 如皋市城北街道居家养老服务中心（规划）")
    win.undo_stack.push(cmd)
    assert undo.isEnabled() and undo.text() == "撤销"
    assert "如皋市城北街道居家养老服务中心" in undo.toolTip()
    undo.trigger()
    assert not undo.isEnabled() and win.actions_["toolbar.redo"].isEnabled()


def test_progress_steps_are_shown_in_chinese():
    from gui.i18n import set_language, step_text

    set_language("zh")
    assert step_text("building the walking network") == "构建步行路网"
    assert step_text("circle polygons: day_care") == "生成服务圈：日间照料中心"
    assert step_text("coverage: 如城街道") == "计算覆盖：如城街道"
    assert step_text("reading the project") == "读取项目"
    set_language("en")
    try:
        assert step_text("circle polygons: day_care") == "circle polygons: day_care"
    finally:
        set_language("zh")
