"""CRS helpers: explicit CRS everywhere, metric work in a projected CRS, the planner's CRS words
(``gcj02``, ``百度``, ``EPSG:4528``) and short labels for them."""
from __future__ import annotations

import functools
import math
import threading
import unicodedata

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .errors import InputError

WGS84 = pyproj.CRS.from_epsg(4326)

#: Lon/lat "shifts" that are no CRS of their own: GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu).
SHIFTED = frozenset({"gcj02", "bd09"})

#: Bounding box used for "inside China" (degrees; generous: includes the South China Sea islands' north).
CHINA_LON_DEG = (73.0, 136.0)
CHINA_LAT_DEG = (3.0, 54.0)

_GCJ02_WORDS = frozenset({
    "gcj02", "gcj", "gcj2", "amap", "gaode", "autonavi", "tencent", "qq", "soso", "mars", "marscoordinates",
    "高德", "高德地图", "高德坐标", "腾讯", "腾讯地图", "腾讯坐标", "火星", "火星坐标", "火星坐标系", "国测局", "国测局坐标",
    "gcj02坐标", "gcj02坐标系",
})
_BD09_WORDS = frozenset({"bd09", "bd09ll", "bd", "baidu", "百度", "百度地图", "百度坐标", "百度经纬度", "bd09坐标"})
_BD09MC_WORDS = frozenset({"bd09mc", "baidumercator", "百度墨卡托", "百度米制坐标"})
_EPSG_WORDS = {
    "wgs84": 4326, "wgs1984": 4326, "gps": 4326, "4326": 4326, "经纬度": 4326,
    "cgcs2000": 4490, "cgcs": 4490, "国家2000": 4490, "2000国家大地坐标系": 4490, "cgcs2000经纬度": 4490,
    "beijing54": 4214, "北京54": 4214, "xian80": 4610, "西安80": 4610,
    "webmercator": 3857, "pseudomercator": 3857,
}
_CRS_EXAMPLES = (
    "EPSG:4326 (WGS 84), EPSG:4490 (CGCS2000), EPSG:4528 (CGCS2000 3-degree GK zone 40), "
    "gcj02 (高德/腾讯) or bd09 (百度)"
)


def require_crs(gdf: gpd.GeoDataFrame, *, what: str, path: object = None) -> pyproj.CRS:
    """Return the frame's CRS or raise :class:`InputError` if it has none (never guess)."""
    if gdf.crs is None:
        raise InputError(
            f"{what} has no coordinate reference system (CRS); save it with a .prj / CRS or give one explicitly",
            path=path,
        )
    return pyproj.CRS.from_user_input(gdf.crs)


def is_walkable_metric(crs: pyproj.CRS) -> bool:
    """True for a projected CRS in metres whose scale is true enough for walking distances: a Transverse
    Mercator (Gauss-Krüger, UTM) projection. Web Mercator stretches distances by 1/cos(latitude)
    (x1.18 at 32°N) and other projections distort too, so those are not kept."""
    if not crs.is_projected:
        return False
    units = {a.unit_name for a in crs.axis_info}
    if not units <= {"metre", "meter", "m"}:
        return False
    op = crs.coordinate_operation
    method = (op.method_name if op is not None else "").lower()
    return "transverse mercator" in method or "gauss" in method


