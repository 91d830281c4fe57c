"""Bureau tables as they come: totals/notes/unit rows, text encodings, the wrong sheet, uncached formulas,
bureau header names and the user's own column choice (layers.tables, tasks A1-A6)."""
from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

import openpyxl
import pytest

import layers.tables as tables
from layers.errors import InputError
from layers.tables import (
    ELDERLY_ALIASES,
    TOWNSHIP_CODE_EXTRA,
    TOWNSHIP_NAME_EXTRA,
    Table,
    WrongSheetError,
    find_column,
    normalize_encoding,
    normalize_header,
    read_table,
)

TOWN_EXPECT = ("乡镇", "名称", "老年人口", "elderly") + TOWNSHIP_NAME_EXTRA


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = book.active if first else book.create_sheet(title)
        sheet.title = title
        first = False
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
    book.save(path)
    return path


# ------------------------------------------------------------------------------------------ A1 rows that are not data


def test_totals_notes_and_unit_rows_are_skipped_and_recorded(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "elderly.xlsx", {"Sheet1": [
        ["如皋市各镇（街道）老年人口统计表"],                        # 1 title
        ["序号", "乡镇", "老年人口", "床位"],                          # 2 header
        [None, None, "（人）", "(张)"],                              # 3 unit row
        [1, "如城街道", 51234, 300],                                 # 4
        [2, "九华镇", 20345, 120],                                   # 5
        [None, "小 计", 71579, 420],                                 # 6 subtotal
        [3, "石庄镇", 18000, 80],                                    # 7
        [None, "全县合计", 89579, 500],                              # 8 totals in the 2nd column
        ["合　计", None, 89579, 500],                                # 9 full-width space
        ["Total", None, 89579, 500],                                 # 10
        ["注：老年人口指60周岁及以上常住人口。"],                     # 11 note
        ["填表人：张三", None, "审核人：李四"],                      # 12 signature line
        ["数据来源：第七次全国人口普查"],                             # 13
    ]})
    table = read_table(path, expect=TOWN_EXPECT, what="elderly table")
    assert table.header_row == 2
    assert [r for r, _ in table.rows] == [4, 5, 7]
    assert table.column("乡镇") == [(4, "如城街道"), (5, "九华镇"), (7, "石庄镇")]
    skipped = dict(table.skipped)
    assert skipped[3] == "unit row"
    assert skipped[6] == "totals row 小 计"
    assert skipped[8] == "totals row 全县合计"
    assert skipped[9].startswith("totals row 合")
    assert skipped[10] == "totals row Total"
    assert skipped[11].startswith("note 注：")
    assert skipped[12].startswith("note 填表人")
    assert skipped[13].startswith("note 数据来源")
    assert sorted(skipped) == [3, 6, 8, 9, 10, 11, 12, 13]
    assert len(table.notes) == 1
    note = table.notes[0]
    assert note.startswith("elderly.xlsx: 8 row(s) not read as data:") and "row 8 (totals row 全县合计)" in note
    assert "\n" not in note
    assert table.sheet == "Sheet1"


def test_totals_rows_in_csv_including_national_rows_and_full_width_words(tmp_path: Path) -> None:
    # the layout of the 2020 census county table (leiii/census): a 全国 row above the counties
    path = tmp_path / "census.csv"
    path.write_text(
        "区划代码,省,市,区县,60岁及以上\n"
        "NA,全国,全国,全国,264018766\n"
        "320682,江苏省,南通市,如皋市,386019\n"
        "320623,江苏省,南通市,如东县,323530\n"
        ",ＴＯＴＡＬ,,,709549\n"
        "总计：,,,,709549\n",
        encoding="utf-8",
    )
    table = read_table(path, expect=("区县", "60岁及以上"))
    assert [r for r, _ in table.rows] == [3, 4]
    assert [reason for _, reason in table.skipped] == ["totals row 全国", "totals row ＴＯＴＡＬ", "totals row 总计："]


