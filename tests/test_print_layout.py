"""The print layout: thematic title, 制图单位/制图时间, data sources by name (never file names), county totals,
every page's drawing inside the page at A4/A3 x portrait/landscape x 96/300/600 dpi, the print dialog, and
the county-scale cartography rules (roads by scale, labels off the symbols, colour-blind-safe palette, legend
swatches at the map's opacity)."""
import datetime as dt
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtGui  # noqa: E402
from pypdf import PdfReader  # noqa: E402

SIZES = [(size, landscape, dpi) for size in ("A4", "A3") for landscape in (True, False) for dpi in (96, 300, 600)]
FILE_NAME = re.compile(r"\.(gpkg|csv|osm|pbf|xlsx|xls|shp|geojson|ccproj|toml)\b", re.I)
SAMPLE_FILES = ("roads", "townships", "villages", "facilities.csv", "township_elderly", "outline", "sample.toml")
ORG = "如皋市民政局养老服务科"
TITLE = "如皋市日间照料中心15分钟服务圈覆盖现状图"


#: CJK Radicals Supplement code points Qt's ToUnicode tables use for some glyphs (NFKC leaves them)
RADICALS = str.maketrans({"⺠": "民", "⻓": "长", "⻩": "黄", "⻔": "门", "⻢": "马", "⻅": "见", "⻋": "车", "⻉": "贝", "⻜": "飞",
                          "⻬": "齐", "⻛": "风", "⻚": "页", "⻆": "角", "⻄": "西", "⻘": "青", "⻝": "食", "⻧": "鸟"})


def compact(text: str) -> str:
    # NFKC: Qt maps some glyphs to Kangxi radicals (⽩ for 白) in the PDF's ToUnicode table
    return "".join(unicodedata.normalize("NFKC", text).translate(RADICALS).split())


@pytest.fixture(scope="module")
def doc(qapp):
    from projects.document import Document

    return Document.from_sample()


@pytest.fixture(scope="module")
def ws(doc):
    from projects.workspace import Workspace

    w = Workspace(title=doc.project.title)
    w.set_inputs(doc.project.inputs(network=doc.network),
                 sources={k: Path(v) for k, v in doc.project.sources.items()})
    w.set_result(doc.result)
    return w


@pytest.fixture(scope="module")
def exported(doc, tmp_path_factory):
    from gui.exports import export_document
    from gui.print_layout import Layout

    out = tmp_path_factory.mktemp("print")
    export_document(doc, pdf=out / "map.pdf", atlas=out / "atlas.pdf", png=out / "map.png", dpi=96,
                    layout=Layout(org=ORG, date=dt.date(2025, 3, 8), page_numbers=True))
    return out


def test_thematic_title_names_county_class_minutes_and_kind(doc):
    from gui.print_layout import thematic_title

    result = doc.result
    assert thematic_title(result, display_type="day_care") == TITLE
    planned = replace(result, params=replace(result.params, statuses=("existing", "planned")))
    assert thematic_title(planned, display_type="meal_point") == "如皋市助餐点15分钟服务圈覆盖规划图"
    assert thematic_title(result, display_type="day_care", unit="白蒲镇").startswith("白蒲镇日间照料中心")


def test_pdf_text_has_title_org_date_county_total_and_no_file_name(exported):
    text = compact(PdfReader(exported / "map.pdf").pages[0].extract_text())
    assert TITLE in text
    assert "制图单位" in text and ORG in text
    assert "制图时间" in text and "2025年3月8日" in text
    assert "全市合计" in text and "386,019" in text  # the county total row of the township table
    assert "示例数据" in text  # the sample says it is sample data
    assert not FILE_NAME.search(text), FILE_NAME.search(text)
    assert not any(name in text for name in SAMPLE_FILES)
    assert "如使用" not in text and "OpenStreetMap" not in text  # the sample's roads are not from OSM


def test_atlas_text_summary_page_page_numbers_and_no_file_name(exported):
    reader = PdfReader(exported / "atlas.pdf")
    pages = [compact(p.extract_text()) for p in reader.pages]
    assert len(pages) == 15
    assert TITLE in pages[0] and "全市合计" in pages[0] and "规划目标" in pages[0]
    assert "城南街道日间照料中心15分钟服务圈覆盖现状图" in pages[3]
    for i, page in enumerate(pages):
        assert f"第{i + 1}页/共15页" in page
        assert ORG in page and "制图时间" in page
        assert not FILE_NAME.search(page) and not any(name in page for name in SAMPLE_FILES)


def test_sources_name_osm_only_when_the_roads_are_osm(ws):
    from gui.print_layout import sources_line
    from projects.workspace import MapLayer, Workspace

    assert "示例数据" in sources_line(ws)
    other = Workspace(title="某县")
    for kind in ("roads", "townships", "facilities"):
        other.layers.append(MapLayer(kind, kind, source=Path(f"/data/county/{kind}.gpkg")))
    line = sources_line(other)
    assert "OpenStreetMap" not in line and not FILE_NAME.search(line) and "county" not in line
    assert "养老设施" in line  # a layer without a known source is named by its Chinese title
    osm = sources_line(other, {"roads": "extract/jiangsu-latest.osm.pbf"})
    assert "道路：OpenStreetMap 贡献者（ODbL）" in osm and "jiangsu" not in osm and not FILE_NAME.search(osm)


