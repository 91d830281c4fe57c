"""Editing the layout plan in the real window: undoable edits with live coverage, macros, scenarios,
comparison, project files, interrupted saves and crash recovery."""
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402

from gui.main_window import MainWindow  # noqa: E402
from sample_window import open_sample_window  # noqa: E402
from projects import ccproj  # noqa: E402
from projects.ccproj import load_project, recovery_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "projects" / "sample.ccproj"
MS = 120_000
Discard = QtWidgets.QMessageBox.StandardButton.Discard


def make_window(qtbot, path=None):
    return open_sample_window(qtbot, path, timeout_ms=MS)


def analyse(win, qtbot):
    with qtbot.waitSignal(win.analysisFinished, timeout=MS):
        win.run_analysis()
    return win


@pytest.fixture
def win(qtbot):
    w = analyse(make_window(qtbot), qtbot)
    yield w
    w.wait_idle()


def table(win) -> pd.DataFrame:
    m = win.results.model
    return pd.DataFrame([m.row_record(r) for r in range(m.rowCount())]).sort_values(["township", "type"]).reset_index(drop=True)


def biggest_village(win, township):
    towns = win.workspace.layer("townships").frame
    pop = win.workspace.layer("population").frame
    inside = pop[pop.within(towns[towns["name"] == township].geometry.iloc[0])]
    return inside.loc[inside["elderly"].idxmax()].geometry


def test_move_undo_redo_restores_exact_coordinates_and_results(win, qtbot):
    before = table(win)
    fid, fac = next((f, v) for f, v in win.plan.facilities.items() if v.type == "day_care")
    x0, y0 = fac.x, fac.y
    with qtbot.waitSignal(win.planChanged, timeout=MS):
        win.move_facility_to(fid, x0 + 700.25, y0 - 450.5)
    moved = table(win)
    assert not moved.equals(before)  # coverage followed the edit at once
    assert (win.plan.facility(fid).x, win.plan.facility(fid).y) == (x0 + 700.25, y0 - 450.5)
    win.undo_stack.undo()
    assert (win.plan.facility(fid).x, win.plan.facility(fid).y) == (x0, y0)  # exactly
    pd.testing.assert_frame_equal(table(win), before)
    win.undo_stack.redo()
    pd.testing.assert_frame_equal(table(win), moved)
    assert win.isWindowModified()
    # the facilities layer on the map follows the plan
    frame = win.workspace.layer("facilities").frame.set_index("fid")
    assert frame.loc[fid].geometry.x == x0 + 700.25


def test_add_planned_day_care_and_delete_with_undo(win, qtbot):
    before = table(win)
    row = lambda t: t[(t["township"] == "下原镇") & (t["type"] == "day_care")].iloc[0]  # noqa: E731
    assert row(before)["facilities"] == 0 and row(before)["elderly_covered"] == 0
    site = biggest_village(win, "下原镇")
    fid = win.add_facility_at(site.x, site.y, name="下原镇日间照料中心（规划）", type="day_care", beds=20, nursing_beds=8)
    after = table(win)
    assert row(after)["facilities"] == 1 and row(after)["elderly_covered"] > 0
    assert win.plan.facility(fid).status == "existing"  # the baseline holds what exists; plans go in a scenario
    win.undo_stack.undo()
    assert fid not in win.plan.facilities
    pd.testing.assert_frame_equal(table(win), before)
    win.undo_stack.redo()
    pd.testing.assert_frame_equal(table(win), after)
    # delete an existing facility and bring it back at the same place in the list
    order = list(win.plan.facilities)
    victim = order[3]
    win.select_facilities([victim])
    win.delete_selected()
    assert victim not in win.plan.facilities
    win.undo_stack.undo()
    assert list(win.plan.facilities) == order
    pd.testing.assert_frame_equal(table(win), after)


