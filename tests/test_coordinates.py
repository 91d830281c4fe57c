"""Coordinates as bureaus have them: BD-09 and GCJ-02 web-map lon/lat, the planner's CRS words, points anywhere
in the world, DMS cells, a CRS stated by the user or read from the coordinates, GBK Shapefiles, CRS labels
(layers.gcj02, layers.crs, layers.tables; tasks B1-B7)."""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
from shapely.geometry import LineString, Point, box

from layers.crs import CRS_CHOICES, SHIFTED, describe_crs, infer_crs, parse_crs
from layers.errors import InputError
from layers.gcj02 import bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from layers.tables import NOTES_ATTR, parse_degrees, read_table, read_vector, table_points_wgs84

DATA = Path(__file__).parent / "data" / "layers"
AMAP_RUGAO = DATA / "bureau" / "rugao_amap_gcj02.geojson"
COUNTIES = DATA / "nantong_counties.geojson"
POINTS = frozenset({"Point", "MultiPoint"})
LINES = frozenset({"LineString", "MultiLineString"})
POLYGONS = frozenset({"Polygon", "MultiPolygon"})
RUGAO = (120.5736, 32.3910)  # 如皋, lon/lat
DEG_M = 111_320.0  # metres per degree of latitude (and of longitude at the equator)


def _metres(lon_a, lat_a, lon_b, lat_b) -> float:
    dx = (np.asarray(lon_a) - np.asarray(lon_b)) * DEG_M * np.cos(np.radians(np.asarray(lat_b)))
    dy = (np.asarray(lat_a) - np.asarray(lat_b)) * DEG_M
    return float(np.max(np.hypot(dx, dy)))


def _csv(tmp_path: Path, body: str, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ B1 BD-09


def test_bd09_reference_points() -> None:
    # published values of the reference implementation (wandergis/coordtransform, test/app.js)
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-12)
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-12)
    # its approximate inverse gives (116.39762729119315, 39.90865673957631); ours iterates: within 5 cm of it
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    assert _metres(lon, lat, 116.39762729119315, 39.90865673957631) < 0.05
    # Beijing railway station: GCJ-02 (116.42703, 39.90245) is BD-09 (116.43351, 39.90851) to 5 decimals
    lon, lat = gcj02_to_bd09(116.42703, 39.90245)
    assert (float(lon), float(lat)) == pytest.approx((116.43351, 39.90851), abs=1e-5)


def test_bd09_round_trips_are_exact_to_a_millimetre() -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(74.0, 135.0, 2000)
    lat = rng.uniform(18.0, 53.0, 2000)
    assert _metres(*bd09_to_gcj02(*gcj02_to_bd09(lon, lat)), lon, lat) < 0.001
    assert _metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < 0.01
    # and the other way round: a Baidu point converted to WGS 84 and back lands where it was
    b_lon, b_lat = wgs84_to_bd09(*RUGAO)
    assert _metres(*wgs84_to_bd09(*bd09_to_wgs84(b_lon, b_lat)), b_lon, b_lat) < 0.01
    # Baidu is shifted ~1 km from WGS 84 in Rugao: the conversion is not the identity
    assert 500 < _metres(b_lon, b_lat, *RUGAO) < 1500


# ------------------------------------------------------------------------------------------ B2 parse_crs


@pytest.mark.parametrize("text", ["gcj02", "GCJ-02", "gcj_02", "amap", "AMap", "高德", "tencent", "腾讯", "火星坐标"])
def test_gcj02_words(text: str) -> None:
    assert parse_crs(text) == "gcj02"


@pytest.mark.parametrize("text", ["bd09", "BD-09", "bd09ll", "baidu", "Baidu", "百度"])
def test_bd09_words(text: str) -> None:
    assert parse_crs(text) == "bd09"


@pytest.mark.parametrize(
    ("text", "epsg"),
    [("wgs84", 4326), ("WGS 84", 4326), ("WGS-84", 4326), ("cgcs2000", 4490), ("CGCS 2000", 4490), ("国家2000", 4490),
     ("EPSG:4528", 4528), ("epsg:4549", 4549), ("EPSG 4528", 4528), ("4528", 4528), (4490, 4490)],
)
def test_crs_words_and_codes(text: object, epsg: int) -> None:
    crs = parse_crs(text)  # type: ignore[arg-type]
    assert isinstance(crs, pyproj.CRS) and crs.to_epsg() == epsg


