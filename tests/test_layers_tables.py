"""Shared table/vector helpers: header matching, encodings, row numbers, coordinates."""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
from shapely.geometry import LineString, Point

from layers.errors import InputError
from layers.gcj02 import gcj02_to_wgs84
from layers.tables import (
    cell_text,
    find_column,
    normalize_header,
    parse_count,
    parse_float,
    read_table,
    read_vector,
    table_points_wgs84,
)

LINES = frozenset({"LineString", "MultiLineString"})
POINTS = frozenset({"Point", "MultiPoint"})


def _xlsx(path: Path, rows: list[list[object]], *, title: str = "Sheet1") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("  Name ", "name"),
        ("NURSING_BEDS", "nursingbeds"),
        ("nursing beds", "nursingbeds"),
        ("床位数（张）", "床位数"),
        ("经度(°)", "经度"),
        ("名称*", "名称"),
        ("ＬＯＮ", "lon"),
    ],
)
def test_normalize_header(header: str, expected: str) -> None:
    assert normalize_header(header) == expected


def test_find_column_prefers_earlier_alias_and_reports_missing() -> None:
    headers = ["机构名称", "名称", "Type"]
    assert find_column(headers, ("name", "名称", "机构名称"), path="f.csv", what="name", required=True) == "名称"
    assert find_column(headers, ("type", "类型"), path="f.csv", what="type", required=True) == "Type"
    with pytest.raises(InputError) as info:
        find_column(headers, ("lon", "经度"), path="f.csv", what="longitude", required=True)
    message = str(info.value)
    assert message.startswith("f.csv: no longitude column")
    assert "lon/经度" in message and "机构名称" in message


def test_find_column_rejects_duplicate_headers() -> None:
    with pytest.raises(InputError, match="two columns are called"):
        find_column(["名称", "名称 "], ("名称",), path="f.csv", what="name", required=True)


def test_csv_gb18030_and_blank_rows_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("名称,人数\n\n城关镇,12\n,\n石壁镇,7\n".encode("gb18030"))
    table = read_table(path, expect=("名称",))
    assert table.headers == ("名称", "人数")
    assert table.header_row == 1
    assert [r for r, _ in table.rows] == [3, 5]
    assert table.column("名称") == [(3, "城关镇"), (5, "石壁镇")]


def test_csv_utf8_bom_semicolon_and_title_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("宁化县养老设施一览表;;\n名称;经度;纬度\n翠江镇敬老院;116.65;26.26\n", encoding="utf-8-sig")
    table = read_table(path, expect=("名称", "经度"))
    assert table.header_row == 2
    assert table.headers == ("名称", "经度", "纬度")
    assert table.rows[0][0] == 3


def test_xlsx_title_row_sheet_choice_and_numbers(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "t.xlsx", [["如皋市老年人口统计"], [], ["乡镇", "老年人口"], ["如城街道", 51234], ["九华镇", 20345.0]])
    table = read_table(path, expect=("乡镇",))
    assert table.header_row == 3
    assert table.column("老年人口") == [(4, 51234), (5, 20345.0)]
    assert read_table(path, sheet=0).path == path
    assert read_table(path, sheet="Sheet1", expect=("乡镇",)).header_row == 3
    with pytest.raises(InputError, match="no sheet named '统计'; sheets are: Sheet1"):
        read_table(path, sheet="统计")
    with pytest.raises(InputError, match="sheet index 3 out of range"):
        read_table(path, sheet=3)


def test_read_table_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"old.xls: old Excel .xls files are not supported"):
        read_table(tmp_path / "old.xls")
    (tmp_path / "broken.xlsx").write_bytes(b"this is not a zip")
    with pytest.raises(InputError, match="broken.xlsx: cannot open as an Excel .xlsx workbook"):
        read_table(tmp_path / "broken.xlsx")
    (tmp_path / "empty.csv").write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty.csv: the table is empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("名称,人数\n", encoding="utf-8")
    with pytest.raises(InputError, match="header.csv, row 1: the table has a header row but no data rows"):
        read_table(tmp_path / "header.csv")
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02\xff\xfe\x00")
    with pytest.raises(InputError, match="bin.csv"):
        read_table(tmp_path / "bin.csv")
    (tmp_path / "t.dbf").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read '.dbf' files"):
        read_table(tmp_path / "t.dbf")


def test_cell_text() -> None:
    assert cell_text(None) is None
    assert cell_text(float("nan")) is None
    assert cell_text("  \u3000 ") is None
    assert cell_text(320682.0) == "320682"
    assert cell_text(7) == "7"
    assert cell_text(" 城关镇 ") == "城关镇"


def test_parse_numbers() -> None:
    kw = {"path": "p.csv", "row": 4, "column": "人数", "what": "elderly count"}
    assert parse_float("1,200", **kw) == 1200.0
    assert parse_float("１２０", **kw) == 120.0
    assert parse_float("116.5°", **kw) == 116.5
    assert parse_float(12, **kw) == 12.0
    assert math.isnan(parse_float("", default=math.nan, **kw))
    with pytest.raises(InputError) as info:
        parse_float("about 30", **kw)
    assert str(info.value) == "p.csv, row 4, column 人数: elderly count must be a number, got 'about 30'"
    with pytest.raises(InputError, match="row 4, column 人数: elderly count is missing"):
        parse_float(None, **kw)
    with pytest.raises(InputError, match="must not be below 0"):
        parse_float("-3", minimum=0, **kw)
    assert parse_count("12.0", **kw) == 12
    assert parse_count(None, default=0, **kw) == 0
    with pytest.raises(InputError, match="whole number"):
        parse_count("2.5", **kw)
    with pytest.raises(InputError, match="must not be negative"):
        parse_count(-1, **kw)