def test_rows_that_only_look_like_totals_or_units_are_data(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    # a name containing 合计 is no totals row; a unit-like row below the data is not skipped
    path.write_text("名称,人数\n合计村,12\n城关镇,7\n(人),3\n", encoding="utf-8")
    table = read_table(path, expect=("名称",))
    assert [v[0] for _, v in table.rows] == ["合计村", "城关镇", "(人)"]
    assert table.skipped == () and table.notes == ()


def test_column_number_row_under_the_header_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("乡镇,代码,老年人口,床位\n甲,乙,1,2\n如城街道,320682001,51234,300\n", encoding="utf-8")
    table = read_table(path, expect=("乡镇",))
    assert [r for r, _ in table.rows] == [3]
    assert table.skipped == ((2, "column-number row"),)


def test_a_table_of_totals_only_has_no_data_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("乡镇,老年人口\n合计,51234\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_table(path, expect=("乡镇",))
    assert str(info.value) == "t.csv, row 1: the table has a header row but no data rows (not data: row 2 (totals row 合计))"


def test_table_fields_keep_their_defaults() -> None:
    table = Table(path=Path("x.csv"), headers=("a",), header_row=1, rows=((2, ("1",)),))
    assert table.skipped == () and table.notes == () and table.sheet is None


# ------------------------------------------------------------------------------------------ A2 encodings


def test_excel_unicode_text_utf16_le_and_be_with_bom(tmp_path: Path) -> None:
    text = "乡镇\t老年人口\r\n如城街道\t51234\r\n九华镇\t20345\r\n"
    le = tmp_path / "unicode.txt"
    le.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    be = tmp_path / "unicode_be.txt"
    be.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    for path in (le, be):
        table = read_table(path, expect=("乡镇",))
        assert table.headers == ("乡镇", "老年人口")
        assert table.column("乡镇") == [(2, "如城街道"), (3, "九华镇")]
    assert read_table(le, encoding="utf-16").column("老年人口") == [(2, "51234"), (3, "20345")]


def test_utf16_without_bom_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "nobom.csv"
    path.write_bytes("name,elderly\nRucheng,51234\n如城,3\n".encode("utf-16-le"))
    assert read_table(path).column("name") == [(2, "Rucheng"), (3, "如城")]


@pytest.mark.parametrize("choice", ["gbk", "GBK", "gb18030", "GB2312", "cp936"])
def test_explicit_gbk_choice(tmp_path: Path, choice: str) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("乡镇,老年人口\n如城街道,51234\n".encode("gbk"))
    assert read_table(path, encoding=choice).column("乡镇") == [(2, "如城街道")]


def test_explicit_big5_choice(tmp_path: Path) -> None:
    path = tmp_path / "big5.csv"
    path.write_bytes("鄉鎮,老年人口\n如城街道,51234\n".encode("big5"))
    assert read_table(path, encoding="big5").headers == ("鄉鎮", "老年人口")


def test_explicit_utf8_on_a_gbk_file_names_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("乡镇,老年人口\n如城街道,51234\n".encode("gbk"))
    with pytest.raises(InputError) as info:
        read_table(path, encoding="utf-8")
    message = str(info.value)
    assert message.startswith("gbk.csv: the file is not UTF-8 text") and "choose gb18030" in message


def test_explicit_gbk_on_a_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("乡镇,老年人口\n如城街道,51234\n", encoding="utf-8")
    with pytest.raises(InputError, match="u.csv: the file is UTF-8 text, not GBK; choose utf-8"):
        read_table(path, encoding="gbk")
    with pytest.raises(InputError, match="not Big5"):
        read_table(path, encoding="big5")


def test_explicit_utf16_on_a_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("乡镇,老年人口\n如城街道,51234\n九华镇,20345\n", encoding="utf-8")
    with pytest.raises(InputError, match="u.csv: the file is not UTF-16 text"):
        read_table(path, encoding="utf-16")


def test_explicit_gbk_on_a_utf16_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "乡镇\t老年人口\r\n如城街道\t1\r\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="UTF-16 .*not GBK; choose utf-16"):
        read_table(path, encoding="gbk")


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"u.csv: unknown text encoding 'latin-9'; choose one of utf-8, gb18030, gbk, utf-16, big5"):
        read_table(path, encoding="latin-9")
    assert normalize_encoding("UTF8") == "utf-8" and normalize_encoding("Unicode") == "utf-16"


def test_encoding_choice_does_not_matter_for_xlsx(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "t.xlsx", {"Sheet1": [["乡镇", "老年人口"], ["如城街道", 51234]]})
    assert read_table(path, encoding="gbk").column("乡镇") == [(2, "如城街道")]


# ------------------------------------------------------------------------------------------ A3 sheets


def test_no_sheet_named_lists_the_sheets(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"说明": [["本表为示例"]], "2023年": [["名称", "经度"], ["a", 120.5]]})
    with pytest.raises(InputError) as info:
        read_table(path, sheet="2024年")
    assert str(info.value) == "f.xlsx: no sheet named '2024年'; sheets are: 说明, 2023年"
    # a name typed with stray spaces or full-width digits still finds its sheet
    assert read_table(path, sheet=" ２０２３年 ", expect=("名称",)).sheet == "2023年"


