"""The offline web map: one HTML file with Leaflet inlined, no network references, Chinese popups (class, status and
target names from the registry and the profile), a layer per class present, renders in Chromium. It looks like the
printed map: the shared style's symbols (filled / hollow / dashed by status), the bands the user chose, a title,
township labels, roads, a legend and a metric scale bar; the class on show is on, the others are off."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from layers.classes import registry
from layers.styling import DEFAULT_STYLES, SHARE_CLASSES, band_style, facility_style, share_colour
from projects.web_map import (
    LEAFLET_VERSION,
    VENDOR,
    WebLayers,
    _web_frame,
    render_html,
    share_color,
    shown_classes,
    symbol_svg,
    write_html,
)
from spatial.targets import StandardProfile, Target, target_label

ROOT = Path(__file__).resolve().parents[1]

#: a script, stylesheet or image fetched from the network, or a tile layer pointed at a server
REMOTE_REF = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I)
REMOTE_TILES = re.compile(r"L\.tileLayer\(\s*[\"'`]\s*(?:https?:)?//", re.I)
REMOTE_CSS_URL = re.compile(r"url\(\s*[\"']?\s*(?:https?:)?//", re.I)


TITLE = "如皋市日间照料中心15分钟服务圈覆盖现状图"


def _sample_layers(minutes: tuple[float, ...] | None = None) -> WebLayers:
    """The sample's layers as the export makes them (gui/exports.py): coverage, facilities, roads, the result."""
    from dataclasses import replace

    from projects.ccproj import load_project
    from projects.workspace import Workspace
    from spatial.analysis import run_analysis

    project = load_project(ROOT / "projects" / "sample.ccproj")
    params = project.params() if minutes is None else replace(project.params(), minutes=minutes)
    result = run_analysis(project.inputs(), params)
    ws = Workspace()
    ws.set_inputs(project.inputs())
    ws.set_result(result)
    return WebLayers.from_result(result, townships=ws.layer("coverage").frame, facilities=project.plan.frame(),
                                 roads=ws.layer("roads").frame, display_type="day_care")


@pytest.fixture(scope="module")
def sample():
    return _sample_layers()


@pytest.fixture(scope="module")
def sample_html(sample, tmp_path_factory):
    path = write_html(tmp_path_factory.mktemp("web") / "map.html", layers=sample, title=TITLE,
                      subtitle="如皋市（示例数据） · 现状")
    return path


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_vendored_leaflet_is_complete():
    for name in ("leaflet.js", "leaflet.css", "LICENSE", "README.md", "images/layers.png", "images/layers-2x.png",
                 "images/marker-icon.png", "images/marker-icon-2x.png", "images/marker-shadow.png"):
        assert (VENDOR / name).is_file(), name
    assert "BSD 2-Clause" in (VENDOR / "LICENSE").read_text(encoding="utf-8")
    assert f'"{LEAFLET_VERSION}"' in (VENDOR / "leaflet.js").read_text(encoding="utf-8")


def test_no_network_references(sample_html):
    text = _text(sample_html)
    assert not REMOTE_REF.findall(text)
    assert not REMOTE_TILES.findall(text)
    assert not REMOTE_CSS_URL.findall(text)
    assert "L.tileLayer(" not in text  # no tile layer at all without a basemap
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "bootstrapcdn", "fontawesome"):
        assert cdn not in text
    assert "<script src" not in text.replace(" ", "").replace("\n", "") and not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"<link[^>]*stylesheet", text)


def test_leaflet_is_inlined(sample_html):
    text = _text(sample_html)
    assert LEAFLET_VERSION in text
    assert ".leaflet-container" in text  # the CSS
    assert "L.map(" in text
    assert "url(images/" not in text and "data:image/png;base64," in text  # control/marker images as data: URIs
    assert text.index("leaflet-container") < text.index("L.map(")  # Leaflet comes before the map script


def test_page_head_title_and_size(sample_html):
    text = _text(sample_html)
    assert '<meta charset="utf-8">' in text
    assert f"<title>{TITLE}</title>" in text
    assert sample_html.stat().st_size < 8_000_000