def test_parse_crs_passes_crs_objects_and_refuses_the_rest() -> None:
    assert parse_crs(pyproj.CRS.from_epsg(4528)).to_epsg() == 4528  # type: ignore[union-attr]
    assert SHIFTED == frozenset({"gcj02", "bd09"})
    with pytest.raises(InputError) as info:
        parse_crs("Rugao local grid", path="t.csv")
    message = str(info.value)
    assert message.startswith("t.csv: unknown coordinate system 'Rugao local grid'; use e.g. EPSG:4326")
    assert "gcj02" in message and "bd09" in message and "EPSG:4528" in message
    with pytest.raises(InputError, match="Baidu Mercator"):
        parse_crs("bd09mc")
    with pytest.raises(InputError, match="not a map coordinate system"):
        parse_crs("EPSG:5773")  # a height system


# ------------------------------------------------------------------------------------------ B3 points anywhere, shifts only in China


def test_wgs84_and_projected_points_outside_china_are_accepted(tmp_path: Path) -> None:
    helsinki = _csv(tmp_path, "名称,经度,纬度\n赫尔辛基,24.95,60.17\n悉尼,151.21,-33.87\n")
    lon, lat = table_points_wgs84(read_table(helsinki), crs="EPSG:4326", what="point")
    assert lon.tolist() == [24.95, 151.21] and lat.tolist() == [60.17, -33.87]
    lon, lat = table_points_wgs84(read_table(helsinki), crs="cgcs2000", what="point")
    assert lon[0] == pytest.approx(24.95, abs=1e-6)
    utm = _csv(tmp_path, "name,x,y\nHelsinki,385800,6672300\n", "utm.csv")  # WGS 84 / UTM 35N
    lon, lat = table_points_wgs84(read_table(utm), crs="EPSG:32635", what="point")
    assert lon[0] == pytest.approx(24.94, abs=0.02) and lat[0] == pytest.approx(60.17, abs=0.02)


@pytest.mark.parametrize(("crs", "name"), [("gcj02", "GCJ-02"), ("百度", "BD-09")])
def test_shifted_coordinates_outside_china_are_refused(tmp_path: Path, crs: str, name: str) -> None:
    path = _csv(tmp_path, "名称,经度,纬度\n如城,120.57,32.39\n赫尔辛基,24.95,60.17\n")
    with pytest.raises(InputError) as info:
        table_points_wgs84(read_table(path), crs=crs, what="point")
    err = info.value
    assert err.row == 3 and err.column == "经度"
    assert str(err) == (
        f"p.csv, row 3, column 经度: {name} is defined only inside China; the point (24.95, 60.17) lies outside; "
        "these look like plain WGS 84 — choose EPSG:4326"
    )


def test_bd09_table_is_converted_to_wgs84(tmp_path: Path) -> None:
    b_lon, b_lat = wgs84_to_bd09(*RUGAO)
    path = _csv(tmp_path, f"名称,经度,纬度\n如城,{float(b_lon)!r},{float(b_lat)!r}\n")
    lon, lat = table_points_wgs84(read_table(path), crs="bd09", what="point")
    assert _metres(lon, lat, *RUGAO) < 0.01
    lon_g, lat_g = table_points_wgs84(read_table(path), crs="gcj02", what="point")
    assert _metres(lon_g, lat_g, *RUGAO) > 500  # read as GCJ-02 it would be wrong by the Baidu offset