def test_table_points_gcj02_and_cgcs2000(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("名称,经度,纬度\n如城,120.5736,32.3910\n", encoding="utf-8")
    table = read_table(path)
    lon, lat = table_points_wgs84(table, crs="EPSG:4326", what="point")
    assert (lon[0], lat[0]) == (120.5736, 32.3910)
    lon_g, lat_g = table_points_wgs84(table, crs="GCJ-02", what="point")
    expected = gcj02_to_wgs84(np.array([120.5736]), np.array([32.3910]))
    assert lon_g[0] == pytest.approx(expected[0][0], abs=1e-12)
    assert lat_g[0] == pytest.approx(expected[1][0], abs=1e-12)
    # GCJ-02 is shifted by a few hundred metres in Jiangsu: converted points must move west/north.
    assert 0.003 < 120.5736 - lon_g[0] < 0.006
    lon_c, lat_c = table_points_wgs84(table, crs="EPSG:4490", what="point")
    assert lon_c[0] == pytest.approx(120.5736, abs=1e-6)
    with pytest.raises(InputError, match="unknown coordinate system 'EPSG:99999'"):
        table_points_wgs84(table, crs="EPSG:99999", what="point")


def test_table_points_projected_xy_and_swapped_hint(tmp_path: Path) -> None:
    # CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549): Rugao lies just east of the central meridian.
    path = tmp_path / "xy.csv"
    path.write_text("name,X,Y\nA,553970.379,3585355.240\n", encoding="utf-8")
    lon, lat = table_points_wgs84(read_table(path), crs="EPSG:4549", what="point")
    assert lon[0] == pytest.approx(120.5736, abs=1e-7)
    assert lat[0] == pytest.approx(32.3910, abs=1e-7)
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("name,X,Y\nA,553970.379,3585355.240\nB,3585355.240,553970.379\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        table_points_wgs84(read_table(swapped), crs="EPSG:4549", what="point")
    message = str(info.value)
    assert "row 3" in message and "column X" in message and "look swapped" in message
    no_coords = tmp_path / "none.csv"
    no_coords.write_text("name,count\nA,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="no coordinate columns; expected longitude/latitude"):
        table_points_wgs84(read_table(no_coords), crs="EPSG:4326", what="point")


def test_read_vector_layers_crs_and_errors(tmp_path: Path) -> None:
    gpkg = tmp_path / "multi.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(116.6, 26.2)], crs=4326).to_file(gpkg, layer="pts")
    gpd.GeoDataFrame({"name": ["r"]}, geometry=[LineString([(116.6, 26.2), (116.7, 26.3)])], crs=4326).to_file(
        gpkg, layer="roads"
    )
    assert read_vector(gpkg, layer=None, what="road", geometry_types=LINES)["name"].tolist() == ["r"]
    assert read_vector(gpkg, layer="pts", what="road", geometry_types=LINES)["name"].tolist() == ["a"]
    with pytest.raises(InputError, match="no layer named 'x'; layers are: pts, roads"):
        read_vector(gpkg, layer="x", what="road", geometry_types=LINES)
    gpd.GeoDataFrame({"name": ["b"]}, geometry=[Point(116.7, 26.2)], crs=4326).to_file(gpkg, layer="pts2")
    with pytest.raises(InputError, match="has 3 layers .*choose the population layer"):
        read_vector(gpkg, layer=None, what="population", geometry_types=POINTS)
    with pytest.raises(InputError, match="not found"):
        read_vector(tmp_path / "nope.shp", layer=None, what="road", geometry_types=LINES)
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="garbage.geojson: cannot read"):
        read_vector(garbage, layer=None, what="road", geometry_types=LINES)


def test_read_vector_missing_crs_and_gbk_shapefile(tmp_path: Path) -> None:
    shp = tmp_path / "towns.shp"
    gdf = gpd.GeoDataFrame({"名称": ["城关镇", "石壁镇"]}, geometry=[Point(116.6, 26.2), Point(116.5, 26.3)], crs=4326)
    gdf.to_file(shp, encoding="gbk")
    shp.with_suffix(".cpg").unlink()  # as many bureau Shapefiles come: GBK text, no .cpg
    read = read_vector(shp, layer=None, what="township", geometry_types=POINTS)
    assert read["名称"].tolist() == ["城关镇", "石壁镇"]
    shp.with_suffix(".prj").unlink()
    # degrees inside China without a .prj: read as CGCS2000 and said so (never silently)
    read = read_vector(shp, layer=None, what="township", geometry_types=POINTS)
    assert read.crs.to_epsg() == 4490
    assert any("no .prj" in n and "EPSG:4490" in n for n in read.attrs["carecircle_notes"])
    # metres that fit no CRS without a .prj: refused
    gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[Point(5_000_000, 9_000_000)], crs=None).to_file(tmp_path / "odd.shp")
    with pytest.raises(InputError) as info:
        read_vector(tmp_path / "odd.shp", layer=None, what="township", geometry_types=POINTS)
    assert str(info.value).startswith("odd.shp:") and "\n" not in str(info.value)


def test_read_vector_empty_layer(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=4326), crs=4326).to_file(path, layer="roads")
    with pytest.raises(InputError) as info:
        read_vector(path, layer=None, what="road", geometry_types=LINES)
    assert str(info.value) == "empty.gpkg: the road layer has no features"


def test_read_vector_plain_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(InputError, match="plain.csv.geojson"):
        read_vector(path, layer=None, what="road", geometry_types=LINES)
