"""Township-level (乡镇/街道) boundaries and their elderly head counts."""
from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .crs import metric_crs_for
from .errors import InputError
from .tables import (
    ELDERLY_ALIASES,
    NOTES_ATTR,
    TOWNSHIP_CODE_EXTRA,
    TOWNSHIP_NAME_EXTRA,
    PathLikeStr,
    cell_text,
    check_head_counts,
    find_column,
    parse_float,
    read_table,
    read_vector,
)

NAME_ALIASES = ("name", "名称", "乡镇", "镇街", "township", "乡镇名称", "镇街名称", "乡镇街道", "街道") + TOWNSHIP_NAME_EXTRA
CODE_ALIASES = ("code", "代码", "区划代码", "行政区划代码", "adcode") + TOWNSHIP_CODE_EXTRA
#: two townships overlapping by more than this share of the smaller one and ...
MAX_OVERLAP_SHARE = 0.01
#: ... wider than this on average (area / half its perimeter) are refused; digitising slivers and boundaries
#: drawn a few tens of metres apart pass (each place still counts in one township only)
MAX_OVERLAP_WIDTH_M = 50.0
_POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
_OUTPUT_COLUMNS = ["name", "code", "elderly", "geometry"]


def read_townships(
    path: PathLikeStr,
    *,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read township polygons as ``name``, ``code``, ``elderly`` (NaN when absent), ``geometry``.

    Invalid polygons are repaired with :func:`shapely.make_valid`; the file's CRS is kept (and required)
    unless ``crs`` states the real one (see :func:`layers.tables.read_vector`); ``columns`` maps ``name``,
    ``code`` and ``elderly`` to the headers the user chose. Townships that overlap (beyond digitising
    slivers) and a feature covering the others (the county outline) are refused: they would count people
    twice.
    """
    p = Path(path)
    gdf = read_vector(p, layer=layer, what="township", geometry_types=_POLYGON_TYPES, crs=crs, encoding=encoding)
    headers = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    chosen = dict(columns or {})
    name_col = find_column(headers, NAME_ALIASES, path=p, what="township name", required=True, chosen=chosen.get("name"))
    code_col = find_column(headers, CODE_ALIASES, path=p, what="township code", required=False, chosen=chosen.get("code"))
    elderly_col = find_column(headers, ELDERLY_ALIASES, path=p, what="elderly count", required=False,
                              chosen=chosen.get("elderly"))
    if elderly_col:
        check_head_counts(elderly_col, path=p, what="elderly count")
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
    out = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometries, crs=gdf.crs), crs=gdf.crs)[_OUTPUT_COLUMNS]
    check_partition(out, path=p)
    out.attrs[NOTES_ATTR] = list(gdf.attrs.get(NOTES_ATTR, []))
    return out


def check_partition(townships: gpd.GeoDataFrame, *, path: PathLikeStr | None = None) -> None:
    """Refuse townships that do not partition the area: a feature that covers most of two or more others
    (the county outline left in the layer) or two townships overlapping by more than
    :data:`MAX_OVERLAP_SHARE` of the smaller one. People there would be counted twice."""
    geoms = townships.geometry.to_numpy()
    if len(geoms) < 2:
        return
    crs = townships.crs
    if crs is not None and not pyproj.CRS.from_user_input(crs).is_projected:
        lon, lat = (float(v) for v in townships.geometry.union_all().centroid.coords[0])
        geoms = townships.geometry.to_crs(metric_crs_for(lon, lat)).to_numpy()
    areas = shapely.area(geoms)
    names = [str(n) for n in townships["name"]]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    if left.size == 0:
        return
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(areas[left], areas[right])
    share = np.divide(overlap, smaller, out=np.zeros_like(overlap), where=smaller > 0)
    covered = np.zeros(len(geoms), dtype=int)  # how many others each feature covers (> half of their area)
    big = share > 0.5
    for a, b in zip(left[big], right[big]):
        covered[a if areas[a] >= areas[b] else b] += 1
    if covered.max() >= 2:
        i = int(np.argmax(covered))
        raise InputError(
            f"feature {i + 1} '{names[i]}' covers {int(covered[i])} other townships: it looks like the county outline, "
            f"which would count their elderly twice; remove it from the township layer", path=path, row=i + 1)
    candidates = np.nonzero(share > MAX_OVERLAP_SHARE)[0]
    if candidates.size == 0:
        return
    pieces = shapely.intersection(geoms[left[candidates]], geoms[right[candidates]])
    half_perimeter = shapely.length(pieces) / 2.0
    width = np.divide(overlap[candidates], half_perimeter, out=np.zeros(candidates.size), where=half_perimeter > 0)
    bad = candidates[width > MAX_OVERLAP_WIDTH_M]
    if bad.size:
        k = bad[np.argmax(share[bad])]
        a, b = int(left[k]), int(right[k])
        raise InputError(
            f"townships '{names[a]}' (feature {a + 1}) and '{names[b]}' (feature {b + 1}) overlap by "
            f"{overlap[k] / 1e4:,.1f} ha, {share[k]:.0%} of the smaller; {bad.size} pair(s) overlap beyond digitising "
            f"slivers, and the people there would be counted in one of them arbitrarily: fix the boundaries", path=path)


def apply_elderly_table(
    townships: gpd.GeoDataFrame,
    table_path: PathLikeStr,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Return a copy of ``townships`` with ``elderly`` filled from a CSV/XLSX table.

    The table is matched on township code when both sides have codes, otherwise on the name. A table row
    naming an unknown township raises; townships missing from the table are refused naming them (missing is
    not zero) unless the township layer itself gave them a count, which they keep (with a note).
    Totals rows (合计) are skipped by :func:`layers.tables.read_table`.
    """
    table = read_table(
        table_path, sheet=sheet, expect=NAME_ALIASES + CODE_ALIASES + ELDERLY_ALIASES, what="elderly table",
        encoding=encoding,
    )
    p = table.path
    chosen = dict(columns or {})
    name_col = find_column(table.headers, NAME_ALIASES, path=p, what="township name", required=False,
                           chosen=chosen.get("name"))
    code_col = find_column(table.headers, CODE_ALIASES, path=p, what="township code", required=False,
                           chosen=chosen.get("code"))
    elderly_col = find_column(table.headers, ELDERLY_ALIASES, path=p, what="elderly count", required=True,
                              chosen=chosen.get("elderly"))
    check_head_counts(elderly_col, table=table, path=p, what="elderly count")
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
    absent = [i for i, k in enumerate(keys) if normalize(k) not in seen]
    notes = list(townships.attrs.get(NOTES_ATTR, [])) + list(table.notes)
    if absent:
        unknown = [i for i in absent if math.isnan(values[i])]
        names = [str(townships["name"].iloc[i]) for i in (unknown or absent)]
        shown = "、".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        if unknown:
            raise InputError(
                f"{len(unknown)} of the {len(keys)} townships are not in the elderly table ({shown}); missing is not zero: "
                f"add their rows (0 where nobody lives)", path=p)
        notes.append(f"{p.name}: {len(absent)} townships are not in the elderly table ({shown}); they keep the "
                     f"count of the township layer ({sum(values[i] for i in absent):,.0f} elderly)")
    result = townships.copy()
    result["elderly"] = values
    result.attrs[NOTES_ATTR] = notes
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
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise InputError("township polygon has coordinates that are not finite numbers (NaN or infinity)", path=path, row=row)
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
