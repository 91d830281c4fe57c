"""Shared readers: CSV/XLSX tables and vector files, header matching, cell parsing, table coordinates.

Every foreseeable problem becomes an :class:`~layers.errors.InputError` naming the file and, for tables,
the 1-based row as a spreadsheet shows it (header row = 1) and the column header as written in the file.
For vector layers the row is the 1-based feature number.

Bureau tables come with totals rows (合计), notes (注：…), unit rows ((人)) and title rows: these are not
read as data but recorded in :attr:`Table.skipped` / :attr:`Table.notes` so the user can be told. What was
assumed when reading a vector file (a CRS read from its coordinates, a text encoding) is listed in
``gdf.attrs[NOTES_ATTR]``.
"""
from __future__ import annotations

import codecs
import csv
import html
import io
import math
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyproj
import shapely
import shapely.errors
from numpy.typing import NDArray

from .crs import transformer as cached_transformer
from .crs import (
    CHINA_LAT_DEG,
    CHINA_LON_DEG,
    SHIFTED,
    WGS84,
    check_coordinates,
    describe_crs,
    infer_crs,
    inside_china,
    likely_crs,
    parse_crs,
    require_crs,
)
from .errors import InputError
from .gcj02 import bd09_to_wgs84, gcj02_to_wgs84

PathLikeStr = str | PathLike[str]

TABLE_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xlsm"})
VECTOR_SUFFIXES = frozenset(
    {".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml", ".gml", ".sqlite", ".tab", ".mif", ".zip", ".gdb"}
)

#: Key of ``GeoDataFrame.attrs`` holding the lines to show the user about how a layer was read.
NOTES_ATTR = "carecircle_notes"

GCJ02_NAMES = frozenset({"gcj02", "gcj-02", "gcj_02"})

#: Text encodings a user can choose for CSV/text tables and Shapefile attributes.
TEXT_ENCODINGS = ("utf-8", "gb18030", "gbk", "utf-16", "big5")

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
    "LNRK",
    "LNRKS",
    "60岁及以上",
    "60周岁及以上人口",
    "老年人口(人)",
    "60岁以上老年人口",
    "常住老年人口",
    "户籍老年人口",
)
#: Township name / code headers used by bureau GIS exports and statistics tables (appended by layers.townships).
TOWNSHIP_NAME_EXTRA = ("XZQMC", "XZMC", "JDMC", "乡镇（街道）", "乡镇街道名称", "镇（街道）", "街道名称")
TOWNSHIP_CODE_EXTRA = ("XZQDM", "XZDM", "JDDM", "统计用区划代码")

_HEADER_SCAN_ROWS = 20
_BRACKETED_TAIL = re.compile(r"[(\[{【〔].*?[)\]}】〕]\s*$")
_HEADER_NOISE = re.compile(r"[\s_\-.·:*/]+")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")

# The key a layer has in the command line's LAYER=... options, for hints in messages.
_CLI_KEYS = {
    "township": "townships",
    "road": "roads",
    "facility": "facilities",
    "facility table": "facilities",
    "population point": "population",
    "population table": "population",
    "elderly table": "population",  # a township table of counts is given as --population
    "community": "communities",
    "community table": "communities",
}


def _cli_key(what: str) -> str | None:
    return _CLI_KEYS.get(what)


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
    chosen: str | None = None,
) -> str | None:
    """Return the header (as written) matching one of ``aliases``; earlier aliases win.

    ``chosen`` is a header the user picked (``--columns townships.name=XZQMC`` or the import dialog): it wins
    over the aliases, matched as written, else after :func:`normalize_header`; when no column has it,
    :class:`InputError` lists the columns. Raises when required and missing, or when two columns carry
    the same header.
    """
    if chosen is not None and str(chosen).strip():
        want = str(chosen).strip()
        hits = [h for h in headers if str(h).strip() == want]
        if not hits:
            key = normalize_header(want)
            hits = [h for h in headers if key and normalize_header(h) == key]
        if len(hits) > 1:
            raise InputError(f"two columns are called '{hits[0]}'; keep only one {what} column", path=path)
        if hits:
            return hits[0]
        raise InputError(f"no column '{want}'; the columns are: {_header_list(headers)}", path=path)
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
        raise InputError(
            f"no {what} column; expected a header such as {expected} (found: {_header_list(headers)})",
            path=path,
        )
    return None


def _header_list(headers: Sequence[str]) -> str:
    found = ", ".join(str(h) for h in headers if str(h).strip() and not str(h).startswith("Unnamed"))
    return found or "no headers"