def test_the_list_on_another_sheet_is_named_in_the_error(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {
        "说明": [["本表为如皋市养老服务设施清单"], ["坐标为 WGS 84"]],
        "2023年": [["如皋市养老设施"], ["名称", "类型", "经度", "纬度"], ["如城敬老院", "敬老院", 120.57, 32.39]],
    })
    with pytest.raises(WrongSheetError) as info:
        read_table(path, expect=("名称", "经度"), what="facility table")
    err = info.value
    assert isinstance(err, InputError)
    assert err.sheet == "2023年" and err.sheets == ("说明", "2023年")
    message = str(err)
    assert "choose the sheet '2023年'" in message and "--sheet facilities=2023年" in message
    assert message.startswith("f.xlsx: the first sheet '说明' has no facility table header")
    assert "\n" not in message
    table = read_table(path, sheet="2023年", expect=("名称", "经度"), what="facility table")
    assert table.header_row == 2 and table.sheet == "2023年"


def test_an_empty_first_sheet_points_to_the_list(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [], "数据": [["乡镇", "老年人口"], ["如城街道", 1]]})
    with pytest.raises(WrongSheetError, match="the first sheet 'Sheet1' is empty; .*choose the sheet '数据'"):
        read_table(path, expect=("乡镇",), what="elderly table")
    # without expected headers the first non-empty sheet is suggested too
    with pytest.raises(WrongSheetError, match="choose the sheet '数据'"):
        read_table(path)


def test_first_sheet_with_the_header_is_read_even_when_another_has_one(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"2023年": [["乡镇", "老年人口"], ["如城街道", 1]],
                                       "2022年": [["乡镇", "老年人口"], ["如城街道", 2]]})
    assert read_table(path, expect=("乡镇",)).column("老年人口") == [(2, 1)]


# ------------------------------------------------------------------------------------------ A4 uncached formulas


def test_formula_without_saved_value_names_row_and_column(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [
        ["乡镇", "男", "女", "老年人口"],
        ["如城街道", 25000, 26234, 51234],
        ["九华镇", 10000, 10345, "=B3+C3"],
    ]})
    with pytest.raises(InputError) as info:
        read_table(path, expect=("乡镇",))
    err = info.value
    assert err.row == 3 and err.column == "老年人口"
    assert str(err) == (
        "f.xlsx, row 3, column 老年人口: the cell holds a formula (=B3+C3) with no saved value; "
        "open and save the file in Excel or WPS so the values are stored"
    )


def test_a_row_of_formulas_only_is_not_taken_for_an_empty_row(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [
        ["乡镇", "老年人口"],
        ["如城街道", 51234],
        ["=Sheet2!A1", "=Sheet2!B1"],
    ]})
    with pytest.raises(InputError, match=r"row 3, column 乡镇: the cell holds a formula \(=Sheet2!A1\)"):
        read_table(path, expect=("乡镇",))


def test_formula_in_a_totals_row_is_skipped_with_the_row(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [
        ["乡镇", "老年人口"],
        ["如城街道", 51234],
        ["九华镇", 20345],
        ["合计", "=SUM(B2:B3)"],
    ]})
    table = read_table(path, expect=("乡镇",))
    assert [r for r, _ in table.rows] == [2, 3] and table.skipped == ((4, "totals row 合计"),)


def _with_cached_value(path: Path, value: str) -> Path:
    """Write the value Excel would have saved for each formula (openpyxl leaves <v/> empty)."""
    out = path.with_name("cached.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<v />", f"<v>{value}</v>".encode()).replace(b"<v/>", f"<v>{value}</v>".encode())
            dst.writestr(item, data)
    return out