def test_chinese_popups_and_layers(sample, sample_html):
    text = _text(sample_html)
    reg = registry()
    for s in ("如城街道", "乡镇/街道", "未达标项", "名称", "类型", "状态", "现状", "床位数", "护理型床位数", "老年人口",
              "面积 公顷", "乡镇日间照料中心覆盖率"):
        assert s in text, s
    shown = shown_classes(sample)
    facility_classes = set(sample.facilities["type"])
    assert set(shown) >= facility_classes
    for c in shown:  # one layer per class present, named, coloured and ordered by the registry
        label = reg.label(c)
        assert f"{label}覆盖率" in text and f"服务缺口 · {label}" in text, c
        assert f"服务圈 · {label}" in text and f"设施 · {label}" in text, c
        assert reg[c].colour in text, c
    order = [text.index(f"设施 · {reg.label(c)}") for c in shown]
    assert order == sorted(order)
    for status in set(sample.facilities["status"]):  # statuses by their registry names, not their ids
        assert f'"status": "{reg.status_label(status)}"' in text
    assert '"status": "existing"' not in text and '"type": "day_care"' not in text
    # missed targets by the target's Chinese label (the profile's), never by the id
    profile = sample.profile
    flagged = {f for v in sample.townships["flags"] for f in str(v).split(";") if f}
    assert flagged, "the sample should miss a per-township target somewhere"
    for tid in flagged:
        t = profile.target(tid)
        assert target_label(t, class_label=reg.label, minutes=profile.minutes_of(t)) in text
        assert tid not in text
    # bed fields only in the popups of classes whose beds count
    assert 'let aliases = ["名称", "类型", "状态", "床位数", "护理型床位数"];' in text
    assert 'let aliases = ["名称", "类型", "状态"];' in text
    assert re.search(r"\d+\.\d%", text)  # shares as percentages
    assert "L.control.layers(" in text
    assert 'class="cc-legend"' in text and "<h4>乡镇日间照料中心覆盖率</h4>" in text
    assert "计入设施状态：现状；老年人口口径：常住老年人口" in text  # what the run counted, under the legend
    assert "fitBounds(" in text
    assert '"coordinates": [' not in text and '"coordinates":[' in text  # compact coordinate arrays


def test_written_atomically(tmp_path, sample):
    layers = WebLayers(townships=sample.townships)
    out = write_html(tmp_path / "sub" / "m.html", layers=layers, title="t")
    assert out == tmp_path / "sub" / "m.html"
    assert [p.name for p in out.parent.iterdir()] == ["m.html"]
    write_html(out, layers=layers, title="t2")  # overwrite in place
    assert "<title>t2</title>" in _text(out)
    assert [p.name for p in out.parent.iterdir()] == ["m.html"]


def test_web_frame_simplifies_reprojects_and_rounds(sample):
    import shapely

    web = _web_frame(sample.townships)
    assert web.crs.to_epsg() == 4326
    assert len(web) == len(sample.townships)
    coords = np.concatenate([np.asarray(g.exterior.coords) for g in web.geometry if g.geom_type == "Polygon"])
    assert np.allclose(coords, np.round(coords, 6))
    before = sum(len(g.exterior.coords) for g in sample.townships.geometry if g.geom_type == "Polygon")
    after = sum(len(g.exterior.coords) for g in web.geometry if g.geom_type == "Polygon")
    assert after <= before
    assert _web_frame(None) is None
    assert _web_frame(sample.townships.iloc[0:0]) is None
    # service circles are traced on 10 m cells: simplified at the cell size they keep far fewer vertices
    circles = sample.circles.iloc[:60]
    fine, coarse = _web_frame(circles), _web_frame(circles, tolerance_m=10.0)
    assert shapely.get_num_coordinates(coarse.geometry.values).sum() < shapely.get_num_coordinates(fine.geometry.values).sum()
    assert np.allclose(coarse.to_crs(4528).area.sum(), fine.to_crs(4528).area.sum(), rtol=0.02)


def test_share_colours_are_the_shared_style():
    """The choropleth takes its colours from layers.styling (whatever palette it holds); missing is grey, not 0 %."""
    for share in (0.0, 0.1, 0.3, 0.6, 0.8, 0.9, 1.0):
        assert share_color(share) == share_colour(share)
    assert share_color(float("nan")) == share_color(None) == share_colour(float("nan")) != share_colour(0.0)
    uppers = [c[0] for c in SHARE_CLASSES]
    assert len({share_color(u - 1e-6) for u in uppers}) == len(SHARE_CLASSES)


