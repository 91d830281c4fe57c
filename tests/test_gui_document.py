"""One truth for a plan in the window: after an edit, the map, identify and every export show the same
circles and gaps, and a fresh `carecircle export` of the saved project gives the same tables."""
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402

from gui.cli import main as cli_main  # noqa: E402
from projects.document import Document  # noqa: E402
from tests.test_gui_plan import MS, analyse, make_window  # noqa: E402


def _gap_total(frame: pd.DataFrame, type_: str) -> float:
    return float(frame[frame["type"] == type_]["elderly"].sum())


def test_moved_centre_is_the_same_on_screen_in_identify_and_in_every_export(qtbot, tmp_path):
    win = analyse(make_window(qtbot), qtbot)
    try:
        fac = win.plan.frame()
        day = fac[fac["type"] == "day_care"].iloc[0]
        before = win.workspace.result.facility_circles
        # drag it 2 km east with the move tool and real mouse events
        x, y = day.geometry.x, day.geometry.y
        win.canvas.zoom_to_bounds((x - 2500, y - 2500, x + 2500, y + 2500))
        win.set_tool("move")
        v = win.canvas.view
        start = QtCore.QPoint(*(round(float(c)) for c in v.to_screen(x, y)))
        end = QtCore.QPoint(*(round(float(c)) for c in v.to_screen(x + 2000.0, y)))
        with qtbot.waitSignal(win.gapsRefreshed, timeout=MS):
            qtbot.mousePress(win.canvas, QtCore.Qt.MouseButton.LeftButton, pos=start)
            for k in range(1, 6):
                qtbot.mouseMove(win.canvas, start + (end - start) * (k / 5))
            qtbot.mouseRelease(win.canvas, QtCore.Qt.MouseButton.LeftButton, pos=end)
        moved = win.plan.facility(day.fid)
        assert abs(moved.x - (x + 2000.0)) <= 2 * v.m_per_px
        shown = win.workspace.result
        assert not shown.pending and shown is win.doc.result  # the map shows the complete current result
        # identify on the moved centre highlights its new circle
        win.set_tool("identify")
        win.identify_at(moved.x, moved.y)
        new15 = shown.facility_circles[(shown.facility_circles["facility_id"] == day.fid)].to_crs(win.workspace.crs).geometry.iloc[-1]
        assert win.canvas.highlight.buffer(1).contains(new15)
        old15 = before[before["facility_id"] == day.fid].to_crs(win.workspace.crs).geometry.iloc[-1]
        assert new15.intersection(old15).area < 0.5 * old15.area
        # every export of the window
        paths = {}
        for kind, name in (("gpkg", "r.gpkg"), ("xlsx", "r.xlsx"), ("csv", "r.csv")):
            with qtbot.waitSignal(win.exportFinished, timeout=MS) as sig:
                win.export_file(kind, tmp_path / name)
            paths[kind] = Path(sig.args[0][kind])
        circles = pyogrio.read_dataframe(paths["gpkg"], layer="facility_circles")
        exported15 = circles[circles["facility_id"] == day.fid].to_crs(win.workspace.crs).geometry.iloc[-1]
        assert exported15.symmetric_difference(new15).area < 1.0  # the exported circle is the one on screen
        gaps_map = win.workspace.layer("gaps").frame
        gaps_gpkg = pyogrio.read_dataframe(paths["gpkg"], layer="gaps")
        assert _gap_total(gaps_gpkg, "day_care") == pytest.approx(_gap_total(gaps_map, "day_care"), abs=0.5)
        sheet = openpyxl.load_workbook(paths["xlsx"])["服务缺口"]
        rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "日间照料中心"]
        named = win.workspace.result.named_gaps
        named = named[named["type"] == "day_care"]
        assert len(named) and [r[1] for r in rows] == list(named["name"])  # the workbook lists the state on screen
        on_screen = win.results.model
        csv = pd.read_csv(paths["csv"], encoding="utf-8-sig")
        assert len(csv) == on_screen.rowCount()
        # saved, then exported afresh from the command line: the same tables
        assert win.save_to(tmp_path / "moved.ccproj")
        assert cli_main(["export", str(tmp_path / "moved.ccproj"), "--csv", str(tmp_path / "cli.csv"),
                         "--gpkg", str(tmp_path / "cli.gpkg"), "--quiet"]) == 0
        pd.testing.assert_frame_equal(csv, pd.read_csv(tmp_path / "cli.csv", encoding="utf-8-sig"), check_exact=False, atol=0.05)
        cli_gaps = pyogrio.read_dataframe(tmp_path / "cli.gpkg", layer="gaps")
        assert _gap_total(cli_gaps, "day_care") == pytest.approx(_gap_total(gaps_gpkg, "day_care"), abs=0.5)
    finally:
        win._stop_background()
        win.wait_idle()


def test_each_setting_changed_in_the_panel_is_an_undo_step_saved_and_analysed_by_the_cli(qtbot, tmp_path):
    win = analyse(make_window(qtbot), qtbot)
    try:
        p = win.analysis_panel
        steps = win.undo_stack.count()

        def change(widget, value, finish):
            with qtbot.waitSignal(win.analysisFinished, timeout=MS):  # a settings change redoes the analysis
                if isinstance(widget, QtWidgets.QComboBox):
                    widget.setCurrentIndex(value)
                    widget.activated.emit(value)
                else:
                    widget.setText(value) if isinstance(widget, QtWidgets.QLineEdit) else widget.setValue(value)
                    finish()

        change(p.profile, p.profile.findText("nantong-2014"), None)
        change(p.minutes, "5,10,20", p.minutes.editingFinished.emit)
        change(p.speed, 2.52, p.speed.editingFinished.emit)
        change(p.buffer, 30.0, p.buffer.editingFinished.emit)
        change(p.basis, p.basis.findData("registered"), None)
        change(p.cell, 12.0, p.cell.editingFinished.emit)
        change(p.gap_cell, 30.0, p.gap_cell.editingFinished.emit)
        assert win.undo_stack.count() == steps + 7 and win.isWindowModified()
        r = win.workspace.result
        assert (r.params.profile.name, r.params.minutes, r.params.speed_kmh, r.params.buffer_m, r.params.elderly_basis,
                r.params.cell_m, r.params.gap_cell_m) == ("nantong-2014", (5.0, 10.0, 20.0), 2.52, 30.0, "registered", 12.0, 30.0)
        # undo goes back one setting, and the panel follows
        with qtbot.waitSignal(win.analysisFinished, timeout=MS):
            win.undo_stack.undo()
        assert p.gap_cell.value() == 25.0 and win.doc.settings.gap_cell_m == 25.0
        with qtbot.waitSignal(win.analysisFinished, timeout=MS):
            win.undo_stack.redo()
        assert win.save_to(tmp_path / "settings.ccproj")
        saved = Document.open(tmp_path / "settings.ccproj")
        assert saved.settings == win.doc.settings
        params = saved.params()
        assert (params.buffer_m, params.cell_m, params.gap_cell_m) == (30.0, 12.0, 30.0)
        assert cli_main(["analyze", str(tmp_path / "settings.ccproj"), "--out", str(tmp_path / "o"), "--quiet",
                         "--no-facility-circles"]) == 0
        notes = (tmp_path / "o" / "notes.txt").read_text(encoding="utf-8")
        assert "nantong-2014" in notes and "户籍" in notes and "5, 10, 20 分钟" in notes and "2.52 km/h" in notes
        assert "街道两侧深度 30 米，服务圈栅格 12 米，缺口栅格 30 米" in notes
    finally:
        win._stop_background()
        win.wait_idle()
