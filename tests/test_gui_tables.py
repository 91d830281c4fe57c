"""Results table, attribute table and identify panel (hand-made frames, offscreen Qt)."""
import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtGui  # noqa: E402

from gui.i18n import set_language  # noqa: E402
from gui.tables import (  # noqa: E402
    FLAG_COLOR,
    AttributeTable,
    CoverageTableModel,
    DataFrameModel,
    IdentifyPanel,
    ResultsTable,
    format_flag,
    format_value,
)

Qt = QtCore.Qt


@pytest.fixture
def english():
    set_language("en")
    yield
    set_language("zh")


def coverage_df() -> pd.DataFrame:
    rows = [
        # township, type, elderly, covered, share, facilities, beds, nursing, per 1000, nursing share, flags
        ("如城街道", "day_care", 12000.0, 11400.0, 0.95, 3, 0, 0, 0.0, math.nan, ""),
        ("如城街道", "nursing_home", 12000.0, 12000.0, 1.0, 2, 118, 47, 9.83, 0.3983,
         "beds_per_1000_low;nursing_share_low"),
        ("如城街道", "meal_point", 12000.0, 6000.0, 0.5, 4, 0, 0, 0.0, math.nan, "meal_point_gap"),
        ("白蒲镇", "day_care", 8000.0, 2568.0, 0.321, 1, 0, 0, 0.0, math.nan, "day_care_coverage_low"),
        ("白蒲镇", "nursing_home", 8000.0, 7200.0, 0.9, 1, 320, 200, 40.0, 0.625, ""),
        ("白蒲镇", "meal_point", 0.0, 0.0, math.nan, 0, 0, 0, math.nan, math.nan, ""),
    ]
    cols = ["township", "type", "elderly", "elderly_covered", "covered_share", "facilities", "beds",
            "nursing_beds", "beds_per_1000", "nursing_share", "flags"]
    return pd.DataFrame(rows, columns=cols)


def indicators_df() -> pd.DataFrame:
    rows = [
        ("如城街道", "nursing_home", "beds_per_1000_low", "beds_per_1000", 28.5, 9.83, 18.67),
        ("如城街道", "nursing_home", "nursing_share_low", "nursing_share", 0.55, 0.3983, 0.1517),
        ("如城街道", "meal_point", "meal_point_gap", "units_met", 3.0, 1.0, 2.0),
        ("白蒲镇", "day_care", "day_care_coverage_low", "covered_share", 0.9, 0.321, 0.579),
    ]
    return pd.DataFrame(rows, columns=["township", "type", "flag", "indicator", "target", "actual", "gap"])


def headers(model) -> list[str]:
    return [model.headerData(c, Qt.Horizontal) for c in range(model.columnCount())]


def cell(model, row: int, column: str, role=Qt.DisplayRole):
    if hasattr(model, "sourceModel"):
        col = model.sourceModel().column_of(column)
    else:
        col = model.column_of(column)
    return model.index(row, col).data(role)


@pytest.fixture
def results(qtbot):
    w = ResultsTable()
    qtbot.addWidget(w)
    w.set_results(coverage_df(), indicators_df())
    w.resize(900, 400)
    w.show()
    qtbot.waitExposed(w)
    return w


def click_row(qtbot, view, proxy_row: int, column: int = 0) -> None:
    idx = view.model().index(proxy_row, column)
    view.scrollTo(idx)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.visualRect(idx).center())


# -- formatting ----------------------------------------------------------------------------------
def test_format_value_rules():
    assert format_value("covered_share", 0.321) == "32.1%"
    assert format_value("nursing_share", 1.0) == "100.0%"
    assert format_value("elderly", 12345.67) == "12,346"  # people are whole people
    assert format_value("elderly", 41431.0) == "41,431"
    assert format_value("elderly_covered", 11077.0) == "11,077"
    assert format_value("share_day_care", 0.2674) == "26.7%"
    assert format_value("minutes", 15.0) == "15"
    assert format_value("area_ha", 3.06) == "3.1"
    assert format_value("beds", 12345) == "12,345"
    assert format_value("fid", 12345) == "12345"
    assert format_value("beds_per_1000", math.nan) == "–"
    assert format_value("name", "白蒲镇") == "白蒲镇"
    assert format_value("name", None) == ""