def metric_crs_for(lon: float, lat: float, *, source: pyproj.CRS | None = None) -> pyproj.CRS:
    """Pick a metric CRS for an area centred at (lon, lat) in degrees.

    A source CRS fit for walking distances (a Transverse Mercator zone in metres, e.g. CGCS2000
    Gauss-Krüger or UTM) is kept as it is; otherwise — degrees, Web Mercator, any distorting projection —
    the UTM zone of the centre is used (WGS 84 / UTM, EPSG:326xx or 327xx).
    """
    if source is not None and is_walkable_metric(source):
        return source
    zone = int((lon + 180.0) // 6.0) + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return pyproj.CRS.from_epsg(epsg)


def metric_crs_for_frame(gdf: gpd.GeoDataFrame, *, what: str = "layer") -> pyproj.CRS:
    """Metric CRS for a frame: its own if projected in metres, else the UTM zone of its centre."""
    crs = require_crs(gdf, what=what)
    if crs.is_projected:
        kept = metric_crs_for(0.0, 0.0, source=crs)
        if kept == crs:
            return crs
    minx, miny, maxx, maxy = gdf.to_crs(WGS84).total_bounds
    return metric_crs_for((minx + maxx) / 2.0, (miny + maxy) / 2.0, source=None)


def likely_crs(x: float, y: float) -> str | None:
    """What projected coordinates (metres) look like, for a message, e.g. ``CGCS2000 3-degree Gauss-Krüger
    zone 40 with the zone number in X (EPSG:4528)``; several readings joined by "or"; None when nothing fits."""
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    zone = int(x // 1_000_000)
    out = []
    if 1_000_000 <= y <= 6_000_000:
        if 25 <= zone <= 45 and 100_000 <= x - zone * 1_000_000 <= 900_000:
            out.append(f"CGCS2000 3-degree Gauss-Krüger zone {zone} with the zone number in X (EPSG:{4513 + zone - 25})")
        if 13 <= zone <= 23 and 100_000 <= x - zone * 1_000_000 <= 900_000:
            out.append(f"CGCS2000 6-degree Gauss-Krüger zone {zone} with the zone number in X (EPSG:{4491 + zone - 13})")
        if 100_000 <= x <= 900_000:
            out.append("Gauss-Krüger or UTM metres without the zone number (e.g. CGCS2000 3-degree GK CM 120°E, "
                       "EPSG:4549; the central meridian decides)")
    if 8_000_000 <= x <= 15_000_000 and 0 < y <= 8_000_000:
        out.append("Web Mercator metres (EPSG:3857)")
    return " or ".join(out) if out else None


def check_coordinates(gdf: gpd.GeoDataFrame, *, what: str, path: object = None) -> None:
    """Refuse coordinates that cannot be in the CRS the file states (one line naming the likely CRS):
    degrees beyond ±180/±90, or metres in a projected CRS whose values read as longitude/latitude in China
    (a whole layer within 70–140 and 15–55: no Chinese projected data lies there)."""
    crs = require_crs(gdf, what=what, path=path)
    geoms = gdf.geometry
    if geoms.is_empty.all():
        return
    minx, miny, maxx, maxy = (float(v) for v in geoms.total_bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        coords, index = shapely.get_coordinates(geoms.to_numpy(), return_index=True)
        bad = ~np.isfinite(coords).all(axis=1)
        row = int(index[int(np.argmax(bad))]) + 1 if bad.any() else None
        raise InputError(
            f"the {what} has coordinates that are not finite numbers (NaN or infinity)", path=path, row=row)
    if crs.is_geographic and (minx < -180.0 or maxx > 180.0 or miny < -90.0 or maxy > 90.0):
        guess = likely_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
        hint = f"; they look like {guess}" if guess else ""
        raise InputError(
            f"the {what} says {crs.name} (degrees) but its coordinates reach X {maxx:,.0f}, Y {maxy:,.0f}{hint}; "
            f"give the layer its real coordinate system", path=path)
    if crs.is_projected and 70.0 <= minx and maxx <= 140.0 and 15.0 <= miny and maxy <= 55.0:  # metres that read as China's lon/lat
        raise InputError(
            f"the {what} says {crs.name} (metres) but its coordinates ({minx:.4f}…{maxx:.4f}, {miny:.4f}…{maxy:.4f}) "
            f"look like longitude/latitude degrees (WGS 84 or CGCS2000, EPSG:4326 / EPSG:4490)", path=path)


# --------------------------------------------------------------------------------------------- the planner's CRS words


def _crs_key(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).strip().lower()
    for ch in " -_/()（）·.":
        s = s.replace(ch, "")
    return s


def parse_crs(crs: str | int | pyproj.CRS, *, path: object = None) -> pyproj.CRS | str:
    """The coordinate system a user names: a :class:`pyproj.CRS`, or the string ``"gcj02"`` / ``"bd09"``
    (see :data:`SHIFTED`) for lon/lat shifted the Chinese web-map way.

    Accepted: ``gcj02``/``GCJ-02``/``amap``/``高德``/``tencent``/``腾讯`` -> ``"gcj02"``; ``bd09``/``BD-09``/
    ``baidu``/``百度`` -> ``"bd09"``; ``wgs84`` -> EPSG:4326; ``cgcs2000``/``国家2000`` -> EPSG:4490; anything
    pyproj reads (``EPSG:4528``, ``4528``, WKT, PROJ strings). Unknown text raises :class:`InputError`.
    """
    if isinstance(crs, pyproj.CRS):
        return _horizontal(crs, text=str(crs.name), path=path)
    if isinstance(crs, bool) or crs is None:
        raise InputError(f"unknown coordinate system '{crs}'; use e.g. {_CRS_EXAMPLES}", path=path)
    if isinstance(crs, int):
        text = f"EPSG:{crs}"
    else:
        text = str(crs).strip()
    key = _crs_key(text)
    if key in _GCJ02_WORDS:
        return "gcj02"
    if key in _BD09_WORDS:
        return "bd09"
    if key in _BD09MC_WORDS:
        raise InputError(
            "Baidu Mercator metres (BD-09MC) are not supported; export Baidu longitude/latitude (bd09) instead",
            path=path,
        )
    if key in _EPSG_WORDS:
        return pyproj.CRS.from_epsg(_EPSG_WORDS[key])
    if key.startswith("epsg") and key[4:].lstrip(":").isdigit():  # "EPSG 4528", "epsg:4528"
        text = f"EPSG:{key[4:].lstrip(':')}"
    if not text:
        raise InputError(f"no coordinate system given; use e.g. {_CRS_EXAMPLES}", path=path)
    try:
        parsed = pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        raise InputError(f"unknown coordinate system '{text}'; use e.g. {_CRS_EXAMPLES}", path=path) from None
    return _horizontal(parsed, text=text, path=path)


def _horizontal(crs: pyproj.CRS, *, text: str, path: object) -> pyproj.CRS:
    if crs.is_geographic or crs.is_projected:
        return crs
    raise InputError(
        f"'{text}' is not a map coordinate system (longitude/latitude or x/y); use e.g. {_CRS_EXAMPLES}", path=path
    )


def inside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Element-wise: does (lon, lat) in degrees lie in China's bounding box? NaN/inf never do."""
    lon = np.nan_to_num(np.asarray(lon, dtype=float), nan=-999.0, posinf=-999.0, neginf=-999.0)
    lat = np.nan_to_num(np.asarray(lat, dtype=float), nan=-999.0, posinf=-999.0, neginf=-999.0)
    return (
        (lon >= CHINA_LON_DEG[0]) & (lon <= CHINA_LON_DEG[1]) & (lat >= CHINA_LAT_DEG[0]) & (lat <= CHINA_LAT_DEG[1])
    )


# --------------------------------------------------------------------------------------------- labels


def _epsg_label(code: int) -> str | None:
    if code == 4326:
        return "WGS 84 (EPSG:4326)"
    if code == 4490:
        return "CGCS2000 (EPSG:4490)"
    if 4513 <= code <= 4533:
        return f"CGCS2000 / 3-degree GK zone {code - 4513 + 25} (EPSG:{code})"
    if 4534 <= code <= 4554:
        return f"CGCS2000 / 3-degree GK CM {75 + 3 * (code - 4534)}°E (EPSG:{code})"
    if 4491 <= code <= 4501:
        return f"CGCS2000 / 6-degree GK zone {code - 4491 + 13} (EPSG:{code})"
    if 4502 <= code <= 4512:
        return f"CGCS2000 / 6-degree GK CM {75 + 6 * (code - 4502)}°E (EPSG:{code})"
    if 32601 <= code <= 32660:
        return f"WGS 84 / UTM zone {code - 32600}N (EPSG:{code})"
    if 32701 <= code <= 32760:
        return f"WGS 84 / UTM zone {code - 32700}S (EPSG:{code})"
    if code == 3857:
        return "Web Mercator (EPSG:3857)"
    if code == 4214:
        return "Beijing 1954 (EPSG:4214)"
    if code == 4610:
        return "Xian 1980 (EPSG:4610)"
    return None


_SHIFT_LABELS = {"gcj02": "GCJ-02 (高德/腾讯)", "bd09": "BD-09 (百度)"}


def describe_crs(crs: str | pyproj.CRS | None) -> str:
    """Short planner-facing label: ``CGCS2000 / 3-degree GK zone 40 (EPSG:4528)``, ``WGS 84 (EPSG:4326)``,
    ``GCJ-02 (高德/腾讯)``, ``BD-09 (百度)``; other CRSs by name (and EPSG code). Never raises."""
    if crs is None:
        return "no coordinate system"
    if isinstance(crs, str):
        if crs in SHIFTED:
            return _SHIFT_LABELS[crs]
        try:
            parsed = parse_crs(crs)
        except InputError:
            return crs
        return describe_crs(parsed)
    try:
        parsed_crs = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return str(crs)
    code = parsed_crs.to_epsg()
    if code is not None:
        label = _epsg_label(code)
        if label is not None:
            return label
        return f"{parsed_crs.name} (EPSG:{code})"
    return str(parsed_crs.name)


#: (code, label) for a coordinate-system chooser, in the order shown: WGS 84, CGCS2000 lon/lat, GCJ-02, BD-09,
#: CGCS2000 3-degree Gauss-Krüger zones 25-45 with the zone number in X (EPSG:4513-4533) and without
#: (4534-4554), 6-degree zones 13-23 with (4491-4501) and without (4502-4512), WGS 84 / UTM 48N-51N.
CRS_CHOICES: tuple[tuple[str, str], ...] = (
    ("EPSG:4326", "WGS 84 (EPSG:4326)"),
    ("EPSG:4490", "CGCS2000 (EPSG:4490)"),
    ("gcj02", _SHIFT_LABELS["gcj02"]),
    ("bd09", _SHIFT_LABELS["bd09"]),
    *((f"EPSG:{c}", str(_epsg_label(c))) for c in range(4513, 4534)),
    *((f"EPSG:{c}", str(_epsg_label(c))) for c in range(4534, 4555)),
    *((f"EPSG:{c}", str(_epsg_label(c))) for c in range(4491, 4502)),
    *((f"EPSG:{c}", str(_epsg_label(c))) for c in range(4502, 4513)),
    *((f"EPSG:{c}", str(_epsg_label(c))) for c in range(32648, 32652)),
)


# --------------------------------------------------------------------------------------------- inference


@functools.lru_cache(maxsize=64)
def _to_wgs84(code: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_epsg(code), WGS84, always_xy=True)


def _reads_in_china(code: int, minx: float, miny: float, maxx: float, maxy: float) -> bool:
    xs = np.array([minx, maxx, minx, maxx, (minx + maxx) / 2.0])
    ys = np.array([miny, miny, maxy, maxy, (miny + maxy) / 2.0])
    lon, lat = _to_wgs84(code).transform(xs, ys, errcheck=False)
    return bool(inside_china(np.asarray(lon), np.asarray(lat)).all())


def infer_crs(minx: float, miny: float, maxx: float, maxy: float) -> tuple[pyproj.CRS | None, str]:
    """Coordinate system of data that states none, read from its bounds when exactly one reading fits China.

    Returns ``(crs, label)`` for: longitude/latitude degrees inside China -> CGCS2000 (EPSG:4490); Gauss-Krüger
    metres with the zone number in X -> the CGCS2000 3-degree zone (25..45 -> EPSG:4513+zone-25) or 6-degree
    zone (13..23 -> EPSG:4491+zone-13) when only that reading lies in China. Otherwise ``(None, hint)``
    where the hint names the likely reading(s) (empty when nothing fits).
    """
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return None, ""
    chosen: list[int] = []
    others: list[str] = []
    if -180.0 <= minx and maxx <= 180.0 and -90.0 <= miny and maxy <= 90.0:
        if inside_china(np.array([minx, maxx]), np.array([miny, maxy])).all():
            chosen.append(4490)
        else:
            others.append("longitude/latitude degrees outside China (WGS 84, EPSG:4326)")
    else:
        zone = int(minx // 1_000_000)
        if zone == int(maxx // 1_000_000):
            if 25 <= zone <= 45 and _reads_in_china(4513 + zone - 25, minx, miny, maxx, maxy):
                chosen.append(4513 + zone - 25)
            if 13 <= zone <= 23 and _reads_in_china(4491 + zone - 13, minx, miny, maxx, maxy):
                chosen.append(4491 + zone - 13)
        if _reads_in_china(3857, minx, miny, maxx, maxy):
            others.append("Web Mercator metres (EPSG:3857)")
        if 100_000 <= minx and maxx <= 900_000 and 300_000 <= miny and maxy <= 6_100_000:
            others.append(
                "Gauss-Krüger or UTM metres without the zone number (the central meridian decides, "
                "e.g. EPSG:4549 for 120°E)"
            )
    if len(chosen) == 1 and not others:
        return pyproj.CRS.from_epsg(chosen[0]), str(_epsg_label(chosen[0]))
    readings = [str(_epsg_label(c)) for c in chosen] + others
    return None, " or ".join(readings)


__all__ = [
    "CHINA_LAT_DEG",
    "CHINA_LON_DEG",
    "CRS_CHOICES",
    "SHIFTED",
    "WGS84",
    "check_coordinates",
    "describe_crs",
    "infer_crs",
    "inside_china",
    "is_walkable_metric",
    "likely_crs",
    "metric_crs_for",
    "metric_crs_for_frame",
    "parse_crs",
    "require_crs",
]


# ------------------------------------------------------------------------------ reprojecting many vertices

#: below this many vertices, reprojection is exact point by point (the interpolation grid is not worth it)
GRID_MIN_VERTICES = 100_000
#: the interpolated reprojection is used only when it is this close to PROJ at every check point (degrees
#: for a geographic target, about 1 mm; metres otherwise)
GRID_TOLERANCE_DEG = 1e-8
GRID_TOLERANCE_M = 1e-3
#: the grid's first cell size (source units; refined by halves) and its most cells per side
GRID_CELL_M = 100.0
GRID_MAX_CELLS = 1024
#: cells whose centre and edge midpoints are checked against PROJ (all of them on smaller grids)
GRID_CHECK_CELLS = 20_000


@functools.lru_cache(maxsize=16)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst), always_xy=True)


def transformer(src: object, dst: object) -> pyproj.Transformer:
    """A cached lon/lat-order transformer between two CRSs (building one costs tens of milliseconds)."""
    return _transformer(pyproj.CRS.from_user_input(src).to_wkt(), pyproj.CRS.from_user_input(dst).to_wkt())


def reproject_xy(xy: np.ndarray, *, src: object, dst: object) -> np.ndarray:
    """``N x 2`` coordinates from ``src`` to ``dst`` — what PROJ gives, to within a millimetre.

    Many vertices (outlines traced on a raster: hundreds of thousands per analysis) are interpolated on a grid
    of exactly reprojected nodes over their box, the way GDAL's approximate transformer warps rasters: the
    grid is refined until PROJ and the interpolation agree to :data:`GRID_TOLERANCE_DEG` (or
    :data:`GRID_TOLERANCE_M`) at every cell's centre and edge midpoints (a random sample of cells on large grids), where bilinear interpolation of a smooth
    map errs most; when no grid gets there (a map that is not smooth over the box) every vertex goes through
    PROJ. Few vertices always go through PROJ. Grids are kept for later frames of the same area
    (:data:`GRID_SNAP`, :data:`GRID_CACHE`)."""
    xy = np.asarray(xy, dtype=float)
    tr = transformer(src, dst)
    if xy.shape[0] < GRID_MIN_VERTICES or not np.isfinite(xy).all():
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1])) if xy.shape[0] else xy.copy()
    minx, maxx = float(xy[:, 0].min()), float(xy[:, 0].max())
    miny, maxy = float(xy[:, 1].min()), float(xy[:, 1].max())
    grid = _interpolation_grid(src, dst, (minx, miny, maxx, maxy))
    if grid is None:
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
    gx0, gy0, cw, ch, ox, oy = grid
    return _bilinear(xy, ox, oy, minx=gx0, miny=gy0, cw=cw, ch=ch)