TINY_PROFILE = StandardProfile("tiny", targets=(
    Target("day-care-every-township", "present_in_every", "township", 1, classes=("day_care",), document="测试"),
    Target("meal-reach", "reachable_from_every", "urban_community", 1, classes=("meal_point",), minutes=10,
           document="测试"),
))


def _tiny_layers(**kw):
    crs = "EPSG:4528"
    x0, y0 = 40550000.0, 3560000.0
    shares = {f"share_{c}": [0.5, 0.1] for c in registry().ids}
    shares["share_day_care"] = [0.95, float("nan")]
    townships = gpd.GeoDataFrame(
        {"name": ["甲镇", "乙镇"], **shares, "flags": ["", "day-care-every-township;meal-reach"]},
        geometry=[box(x0, y0, x0 + 2000, y0 + 2000), box(x0 + 2000, y0, x0 + 4000, y0 + 2000)], crs=crs)
    facilities = gpd.GeoDataFrame(
        {"fid": ["A", "B"], "name": ["甲镇日照", "乙镇助餐"], "type": ["day_care", "meal_point"], "beds": [10, 0],
         "nursing_beds": [0, 0], "status": ["planned", "to_close"]},
        geometry=[Point(x0 + 500, y0 + 500), Point(x0 + 2500, y0 + 500)], crs=crs)
    gaps = gpd.GeoDataFrame(
        {"type": ["day_care", "nursing_home", "elder_station"], "township": ["乙镇"] * 3, "elderly": [10.0, 20.0, 30.0],
         "area_ha": [1.0, 2.0, 3.0]},
        geometry=[box(x0 + 2100, y0 + 100, x0 + 2400, y0 + 400)] * 3, crs=crs)
    compare = gpd.GeoDataFrame(
        {"type": ["day_care", "day_care"], "change": ["gained", "lost"], "area_ha": [12.5, 3.0]},
        geometry=[box(x0, y0, x0 + 300, y0 + 300), box(x0 + 2500, y0, x0 + 2800, y0 + 300)], crs=crs)
    return WebLayers(townships=townships, facilities=facilities, gaps=gaps, compare=compare, **kw)


def test_compare_basemap_and_statuses():
    image = np.zeros((40, 60, 4), np.uint8)
    image[..., 1] = 200
    image[..., 3] = 255
    text = render_html(layers=_tiny_layers(), title="对比", basemap=(image, (120.4, 32.1, 120.6, 32.2)))
    assert "L.imageOverlay(" in text and '"data:image/png;base64,' in text
    assert "L.tileLayer(" not in text and not REMOTE_REF.findall(text)
    for s in ("方案对比", "新增覆盖", "失去覆盖", "规划", "拟关闭", "底图", "无数据"):
        assert s in text, s
    # target ids without a profile stay ids (nothing to name them by)
    assert "day-care-every-township" in text


def test_layers_only_for_classes_present():
    reg = registry()
    layers = _tiny_layers(profile=TINY_PROFILE)
    assert shown_classes(layers) == ["day_care", "meal_point"]
    text = render_html(layers=layers, title="类别")
    for c in ("day_care", "meal_point"):
        assert f"设施 · {reg.label(c)}" in text and f"{reg.label(c)}覆盖率" in text
    assert "服务缺口 · 日间照料中心" in text
    for c in set(reg.ids) - {"day_care", "meal_point"}:  # no facility, no target: no layer, no popup column
        label = reg.label(c)
        assert f"服务缺口 · {label}" not in text and f"设施 · {label}" not in text and f"{label}覆盖率" not in text
    assert "镇（街道）日间照料中心全覆盖" in text and "城市社区10分钟可达助餐点" in text  # flags by target label
    assert "day-care-every-township" not in text and "meal-reach" not in text
    assert '"status": "规划"' in text and '"status": "拟关闭"' in text
    # a class a target counts is shown even with no facility on the map; classes may also be set explicitly
    with_target = _tiny_layers(profile=StandardProfile("t", targets=(
        Target("nh", "present_in_every", "township", 1, classes=("nursing_home",)),)))
    assert shown_classes(with_target) == ["day_care", "nursing_home", "meal_point"]
    assert "服务缺口 · 养老机构" in render_html(layers=with_target, title="t")
    explicit = _tiny_layers(classes=["elder_station"], display_type="elder_station")
    text = render_html(layers=explicit, title="t")
    assert "服务缺口 · 长者驿站" in text and "设施 · 日间照料中心" not in text and "<h4>乡镇长者驿站覆盖率</h4>" in text