def test_format_flag_zh_and_en(english):
    assert format_flag("beds_per_1000_low", "beds_per_1000", 28.5, 9.83) == "beds per 1,000 low (9.8 < 28.5)"
    assert format_flag("meal_point_gap", "units_met", 3.0, 1.0) == "meal-point gap (1/3)"  # communities meeting it / all
    set_language("zh")
    assert format_flag("day_care_coverage_low", "covered_share", 0.9, 0.321) == "日间照料中心覆盖率不足 (32.1% < 90.0%)"
    assert format_flag("no_day_care", "present_in_every", 1.0, 0.0) == "无日间照料中心"


# -- DataFrameModel ------------------------------------------------------------------------------
def test_dataframe_model_values_and_raw(qtbot):
    df = pd.DataFrame({"name": ["a", "b"], "beds": [1200, 35], "elderly": [1234.56, 7.0],
                       "nursing_share": [0.4567, math.nan]}, index=[10, 20])
    m = DataFrameModel(df, headers={"beds": "床位"})
    assert (m.rowCount(), m.columnCount()) == (2, 4)
    assert headers(m) == ["名称", "床位", "老年人口", "护理型占比"]  # given headers first, else the field's label
    assert cell(m, 0, "beds") == "1,200"
    assert cell(m, 0, "beds", Qt.UserRole) == 1200
    assert cell(m, 0, "elderly") == "1,235"
    assert cell(m, 0, "elderly", Qt.UserRole) == 1234.56
    assert cell(m, 0, "nursing_share") == "45.7%"
    assert cell(m, 1, "nursing_share") == "–"
    assert cell(m, 0, "beds", Qt.TextAlignmentRole) & int(Qt.AlignRight)
    assert m.row_record(1)["beds"] == 35 and type(m.row_record(1)["beds"]) is int
    assert m.row_record(0) == {"name": "a", "beds": 1200, "elderly": 1234.56, "nursing_share": 0.4567}
    assert m.index_label(1) == 20
    m.set_frame(df.iloc[:1])
    assert m.rowCount() == 1


def test_dataframe_model_sorts_itself_missing_last(qtbot):
    df = pd.DataFrame({"name": ["b", "A", None, "c"], "v": [2.5, math.nan, 10.0, -1.0]})
    m = DataFrameModel(df)
    m.sort(1, Qt.DescendingOrder)
    assert [m.raw(r, "v") for r in range(3)] == [10.0, 2.5, -1.0] and math.isnan(m.raw(3, "v"))
    assert m.index_label(0) == 2 and m.row_record(0)["v"] == 10.0
    m.sort(1, Qt.AscendingOrder)
    assert [m.raw(r, "v") for r in range(3)] == [-1.0, 2.5, 10.0]
    m.sort(0, Qt.AscendingOrder)  # text, case-insensitive, missing last
    assert [m.raw(r, "name") for r in range(4)] == ["A", "b", "c", None]
    m.set_frame(df.iloc[:2])      # the sort survives new data
    assert [m.raw(r, "name") for r in range(2)] == ["A", "b"]
    m.sort(-1)
    assert [m.raw(r, "name") for r in range(2)] == ["b", "A"]


