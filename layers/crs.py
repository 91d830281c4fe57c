"""CRS helpers: explicit CRS everywhere, metric work in a projected CRS."""
from __future__ import annotations

import geopandas as gpd
import pyproj

from .errors import InputError

WGS84 = pyproj.CRS.from_epsg(4326)


def require_crs(gdf: gpd.GeoDataFrame, *, what: str, path: object = None) -> pyproj.CRS:
    """Return the frame's CRS or raise :class:`InputError` if it has none (never guess)."""
    if gdf.crs is None:
        raise InputError(
            f"{what} has no coordinate reference system (CRS); save it with a .prj / CRS or give one explicitly",
            path=path,
        )
    return pyproj.CRS.from_user_input(gdf.crs)


def metric_crs_for(lon: float, lat: float, *, source: pyproj.CRS | None = None) -> pyproj.CRS:
    """Pick a metric CRS for an area centred at (lon, lat) in degrees.

    A projected source CRS with metre units (e.g. a CGCS2000 Gauss-Krüger zone) is kept as it is;
    otherwise the UTM zone of the centre is used (WGS 84 / UTM, EPSG:326xx or 327xx).
    """
    if source is not None and source.is_projected:
        units = {a.unit_name for a in source.axis_info}
        if units <= {"metre", "meter", "m"}:
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
