"""Township boundaries and elderly tables (real Nantong county outlines and 2020 census counts)."""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import LineString, Polygon

from layers.errors import InputError
from layers.townships import apply_elderly_table, read_townships

DATA = Path(__file__).parent / "data" / "layers"
COUNTIES = DATA / "nantong_counties.geojson"
CENSUS = DATA / "nantong_census2020_elderly.csv"
NAMES = ["通州区", "崇川区", "海门区", "如东县", "启东市", "如皋市", "海安市"]


def _squares(names: list[object], **columns: list[object]) -> gpd.GeoDataFrame:
    polygons = [Polygon([(i, 0), (i + 1, 0), (i + 1, 1), (i, 1)]) for i in range(len(names))]
    return gpd.GeoDataFrame({"名称": names, **columns}, geometry=polygons, crs="EPSG:4549")


def test_read_real_boundaries() -> None:
    towns = read_townships(COUNTIES)
    assert list(towns.columns) == ["name", "code", "elderly", "geometry"]
    assert towns["name"].tolist() == NAMES
    assert towns.loc[5, "code"] == "320682"
    assert towns["elderly"].isna().all()
    assert towns.crs.to_epsg() == 4490
    assert set(towns.geom_type) <= {"Polygon", "MultiPolygon"}
    rugao = towns.geometry[5]
    assert rugao.contains(gpd.points_from_xy([120.5736], [32.3910])[0])  # 如皋 city centre


def test_apply_census_table_by_code() -> None:
    towns = read_townships(COUNTIES)
    filled = apply_elderly_table(towns, CENSUS)
    assert filled.set_index("name")["elderly"].to_dict()["如皋市"] == 386019.0
    assert filled["elderly"].sum() == 2198264.0
    assert towns["elderly"].isna().all()  # input not mutated
    assert filled is not towns