def test_formulas_with_saved_values_read_as_values(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [["乡镇", "男", "女", "老年人口"], ["九华镇", 10000, 10345, "=B2+C2"]]})
    cached = _with_cached_value(path, "20345")
    assert read_table(cached, expect=("乡镇",)).column("老年人口") == [(2, 20345)]


def _patched(path: Path, *edits: tuple[bytes, bytes]) -> Path:
    out = path.with_name("patched.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                for old, new in edits:
                    assert old in data, old
                    data = data.replace(old, new)
            dst.writestr(item, data)
    return out


def test_a_formula_whose_saved_result_is_empty_text_is_no_error(tmp_path: Path) -> None:
    # Excel saves =IF(...,"",...) as t="str" with an empty <v></v>: the value is known (empty), not missing
    path = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [["乡镇", "老年人口", "备注"], ["如城街道", 51234, '=IF(B2>0,"","x")']]})
    patched = _patched(path, (b'<c r="C2">', b'<c r="C2" t="str">'), (b"<v />", b"<v></v>"))
    table = read_table(patched, expect=("乡镇",))
    assert table.column("老年人口") == [(2, 51234)] and cell_is_empty(table.column("备注")[0][1])


def cell_is_empty(value: object) -> bool:
    return tables.cell_text(value) is None


def test_a_shared_formula_without_saved_value(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [
        ["乡镇", "男", "女", "老年人口"], ["如城街道", 1, 2, "=B2+C2"], ["九华镇", 3, 4, "=B3+C3"],
    ]})
    patched = _patched(
        path,
        (b'<c r="D2"><f>B2+C2</f><v /></c>', b'<c r="D2"><f t="shared" ref="D2:D3" si="0">B2+C2</f><v>3</v></c>'),
        (b'<c r="D3"><f>B3+C3</f><v /></c>', b'<c r="D3"><f t="shared" si="0"/></c>'),
    )
    with pytest.raises(InputError, match=r"patched.xlsx, row 3, column 老年人口: the cell holds a formula \(a shared formula\)"):
        read_table(patched, expect=("乡镇",))


def test_formulas_are_read_from_the_sheet_xml_not_a_second_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    real = openpyxl.load_workbook

    def counting(*args, **kwargs):
        calls.append(bool(kwargs.get("data_only")))
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    plain = _xlsx(tmp_path / "plain.xlsx", {"Sheet1": [["乡镇", "老年人口", "备注"], ["如城街道", 51234, None]]})
    read_table(plain, expect=("乡镇",))
    assert calls == [True]  # one pass, though a cell is empty
    calls.clear()
    bad = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [["乡镇", "老年人口"], ["a", "=1+1"]]})
    with pytest.raises(InputError, match=r"\(=1\+1\)"):
        read_table(bad, expect=("乡镇",))
    assert calls == [True]
    calls.clear()
    # when the sheet XML cannot tell, the formulas are read with openpyxl
    monkeypatch.setattr(tables, "_uncached_formulas", lambda book, ws: None)
    with pytest.raises(InputError, match=r"row 2, column 老年人口: the cell holds a formula \(=1\+1\)"):
        read_table(bad, expect=("乡镇",))
    assert calls == [True, False]
    calls.clear()
    read_table(plain, expect=("乡镇",))
    assert calls == [True, False]  # the fallback reads formulas only where a data cell is empty


# ------------------------------------------------------------------------------------------ A5 header aliases


@pytest.mark.parametrize(
    "header",
    ["LNRK", "lnrks", "60岁及以上", "60岁及以上人口", "60周岁及以上人口", "老年人口(人)", "老年人口（人）",
     "60岁以上老年人口", "常住老年人口", "户籍老年人口", "60岁及以上（人）"],
)
def test_bureau_elderly_headers_are_found(header: str) -> None:
    assert find_column(["XZQMC", header], ELDERLY_ALIASES, path="t.csv", what="elderly count", required=True) == header


def test_bracketed_units_are_dropped_from_headers() -> None:
    assert normalize_header("老年人口(人)") == normalize_header("老年人口（人）") == "老年人口"
    assert normalize_header("60岁及以上(人)") == "60岁及以上"


