"""Shared readers: CSV/XLSX tables and vector files, header matching, cell parsing, table coordinates.

Every foreseeable problem becomes an :class:`~layers.errors.InputError` naming the file and, for tables,
the 1-based row as a spreadsheet shows it (header row = 1) and the column header as written in the file.
For vector layers the row is the 1-based feature number.
"""
from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.errors
import pyproj
from numpy.typing import NDArray

from .crs import check_coordinates, require_crs
from .errors import InputError
from .gcj02 import gcj02_to_wgs84

PathLikeStr = str | PathLike[str]

TABLE_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xlsm"})
VECTOR_SUFFIXES = frozenset(
    {".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml", ".gml", ".sqlite", ".tab", ".mif", ".zip", ".gdb"}
)

CHINA_LON_DEG = (73.0, 136.0)
CHINA_LAT_DEG = (3.0, 54.0)

GCJ02_NAMES = frozenset({"gcj02", "gcj-02", "gcj_02"})

LON_ALIASES = ("lon", "lng", "long", "longitude", "经度", "经度坐标")
LAT_ALIASES = ("lat", "latitude", "纬度", "纬度坐标")
X_ALIASES = ("x", "x坐标", "easting", "东坐标", "横坐标")
Y_ALIASES = ("y", "y坐标", "northing", "北坐标", "纵坐标")
ELDERLY_ALIASES = (
    "elderly",
    "老年人口",
    "60岁以上人口",
    "60岁及以上人口",
    "老年人口数",
    "老人数",
    "老年人数",
    "老年人",
)

_HEADER_SCAN_ROWS = 20
_BRACKETED_TAIL = re.compile(r"[(\[{【〔].*?[)\]}】〕]\s*$")
_HEADER_NOISE = re.compile(r"[\s_\-.·:*/]+")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


# --------------------------------------------------------------------------------------------- headers