# -- CoverageTableModel --------------------------------------------------------------------------
def test_coverage_model_headers_types_flags_zh_then_en(qtbot):
    m = CoverageTableModel()
    m.set_results(coverage_df(), indicators_df())
    assert m.rowCount() == 6
    hs = headers(m)
    assert hs[:5] == ["乡镇/街道", "设施类型", "老年人口", "覆盖老人", "覆盖率"]
    assert hs[-1] == "未达标项"
    assert cell(m, 0, "type") == "日间照料中心"
    assert cell(m, 0, "covered_share") == "95.0%"
    assert cell(m, 0, "elderly") == "12,000" and cell(m, 0, "elderly_covered") == "11,400"
    assert cell(m, 1, "flags") == "千人床位不足 (9.8 < 28.5)；护理型床位占比不足 (39.8% < 55.0%)"
    assert cell(m, 2, "flags") == "社区助餐缺口 (1/3)"
    assert cell(m, 3, "flags") == "日间照料中心覆盖率不足 (32.1% < 90.0%)"
    # a class without beds (助餐点) shows no bed figures; a class with beds shows its own, zeros included
    assert [cell(m, 2, c) for c in ("beds", "nursing_beds", "beds_per_1000", "nursing_share")] == ["—"] * 4
    assert cell(m, 2, "beds", Qt.UserRole) == 0
    assert cell(m, 0, "beds") == "0" and cell(m, 1, "beds") == "118"
    assert cell(m, 0, "flags") == ""
    # raw values stay raw
    assert cell(m, 1, "flags", Qt.UserRole) == "beds_per_1000_low;nursing_share_low"
    assert cell(m, 3, "covered_share", Qt.UserRole) == pytest.approx(0.321)

    changed = []
    m.headerDataChanged.connect(lambda *a: changed.append(a))
    set_language("en")
    try:
        m.retranslate()
        assert changed
        hs = headers(m)
        assert hs[:3] == ["Township", "Facility type", "Elderly"]
        assert hs[-2:] == ["Nursing share", "Flags"]
        assert cell(m, 1, "type") == "Care home"
        assert cell(m, 1, "flags") == "beds per 1,000 low (9.8 < 28.5); nursing-bed share low (39.8% < 55.0%)"
        assert cell(m, 3, "flags") == "day-care centre coverage low (32.1% < 90.0%)"
    finally:
        set_language("zh")


def test_county_total_rows_are_shown_in_bold(qtbot):
    df = coverage_df()
    total = df[df["type"] == "day_care"].iloc[[0]].assign(township="合计", elderly=20000.0, elderly_covered=13968.0,
                                                          covered_share=0.6984, flags="")
    m = CoverageTableModel()
    m.set_results(pd.concat([df, total], ignore_index=True), indicators_df())
    row = m.rowCount() - 1
    assert m.is_total(row) and not m.is_total(0)
    assert cell(m, row, "township") == "合计" and cell(m, row, "elderly") == "20,000"
    assert cell(m, row, "township", Qt.FontRole).bold() and cell(m, row, "elderly", Qt.FontRole).bold()
    assert cell(m, 0, "elderly", Qt.FontRole) is None
    set_language("en")
    try:
        assert cell(m, row, "township") == "Total"
    finally:
        set_language("zh")


def test_flagged_rows_red_and_bold_share_tinted(qtbot):
    m = CoverageTableModel()
    m.set_results(coverage_df(), indicators_df())
    for row in (1, 2, 3):
        brush = cell(m, row, "flags", Qt.ForegroundRole)
        assert isinstance(brush, QtGui.QBrush)
        assert brush.color() == QtGui.QColor(FLAG_COLOR)
        assert cell(m, row, "flags", Qt.FontRole).bold()
    for row in (0, 4, 5):
        assert cell(m, row, "flags", Qt.ForegroundRole) is None
        assert cell(m, row, "flags", Qt.FontRole) is None
    low = cell(m, 3, "covered_share", Qt.BackgroundRole).color()   # 32.1 %
    high = cell(m, 1, "covered_share", Qt.BackgroundRole).color()  # 100 %
    # the map's colour-blind-safe choropleth classes, never a red-to-green ramp
    from layers.styling import share_colour

    assert low.rgb() == QtGui.QColor(share_colour(0.321)).rgb() and high.rgb() == QtGui.QColor(share_colour(1.0)).rgb()
    assert low.lightness() > high.lightness()  # light = low coverage, as on the map
    assert cell(m, 5, "covered_share", Qt.BackgroundRole) is None  # no elderly: no share


# -- ResultsTable --------------------------------------------------------------------------------
def test_results_table_rows_and_headers(results):
    assert results.row_count() == 6
    proxy = results.view.model()
    assert proxy.headerData(0, Qt.Horizontal) == "乡镇/街道"
    assert results.type_combo.count() == 4  # all + three types
    assert results.type_combo.itemText(1) == "日间照料中心"