def test_frames_may_be_missing():
    text = render_html(layers=WebLayers(), title="空")
    assert "L.map(" in text and "<title>空</title>" in text
    assert not REMOTE_REF.findall(text)


def _look_layers(*, minutes=(5.0, 12.0), display_type="day_care") -> WebLayers:
    """Two townships, every status of day-care centres and a meal point, circles in bands of ``minutes``, roads."""
    from shapely.geometry import LineString

    crs = "EPSG:4528"
    x0, y0 = 40550000.0, 3560000.0
    townships = gpd.GeoDataFrame(
        {"name": ["甲镇", "乙镇"], "share_day_care": [0.95, 0.3], "share_meal_point": [0.5, float("nan")],
         "flags": ["", ""]},
        geometry=[box(x0, y0, x0 + 4000, y0 + 4000), box(x0 + 4000, y0, x0 + 8000, y0 + 4000)], crs=crs)
    facilities = gpd.GeoDataFrame(
        {"fid": ["A", "B", "C", "D"], "name": ["甲日照", "乙日照", "丙日照", "甲助餐"],
         "type": ["day_care", "day_care", "day_care", "meal_point"], "beds": [10, 0, 5, 0],
         "nursing_beds": [0, 0, 0, 0], "status": ["existing", "planned", "to_close", "existing"]},
        geometry=[Point(x0 + 1000, y0 + 1000), Point(x0 + 3000, y0 + 3000), Point(x0 + 5000, y0 + 1000),
                  Point(x0 + 6000, y0 + 3000)], crs=crs)
    circles = gpd.GeoDataFrame(
        {"type": [t for t in ("day_care", "meal_point") for _m in minutes],
         "minutes": [float(m) for _t in range(2) for m in minutes]},
        geometry=[Point(x0 + 1000 + 4000 * k, y0 + 1000).buffer(60.0 * m) for k in range(2) for m in minutes], crs=crs)
    roads = gpd.GeoDataFrame(
        {"highway": ["primary", "tertiary", "residential", "track"]},
        geometry=[LineString([(x0, y0 + 2000), (x0 + 8000, y0 + 2000)]),
                  LineString([(x0 + 2000, y0), (x0 + 2000, y0 + 4000)]),
                  LineString([(x0 + 6000, y0), (x0 + 6000, y0 + 4000)]),
                  LineString([(x0 + 7000, y0), (x0 + 7000, y0 + 4000)])], crs=crs)
    gaps = gpd.GeoDataFrame({"type": ["day_care", "meal_point"], "township": ["乙镇"] * 2, "elderly": [12.0, 7.0],
                             "area_ha": [1.0, 1.0]},
                            geometry=[box(x0 + 7000, y0 + 3000, x0 + 7200, y0 + 3200)] * 2, crs=crs)
    return WebLayers(townships=townships, facilities=facilities, circles=circles, gaps=gaps, roads=roads,
                     minutes=minutes, display_type=display_type)


def test_facility_symbols_filled_hollow_dashed_by_status():
    reg = registry()
    for t in reg.ids:
        colour = reg[t].colour
        existing, _w = symbol_svg(facility_style(t, "existing"))
        planned, _w = symbol_svg(facility_style(t, "planned"))
        closing, _w = symbol_svg(facility_style(t, "to_close"))
        shape = re.compile(r'<g class="cc-sym-shape" ([^>]*)>')
        assert f'fill="{colour}"' in shape.search(existing).group(1), t  # existing: filled in the class colour
        assert 'fill="none"' in shape.search(planned).group(1), t  # planned: hollow
        assert f'stroke="{colour}"' in shape.search(planned).group(1), t
        assert "stroke-dasharray" in shape.search(closing).group(1), t  # to close: dashed
        assert "stroke-dasharray" not in existing and "stroke-dasharray" not in planned
    # the class's symbol shape, as the registry gives it
    assert "<circle" in symbol_svg(facility_style("day_care", "existing"))[0]
    assert "<rect" in symbol_svg(facility_style("nursing_home", "existing"))[0]
    assert "<polygon" in symbol_svg(facility_style("meal_point", "existing"))[0]
    text = render_html(layers=_look_layers(), title="t")
    for status in ("existing", "planned", "to_close"):  # the markers carry the shared style's symbol per status
        svg = symbol_svg(facility_style("day_care", status))[0].replace("<svg ", f'<svg class="cc-status-{status}" ', 1)
        assert json.dumps(svg) in text, status
    # facilities are symbols (DivIcons), not all alike circle markers
    assert "new iconRootAlias.DivIcon(iconOptions)" in text and "new L.CircleMarker(latlng" not in text


