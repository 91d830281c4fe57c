"""Print exports (PDF/PNG/atlas) from the command line and the window: pages, CJK fonts, sizes, pixels."""
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtGui  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from gui.cli import main as cli_main
from gui.plan_editing import SAMPLE_PROJECT  # noqa: E402

TOWNSHIPS = 14


@pytest.fixture(scope="module")
def exported(tmp_path_factory, qapp):
    out = tmp_path_factory.mktemp("export")
    code = cli_main(["export", "--sample", "--pdf", str(out / "map.pdf"), "--png", str(out / "map.png"),
                     "--atlas", str(out / "atlas.pdf"), "--csv", str(out / "coverage.csv"), "--xlsx", str(out / "report.xlsx"),
                     "--html", str(out / "map.html"), "--gpkg", str(out / "layers.gpkg"), "--dpi", "100", "--quiet"])
    assert code == 0
    return out


def cjk_fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for desc in font.get("/DescendantFonts", []):
                d = desc.get_object()
                fd = d["/FontDescriptor"].get_object()
                if any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")):  # embedded, not just named
                    names.add(str(font["/BaseFont"]))
    return names


def not_blank(img: QtGui.QImage) -> int:
    return len({img.pixel(x, y) for x in range(0, img.width(), 13) for y in range(0, img.height(), 13)})


def test_pdf_map_has_one_page_and_embeds_a_cjk_font(exported):
    reader = PdfReader(exported / "map.pdf")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    assert abs(float(box.width) - 842) < 2 and abs(float(box.height) - 595) < 2
    fonts = cjk_fonts(reader)
    assert any("CJK" in f or "Hei" in f or "Song" in f for f in fonts), fonts
    # NFKC: Qt maps some glyphs to Kangxi radicals (⽩ for 白) in the PDF's ToUnicode table
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text())
    compact = "".join(text.split())
    assert "如皋市" in compact and "白蒲镇" in compact and "城南街道" in compact  # title and township labels are real text
    assert "规划标准如皋2022" in compact and "rugao-2022" not in compact and "3.6km/h" in compact and "计入设施状态:现状" in compact  # digits copy out of the PDF as digits
    # the thematic title, the county total and the data sources by name (the sample says it is sample data)
    assert "如皋市日间照料中心15分钟服务圈覆盖现状图" in compact and "全市合计" in compact and "示例数据" in compact
    assert not any(ext in compact for ext in (".gpkg", ".csv", ".osm", ".xlsx", "如使用OSM"))


def test_atlas_has_a_county_page_then_a_page_per_township_with_its_tables(exported):
    reader = PdfReader(exported / "atlas.pdf")
    assert len(reader.pages) == 1 + TOWNSHIPS
    county = "".join(unicodedata.normalize("NFKC", reader.pages[0].extract_text()).split()).replace("\u2012", "–")  # a figure dash in some fonts
    assert "全市" in county and "规划目标" in county and "者驿站1–2个" in county and "9/14" in county  # 长 extracts as a Kangxi radical
    fourth = "".join(unicodedata.normalize("NFKC", reader.pages[3].extract_text()).split())
    assert "城南街道" in fourth and "覆盖率" in fourth and "规划目标" in fourth


def test_atlas_target_tables_follow_the_plan_levels(qapp):
    from gui.print_layout import county_targets_table, township_targets_table
    from projects.ccproj import load_project
    from projects.profiles import load_profile
    from spatial.analysis import run_analysis
    from dataclasses import replace

    project = load_project(SAMPLE_PROJECT)
    params = replace(project.params(), profile=load_profile("nantong-2014"))
    result = run_analysis(project.inputs(), params, facility_circles=False)
    county = county_targets_table(result)
    assert len(county) == len([r for r in result.targets if r.level == "county"]) == 3
    town = township_targets_table(result, "吴窑镇")  # no 居家养老服务中心 in the sample's 吴窑镇
    by_target = dict(zip(town.iloc[:, 0], zip(town.iloc[:, 1], town.iloc[:, 2])))
    assert by_target["镇（街道）居家养老服务中心全覆盖"] == ("0 个", "✘ 未达标")
    beds = by_target["每千名老人养老床位"]
    assert "平衡参考" in beds[1] and "全市" in beds[0]  # a county target: a balance view, never 未达标 per township