def test_results_table_retranslate(results):
    set_language("en")
    try:
        results.retranslate()
        assert results.view.model().headerData(0, Qt.Horizontal) == "Township"
        assert results.type_combo.itemText(2) == "Care home"
        assert cell(results.proxy, 3, "flags") == "day-care centre coverage low (32.1% < 90.0%)"
    finally:
        set_language("zh")
        results.retranslate()
    assert results.view.model().headerData(0, Qt.Horizontal) == "乡镇/街道"


def test_results_sort_covered_share_numerically(results):
    proxy = results.proxy
    col = results.model.column_of("covered_share")
    results.view.sortByColumn(col, Qt.DescendingOrder)
    shares = [proxy.index(r, col).data(Qt.UserRole) for r in range(proxy.rowCount())]
    assert shares[0] == 1.0 and proxy.index(0, col).data() == "100.0%"   # text sort would put 95.0% first
    assert shares[:5] == [1.0, 0.95, 0.9, 0.5, 0.321]
    assert math.isnan(shares[5])                                         # missing last
    results.view.sortByColumn(col, Qt.AscendingOrder)
    shares = [proxy.index(r, col).data(Qt.UserRole) for r in range(proxy.rowCount())]
    assert shares[:5] == [0.321, 0.5, 0.9, 0.95, 1.0] and math.isnan(shares[5])
    # integers too: beds 0,0,0,0,118,320 ascending -> 320 last
    bcol = results.model.column_of("beds")
    results.view.sortByColumn(bcol, Qt.DescendingOrder)
    assert proxy.index(0, bcol).data() == "320"
    assert proxy.index(0, results.model.column_of("township")).data() == "白蒲镇"


def test_selection_follows_row_when_sorting_and_sort_survives_new_results(qtbot, results):
    assert results.select_township("白蒲镇")
    col = results.model.column_of("covered_share")
    results.view.sortByColumn(col, Qt.DescendingOrder)
    assert results.selected_township() == "白蒲镇"
    row = results.view.selectionModel().selectedRows()[0].row()
    assert results.proxy.index(row, col).data() == "32.1%"  # the first 白蒲镇 row (day care) moved along
    results.set_results(coverage_df(), indicators_df())
    assert results.proxy.index(0, col).data() == "100.0%"
    results.view.sortByColumn(-1, Qt.AscendingOrder)
    assert cell(results.proxy, 0, "township") == "如城街道" and cell(results.proxy, 0, "type") == "日间照料中心"


def test_click_row_emits_township(qtbot, results):
    with qtbot.waitSignal(results.townshipActivated, timeout=2000) as blocker:
        click_row(qtbot, results.view, 3)
    assert blocker.args == ["白蒲镇"]
    assert results.selected_township() == "白蒲镇"
    # clicking the already selected row again re-activates it (exactly once)
    seen = []
    results.townshipActivated.connect(seen.append)
    click_row(qtbot, results.view, 3, column=2)
    assert seen == ["白蒲镇"]
    # a new row: exactly one emission
    click_row(qtbot, results.view, 0)
    assert seen == ["白蒲镇", "如城街道"]


def test_keyboard_selection_emits_township(qtbot, results):
    view = results.view
    with qtbot.waitSignal(results.townshipActivated, timeout=2000) as blocker:
        view.selectionModel().setCurrentIndex(
            results.proxy.index(4, 0), QtCore.QItemSelectionModel.ClearAndSelect | QtCore.QItemSelectionModel.Rows)
    assert blocker.args == ["白蒲镇"]


def test_select_township_is_silent(qtbot, results):
    with qtbot.assertNotEmitted(results.townshipActivated):
        assert results.select_township("白蒲镇")
    assert results.selected_township() == "白蒲镇"
    assert not results.select_township("不存在镇")
    assert results.selected_township() is None