def test_multi_selection_delete_is_one_macro(win, qtbot):
    before = table(win)
    n_before = len(win.plan.facilities)
    ids = [f for f, v in win.plan.facilities.items() if v.type == "nursing_home"][:3]
    win.select_facilities(ids[:1])
    win.select_facilities(ids[1:], add=True)
    assert win.selected == ids
    steps = win.undo_stack.count()
    win.delete_selected()
    assert win.undo_stack.count() == steps + 1  # one undo step for three deletions
    assert len(win.plan.facilities) == n_before - 3
    win.undo_stack.undo()
    assert len(win.plan.facilities) == n_before
    pd.testing.assert_frame_equal(table(win), before)


def test_mark_to_close_leaves_coverage(win, qtbot):
    fid = next(f for f, v in win.plan.facilities.items() if v.type == "nursing_home")
    town = win.workspace.result.model.circles.facilities[fid].township
    name = win.workspace.layer("townships").frame["name"].iloc[town]
    before = table(win)
    beds = lambda t: t[(t["township"] == name) & (t["type"] == "nursing_home")].iloc[0]["beds"]  # noqa: E731
    win.select_facilities([fid])
    win.close_selected()
    assert win.plan.facility(fid).status == "to_close"
    assert beds(table(win)) == beds(before) - win.plan.facility(fid).beds
    win.undo_stack.undo()
    pd.testing.assert_frame_equal(table(win), before)


def test_drag_with_the_move_tool(win, qtbot):
    fid, fac = next(iter(win.plan.facilities.items()))
    win.canvas.zoom_to_bounds((fac.x - 1500, fac.y - 1500, fac.x + 1500, fac.y + 1500))
    win.set_tool("move")
    v = win.canvas.view
    sx, sy = v.to_screen(fac.x, fac.y)
    start = QtCore.QPoint(round(float(sx)), round(float(sy)))
    end = start + QtCore.QPoint(60, 40)
    steps = win.undo_stack.count()
    qtbot.mousePress(win.canvas, QtCore.Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 6):
        qtbot.mouseMove(win.canvas, start + (end - start) * (k / 5))
    assert win.canvas.preview  # the circle follows the cursor while dragging
    assert win.plan.facility(fid).x == fac.x  # nothing committed yet
    qtbot.mouseRelease(win.canvas, QtCore.Qt.MouseButton.LeftButton, pos=end)
    assert win.undo_stack.count() == steps + 1 and not win.canvas.preview
    ex, ey = v.to_map(end.x(), end.y())
    moved = win.plan.facility(fid)
    assert abs(moved.x - ex) <= v.m_per_px and abs(moved.y - ey) <= v.m_per_px


def test_scenarios_and_comparison(win, qtbot):
    base_ids = set(win.plan.facilities)
    assert win.new_scenario("补齐日照方案") == "补齐日照方案"
    assert win.plan.active == "补齐日照方案" and win.scenario_combo.currentText() == "补齐日照方案"
    for town in ("下原镇", "吴窑镇", "江安镇"):
        site = biggest_village(win, town)
        win.add_facility_at(site.x, site.y, name=f"{town}日间照料中心", type="day_care", beds=20, nursing_beds=5)
    with qtbot.waitSignal(win.comparisonFinished, timeout=MS) as sig:
        win.compare_with_baseline()
    cmp = sig.args[0]
    changed = cmp.table[(cmp.table["type"] == "day_care") & (cmp.table["delta_share"] > 0)]
    assert set(changed["township"]) >= {"下原镇", "吴窑镇", "江安镇"}
    assert (cmp.table["delta_share"] >= 0).all()  # only additions: nobody loses coverage
    gained = cmp.areas[(cmp.areas["type"] == "day_care") & (cmp.areas["change"] == "gained")]
    assert len(gained) == 1 and gained["area_ha"].iloc[0] > 50
    assert win.workspace.layer("compare") is not None
    assert win.compare_dialog.model.rowCount() == 14 * 8
    win.switch_scenario(win.plan.baseline)
    assert set(win.plan.facilities) == base_ids
    assert set(win.workspace.layer("facilities").frame["fid"]) == base_ids