def test_swapped_columns_get_their_hint(tmp_path: Path) -> None:
    # latitude beyond 90: plainly swapped
    one = _csv(tmp_path, "名称,经度,纬度\n如城,32.39,120.57\n", "one.csv")
    with pytest.raises(InputError, match="longitude 32.39 is outside China .*经度 and 纬度 look swapped"):
        table_points_wgs84(read_table(one), crs="EPSG:4326", what="point")
    # Kashgar/Urumqi swapped are valid lon/lat (in the Arctic): the whole column swapped lies in China
    west = _csv(tmp_path, "名称,经度,纬度\n喀什,39.47,75.99\n乌鲁木齐,43.83,87.62\n", "west.csv")
    with pytest.raises(InputError) as info:
        table_points_wgs84(read_table(west), crs="EPSG:4326", what="point")
    assert info.value.row == 2 and "look swapped" in str(info.value)
    # one swapped row among rows in China
    mixed = _csv(tmp_path, "名称,经度,纬度\n乌鲁木齐,87.62,43.83\n喀什,39.47,75.99\n", "mixed.csv")
    with pytest.raises(InputError) as info:
        table_points_wgs84(read_table(mixed), crs="EPSG:4326", what="point")
    assert info.value.row == 3 and "look swapped" in str(info.value)
    # and with GCJ-02 the swap is named rather than "outside China"
    with pytest.raises(InputError, match="look swapped"):
        table_points_wgs84(read_table(west), crs="gcj02", what="point")


def test_metres_in_degree_columns_name_the_likely_crs(tmp_path: Path) -> None:
    path = _csv(tmp_path, "名称,经度,纬度\n如城,40553970.4,3585355.2\n")
    with pytest.raises(InputError) as info:
        table_points_wgs84(read_table(path), crs="EPSG:4326", what="point")
    message = str(info.value)
    assert "beyond ±180°" in message and "zone 40" in message and "EPSG:4528" in message


def test_projected_xy_converting_to_nothing_names_the_likely_crs(tmp_path: Path) -> None:
    # zone-numbered Gauss-Krüger X (40 553 970) read as the CRS without zone number: no place on Earth
    path = _csv(tmp_path, "name,X,Y\nA,40553970.379,3585355.240\n")
    with pytest.raises(InputError) as info:
        table_points_wgs84(read_table(path), crs="EPSG:4549", what="point")
    message = str(info.value)
    assert info.value.row == 2 and "no place on Earth" in message and "EPSG:4528" in message
    assert "CGCS2000 / 3-degree GK CM 120°E (EPSG:4549)" in message
    # 1 500 km east of the central meridian of a 3-degree zone: far outside the area of that system
    far = _csv(tmp_path, "name,X,Y\nA,2000000,3585355\n", "far.csv")
    with pytest.raises(InputError, match="far outside the area of that system"):
        table_points_wgs84(read_table(far), crs="EPSG:4549", what="point")
    lon, lat = table_points_wgs84(read_table(path), crs="EPSG:4528", what="point")
    assert lon[0] == pytest.approx(RUGAO[0], abs=1e-6) and lat[0] == pytest.approx(RUGAO[1], abs=1e-6)


def test_zero_zero_is_missing_not_a_place(tmp_path: Path) -> None:
    path = _csv(tmp_path, "名称,经度,纬度\n如城,120.57,32.39\n无坐标,0,0\n")
    with pytest.raises(InputError, match=r"row 3, column 经度: coordinates \(0, 0\) usually mean the location is missing"):
        table_points_wgs84(read_table(path), crs="EPSG:4326", what="point")


# ------------------------------------------------------------------------------------------ B4 DMS and hemispheres


