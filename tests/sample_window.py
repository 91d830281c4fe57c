"""The main window opened on the bundled sample (or a project) for GUI tests, answering the questions a
closing window or a left-over autosave would ask."""
from __future__ import annotations

from pathlib import Path

#: how long opening the sample may take on a loaded CI machine (ms)
OPEN_MS = 120_000


def open_sample_window(qtbot, path: Path | None = None, *, show: bool = True, timeout_ms: int = OPEN_MS):
    """A :class:`gui.main_window.MainWindow` with the sample (or the project at ``path``) loaded: closing it
    discards changes, an autosave is never restored."""
    from PySide6 import QtWidgets

    from gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.ask_save_changes = lambda: QtWidgets.QMessageBox.StandardButton.Discard  # teardown closes it without asking
    win.ask_restore = lambda when: False
    if show:
        win.show()
    with qtbot.waitSignal(win.inputsLoaded, timeout=timeout_ms):
        if path is None:
            win.open_sample()
        else:
            win.open_project(path)
    return win
