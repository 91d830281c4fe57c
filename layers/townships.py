"""Township-level (乡镇/街道) boundaries and their elderly head counts."""
from __future__ import annotations

import difflib
import math
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from .errors import InputError
from .tables import (
    ELDERLY_ALIASES,
    PathLikeStr,
    cell_text,
    find_column,
    parse_float,
    read_table,
    read_vector,
)

NAME_ALIASES = ("name", "名称", "乡镇", "镇街", "township", "乡镇名称", "镇街名称", "乡镇街道", "街道")
CODE_ALIASES = ("code", "代码", "区划代码", "行政区划代码", "adcode")
_POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
_OUTPUT_COLUMNS = ["name", "code", "elderly", "geometry"]


def read_townships(path: PathLikeStr, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read township polygons as ``name``, ``code``, ``elderly`` (NaN when absent), ``geometry``.

    Invalid polygons are repaired with :func:`shapely.make_valid`; the file's CRS is kept (and required).
    """
    p = Path(path)
    gdf = read_vector(p, layer=layer, what="township", geometry_types=_POLYGON_TYPES)
    headers = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    name_col = find_column(headers, NAME_ALIASES, path=p, what="township name", required=True)
    code_col = find_column(headers, CODE_ALIASES, path=p, what="township code", required=False)
    elderly_col = find_column(headers, ELDERLY_ALIASES, path=p, what="elderly count", required=False)
    assert name_col is not None

    names: list[str] = []
    first_row: dict[str, int] = {}
    for i, value in enumerate(gdf[name_col].to_numpy()):
        name = cell_text(value)
        if name is None:
            raise InputError("township name is empty", path=p, row=i + 1, column=name_col)
        key = _name_key(name)
        if key in first_row:
            raise InputError(
                f"duplicate township name '{name}' (also feature {first_row[key]})", path=p, row=i + 1, column=name_col
            )
        first_row[key] = i + 1
        names.append(name)

    codes = [cell_text(v) for v in gdf[code_col].to_numpy()] if code_col else [None] * len(gdf)
    if elderly_col:
        elderly = [
            parse_float(v, path=p, row=i + 1, column=elderly_col, what="elderly count", default=math.nan, minimum=0)
            for i, v in enumerate(gdf[elderly_col].to_numpy())
        ]
    else:
        elderly = [math.nan] * len(gdf)
    geometries = [_polygonal(g, path=p, row=i + 1) for i, g in enumerate(gdf.geometry.to_numpy())]
    data = {
        "name": pd.Series(names, dtype=object),
        "code": pd.Series(codes, dtype=object),
        "elderly": pd.Series(elderly, dtype=float),
    }
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometries, crs=gdf.crs), crs=gdf.crs)[_OUTPUT_COLUMNS]


def apply_elderly_table(
    townships: gpd.GeoDataFrame, table_path: PathLikeStr, *, sheet: str | int | None = None
) -> gpd.GeoDataFrame:
    """Return a copy of ``townships`` with ``elderly`` filled from a CSV/XLSX table.

    The table is matched on township code when both sides have codes, otherwise on the name. Townships
    missing from the table keep their value; a table row naming an unknown township raises.
    """
    table = read_table(
        table_path, sheet=sheet, expect=NAME_ALIASES + CODE_ALIASES + ELDERLY_ALIASES, what="elderly table"
    )
    p = table.path
    name_col = find_column(table.headers, NAME_ALIASES, path=p, what="township name", required=False)
    code_col = find_column(table.headers, CODE_ALIASES, path=p, what="township code", required=False)
    elderly_col = find_column(table.headers, ELDERLY_ALIASES, path=p, what="elderly count", required=True)
    assert elderly_col is not None

    have_codes = "code" in townships.columns and bool(townships["code"].notna().all())
    if code_col and have_codes:
        key_col, keys, label = code_col, [str(c).strip() for c in townships["code"]], "code"
        normalize = _code_key
    elif name_col:
        key_col, keys, label = name_col, [str(n) for n in townships["name"]], "name"
        normalize = _name_key
    elif code_col:
        raise InputError(
            f"the table gives township codes ('{code_col}') but the township boundaries have none; "
            "add a township name column to the table",
            path=p,
        )
    else:
        raise InputError(
            f"no township name or code column; expected a header such as {'/'.join(NAME_ALIASES[:5])} "
            f"or {'/'.join(CODE_ALIASES[:3])}",
            path=p,
        )

    position = {normalize(k): i for i, k in enumerate(keys)}
    values = townships["elderly"].to_numpy(dtype=float, copy=True)
    seen: dict[str, int] = {}
    counts = dict(table.column(elderly_col))
    for row, raw_key in table.column(key_col):
        text = cell_text(raw_key)
        if text is None:
            raise InputError(f"township {label} is empty", path=p, row=row, column=key_col)
        key = normalize(text)
        if key not in position:
            close = difflib.get_close_matches(text, keys, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise InputError(
                f"township {label} '{text}' is not among the {len(keys)} township boundaries{hint}",
                path=p,
                row=row,
                column=key_col,
            )
        if key in seen:
            raise InputError(
                f"township {label} '{text}' appears twice (also row {seen[key]})", path=p, row=row, column=key_col
            )
        seen[key] = row
        values[position[key]] = parse_float(
            counts[row], path=p, row=row, column=elderly_col, what="elderly count", minimum=0
        )
    result = townships.copy()
    result["elderly"] = values
    return result


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def _code_key(code: str) -> str:
    text = _name_key(code)
    return text[:-2] if text.endswith(".0") else text


def _polygonal(geometry: Any, *, path: Path, row: int) -> Any:
    if geometry is None or geometry.is_empty:
        raise InputError("township has no geometry", path=path, row=row)
    geometry = shapely.force_2d(geometry)
    if geometry.geom_type not in _POLYGON_TYPES:
        raise InputError(
            f"the township layer must contain polygons, but feature {row} is a {geometry.geom_type}",
            path=path,
            row=row,
        )
    if geometry.is_valid:
        return geometry
    repaired = shapely.make_valid(geometry)
    parts = [g for g in shapely.get_parts(repaired) if g.geom_type in _POLYGON_TYPES and not g.is_empty]
    polygons = [poly for g in parts for poly in shapely.get_parts(g)]
    if not polygons:
        raise InputError("township polygon is invalid and cannot be repaired (no area left)", path=path, row=row)
    if len(polygons) == 1:
        return polygons[0]
    return shapely.MultiPolygon(polygons)


__all__ = ["CODE_ALIASES", "NAME_ALIASES", "apply_elderly_table", "read_townships"]


def is_street(name: object, code: object = None) -> bool:
    """True for a street (街道, the urban kind of township), False for a town or township (镇/乡).

    A 9- or 12-digit township code decides where it is given (GB/T 10114: the 7th–9th digits 001–099 are
    streets, 100–199 towns, 200–399 townships); otherwise the name (…街道, …街道办事处)."""
    digits = "".join(ch for ch in str(code or "") if ch.isdigit())
    if len(digits) in (9, 12):
        part = int(digits[6:9])
        if part >= 1:
            return part < 100
    text = unicodedata.normalize("NFKC", str(name or "")).strip()
    return text.endswith(("街道", "街道办事处", "街道办"))