#: grids are laid over boxes snapped outward to this many source units when the source is projected, and
#: kept (the last :data:`GRID_CACHE` of them) for later frames of the same area: an edit's few classes
GRID_SNAP = 10_000.0
GRID_CACHE = 8
_grids: dict[tuple, tuple | None] = {}
_grids_lock = threading.Lock()
_grids_building: dict[tuple, threading.Lock] = {}


def _interpolation_grid(src: object, dst: object, box: tuple[float, float, float, float]) -> tuple | None:
    """``(x0, y0, cell w, cell h, out x, out y)`` of a grid over ``box`` that interpolates PROJ to the tolerance,
    or None when none does (see :func:`reproject_xy`); kept for boxes inside the same snapped box."""
    s_crs, d_crs = pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst)
    minx, miny, maxx, maxy = box
    if s_crs.is_projected:
        minx, miny = np.floor(minx / GRID_SNAP) * GRID_SNAP, np.floor(miny / GRID_SNAP) * GRID_SNAP
        maxx, maxy = np.ceil(maxx / GRID_SNAP) * GRID_SNAP, np.ceil(maxy / GRID_SNAP) * GRID_SNAP
        key = (s_crs.to_wkt(), d_crs.to_wkt(), minx, miny, maxx, maxy, GRID_TOLERANCE_DEG, GRID_TOLERANCE_M)
        with _grids_lock:
            if key in _grids:
                return _grids[key]
            building = _grids_building.setdefault(key, threading.Lock())
    else:
        key, building = None, threading.Lock()
    with building:  # threads wanting the same grid wait for the one making it instead of making it again
        if key is not None:
            with _grids_lock:
                if key in _grids:
                    return _grids[key]
        grid = _make_grid(transformer(s_crs, d_crs), (float(minx), float(miny), float(maxx), float(maxy)),
                          tol=GRID_TOLERANCE_DEG if d_crs.is_geographic else GRID_TOLERANCE_M)
        if key is not None:
            with _grids_lock:
                while len(_grids) >= GRID_CACHE:
                    _grids.pop(next(iter(_grids)))
                _grids[key] = grid
                _grids_building.pop(key, None)
    return grid