@pytest.mark.parametrize(
    ("text", "what", "expected"),
    [
        ("120°33′12″", "longitude", 120 + 33 / 60 + 12 / 3600),
        ("120°33'12\"", "longitude", 120 + 33 / 60 + 12 / 3600),
        ("120度33分12秒", "longitude", 120 + 33 / 60 + 12 / 3600),
        ("120°33.2′", "longitude", 120 + 33.2 / 60),
        ("120.5°E", "longitude", 120.5),
        ("E120.5", "longitude", 120.5),
        ("东经120.5", "longitude", 120.5),
        ("32.1N", "latitude", 32.1),
        ("N 32°22′", "latitude", 32 + 22 / 60),
        ("S 33.9", "latitude", -33.9),
        ("33°52′S", "latitude", -(33 + 52 / 60)),
        ("W 0.12", "longitude", -0.12),
        ("１２０°３３′１２″Ｅ", "longitude", 120 + 33 / 60 + 12 / 3600),
        ("120 33 12", "longitude", 120 + 33 / 60 + 12 / 3600),
        ("120º33'", "longitude", 120 + 33 / 60),
        ("-33.9", "latitude", -33.9),
        ("120.57", "经度", 120.57),
        (120.57, "longitude", 120.57),
    ],
)
def test_parse_degrees(text: object, what: str, expected: float) -> None:
    value = parse_degrees(text, path="p.csv", row=2, column="经度", what=what)
    assert value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "what", "match"),
    [
        ("120°60′", "longitude", "minutes and seconds must be below 60"),
        ("120°33′60″", "longitude", "minutes and seconds must be below 60"),
        ("32.1N", "longitude", "latitude hemisphere N/S in a longitude"),
        ("120.5E", "latitude", "longitude hemisphere E/W in a latitude"),
        ("-33.9S", "latitude", "both a minus sign"),
        ("120.5°30′", "longitude", "decimal degrees cannot have minutes"),
        ("abc", "longitude", "longitude must be a number, got 'abc'"),
        (None, "latitude", "latitude is missing"),
        ("", "latitude", "latitude is missing"),
        (float("inf"), "latitude", "finite"),
    ],
)
def test_parse_degrees_refuses(text: object, what: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        parse_degrees(text, path="p.csv", row=4, column="纬度", what=what)
    assert info.value.row == 4 and info.value.column == "纬度"


def test_dms_cells_in_a_table(tmp_path: Path) -> None:
    path = _csv(tmp_path, "名称,经度,纬度\n如城,120°34′25″E,32°23′28″N\n")
    lon, lat = table_points_wgs84(read_table(path), crs="EPSG:4326", what="point")
    assert lon[0] == pytest.approx(120 + 34 / 60 + 25 / 3600) and lat[0] == pytest.approx(32 + 23 / 60 + 28 / 3600)
    bad = _csv(tmp_path, "名称,经度,纬度\n如城,120°34′25″,32°63′\n", "bad.csv")
    with pytest.raises(InputError, match="bad.csv, row 2, column 纬度: latitude '32°63′': minutes and seconds"):
        table_points_wgs84(read_table(bad), crs="EPSG:4326", what="point")


# ------------------------------------------------------------------------------------------ B5 read_vector: crs, encoding, no .prj


def test_a_stated_crs_replaces_the_files_own(tmp_path: Path) -> None:
    # a GeoJSON always says WGS 84; these are CGCS2000 3-degree GK zone 40 metres
    path = tmp_path / "towns.geojson"
    gpd.GeoDataFrame({"name": ["如城"]}, geometry=[box(40_553_000, 3_585_000, 40_555_000, 3_587_000)],
                     crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match="EPSG:4528"):
        read_vector(path, layer=None, what="township", geometry_types=POLYGONS)
    gdf = read_vector(path, layer=None, what="township", geometry_types=POLYGONS, crs="EPSG:4528")
    assert gdf.crs.to_epsg() == 4528
    assert gdf.attrs[NOTES_ATTR] == [
        "towns.geojson: the file says WGS 84 (EPSG:4326); read as CGCS2000 / 3-degree GK zone 40 (EPSG:4528), as given"
    ]
    # the stated CRS is checked against the coordinates too
    with pytest.raises(InputError, match="look like"):
        read_vector(path, layer=None, what="township", geometry_types=POLYGONS, crs="wgs84")


def test_real_amap_outline_read_as_gcj02_lands_on_the_cgcs2000_outline() -> None:
    counties = gpd.read_file(COUNTIES)
    rugao = counties[counties["code"] == "320682"].to_crs(4528).geometry.union_all().centroid
    raw = read_vector(AMAP_RUGAO, layer=None, what="township", geometry_types=POLYGONS)
    assert raw.attrs[NOTES_ATTR] == []
    converted = read_vector(AMAP_RUGAO, layer=None, what="township", geometry_types=POLYGONS, crs="高德")
    assert converted.crs.to_epsg() == 4326
    assert converted.attrs[NOTES_ATTR] == [
        "rugao_amap_gcj02.geojson: GCJ-02 (高德/腾讯) coordinates converted to WGS 84 (EPSG:4326)"
    ]
    off_raw = raw.to_crs(4528).geometry.union_all().centroid.distance(rugao)
    off_converted = converted.to_crs(4528).geometry.union_all().centroid.distance(rugao)
    assert off_raw > 350 and off_converted < 120  # the Amap offset is ~450 m here; the rest is simplification
    expected = gcj02_to_wgs84(*raw.geometry.get_coordinates().to_numpy().T)
    assert np.allclose(converted.geometry.get_coordinates().to_numpy().T, expected, atol=1e-12)


def test_bd09_layer_is_converted_and_refused_outside_china(tmp_path: Path) -> None:
    b_lon, b_lat = wgs84_to_bd09(*RUGAO)
    path = tmp_path / "fac.gpkg"
    gpd.GeoDataFrame({"name": ["如城"]}, geometry=[Point(float(b_lon), float(b_lat))], crs=4326).to_file(path)
    gdf = read_vector(path, layer=None, what="population point", geometry_types=POINTS, crs="bd09")
    assert _metres(gdf.geometry.x, gdf.geometry.y, *RUGAO) < 0.01
    abroad = tmp_path / "abroad.gpkg"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(120.5, 32.3), Point(24.95, 60.17)], crs=4326).to_file(abroad)
    with pytest.raises(InputError) as info:
        read_vector(abroad, layer=None, what="population point", geometry_types=POINTS, crs="gcj02")
    assert str(info.value) == (
        "abroad.gpkg, row 2: GCJ-02 is defined only inside China; feature 2 (24.95, 60.17) lies outside; "
        "these look like plain WGS 84 — choose EPSG:4326"
    )
    metres = tmp_path / "metres.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(553970, 3585355)], crs=4549).to_file(metres)
    with pytest.raises(InputError, match=r"GCJ-02 coordinates are longitude/latitude but .*EPSG:4549"):
        read_vector(metres, layer=None, what="population point", geometry_types=POINTS, crs="gcj02")