def _sheets(ws):
    from gui.print_layout import Layout, atlas_sheets, county_sheet

    layout = Layout(org=ORG * 3, page_numbers=True)  # a long organisation name wraps, never runs off
    county = county_sheet(ws, title=TITLE, subtitle="方案: 现状 · " + "日间照料中心 5/10/15 分钟步行服务圈 · " * 4, layout=layout,
                          display_type="day_care", sources="数据来源：" + "乡镇（街道）界线、老年人口、养老设施：项目资料；" * 6)
    atlas = atlas_sheets(ws, title=TITLE, subtitle="subtitle", layout=layout, display_type="day_care")
    return [county, atlas[0], atlas[1], atlas[-1]]


def _outside_pixels(pic: QtGui.QPicture, page: QtCore.QRectF, dpi: int) -> tuple[int, int]:
    """Replay the recorded page at ~96 dpi onto a transparent image with a wide band around the page; count
    the drawn pixels outside the page and those in the outer half of the page's 10 mm margin."""
    f = 96.0 / dpi
    band = 60
    w, h = round(page.width() * f), round(page.height() * f)
    img = QtGui.QImage(w + 2 * band, h + 2 * band, QtGui.QImage.Format.Format_ARGB32)
    img.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(img)
    p.translate(band, band)
    p.scale(f, f)
    p.drawPicture(0, 0, pic)
    p.end()
    bits = img.constBits()
    import numpy as np

    alpha = np.frombuffer(bits, dtype=np.uint8).reshape(img.height(), img.width(), 4)[:, :, 3]
    drawn = alpha > 8
    inside = np.zeros_like(drawn)
    inside[band:band + h, band:band + w] = True
    m = round(5 / 25.4 * 96)  # half the margin
    inner = np.zeros_like(drawn)
    inner[band + m:band + h - m, band + m:band + w - m] = True
    return int((drawn & ~inside).sum()), int((drawn & inside & ~inner).sum())


@pytest.mark.parametrize("size,landscape,dpi", SIZES)
def test_every_page_is_drawn_inside_the_page(ws, size, landscape, dpi):
    from gui.print_layout import Page, render_picture
    from gui.render import MapRenderer

    page = Page(size=size, landscape=landscape, dpi=dpi)
    renderer = MapRenderer()
    for sheet in _sheets(ws):
        pic, rect = render_picture(ws, sheet, page=page, renderer=renderer, minutes=(5.0, 10.0, 15.0))
        box = QtCore.QRectF(pic.boundingRect())
        assert rect.contains(box), (sheet.title, box, rect)
        assert box.height() > rect.height() * 0.5  # something was drawn
        outside, in_margin = _outside_pixels(pic, rect, dpi)
        assert outside == 0, (sheet.title, outside)
        assert in_margin == 0, (sheet.title, in_margin)


@pytest.mark.parametrize("size,landscape", [("A4", False), ("A4", True), ("A3", True)])
def test_png_footer_is_not_clipped_at_the_bottom(ws, size, landscape):
    import numpy as np

    from gui.print_layout import Page, render_png
    from gui.render import MapRenderer

    sheet = _sheets(ws)[0]
    page = Page(size=size, landscape=landscape, dpi=120)
    img = render_png(ws, sheet, page=page, renderer=MapRenderer(), minutes=(5.0, 10.0, 15.0))
    img = img.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.width(), 4)[:, :, :3]
    rows = np.nonzero((arr < 245).any(axis=(1, 2)))[0]
    margin = 10 / 25.4 * page.dpi
    assert rows[-1] < img.height() - margin * 0.6  # the footer ends above the bottom margin
    assert rows[-1] > img.height() - margin * 4  # and it is there (the sources at the bottom)


def test_legend_swatches_use_the_maps_opacity(ws):
    from gui.render import draw_swatch, legend_entries
    from layers.styling import CHOROPLETH_OPACITY, SHARE_CLASSES

    entries = legend_entries("coverage", display_type="day_care", minutes=(5.0, 10.0, 15.0), opacity=0.5)
    text, swatch = entries[-2]  # the darkest class
    assert swatch.opacity == 0.5 and swatch.style.fill_opacity == CHOROPLETH_OPACITY
    img = QtGui.QImage(40, 40, QtGui.QImage.Format.Format_RGB32)
    img.fill(QtGui.QColor("#ffffff"))
    p = QtGui.QPainter(img)
    draw_swatch(p, QtCore.QRectF(0, 0, 40, 40), swatch)
    p.end()
    got = QtGui.QColor(img.pixel(20, 20))
    want = QtGui.QColor(SHARE_CLASSES[-1][1])
    a = CHOROPLETH_OPACITY * 0.5
    for g, w in ((got.red(), want.red()), (got.green(), want.green()), (got.blue(), want.blue())):
        assert abs(g - (w * a + 255 * (1 - a))) <= 3
    titles = {t for t, _ in legend_entries("circles", display_type="meal_point", minutes=(5.0, 10.0, 15.0))}
    assert all("助餐点" in t for t in titles)


