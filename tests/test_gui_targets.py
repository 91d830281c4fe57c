"""The plan-targets dock in the real window: every target of the profile with its county state and source;
clicking one colours the township map by it; plan edits and the language follow."""
import math

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtGui  # noqa: E402

from gui.i18n import set_language  # noqa: E402
from sample_window import open_sample_window  # noqa: E402
from gui.render import TARGET_FILLS, View, legend_entries  # noqa: E402
from layers.classes import registry  # noqa: E402
from spatial.targets import target_label  # noqa: E402

MS = 120_000
PROFILE = "changzhou-2025"  # county nursing share, every street, every township, every urban community
DAY_CARE = "day-care-every-township"
NO_DAY_CARE = {"下原镇", "吴窑镇", "江安镇"}  # the sample's townships without a day-care centre


def make_window(qtbot, profile=PROFILE):
    set_language("zh")
    win = open_sample_window(qtbot, timeout_ms=MS)
    win.analysis_panel.profile.setCurrentText(profile)
    with qtbot.waitSignal(win.analysisFinished, timeout=MS):
        win.run_analysis()
    win.docks["dock.targets"].raise_()
    return win


@pytest.fixture
def win(qtbot):
    w = make_window(qtbot)
    yield w
    w.wait_idle()
    set_language("zh")


def county_rows(win):
    return {r.target_id: r for r in win.workspace.result.targets if r.level == "county"}


def town_class(win, name):
    frame = win.workspace.layer("coverage").frame
    return frame.loc[frame["name"] == name, "target_class"].iloc[0]


def click(qtbot, card):
    card.window().targets_panel.scroll.ensureWidgetVisible(card)
    qtbot.mouseClick(card, QtCore.Qt.MouseButton.LeftButton, pos=card.rect().center())


def drawn_colour(win, name):
    """The colour the map draws inside township ``name`` with only the township choropleth shown."""
    ws = win.workspace
    shown = {lyr.id: lyr.visible for lyr in ws.layers}
    for lyr in ws.layers:
        ws.set_visible(lyr.id, lyr.id == "coverage")
    renderer = win.canvas.renderer
    renderer.labels = False
    try:
        towns = ws.layer("townships").frame
        geom = towns[towns["name"] == name].geometry.iloc[0]
        view = View.fit(tuple(geom.bounds), 200, 200, margin=0.0)
        img = QtGui.QImage(200, 200, QtGui.QImage.Format.Format_ARGB32)
        img.fill(QtGui.QColor("#ffffff"))
        p = QtGui.QPainter(img)
        renderer.render(p, view, ws)
        p.end()
        import shapely

        pts = [geom.representative_point()] + [shapely.Point(x, y) for x, y in np.random.default_rng(1).uniform(
            geom.bounds[:2], geom.bounds[2:], (400, 2))]
        cols = []
        for pt in pts:
            if geom.buffer(-150).contains(pt):
                sx, sy = view.to_screen(pt.x, pt.y)
                c = img.pixelColor(int(sx), int(sy))
                cols.append((c.red(), c.green(), c.blue()))
        return np.median(np.array(cols), axis=0)
    finally:
        renderer.labels = True
        for lid, vis in shown.items():
            ws.set_visible(lid, vis)


def test_panel_lists_every_target_with_the_county_state(win):
    panel = win.targets_panel
    profile = win.workspace.result.params.profile
    assert panel.target_ids() == [t.id for t in profile.targets]
    rows = county_rows(win)
    for t in profile.targets:
        card = panel.card(t.id)
        r = rows[t.id]
        assert card.state == ("met" if r.met else ("unknown" if math.isnan(r.actual) else "not_met"))
        assert card.title_text == target_label(t, class_label=registry().label, lang="zh", minutes=profile.minutes_of(t))
        assert t.clause in card.source.text() and t.clause in card.toolTip()  # the quoted clause, readable
        assert card.badge.text() in ("✔ 达标", "✘ 未达标")  # a symbol and a word, not colour alone
    assert panel.card(DAY_CARE).figure_text == "11/14 镇（街道）达标"
    nursing = panel.card("nursing-share")
    assert nursing.figure_text == f"全市：{rows['nursing-share'].actual * 100:.1f}%，目标 ≥80%"
    assert win.workspace.map_target is None and panel.card(None).picked