def test_township_extra_aliases_are_exported() -> None:
    assert TOWNSHIP_NAME_EXTRA == ("XZQMC", "XZMC", "JDMC", "乡镇（街道）", "乡镇街道名称", "镇（街道）", "街道名称")
    assert TOWNSHIP_CODE_EXTRA == ("XZQDM", "XZDM", "JDDM", "统计用区划代码")
    assert {"TOWNSHIP_NAME_EXTRA", "TOWNSHIP_CODE_EXTRA", "ELDERLY_ALIASES"} <= set(tables.__all__)
    headers = ["FID", "xzqmc", "XZQDM", "LNRK"]
    assert find_column(headers, TOWNSHIP_NAME_EXTRA, path=None, what="township name", required=True) == "xzqmc"
    assert find_column(headers, TOWNSHIP_CODE_EXTRA, path=None, what="township code", required=True) == "XZQDM"
    assert find_column(["乡镇街道名称"], TOWNSHIP_NAME_EXTRA, path=None, what="n", required=True) == "乡镇街道名称"


# ------------------------------------------------------------------------------------------ A6 the user's column choice


def test_chosen_column_wins_over_aliases() -> None:
    headers = ["名称", "XZQMC", "人口"]
    assert find_column(headers, ("名称",), path="t.csv", what="township name", required=True) == "名称"
    assert find_column(headers, ("名称",), path="t.csv", what="township name", required=True, chosen="XZQMC") == "XZQMC"
    assert find_column(headers, ("名称",), path="t.csv", what="township name", required=True, chosen=" xzqmc ") == "XZQMC"
    # an explicit choice also works for columns no alias knows, and for optional columns
    assert find_column(headers, ("code",), path="t.csv", what="code", required=False, chosen="人口") == "人口"
    assert find_column(headers, ("code",), path="t.csv", what="code", required=False, chosen=None) is None


def test_chosen_column_missing_lists_the_columns() -> None:
    with pytest.raises(InputError) as info:
        find_column(["名称", "人口"], ("名称",), path="t.csv", what="township name", required=False, chosen="XZQMC")
    assert str(info.value) == "t.csv: no column 'XZQMC'; the columns are: 名称, 人口"


def test_chosen_column_that_is_duplicated_is_refused() -> None:
    with pytest.raises(InputError, match="two columns are called 'XZQMC'"):
        find_column(["XZQMC", "XZQMC "], (), path="t.csv", what="township name", required=True, chosen="XZQMC")


# ------------------------------------------------------------------------------------------ damaged sheets, line breaks


@pytest.mark.parametrize("damage", ["truncated", "bad_number"])
def test_a_damaged_sheet_is_one_line(tmp_path: Path, damage: str) -> None:
    source = _xlsx(tmp_path / "src.xlsx", {"Sheet1": [["乡镇", "老年人口"], ["如城街道", 51234]]})
    path = tmp_path / "f.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2] if damage == "truncated" else data.replace(b"<v>51234</v>", b"<v>abc</v>")
            dst.writestr(item, data)
    with pytest.raises(InputError) as info:
        read_table(path, expect=("乡镇",))
    message = str(info.value)
    assert message.startswith("f.xlsx: cannot read sheet 'Sheet1': the workbook is damaged") and "\n" not in message


def test_line_breaks_in_headers_and_cells_stay_out_of_messages(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "f.xlsx", {"Sheet1": [
        ["乡镇", "老年人口\n（人）", "床位数\r\n(张)"],
        ["如城街道", "约\n5万", 1],
        ["合\n计", 1, 1],
    ]})
    table = read_table(path, expect=("乡镇",))
    assert table.headers == ("乡镇", "老年人口 （人）", "床位数 (张)")
    assert table.skipped == ((3, "totals row 合 计"),)
    column = find_column(table.headers, ELDERLY_ALIASES, path=path, what="elderly count", required=True)
    assert column == "老年人口 （人）"
    with pytest.raises(InputError) as info:
        tables.parse_float(table.column(column)[0][1], path=path, row=2, column=column, what="elderly count")
    assert str(info.value) == "f.xlsx, row 2, column 老年人口 （人）: elderly count must be a number, got '约 5万'"