def test_share_palette_is_sequential_and_not_red_green():
    from layers.styling import GAINED_COLOUR, LOST_COLOUR, SHARE_CLASSES

    lum = [QtGui.QColor(c).lightnessF() for _, c in SHARE_CLASSES]
    assert lum == sorted(lum, reverse=True)  # light = low coverage, darker with every class
    for _, c in SHARE_CLASSES:
        col = QtGui.QColor(c)
        assert not (col.red() > 180 and col.green() < 100)  # no red
    assert QtGui.QColor(GAINED_COLOUR).blue() > QtGui.QColor(GAINED_COLOUR).red()  # blue / orange pair
    assert QtGui.QColor(LOST_COLOUR).red() > QtGui.QColor(LOST_COLOUR).blue()


def test_roads_are_generalised_by_scale():
    from layers.styling import DEFAULT_STYLES, road_visible

    rs = DEFAULT_STYLES.roads
    assert [rs.road_rank(h) for h in ("primary", "tertiary", "residential", "track")] == [0, 1, 2, 3]
    assert road_visible(1, m_per_px=60) and road_visible(0, m_per_px=60)
    assert not road_visible(2, m_per_px=60) and not road_visible(3, m_per_px=60)  # county scale: no street grid
    assert road_visible(2, m_per_px=5) and road_visible(3, m_per_px=5)


def test_county_labels_avoid_facility_symbols_and_each_other(ws):
    from gui.render import MapRenderer, View

    renderer = MapRenderer()
    view = View.fit(ws.full_bounds(), 900, 700)
    img = QtGui.QImage(900, 700, QtGui.QImage.Format.Format_ARGB32)
    img.fill(QtGui.QColor("#ffffff"))
    p = QtGui.QPainter(img)
    renderer.render(p, view, ws)
    p.end()
    placed = renderer.placed_labels
    assert len(placed) >= 10  # most of the 14 townships keep their label
    for i, a in enumerate(placed):
        assert not any(a.intersects(o) for o in renderer._obstacles)
        assert not any(a.intersects(b) for b in placed[i + 1:])


def test_main_town_is_the_street_with_most_elderly(ws):
    from gui.print_layout import main_town

    name, geom = main_town(ws)
    assert name == "如城街道" and not geom.is_empty


def test_print_dialog_builds_the_export_request(ws, doc, qtbot, tmp_path):
    from gui.exports import export_all
    from gui.print_dialog import PrintLayoutDialog

    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    dlg = PrintLayoutDialog(ws, doc.result, display_type="day_care", settings=settings)
    qtbot.addWidget(dlg)
    assert dlg.title.text() == TITLE
    dlg.cls.setCurrentIndex(dlg.cls.findData("meal_point"))
    assert dlg.title.text() == "如皋市助餐点15分钟服务圈覆盖现状图"  # an unedited title follows the class
    dlg.title.setText("如皋市助餐点服务圈图")
    dlg.cls.setCurrentIndex(dlg.cls.findData("day_care"))
    assert dlg.title.text() == "如皋市助餐点服务圈图"  # an edited one stays
    for kind in ("pdf", "png", "atlas"):
        dlg.out_check[kind].setChecked(False)
    with qtbot.assertNotEmitted(dlg.exportRequested):
        dlg.export()
    assert dlg.error.text()
    dlg.paper.setCurrentText("A3")
    dlg.orientation.setCurrentIndex(1)
    dlg.dpi.setValue(96)
    dlg.org.setText(ORG)
    dlg.date.setDate(QtCore.QDate(2025, 1, 2))
    dlg.page_numbers.setChecked(False)
    dlg.out_check["pdf"].setChecked(True)
    dlg.out_path["pdf"].setText(str(tmp_path / "dlg.pdf"))
    with qtbot.waitSignal(dlg.exportRequested) as sig:
        dlg.export()
    request = sig.args[0]
    assert (request.page.size, request.page.landscape, request.page.dpi) == ("A3", False, 96)
    assert request.layout.title == "如皋市助餐点服务圈图" and request.layout.org == ORG
    assert request.layout.date == dt.date(2025, 1, 2) and request.display_type == "day_care"
    assert settings.value("print/org") == ORG  # remembered for next time
    again = PrintLayoutDialog(ws, doc.result, settings=settings)
    qtbot.addWidget(again)
    assert again.org.text() == ORG
    img = again.preview_image()
    assert img.width() > 100
    again.wait_preview()
    again.update_preview()  # drawn in a worker thread, shown when done
    qtbot.waitUntil(lambda: again.preview.pixmap() is not None and not again.preview.pixmap().isNull(), timeout=60_000)
    again.close()
    paths = export_all(request, workspace=ws, result=doc.result, facilities=doc.project.plan.frame(), title="x",
                       scenario=None, sources=doc.project.sources)
    text = compact(PdfReader(paths["pdf"]).pages[0].extract_text())
    assert "如皋市助餐点服务圈图" in text and ORG in text and "2025年1月2日" in text