def _no_prj(tmp_path: Path, name: str, geometry, crs=4326) -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[geometry], crs=crs).to_file(path, encoding="utf-8")
    path.with_suffix(".prj").unlink(missing_ok=True)
    return path


def test_no_prj_gauss_krueger_with_zone_number_is_read_as_that_zone(tmp_path: Path) -> None:
    line = LineString([(40_553_970, 3_585_355), (40_554_500, 3_586_000)])
    path = _no_prj(tmp_path, "roads.shp", line, 4528)
    gdf = read_vector(path, layer=None, what="road", geometry_types=LINES)
    assert gdf.crs.to_epsg() == 4528
    assert gdf.attrs[NOTES_ATTR] == [
        "roads.shp: no .prj; read as CGCS2000 / 3-degree GK zone 40 (EPSG:4528) from its coordinates"
    ]
    # the same place in the 6-degree zone 20 (central meridian 117°E)
    x, y = pyproj.Transformer.from_crs(4326, 4498, always_xy=True).transform(*RUGAO)
    six = _no_prj(tmp_path, "six.shp", Point(x, y), 4498)
    assert read_vector(six, layer=None, what="road", geometry_types=POINTS).crs.to_epsg() == 4498


def test_no_prj_degrees_in_china_are_read_as_cgcs2000(tmp_path: Path) -> None:
    path = _no_prj(tmp_path, "towns.shp", box(120.5, 32.3, 120.6, 32.4), 4490)
    gdf = read_vector(path, layer=None, what="township", geometry_types=POLYGONS, crs=None)
    assert gdf.crs.to_epsg() == 4490
    assert gdf.attrs[NOTES_ATTR] == ["towns.shp: no .prj; read as CGCS2000 (EPSG:4490) from its coordinates"]
    # a stated CRS wins over the guess
    stated = read_vector(path, layer=None, what="township", geometry_types=POLYGONS, crs="EPSG:4326")
    assert stated.crs.to_epsg() == 4326
    assert stated.attrs[NOTES_ATTR] == [
        "towns.shp: the file states no coordinate system; read as WGS 84 (EPSG:4326), as given"
    ]