def _make_grid(tr: pyproj.Transformer, box: tuple[float, float, float, float], *, tol: float) -> tuple | None:
    minx, miny, maxx, maxy = box
    w, h = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    # about GRID_CELL_M cells (in the source's units), refined while the check fails
    nx = int(np.clip(np.ceil(w / GRID_CELL_M), 4, GRID_MAX_CELLS))
    ny = int(np.clip(np.ceil(h / GRID_CELL_M), 4, GRID_MAX_CELLS))
    rng = np.random.default_rng(0)
    while True:
        gx, gy = np.linspace(minx, maxx, nx + 1), np.linspace(miny, maxy, ny + 1)
        GX, GY = np.meshgrid(gx, gy)  # (ny + 1, nx + 1)
        ox, oy = (np.asarray(a).reshape(GX.shape) for a in tr.transform(GX.ravel(), GY.ravel()))
        if not (np.isfinite(ox).all() and np.isfinite(oy).all()):
            return None
        # check points: the centre and two edge midpoints of every cell (of a sample of cells on large grids)
        ci = rng.integers(0, nx, GRID_CHECK_CELLS) if nx * ny > GRID_CHECK_CELLS else np.tile(np.arange(nx), ny)
        cj = rng.integers(0, ny, GRID_CHECK_CELLS) if nx * ny > GRID_CHECK_CELLS else np.repeat(np.arange(ny), nx)
        cw, ch = w / nx, h / ny
        bx, by = minx + ci * cw, miny + cj * ch
        check = np.concatenate([np.column_stack([bx + cw / 2, by + ch / 2]), np.column_stack([bx + cw / 2, by]),
                                np.column_stack([bx, by + ch / 2])])
        want = np.column_stack(tr.transform(check[:, 0], check[:, 1]))
        got = _bilinear(check, ox, oy, minx=minx, miny=miny, cw=cw, ch=ch)
        if np.abs(got - want).max() <= tol:
            return minx, miny, cw, ch, ox, oy
        if max(nx, ny) >= GRID_MAX_CELLS:
            return None
        nx, ny = min(2 * nx, GRID_MAX_CELLS), min(2 * ny, GRID_MAX_CELLS)


