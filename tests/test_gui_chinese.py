"""A Chinese interface with no English left (issue 16): in zh mode the main window on the sample, after the
analysis, with every dock raised, the identify panel, each layer's attribute table, the comparison, the facility
form, the import dialog, the about box, Qt's own dialogs and an error dialog show no English word in any visible
text (labels, buttons, window and dock titles, tabs, group boxes, table headers and cells, combo items, menu and
toolbar actions) other than the units and codes the plans themselves use (:data:`ALLOWED`).

Data are not interface text and are left out of the check on purpose: file names and paths, the planner's own
column headers and rows in the import preview (what follows ``←`` in the overview), ids and codes with digits
(``YL001``, ``CGCS2000``, ``gb18030``).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

import gui.app as _app  # noqa: E402
from gui.editing import FacilityDialog  # noqa: E402
from gui.i18n import field_label, file_filter, set_language, tr, value_label  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402
from gui.warnings_panel import error_text, warning_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "projects" / "sample"
LOAD_MS = 60_000
RUN_MS = 180_000
#: rows of a table model read (an attribute table of roads has ~100,000; the first screenfuls are what is seen)
MAX_ROWS = 300

#: English words a Chinese interface keeps, each for a reason; keep this short
ALLOWED = frozenset({
    # units the plans write in Latin letters (米 and 公里 where the text is a sentence)
    "m", "km", "h", "s", "ha",
    # print resolution (分辨率 DPI), as every print dialog in China writes it; paper sizes A3/A4 carry digits
    "DPI", "dpi",
    # file formats and data sources, named as the bureaus name them
    "PDF", "PNG", "HTML", "CSV", "Excel", "GeoPackage", "GeoTIFF", "OSM", "OpenStreetMap",
    # coordinate systems and their codes (WGS 84, GCJ-02, BD-09, EPSG:4528, UTM, Web 墨卡托)
    "WGS", "GCJ", "BD", "EPSG", "CRS", "UTM", "Web",
    # text encodings as the import dialog and the reading notes name them (utf-8, GBK)
    "utf", "gbk", "UTF", "GBK",
    # the product's name; the language menu names English in English; X/Y 坐标
    "CareCircle", "English", "X", "Y",
})

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FILE = re.compile(r"[^\s/\\()（）:：,，;；]+\.(?:csv|xlsx|xls|gpkg|shp|geojson|json|osm|pbf|tif|tiff|ccproj|pdf|png|html|txt)\b",
                   re.IGNORECASE)


def english_words(text: str) -> set[str]:
    """The English words of a visible text, data (file names, paths, ids and codes with digits) and
    accelerators (文件(&F)) left out."""
    if not text:
        return set()
    if QtGui.Qt.mightBeRichText(text):
        text = QtGui.QTextDocumentFragment.fromHtml(text).toPlainText()
    text = re.sub(r"\(&\w\)|&(?=\w)", "", text)  # 文件(&F) shows as 文件(F): the Chinese convention for a mnemonic
    text = re.sub(r"\*\.\w+|\*", " ", text)  # file patterns of a filter
    text = re.sub(r"←[^；;]*", " ", text)  # the planner's own header a field is read from
    text = re.sub(r"\S*[/\\]\S*[/\\]\S*", " ", text)  # paths
    text = _FILE.sub(" ", text)
    text = re.sub(r"(?<![\w.])\.[A-Za-z]{2,7}\b", " ", text)  # a file extension named alone (.cpg, .prj)
    text = re.sub(r"°[ENWS]\b", "°", text)  # 120.56°E 32.37°N
    return {w for w in _WORD.findall(text) if w not in ALLOWED and not any(ch.isdigit() for ch in w)}


def _model_texts(model: QtCore.QAbstractItemModel, where: str, *, skip_cells: bool = False) -> list[tuple[str, str]]:
    out = []
    try:
        ncol = model.columnCount(QtCore.QModelIndex())
    except TypeError:  # a list model
        ncol = 1
    for c in range(ncol):
        h = model.headerData(c, QtCore.Qt.Orientation.Horizontal, QtCore.Qt.ItemDataRole.DisplayRole)
        if h is not None:
            out.append((f"{where} header", str(h)))
    if skip_cells:
        return out

    def walk(parent: QtCore.QModelIndex, depth: int) -> None:
        for r in range(min(model.rowCount(parent), MAX_ROWS)):
            for c in range(ncol):
                idx = model.index(r, c, parent)
                d = idx.data(QtCore.Qt.ItemDataRole.DisplayRole)
                if d is not None:
                    out.append((f"{where} cell", str(d)))
                if c == 0 and depth < 3 and _has_children(model, idx):
                    walk(idx, depth + 1)

    walk(QtCore.QModelIndex(), 0)
    return out


def _has_children(model: QtCore.QAbstractItemModel, idx: QtCore.QModelIndex) -> bool:
    try:
        return model.hasChildren(idx)
    except TypeError:  # table and list models keep it private: they have no children
        return False


def visible_texts(root: QtWidgets.QWidget, *, skip: tuple[QtWidgets.QWidget, ...] = ()) -> list[tuple[str, str]]:
    """Every text a user sees in ``root`` and its visible children (``skip``: data widgets and their children)."""
    out: list[tuple[str, str]] = []
    skipped = set()
    for w in skip:
        skipped.add(id(w))
        skipped.update(id(c) for c in w.findChildren(QtWidgets.QWidget))
    for w in [root, *root.findChildren(QtWidgets.QWidget)]:
        if id(w) in skipped or not w.isVisible():
            continue
        name = type(w).__name__
        if w.isWindow() or isinstance(w, QtWidgets.QDockWidget):
            out.append((f"{name} title", w.windowTitle()))
        if isinstance(w, (QtWidgets.QLabel, QtWidgets.QAbstractButton)):
            out.append((name, w.text()))
        if isinstance(w, QtWidgets.QLineEdit):
            out += [(name, w.text()), (f"{name} placeholder", w.placeholderText())]
        if isinstance(w, QtWidgets.QAbstractSpinBox):
            out.append((name, w.text()))
        if isinstance(w, QtWidgets.QGroupBox):
            out.append((name, w.title()))
        if isinstance(w, QtWidgets.QProgressBar) and w.isTextVisible():
            out.append((name, w.text()))
        if isinstance(w, QtWidgets.QComboBox):
            out += [(f"{name} item", w.itemText(i)) for i in range(w.count())]
        if isinstance(w, QtWidgets.QTabBar):
            out += [(f"{name} tab", w.tabText(i)) for i in range(w.count())]
        if isinstance(w, QtWidgets.QAbstractItemView) and w.model() is not None and not isinstance(w.parent(), QtWidgets.QComboBox):
            out += _model_texts(w.model(), name)
        if isinstance(w, (QtWidgets.QMenuBar, QtWidgets.QMenu, QtWidgets.QToolBar)):
            out += _action_texts(w.actions(), name)
    return [(k, t) for k, t in out if t]


def _action_texts(actions, where: str) -> list[tuple[str, str]]:
    out = []
    for a in actions:
        if a.isSeparator():
            continue
        if a.text():
            out.append((f"{where} action", a.text()))
        if a.menu() is not None:
            out += _action_texts(a.menu().actions(), where)
    return out


def english_in(texts: list[tuple[str, str]]) -> dict[str, list[str]]:
    """word → where it was seen (for a readable failure)."""
    found: dict[str, list[str]] = {}
    for where, text in texts:
        for w in english_words(text):
            found.setdefault(w, []).append(f"{where}: {text[:90]!r}")
    return {w: sorted(set(v))[:3] for w, v in found.items()}


# -- fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture
def zh(qtbot):
    set_language("zh")
    assert _app.use_qt_translations("zh"), "Qt's own zh_CN translations (qtbase_zh_CN) are missing"
    yield
    set_language("zh")


@pytest.fixture
def win(zh, qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.inputsLoaded, timeout=LOAD_MS):
        w.open_sample()
    with qtbot.waitSignal(w.analysisFinished, timeout=RUN_MS):
        w.run_analysis()
    yield w
    w.wait_idle()


# -- the allow-list itself -------------------------------------------------------------------------------

def test_the_word_filter_keeps_data_and_codes_out():
    assert english_words("设施清单.csv，第 2 行") == set()
    assert english_words("文件(&F)") == set()
    assert english_words("GeoPackage 文件 (*.gpkg);;所有文件 (*)") == set()
    assert english_words("CGCS2000 3度带高斯投影 第40带 (EPSG:4528)") == set()
    assert english_words("道路等级←highway；名称←name") == set()
    assert english_words("体弱老人 0.7 m/s (2.52 km/h)") == set()
    assert english_words("YL001") == set()
    assert english_words("day_care") == {"day_care"}  # a raw code is caught whole
    assert english_words("约 120.56°E 32.37°N") == set()
    assert english_words("<b>现状</b>&nbsp;规划") == set()
    assert english_words("OK") == {"OK"} and english_words("Look in:") == {"Look", "in"}


# -- labels of fields and codes ----------------------------------------------------------------------------

def test_one_label_registry_for_fields_codes_and_statuses(zh):
    assert [field_label(c) for c in ("fid", "name", "type", "status", "beds", "nursing_beds", "elderly", "kind")] == [
        "编号", "名称", "设施类型", "状态", "床位数", "护理型床位", "老年人口", "类别"]
    assert field_label("share_day_care") == "覆盖率：日间照料中心"
    assert field_label("某个自定义列") == "某个自定义列"  # a planner's own header as named
    assert value_label("type", "day_care") == "日间照料中心"
    assert value_label("status", "existing") == "现状" and value_label("status", "planned") == "规划"
    assert value_label("status", "to_close") == "拟关闭"
    assert value_label("kind", "urban") == "社区" and value_label("kind", "village") == "村"
    assert value_label("highway", "residential") == "居住区道路"
    assert value_label("name", "day_care") is None  # a name is never relabelled
    assert tr("flag.day_care_coverage_low") == "日间照料中心覆盖率不足"  # not 日照 (sunlight; the city 日照)
    assert file_filter("gpkg") == "GeoPackage 文件 (*.gpkg);;所有文件 (*)"
    set_language("en")
    try:
        assert field_label("fid") == "Id" and value_label("type", "day_care") == "Day-care centre"
        assert value_label("kind", "urban") == "urban community" and value_label("highway", "living_street") == "living street"
        assert value_label("status", "to_close") == "to close"
        assert file_filter("csv") == "CSV files (*.csv);;All files (*)"
    finally:
        set_language("zh")


def test_every_warning_line_the_engine_writes_has_a_chinese_text(zh):
    """The English lines of spatial.analysis, layers/* and projects/* (as the sample and the test fixtures produce
    them) each come out in Chinese."""
    lines = [
        "counted statuses: existing; left out 6 facilities (6 planned, 308 beds)",
        "counted statuses: existing, planned; left out 2 facilities (2 to_close, 0 beds)",
        "the road network has 3 islands (fragments not joined to the main network, 39 nodes); people and facilities "
        "on them reach only their own fragment",
        "road noding joined 12 vertices within 0.5 m (3 undershoots closed); no island came from near-misses",
        "12 population points with 1,234 elderly lie outside every township and are not counted in any figure",
        "township 江安镇 has 1,234 elderly but no walkable roads inside; none of them can be covered",
        "设施.csv: 2 facilities are listed twice (same class, status and name within 30 m) and counted once (40 beds not "
        "doubled): 某中心 (行 3, 行 9)",
        "设施.csv: 2 pairs of facilities have the same class, status and name within 30 m but their own ids and "
        "different beds, and both are kept; check that each pair is two facilities and not one listed twice: A1/A2",
        "设施.csv: no beds column (床位数): its 5 facilities of classes with beds (2 of them with institutional beds, "
        "养老机构床位) count no beds, so the bed targets cannot be judged from this list",
        "设施.csv: no nursing beds column (护理型床位数): its 2 facilities with institutional beds count no nursing "
        "beds, so the nursing-type share (护理型床位占比) cannot be judged from this list",
        "设施.csv: 3 facilities with community beds have an empty beds cell (rows 4, 5, 9); they count no beds, so "
        "bed figures counting all elderly-care beds are a lower bound",
        "人口.csv: 2 townships are not in the elderly table (江安镇, 吴窑镇); they keep the count of the township layer "
        "(1,234 elderly)",
        "人口.xlsx: 2 row(s) not read as data: row 2 (unit row); row 30 (note 单位：人)",
        "the townships lie outside China (around 2.35°E 48.85°N): coordinates are taken as given (no GCJ-02/BD-09 "
        "shift applies there) and the Chinese plans' targets may not apply",
        "the facilities sit 512 m (median) from the nearest road as read (WGS 84); read as GCJ-02 they sit 12 m away: "
        "the list is probably in GCJ-02 — use --crs facilities=gcj02 (or choose it in the import dialog)",
        "5,000 facilities: the layer of each facility's own circle is left out above 2,000 facilities (memory); circles "
        "per class, coverage and gaps are complete",
        "3 facilities lie on road islands; their circles stay on those fragments (listed in warnings.csv)",
        "2 facilities are more than 300 m from a walkable road (listed in warnings.csv)",
        "1 facilities lie outside every township; their 40 beds are left out of the county bed figures (listed in warnings.csv)",
        "the profile has community/village targets but no community layer is loaded; they cannot be met",
        "roads.shp: no .cpg; attribute text read as GB18030 (GBK)",
        "roads.shp: attribute text read as GBK, as chosen",
        "roads.gpkg: the format stores text as UTF-8; the chosen encoding GBK was not used",
        "towns.shp: CGCS2000 / 3-degree GK zone 40 (EPSG:4528) coordinates converted to WGS 84 (EPSG:4326)",
        "towns.shp: the file states no coordinate system; read as CGCS2000 (EPSG:4490), as given",
        "towns.shp: no .prj; read as CGCS2000 / 3-degree GK zone 40 (EPSG:4528) from its coordinates",
        "towns.geojson: no coordinate system in the file; read as WGS 84 (EPSG:4326) from its coordinates",
        "scenario 方案一: 2 changes to facilities no longer in the list (same id, class and name) were dropped (A …)",
        "1 planned facility of the old list is not in the new one; the plan scenarios keep it (新建日照)",
    ]
    left = {line: warning_text(line) for line in lines if english_in([("warning", warning_text(line))])}
    assert not left, "\n".join(f"{k}\n  -> {v}" for k, v in left.items())
    names = {"beds-1000": "每千名老人床位28.5张"}
    text = warning_text("target beds-1000 counts per registered elderly, the data hold resident elderly: its figure is not "
                        "strictly comparable", target_names=names)
    assert "每千名老人床位28.5张" in text and not english_in([("w", text)])


def test_every_progress_step_has_a_chinese_text(zh):
    from gui.i18n import step_text

    steps = ["analysis", "building the walking network", "changed areas: day_care", "checking the layers against each other",
             "circle polygons", "circle polygons: elder_station", "coverage", "coverage: 补点方案", "demand", "done", "export",
             "gap areas", "inputs ready", "layer ready", "reading communities", "reading facilities", "reading population",
             "reading roads", "reading the project", "reading townships", "scenario 补点方案", "walking circles",
             "facility circles"]
    left = {s: step_text(s) for s in steps if english_in([("step", step_text(s))])}
    assert not left, left


def test_error_messages_in_chinese_with_the_english_behind(zh):
    line, detail = error_text("设施清单.csv, row 2, column 经度: longitude (经度) must be a number of degrees, got '东经'")
    assert line.startswith("设施清单.csv，第 2 行，“经度”列：") and not english_in([("e", line)]) and detail == ""
    line, detail = error_text("ValueError: something broke")
    assert not english_in([("e", line)]) and detail == "ValueError: something broke"
    line, detail = error_text("x.gpkg: a message nobody translated yet")
    assert line.startswith("x.gpkg：") and not english_in([("e", line)]) and "nobody translated" in detail


# -- the window --------------------------------------------------------------------------------------------

def _facility_point(win):
    fac = win.workspace.layer("facilities").frame
    return fac.geometry.iloc[0]


def test_main_window_docks_tables_and_dialogs_show_no_english(win, qtbot, monkeypatch):
    texts: list[tuple[str, str]] = []
    # every dock in turn (tabified docks show one at a time)
    for key, dock in win.docks.items():
        dock.show()
        dock.raise_()
        qtbot.wait(10)
        texts += [(f"{key}/{k}", t) for k, t in visible_texts(dock)]
    texts += [("window/" + k, t) for k, t in visible_texts(win)]
    texts.append(("toolbar", " ".join(tb.windowTitle() for tb in win.findChildren(QtWidgets.QToolBar))))
    # identify a facility
    pt = _facility_point(win)
    win.canvas.zoom_to_bounds(tuple(pt.buffer(500).bounds))
    win.identify_at(pt.x + 2.0, pt.y + 2.0)
    assert win.identify_panel.table.rowCount() > 0
    texts += [("identify/" + k, t) for k, t in visible_texts(win.identify_panel)]
    # the attribute table of every vector layer
    panel = win.layer_panel
    for i in range(panel.tree.topLevelItemCount()):
        item = panel.tree.topLevelItem(i)
        lyr = win.workspace.layer(item.data(0, QtCore.Qt.ItemDataRole.UserRole))
        if lyr is None or lyr.frame is None:
            continue
        panel.tree.setCurrentItem(item)
        table = win.open_attribute_table()
        assert table is not None
        texts += [(f"attributes {lyr.id}/{k}", t) for k, t in visible_texts(table)]
        table.close()
    # the facility form (OK/Cancel from Qt's own translations)
    form = FacilityDialog(win, title=tr("form.title_add"))
    form.show()
    texts += [("facility form/" + k, t) for k, t in visible_texts(form)]
    form.reject()
    # the about box
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "about", staticmethod(lambda parent, title, text: shown.append((title, text))))
    win.show_about()
    texts += [("about", t) for pair in shown for t in pair]
    left = english_in(texts)
    assert not left, "\n".join(f"{w}: {where}" for w, where in sorted(left.items()))


def test_qt_standard_dialogs_in_chinese(zh, qtbot, tmp_path):
    """Qt's own texts: the save-changes question's buttons, the file dialog's labels (qtbase_zh_CN, and the few
    strings it lacks: gui.i18n.QT_GAPS_ZH, installed by gui.app.use_qt_translations)."""
    texts: list[tuple[str, str]] = []
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, tr("save.title"), tr("save.ask"),
                                QtWidgets.QMessageBox.StandardButton.Save | QtWidgets.QMessageBox.StandardButton.Discard
                                | QtWidgets.QMessageBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    box.show()
    texts += [("save question/" + k, t) for k, t in visible_texts(box)]
    labels = [b.text() for b in box.buttons()]
    assert len(labels) == 3 and all(re.search(r"[\u4e00-\u9fff]", t) for t in labels), labels  # 保存/放弃/取消, never blank
    box.reject()
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    fd = QtWidgets.QFileDialog(None, tr("action.open_project"), str(empty), file_filter("ccproj"))
    qtbot.addWidget(fd)
    fd.setOption(QtWidgets.QFileDialog.Option.DontUseNativeDialog)
    fd.show()
    qtbot.wait(50)
    # the folders and files listed are the disk's, not interface text: the views' headers count, not their rows
    views = tuple(fd.findChildren(QtWidgets.QAbstractItemView))
    texts += [("file dialog/" + k, t) for k, t in visible_texts(fd, skip=views)]
    texts += [("file dialog/" + type(v).__name__, t) for v in views if v.isVisible() and v.model() is not None
              for _k, t in _model_texts(v.model(), "view", skip_cells=True)]
    fd.reject()
    assert any(t.startswith("GeoPackage") or "CareCircle 项目文件" in t for _k, t in texts)
    left = english_in(texts)
    assert not left, "\n".join(f"{w}: {where}" for w, where in sorted(left.items()))


def test_comparison_dialog_shows_labels_not_codes(win, qtbot):
    win.ask_save_changes = lambda: QtWidgets.QMessageBox.StandardButton.Discard  # the test leaves edits unsaved
    assert win.new_scenario("补点方案") == "补点方案"
    pt = _facility_point(win)
    win.add_facility_at(pt.x + 800.0, pt.y + 800.0, name="新建日间照料中心", type="day_care")
    with qtbot.waitSignal(win.comparisonFinished, timeout=RUN_MS):
        win.compare_with_baseline()
    dialog = win.compare_dialog
    qtbot.waitExposed(dialog)
    texts = visible_texts(dialog)
    left = english_in(texts)
    assert not left, "\n".join(f"{w}: {where}" for w, where in sorted(left.items()))
    heads = [dialog.model.headerData(c, QtCore.Qt.Orientation.Horizontal) for c in range(dialog.model.columnCount())]
    assert not any("_" in h for h in heads)
    shown = {dialog.model.index(r, dialog.model.column_of("type")).data() for r in range(dialog.model.rowCount())}
    assert "日间照料中心" in shown and "day_care" not in shown
    # covered elderly as whole people, changes with their sign
    col = dialog.model.column_of("base_covered")
    assert all("." not in dialog.model.index(r, col).data() for r in range(dialog.model.rowCount()))
    changed = [r for r in range(dialog.model.rowCount()) if dialog.model.change(r)]
    assert changed and all(dialog.model.index(r, dialog.model.column_of("delta_pp")).data().startswith("+") for r in changed)
    dialog.close()


def test_import_dialog_shows_no_english(win, qtbot):
    dialog = win.new_project()
    qtbot.waitExposed(dialog)
    texts = visible_texts(dialog)
    dialog.set_file("roads", SAMPLE / "roads.gpkg")
    dialog.set_file("townships", SAMPLE / "townships.gpkg")
    dialog.set_file("facilities", SAMPLE / "facilities.csv")
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=LOAD_MS)
    for layer in ("roads", "townships", "facilities"):
        dialog.select_layer(layer)
        page = dialog.pages[layer]
        # the preview of the planner's file, the headers, sheets and layers it offers are data, not interface text
        pv = dialog.preview(layer)
        own = (*pv.headers, *pv.layers, *pv.sheets) if pv is not None else ()
        texts += [(f"import {layer}/{k}", t) for k, t in visible_texts(dialog, skip=(page.table,))
                  if not (k.endswith("item") and t in own)]
    left = english_in(texts)
    dialog.reject()
    assert not left, "\n".join(f"{w}: {where}" for w, where in sorted(left.items()))


def test_profiles_shown_by_their_titles(win):
    combo = win.analysis_panel.profile
    shown = [combo.itemText(i) for i in range(combo.count())]
    assert "南通 2014" in shown and not any("-20" in s for s in shown)
    assert combo.currentText() == win.doc.settings.profile.name  # code still speaks names
    assert "南通" in combo.itemData(combo.findText("nantong-2014"), QtCore.Qt.ItemDataRole.ToolTipRole)


def test_error_dialog_in_chinese(win, qtbot, tmp_path):
    """A bad file's error dialog: one Chinese line naming the file, row and column (needs MainWindow.show_error to
    build its box with gui.warnings_panel.show_error_box)."""
    bad = tmp_path / "设施清单.csv"
    bad.write_text("名称,类型,经度,纬度\n某中心,日间照料中心,东经,32.3\n", encoding="utf-8")
    with qtbot.waitSignal(win.errorShown, timeout=LOAD_MS):
        win.load_layer_file("facilities", bad)
    box = win.last_error_dialog
    assert "设施清单.csv" in box.text() and "第 2 行" in box.text()
    assert all(re.search(r"[\u4e00-\u9fff]", b.text()) for b in box.buttons())  # 确定 (and 显示详情…), never blank
    left = english_in(visible_texts(box))
    box.accept()
    assert not left, "\n".join(f"{w}: {where}" for w, where in sorted(left.items()))


def test_english_mode_still_english(win):
    win.set_language("en")
    try:
        assert win.analysis_panel.profile.itemText(win.analysis_panel.profile.findText("nantong-2014")) == "nantong-2014"
        assert win.results.model.headerData(0, QtCore.Qt.Orientation.Horizontal) == "Township"
        col = win.results.model.column_of("type")
        types = {win.results.model.index(r, col).data() for r in range(win.results.model.rowCount())}
        assert "Day-care centre" in types and "日间照料中心" not in types
    finally:
        win.set_language("zh")


def test_print_layout_dialog_shows_no_english(win, qtbot):
    dialog = win.open_print_layout()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    texts = [("print layout/" + k, t) for k, t in visible_texts(dialog)]
    assert any("制图单位" in t for _, t in texts)
    left = english_in(texts)
    dialog.reject()
    assert not left, "\n".join(f"{w}: {where}" for w, where in sorted(left.items()))