def test_png_has_the_requested_size_and_is_not_blank(exported):
    img = QtGui.QImage(str(exported / "map.png"))
    assert (img.width(), img.height()) == (1169, 827)  # A4 landscape at 100 dpi
    assert not_blank(img) > 40


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_pdf_page_renders_with_poppler(exported, tmp_path):
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(exported / "map.pdf"), str(tmp_path / "p")], check=True)
    img = QtGui.QImage(str(next(tmp_path.glob("p*.png"))))
    assert img.width() > 400 and not_blank(img) > 40


def test_a3_portrait_png(tmp_path, qapp):
    assert cli_main(["export", "--sample", "--png", str(tmp_path / "a3.png"), "--page", "A3", "--portrait", "--dpi", "60", "--quiet"]) == 0
    img = QtGui.QImage(str(tmp_path / "a3.png"))
    assert (img.width(), img.height()) == (702, 992)  # 297 x 420 mm at 60 dpi


def test_cli_title_is_the_maps_title(tmp_path, qapp):
    assert cli_main(["export", "--sample", "--pdf", str(tmp_path / "t.pdf"), "--title", "如皋市养老服务设施布局图", "--dpi", "60", "--quiet"]) == 0
    text = "".join(unicodedata.normalize("NFKC", PdfReader(tmp_path / "t.pdf").pages[0].extract_text()).split())
    assert "如皋市养老服务设施布局图" in text and "现状图" not in text


def test_export_needs_an_output(capsys):
    assert cli_main(["export", "--sample"]) == 2
    assert "--pdf" in capsys.readouterr().err


def test_window_export_menu_writes_the_same_pdf(qtbot, tmp_path):
    from sample_window import open_sample_window

    win = open_sample_window(qtbot, show=False)
    with qtbot.waitSignal(win.errorShown, timeout=5000):
        win.export_file("pdf", tmp_path / "x.pdf")  # nothing analysed yet
    win.last_error_dialog.accept()
    with qtbot.waitSignal(win.analysisFinished, timeout=120_000):
        win.run_analysis()
    with qtbot.waitSignal(win.exportFinished, timeout=120_000) as sig:
        win.export_file("atlas", tmp_path / "atlas.pdf")
    assert Path(sig.args[0]["atlas"]).is_file()
    assert len(PdfReader(tmp_path / "atlas.pdf").pages) == 1 + TOWNSHIPS  # the county page first
    win.wait_idle()


def test_cli_workbook_matches_csv_and_html_is_offline(exported):
    import re

    import openpyxl
    import pandas as pd
    import pyogrio

    cov = pd.read_csv(exported / "coverage.csv", encoding="utf-8-sig")
    wb = openpyxl.load_workbook(exported / "report.xlsx")
    assert wb.sheetnames[:4] == ["指标汇总", "日间照料中心", "养老机构", "助餐点"]
    ws = wb["养老机构"]
    header = [c.value for c in ws[1]] if ws[1][0].value == "乡镇/街道" else [c.value for c in ws[2]]
    rows = [r for r in ws.iter_rows(values_only=True) if r and r[0] in set(cov["township"])]
    got = {r[0]: r[header.index("床位数")] for r in rows}
    want = cov[cov["type"] == "nursing_home"].set_index("township")["beds"].to_dict()
    assert got == want
    html = (exported / "map.html").read_text(encoding="utf-8")
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']https?://""", html)
    assert "如城街道" in html
    layers = {name for name, _ in pyogrio.list_layers(exported / "layers.gpkg")}
    assert {"facilities", "gaps", "circles_day_care"} <= layers
