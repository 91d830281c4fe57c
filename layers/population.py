"""Where the elderly live: counted points (tables or point layers) or a population raster."""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .errors import InputError
from .tables import (
    NOTES_ATTR,
    ELDERLY_ALIASES,
    LAT_ALIASES,
    LON_ALIASES,
    X_ALIASES,
    Y_ALIASES,
    PathLikeStr,
    cell_text,
    cell_texts,
    check_head_counts,
    find_column,
    is_table_path,
    parse_float,
    parse_floats,
    read_table,
    read_vector,
    table_points_wgs84,
)

COUNT_ALIASES = ELDERLY_ALIASES + ("count", "人数", "老年人数")
NAME_ALIASES = ("name", "名称", "地名", "小区", "小区名称", "村名")
_POINT_TYPES = frozenset({"Point", "MultiPoint"})


def read_population_points(
    path: PathLikeStr,
    *,
    layer: str | None = None,
    crs: str | pyproj.CRS | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read counted elderly points as ``name`` (str or None), ``elderly`` (float), ``geometry`` (Point).

    A vector point layer keeps its own (required) CRS unless ``crs`` states the real one. A CSV/XLSX table
    needs lon/lat (经度/纬度) columns, or x/y with ``crs`` naming their projected CRS (default EPSG:4326;
    ``crs="gcj02"``/``"bd09"`` converts Amap/Baidu coordinates); table points are returned in EPSG:4326.
    ``columns`` maps ``elderly``, ``name``, ``lon``, ``lat``, ``x``, ``y`` to the headers the user chose.
    """
    p = Path(path)
    chosen = dict(columns or {})
    if is_table_path(p):
        return _points_from_table(p, crs=crs or "EPSG:4326", sheet=sheet, encoding=encoding, chosen=chosen)
    gdf = read_vector(p, layer=layer, what="population point", geometry_types=_POINT_TYPES, crs=crs, encoding=encoding)
    headers = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    count_col = find_column(headers, COUNT_ALIASES, path=p, what="elderly count", required=True, chosen=chosen.get("elderly"))
    check_head_counts(count_col, path=p, what="elderly count")
    name_col = find_column(headers, NAME_ALIASES, path=p, what="name", required=False, chosen=chosen.get("name"))
    points = _single_points(gdf.geometry.to_numpy(), path=p)
    elderly = parse_floats(gdf[count_col].to_numpy(), path=p, column=count_col, what="elderly count", minimum=0)
    names = cell_texts(gdf[name_col].to_numpy()) if name_col else [None] * len(gdf)
    out = _frame(names, elderly, points, crs=gdf.crs)
    out.attrs[NOTES_ATTR] = list(gdf.attrs.get(NOTES_ATTR, []))
    return out


def _points_from_table(path: Path, *, crs: str | pyproj.CRS, sheet: str | int | None, encoding: str | None = None,
                       chosen: Mapping[str, str] = {}) -> gpd.GeoDataFrame:
    expect = COUNT_ALIASES + LON_ALIASES + LAT_ALIASES + X_ALIASES + Y_ALIASES
    table = read_table(path, sheet=sheet, expect=expect, what="population table", encoding=encoding)
    count_col = find_column(table.headers, COUNT_ALIASES, path=path, what="elderly count", required=True,
                            chosen=chosen.get("elderly"))
    check_head_counts(count_col, table=table, path=path, what="elderly count")
    name_col = find_column(table.headers, NAME_ALIASES, path=path, what="name", required=False, chosen=chosen.get("name"))
    assert count_col is not None
    elderly = [
        parse_float(v, path=path, row=r, column=count_col, what="elderly count", minimum=0)
        for r, v in table.column(count_col)
    ]
    lon, lat = table_points_wgs84(table, crs=crs, what="population point", columns=chosen)
    names = [cell_text(v) for _, v in table.column(name_col)] if name_col else [None] * len(elderly)
    out = _frame(names, elderly, shapely.points(lon, lat), crs="EPSG:4326")
    out.attrs[NOTES_ATTR] = list(table.notes)
    return out


def read_population_raster(
    path: PathLikeStr, *, share: float | None = None, band: int = 1
) -> gpd.GeoDataFrame:
    """One point per raster cell centre with a value > 0 (nodata ignored): ``elderly``, ``geometry``.

    ``elderly`` is the cell value, or value x ``share`` when the raster counts the total population
    (e.g. ``share=0.25`` for 25 % aged 60+). The raster's CRS is kept and required.
    """
    import rasterio  # local: GDAL raster stack only needed here
    import rasterio.errors

    p = Path(path)
    if share is not None and not (0.0 < share <= 1.0 and math.isfinite(share)):
        raise InputError(f"elderly share must be between 0 and 1 (e.g. 0.25), got {share}", path=p)
    if not p.is_file():
        raise InputError(f"population raster not found: {p}", path=p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            with rasterio.open(p) as src:
                if src.crs is None:
                    raise InputError(
                        "the population raster has no coordinate reference system (CRS); save it as a GeoTIFF with a CRS",
                        path=p,
                    )
                if not 1 <= band <= src.count:
                    raise InputError(f"band {band} does not exist; the raster has {src.count} band(s)", path=p)
                values = src.read(band, masked=True)
                transform = src.transform
                crs = src.crs.to_wkt()
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"cannot read as a raster (GeoTIFF): {str(exc).splitlines()[0]}", path=p) from exc
    data = np.ma.filled(values.astype(float), np.nan)
    rows, cols = np.nonzero(np.isfinite(data) & (data > 0))
    if rows.size == 0:
        raise InputError("the population raster has no cells with a value above 0", path=p)
    col_c, row_c = cols + 0.5, rows + 0.5
    xs = transform.a * col_c + transform.b * row_c + transform.c
    ys = transform.d * col_c + transform.e * row_c + transform.f
    counts = data[rows, cols] * (share if share is not None else 1.0)
    geometry = gpd.GeoSeries(shapely.points(np.asarray(xs), np.asarray(ys)), crs=crs)
    return gpd.GeoDataFrame({"elderly": pd.Series(counts, dtype=float)}, geometry=geometry, crs=crs)


def _single_points(geoms: Any, *, path: Path) -> Any:
    """The layer's geometries as 2-D points (single-part multipoints taken apart); the first feature that is
    missing, not a point or not finite raises as :func:`_single_point` says."""
    geoms = np.asarray(geoms, dtype=object)
    kind = shapely.get_type_id(geoms)  # -1 missing, 0 Point, 4 MultiPoint
    single = (kind == 4) & (shapely.get_num_geometries(geoms) == 1)
    out = geoms.copy()
    if single.any():
        out[single] = shapely.get_geometry(geoms[single], 0)
    ok = ((kind == 0) | single) & ~shapely.is_empty(out)
    if ok.all():
        xy = shapely.get_coordinates(out)
        if xy.shape[0] == out.size and np.isfinite(xy).all():
            return shapely.points(xy)
    bad = np.nonzero(~ok)[0]
    first = int(bad[0]) if bad.size else 0
    if not bad.size:  # a non-finite coordinate: find its row
        fin = np.isfinite(shapely.get_coordinates(out)).all(axis=1)
        first = int(np.argmin(fin))
    _single_point(geoms[first], path=path, row=first + 1)  # raises with the row
    return np.asarray([_single_point(g, path=path, row=i + 1) for i, g in enumerate(geoms)], dtype=object)


def _single_point(geometry: object, *, path: Path, row: int) -> object:
    if geometry is None or geometry.is_empty:  # type: ignore[attr-defined]
        raise InputError("population point has no geometry", path=path, row=row)
    geom_type = geometry.geom_type  # type: ignore[attr-defined]
    if geom_type == "MultiPoint" and len(geometry.geoms) == 1:  # type: ignore[attr-defined]
        geometry = geometry.geoms[0]  # type: ignore[attr-defined]
        geom_type = "Point"
    if geom_type != "Point":
        raise InputError(
            f"the population layer must contain single points, but feature {row} is a {geom_type}",
            path=path,
            row=row,
        )
    point = shapely.force_2d(geometry)
    if not np.isfinite(shapely.get_coordinates(point)).all():
        raise InputError("population point has coordinates that are not finite numbers (NaN or infinity)",
                         path=path, row=row)
    return point


def _frame(names: list[str | None], elderly: list[float], points: object, *, crs: object) -> gpd.GeoDataFrame:
    data = {"name": pd.Series(names, dtype=object), "elderly": pd.Series(elderly, dtype=float)}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=crs), crs=crs)


__all__ = ["COUNT_ALIASES", "read_population_points", "read_population_raster"]