# --------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """A table read from CSV/XLSX: headers as written and data rows keyed by spreadsheet row number.

    ``skipped`` lists rows that are not data — ``(row, reason)`` such as ``(12, "totals row 合计")`` — and
    ``notes`` holds lines to show the user about them. ``sheet`` is the XLSX sheet read (None for CSV).
    """

    path: Path
    headers: tuple[str, ...]
    header_row: int
    rows: tuple[tuple[int, tuple[Any, ...]], ...]
    skipped: tuple[tuple[int, str], ...] = ()
    notes: tuple[str, ...] = ()
    sheet: str | None = None
    #: the unit written for a column in a unit row under the header (header -> text, e.g. "（万人）"); key ""
    #: holds a whole-table unit note (单位：万人)
    units: Mapping[str, str] = field(default_factory=dict)

    def column(self, header: str) -> list[tuple[int, Any]]:
        """``(row number, raw value)`` for every data row of the column ``header``."""
        index = self.headers.index(header)
        return [(row, values[index] if index < len(values) else None) for row, values in self.rows]


_SCALED_UNIT = re.compile(r"(万|千|百)\s*(人|口|名)?|10\s*(k|000)|thousand", re.IGNORECASE)


def check_head_counts(header: str, *, table: "Table | None" = None, path: PathLikeStr | None = None, what: str) -> None:
    """Refuse a count column whose header (``老年人口（万人）``) or unit row says it counts in ten thousands or
    thousands: read as people it would be 10,000 times too small (beds per 1,000 elderly off by as much)."""
    unit = (table.units.get(header) or table.units.get("", "")) if table is not None else ""
    header_tail = _BRACKETED_TAIL.search(unicodedata.normalize("NFKC", header))  # 老年人口（万人） -> （万人）
    for text in (header_tail.group(0) if header_tail else "", unicodedata.normalize("NFKC", unit)):
        if text and _SCALED_UNIT.search(text):
            raise InputError(f"the {what} column counts in '{_one_line(text)}', not persons: give head counts "
                             f"(e.g. 41431, not 4.1431)", path=path, column=header)


class WrongSheetError(InputError):
    """The first sheet of a workbook holds no list but another sheet does: ``sheet`` names it."""

    def __init__(self, message: str, *, sheet: str, sheets: Sequence[str], path: PathLikeStr | None = None) -> None:
        self.sheet = sheet
        self.sheets = tuple(sheets)
        super().__init__(message, path=path)


def is_table_path(path: PathLikeStr) -> bool:
    """True for .csv/.txt/.tsv/.xlsx/.xlsm (and .xls, which is refused with a clear message when read)."""
    return Path(path).suffix.lower() in TABLE_SUFFIXES | {".xls"}


def read_table(
    path: PathLikeStr,
    *,
    sheet: str | int | None = None,
    expect: Iterable[str] = (),
    what: str = "table",
    encoding: str | None = None,
) -> Table:
    """Read a CSV/text table or an XLSX sheet into a :class:`Table`.

    Text encodings are detected (UTF-8 with or without BOM, UTF-16 with BOM as Excel's "Unicode text", else
    GB18030/GBK) unless ``encoding`` (one of :data:`TEXT_ENCODINGS`) is given; a wrong choice raises.
    The header row is the first row (among the first 20) holding one of the ``expect`` headers, else the
    first non-empty row, so title rows above the header are tolerated; totals, notes and unit rows are
    skipped and recorded (:attr:`Table.skipped`). ``sheet`` is a name or 0-based index; without it the first
    sheet is read, and when only another sheet holds an ``expect`` header a :class:`WrongSheetError` says so.
    XLSX formula cells without a saved value raise (the value is unknown, not zero).
    """
    p = Path(path)
    expect = tuple(expect)
    _require_file(p, what=what)
    suffix = p.suffix.lower()
    if suffix == ".xls":
        raise InputError("old Excel .xls files are not supported; save the sheet as .xlsx or .csv", path=p)
    if suffix in {".xlsx", ".xlsm"}:
        book = _xlsx_rows(p, sheet=sheet, expect=expect, what=what)
        table = _table_from_rows(p, book.rows, expect=expect, what=what, sheet=book.title)
        if book.uncached is None or book.uncached:
            _check_formulas(p, book.title, book.rows, table, uncached=book.uncached)
        return table
    if suffix in {".csv", ".txt", ".tsv"}:
        raw = _csv_rows(p, encoding=encoding)
    else:
        raise InputError(f"cannot read '{p.suffix}' files as a {what}; use .csv or .xlsx", path=p)
    return _table_from_rows(p, raw, expect=expect, what=what)


def _require_file(path: Path, *, what: str) -> None:
    if not path.exists():
        raise InputError(f"{what} file not found: {path}", path=path)
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise InputError(f"expected a {what} file but this is a folder: {path}", path=path)


# ----------------------------------------------------------------------------- text encodings

_ENCODING_WORDS = {
    "utf8": "utf-8", "utf8sig": "utf-8", "utf": "utf-8", "unicodeutf8": "utf-8",
    "gb18030": "gb18030", "gbk": "gbk", "cp936": "gbk", "936": "gbk", "gb2312": "gbk", "ansi": "gbk",
    "utf16": "utf-16", "unicode": "utf-16", "utf16le": "utf-16-le", "utf16be": "utf-16-be", "ucs2": "utf-16",
    "big5": "big5", "cp950": "big5", "950": "big5", "big5hkscs": "big5hkscs",
}
_ENCODING_LABELS = {"utf-8": "UTF-8", "gb18030": "GB18030", "gbk": "GBK", "utf-16": "UTF-16",
                    "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE", "big5": "Big5", "big5hkscs": "Big5-HKSCS"}
_BAD_CHARS = re.compile("[\ue000-\uf8ff\ufffd]")  # private use area / replacement: bytes that did not decode
_LEGACY_ENCODINGS = frozenset({"gbk", "gb18030", "big5", "big5hkscs"})


def normalize_encoding(encoding: str, *, path: PathLikeStr | None = None) -> str:
    """A user's encoding choice as a Python codec name (``"UTF8"`` -> ``"utf-8"``, ``"GB2312"`` -> ``"gbk"``);
    unknown names raise :class:`InputError`."""
    key = re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", str(encoding)).lower())
    name = _ENCODING_WORDS.get(key)
    if name is None:
        raise InputError(
            f"unknown text encoding '{encoding}'; choose one of {', '.join(TEXT_ENCODINGS)}", path=path
        )
    codecs.lookup(name)
    return name


def _label(encoding: str) -> str:
    return _ENCODING_LABELS.get(encoding, encoding.upper())


def _decode(data: bytes, *, path: Path, encoding: str | None) -> str:
    if encoding is not None:
        return _decode_as(data, path=path, encoding=normalize_encoding(encoding, path=path))
    if data.startswith(codecs.BOM_UTF8):
        return _decode_as(data, path=path, encoding="utf-8")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _decode_as(data, path=path, encoding="utf-16")
    bare = _bare_utf16(data)
    if bare is not None:
        return _decode_as(data, path=path, encoding=bare)
    for candidate in ("utf-8", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise InputError(
        "text encoding is neither UTF-8 nor GB18030 (GBK); save the file as CSV UTF-8 or choose its encoding",
        path=path,
    )


def _bare_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for UTF-16 text written without a BOM (many NUL high bytes), else None."""
    sample = data[:4000]
    if len(sample) < 8 or len(sample) % 2:
        return None
    half = len(sample) // 2
    odd_zero = sample[1::2].count(0) / half
    even_zero = sample[0::2].count(0) / half
    if odd_zero > 0.25 and even_zero < 0.02:
        return "utf-16-le"
    if even_zero > 0.25 and odd_zero < 0.02:
        return "utf-16-be"
    return None


def _decode_as(data: bytes, *, path: Path, encoding: str) -> str:
    label = _label(encoding)
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    if encoding not in {"utf-16", "utf-16-le", "utf-16-be"} and (
        data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE)
    ):
        raise InputError(f"the file is UTF-16 (Unicode) text, not {label}; choose utf-16", path=path)
    if encoding not in {"utf-8"} and not encoding.startswith("utf-16") and _is_utf8_text(data):
        raise InputError(f"the file is UTF-8 text, not {label}; choose utf-8", path=path)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        where = f" (byte {exc.object[exc.start]:#04x} at position {exc.start} does not decode)" if exc.object else ""
        raise InputError(
            f"the file is not {label} text{where}{_encoding_hint(data, exclude=encoding)}", path=path
        ) from None
    if encoding.startswith("utf-16") and b"\n" in data and "\n" not in text and "\r" not in text:
        raise InputError(f"the file is not {label} text (its lines do not decode){_encoding_hint(data, exclude=encoding)}",
                         path=path)
    if encoding in _LEGACY_ENCODINGS and _looks_undecoded(text):
        raise InputError(
            f"the file does not read as {label} text (many characters come out as unknown symbols)"
            f"{_encoding_hint(data, exclude=encoding)}",
            path=path,
        )
    return text


def _looks_undecoded(texts: str | Iterable[str]) -> bool:
    """Text decoded with the wrong legacy codec: private-use/replacement characters make up a good share of the
    non-ASCII characters (a few private-use characters are real: user-defined rare characters in GBK names)."""
    odd = other = 0
    for text in [texts] if isinstance(texts, str) else texts:
        odd += len(_BAD_CHARS.findall(text))
        other += sum(1 for ch in text if ord(ch) > 0x7F)
    return odd >= 2 and odd > 0.05 * other