def test_filters_narrow_rows(qtbot, results):
    results.filter_edit.setText("白蒲")
    assert results.row_count() == 3
    assert {cell(results.proxy, r, "township") for r in range(3)} == {"白蒲镇"}
    results.set_type_filter("nursing_home")
    assert results.row_count() == 1
    assert cell(results.proxy, 0, "beds") == "320"
    results.filter_edit.clear()
    assert results.row_count() == 2
    results.set_type_filter(None)
    assert results.row_count() == 6
    results.filter_edit.setText("nowhere")
    assert results.row_count() == 0


def test_set_results_again_replaces(results):
    results.set_results(coverage_df().iloc[:3], indicators_df())
    assert results.row_count() == 3
    results.set_results(None, None)
    assert results.row_count() == 0


# -- AttributeTable ------------------------------------------------------------------------------
def facilities_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"fid": ["F1", "F2", "F3"], "name": ["如城敬老院", "白蒲日照中心", "丁堰助餐点"],
         "type": ["nursing_home", "day_care", "meal_point"], "beds": [1200, 0, 0]},
        geometry=[Point(120.57, 32.37), Point(120.73, 32.27), Point(120.65, 32.31)],
        index=[7, 8, 9], crs="EPSG:4326",
    )


def test_attribute_table_hides_geometry_and_emits_index(qtbot):
    dlg = AttributeTable("养老设施", facilities_gdf())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert not dlg.isModal()
    assert dlg.windowTitle() == "养老设施"
    assert dlg.model.columns() == ["fid", "name", "type", "beds"]
    assert "geometry" not in headers(dlg.model)
    assert dlg.feature_count() == 3
    assert "3" in dlg.count_label.text()
    assert cell(dlg.model, 0, "beds") == "1,200"
    with qtbot.waitSignal(dlg.featureActivated, timeout=2000) as blocker:
        click_row(qtbot, dlg.view, 1)
    assert blocker.args == [8]
    # sorted by name, the clicked row still maps to its own feature
    dlg.view.sortByColumn(dlg.model.column_of("beds"), Qt.DescendingOrder)
    with qtbot.waitSignal(dlg.featureActivated, timeout=2000) as blocker:
        click_row(qtbot, dlg.view, 0)
    assert blocker.args == [7]
    with qtbot.assertNotEmitted(dlg.featureActivated):
        assert dlg.select_feature(9)


# -- IdentifyPanel -------------------------------------------------------------------------------
def test_identify_panel_shows_and_clears(qtbot):
    panel = IdentifyPanel()
    qtbot.addWidget(panel)
    assert panel.title_text() == "此处没有要素"
    assert panel.table.rowCount() == 0
    rec = facilities_gdf().iloc[0].to_dict()
    panel.show_feature("养老设施", rec)
    assert panel.title_text() == "养老设施 — 如城敬老院"
    assert panel.table.rowCount() == 4  # geometry left out
    assert panel.value_text("beds") == "1,200"
    assert panel.value_text("type") == "养老机构"  # codes by their labels, fields by their names
    assert panel.value_text("geometry") is None
    assert [panel.table.item(r, 0).text() for r in range(4)] == ["编号", "名称", "设施类型", "床位数"]
    assert panel.table.item(2, 1).data(Qt.UserRole) == "nursing_home"
    panel.show_feature("养老设施", facilities_gdf().iloc[2].to_dict())  # 助餐点: no beds
    assert panel.value_text("type") == "助餐点" and panel.value_text("beds") == "—"
    panel.show_feature("社区/村", {"name": "万寿社区", "kind": "urban", "elderly": 1570.0})
    assert panel.value_text("kind") == "社区" and panel.value_text("elderly") == "1,570"
    panel.show_feature("养老设施", {"fid": "P1", "name": "新建", "type": "day_care", "status": "to_close"})
    assert panel.value_text("status") == "拟关闭"
    panel.show_feature("乡镇", {"name": "白蒲镇", "covered_share": 0.321}, labels={"covered_share": "覆盖率"})
    assert panel.value_text("covered_share") == "32.1%"
    assert panel.table.item(1, 0).text() == "覆盖率"
    panel.clear()
    assert panel.title_text() == "此处没有要素"
    assert panel.table.rowCount() == 0
    set_language("en")
    try:
        panel.retranslate()
        assert panel.title_text() == "No feature here"
    finally:
        set_language("zh")
