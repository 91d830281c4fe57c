import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def no_unexpected_modal_dialogs(monkeypatch, tmp_path):
    """A modal dialog nobody answers would hang the run: fail loudly instead, unless a test patches it.
    Autosaves of untitled projects go to the test's own folder."""
    try:
        from PySide6 import QtWidgets
    except ImportError:  # headless packages are tested without Qt too
        yield
        return

    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected modal dialog: {args[1:3] if len(args) > 2 else args}")

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(refuse))
    monkeypatch.setattr(QtWidgets.QMessageBox, "about", staticmethod(refuse))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", staticmethod(refuse))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", staticmethod(refuse))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(refuse))
    try:
        import gui.plan_editing

        monkeypatch.setattr(gui.plan_editing, "untitled_recovery_path", lambda: tmp_path / "recovery" / "untitled.ccproj")
    except ImportError:
        pass
    yield
