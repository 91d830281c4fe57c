"""Urban communities (社区) and administrative villages (村) as points."""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    PathLikeStr,
    cell_text,
    find_column,
    is_table_path,
    normalize_header,
    parse_float,
    read_table,
    read_vector,
    table_points_wgs84,
)

KINDS = ("urban", "village")
NAME_ALIASES = ("name", "名称", "社区名称", "村名", "村居名称", "村(社区)", "社区", "村社区")
KIND_ALIASES = ("kind", "类型", "性质", "村社类型", "社区类型")
_KIND_VALUES = {
    **{normalize_header(v): "urban" for v in ("社区", "城市社区", "城镇社区", "居委会", "居民委员会", "urban", "community")},
    **{
        normalize_header(v): "village"
        for v in ("村", "行政村", "自然村", "村委会", "村民委员会", "农村社区", "village", "rural")
    },
}
_URBAN_ENDINGS = ("社区", "居委会", "居民委员会")
_VILLAGE_ENDINGS = ("村", "村委会", "村民委员会")
_LAYER_TYPES = frozenset({"Point", "MultiPoint", "Polygon", "MultiPolygon"})
_OUTPUT_COLUMNS = ["name", "kind", "elderly", "geometry"]


def read_communities(
    path: PathLikeStr,
    *,
    layer: str | None = None,
    crs: str | pyproj.CRS | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read communities/villages as ``name``, ``kind`` ('urban' | 'village'), ``elderly``, ``geometry`` (Point).

    Polygons become their representative point. ``kind`` comes from a kind/类型/性质 column, else from the
    name ending (…社区 urban, …村 village). CSV/XLSX tables with lon/lat (经度/纬度) are accepted too
    (``crs`` as for :func:`layers.population.read_population_points`); ``columns`` maps ``name``, ``kind``,
    ``elderly`` to the headers the user chose.
    """
    p = Path(path)
    chosen = dict(columns or {})
    notes: list[str] = []
    if is_table_path(p):
        table = read_table(
            p, sheet=sheet, expect=NAME_ALIASES + KIND_ALIASES + LON_ALIASES + LAT_ALIASES, what="community table",
            encoding=encoding,
        )
        notes = list(table.notes)
        headers = list(table.headers)
        name_col, kind_col, elderly_col = _columns(headers, path=p, chosen=chosen)
        rows = [r for r, _ in table.rows]
        names_raw = [v for _, v in table.column(name_col)]
        kinds_raw = [v for _, v in table.column(kind_col)] if kind_col else [None] * len(rows)
        elderly_raw = [v for _, v in table.column(elderly_col)] if elderly_col else [None] * len(rows)
        lon, lat = table_points_wgs84(table, crs=crs or "EPSG:4326", what="community", columns=chosen)
        points: Any = shapely.points(lon, lat)
        out_crs: Any = "EPSG:4326"
    else:
        gdf = read_vector(p, layer=layer, what="community", geometry_types=_LAYER_TYPES, crs=crs, encoding=encoding)
        notes = list(gdf.attrs.get(NOTES_ATTR, []))
        headers = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        name_col, kind_col, elderly_col = _columns(headers, path=p, chosen=chosen)
        rows = list(range(1, len(gdf) + 1))
        names_raw = list(gdf[name_col].to_numpy())
        kinds_raw = list(gdf[kind_col].to_numpy()) if kind_col else [None] * len(gdf)
        elderly_raw = list(gdf[elderly_col].to_numpy()) if elderly_col else [None] * len(gdf)
        points = [_as_point(g, path=p, row=r) for r, g in zip(rows, gdf.geometry.to_numpy())]
        out_crs = gdf.crs

    names: list[str] = []
    kinds: list[str] = []
    elderly: list[float] = []
    for row, raw_name, raw_kind, raw_elderly in zip(rows, names_raw, kinds_raw, elderly_raw):
        name = cell_text(raw_name)
        if name is None:
            raise InputError("community/village name is empty", path=p, row=row, column=name_col)
        names.append(name)
        kinds.append(_kind(name, cell_text(raw_kind), path=p, row=row, name_col=name_col, kind_col=kind_col))
        elderly.append(
            parse_float(raw_elderly, path=p, row=row, column=elderly_col, what="elderly count", default=math.nan, minimum=0)
            if elderly_col
            else math.nan
        )
    data = {
        "name": pd.Series(names, dtype=object),
        "kind": pd.Series(kinds, dtype=object),
        "elderly": pd.Series(elderly, dtype=float),
    }
    out = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=out_crs), crs=out_crs)[_OUTPUT_COLUMNS]
    out.attrs[NOTES_ATTR] = notes
    return out


def _columns(headers: list[str], *, path: Path, chosen: Mapping[str, str]) -> tuple[str, str | None, str | None]:
    name_col = find_column(headers, NAME_ALIASES, path=path, what="community name", required=True, chosen=chosen.get("name"))
    kind_col = find_column(headers, KIND_ALIASES, path=path, what="kind", required=False, chosen=chosen.get("kind"))
    elderly_col = find_column(headers, ELDERLY_ALIASES, path=path, what="elderly count", required=False,
                              chosen=chosen.get("elderly"))
    assert name_col is not None
    return name_col, kind_col, elderly_col


def _kind(name: str, value: str | None, *, path: Path, row: int, name_col: str, kind_col: str | None) -> str:
    if value is not None:
        kind = _KIND_VALUES.get(normalize_header(value))
        if kind is None:
            raise InputError(
                f"unknown kind '{_one_line(value)}'; use 社区 (urban community) or 村 (village)",
                path=path,
                row=row,
                column=kind_col,
            )
        return kind
    if name.endswith(_URBAN_ENDINGS):
        return "urban"
    if name.endswith(_VILLAGE_ENDINGS):
        return "village"
    raise InputError(
        f"cannot tell whether '{_one_line(name)}' is an urban community or a village; "
        f"add a {kind_col or '类型'} value of 社区 or 村",
        path=path,
        row=row,
        column=kind_col or name_col,
    )


def _one_line(text: str) -> str:
    """Cell text for a one-line message: a line break typed in a cell (Alt+Enter) becomes a space."""
    return " ".join(text.split())


def _as_point(geometry: Any, *, path: Path, row: int) -> Any:
    if geometry is None or geometry.is_empty:
        raise InputError("community has no geometry", path=path, row=row)
    geometry = shapely.force_2d(geometry)
    geom_type = geometry.geom_type
    single_multipoint = geom_type == "MultiPoint" and len(geometry.geoms) == 1
    if geom_type not in {"Point", "Polygon", "MultiPolygon"} and not single_multipoint:
        raise InputError(
            f"the community layer must contain points or polygons, but feature {row} is a {geom_type}",
            path=path,
            row=row,
        )
    if not np.isfinite(shapely.get_coordinates(geometry)).all():  # NaN/inf break GEOS (validity, representative point)
        raise InputError(
            "community geometry has coordinates that are not finite numbers (NaN or infinity)", path=path, row=row
        )
    if geom_type == "Point":
        return geometry
    if single_multipoint:
        return geometry.geoms[0]
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return geometry.representative_point()


__all__ = ["KINDS", "read_communities"]