def test_save_close_reopen_identical(win, qtbot, tmp_path):
    fid = next(iter(win.plan.facilities))
    win.move_facility_to(fid, win.plan.facility(fid).x + 123.456, win.plan.facility(fid).y)
    win.new_scenario("方案二")
    site = biggest_village(win, "吴窑镇")
    win.add_facility_at(site.x, site.y, name="吴窑镇日照", type="day_care")
    path = tmp_path / "如皋规划.ccproj"
    assert win.save_to(path)
    assert not win.isWindowModified() and "如皋规划.ccproj" in win.windowTitle()
    expected_table = table(win)
    scenarios = {k: dict(v) for k, v in win.plan.scenarios.items()}
    layers = {lid: len(win.workspace.layer(lid).frame) for lid in ("roads", "townships", "population", "communities")}
    win.close()
    again = analyse(make_window(qtbot, path), qtbot)
    assert again.plan.scenarios == scenarios and again.plan.active == "方案二"
    assert {lid: len(again.workspace.layer(lid).frame) for lid in layers} == layers
    pd.testing.assert_frame_equal(table(again), expected_table)
    again.wait_idle()


def test_interrupted_save_keeps_previous_file(win, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "p.ccproj"
    assert win.save_to(path)
    before = path.read_bytes()
    fid = next(iter(win.plan.facilities))
    win.move_facility_to(fid, win.plan.facility(fid).x + 500, win.plan.facility(fid).y)

    def fail(project, tmp, *, base):
        tmp.write_bytes(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(ccproj, "_write", fail)
    with qtbot.waitSignal(win.errorShown, timeout=5000) as sig:
        assert win.save_to(path) is False
    assert "磁盘空间不足" in sig.args[0] and "p.ccproj" in sig.args[0]  # in the UI language, naming the file
    win.last_error_dialog.accept()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".gpkg")] == []
    assert win.isWindowModified()  # still unsaved


def test_crash_recovery_restores_unsaved_edits(qtbot, tmp_path):
    path = tmp_path / "plan.ccproj"
    ccproj.save_project(load_project(SAMPLE), path)
    first = make_window(qtbot, path)
    fid = next(iter(first.plan.facilities))
    new_xy = (first.plan.facility(fid).x + 321.5, first.plan.facility(fid).y - 12.25)
    first.move_facility_to(fid, *new_xy)
    site = biggest_village(first, "江安镇")
    added = first.add_facility_at(site.x, site.y, name="江安镇日照（未保存）", type="day_care")
    rec = first.autosave()
    assert rec == recovery_path(path) and rec.is_file()
    # the app "crashes": the first window is never closed properly; a new session opens the same file
    second = MainWindow()
    qtbot.addWidget(second)
    second.ask_save_changes = lambda: Discard
    asked = []
    second.ask_restore = lambda when: asked.append(when) or True
    second.show()
    with qtbot.waitSignal(second.inputsLoaded, timeout=MS):
        second.open_project(path)
    qtbot.waitUntil(lambda: added in second.plan.facilities, timeout=MS)
    assert asked
    assert (second.plan.facility(fid).x, second.plan.facility(fid).y) == new_xy
    assert second.isWindowModified() and second.project_path == path
    assert second.save()
    assert not rec.exists()
    assert added in load_project(path).plan.facilities
    second.wait_idle()
    first.wait_idle()


def test_attribute_form_validation_shows_error(win, qtbot):
    fid = next(f for f, v in win.plan.facilities.items() if v.type == "nursing_home")
    steps = win.undo_stack.count()
    with pytest.raises(Exception, match="nursing beds"):
        win.set_facility_attributes(fid, nursing_beds=win.plan.facility(fid).beds + 1)
    assert win.undo_stack.count() == steps
    win.set_facility_attributes(fid, beds=win.plan.facility(fid).beds + 50, name="扩建后的敬老院")
    assert win.plan.facility(fid).name == "扩建后的敬老院" and win.undo_stack.count() == steps + 1
