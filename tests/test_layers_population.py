"""Elderly population points (tables, point layers) and rasters."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import rasterio
from affine import Affine
from shapely.geometry import MultiPoint, Point

from layers.errors import InputError
from layers.gcj02 import gcj02_to_wgs84
from layers.population import read_population_points, read_population_raster


def test_csv_points_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_text("小区名称,经度,纬度,老年人数\n翠江花园,116.6541,26.2655,312\n北大街小区,116.6552,26.2690,87.5\n", encoding="utf-8-sig")
    pop = read_population_points(path)
    assert list(pop.columns) == ["name", "elderly", "geometry"]
    assert pop["name"].tolist() == ["翠江花园", "北大街小区"]
    assert pop["elderly"].tolist() == [312.0, 87.5]
    assert pop.crs.to_epsg() == 4326
    assert (pop.geometry[0].x, pop.geometry[0].y) == (116.6541, 26.2655)


def test_xlsx_points_gcj02_and_count_alias(tmp_path: Path) -> None:
    path = tmp_path / "pop.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["LNG", "LAT", "人数"])
    book.active.append([120.5736, 32.3910, 40])
    book.save(path)
    pop = read_population_points(path, crs="gcj02")
    lon, lat = gcj02_to_wgs84([120.5736], [32.3910])
    assert pop.geometry[0].x == pytest.approx(lon[0], abs=1e-12)
    assert pop.geometry[0].y == pytest.approx(lat[0], abs=1e-12)
    assert pop["name"].tolist() == [None]


def test_xy_points_in_projected_crs(tmp_path: Path) -> None:
    path = tmp_path / "xy.csv"
    path.write_text("x,y,count\n553970.379,3585355.240,25\n", encoding="utf-8")
    pop = read_population_points(path, crs="EPSG:4549")
    assert pop.crs.to_epsg() == 4326
    assert pop.geometry[0].x == pytest.approx(120.5736, abs=1e-7)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("经度,纬度,老年人数\n116.65,26.26,12\n116.66,26.27,-3\n", "pop.csv, row 3, column 老年人数: elderly count must not be below 0"),
        ("经度,纬度,老年人数\n116.65,26.26,十二\n", "pop.csv, row 2, column 老年人数: elderly count must be a number, got '十二'"),
        ("经度,纬度,老年人数\n116.65,26.26,\n", "pop.csv, row 2, column 老年人数: elderly count is missing"),
        ("经度,纬度,老年人数\n116.65,abc,3\n", "pop.csv, row 2, column 纬度: latitude must be a number, got 'abc'"),
        (
            "经度,纬度,老年人数\n26.26,116.65,3\n",
            "pop.csv, row 2, column 经度: longitude 26.26 is outside China (73–136°E); 经度 and 纬度 look swapped",
        ),
        ("经度,纬度\n116.65,26.26\n", "pop.csv: no elderly count column; expected a header such as elderly/老年人口"),
    ],
)
def test_bad_population_tables(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "pop.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_population_points(path)
    assert str(info.value).startswith(expected)


def test_vector_points(tmp_path: Path) -> None:
    path = tmp_path / "pop.gpkg"
    gpd.GeoDataFrame(
        {"name": ["a", "b"], "elderly": [10, 20.5]},
        geometry=[Point(500000, 3000000), MultiPoint([(500100, 3000100)])],
        crs="EPSG:4549",
    ).to_file(path)
    pop = read_population_points(path)
    assert pop.crs.to_epsg() == 4549
    assert pop["elderly"].tolist() == [10.0, 20.5]
    assert pop.geom_type.tolist() == ["Point", "Point"]


def test_vector_points_bad(tmp_path: Path) -> None:
    multi = tmp_path / "multi.gpkg"
    gpd.GeoDataFrame(
        {"elderly": [1, 2]}, geometry=[Point(0, 0), MultiPoint([(0, 0), (1, 1)])], crs="EPSG:4549"
    ).to_file(multi)
    with pytest.raises(InputError, match="multi.gpkg, row 2: the population layer must contain single points"):
        read_population_points(multi)
    negative = tmp_path / "neg.gpkg"
    gpd.GeoDataFrame({"老年人口": [1, -2]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:4549").to_file(negative)
    with pytest.raises(InputError, match="neg.gpkg, row 2, column 老年人口: elderly count must not be below 0"):
        read_population_points(negative)
    shp = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"elderly": [1]}, geometry=[Point(0, 0)], crs="EPSG:4549").to_file(shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="no coordinate reference system"):
        read_population_points(shp)


def _raster(path: Path, data: np.ndarray, *, crs: str | None = "EPSG:4549", nodata: float | None = -1.0) -> Path:
    kwargs: dict[str, object] = {}
    if crs is not None:
        kwargs["crs"] = crs
    if nodata is not None:
        kwargs["nodata"] = nodata
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[0],
        width=data.shape[1],
        count=1,
        dtype="float32",
        transform=Affine(100.0, 0.0, 550000.0, 0.0, -100.0, 3586000.0),
        **kwargs,
    ) as dst:
        dst.write(data.astype("float32"), 1)
    return path


def test_raster_cells_to_points(tmp_path: Path) -> None:
    data = np.array([[10.0, 0.0, -1.0], [2.5, np.nan, 40.0]])
    path = _raster(tmp_path / "pop.tif", data)
    pop = read_population_raster(path)
    assert list(pop.columns) == ["elderly", "geometry"]
    assert pop.crs.to_epsg() == 4549
    assert pop["elderly"].tolist() == [10.0, 2.5, 40.0]
    assert [(p.x, p.y) for p in pop.geometry] == [(550050.0, 3585950.0), (550050.0, 3585850.0), (550250.0, 3585850.0)]
    shared = read_population_raster(path, share=0.2)
    assert shared["elderly"].tolist() == pytest.approx([2.0, 0.5, 8.0])


def test_raster_bad_inputs(tmp_path: Path) -> None:
    no_crs = _raster(tmp_path / "nocrs.tif", np.ones((2, 2)), crs=None)
    with pytest.raises(InputError, match="nocrs.tif: the population raster has no coordinate reference system"):
        read_population_raster(no_crs)
    zeros = _raster(tmp_path / "zeros.tif", np.zeros((2, 2)))
    with pytest.raises(InputError, match="zeros.tif: the population raster has no cells with a value above 0"):
        read_population_raster(zeros)
    ok = _raster(tmp_path / "ok.tif", np.ones((2, 2)))
    with pytest.raises(InputError, match="elderly share must be between 0 and 1"):
        read_population_raster(ok, share=25)
    with pytest.raises(InputError, match="band 2 does not exist"):
        read_population_raster(ok, band=2)
    with pytest.raises(InputError, match="population raster not found"):
        read_population_raster(tmp_path / "missing.tif")
    text = tmp_path / "fake.tif"
    text.write_text("not a tiff", encoding="utf-8")
    with pytest.raises(InputError, match="fake.tif: cannot read as a raster"):
        read_population_raster(text)