def normalize_header(text: object) -> str:
    """Header (or coded value) in comparable form: NFKC, lower case, no spaces/_/-, no trailing ``(unit)``."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    stripped = _BRACKETED_TAIL.sub("", s)
    if stripped.strip():
        s = stripped
    return _HEADER_NOISE.sub("", s)


def find_column(
    headers: Sequence[str],
    aliases: Sequence[str],
    *,
    path: PathLikeStr | None,
    what: str,
    required: bool,
) -> str | None:
    """Return the header (as written) matching one of ``aliases``; earlier aliases win.

    Raises :class:`InputError` when required and missing, or when two columns carry the same header.
    """
    normalized = [normalize_header(h) for h in headers]
    for alias in aliases:
        key = normalize_header(alias)
        hits = [h for h, n in zip(headers, normalized) if n == key and n]
        if len(hits) > 1:
            raise InputError(f"two columns are called '{hits[0]}'; keep only one {what} column", path=path)
        if hits:
            return hits[0]
    if required:
        expected = "/".join(aliases[:6])
        found = ", ".join(h for h in headers if str(h).strip() and not str(h).startswith("Unnamed"))
        raise InputError(
            f"no {what} column; expected a header such as {expected} (found: {found or 'no headers'})",
            path=path,
        )
    return None


# --------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """A table read from CSV/XLSX: headers as written and data rows keyed by spreadsheet row number."""

    path: Path
    headers: tuple[str, ...]
    header_row: int
    rows: tuple[tuple[int, tuple[Any, ...]], ...]

    def column(self, header: str) -> list[tuple[int, Any]]:
        """``(row number, raw value)`` for every data row of the column ``header``."""
        index = self.headers.index(header)
        return [(row, values[index] if index < len(values) else None) for row, values in self.rows]


def is_table_path(path: PathLikeStr) -> bool:
    """True for .csv/.txt/.tsv/.xlsx/.xlsm (and .xls, which is refused with a clear message when read)."""
    return Path(path).suffix.lower() in TABLE_SUFFIXES | {".xls"}


def read_table(
    path: PathLikeStr,
    *,
    sheet: str | int | None = None,
    expect: Iterable[str] = (),
    what: str = "table",
) -> Table:
    """Read a CSV (UTF-8 with or without BOM, else GB18030) or XLSX sheet into a :class:`Table`.

    The header row is the first row (among the first 20) holding one of the ``expect`` headers, else the
    first non-empty row, so title rows above the header are tolerated. ``sheet`` is a name or 0-based index.
    """
    p = Path(path)
    _require_file(p, what=what)
    suffix = p.suffix.lower()
    if suffix == ".xls":
        raise InputError("old Excel .xls files are not supported; save the sheet as .xlsx or .csv", path=p)
    if suffix in {".xlsx", ".xlsm"}:
        raw = _xlsx_rows(p, sheet=sheet)
    elif suffix in {".csv", ".txt", ".tsv"}:
        raw = _csv_rows(p)
    else:
        raise InputError(f"cannot read '{p.suffix}' files as a {what}; use .csv or .xlsx", path=p)
    return _table_from_rows(p, raw, expect=expect, what=what)


def _require_file(path: Path, *, what: str) -> None:
    if not path.exists():
        raise InputError(f"{what} file not found: {path}", path=path)
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise InputError(f"expected a {what} file but this is a folder: {path}", path=path)


def _csv_rows(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise InputError("text encoding is neither UTF-8 nor GB18030 (GBK); save the file as CSV UTF-8", path=path)
    if "\x00" in text:
        raise InputError("this is not a text CSV file (binary content); save it as CSV UTF-8 or .xlsx", path=path)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";", "，"), key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [(number, list(values)) for number, values in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=path) from exc


def _xlsx_rows(path: Path, *, sheet: str | int | None) -> list[tuple[int, list[Any]]]:
    import openpyxl  # local: only needed for spreadsheets

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types (zip, xml, KeyError) for broken files
        raise InputError(f"cannot open as an Excel .xlsx workbook ({type(exc).__name__})", path=path) from exc
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputError(f"sheet index {sheet} out of range; the workbook has {len(names)} sheet(s)", path=path)
            ws = book.worksheets[sheet]
        else:
            if sheet not in names:
                raise InputError(f"no sheet named '{sheet}'; sheets are: {', '.join(names)}", path=path)
            ws = book[sheet]
        return [(number, list(values)) for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), 1)]
    finally:
        book.close()


def _table_from_rows(path: Path, raw: list[tuple[int, list[Any]]], *, expect: Iterable[str], what: str) -> Table:
    non_empty = [(n, vals) for n, vals in raw if any(cell_text(v) is not None for v in vals)]
    if not non_empty:
        raise InputError(f"the {what} is empty", path=path)
    wanted = {normalize_header(a) for a in expect}
    header_row, header_vals = non_empty[0]
    if wanted:
        for n, vals in non_empty[:_HEADER_SCAN_ROWS]:
            if any(normalize_header(v) in wanted for v in vals if cell_text(v) is not None):
                header_row, header_vals = n, vals
                break
    headers = [cell_text(v) or "" for v in header_vals]
    rows = tuple((n, tuple(vals)) for n, vals in non_empty if n > header_row)
    width = max([len(headers)] + [len(v) for _, v in rows])
    headers += [""] * (width - len(headers))
    if not rows:
        raise InputError(f"the {what} has a header row but no data rows", path=path, row=header_row)
    return Table(path=path, headers=tuple(headers), header_row=header_row, rows=rows)


# --------------------------------------------------------------------------------------------- cells


def cell_text(value: Any) -> str | None:
    """Cell as stripped text, or None when empty. Whole floats print without ``.0`` (Excel ids/codes)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    text = str(value).strip().strip("\u3000").strip()
    if not text or text.lower() in {"nan", "none", "null", "<na>"}:
        return None
    return text