def test_bands_are_the_chosen_minutes():
    layers = _look_layers(minutes=(5.0, 12.0))
    text = render_html(layers=layers, title="t")
    assert "步行 5 分钟" in text and "步行 12 分钟" in text
    for m in ("10", "15"):
        assert f"步行 {m} 分钟" not in text
    for i in range(2):  # each band drawn in the shared band style (inner band more opaque)
        s = band_style("day_care", i, 2)
        assert f'"fillOpacity": {s.fill_opacity}' in text, i
    assert band_style("day_care", 0, 2).fill_opacity > band_style("day_care", 1, 2).fill_opacity
    # circles of a band the user did not choose are refused, never drawn under a wrong legend
    from dataclasses import replace

    with pytest.raises(ValueError, match="not among the chosen bands"):
        render_html(layers=replace(layers, minutes=(5.0, 10.0)), title="t")


def test_bands_of_a_real_run(sample):
    """The export takes the bands of the run: the sample run with (5, 12) minutes draws and lists those."""
    layers = _sample_layers(minutes=(5.0, 12.0))
    assert tuple(layers.minutes) == (5.0, 12.0)
    text = render_html(layers=layers, title="t")
    assert "步行 5 分钟" in text and "步行 12 分钟" in text and "步行 15 分钟" not in text
    assert tuple(sample.minutes) == (5.0, 10.0, 15.0)


def test_title_scale_labels_roads_and_legend():
    text = render_html(layers=_look_layers(), title="某县日间照料中心15分钟服务圈覆盖现状图", subtitle="某县 · 现状")
    assert ('<div class="cc-title"><h1>某县日间照料中心15分钟服务圈覆盖现状图</h1><div><span class="cc-nw">某县</span> · '
            '<span class="cc-nw">现状</span></div></div>') in text
    assert "L.control.scale({metric: true, imperial: false" in text and "L.control.scale()" not in text
    for name in ("甲镇", "乙镇"):  # township labels
        assert ('"html": "\\u003cspan class=\\"cc-label-text\\"\\u003e' + name + '\\u003c/span\\u003e"') in text
    assert "乡镇/街道名称" in text
    rs = DEFAULT_STYLES.roads  # roads: major and middle ones in the shared style, never the minor ones (track)
    assert "道路" in text and f'"color": "{rs.major_style.stroke[:7]}"' in text
    legend = text[text.index('<div class="cc-legend">'):]
    legend = legend[:legend.index("</details>")]
    for s in ("养老服务设施", "现状", "规划", "拟关闭", "服务圈 · 日间照料中心", "步行 5 分钟", "步行 12 分钟",
              "乡镇日间照料中心覆盖率", "无数据", "服务缺口 · 日间照料中心", "道路", "主要道路"):
        assert s in legend, s
    assert legend.count("<svg ") == 3 * 2  # a symbol per shown class and status
    from layers import styling

    opacity = getattr(styling, "CHOROPLETH_OPACITY", 0.55)  # the legend's swatches at the opacity drawn
    lo_colour = SHARE_CLASSES[0][-1].lstrip("#")
    r, g, b = (int(lo_colour[i:i + 2], 16) for i in (0, 2, 4))
    assert f"rgba({r},{g},{b},{opacity:.3g})" in legend
    assert f'"fillOpacity": {opacity}' in text
    if getattr(styling, "GAP_MIN_DRAWN_PX", None):  # gaps too small to see get the printed map's ring
        assert f'"gapRing": {{"minPx": {float(styling.GAP_MIN_DRAWN_PX)}' in text


