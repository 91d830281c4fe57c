"""The real main window on the bundled sample: load, analyse, compare with the CLI, navigate, bad files."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402

from gui.cli import main as cli_main  # noqa: E402
from gui.i18n import set_language  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOAD_MS = 60_000
RUN_MS = 120_000


@pytest.fixture
def window(qtbot):
    set_language("zh")
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.inputsLoaded, timeout=LOAD_MS):
        win.open_sample()
    yield win
    win.wait_idle()


@pytest.fixture
def analysed(window, qtbot):
    with qtbot.waitSignal(window.analysisFinished, timeout=RUN_MS):
        window.run_analysis()
    return window


def test_results_table_matches_cli(analysed, tmp_path):
    win = analysed
    assert cli_main(["analyze", "--sample", "--out", str(tmp_path), "--quiet"]) == 0
    cli = pd.read_csv(tmp_path / "coverage.csv", encoding="utf-8-sig")
    cli["flags"] = cli["flags"].astype(object).fillna("")
    model = win.results.model
    assert win.results.row_count() == len(cli) == 14 * 8 + 8  # eight classes, and a 合计 row each
    got = pd.DataFrame([model.row_record(r) for r in range(model.rowCount())])
    merged = cli.merge(got, on=["township", "type"], suffixes=("_cli", "_gui"))
    assert len(merged) == 120
    for col in ("elderly", "elderly_covered", "covered_share", "facilities", "beds", "nursing_beds", "beds_per_1000", "nursing_share"):
        a, b = merged[f"{col}_cli"].to_numpy(float), merged[f"{col}_gui"].to_numpy(float)
        assert np.allclose(np.nan_to_num(a, nan=-1), np.nan_to_num(b, nan=-1)), col
    assert (merged["flags_cli"] == merged["flags_gui"]).all()
    # the sample's three townships without a day-care centre cover nobody with one
    no_dc = merged[(merged["type"] == "day_care") & (merged["facilities_gui"] == 0)]
    assert set(no_dc["township"]) == {"下原镇", "吴窑镇", "江安镇"}
    assert (no_dc["elderly_covered_gui"] == 0).all()


def test_map_layers_after_analysis_and_toggle(analysed, qtbot):
    win = analysed
    ids = [lyr.id for lyr in win.workspace.layers]
    for lid in ("roads", "townships", "facilities", "circles", "gaps", "coverage"):
        assert lid in ids
    view = win.canvas.view
    before = win.canvas.render_image(view)
    win.layer_panel.set_checked("roads", False)
    assert win.workspace.layer("roads").visible is False
    after = win.canvas.render_image(view)
    assert before != after  # the roads are gone from the picture
    win.layer_panel.set_checked("roads", True)
    assert win.workspace.layer("roads").visible is True
    assert win.canvas.render_image(view) == before


def test_click_table_row_zooms_to_township(analysed, qtbot):
    win = analysed
    view = win.results.view
    proxy = win.results.proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == "白蒲镇")
    rect = view.visualRect(proxy.index(row, 0))
    with qtbot.waitSignal(win.results.townshipActivated, timeout=5000) as sig:
        qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == ["白蒲镇"]
    towns = win.workspace.layer("townships").frame
    minx, miny, maxx, maxy = towns[towns["name"] == "白蒲镇"].geometry.iloc[0].bounds
    vminx, vminy, vmaxx, vmaxy = win.canvas.current_bounds()
    assert vminx <= minx and vminy <= miny and vmaxx >= maxx and vmaxy >= maxy  # the township is in view
    # and fills it: the view is at most ~1.3x the township's size in its tighter direction
    assert min((vmaxx - vminx) / (maxx - minx), (vmaxy - vminy) / (maxy - miny)) < 1.3
    assert win.canvas.highlight is not None and win.canvas.highlight.equals(towns[towns["name"] == "白蒲镇"].geometry.iloc[0])


def test_identify_facility_shows_attributes_and_circle(analysed, qtbot):
    win = analysed
    fac = win.workspace.layer("facilities").frame
    row = fac.iloc[0]
    win.canvas.zoom_to_bounds(tuple(row.geometry.buffer(500).bounds))
    win.identify_at(row.geometry.x + 2.0, row.geometry.y + 2.0)
    assert win.identify_panel.value_text("name") == row["name"]
    # the highlight holds the facility's 15-minute circle, much larger than a point
    assert win.canvas.highlight.area > 50_000


def test_broken_file_shows_dialog_and_keeps_layers(window, qtbot, tmp_path):
    win = window
    before_ids = [lyr.id for lyr in win.workspace.layers]
    before_fac = win.workspace.layer("facilities").frame
    bad = tmp_path / "设施清单.csv"
    bad.write_text("名称,类型,经度,纬度\n某中心,日间照料中心,abc,32.3\n", encoding="utf-8")
    with qtbot.waitSignal(win.errorShown, timeout=LOAD_MS) as sig:
        win.load_layer_file("facilities", bad)
    message = sig.args[0]
    assert "设施清单.csv" in message and "row 2" in message and "经度" in message
    box = win.last_error_dialog
    assert isinstance(box, QtWidgets.QMessageBox) and box.isVisible()
    assert "设施清单.csv" in box.text()
    assert [lyr.id for lyr in win.workspace.layers] == before_ids
    assert win.workspace.layer("facilities").frame is before_fac
    box.accept()


def test_broken_road_file_keeps_network(window, qtbot, tmp_path):
    win = window
    net = win.workspace.network
    bad = tmp_path / "roads.osm"
    bad.write_text("<osm><way id='1'><nd ref='1'/>", encoding="utf-8")
    with qtbot.waitSignal(win.errorShown, timeout=LOAD_MS) as sig:
        win.load_layer_file("roads", bad)
    assert "roads.osm" in sig.args[0]
    assert win.workspace.network is net


def test_cancel_analysis(window, qtbot):
    win = window
    task = win.run_analysis()
    with qtbot.waitSignal(task.cancelled, timeout=RUN_MS):
        task.cancel()
    assert win.workspace.result is None
    assert win.analysis_panel.run.isEnabled() or task.wait(5000)


def test_english_ui(window):
    set_language("en")
    try:
        window.retranslate()
        assert window.menus["menu.file"].title() == "&File"
        assert window.docks["dock.results"].windowTitle() == "Coverage and gaps"
    finally:
        set_language("zh")
        window.retranslate()
    assert window.docks["dock.results"].windowTitle() == "覆盖与缺口"


def test_chinese_font_available(qapp):
    from gui.app import cjk_font_family

    assert cjk_font_family() is not None, "no font with Chinese glyphs: install fonts-noto-cjk (tools/setup.sh)"


def test_screenshot_command(tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "-m", "gui.cli", "gui", "--screenshot", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    from PySide6 import QtGui

    img = QtGui.QImage(str(out))
    assert img.width() >= 1200 and img.height() >= 800
    # not blank: many distinct colours
    colours = {img.pixel(x, y) for x in range(0, img.width(), 17) for y in range(0, img.height(), 17)}
    assert len(colours) > 50


def test_offline_basemap_geotiff_drawn_under_vectors(window, qtbot, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import Affine

    win = window
    path = tmp_path / "底图.tif"
    # an RGB image in EPSG:4326 over the sample county (a planner's exported map or orthophoto)
    rgb = np.zeros((3, 200, 200), dtype=np.uint8)
    rgb[0] = np.linspace(0, 255, 200, dtype=np.uint8)[None, :]
    rgb[2] = 180
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", crs="EPSG:4326",
                       transform=Affine(0.0025, 0, 120.3, 0, -0.0025, 32.55)) as dst:
        dst.write(rgb)
    view = win.canvas.view
    before = win.canvas.render_image(view)
    win.load_layer_file("basemap", path)
    qtbot.waitUntil(lambda: win.workspace.layer("basemap") is not None, timeout=LOAD_MS)
    layers = [lyr.id for lyr in win.workspace.layers]
    assert layers[0] == "basemap"  # drawn first, under every vector layer
    minx, miny, maxx, maxy = win.workspace.layer("basemap").bounds
    assert minx < win.workspace.full_bounds()[2] and maxx > minx
    assert win.canvas.render_image(view) != before


def test_bad_basemap_shows_dialog(window, qtbot, tmp_path):
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"not a tiff at all")
    with qtbot.waitSignal(window.errorShown, timeout=LOAD_MS) as sig:
        window.load_layer_file("basemap", bad)
    assert "broken.tif" in sig.args[0]
    assert window.workspace.layer("basemap") is None


def test_attribute_table_of_facilities(window, qtbot):
    win = window
    win.layer_panel.tree.setCurrentItem(next(
        win.layer_panel.tree.topLevelItem(i) for i in range(win.layer_panel.tree.topLevelItemCount())
        if win.layer_panel.tree.topLevelItem(i).data(0, QtCore.Qt.ItemDataRole.UserRole) == "facilities"))
    table = win.open_attribute_table()
    assert table is not None and table.feature_count() == len(win.workspace.layer("facilities").frame) == 229
    with qtbot.waitSignal(table.featureActivated, timeout=5000) as sig:
        rect = table.view.visualRect(table.proxy.index(0, 0))
        qtbot.mouseClick(table.view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    label = sig.args[0]
    fac = win.workspace.layer("facilities").frame
    assert win.canvas.highlight.equals(fac.geometry.loc[label])
