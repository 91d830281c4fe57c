"""Facility lists: CSV/XLSX, Chinese or English headers, coordinate systems, and every bad-input message."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
from shapely.geometry import Point

from layers.errors import InputError
from layers.classes import load_registry, registry, use_registry
from layers.facilities import read_facilities, write_facilities_csv
from layers.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

HEADER_ZH = "编号,机构名称,设施类型,经度,纬度,床位数,护理型床位数,状态"
ROWS_ZH = [
    "RG-01,如皋市社会福利院,福利院,120.5690,32.3880,300,180,现状",
    "RG-02,如城街道日间照料中心,日照中心,120.5801,32.3952,12,0,已建",
    "RG-03,城北长者食堂,长者食堂,120.5702,32.4105,,,规划",
]


def _csv(tmp_path: Path, lines: list[str], *, name: str = "f.csv", encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_registry_names_the_plans_classes() -> None:
    reg = registry()
    assert reg.ids == ("day_care", "nursing_home", "meal_point", "home_care_centre", "home_care_station",
                       "integrated_centre", "rural_mutual_aid", "elder_station")
    assert {reg.label(i) for i in reg.ids} == {"日间照料中心", "养老机构", "助餐点", "居家养老服务中心", "居家养老服务站",
                                              "综合养老服务中心", "农村幸福院", "长者驿站"}
    for text, cid in (("托老所", "day_care"), ("敬老院", "nursing_home"), ("护理院", "nursing_home"), ("长者食堂", "meal_point"),
                      ("区域性养老服务中心", "integrated_centre"), ("互助养老点", "rural_mutual_aid"), ("幸福院", "rural_mutual_aid"),
                      ("社区居家养老服务站", "home_care_station"), ("嵌入式长者驿站", "elder_station")):
        assert reg.lookup(text) == cid, text
    assert reg[ "home_care_centre"].level == "township" and reg["home_care_station"].level == "community"
    assert reg.with_beds("institutional") == ("nursing_home", "integrated_centre")
    assert "meal_point" not in reg.with_beds("all")


def test_every_class_of_the_plans_loads(tmp_path: Path) -> None:
    rows = ["名称,类型,经度,纬度,床位数,状态",
            "平园池村居家养老服务站,居家养老服务站,120.57,32.38,,现状",
            "白蒲镇居家养老服务中心,居家养老服务中心,120.58,32.38,10,现状",
            "环池村幸福院,农村幸福院,120.59,32.38,,现状",
            "杨庄互助点,互助养老点,120.60,32.38,,现状",
            "镇中社区长者驿站,长者驿站,120.61,32.38,6,规划",
            "城北综合中心,综合养老服务中心,120.62,32.38,60,现状",
            "丁堰托老所,托老所,120.63,32.38,8,拟关闭"]
    gdf = read_facilities(_csv(tmp_path, rows))
    assert gdf["type"].tolist() == ["home_care_station", "home_care_centre", "rural_mutual_aid", "rural_mutual_aid",
                                    "elder_station", "integrated_centre", "day_care"]
    assert gdf["status"].tolist()[-3:] == ["planned", "existing", "to_close"]


def test_a_bureaus_own_registry_adds_a_class_without_code(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[1] / "projects" / "facility_classes.toml").read_text(encoding="utf-8")
    own = tmp_path / "classes.toml"
    own.write_text(text + '\n[[class]]\nid = "canteen_van"\nname = "流动餐车"\nsynonyms = ["送餐车"]\nlevel = "community"\n'
                   'beds = "none"\nsymbol = "circle"\ncolour = "#123456"\n', encoding="utf-8")
    try:
        use_registry(own)
        gdf = read_facilities(_csv(tmp_path, ["名称,类型,经度,纬度", "一号车,送餐车,120.57,32.38"]))
        assert gdf["type"].tolist() == ["canteen_van"]
        assert registry().label("canteen_van") == "流动餐车"
    finally:
        use_registry(None)
    with pytest.raises(InputError, match="unknown facility type '送餐车'"):
        read_facilities(_csv(tmp_path, ["名称,类型,经度,纬度", "一号车,送餐车,120.57,32.38"]))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[class]]\nid = "x"\nname = "X"\nlevel = "street"\nbeds = "none"\n', encoding="utf-8")
    with pytest.raises(InputError, match="level must be one of"):
        load_registry(bad)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_read_chinese_csv(tmp_path: Path, encoding: str) -> None:
    gdf = read_facilities(_csv(tmp_path, [HEADER_ZH, *ROWS_ZH], encoding=encoding))
    assert list(gdf.columns) == ["fid", "name", "type", "beds", "nursing_beds", "status", "geometry"]
    assert gdf["fid"].tolist() == ["RG-01", "RG-02", "RG-03"]
    assert gdf["type"].tolist() == ["nursing_home", "day_care", "meal_point"]
    assert gdf["beds"].tolist() == [300, 12, 0]
    assert gdf["nursing_beds"].tolist() == [180, 0, 0]
    assert gdf["status"].tolist() == ["existing", "existing", "planned"]
    assert str(gdf["beds"].dtype) == "int64"
    assert gdf.crs.to_epsg() == 4326
    assert (gdf.geometry[0].x, gdf.geometry[0].y) == (120.5690, 32.3880)


def test_english_headers_case_and_spaces_and_generated_ids(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        [
            " Name ,TYPE,Longitude, LATITUDE ,Beds,Nursing Beds",
            "Ninghua Day Care,day_care,116.6541,26.2655,10,2",
            "Ninghua Home,Nursing_Home,116.6560,26.2671,80,40",
            "Canteen,meal point,116.6570,26.2690,0,0",
        ],
    )
    gdf = read_facilities(path)
    assert gdf["fid"].tolist() == ["F0002", "F0003", "F0004"]
    assert gdf["type"].tolist() == ["day_care", "nursing_home", "meal_point"]
    assert gdf["status"].tolist() == ["existing"] * 3


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("日间照料中心", "day_care"),
        ("日间照料", "day_care"),
        ("养老机构", "nursing_home"),
        ("养老院", "nursing_home"),
        ("敬老院", "nursing_home"),
        ("护理院", "nursing_home"),
        ("福利院", "nursing_home"),
        ("助餐点", "meal_point"),
        ("老年食堂", "meal_point"),
        ("助餐", "meal_point"),
    ],
)
def test_type_labels(tmp_path: Path, label: str, expected: str) -> None:
    gdf = read_facilities(_csv(tmp_path, ["名称,类型,经度,纬度", f"甲,{label},116.65,26.26"]))
    assert gdf["type"].tolist() == [expected]


def test_xlsx_with_title_row_and_sheet(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为示例"])
    book.active.append(["坐标为 WGS 84"])
    sheet = book.create_sheet("设施")
    sheet.append(["宁化县养老服务设施一览表"])
    sheet.append(["序号", "名称", "类型", "经度", "纬度", "床位数（张）", "护理床位"])
    sheet.append([1, "翠江镇敬老院", "敬老院", 116.6541, 26.2655, 60, 30.0])
    sheet.append([2, "翠江社区助餐点", "助餐点", 116.6560, 26.2671, None, None])
    book.save(path)
    gdf = read_facilities(path, sheet="设施")
    assert gdf["fid"].tolist() == ["1", "2"]
    assert gdf["beds"].tolist() == [60, 0] and gdf["nursing_beds"].tolist() == [30, 0]
    assert read_facilities(path, sheet=1)["name"].tolist() == ["翠江镇敬老院", "翠江社区助餐点"]
    with pytest.raises(InputError, match="f.xlsx: the first sheet '说明' has no facility table header; the list seems to be on "
                                         "sheet '设施' — choose the sheet '设施' \\(--sheet facilities=设施\\)"):
        read_facilities(path)  # first sheet is the notes sheet


def test_gcj02_coordinates_are_converted(tmp_path: Path) -> None:
    wgs_lon, wgs_lat = 120.5690, 32.3880
    g_lon, g_lat = wgs84_to_gcj02(np.array([wgs_lon]), np.array([wgs_lat]))
    path = _csv(tmp_path, ["名称,类型,经度,纬度", f"福利院,福利院,{g_lon[0]:.10f},{g_lat[0]:.10f}"])
    for crs in ("gcj02", "GCJ-02", "gcj-02"):
        gdf = read_facilities(path, crs=crs)
        assert gdf.crs.to_epsg() == 4326
        assert gdf.geometry[0].x == pytest.approx(wgs_lon, abs=1e-7)
        assert gdf.geometry[0].y == pytest.approx(wgs_lat, abs=1e-7)
    expected = gcj02_to_wgs84([float(f"{g_lon[0]:.10f}")], [float(f"{g_lat[0]:.10f}")])
    assert read_facilities(path, crs="gcj02").geometry[0].x == pytest.approx(expected[0][0], abs=1e-12)


def test_projected_xy(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["名称,类型,X,Y", "福利院,福利院,553970.379,3585355.240"])
    gdf = read_facilities(path, crs="EPSG:4549")
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry[0].x == pytest.approx(120.5736, abs=1e-7)
    assert gdf.geometry[0].y == pytest.approx(32.3910, abs=1e-7)


BAD_CASES = [
    (["a,福利院,abc,32.38"], "row 3, column 经度: longitude must be a number, got 'abc'"),
    (["a,福利院,120.57,"], "row 3, column 纬度: latitude is missing"),
    (["a,福利院,32.38,120.57"], "row 3, column 经度: longitude 32.38 is outside China (73–136°E); 经度 and 纬度 look swapped"),
    (["a,福利院,120.57,32.38,10,20"], "row 3, column 护理型床位数: nursing beds (20) exceed total beds (10)"),
    (["a,福利院,120.57,32.38,-5,0"], "row 3, column 床位数: beds must not be negative, got -5"),
    (["a,福利院,120.57,32.38,1.5,0"], "row 3, column 床位数: beds must be a whole number, got 1.5"),
    (["a,福利院,120.57,32.38,十,0"], "row 3, column 床位数: beds must be a number, got '十'"),
    (["a,卫生院,120.57,32.38"], "row 3, column 类型: unknown facility type '卫生院'; accepted: 日间照料中心/day_care"),
    (["a,,120.57,32.38"], "row 3, column 类型: facility type is empty"),
    ([",福利院,120.57,32.38"], "row 3, column 名称: facility name is empty"),
    (["a,福利院,120.57,32.38,0,0,待定"], "row 3, column 状态: unknown status '待定'; accepted: 现状/existing, 规划/planned"),
]


@pytest.mark.parametrize(("row", "expected"), BAD_CASES)
def test_bad_rows(tmp_path: Path, row: list[str], expected: str) -> None:
    path = _csv(tmp_path, ["名称,类型,经度,纬度,床位数,护理型床位数,状态", "ok,敬老院,120.56,32.39,0,0", *row])
    with pytest.raises(InputError) as info:
        read_facilities(path)
    err = info.value
    assert str(err).startswith(f"f.csv, {expected}")
    assert err.row == 3 and err.path is not None and err.path.name == "f.csv"


def test_duplicate_id(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["编号,名称,类型,经度,纬度", "A1,甲,敬老院,120.56,32.39", "A2,乙,敬老院,120.56,32.39", "A1,丙,助餐点,120.57,32.38"])
    with pytest.raises(InputError) as info:
        read_facilities(path)
    assert str(info.value) == "f.csv, row 4, column 编号: duplicate id 'A1' (also row 2)"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("类型,经度,纬度", "f.csv: no facility name column; expected a header such as name/名称/机构名称"),
        ("名称,经度,纬度", "f.csv: no facility type column; expected a header such as type/类型/设施类型"),
        ("名称,类型,东经,北纬", "f.csv: no coordinate columns; expected longitude/latitude columns (lon/lat or 经度/纬度)"),
    ],
)
def test_missing_columns(tmp_path: Path, header: str, expected: str) -> None:
    path = _csv(tmp_path, [header, "甲,敬老院,120.56,32.39"])
    with pytest.raises(InputError) as info:
        read_facilities(path)
    assert str(info.value).startswith(expected)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing.csv: facility table file not found"):
        read_facilities(tmp_path / "missing.csv")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="broken.xlsx: cannot open as an Excel .xlsx workbook"):
        read_facilities(broken)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"\xff\xfe\x00\xd8" * 10)
    with pytest.raises(InputError, match="latin.csv"):
        read_facilities(latin)
    with pytest.raises(InputError, match="unknown coordinate system 'WGS-84-ish'"):
        read_facilities(_csv(tmp_path, ["名称,类型,经度,纬度", "甲,敬老院,120.56,32.39"]), crs="WGS-84-ish")
    gpkg = tmp_path / "f.gpkg"
    gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[Point(120.5, 32.4)], crs=4326).to_file(gpkg)
    with pytest.raises(InputError, match=r"f.gpkg: cannot read '.gpkg' files as a facility table; use .csv or .xlsx"):
        read_facilities(gpkg)


@pytest.mark.parametrize("chinese_headers", [True, False])
def test_write_and_read_back(tmp_path: Path, chinese_headers: bool) -> None:
    original = read_facilities(_csv(tmp_path, [HEADER_ZH, *ROWS_ZH]))
    snapshot = original.copy()
    out = tmp_path / "out.csv"
    write_facilities_csv(original, out, chinese_headers=chinese_headers)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    if chinese_headers:
        assert text.splitlines()[0] == "编号,名称,类型,经度,纬度,床位数,护理型床位数,状态"
        assert "养老机构" in text and "规划" in text
    else:
        assert text.splitlines()[0] == "id,name,type,lon,lat,beds,nursing_beds,status"
        assert "nursing_home" in text and "planned" in text
    back = read_facilities(out)
    assert back.drop(columns="geometry").equals(original.drop(columns="geometry"))
    assert back.geom_equals_exact(original.geometry, tolerance=1e-9).all()
    assert original.equals(snapshot)


def test_write_reprojects_to_lonlat(tmp_path: Path) -> None:
    original = read_facilities(_csv(tmp_path, [HEADER_ZH, *ROWS_ZH]))
    out = tmp_path / "out.csv"
    write_facilities_csv(original.to_crs("EPSG:4549"), out)
    back = read_facilities(out)
    assert back.geom_equals_exact(original.geometry, tolerance=1e-6).all()
    with pytest.raises(InputError, match="no coordinate reference system"):
        write_facilities_csv(original.set_crs(None, allow_override=True), tmp_path / "x.csv")