def test_only_the_class_on_show_starts_on():
    text = render_html(layers=_look_layers(display_type="meal_point"), title="t")
    on = set(re.findall(r"^\s*(\w+)\.addTo\(", text, re.M))

    def var_of(name):
        """The JS variable folium made for the overlay called ``name`` (from the layer control's list)."""
        mm = re.search(rf'"{re.escape(name)}"\s*:\s*(\w+)', text)
        assert mm, name
        return mm.group(1)

    for kind in ("设施", "服务圈", "服务缺口"):
        assert var_of(f"{kind} · 助餐点") in on, kind
        assert var_of(f"{kind} · 日间照料中心") not in on, kind
    assert "<h4>乡镇助餐点覆盖率</h4>" in text


def test_no_url_is_fetched(sample_html):
    """Only the URLs written inside Leaflet's own code (SVG namespace, comments, its attribution link, which the
    map does not show) are in the page; nothing the page would fetch."""
    text = _text(sample_html)
    vendored = (VENDOR / "leaflet.js").read_text(encoding="utf-8") + (VENDOR / "leaflet.css").read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'()<>]+", text))
    assert urls <= set(re.findall(r"https?://[^\s\"'()<>]+", vendored)), urls - set(re.findall(r"https?://[^\s\"'()<>]+", vendored))
    assert "attributionControl\": false" in text or '"attributionControl": false' in text


# --- a real browser, with no network ---------------------------------------------------------------------------------

def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    cmd = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--proxy-server=127.0.0.1:9",
           "--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND",
           "--virtual-time-budget=5000", "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_renders_offline_in_chromium(sample_html, tmp_path):
    out = _chromium(tmp_path, "--dump-dom", sample_html.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    assert "leaflet-container" in dom
    assert dom.count("leaflet-interactive") > 100  # township polygons, circles, gaps, facilities drawn as SVG
    assert "leaflet-control-layers" in dom
    for name in ("乡镇日间照料中心覆盖率", "服务圈 · 日间照料中心", "服务缺口 · 日间照料中心", "设施 · 养老机构"):
        assert name in dom, name
    assert "cc-legend" in dom


def _distinct_colours(png: Path) -> int:
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert not image.isNull()
    assert image.width() >= 1000 and image.height() >= 800
    colours = set()
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            colours.add(image.pixel(x, y))
    return len(colours)


def test_screenshot_offline_is_not_blank(sample_html, tmp_path):
    png = tmp_path / "map.png"
    out = _chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,900", sample_html.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    assert png.is_file()
    assert _distinct_colours(png) > 50


def test_look_in_chromium(tmp_path):
    """What a reader sees when the page opens: the title, a metric scale bar only, both township names, the class
    on show with a symbol per status (and no other class's facilities), its layers on and the others off."""
    path = write_html(tmp_path / "look.html", layers=_look_layers(), title="某县日间照料中心15分钟服务圈覆盖现状图",
                      subtitle="某县 · 现状")
    out = _chromium(tmp_path, "--dump-dom", path.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    assert '<div class="cc-title"><h1>某县日间照料中心15分钟服务圈覆盖现状图</h1>' in dom
    scale = re.findall(r'class="leaflet-control-scale-line"[^>]*>([^<]*)<', dom)
    assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0]), scale  # metric, no miles/feet line
    for name in ("甲镇", "乙镇"):
        mm = re.search(r'<div class="leaflet-marker-icon cc-label[^"]*" style="([^"]*)"><span class="cc-label-text"'
                       rf'[^>]*>{name}</span>', dom)
        assert mm and "visibility: visible" in mm.group(1), name
    markers = re.findall(r'<div class="leaflet-marker-icon cc-sym cc-sym-(\w+)[^>]*><svg class="cc-status-(\w+)"', dom)
    assert sorted(markers) == [("day_care", "existing"), ("day_care", "planned"), ("day_care", "to_close")]
    checked = dict((name.strip(), bool(c)) for c, name in re.findall(
        r'<input type="checkbox" class="leaflet-control-layers-selector"( checked="")?><span>([^<]*)</span>', dom))
    for kind in ("设施", "服务圈", "服务缺口"):
        assert checked[f"{kind} · 日间照料中心"] is True and checked[f"{kind} · 助餐点"] is False, kind
    assert checked["乡镇日间照料中心覆盖率"] and checked["乡镇/街道名称"] and checked["道路"]
    # the hatched gaps use a pattern the page defines; paths of bands and gaps are drawn
    assert 'fill="url(#cc-hatch-' in dom and '<pattern id="cc-hatch-' in dom