def parse_float(
    value: Any,
    *,
    path: PathLikeStr | None,
    row: int | None,
    column: str | None,
    what: str,
    default: float | None = None,
    minimum: float | None = None,
) -> float:
    """Parse a number from a cell (full-width digits, ``1,200`` and a trailing ``°`` accepted).

    Empty cells give ``default`` or raise when it is None; values below ``minimum`` raise.
    """
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number, got '{value}'", path=path, row=row, column=column)
    if isinstance(value, int | float | np.integer | np.floating) and not (
        isinstance(value, float) and math.isnan(value)
    ):
        number = float(value)
    else:
        text = cell_text(value)
        if text is None:
            if default is None:
                raise InputError(f"{what} is missing", path=path, row=row, column=column)
            return default
        norm = unicodedata.normalize("NFKC", text).strip().rstrip("°").strip()
        if _THOUSANDS.match(norm):
            norm = norm.replace(",", "")
        try:
            number = float(norm)
        except ValueError:
            raise InputError(
                f"{what} must be a number, got '{text}'", path=path, row=row, column=column
            ) from None
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, got '{value}'", path=path, row=row, column=column)
    if minimum is not None and number < minimum:
        raise InputError(f"{what} must not be below {minimum:g}, got {number:g}", path=path, row=row, column=column)
    return number


def parse_count(
    value: Any,
    *,
    path: PathLikeStr | None,
    row: int | None,
    column: str | None,
    what: str,
    default: int | None = None,
) -> int:
    """Parse a non-negative whole number (``12``, ``12.0``); empty cells give ``default`` or raise."""
    number = parse_float(
        value,
        path=path,
        row=row,
        column=column,
        what=what,
        default=None if default is None else float(default),
    )
    if not number.is_integer():
        raise InputError(f"{what} must be a whole number, got {number:g}", path=path, row=row, column=column)
    if number < 0:
        raise InputError(f"{what} must not be negative, got {number:g}", path=path, row=row, column=column)
    return int(number)


# --------------------------------------------------------------------------------------------- coordinates


def parse_crs(crs: str | pyproj.CRS, *, path: PathLikeStr | None = None) -> pyproj.CRS | None:
    """Return a :class:`pyproj.CRS`, or None for GCJ-02 ("gcj02", "GCJ-02"); unknown text raises."""
    if isinstance(crs, str) and crs.strip().lower().replace(" ", "") in GCJ02_NAMES:
        return None
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise InputError(f"unknown coordinate system '{crs}' (use e.g. EPSG:4326, EPSG:4490 or gcj02)", path=path) from None