def _bilinear(xy: np.ndarray, ox: np.ndarray, oy: np.ndarray, *, minx: float, miny: float, cw: float, ch: float) -> np.ndarray:
    """Bilinear interpolation of the node values ``ox``, ``oy`` (rows = y) at ``xy`` (flat gathers, in place)."""
    ny, nx = ox.shape[0] - 1, ox.shape[1] - 1
    fx = xy[:, 0] - minx
    fx *= 1.0 / cw
    fy = xy[:, 1] - miny
    fy *= 1.0 / ch
    i = np.minimum(fx.astype(np.int32), nx - 1)  # fx >= 0: truncation is floor
    j = np.minimum(fy.astype(np.int32), ny - 1)
    fx -= i
    fy -= j
    k = j * np.int32(nx + 1)
    k += i
    out = np.empty_like(xy)
    for col, o in enumerate((ox, oy)):
        flat = o.ravel()
        a = flat.take(k)
        b = flat.take(k + 1)
        c = flat.take(k + (nx + 1))
        d = flat.take(k + (nx + 2))
        d -= c
        d -= b
        d += a  # d - c - b + a
        d *= fx
        c -= a
        c += d
        c *= fy
        b -= a
        b *= fx
        a += b
        a += c
        out[:, col] = a
    return out


def reproject_series(geoms: gpd.GeoSeries, crs: object) -> gpd.GeoSeries:
    """``geoms.to_crs(crs)`` through :func:`reproject_xy` (a cached transformer; many vertices on a grid)."""
    if geoms.crs is None:
        raise ValueError("the geometries have no CRS")
    target = pyproj.CRS.from_user_input(crs)
    if pyproj.CRS.from_user_input(geoms.crs).equals(target):
        return geoms
    src = geoms.crs
    out = shapely.transform(geoms.to_numpy(), lambda xy: reproject_xy(xy, src=src, dst=target)) if len(geoms) else geoms.to_numpy()
    return gpd.GeoSeries(out, index=geoms.index, crs=target, name=geoms.name)


def reproject_frame(gdf: gpd.GeoDataFrame, crs: object) -> gpd.GeoDataFrame:
    """``gdf.to_crs(crs)`` through :func:`reproject_series` (all vertices of all geometries at once)."""
    if gdf.crs is None:
        raise ValueError("the frame has no CRS")
    target = pyproj.CRS.from_user_input(crs)
    if pyproj.CRS.from_user_input(gdf.crs).equals(target) or len(gdf) == 0:
        return gdf.set_crs(target, allow_override=True) if len(gdf) == 0 else gdf.copy()
    out = gdf.copy()
    out[gdf.geometry.name] = reproject_series(gdf.geometry, target)
    return out.set_crs(target, allow_override=True)