@pytest.mark.parametrize(
    ("geometry", "hint"),
    [
        (Point(553_970, 3_585_355), "without the zone number"),  # the central meridian is unknown
        (Point(13_500_000, 4_375_000), "6-degree GK zone 13 (EPSG:4491) or Web Mercator"),  # two readings in China
        (Point(2.35, 48.85), "degrees outside China"),  # Paris: WGS 84 most likely, but not said
    ],
)
def test_no_prj_ambiguous_coordinates_are_refused(tmp_path: Path, geometry, hint: str) -> None:
    path = _no_prj(tmp_path, "towns.shp", geometry)
    with pytest.raises(InputError) as info:
        read_vector(path, layer=None, what="township", geometry_types=POINTS)
    message = str(info.value)
    assert message.startswith("towns.shp: the township file has no coordinate reference system (no .prj)")
    assert hint in message and message.endswith("give it with --crs townships=EPSG:…")


def test_infer_crs_directly() -> None:
    crs, label = infer_crs(40_553_970, 3_585_355, 40_560_000, 3_590_000)
    assert crs is not None and crs.to_epsg() == 4528 and label == "CGCS2000 / 3-degree GK zone 40 (EPSG:4528)"
    assert infer_crs(math.nan, 0, 1, 1) == (None, "")
    assert infer_crs(-5e7, -5e7, -4e7, -4e7) == (None, "")


def _gbk_shapefile(tmp_path: Path, name: str = "towns.shp") -> Path:
    path = tmp_path / name
    frame = gpd.GeoDataFrame({"NAME": ["如城街道", "九华镇"], "CODE": ["320682001", "320682102"]},
                             geometry=[Point(120.57, 32.39), Point(120.6, 32.3)], crs=4490)
    pyogrio.write_dataframe(frame, path, encoding="gb18030")
    path.with_suffix(".cpg").unlink()  # as bureau Shapefiles come: GBK text, no .cpg
    return path


def test_gbk_shapefile_without_cpg_with_ascii_headers(tmp_path: Path) -> None:
    # pandas 3 reads the text as the str dtype (not object): the values alone must reveal the GBK
    path = _gbk_shapefile(tmp_path)
    gdf = read_vector(path, layer=None, what="township", geometry_types=POINTS)
    assert gdf["NAME"].tolist() == ["如城街道", "九华镇"]
    assert gdf.attrs[NOTES_ATTR] == ["towns.shp: no .cpg; attribute text read as GB18030 (GBK)"]


def test_chosen_attribute_encoding(tmp_path: Path) -> None:
    path = _gbk_shapefile(tmp_path)
    gdf = read_vector(path, layer=None, what="township", geometry_types=POINTS, encoding="gbk")
    assert gdf["NAME"].tolist() == ["如城街道", "九华镇"]
    assert gdf.attrs[NOTES_ATTR] == ["towns.shp: attribute text read as GBK, as chosen"]
    with pytest.raises(InputError) as info:
        read_vector(path, layer=None, what="township", geometry_types=POINTS, encoding="utf-8")
    assert str(info.value).startswith("towns.shp: the attribute text is not UTF-8") and "gb18030" in str(info.value)
    utf8 = tmp_path / "utf8.shp"
    gpd.GeoDataFrame({"NAME": ["如城街道"]}, geometry=[Point(120.57, 32.39)], crs=4490).to_file(utf8, encoding="utf-8")
    with pytest.raises(InputError, match="utf8.shp: the attribute text is UTF-8, not GBK; choose utf-8"):
        read_vector(utf8, layer=None, what="township", geometry_types=POINTS, encoding="gbk")
    with pytest.raises(InputError, match="towns.shp: the attribute text is not Big5; it looks like GB18030 — choose gb18030"):
        read_vector(path, layer=None, what="township", geometry_types=POINTS, encoding="big5")
    with pytest.raises(InputError, match="unknown text encoding 'klingon'"):
        read_vector(utf8, layer=None, what="township", geometry_types=POINTS, encoding="klingon")
    gpkg = tmp_path / "t.gpkg"
    gpd.GeoDataFrame({"NAME": ["如城街道"]}, geometry=[Point(120.57, 32.39)], crs=4490).to_file(gpkg)
    read = read_vector(gpkg, layer=None, what="township", geometry_types=POINTS, encoding="gbk")
    assert read["NAME"].tolist() == ["如城街道"]
    assert read.attrs[NOTES_ATTR] == ["t.gpkg: the format stores text as UTF-8; the chosen encoding GBK was not used"]