def table_points_wgs84(
    table: Table, *, crs: str | pyproj.CRS, what: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitude/latitude (EPSG:4326) of every table row from lon/lat (经度/纬度) or x/y columns.

    ``crs`` describes the coordinates in the table: a geographic CRS, ``gcj02`` or a projected CRS (x/y).
    Each row is checked against China's bounds; swapped axes get a hint.
    """
    source = parse_crs(crs, path=table.path)
    geographic = source is None or source.is_geographic
    headers = table.headers
    lon_h = find_column(headers, LON_ALIASES, path=table.path, what="longitude", required=False)
    lat_h = find_column(headers, LAT_ALIASES, path=table.path, what="latitude", required=False)
    x_h = find_column(headers, X_ALIASES, path=table.path, what="x", required=False)
    y_h = find_column(headers, Y_ALIASES, path=table.path, what="y", required=False)
    geo_pair = (lon_h, lat_h) if lon_h and lat_h else None
    xy_pair = (x_h, y_h) if x_h and y_h else None
    pair = (geo_pair or xy_pair) if geographic else (xy_pair or geo_pair)
    if pair is None:
        if geographic:
            hint = "longitude/latitude columns (lon/lat or 经度/纬度)"
        else:
            hint = f"x/y columns for {source.name if source else crs}"
        raise InputError(f"no coordinate columns; expected {hint}", path=table.path)
    a_h, b_h = pair
    a_name, b_name = ("longitude", "latitude") if geographic else ("x", "y")
    rows = [r for r, _ in table.rows]
    a = np.array(
        [parse_float(v, path=table.path, row=r, column=a_h, what=a_name) for r, v in table.column(a_h)], dtype=float
    )
    b = np.array(
        [parse_float(v, path=table.path, row=r, column=b_h, what=b_name) for r, v in table.column(b_h)], dtype=float
    )
    if geographic:
        _check_china(a, b, rows=rows, path=table.path, lon_column=a_h, lat_column=b_h)
        if source is None:
            return gcj02_to_wgs84(a, b)
        if source.equals(pyproj.CRS.from_epsg(4326)):
            return a, b
        lon, lat = _transform(source, a, b)
        return lon, lat
    lon, lat = _transform(source, a, b)
    bad = ~_inside_china(lon, lat)
    if bad.any():
        i = int(np.argmax(bad))
        swapped_lon, swapped_lat = _transform(source, b[i : i + 1], a[i : i + 1])
        hint = ""
        if _inside_china(swapped_lon, swapped_lat)[0]:
            hint = f"; {a_h} and {b_h} look swapped (in Chinese surveying X is the northing)"
        raise InputError(
            f"point ({a[i]:g}, {b[i]:g}) in {source.name} falls outside China{hint}",
            path=table.path,
            row=rows[i],
            column=a_h,
        )
    return lon, lat


def _transform(source: pyproj.CRS, a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[Any, Any]:
    transformer = pyproj.Transformer.from_crs(source, pyproj.CRS.from_epsg(4326), always_xy=True)
    lon, lat = transformer.transform(a, b, errcheck=False)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _inside_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    lon = np.nan_to_num(lon, nan=-999.0, posinf=-999.0, neginf=-999.0)
    lat = np.nan_to_num(lat, nan=-999.0, posinf=-999.0, neginf=-999.0)
    return (
        (lon >= CHINA_LON_DEG[0]) & (lon <= CHINA_LON_DEG[1]) & (lat >= CHINA_LAT_DEG[0]) & (lat <= CHINA_LAT_DEG[1])
    )


def _check_china(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    *,
    rows: Sequence[int],
    path: PathLikeStr | None,
    lon_column: str,
    lat_column: str,
) -> None:
    lon_ok = (lon >= CHINA_LON_DEG[0]) & (lon <= CHINA_LON_DEG[1])
    lat_ok = (lat >= CHINA_LAT_DEG[0]) & (lat <= CHINA_LAT_DEG[1])
    bad = ~(lon_ok & lat_ok)
    if not bad.any():
        return
    i = int(np.argmax(bad))
    swapped = bool(_inside_china(lat[i : i + 1], lon[i : i + 1])[0])
    hint = f"; {lon_column} and {lat_column} look swapped" if swapped else ""
    if not lon_ok[i]:
        raise InputError(
            f"longitude {lon[i]:g} is outside China ({CHINA_LON_DEG[0]:g}–{CHINA_LON_DEG[1]:g}°E){hint}",
            path=path,
            row=rows[i],
            column=lon_column,
        )
    raise InputError(
        f"latitude {lat[i]:g} is outside China ({CHINA_LAT_DEG[0]:g}–{CHINA_LAT_DEG[1]:g}°N){hint}",
        path=path,
        row=rows[i],
        column=lat_column,
    )


# --------------------------------------------------------------------------------------------- vectors


def read_vector(
    path: PathLikeStr,
    *,
    layer: str | None,
    what: str,
    geometry_types: frozenset[str],
) -> gpd.GeoDataFrame:
    """Read one layer of a vector file (Shapefile, GeoPackage, GeoJSON, ...) with its CRS required.

    With several layers and no ``layer``, the single layer whose geometry type is in ``geometry_types``
    is used. GBK-encoded Shapefiles without a .cpg file are decoded as GB18030.
    """
    p = Path(path)
    _require_file(p, what=what)
    try:
        layers = pyogrio.list_layers(p)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise InputError(
            f"cannot read as a GIS vector file (Shapefile, GeoPackage, GeoJSON): {_first_line(exc)}", path=p
        ) from exc
    names = [str(n) for n, _ in layers]
    if not names:
        raise InputError(f"the file holds no layers; expected a {what} layer", path=p)
    if layer is None:
        if len(names) > 1:
            fitting = [str(n) for n, g in layers if _family_of(g) & geometry_types]
            if len(fitting) != 1:
                raise InputError(
                    f"the file has {len(names)} layers ({', '.join(names)}); choose the {what} layer by name",
                    path=p,
                )
            layer = fitting[0]
    elif layer not in names:
        raise InputError(f"no layer named '{layer}'; layers are: {', '.join(names)}", path=p)
    gdf = _read_dataframe(p, layer=layer)
    if _looks_mojibake(p, gdf, layer=layer):
        try:
            gdf = _read_dataframe(p, layer=layer, encoding="gb18030")
        except InputError:
            pass
    require_crs(gdf, what=f"the {what} file", path=p)
    check_coordinates(gdf, what=f"{what} file", path=p)
    if len(gdf) == 0:
        raise InputError(f"the {what} layer has no features", path=p)
    return gdf


def _read_dataframe(path: Path, *, layer: str | None, encoding: str | None = None) -> gpd.GeoDataFrame:
    kwargs: dict[str, Any] = {"layer": layer}
    if encoding is not None:
        kwargs["encoding"] = encoding
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = pyogrio.read_dataframe(path, **kwargs)
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.FeatureError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.CRSError,
        OSError,
        ValueError,
        UnicodeDecodeError,
    ) as exc:
        raise InputError(f"cannot read the vector file: {_first_line(exc)}", path=path) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError("the layer has no geometry column (a plain table?)", path=path)
    return gdf


def _looks_mojibake(path: Path, gdf: gpd.GeoDataFrame, *, layer: str | None) -> bool:
    if path.suffix.lower() != ".shp" or path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
        return False
    texts = [str(c) for c in gdf.columns]
    for column in gdf.columns:
        if column != gdf.geometry.name and gdf[column].dtype == object:
            texts.extend(str(v) for v in gdf[column].head(200) if isinstance(v, str))
    high = [t for t in texts if any("\x80" <= ch <= "\xff" for ch in t)]
    if not high or any(any(ord(ch) > 0xFF for ch in t) for t in high):
        return False
    try:
        for t in high:
            t.encode("latin-1").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line.split("; It might help")[0].strip()


def _family_of(geometry_type: object) -> frozenset[str]:
    text = str(geometry_type or "")
    for family in ("MultiLineString", "LineString", "MultiPolygon", "Polygon", "MultiPoint", "Point"):
        if family.lower() in text.lower():
            return frozenset({family})
    return frozenset()


def check_geometry_types(
    gdf: gpd.GeoDataFrame, *, allowed: frozenset[str], path: PathLikeStr, what: str, expected: str
) -> None:
    """Raise for the first missing/empty geometry or one whose type is not in ``allowed``."""
    types = gdf.geometry.geom_type.to_numpy()
    empty = gdf.geometry.is_empty.to_numpy() | gdf.geometry.isna().to_numpy()
    for i, (geom_type, is_empty) in enumerate(zip(types, empty)):
        if is_empty:
            raise InputError(f"{what} feature has no geometry", path=path, row=i + 1)
        if geom_type not in allowed:
            raise InputError(
                f"{what} layer must contain {expected}, but feature {i + 1} is a {geom_type}", path=path, row=i + 1
            )


__all__ = [
    "CHINA_LAT_DEG",
    "CHINA_LON_DEG",
    "ELDERLY_ALIASES",
    "LAT_ALIASES",
    "LON_ALIASES",
    "X_ALIASES",
    "Y_ALIASES",
    "Table",
    "cell_text",
    "check_geometry_types",
    "find_column",
    "is_table_path",
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "normalize_header",
    "parse_count",
    "parse_crs",
    "parse_float",
    "read_table",
    "read_vector",
    "table_points_wgs84",
]