def _is_utf8_text(data: bytes) -> bool:
    """True when ``data`` holds non-ASCII bytes that form valid UTF-8 (GBK/Big5 text practically never does)."""
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _encoding_hint(data: bytes, *, exclude: str) -> str:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE) or _bare_utf16(data):
        guess = "utf-16"
    elif _is_utf8_text(data):
        guess = "utf-8"
    else:
        guess = "gb18030"
    if guess == exclude or (exclude.startswith("utf-16") and guess == "utf-16"):
        return "; choose another encoding"
    return f"; it looks like {_label(guess)} — choose {guess} (or leave the encoding to be detected)"


def _csv_rows(path: Path, *, encoding: str | None = None) -> list[tuple[int, list[Any]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    text = _decode(data, path=path, encoding=encoding)
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


# ----------------------------------------------------------------------------- workbooks


@dataclass
class _Book:
    rows: list[tuple[int, list[Any]]]
    title: str
    #: formula cells without a saved value, ``(row, 0-based column) -> formula``; None when the sheet's XML
    #: could not tell (then openpyxl reads the formulas)
    uncached: dict[tuple[int, int], str] | None


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _xlsx_rows(path: Path, *, sheet: str | int | None, expect: Sequence[str] = (), what: str = "table") -> _Book:
    import openpyxl  # local: only needed for spreadsheets

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types (zip, xml, KeyError) for broken files
        raise InputError(f"cannot open as an Excel .xlsx workbook ({type(exc).__name__})", path=path) from exc
    try:
        sheets = list(book.worksheets)  # chart sheets hold no cells: not offered
        names = [str(ws.title) for ws in sheets]
        if not names:
            raise InputError("the workbook has no sheets with cells", path=path)
        if sheet is None:
            ws = sheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputError(f"sheet index {sheet} out of range; the workbook has {len(names)} sheet(s)", path=path)
            ws = sheets[sheet]
        else:
            ws = sheets[names.index(_sheet_name(names, sheet, path=path))]
        rows = _sheet_rows(ws, path=path)
        if sheet is None and len(names) > 1 and not _holds_header(rows, expect):
            for other in sheets[1:]:
                try:
                    head = _sheet_rows(other, path=path, max_row=3 * _HEADER_SCAN_ROWS)
                except InputError:  # a damaged other sheet is no suggestion
                    continue
                if _holds_header(head, expect):
                    title = str(other.title)
                    key = _cli_key(what)
                    cli = f" (--sheet {key}={title})" if key else ""
                    found = "is empty" if not any(_non_empty(v) for _, v in rows) else f"has no {what} header"
                    raise WrongSheetError(
                        f"the first sheet '{names[0]}' {found}; the list seems to be on sheet '{title}' — "
                        f"choose the sheet '{title}'{cli}",
                        sheet=title,
                        sheets=names,
                        path=path,
                    )
        return _Book(rows=rows, title=str(ws.title), uncached=_uncached_formulas(book, ws))
    finally:
        book.close()


def _sheet_rows(ws: Any, *, path: Path, max_row: int | None = None) -> list[tuple[int, list[Any]]]:
    """All rows of a sheet (numbered from 1); a damaged sheet (openpyxl reads lazily) raises InputError."""
    try:
        return [(n, list(values)) for n, values in enumerate(ws.iter_rows(min_row=1, max_row=max_row, values_only=True), 1)]
    except InputError:
        raise
    except Exception as exc:  # XML ParseError, ValueError, KeyError, zip errors from a damaged sheet
        raise InputError(
            f"cannot read sheet '{ws.title}': the workbook is damaged ({type(exc).__name__}); "
            "open it in Excel or WPS and save it again",
            path=path,
        ) from exc


def _sheet_name(names: Sequence[str], sheet: str, *, path: Path) -> str:
    if sheet in names:
        return sheet

    def key(text: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()

    close = [n for n in names if key(n) == key(sheet)]
    if len(close) == 1:
        return close[0]
    raise InputError(f"no sheet named '{sheet}'; sheets are: {', '.join(names)}", path=path)


def _non_empty(values: Sequence[Any]) -> bool:
    return any(cell_text(v) is not None for v in values)


def _holds_header(rows: list[tuple[int, list[Any]]], expect: Sequence[str]) -> bool:
    """Does the sheet hold one of the ``expect`` headers (or, without any, anything at all)?"""
    non_empty = [vals for _, vals in rows if _non_empty(vals)]
    if not expect:
        return bool(non_empty)
    wanted = {normalize_header(a) for a in expect}
    return any(
        normalize_header(v) in wanted for vals in non_empty[:_HEADER_SCAN_ROWS] for v in vals if cell_text(v) is not None
    )


_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb'\br="([A-Za-z]{1,3})(\d+)"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>", re.S)
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>", re.S)


def _uncached_formulas(book: Any, ws: Any) -> dict[tuple[int, int], str] | None:
    """Formula cells of the sheet whose value was never saved (files written by pandas, openpyxl and other
    programs that do not calculate), read from the sheet's XML: ``(row, 0-based column) -> "=formula"``.

    A formula with an empty text result (``t="str"``) has a saved value. Cheap for sheets without formulas
    (one search of the XML); None when the XML cannot be read or a formula cell has no reference.
    """
    try:
        with book._archive.open(ws._worksheet_path) as source:
            data = source.read()
    except Exception:  # private openpyxl attributes moved: the caller reads the formulas with openpyxl
        return None
    if _FORMULA_TAG.search(data) is None:
        return {}
    from openpyxl.utils import column_index_from_string

    found: dict[tuple[int, int], str] = {}
    for cell in _CELL.finditer(data):
        body = cell.group(2)
        if not body or _FORMULA_TAG.search(body) is None:
            continue
        kind = _CELL_TYPE.search(cell.group(1))
        value = _VALUE.search(body)
        if value is not None and value.group(1).strip():
            continue
        if value is not None and kind is not None and kind.group(1) == b"str":
            continue  # the formula's saved result is empty text
        ref = _CELL_REF.search(cell.group(1))
        if ref is None:
            return None
        formula = _FORMULA.search(body)
        text = html.unescape(formula.group(1).decode("utf-8", "replace")).strip() if formula else ""
        column = column_index_from_string(ref.group(1).decode("ascii").upper()) - 1
        found[(int(ref.group(2)), column)] = "=" + text if text else "a shared formula"
    return found


def _check_formulas(
    path: Path,
    title: str,
    raw: list[tuple[int, list[Any]]],
    table: Table,
    *,
    uncached: dict[tuple[int, int], str] | None = None,
) -> None:
    """Raise for a formula cell whose value was never saved (openpyxl reads it as empty): its value is unknown.

    Only data cells (below the header, not in a skipped row, under a header) count. ``uncached`` comes from
    :func:`_uncached_formulas`; when None the formulas are read with openpyxl (slower, and a formula whose
    saved result is empty text cannot be told from one never calculated).
    """
    skipped = {r for r, _ in table.skipped}
    headed = [i for i, h in enumerate(table.headers) if h]
    empty = {
        (n, i)
        for n, vals in raw
        if n > table.header_row and n not in skipped
        for i in headed
        if cell_text(vals[i] if i < len(vals) else None) is None
    }
    if not empty:  # every data cell has a value: nothing can be a formula without one
        return
    if uncached is not None:
        hits = sorted(key for key in uncached if key in empty)
        if hits:
            n, i = hits[0]
            _raise_uncached(path, uncached[(n, i)], row=n, column=table.headers[i])
        return
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # read once already: only a file changed meanwhile gets here
        raise InputError(f"cannot open as an Excel .xlsx workbook ({type(exc).__name__})", path=path) from exc
    try:
        for n, values in _sheet_rows(book[title], path=path):
            if n <= table.header_row or n in skipped:
                continue
            for i in headed:
                if i >= len(values):
                    continue
                formula = _formula_text(values[i])
                if formula is not None and (n, i) in empty:
                    _raise_uncached(path, formula, row=n, column=table.headers[i])
    finally:
        book.close()


def _raise_uncached(path: Path, formula: str, *, row: int, column: str) -> None:
    raise InputError(
        f"the cell holds a formula ({_shorten(formula, 40)}) with no saved value; open and save the file in "
        "Excel or WPS so the values are stored",
        path=path,
        row=row,
        column=column,
    )


def _formula_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value if value.startswith("=") and len(value) > 1 else None
    text = getattr(value, "text", None)  # openpyxl ArrayFormula / DataTableFormula
    if isinstance(text, str) and text:
        return text if text.startswith("=") else "=" + text
    return None


# ----------------------------------------------------------------------------- rows that are not data

_TOTALS = re.compile(
    r"^(?:(?:全(?:县|市|区|旗|镇|乡|省|州|盟|部)?|[县市区镇乡]|以上|本页|累计)?(?:合计|小计|总计|总数|共计|总合计|总和|汇总)数?"
    r"|.{1,12}?(?:小计|合计|汇总)|全(?:县|市|区|旗|省|国)|(?:grand|sub)?totals?|sum)[:：]?$"
)
_NOTES = re.compile(
    r"^(?:注(?:[:：\d、.(]|释|意|$)|说明|备注|填表人|填报人|填表单位|填报单位|填报日期|填表日期|制表|审核|负责人|"
    r"联系人|联系电话|数据来源|资料来源|来源[:：]|统计日期|统计时间|单位[:：]|notes?[:：]|sources?[:：])"
)
_UNITS = (
    "人|人数|万人|户|张|床|张床|个|所|家|处|名|位|间|套|座|平方米|m2|平方公里|km2|公顷|亩|公里|千米|米|m|km|%|‰|"
    "岁|元|万元|度|°|单位|计量单位"
)
_UNIT = re.compile(rf"^[(\[【]?(?:单位[:：])?(?:{_UNITS})[)\]】]?$")
_PLACEHOLDER = frozenset({"-", "—", "——", "/", "--"})
_COLUMN_LETTERS = frozenset("甲乙丙丁戊")


def _squash(text: str) -> str:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
    stripped = _BRACKETED_TAIL.sub("", s)
    return stripped if stripped else s


def _one_line(text: str) -> str:
    """Cell text fit for a one-line message: line breaks and runs of spaces become one space."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


def _shorten(text: str, limit: int = 24) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _skip_reason(values: Sequence[Any], *, before_data: bool) -> str | None:
    """Why a row below the header is not data (totals, notes, units, column numbers), or None."""
    cells = [(i, v, cell_text(v)) for i, v in enumerate(values)]
    filled = [(i, v, t) for i, v, t in cells if t is not None]
    if not filled:
        return None
    texts = [t for i, v, t in filled if isinstance(v, str)]
    candidates = texts[:1] + [t for i, v, t in filled if i < 2 and isinstance(v, str)]
    for text in candidates:
        if _TOTALS.match(_squash(text)):
            return f"totals row {_one_line(text)}"
    first = filled[0][2]
    if isinstance(filled[0][1], str) and _NOTES.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", first)).lower()):
        noted = sum(1 for t in texts if _NOTES.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", t)).lower()))
        if len(filled) == 1 or (len(texts) == len(filled) and 2 * noted >= len(filled)):
            return f"note {_shorten(first)}"
    if not before_data:
        return None
    if len(texts) == len(filled):
        squashed = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", t)).lower() for t in texts]
        real = [s for s in squashed if s not in _PLACEHOLDER]
        if real and all(_UNIT.match(s) for s in real):
            return "unit row"
    if _column_numbers(filled):
        return "column-number row"
    return None


def _column_numbers(filled: Sequence[tuple[int, Any, str]]) -> bool:
    """Chinese statistical tables number their columns under the header: 甲 乙 1 2 3 ..."""
    letters = [t for _, _, t in filled if t in _COLUMN_LETTERS or t == "栏次"]
    numbers = [t for _, _, t in filled if t not in _COLUMN_LETTERS and t != "栏次"]
    if not letters or not numbers or not all(t.isdigit() for t in numbers):
        return False
    return [int(t) for t in numbers] == list(range(1, len(numbers) + 1))


def _table_from_rows(
    path: Path, raw: list[tuple[int, list[Any]]], *, expect: Iterable[str], what: str, sheet: str | None = None
) -> Table:
    non_empty = [(n, vals) for n, vals in raw if _non_empty(vals)]
    if not non_empty:
        raise InputError(f"the {what} is empty", path=path)
    wanted = {normalize_header(a) for a in expect}
    header_row, header_vals = non_empty[0]
    if wanted:
        for n, vals in non_empty[:_HEADER_SCAN_ROWS]:
            if any(normalize_header(v) in wanted for v in vals if cell_text(v) is not None):
                header_row, header_vals = n, vals
                break
    headers = [_one_line(cell_text(v) or "") for v in header_vals]
    kept: list[tuple[int, tuple[Any, ...]]] = []
    skipped: list[tuple[int, str]] = []
    units: dict[str, str] = {}
    for n, vals in non_empty:
        if n <= header_row:
            continue
        reason = _skip_reason(vals, before_data=not kept)
        if reason is None:
            kept.append((n, tuple(vals)))
        else:
            skipped.append((n, reason))
            if reason == "unit row":
                units.update({h: t for h, t in zip(headers, (cell_text(v) for v in vals)) if h and t})
            elif reason.startswith("note ") and re.sub(r"\s+", "", unicodedata.normalize("NFKC", reason[5:])).startswith("单位"):
                units[""] = reason[5:]  # 单位：万人 — the unit of the whole table
    rows = tuple(kept)
    width = max([len(headers)] + [len(v) for _, v in rows])
    headers += [""] * (width - len(headers))
    listed = "; ".join(f"row {n} ({reason})" for n, reason in skipped)
    if not rows:
        extra = f" (not data: {listed})" if skipped else ""
        raise InputError(f"the {what} has a header row but no data rows{extra}", path=path, row=header_row)
    notes = (f"{path.name}: {len(skipped)} row(s) not read as data: {listed}",) if skipped else ()
    return Table(
        path=path,
        headers=tuple(headers),
        header_row=header_row,
        rows=rows,
        skipped=tuple(skipped),
        notes=notes,
        sheet=sheet,
        units=units,
    )


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


_NULL_TEXTS = frozenset({"nan", "none", "null", "<na>"})


def cell_texts(values: Any) -> list[str | None]:
    """:func:`cell_text` of every value (a fast path for plain strings)."""
    out: list[str | None] = []
    append = out.append
    for v in values:
        if type(v) is str:
            t = v.strip().strip("\u3000").strip()
            append(t if t and t.lower() not in _NULL_TEXTS else None)
        else:
            append(cell_text(v))
    return out


def parse_floats(
    values: Any,
    *,
    path: PathLikeStr | None,
    column: str | None,
    what: str,
    default: float | None = None,
    minimum: float | None = None,
    first_row: int = 1,
) -> NDArray[np.float64]:
    """:func:`parse_float` of a whole column (rows numbered from ``first_row``), vectorised when the column
    is numeric; the first bad cell raises the same :class:`InputError` as :func:`parse_float` would."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iuf":
        number = arr.astype(float)
        bad = ~np.isfinite(number)
        if default is not None:
            bad &= ~np.isnan(number)
        if minimum is not None:
            bad |= number < minimum
        if bad.any():
            i = int(np.argmax(bad))
            parse_float(arr[i].item(), path=path, row=first_row + i, column=column, what=what, default=default, minimum=minimum)
        if default is not None:
            number = np.where(np.isnan(number), default, number)
        return number
    return np.asarray([parse_float(v, path=path, row=first_row + i, column=column, what=what, default=default,
                                   minimum=minimum) for i, v in enumerate(arr.tolist() if arr.dtype.kind != "O" else arr)],
                      dtype=float)


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
                f"{what} must be a number, got '{_shorten(text, 40)}'", path=path, row=row, column=column
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


_DEGREE_MARKS = str.maketrans({
    "º": "°", "˚": "°", "゜": "°", "°": "°",
    "′": "'", "’": "'", "‘": "'", "´": "'", "`": "'", "＇": "'",
    "″": '"', "”": '"', "“": '"', "＂": '"',
})
_HEMISPHERE_HEAD = re.compile(r"^(东经|西经|北纬|南纬|[nsew])\s*")
_HEMISPHERE_TAIL = re.compile(r"\s*(东经|西经|北纬|南纬|[nsew])$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_DMS = re.compile(
    r"^(?P<sign>[+-])?\s*(?P<d>\d+(?:\.\d+)?)\s*(?:°|度|:|\s)\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:'|分|:|\s)?\s*"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:\"|秒)?)?)?$"
)
_NEGATIVE_HEMISPHERES = frozenset({"w", "s", "西经", "南纬"})
_LON_HEMISPHERES = frozenset({"e", "w", "东经", "西经"})


def parse_degrees(
    value: Any,
    *,
    path: PathLikeStr | None,
    row: int | None,
    column: str | None,
    what: str,
) -> float:
    """Parse a longitude/latitude cell in degrees: ``120.57``, ``120°33′12″``, ``120°33'12"``, ``120度33分12秒``,
    ``120°33.2′``, ``120.5°E``, ``E120.5``, ``32.1N``, ``S 33.9`` (negative), ``东经120.5``, full-width forms.

    ``what`` names the axis ("longitude"/"latitude", or 经度/纬度) so that a hemisphere letter of the other
    axis is refused. Minutes or seconds of 60 or more, empty cells and other text raise :class:`InputError`.
    The range (±180/±90) is left to the caller, which can tell swapped columns.
    """
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number of degrees, got '{value}'", path=path, row=row, column=column)
    if isinstance(value, int | float | np.integer | np.floating) and not (isinstance(value, float) and math.isnan(value)):
        number = float(value)
        if not math.isfinite(number):
            raise InputError(f"{what} must be a finite number, got '{value}'", path=path, row=row, column=column)
        return number
    text = cell_text(value)
    if text is None:
        raise InputError(f"{what} is missing", path=path, row=row, column=column)

    def bad(reason: str = "") -> InputError:
        detail = f"; {reason}" if reason else ""
        return InputError(
            f"{what} must be a number, got '{_shorten(text, 40)}' (degrees such as 120.57 or 120°33′12″{detail})",
            path=path, row=row, column=column,
        )

    s = unicodedata.normalize("NFKC", text.translate(_DEGREE_MARKS)).strip().lower().replace("''", '"')
    hemisphere = None
    for pattern in (_HEMISPHERE_HEAD, _HEMISPHERE_TAIL):
        found = pattern.search(s)
        if found:
            if hemisphere is not None:
                raise bad("two hemisphere letters")
            hemisphere = found.group(1)
            s = (s[: found.start()] + s[found.end():]).strip()
    axis = what.lower()
    if hemisphere is not None:
        is_lon_letter = hemisphere in _LON_HEMISPHERES
        if ("longitude" in axis or "经度" in axis) and not is_lon_letter:
            raise bad("a latitude hemisphere N/S in a longitude")
        if ("latitude" in axis or "纬度" in axis) and is_lon_letter:
            raise bad("a longitude hemisphere E/W in a latitude")
    if _PLAIN_NUMBER.match(s):
        number = float(s)
    else:
        match = _DMS.match(s)
        if match is None:
            raise bad()
        d, m, sec = match.group("d"), match.group("m"), match.group("s")
        if m is not None and "." in d:
            raise bad("decimal degrees cannot have minutes")
        if sec is not None and "." in m:
            raise bad("decimal minutes cannot have seconds")
        minutes = float(m) if m is not None else 0.0
        seconds = float(sec) if sec is not None else 0.0
        if minutes >= 60 or seconds >= 60:
            raise InputError(
                f"{what} '{_shorten(text, 40)}': minutes and seconds must be below 60", path=path, row=row, column=column
            )
        number = float(d) + minutes / 60.0 + seconds / 3600.0
        if match.group("sign") == "-":
            number = -number
    if hemisphere in _NEGATIVE_HEMISPHERES:
        if number < 0:
            raise bad("both a minus sign and a W/S hemisphere")
        number = -number
    if not math.isfinite(number):
        raise bad()
    return number


# --------------------------------------------------------------------------------------------- coordinates

_SHIFT_NAMES = {"gcj02": "GCJ-02", "bd09": "BD-09"}
_AREA_MARGIN_DEG = 10.0


def table_points_wgs84(
    table: Table, *, crs: str | pyproj.CRS, what: str, columns: Mapping[str, str] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitude/latitude (EPSG:4326) of every table row from lon/lat (经度/纬度) or x/y columns.

    ``crs`` describes the coordinates in the table (see :func:`layers.crs.parse_crs`): a geographic CRS,
    ``gcj02`` / ``bd09`` (Amap/Tencent, Baidu: converted to WGS 84 and refused outside China) or a projected
    CRS (x/y). Degree cells may be written as DMS (:func:`parse_degrees`). WGS 84, CGCS2000 and projected
    coordinates may lie anywhere in the world; refused are (0, 0), degrees beyond ±180/±90, swapped
    columns (a row outside China that swapped lies inside it, when the others lie in China or all of them
    swapped would) and x/y that convert to nothing or far outside the area of their CRS. ``columns`` maps
    ``lon``, ``lat``, ``x``, ``y`` to headers the user chose.
    """
    source = parse_crs(crs, path=table.path)
    shift = source if isinstance(source, str) else None
    geographic = shift is not None or (isinstance(source, pyproj.CRS) and source.is_geographic)
    headers = table.headers
    chosen = dict(columns or {})
    lon_h = find_column(headers, LON_ALIASES, path=table.path, what="longitude", required=False, chosen=chosen.get("lon"))
    lat_h = find_column(headers, LAT_ALIASES, path=table.path, what="latitude", required=False, chosen=chosen.get("lat"))
    x_h = find_column(headers, X_ALIASES, path=table.path, what="x", required=False, chosen=chosen.get("x"))
    y_h = find_column(headers, Y_ALIASES, path=table.path, what="y", required=False, chosen=chosen.get("y"))
    geo_pair = (lon_h, lat_h) if lon_h and lat_h else None
    xy_pair = (x_h, y_h) if x_h and y_h else None
    pair = (geo_pair or xy_pair) if geographic else (xy_pair or geo_pair)
    if pair is None:
        if geographic:
            hint = "longitude/latitude columns (lon/lat or 经度/纬度)"
        else:
            hint = f"x/y columns for {describe_crs(source)}"
        raise InputError(f"no coordinate columns; expected {hint}", path=table.path)
    a_h, b_h = pair
    rows = [r for r, _ in table.rows]
    if geographic:
        a = np.array([parse_degrees(v, path=table.path, row=r, column=a_h, what="longitude")
                      for r, v in table.column(a_h)], dtype=float)
        b = np.array([parse_degrees(v, path=table.path, row=r, column=b_h, what="latitude")
                      for r, v in table.column(b_h)], dtype=float)
    else:
        a = np.array([parse_float(v, path=table.path, row=r, column=a_h, what="x") for r, v in table.column(a_h)],
                     dtype=float)
        b = np.array([parse_float(v, path=table.path, row=r, column=b_h, what="y") for r, v in table.column(b_h)],
                     dtype=float)
    zero = (a == 0.0) & (b == 0.0)
    if zero.any():
        i = int(np.argmax(zero))
        raise InputError(
            "coordinates (0, 0) usually mean the location is missing; fill in the real location",
            path=table.path, row=rows[i], column=a_h,
        )
    if geographic:
        _check_degrees(a, b, rows=rows, path=table.path, a_h=a_h, b_h=b_h, shift=shift)
        if shift == "gcj02":
            lon, lat = gcj02_to_wgs84(a, b)
        elif shift == "bd09":
            lon, lat = bd09_to_wgs84(a, b)
        else:
            assert isinstance(source, pyproj.CRS)
            if source.equals(WGS84):
                lon, lat = a, b
            else:
                lon, lat = _transform(source, a, b)
                _check_converted(source, a, b, lon, lat, rows=rows, path=table.path, a_h=a_h, b_h=b_h)
    else:
        assert isinstance(source, pyproj.CRS)
        lon, lat = _transform(source, a, b)
        _check_converted(source, a, b, lon, lat, rows=rows, path=table.path, a_h=a_h, b_h=b_h)
    _check_strays(lon, lat, a, b, rows=rows, path=table.path, column=a_h)
    return lon, lat


#: a table row this far from the median of the others is a mistyped or missing coordinate (a county's or a
#: prefecture city's list spans well under this)
STRAY_KM = 500.0


def _check_strays(lon: NDArray[np.float64], lat: NDArray[np.float64], a: NDArray[np.float64], b: NDArray[np.float64], *,
                  rows: Sequence[int], path: PathLikeStr | None, column: str) -> None:
    """Refuse a row lying :data:`STRAY_KM` or more from where most rows lie (a longitude of 0 in a Rugao list,
    a dropped digit): it would be reported far outside the county instead of where it is."""
    if lon.size < 3:
        return
    c_lon, c_lat = float(np.median(lon)), float(np.median(lat))
    dx = (lon - c_lon) * 111.32 * math.cos(math.radians(c_lat))
    dy = (lat - c_lat) * 110.57
    far = np.hypot(dx, dy) >= STRAY_KM
    if far.any() and far.mean() <= 0.2:
        i = int(np.argmax(far))
        raise InputError(
            f"the point ({a[i]:.6g}, {b[i]:.6g}) lies {float(np.hypot(dx[i], dy[i])):,.0f} km from where the other rows lie "
            f"(around {c_lon:.2f}, {c_lat:.2f}): a missing or mistyped coordinate?", path=path, row=rows[i], column=column)


def _transform(source: pyproj.CRS, a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[Any, Any]:
    transformer = cached_transformer(source, WGS84)
    lon, lat = transformer.transform(a, b, errcheck=False)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _swapped_rows(in_china: NDArray[np.bool_], swapped_in_china: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Rows outside China that swapped lie inside it — when the other rows lie in China or all rows swapped do."""
    candidates = ~in_china & swapped_in_china
    if candidates.any() and (in_china.any() or swapped_in_china.all()):
        return candidates
    return np.zeros_like(candidates)


def _check_degrees(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    rows: Sequence[int],
    path: PathLikeStr | None,
    a_h: str,
    b_h: str,
    shift: str | None,
) -> None:
    in_range = (np.abs(a) <= 180.0) & (np.abs(b) <= 90.0)
    in_china = inside_china(a, b)
    swapped = _swapped_rows(in_china, inside_china(b, a))
    bad = ~in_range | swapped
    if shift is not None:
        bad |= ~in_china
    if not bad.any():
        return
    i = int(np.argmax(bad))
    point = f"({a[i]:g}, {b[i]:g})"
    if swapped[i]:
        if not CHINA_LON_DEG[0] <= a[i] <= CHINA_LON_DEG[1]:
            raise InputError(
                f"longitude {a[i]:g} is outside China ({CHINA_LON_DEG[0]:g}–{CHINA_LON_DEG[1]:g}°E); "
                f"{a_h} and {b_h} look swapped",
                path=path, row=rows[i], column=a_h,
            )
        raise InputError(
            f"latitude {b[i]:g} is outside China ({CHINA_LAT_DEG[0]:g}–{CHINA_LAT_DEG[1]:g}°N); "
            f"{a_h} and {b_h} look swapped",
            path=path, row=rows[i], column=b_h,
        )
    if not in_range[i]:
        if abs(a[i]) <= 90.0 and abs(b[i]) <= 180.0:
            raise InputError(
                f"latitude {b[i]:g} is beyond ±90°; {a_h} and {b_h} look swapped", path=path, row=rows[i], column=b_h
            )
        guess = likely_crs(float(a[i]), float(b[i]))
        hint = f"; {point} look like {guess}" if guess else "; choose the coordinate system the table really uses"
        if abs(a[i]) > 180.0:
            raise InputError(f"longitude {a[i]:g} is outside China and beyond ±180°, so not degrees{hint}",
                             path=path, row=rows[i], column=a_h)
        raise InputError(f"latitude {b[i]:g} is outside China and beyond ±90°, so not degrees{hint}",
                         path=path, row=rows[i], column=b_h)
    name = _SHIFT_NAMES[str(shift)]
    raise InputError(
        f"{name} is defined only inside China; the point {point} lies outside; these look like plain WGS 84 — "
        "choose EPSG:4326",
        path=path, row=rows[i], column=a_h,
    )


def _far_outside_area(crs: pyproj.CRS, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    area = crs.area_of_use
    far = np.zeros(lon.shape, dtype=bool)
    if area is None or area.west > area.east:  # unknown, or crossing the antimeridian: not judged
        return far
    m = _AREA_MARGIN_DEG
    with np.errstate(invalid="ignore"):
        return (lon < area.west - m) | (lon > area.east + m) | (lat < area.south - m) | (lat > area.north + m)


def _check_converted(
    source: pyproj.CRS,
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    *,
    rows: Sequence[int],
    path: PathLikeStr | None,
    a_h: str,
    b_h: str,
) -> None:
    finite = np.isfinite(lon) & np.isfinite(lat)
    in_china = inside_china(lon, lat)
    swapped_lon, swapped_lat = _transform(source, b, a)
    swapped = _swapped_rows(in_china, inside_china(swapped_lon, swapped_lat))
    # geographic coordinates may lie anywhere; projected ones far outside the area of their system are nonsense
    far = _far_outside_area(source, lon, lat) if source.is_projected else np.zeros(lon.shape, dtype=bool)
    bad = ~finite | swapped | far
    if not bad.any():
        return
    i = int(np.argmax(bad))
    label = describe_crs(source)
    point = f"({a[i]:,.6g}, {b[i]:,.6g})" if source.is_geographic else f"({a[i]:,.2f}, {b[i]:,.2f})"
    if swapped[i]:
        surveying = "" if source.is_geographic else " (in Chinese surveying X is the northing)"
        raise InputError(
            f"point {point} in {label} lies outside China but inside it with {a_h} and {b_h} swapped; "
            f"they look swapped{surveying}",
            path=path, row=rows[i], column=a_h,
        )
    where = "no place on Earth" if not finite[i] else f"{lon[i]:.2f}°, {lat[i]:.2f}°, far outside the area of that system"
    guess = likely_crs(float(a[i]), float(b[i]))
    if guess is None and source.is_projected and abs(a[i]) <= 180.0 and abs(b[i]) <= 90.0:
        guess = "longitude/latitude degrees (WGS 84 or CGCS2000, EPSG:4326 / EPSG:4490)"
    hint = f"; the coordinates look like {guess}" if guess else "; choose the coordinate system the table really uses"
    raise InputError(f"point {point} cannot be in {label}: it converts to {where}{hint}",
                     path=path, row=rows[i], column=a_h)


# --------------------------------------------------------------------------------------------- vectors

# Formats whose text is UTF-8 by definition: a chosen encoding does not apply.
_UTF8_FORMATS = frozenset({".gpkg", ".geojson", ".json", ".fgb", ".kml", ".gml", ".sqlite", ".gdb"})


def read_vector(
    path: PathLikeStr,
    *,
    layer: str | None,
    what: str,
    geometry_types: frozenset[str],
    crs: str | pyproj.CRS | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one layer of a vector file (Shapefile, GeoPackage, GeoJSON, ...) with its CRS required.

    With several layers and no ``layer``, the single layer whose geometry type is in ``geometry_types``
    is used. GBK-encoded Shapefiles without a .cpg file are decoded as GB18030; ``encoding`` (one of
    :data:`TEXT_ENCODINGS`) forces the attribute encoding of a Shapefile/MapInfo file (a wrong choice raises).

    ``crs`` is the user's statement of the layer's coordinate system: a CRS replaces the file's own (and the
    coordinates are checked against it); ``"gcj02"``/``"bd09"`` means lon/lat in that shift, converted to
    WGS 84 (EPSG:4326) and refused outside China. Without ``crs`` a file without one (a Shapefile without
    .prj) gets the CRS its coordinates unambiguously show (:func:`layers.crs.infer_crs`), else is refused.
    What was assumed is listed in ``gdf.attrs[NOTES_ATTR]`` (a list of lines; empty when nothing was).
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
    source = parse_crs(crs, path=p) if crs is not None else None
    notes: list[str] = []
    chosen = normalize_encoding(encoding, path=p) if encoding is not None else None
    if chosen is not None and p.suffix.lower() not in _UTF8_FORMATS:
        gdf = _read_dataframe(p, layer=layer, encoding=chosen)
        _check_chosen_encoding(p, gdf, chosen)
        notes.append(f"{p.name}: attribute text read as {_label(chosen)}, as chosen")
    else:
        gdf = _read_dataframe(p, layer=layer)
        if chosen is not None and chosen != "utf-8":
            notes.append(f"{p.name}: the format stores text as UTF-8; the chosen encoding {_label(chosen)} was not used")
        if looks_mojibake(p, gdf, layer=layer):
            try:
                gdf = _read_dataframe(p, layer=layer, encoding="gb18030")
                notes.append(f"{p.name}: no .cpg; attribute text read as GB18030 (GBK)")
            except InputError:
                pass
    if len(gdf) == 0:
        raise InputError(f"the {what} layer has no features", path=p)
    if isinstance(source, str):
        gdf = _unshift(gdf, source, path=p, what=what)
        notes.append(f"{p.name}: {describe_crs(source)} coordinates converted to WGS 84 (EPSG:4326)")
    elif source is not None:
        own = gdf.crs
        if own is None:
            notes.append(f"{p.name}: the file states no coordinate system; read as {describe_crs(source)}, as given")
        elif not pyproj.CRS.from_user_input(own).equals(source):
            notes.append(
                f"{p.name}: the file says {describe_crs(pyproj.CRS.from_user_input(own))}; "
                f"read as {describe_crs(source)}, as given"
            )
        gdf = gdf.set_crs(source, allow_override=True)
    elif gdf.crs is None:
        gdf, note = _infer_layer_crs(gdf, path=p, what=what)
        notes.append(note)
    require_crs(gdf, what=f"the {what} file", path=p)
    check_coordinates(gdf, what=f"{what} file", path=p)
    gdf.attrs[NOTES_ATTR] = notes
    return gdf


def _infer_layer_crs(gdf: gpd.GeoDataFrame, *, path: Path, what: str) -> tuple[gpd.GeoDataFrame, str]:
    missing = "no .prj" if path.suffix.lower() == ".shp" else "no coordinate system in the file"
    geoms = gdf.geometry
    usable = ~(geoms.isna() | geoms.is_empty)
    crs, label = infer_crs(*(float(v) for v in geoms[usable].total_bounds)) if usable.any() else (None, "")
    if crs is None:
        hint = f"; they look like {label}" if label else ""
        key = _cli_key(what) or "LAYER"
        raise InputError(
            f"the {what} file has no coordinate reference system ({missing}) and its coordinates do not tell "
            f"which one{hint}; give it with --crs {key}=EPSG:…",
            path=path,
        )
    return gdf.set_crs(crs), f"{path.name}: {missing}; read as {label} from its coordinates"


def _unshift(gdf: gpd.GeoDataFrame, shift: str, *, path: Path, what: str) -> gpd.GeoDataFrame:
    """Convert a layer whose lon/lat are GCJ-02 / BD-09 to WGS 84 (refused outside China)."""
    name = _SHIFT_NAMES[shift]
    if gdf.crs is not None:
        own = pyproj.CRS.from_user_input(gdf.crs)
        if not own.is_geographic:
            raise InputError(
                f"{name} coordinates are longitude/latitude but the {what} file is in {describe_crs(own)} (metres); "
                "choose that coordinate system instead",
                path=path,
            )
    geoms = gdf.geometry.to_numpy()
    bounds = shapely.bounds(geoms)
    usable = ~np.isnan(bounds).any(axis=1)
    inside = inside_china(bounds[:, 0], bounds[:, 1]) & inside_china(bounds[:, 2], bounds[:, 3])
    outside = usable & ~inside
    if outside.any():
        i = int(np.argmax(outside))
        x, y = float(bounds[i, 0]), float(bounds[i, 1])
        if inside_china(np.array([y]), np.array([x]))[0]:
            hint = "x and y look swapped"
        else:
            hint = "these look like plain WGS 84 — choose EPSG:4326"
        raise InputError(
            f"{name} is defined only inside China; feature {i + 1} ({x:g}, {y:g}) lies outside; {hint}",
            path=path,
            row=i + 1,
        )
    convert = gcj02_to_wgs84 if shift == "gcj02" else bd09_to_wgs84

    def to_wgs84(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.array(coords, dtype=float, copy=True)
        out[:, 0], out[:, 1] = convert(coords[:, 0], coords[:, 1])
        return out

    converted = shapely.transform(geoms, to_wgs84, include_z=None)
    geometry_name = gdf.geometry.name
    out = gpd.GeoDataFrame(
        gdf.drop(columns=geometry_name),
        geometry=gpd.GeoSeries(converted, index=gdf.index, name=geometry_name, crs=WGS84),
        crs=WGS84,
    )
    return out[list(gdf.columns)]


def _read_dataframe(path: Path, *, layer: str | None, encoding: str | None = None) -> gpd.GeoDataFrame:
    kwargs: dict[str, Any] = {"layer": layer}
    if encoding is not None:
        kwargs["encoding"] = encoding
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = pyogrio.read_dataframe(path, **kwargs)
    except shapely.errors.GEOSException as exc:
        raise InputError(
            f"a geometry in the file is broken ({_first_line(exc)}); repair it in the GIS program that made it",
            path=path,
        ) from exc
    except UnboundLocalError as exc:  # pyogrio (get_crs) on a .prj that is not UTF-8 text
        raise InputError(
            "cannot read the file's coordinate system (.prj): it is not plain text; save the layer again with its CRS",
            path=path,
        ) from exc
    except UnicodeDecodeError as exc:
        if encoding is None:
            raise InputError(f"cannot read the vector file: {_first_line(exc)}", path=path) from exc
        raise InputError(
            f"the attribute text is not {_label(encoding)}{_dbf_hint(path, exclude=encoding)}", path=path
        ) from None
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.FeatureError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.CRSError,
        OSError,
        ValueError,
    ) as exc:
        raise InputError(f"cannot read the vector file: {_first_line(exc)}", path=path) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError("the layer has no geometry column (a plain table?)", path=path)
    return gdf


def _dbf_records(path: Path) -> bytes | None:
    """The bytes of a Shapefile's .dbf text (character) fields, one line per value, or None when there is no
    readable .dbf. Numbers, dates and the header are left out: they are not text in any encoding."""
    if path.suffix.lower() != ".shp":
        return None
    dbf = next((path.with_suffix(s) for s in (".dbf", ".DBF") if path.with_suffix(s).exists()), None)
    if dbf is None:
        return None
    try:
        data = dbf.read_bytes()
    except OSError:
        return None
    if len(data) < 33:
        return None
    count = int.from_bytes(data[4:8], "little")
    header = int.from_bytes(data[8:10], "little")
    size = int.from_bytes(data[10:12], "little")
    fields: list[tuple[int, int]] = []  # (offset in record, length) of character fields
    offset = 1  # the deletion flag
    for start in range(32, min(header, len(data)) - 31, 32):
        if data[start] == 0x0D:
            break
        kind = chr(data[start + 11])
        length = data[start + 16]
        if kind == "C":
            length += data[start + 17] << 8  # long character fields keep the high byte in "decimals"
            fields.append((offset, length))
        offset += length
    if not fields or size <= 0:
        return b""
    parts = []
    for r in range(count):
        record = data[header + r * size : header + (r + 1) * size]
        if len(record) < size:
            break
        parts.extend(record[o : o + n].rstrip(b" \x00") for o, n in fields)
    return b"\n".join(parts)


def _dbf_hint(path: Path, *, exclude: str) -> str:
    records = _dbf_records(path)
    if records is None:
        return "; choose another encoding"
    return _encoding_hint(records, exclude=exclude)


def _check_chosen_encoding(path: Path, gdf: gpd.GeoDataFrame, encoding: str) -> None:
    """Refuse a chosen attribute encoding that cannot be right (UTF-8 text read as GBK, undecodable bytes)."""
    records = _dbf_records(path)
    if records is not None:
        if encoding != "utf-8" and _is_utf8_text(records):
            raise InputError(f"the attribute text is UTF-8, not {_label(encoding)}; choose utf-8", path=path)
        try:
            records.decode(encoding)
        except UnicodeDecodeError:
            raise InputError(
                f"the attribute text is not {_label(encoding)}{_encoding_hint(records, exclude=encoding)}", path=path
            ) from None
    texts = [
        (i, str(column), value)
        for column in gdf.columns
        if column != gdf.geometry.name and _is_text_column(gdf[column])
        for i, value in enumerate(gdf[column].to_numpy())
        if isinstance(value, str)
    ]
    if _looks_undecoded(v for _, _, v in texts):
        i, column, value = next((i, c, v) for i, c, v in texts if _BAD_CHARS.search(v))
        raise InputError(
            f"the attribute text does not read as {_label(encoding)} ('{_shorten(value)}')"
            f"{_dbf_hint(path, exclude=encoding)}",
            path=path,
            row=i + 1,
            column=column,
        )


def _is_text_column(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series.dtype) or pd.api.types.is_object_dtype(series.dtype))


def looks_mojibake(path: Path, gdf: gpd.GeoDataFrame, *, layer: str | None) -> bool:
    """True for a Shapefile without .cpg whose text reads as GBK bytes taken for Latin-1 (``Èç³Ç½ÖµÀ``)."""
    if path.suffix.lower() != ".shp" or path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
        return False
    texts = [str(c) for c in gdf.columns]
    for column in gdf.columns:
        if column != gdf.geometry.name and _is_text_column(gdf[column]):
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
    "NOTES_ATTR",
    "SHIFTED",
    "TABLE_SUFFIXES",
    "TEXT_ENCODINGS",
    "TOWNSHIP_CODE_EXTRA",
    "TOWNSHIP_NAME_EXTRA",
    "VECTOR_SUFFIXES",
    "X_ALIASES",
    "Y_ALIASES",
    "Table",
    "WrongSheetError",
    "cell_text",
    "check_geometry_types",
    "find_column",
    "is_table_path",
    "normalize_encoding",
    "normalize_header",
    "parse_count",
    "parse_crs",
    "parse_degrees",
    "parse_float",
    "read_table",
    "read_vector",
    "table_points_wgs84",
]