# ------------------------------------------------------------------------------------------ broken files give one line


def _geojson(tmp_path: Path, geometry: str) -> Path:
    path = tmp_path / "g.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},'
                    f'"geometry":{geometry}}}]}}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("geometry", "match"),
    [
        ('{"type":"LineString","coordinates":[[120.5,32.3]]}', "a geometry in the file is broken"),
        ('{"type":"Point","coordinates":[Infinity,32]}', "row 1: the road file has coordinates that are not finite"),
        ('{"type":"LineString","coordinates":[[NaN,NaN],[NaN,NaN]]}', "not finite numbers"),
    ],
)
def test_broken_geometries_give_one_line(tmp_path: Path, geometry: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        read_vector(_geojson(tmp_path, geometry), layer=None, what="road", geometry_types=LINES | POINTS)
    assert str(info.value).startswith("g.geojson") and "\n" not in str(info.value)


def test_a_prj_that_is_not_text_gives_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.shp"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(120.5, 32.3)], crs=4326).to_file(path)
    path.with_suffix(".prj").write_bytes(
        b'GEOGCS["WGS 84",DATUM["\xc0\xc1",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
        b'UNIT["degree",0.0174532925199433]]'
    )
    with pytest.raises(InputError, match=r"p.shp: cannot read the file's coordinate system \(.prj\)"):
        read_vector(path, layer=None, what="road", geometry_types=POINTS)


# ------------------------------------------------------------------------------------------ B7 labels


@pytest.mark.parametrize(
    ("crs", "label"),
    [
        ("EPSG:4528", "CGCS2000 / 3-degree GK zone 40 (EPSG:4528)"),
        (pyproj.CRS.from_epsg(4549), "CGCS2000 / 3-degree GK CM 120°E (EPSG:4549)"),
        ("EPSG:4498", "CGCS2000 / 6-degree GK zone 20 (EPSG:4498)"),
        ("EPSG:4509", "CGCS2000 / 6-degree GK CM 117°E (EPSG:4509)"),
        ("wgs84", "WGS 84 (EPSG:4326)"),
        ("EPSG:4490", "CGCS2000 (EPSG:4490)"),
        ("gcj02", "GCJ-02 (高德/腾讯)"),
        ("bd09", "BD-09 (百度)"),
        ("EPSG:32651", "WGS 84 / UTM zone 51N (EPSG:32651)"),
        ("EPSG:3857", "Web Mercator (EPSG:3857)"),
        ("EPSG:2154", "RGF93 v1 / Lambert-93 (EPSG:2154)"),
        (None, "no coordinate system"),
        ("nonsense", "nonsense"),
    ],
)
def test_describe_crs(crs, label: str) -> None:
    assert describe_crs(crs) == label


def test_crs_choices() -> None:
    codes = [code for code, _ in CRS_CHOICES]
    assert codes[:4] == ["EPSG:4326", "EPSG:4490", "gcj02", "bd09"]
    assert [f"EPSG:{c}" for c in range(4513, 4555)] == codes[4:46]
    assert [f"EPSG:{c}" for c in range(4491, 4513)] == codes[46:68]
    assert codes[68:] == ["EPSG:32648", "EPSG:32649", "EPSG:32650", "EPSG:32651"]
    assert len(set(codes)) == len(codes) == 72
    for code, label in CRS_CHOICES:
        parsed = parse_crs(code)
        assert describe_crs(parsed) == label
        if isinstance(parsed, pyproj.CRS) and parsed.to_epsg() in range(4491, 4555):
            # the label's zone / central meridian agrees with the EPSG definition
            name = parsed.name
            zone_or_cm = label.split(" (")[0].split(" ")[-1]
            assert zone_or_cm.rstrip("°E") in name
    assert ("EPSG:4528", "CGCS2000 / 3-degree GK zone 40 (EPSG:4528)") in CRS_CHOICES


def test_degrees_given_a_projected_crs_are_named(tmp_path: Path) -> None:
    path = _csv(tmp_path, "名称,经度,纬度\n如城,120.57,32.39\n")
    with pytest.raises(InputError, match="look like longitude/latitude degrees"):
        table_points_wgs84(read_table(path), crs="EPSG:4549", what="point")
