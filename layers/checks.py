"""Plausibility checks across layers, run before an analysis or an import replaces anything.

Each check either refuses with one :class:`InputError` line (the layers cannot belong together: they do not
overlap) or returns warning lines (a systematic GCJ-02/BD-09 offset between facilities and roads, data
outside China). Nothing here changes a layer.
"""
from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from .crs import WGS84, metric_crs_for, reproject_series, transformer
from .errors import InputError
from .segments import SegmentIndex, segments_of
from .gcj02 import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02

#: what the layers are called in messages
LAYER_NAMES = {"roads": "roads", "townships": "townships", "facilities": "facilities", "population": "population",
               "communities": "communities"}
#: facilities / points further than this outside every township do not count as overlapping
OVERLAP_MARGIN_M = 1000.0
#: a datum shift is suggested when it brings facilities at least this much nearer the roads (median; a
#: dense street grid keeps even shifted points within some tens of metres of a road) ...
SHIFT_GAIN_M = 10.0
#: ... and cuts their median distance to this share or less (correct data gets further from the roads)
SHIFT_RATIO = 0.4
#: facilities sampled for the shift test
SHIFT_SAMPLE = 2000
#: fewer facilities than this say nothing reliable about a shift
SHIFT_MIN_FACILITIES = 10
#: share of facilities that must each get nearer the roads under the other reading
SHIFT_SHARE_NEARER = 0.75
_SYSTEM_LABELS = {"wgs84": "WGS 84", "gcj02": "GCJ-02 (Amap/Tencent, 高德/腾讯)", "bd09": "BD-09 (Baidu, 百度)"}
_FLAG = {"wgs84": "EPSG:4326", "gcj02": "gcj02", "bd09": "bd09"}
_TO_WGS = {"wgs84": lambda x, y: (x, y), "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS = {"wgs84": lambda x, y: (x, y), "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return gdf.geometry if pyproj.CRS.from_user_input(gdf.crs).equals(WGS84) else reproject_series(gdf.geometry, WGS84)


def _where(geoms: gpd.GeoSeries) -> tuple[float, float]:
    minx, miny, maxx, maxy = (float(v) for v in geoms.total_bounds)
    return (minx + maxx) / 2.0, (miny + maxy) / 2.0


def _place(lon: float, lat: float) -> str:
    return f"{abs(lon):.2f}°{'E' if lon >= 0 else 'W'} {abs(lat):.2f}°{'N' if lat >= 0 else 'S'}"


def _km_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    geod = pyproj.Geod(ellps="WGS84")
    return float(geod.inv(a[0], a[1], b[0], b[1])[2]) / 1000.0


def in_china(lon: float, lat: float) -> bool:
    """Rough mainland-China box (where GCJ-02 and BD-09 are defined)."""
    return 73.66 < lon < 135.05 and 3.86 < lat < 53.55


def check_overlap(layers: Mapping[str, gpd.GeoDataFrame | None], *, files: Mapping[str, object] | None = None) -> list[str]:
    """Refuse layers that do not lie over the townships: roads none of whose lines touch a township, or
    facilities / population / communities none of which lies within :data:`OVERLAP_MARGIN_M` of one. The
    message names where each lies and how far apart. Returns warning lines (data outside China)."""
    files = files or {}
    towns = layers.get("townships")
    if towns is None or len(towns) == 0:
        return []
    t_geo = _wgs84(towns)
    t_at = _where(t_geo)
    metric = metric_crs_for(*t_at, source=pyproj.CRS.from_user_input(towns.crs))  # kept when fit for distances
    area = shapely.buffer(reproject_series(towns.geometry, metric).union_all(), OVERLAP_MARGIN_M)
    shapely.prepare(area)
    notes: list[str] = []
    for key, frame in layers.items():
        if key == "townships" or frame is None or len(frame) == 0:
            continue
        geoms = reproject_series(frame.geometry, metric).to_numpy()
        inside = shapely.intersects(area, geoms)
        if inside.any():
            continue
        at = _where(_wgs84(frame))
        name = LAYER_NAMES.get(key, key)
        source = f" ({files[key]})" if files.get(key) else ""
        raise InputError(
            f"the {name}{source} lie around {_place(*at)}, the townships around {_place(*t_at)} "
            f"({_km_apart(at, t_at):,.0f} km apart): none of the {len(frame):,} {name} features is within the townships; "
            f"the layers belong to different areas, or one has the wrong coordinate system")
    if not in_china(*t_at):
        notes.append(f"the townships lie outside China (around {_place(*t_at)}): coordinates are taken as given "
                     f"(no GCJ-02/BD-09 shift applies there) and the Chinese plans' targets may not apply")
    return notes


def suggest_datum_shift(facilities: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *, declared: str = "wgs84",
                        segments: tuple[SegmentIndex, object] | None = None) -> str | None:
    """A warning when the facilities sit systematically off the roads by the GCJ-02 or BD-09 shift.

    ``declared`` is the system the facility coordinates were read as (``wgs84`` — including any plain CRS —,
    ``gcj02`` or ``bd09``; the frame holds them converted to WGS 84). The coordinates as written are
    recovered and read in each of the three systems; when another reading brings the facilities at least
    :data:`SHIFT_GAIN_M` and to :data:`SHIFT_RATIO` of its distance nearer the roads (median distance), with
    :data:`SHIFT_SHARE_NEARER` of them each nearer, the line names it and the flag to use; fewer than
    :data:`SHIFT_MIN_FACILITIES` facilities say nothing. ``segments`` is an already built ``(SegmentIndex,
    metric CRS)`` of the roads (e.g. the walking network's edges); by default the roads' lines are indexed."""
    if declared not in _TO_WGS or len(facilities) == 0 or len(roads) == 0:
        return None
    pts = _wgs84(facilities)
    pts = pts[~(pts.is_empty | pts.isna())]
    if len(pts) < SHIFT_MIN_FACILITIES:
        return None
    if len(pts) > SHIFT_SAMPLE:
        pts = pts.sample(SHIFT_SAMPLE, random_state=0)
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    c_lon, c_lat = float(np.median(lon)), float(np.median(lat))
    if not in_china(c_lon, c_lat):
        return None
    if segments is not None:  # the roads' segments already indexed (the walking network's edges)
        index, metric = segments[0], pyproj.CRS.from_user_input(segments[1])
    else:  # the roads' own CRS when it is fit for distances (no reprojection of every road vertex)
        metric = metric_crs_for(c_lon, c_lat, source=pyproj.CRS.from_user_input(roads.crs) if roads.crs else None)
        index = SegmentIndex(*segments_of(reproject_series(roads.geometry, metric).to_numpy()))
    to_metric = transformer(WGS84, metric)
    raw_x, raw_y = _FROM_WGS[declared](lon, lat)
    dist: dict[str, NDArray[np.float64]] = {}
    for system, inverse in _TO_WGS.items():
        wx, wy = inverse(np.asarray(raw_x), np.asarray(raw_y))
        mx, my = to_metric.transform(wx, wy)
        dist[system] = index.nearest(np.asarray(mx), np.asarray(my))[1]
    median = {k: float(np.median(v)) for k, v in dist.items()}
    best = min(median, key=median.__getitem__)
    now = median[declared]
    if best == declared or now - median[best] < SHIFT_GAIN_M or median[best] > SHIFT_RATIO * now:
        return None
    if float(np.mean(dist[best] < dist[declared])) < SHIFT_SHARE_NEARER:  # a few lucky points are no shift
        return None
    return (f"the facilities sit {now:,.0f} m (median) from the nearest road as read ({_SYSTEM_LABELS[declared]}); read as "
            f"{_SYSTEM_LABELS[best]} they sit {median[best]:,.0f} m away: the list is probably in {_SYSTEM_LABELS[best]} — "
            f"use --crs facilities={_FLAG[best]} (or choose it in the import dialog)")


__all__ = ["check_overlap", "in_china", "suggest_datum_shift"]