def test_apply_table_by_name_reports_renamed_unit(tmp_path: Path) -> None:
    """The census still calls 海门 a 市 (county-level city); the boundaries say 海门区 (district since 2020)."""
    towns = read_townships(COUNTIES).drop(columns="code").assign(code=None)
    table = tmp_path / "by_name.csv"
    table.write_text("名称,老年人口\n如皋市,386019\n海安市,284476\n海门市,305080\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        apply_elderly_table(towns, table)
    message = str(info.value)
    assert message.startswith("by_name.csv, row 4, column 名称: township name '海门市' is not among")
    assert "did you mean '海门区'" in message
    table.write_text("名称,老年人口\n如皋市,386019\n海安市,284476\n", encoding="utf-8")
    # the other five counties have no count anywhere: missing is not zero
    with pytest.raises(InputError, match="5 of the 7 townships are not in the elderly table \\(通州区、崇川区、海门区、如东县、启东市\\)"):
        apply_elderly_table(towns, table)
    rest = "".join(f"{n},{1000 + i}\n" for i, n in enumerate(("通州区", "崇川区", "海门区", "如东县", "启东市")))
    table.write_text("名称,老年人口\n如皋市,386019\n海安市,284476\n" + rest, encoding="utf-8")
    filled = apply_elderly_table(towns, table)
    assert filled.set_index("name")["elderly"].to_dict()["海安市"] == 284476.0
    assert filled.set_index("name")["elderly"]["启东市"] == 1004.0


def test_apply_xlsx_with_title_row(tmp_path: Path) -> None:
    towns = read_townships(COUNTIES)
    path = tmp_path / "elderly.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["南通市各县（市、区）60岁以上人口"])
    sheet.append(["区划代码", "60岁以上人口（人）"])
    sheet.append([320682, 386019])
    sheet.append([320685, "284,476"])
    for code in (320612, 320613, 320614, 320623, 320681):
        sheet.append([code, 1000])
    sheet.append(["合计", 675495])  # a totals row is skipped, never a township
    book.save(path)
    filled = apply_elderly_table(towns, path).set_index("code")["elderly"]
    assert filled["320682"] == 386019.0
    assert filled["320685"] == 284476.0


def test_apply_table_bad_values(tmp_path: Path) -> None:
    towns = read_townships(COUNTIES)
    table = tmp_path / "bad.csv"
    table.write_text("区划代码,老年人口\n320682,386019\n320685,很多\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        apply_elderly_table(towns, table)
    assert str(info.value) == "bad.csv, row 3, column 老年人口: elderly count must be a number, got '很多'"
    table.write_text("区划代码,老年人口\n320682,-5\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2, column 老年人口: elderly count must not be below 0"):
        apply_elderly_table(towns, table)
    table.write_text("区划代码,老年人口\n320682,1\n320682,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 3, column 区划代码: township code '320682' appears twice \(also row 2\)"):
        apply_elderly_table(towns, table)
    table.write_text("区划代码,老年人口\n110101,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2, column 区划代码: township code '110101' is not among the 7"):
        apply_elderly_table(towns, table)
    table.write_text("区划代码,人口\n320682,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.csv: no elderly count column; expected a header such as elderly/老年人口"):
        apply_elderly_table(towns, table)
    table.write_text("地区,老年人口\n如皋,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no township name or code column"):
        apply_elderly_table(towns, table)
    with pytest.raises(InputError, match="file not found"):
        apply_elderly_table(towns, tmp_path / "missing.xlsx")


def test_read_townships_with_elderly_and_invalid_polygon(tmp_path: Path) -> None:
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    gdf = gpd.GeoDataFrame(
        {"乡镇": ["翠江镇", "城南镇"], "区划代码": [350424100.0, 350424101.0], "老年人口": [5210, None]},
        geometry=[Polygon([(3, 0), (4, 0), (4, 1), (3, 1)]), bowtie],
        crs="EPSG:4549",
    )
    path = tmp_path / "towns.gpkg"
    gdf.to_file(path)
    towns = read_townships(path)
    assert towns["name"].tolist() == ["翠江镇", "城南镇"]
    assert towns["code"].tolist() == ["350424100", "350424101"]
    assert towns["elderly"].tolist()[0] == 5210.0 and math.isnan(towns["elderly"].tolist()[1])
    assert towns.is_valid.all()
    assert towns.geometry[1].area == pytest.approx(2.0)
    assert not gdf.geometry[1].is_valid  # input untouched


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["翠江镇", "翠江镇"], "towns.gpkg, row 2, column 名称: duplicate township name '翠江镇' (also feature 1)"),
        (["翠江镇", " "], "towns.gpkg, row 2, column 名称: township name is empty"),
        (["翠江镇", None], "towns.gpkg, row 2, column 名称: township name is empty"),
    ],
)
def test_read_townships_bad_names(tmp_path: Path, names: list[object], expected: str) -> None:
    path = tmp_path / "towns.gpkg"
    _squares(names).to_file(path)
    with pytest.raises(InputError) as info:
        read_townships(path)
    assert str(info.value) == expected


def test_read_townships_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "towns.shp"
    _squares(["翠江镇"]).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="towns.shp: the township file has no coordinate reference system"):
        read_townships(path)
    lines = tmp_path / "lines.gpkg"
    gpd.GeoDataFrame({"名称": ["a"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326).to_file(lines)
    with pytest.raises(InputError, match="lines.gpkg, row 1: the township layer must contain polygons"):
        read_townships(lines)
    no_name = tmp_path / "noname.gpkg"
    _squares(["a"]).rename(columns={"名称": "label"}).to_file(no_name)
    with pytest.raises(InputError, match="noname.gpkg: no township name column; expected a header such as name/名称/乡镇"):
        read_townships(no_name)
    bad_count = tmp_path / "count.gpkg"
    _squares(["a", "b"], 老人数=["12", "x"]).to_file(bad_count)
    with pytest.raises(InputError, match="count.gpkg, row 2, column 老人数: elderly count must be a number"):
        read_townships(bad_count)
    with pytest.raises(InputError, match="file not found"):
        read_townships(tmp_path / "missing.gpkg")
