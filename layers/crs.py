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
