"""Communities (社区) and villages (村): points or polygons, kind from a column or the name."""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

from layers.communities import read_communities
from layers.errors import InputError

# A concave (L-shaped) outline: its centroid falls outside, the representative point must not.
L_SHAPE = Polygon([(0, 0), (300, 0), (300, 50), (50, 50), (50, 300), (0, 300)])


def test_polygons_and_points_kind_from_name(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"名称": ["翠江社区", "城郊村", "南门居委会"], "老年人口": [820, 310, None]},
        geometry=[L_SHAPE, Point(1000, 1000), Polygon([(2000, 0), (2100, 0), (2100, 100)])],
        crs="EPSG:4549",
    )
    path = tmp_path / "communities.gpkg"
    gdf.to_file(path)
    out = read_communities(path)
    assert list(out.columns) == ["name", "kind", "elderly", "geometry"]
    assert out["kind"].tolist() == ["urban", "village", "urban"]
    assert out["elderly"].tolist()[:2] == [820.0, 310.0] and math.isnan(out["elderly"][2])
    assert (out.geom_type == "Point").all()
    assert L_SHAPE.contains(out.geometry[0]) and not L_SHAPE.contains(L_SHAPE.centroid)
    assert out.crs.to_epsg() == 4549
    assert gdf.geom_type[0] == "Polygon"  # input untouched


def test_kind_column_overrides_name(tmp_path: Path) -> None:
    path = tmp_path / "c.geojson"
    gpd.GeoDataFrame(
        {"name": ["水茜", "石壁", "Xincheng"], "性质": ["行政村", "城市社区", "community"]},
        geometry=[Point(116.6, 26.2), Point(116.5, 26.3), Point(116.7, 26.1)],
        crs=4326,
    ).to_file(path)
    assert read_communities(path)["kind"].tolist() == ["village", "urban", "urban"]


def test_table_with_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("村(社区),类型,经度,纬度\n城北社区,社区,120.57,32.40\n丁堰村,村,120.70,32.30\n", encoding="utf-8")
    out = read_communities(path)
    assert out["name"].tolist() == ["城北社区", "丁堰村"]
    assert out["kind"].tolist() == ["urban", "village"]
    assert out.crs.to_epsg() == 4326
    assert out["elderly"].isna().all()


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"名称": ["翠江社区", "城郊"]}, "c.gpkg, row 2, column 名称: cannot tell whether '城郊' is an urban community"),
        (
            {"名称": ["翠江社区", "城郊村"], "类型": ["社区", "乡镇"]},
            "c.gpkg, row 2, column 类型: unknown kind '乡镇'; use 社区 (urban community) or 村 (village)",
        ),
        ({"名称": ["翠江社区", None]}, "c.gpkg, row 2, column 名称: community/village name is empty"),
        ({"名称": ["翠江社区", "城郊村"], "老年人口": ["5", "many"]}, "c.gpkg, row 2, column 老年人口: elderly count must be a number"),
        ({"label": ["翠江社区", "城郊村"]}, "c.gpkg: no community name column"),
    ],
)
def test_bad_communities(tmp_path: Path, columns: dict[str, list[object]], expected: str) -> None:
    path = tmp_path / "c.gpkg"
    gpd.GeoDataFrame(columns, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:4549").to_file(path)
    with pytest.raises(InputError) as info:
        read_communities(path)
    assert str(info.value).startswith(expected)


def test_bad_community_files(tmp_path: Path) -> None:
    lines = tmp_path / "lines.gpkg"
    gpd.GeoDataFrame({"名称": ["翠江社区"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326).to_file(lines)
    with pytest.raises(InputError, match="lines.gpkg, row 1: the community layer must contain points or polygons"):
        read_communities(lines)
    shp = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"名称": ["翠江社区"]}, geometry=[Point(0, 0)], crs="EPSG:4549").to_file(shp, encoding="utf-8")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="nocrs.shp: the community file has no coordinate reference system"):
        read_communities(shp)
    with pytest.raises(InputError, match="file not found"):
        read_communities(tmp_path / "missing.geojson")
    table = tmp_path / "c.csv"
    table.write_text("名称,经度,纬度\n城北社区,120.57,232.40\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"c.csv, row 2, column 纬度: latitude 232.4 is outside China"):
        read_communities(table)