def test_pick_township_target_colours_map_and_follows_plan_edits(win, qtbot):
    panel = win.targets_panel
    assert win.workspace.layer("coverage").kind == "coverage"
    met_colour = drawn_colour(win, "如城街道")
    click(qtbot, panel.card(DAY_CARE))
    ws = win.workspace
    assert ws.map_target == DAY_CARE and panel.card(DAY_CARE).picked and not panel.card(None).picked
    layer = ws.layer("coverage")
    assert layer.kind == "target" and layer.kind.mode == "met"
    for name in NO_DAY_CARE:
        assert town_class(win, name) == "not_met"
    assert town_class(win, "如城街道") == "met"
    # the renderer draws them apart: orange (hatched) where not met, blue where met
    not_met = drawn_colour(win, "下原镇")
    met = drawn_colour(win, "如城街道")
    assert not_met[0] > not_met[2] + 60 and met[2] > met[0] + 60, (not_met, met)
    assert TARGET_FILLS["not_met"][1] and not TARGET_FILLS["met"][1]  # not met is hatched too
    assert not np.allclose(met, met_colour)  # it is no longer the covered-share choropleth
    # the shared legend (layer panel and printed maps) names the target
    texts = [text for text, _ in legend_entries(layer.kind, display_type="day_care", minutes=(5.0, 10.0, 15.0))]
    assert texts[:4] == ["镇（街道）日间照料中心全覆盖", "各镇（街道）是否达标", "✔ 达标", "✘ 未达标"]
    tree = win.layer_panel.tree
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).data(0, QtCore.Qt.ItemDataRole.UserRole) == "coverage")
    assert item.text(0) == "规划目标分级 (乡镇)" and item.child(0).text(0) == texts[0]
    assert panel.legend_texts == texts
    # a day-care centre opened in 下原镇 flips it to met, and the county count follows
    pop = ws.layer("population").frame
    town = ws.layer("townships").frame.set_index("name").geometry["下原镇"]
    inside = pop[pop.within(town)]
    site = inside.loc[inside["elderly"].idxmax()].geometry
    with qtbot.waitSignal(win.planChanged, timeout=MS):
        fid = win.add_facility_at(site.x, site.y, name="下原镇日间照料中心", type="day_care", status="existing")
    assert town_class(win, "下原镇") == "met"
    assert ws.layer("coverage").kind == "target" and ws.map_target == DAY_CARE
    assert panel.card(DAY_CARE).figure_text == "12/14 镇（街道）达标"
    assert county_rows(win)[DAY_CARE].actual == 12
    with qtbot.waitSignal(win.planChanged, timeout=MS):
        win.undo_stack.undo()
    assert fid not in win.plan.facilities and town_class(win, "下原镇") == "not_met"
    assert panel.card(DAY_CARE).figure_text == "11/14 镇（街道）达标"
    # picking it again returns to the covered-share choropleth
    click(qtbot, panel.card(DAY_CARE))
    assert ws.map_target is None and ws.layer("coverage").kind == "coverage" and panel.card(None).picked
    assert "target_class" not in ws.layer("coverage").frame.columns


def test_community_target_shows_the_share_of_units(win, qtbot):
    panel = win.targets_panel
    click(qtbot, panel.card("meal-point-every-urban-community"))
    layer = win.workspace.layer("coverage")
    assert layer.kind.mode == "units"
    frame = layer.frame
    rows = [r for r in win.workspace.result.targets if r.target_id == "meal-point-every-urban-community" and r.level != "county"]
    # every urban community is counted once, in the township it lies in
    model = win.workspace.result.model
    urban = [i for i, k in enumerate(model.unit_kind) if k == "urban"]
    for name in frame["name"]:
        ti = model.township_names.index(name)
        mine = [r for r, i in zip(rows, urban) if model.unit_township[i] == ti]
        share = frame.loc[frame["name"] == name, "target_value"].iloc[0]
        if mine:
            assert share == pytest.approx(sum(r.met for r in mine) / len(mine))
        else:
            assert math.isnan(share) and frame.loc[frame["name"] == name, "target_class"].iloc[0] == "na"
    assert set(frame["target_class"]) <= {"s100", "s80", "s50", "s0", "na"}
    assert win.canvas.renderer.display_type == "meal_point"  # the target's class: its circles and gaps
    # the "none" line goes back to the covered share
    click(qtbot, panel.card(None))
    assert win.workspace.map_target is None and win.workspace.layer("coverage").kind == "coverage"


def test_county_bed_target_is_a_balance_view(qtbot):
    win = make_window(qtbot, profile="changzhou-2014")
    try:
        panel = win.targets_panel
        row = county_rows(win)["beds-per-1000"]
        assert panel.card("beds-per-1000").figure_text == f"全市：{row.actual:.1f} 张/千名老人，目标 ≥38.4 张/千名老人"
        click(qtbot, panel.card("beds-per-1000"))
        layer = win.workspace.layer("coverage")
        assert layer.kind.mode == "balance" and layer.kind.county == pytest.approx(row.actual)
        classes = set(layer.frame["target_class"])
        assert classes <= {"hi2", "hi1", "lo1", "lo2", "na"} and classes & {"hi2", "hi1"} and classes & {"lo1", "lo2"}
        texts = panel.legend_texts
        assert texts[:2] == ["每千名老人养老床位", "平衡参考，不作分镇考核"]
        assert not any("未达标" in t for t in texts)  # never a per-township verdict
        # each township's figure is its own beds (of the classes the target counts) per 1,000 elderly
        figs = win.workspace.result.figures
        bed_classes = set(registry().with_beds("all"))
        for name, value in zip(layer.frame["name"], layer.frame["target_value"]):
            mine = [f for f in figs if f.township == name and f.type in bed_classes]
            assert value == pytest.approx(1000 * sum(f.beds for f in mine) / mine[0].elderly)
            above = value >= row.actual
            assert layer.frame.loc[layer.frame["name"] == name, "target_class"].iloc[0] in (("hi2", "hi1") if above else ("lo1", "lo2"))
    finally:
        win.wait_idle()


def test_switching_language_relabels_the_panel(win, qtbot):
    panel = win.targets_panel
    profile = win.workspace.result.params.profile
    click(qtbot, panel.card(DAY_CARE))
    win.set_language("en")
    try:
        assert win.docks["dock.targets"].windowTitle() == "Plan targets"
        for t in profile.targets:
            card = panel.card(t.id)
            assert card.title_text == target_label(t, class_label=registry().label, lang="en", minutes=profile.minutes_of(t))
            assert card.badge.text() in ("✔ met", "✘ not met")
        assert panel.card(DAY_CARE).figure_text == "11 of 14 townships meet it"
        assert panel.card(None).title_text == "No target on the map (covered share)"
        assert panel.legend_texts[:4] == ["Day-care centre in every township", "whether each township meets it", "✔ met", "✘ not met"]
    finally:
        win.set_language("zh")
    assert panel.card(DAY_CARE).badge.text() == "✘ 未达标"
    assert panel.legend_texts[0] == "镇（街道）日间照料中心全覆盖"
