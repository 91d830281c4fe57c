"""Malformed input never crashes a reader: random and mutated CSV, XLSX, GeoJSON and Shapefile inputs give a
valid layer or one clean :class:`InputError` line, never another exception (hypothesis).

The examples are derandomized, so CI runs the same inputs every time. ``CARECIRCLE_FUZZ=long`` runs 10x as
many, freshly random each run, for hunting bugs locally.

A bug found in a file this test does not own is kept out of the property by :func:`_known_bugs` and pinned by
a strict ``test_known_bug_*`` xfail test until it is fixed (none is open now).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, assume, event, example, given, note, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from shapely.geometry import LineString, Point, Polygon

from layers.classes import STATUS_IDS, registry
from layers.communities import KINDS, read_communities
from layers.errors import InputError
from layers.facilities import read_facilities
from layers.population import read_population_points
from layers.roads import read_roads
from layers.tables import parse_float, read_table
from layers.townships import apply_elderly_table, read_townships
from projects.inputs import read_population

# --------------------------------------------------------------------------------------------- settings

_LONG = os.environ.get("CARECIRCLE_FUZZ", "").lower() == "long"


def _fuzz(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples * (10 if _LONG else 1),
        deadline=None,
        derandomize=not _LONG,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------------------------- the property


def _check_error(exc: InputError) -> None:
    text = str(exc)
    assert text.strip(), f"empty InputError message: {exc!r}"
    assert "\n" not in text and "\r" not in text, f"InputError message is not one line: {text!r}"


def _check_geometry(gdf: Any, *, types: set[str]) -> None:
    assert isinstance(gdf, gpd.GeoDataFrame), type(gdf)
    assert gdf.crs is not None, "layer without a CRS"
    assert len(gdf) >= 1, "an empty layer returned instead of an InputError"
    geoms = gdf.geometry.to_numpy()
    assert not pd.isna(geoms).any(), "missing geometry"
    assert not shapely.is_empty(geoms).any(), "empty geometry"
    assert set(shapely.get_type_id(geoms).tolist()) <= {_TYPE_IDS[t] for t in types}, set(gdf.geom_type)
    coords = shapely.get_coordinates(geoms)
    assert coords.size and np.isfinite(coords).all(), "NaN or infinite coordinates"


_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


def _elderly_ok(values: Any, *, nan_allowed: bool) -> None:
    v = np.asarray(values, dtype=float)
    assert not np.isinf(v).any(), "infinite elderly count"
    assert (v[~np.isnan(v)] >= 0).all(), "negative elderly count"
    if not nan_allowed:
        assert not np.isnan(v).any(), "missing elderly count"


def _names_ok(values: Any) -> None:
    assert all(isinstance(v, str) and v.strip() for v in values), "empty or non-text name"


def check_facilities(gdf: Any) -> None:
    _check_geometry(gdf, types={"Point"})
    assert {"fid", "name", "type", "beds", "nursing_beds", "status"} <= set(gdf.columns)
    assert gdf.crs.to_epsg() == 4326
    _names_ok(gdf["name"])
    assert gdf["fid"].is_unique
    assert set(gdf["type"]) <= set(registry().ids)
    assert set(gdf["status"]) <= set(STATUS_IDS)
    assert gdf["beds"].dtype.kind in "iu" and gdf["nursing_beds"].dtype.kind in "iu", gdf.dtypes
    assert (gdf["nursing_beds"] >= 0).all() and (gdf["beds"] >= gdf["nursing_beds"]).all()
    lon, lat = gdf.geometry.x, gdf.geometry.y  # tables may lie anywhere (layers.tables.table_points_wgs84)
    assert ((lon.abs() <= 180) & (lat.abs() <= 90)).all(), "facility beyond ±180°/±90°"
    assert not ((lon == 0) & (lat == 0)).any(), "facility at (0, 0): a missing location"


def check_communities(gdf: Any) -> None:
    _check_geometry(gdf, types={"Point"})
    assert {"name", "kind", "elderly"} <= set(gdf.columns)
    _names_ok(gdf["name"])
    assert set(gdf["kind"]) <= set(KINDS)
    _elderly_ok(gdf["elderly"], nan_allowed=True)


def check_population_points(gdf: Any) -> None:
    _check_geometry(gdf, types={"Point"})
    assert {"name", "elderly"} <= set(gdf.columns)
    _elderly_ok(gdf["elderly"], nan_allowed=False)


def check_roads(gdf: Any) -> None:
    _check_geometry(gdf, types={"LineString"})
    assert {"highway", "name"} <= set(gdf.columns)
    assert (shapely.length(gdf.geometry.to_numpy()) > 0).all()


def check_townships(gdf: Any) -> None:
    _check_geometry(gdf, types={"Polygon", "MultiPolygon"})
    assert {"name", "code", "elderly"} <= set(gdf.columns)
    _names_ok(gdf["name"])
    assert gdf["name"].is_unique
    assert gdf.geometry.is_valid.all(), "invalid township polygon kept"
    _elderly_ok(gdf["elderly"], nan_allowed=True)


def check_filled_townships(gdf: Any) -> None:
    check_townships(gdf)
    assert gdf["name"].tolist() == TOWNSHIPS["name"].tolist()
    assert TOWNSHIPS["elderly"].isna().all(), "apply_elderly_table changed its input"


def check_read_population(result: Any) -> None:
    towns, points = result
    check_filled_townships(towns)
    if points is not None:
        check_population_points(points)


Reader = tuple[str, Callable[[Path], Any], Callable[[Any], None]]

TABLE_READERS: list[Reader] = [
    ("read_facilities", lambda p: read_facilities(p), check_facilities),
    ("read_communities", lambda p: read_communities(p), check_communities),
    ("read_population_points", lambda p: read_population_points(p), check_population_points),
    ("apply_elderly_table", lambda p: apply_elderly_table(TOWNSHIPS, p), check_filled_townships),
    ("read_population", lambda p: read_population(p, townships=TOWNSHIPS), check_read_population),
    # the user's import choices: a shifted or projected coordinate system, a forced text encoding
    ("read_facilities(gcj02)", lambda p: read_facilities(p, crs="gcj02"), check_facilities),
    ("read_facilities(EPSG:4549)", lambda p: read_facilities(p, crs="EPSG:4549"), check_facilities),
    ("read_communities(bd09,gbk)", lambda p: read_communities(p, crs="bd09", encoding="gbk"), check_communities),
    ("read_population_points(utf-16)", lambda p: read_population_points(p, encoding="utf-16"), check_population_points),
]
VECTOR_READERS: list[Reader] = [
    ("read_townships", lambda p: read_townships(p), check_townships),
    ("read_communities", lambda p: read_communities(p), check_communities),
    ("read_population_points", lambda p: read_population_points(p), check_population_points),
    ("read_roads", lambda p: read_roads(p), check_roads),
    ("read_population", lambda p: read_population(p, townships=TOWNSHIPS), check_read_population),
    ("read_roads(gcj02)", lambda p: read_roads(p, crs="gcj02"), check_roads),
    ("read_townships(EPSG:4549)", lambda p: read_townships(p, crs="EPSG:4549"), check_townships),
    ("read_communities(gbk)", lambda p: read_communities(p, encoding="gbk"), check_communities),
]


def assert_clean(path: Path, readers: list[Reader]) -> list[str]:
    """Run every reader on ``path``: a valid result or one clean InputError line; anything else fails.

    A reader this input would crash through a known bug (:func:`_known_bugs`) is skipped for it."""
    bugs = _known_bugs(path)
    outcomes = []
    for name, read, check in readers:
        bug = bugs.get("*") or bugs.get(name.split("(")[0])
        if bug:
            event(f"{name} skipped, known bug: {bug}")
            continue
        note(f"{name}({path.name})")
        try:
            result = read(path)
        except InputError as exc:
            _check_error(exc)
            outcomes.append(f"{name}: {exc}")
            continue
        check(result)
        outcomes.append(f"{name}: ok")
        event(f"{name}: valid layer")  # --hypothesis-show-statistics: how often each reader gets past the errors
    return outcomes


# --------------------------------------------------------------------------------------------- fixtures

_RUGAO = (120.57, 32.37)


def _square(lon: float, lat: float, size: float = 0.05) -> Polygon:
    return Polygon([(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)])


TOWNSHIPS = gpd.GeoDataFrame(
    {
        "name": ["如城街道", "白蒲镇", "丁堰镇"],
        "code": ["320682001", "320682102", "320682103"],
        "elderly": [math.nan, math.nan, math.nan],
    },
    geometry=[_square(120.50, 32.30), _square(120.55, 32.30), _square(120.60, 32.30)],
    crs="EPSG:4326",
)

# --------------------------------------------------------------------------------------------- tables

FACILITY_TYPES = ["日间照料中心", "养老机构", "助餐点", "居家养老服务站", "农村幸福院", "敬老院", "长者食堂"]
STATUSES = ["现状", "规划", "拟关闭", "已建", ""]
#: cells users really type, and the ones that break parsers
NASTY_CELLS = [
    "", " ", "nan", "NaN", "None", "null", "inf", "-inf", "-1", "-0", "0", "1e400", "-1e400", "1e308", "1.5",
    "１２", "１２０．５７", "120°33′12″", "120°", "32,37", "1,200", "12 张", "１,２００", "--", "？", "\u3000", "0x10",
    "x" * 5000, "\x00", '"', '""', "'", "=1/0", "#N/A", "#DIV/0!", "TRUE", "社区", "村", "日间照料中心", "\ufeff名称",
    "名称", "经度", "纬度", "类型", "编号",
]
NASTY_HEADERS = [
    "名称", "类型", "经度", "纬度", "床位数", "护理型床位数", "状态", "编号", "lon", "lat", "x", "y", "X坐标", "经度(°)",
    "经度（GCJ02）", "name", "Name", " 名 称 ", "老年人口", "60岁以上人口", "区划代码", "乡镇", "", "Unnamed: 3", "床位数(张)",
]

#: cell text may hold line breaks (Alt+Enter in a spreadsheet): every message stays one line (InputError.__str__)
_CELL_CHARS = st.characters(codec="utf-8")
CELL_TEXT = st.text(_CELL_CHARS, max_size=12)


def _facility_row(draw: Any, i: int) -> list[str]:
    beds = draw(st.integers(0, 300))
    return [
        draw(st.sampled_from(["城北", "如城", "白蒲", "丁堰", "林梓"])) + f"{i}号" + draw(st.sampled_from(FACILITY_TYPES)),
        draw(st.sampled_from(FACILITY_TYPES)),
        f"{_RUGAO[0] + draw(st.floats(-0.08, 0.08)):.6f}",
        f"{_RUGAO[1] + draw(st.floats(-0.08, 0.08)):.6f}",
        str(beds),
        str(draw(st.integers(0, beds))),
        draw(st.sampled_from(STATUSES)),
    ]


def _community_row(draw: Any, i: int) -> list[str]:
    kind = draw(st.sampled_from(["社区", "村", ""]))
    return [
        draw(st.sampled_from(["平园池", "环池", "龙游", "大明"])) + f"{i}" + (kind or draw(st.sampled_from(["社区", "村"]))),
        kind,
        f"{_RUGAO[0] + draw(st.floats(-0.08, 0.08)):.6f}",
        f"{_RUGAO[1] + draw(st.floats(-0.08, 0.08)):.6f}",
        str(draw(st.integers(0, 5000))),
    ]


def _township_row(draw: Any, i: int) -> list[str]:
    j = i % len(TOWNSHIPS)
    return [TOWNSHIPS["name"][j], TOWNSHIPS["code"][j], str(draw(st.integers(0, 90000)))]


SCHEMAS: dict[str, tuple[list[str], Callable[[Any, int], list[str]]]] = {
    "facilities": (["名称", "类型", "经度", "纬度", "床位数", "护理型床位数", "状态"], _facility_row),
    "communities": (["名称", "类型", "经度", "纬度", "老年人口"], _community_row),
    "population": (["名称", "类型", "经度", "纬度", "老年人口"], _community_row),
    "elderly": (["乡镇", "区划代码", "老年人口"], _township_row),
}


@st.composite
def valid_tables(draw: Any) -> tuple[str, list[list[str]]]:
    """A realistic valid table of one of the schemas (header row first)."""
    schema = draw(st.sampled_from(sorted(SCHEMAS)))
    headers, make_row = SCHEMAS[schema]
    n = draw(st.integers(1, 3 if schema == "elderly" else 6))
    return schema, [list(headers)] + [make_row(draw, i) for i in range(n)]


def _mutate_table(draw: Any, rows: list[list[str]]) -> list[list[str]]:
    """Mutations a spreadsheet meets in the wild: odd cells, moved/missing/extra columns, cut rows."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3, 4]))):
        rows = rows or [[]]
        width = max([1] + [len(r) for r in rows])
        op = draw(
            st.sampled_from(
                ["cell", "cell", "cell", "header", "drop_col", "extra_col", "dup_header", "swap_cols",
                 "swap_headers", "truncate_row", "long_row", "drop_header", "title_rows", "blank_rows", "drop_rows"]
            )
        )
        note(f"table mutation {op}")
        if op == "cell":
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, width))
            value = draw(st.one_of(st.sampled_from(NASTY_CELLS), CELL_TEXT))
            rows[r] += [""] * (c + 1 - len(rows[r]))
            rows[r][c] = value
        elif op == "header":
            rows[0] += [""] * (1 - len(rows[0]))
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(st.one_of(st.sampled_from(NASTY_HEADERS), CELL_TEXT))
        elif op == "drop_col":
            c = draw(st.integers(0, width - 1))
            rows = [r[:c] + r[c + 1 :] for r in rows]
        elif op == "extra_col":
            c = draw(st.integers(0, width))
            rows = [r[:c] + [draw(st.sampled_from(NASTY_HEADERS + NASTY_CELLS))] + r[c:] for r in rows]
        elif op == "dup_header":
            rows[0].append(draw(st.sampled_from(rows[0] or [""])))
        elif op in ("swap_cols", "swap_headers"):
            a, b = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
            for r in rows[:1] if op == "swap_headers" else rows:
                r += [""] * (width - len(r))
                r[a], r[b] = r[b], r[a]
        elif op == "truncate_row":
            r = draw(st.integers(0, len(rows) - 1))
            rows[r] = rows[r][: draw(st.integers(0, len(rows[r])))]
        elif op == "long_row":
            r = draw(st.integers(0, len(rows) - 1))
            rows[r] += draw(st.lists(st.sampled_from(NASTY_CELLS), min_size=1, max_size=4))
        elif op == "drop_header":
            rows = rows[1:] or [[]]
        elif op == "title_rows":
            rows = [[draw(st.sampled_from(["如皋市养老设施名录", "", "单位：张"]))] for _ in range(draw(st.integers(1, 25)))] + rows
        elif op == "blank_rows":
            rows.insert(draw(st.integers(0, len(rows))), [""] * draw(st.integers(0, width)))
        elif op == "drop_rows":
            rows = rows[: draw(st.integers(0, len(rows)))] or [[]]
    return rows


def _csv_text(draw: Any, rows: list[list[str]]) -> str:
    delimiter = draw(st.sampled_from([",", ",", "\t", ";", "，", "|"]))
    terminator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quoting = draw(st.sampled_from(["minimal", "all", "naive"]))
    if quoting == "naive":  # written by hand or by a script: no quoting at all, delimiters inside cells split them
        return "".join(delimiter.join(row) + terminator for row in rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator,
                        quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return out.getvalue()


def _encode(draw: Any, text: str) -> bytes:
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "big5", "latin-1"]))
    note(f"encoding {encoding}")
    return text.encode(encoding, errors="replace")


@st.composite
def csv_files(draw: Any) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["bytes", "text", "structured", "structured", "structured"]))
    note(f"csv {kind}")
    if kind == "bytes":
        data = draw(st.binary(max_size=400))
    elif kind == "text":
        data = _encode(draw, draw(st.text(st.characters(codec="utf-8"), max_size=300)))
    else:
        _, rows = draw(valid_tables())
        data = _encode(draw, _csv_text(draw, _mutate_table(draw, rows)))
    return draw(st.sampled_from([".csv", ".csv", ".txt", ".tsv"])), data


_CSV_EXAMPLES = [
    (".csv", b""),
    (".csv", b"\xef\xbb\xbf"),
    (".csv", "名称,类型,经度,纬度\n".encode()),
    (".csv", "名称,类型,经度,纬度,床位数,护理型床位数,状态\n甲,养老机构,120.57,32.37,1e400,0,现状\n".encode()),
    (".csv", "名称,类型,经度,纬度,床位数,护理型床位数,状态\n甲,养老机构,120°33′12″,32.37,1,0,现状\n".encode()),
    (".csv", "名称,类型,经度,纬度,床位数\n甲,养老机构,１２０．５７,３２．３７,１２\n".encode("gb18030")),
    (".csv", "名称,类型,经度,纬度\n甲,养老机构,32.37,120.57\n".encode("utf-16")),
    (".csv", "名称,名称,类型,经度,纬度\n甲,乙,养老机构,120.57,32.37\n".encode()),
    (".csv", "名称,类型,经度,纬度\n甲\x00,养老机构,120.57,32.37\n".encode()),
    (".csv", ('名称,类型,经度,纬度\n"' + "x" * 200_000 + '",养老机构,120.57,32.37\n').encode()),
    (".csv", '名称,类型,经度,纬度\n甲,"养老机构,120.57,32.37\n'.encode()),
    (".csv", "名称,经度,纬度,老年人口\n甲社区,120.57,32.37,inf\n乙村,120.58,32.38,-1\n".encode()),
    (".csv", "名称,经度,纬度,老年人口\n甲社区,nan,32.37,5\n".encode()),
    (".csv", "乡镇,老年人口\n如城街道,12\n白蒲镇,nan\n丁堰镇,-3\n".encode()),
    (".csv", "区划代码,老年人口\n320682001,1e400\n".encode()),
    (".csv", "乡镇,老年人口\n如城街道,1\n如城街道,2\n".encode()),
    (".csv", "名称,x,y,老年人口\n甲,1e308,1e308,1\n".encode()),
    (".tsv", "名称\t类型\t经度\t纬度\n甲\t养老机构\t120.57\t32.37\n".encode()),
]


@_fuzz(300)
@given(data=csv_files())
def test_csv_readers_never_crash(tmp_path: Path, data: tuple[str, bytes]) -> None:
    suffix, content = data
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(content)
        assert_clean(path, TABLE_READERS)


for _suffix, _content in _CSV_EXAMPLES:
    test_csv_readers_never_crash = example(data=(_suffix, _content))(test_csv_readers_never_crash)


# --------------------------------------------------------------------------------------------- xlsx

_NUMBERISH = {"经度", "纬度", "床位数", "护理型床位数", "老年人口", "区划代码"}
XLSX_CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**31), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([float("nan"), float("inf"), -0.0, 1e308, 10**30]),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.times(),
    st.sampled_from(["=1/0", "=A1", "=NA()", "=SUM(A1:A3)", "=\"社区\""]),
    st.sampled_from(NASTY_CELLS),
    CELL_TEXT,
)


def _xlsx_value(text: str) -> Any:
    """Write numbers as numbers, as Excel holds them."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
        return number if math.isfinite(number) else text
    except ValueError:
        return text


def _xlsx_safe(value: Any) -> Any:
    # openpyxl refuses control characters in strings when writing; that is the writer, not the reader
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


@st.composite
def xlsx_files(draw: Any) -> tuple[bytes, Any]:
    kind = draw(st.sampled_from(["bytes", "truncated", "flipped", "structured", "structured", "structured"]))
    note(f"xlsx {kind}")
    if kind == "bytes":
        return draw(st.one_of(st.binary(max_size=300), st.just(b"PK\x03\x04") .map(lambda b: b + bytes(40)))), None
    _, rows = draw(valid_tables())
    rows = _mutate_table(draw, rows)
    book = openpyxl.Workbook()
    layout = draw(st.sampled_from(["first", "first", "second", "empty_first_sheet", "several"]))
    note(f"xlsx layout {layout}")
    sheet = book.active
    sheet.title = draw(st.sampled_from(["Sheet1", "数据", "养老设施"]))
    if layout in ("second", "empty_first_sheet"):
        sheet = book.create_sheet("数据2")
    if layout == "several":
        book.create_sheet("说明").append(["本表由民政局填报"])
    headers = rows[0] if rows else []
    for i, row in enumerate(rows):
        values = []
        for j, text in enumerate(row):
            numeric = i > 0 and j < len(headers) and headers[j] in _NUMBERISH
            values.append(_xlsx_value(text) if numeric else text)
        sheet.append([_xlsx_safe(v) for v in values])
    for _ in range(draw(st.integers(0, 4))):
        cell = sheet.cell(row=draw(st.integers(1, len(rows) + 1)), column=draw(st.integers(1, 9)))
        cell.value = _xlsx_safe(draw(XLSX_CELLS))
    data = _xlsx_bytes(book)
    if kind == "truncated":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "flipped":
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data = bytes(data)
    sheet_arg = draw(st.sampled_from([None, None, None, 0, 1, 5, -1, "Sheet1", "数据", "数据2", "没有"]))
    return data, sheet_arg


def _xlsx_bytes(book: Any) -> bytes:
    """The workbook's bytes, the same on every run (fixed document and zip entry times), so derandomized
    offsets into it hit the same bytes in CI as on a developer's machine."""
    book.properties.created = dt.datetime(2024, 1, 1)
    saved = io.BytesIO()
    book.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time into 'modified'
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data)
            zout.writestr(zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0)), data,
                          compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


@_fuzz(80)
@given(data=xlsx_files())
@example(data=(b"", None))
@example(data=(b"PK\x05\x06" + bytes(18), None))
def test_xlsx_readers_never_crash(tmp_path: Path, data: tuple[bytes, Any]) -> None:
    content, sheet = data
    readers = TABLE_READERS + [
        ("read_facilities(sheet)", lambda p: read_facilities(p, sheet=sheet), check_facilities),
        ("read_communities(sheet)", lambda p: read_communities(p, sheet=sheet), check_communities),
        ("read_population_points(sheet)", lambda p: read_population_points(p, sheet=sheet), check_population_points),
        ("apply_elderly_table(sheet)", lambda p: apply_elderly_table(TOWNSHIPS, p, sheet=sheet), check_filled_townships),
    ]
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / "input.xlsx"
        path.write_bytes(content)
        assert_clean(path, readers)


# --------------------------------------------------------------------------------------------- GeoJSON

_JSON_TEXT = st.text(_CELL_CHARS, max_size=8)


def _json_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _JSON_TEXT,
    _json_containers,
    max_leaves=12,
)

_LON = st.floats(120.45, 120.70)
_LAT = st.floats(32.25, 32.50)


@st.composite
def _geometry(draw: Any, kind: str) -> dict:
    if kind == "Point":
        return {"type": "Point", "coordinates": [draw(_LON), draw(_LAT)]}
    if kind == "LineString":
        n = draw(st.integers(2, 4))
        return {"type": "LineString", "coordinates": [[draw(_LON), draw(_LAT)] for _ in range(n)]}
    lon, lat, size = draw(_LON), draw(_LAT), draw(st.floats(0.001, 0.05))
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


_PROPERTIES = {
    "Point": lambda i: {"名称": f"甲{i}社区", "类型": "社区", "老年人口": 10 + i, "name": f"点{i}"},
    "LineString": lambda i: {"highway": "residential", "name": f"路{i}"},
    "Polygon": lambda i: {"名称": TOWNSHIPS["name"][i % 3] + ("" if i < 3 else str(i)), "区划代码": TOWNSHIPS["code"][i % 3],
                          "老年人口": 1000 * i},
}


def _mutate_geometry(draw: Any, geometry: dict) -> Any:
    op = draw(
        st.sampled_from(
            ["null", "wrong_type", "empty", "nan_string", "nan", "huge", "nested_null", "three_d", "swap_xy",
             "projected", "collection", "multi", "string_coords", "missing_coords", "degenerate"]
        )
    )
    note(f"geometry mutation {op}")
    geometry = json.loads(json.dumps(geometry))
    coords = geometry["coordinates"]
    points = [coords] if geometry["type"] == "Point" else coords if geometry["type"] == "LineString" else coords[0]
    if op == "null":
        return None
    if op == "wrong_type":
        geometry["type"] = draw(st.sampled_from(["Pointy", "LineString", "Polygon", "MultiPoint", "", None, 5]))
    elif op == "empty":
        geometry["coordinates"] = draw(st.sampled_from([[], [[]], [[[]]]]))
    elif op in ("nan_string", "string_coords"):
        draw(st.sampled_from(points))[draw(st.integers(0, 1))] = draw(st.sampled_from(["NaN", "nan", "120.5", "", "x"]))
    elif op == "nan":  # a NaN first point also leaves a ring unclosed (NaN != NaN)
        value = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        for point in draw(st.lists(st.sampled_from(points), min_size=1, max_size=len(points))):
            point[draw(st.integers(0, 1))] = value
    elif op == "huge":
        value = draw(st.sampled_from([1e300, -1e300, 1e20, 5e5, 4e6, 10**30]))
        draw(st.sampled_from(points))[draw(st.integers(0, 1))] = value
    elif op == "nested_null":
        draw(st.sampled_from(points))[draw(st.integers(0, 1))] = None
    elif op == "three_d":
        for p in points:
            p.append(draw(st.sampled_from([0.0, 5.0, float("nan"), None])))
    elif op == "swap_xy":
        for p in points:
            p.reverse()
    elif op == "projected":
        for p in points:
            p[0], p[1] = 40_500_000 + p[0] * 100, 3_580_000 + p[1] * 100
    elif op == "collection":
        return {"type": "GeometryCollection", "geometries": [geometry, draw(_geometry("Point"))]}
    elif op == "multi":
        return {"type": "Multi" + geometry["type"], "coordinates": [coords] * draw(st.integers(0, 2))}
    elif op == "missing_coords":
        del geometry["coordinates"]
    elif op == "degenerate" and geometry["type"] != "Point":  # repeated points, or too few for a line/ring
        if draw(st.booleans()):
            for p in points:
                p[:] = points[0][:2] + p[2:]
        else:
            del points[draw(st.integers(0, 1)):]
    return geometry


def _mutate_properties(draw: Any, props: dict) -> Any:
    op = draw(st.sampled_from(["value", "value", "delete", "case_twin", "nested", "null", "rename"]))
    note(f"property mutation {op}")
    if not props or op == "null":
        return None if op == "null" else props
    key = draw(st.sampled_from(sorted(props)))
    if op == "value":
        props[key] = draw(st.one_of(st.sampled_from(NASTY_CELLS), st.sampled_from([-1, 1e300, 10**30, True, 0.5]), JSON_VALUES))
    elif op == "delete":
        del props[key]
    elif op == "case_twin":
        props[key.upper() if key != key.upper() else key.lower() + "x"] = props[key]
    elif op == "nested":
        props[key] = {"v": props[key], "list": [None, props[key]]}
    elif op == "rename":
        props[draw(st.sampled_from(NASTY_HEADERS))] = props.pop(key)
    return props


_CRS_MEMBERS = [
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4528"}},
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}},
    {"type": "name", "properties": {"name": "nonsense"}},
    {"type": "link", "properties": {"href": "http://example.invalid/crs", "type": "proj4"}},
    {"type": "name"},
    "EPSG:4326",
    [1, 2],
    None,
]


@st.composite
def geojson_files(draw: Any) -> bytes:
    kind = draw(st.sampled_from(["random", "skeleton", "structured", "structured", "structured", "structured"]))
    note(f"geojson {kind}")
    if kind == "random":
        return json.dumps(draw(JSON_VALUES), ensure_ascii=False).encode()
    if kind == "skeleton":
        doc: Any = {"type": draw(st.sampled_from(["FeatureCollection", "Feature", "Point", 5])),
                    "features": draw(st.lists(JSON_VALUES, max_size=3))}
        return json.dumps(doc, ensure_ascii=False).encode()
    geom_kind = draw(st.sampled_from(["Point", "LineString", "Polygon"]))
    features = [
        {"type": "Feature", "properties": _PROPERTIES[geom_kind](i), "geometry": draw(_geometry(geom_kind))}
        for i in range(draw(st.integers(1, 4)))
    ]
    pristine = list(range(len(features)))  # each geometry is mutated once at most
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(features))
        if draw(st.booleans()) and pristine:
            target = features[pristine.pop(draw(st.integers(0, len(pristine) - 1)))]
            target["geometry"] = _mutate_geometry(draw, target["geometry"])
        else:
            target["properties"] = _mutate_properties(draw, target["properties"])
    doc = {"type": "FeatureCollection", "features": features}
    if draw(st.integers(0, 3)) == 0:
        doc["crs"] = draw(st.sampled_from(_CRS_MEMBERS))
    return json.dumps(doc, ensure_ascii=False, allow_nan=True).encode()


def _geojson(geometry: str, properties: str = '{"名称": "甲社区", "老年人口": 5, "highway": "path"}') -> bytes:
    return ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":%s,"geometry":%s}]}'
            % (properties, geometry)).encode()


_GEOJSON_EXAMPLES = [
    b"",
    b"{}",
    b"[]",
    b'{"type":"FeatureCollection","features":null}',
    b'{"type":"FeatureCollection","features":[]}',
    b'{"type":"FeatureCollection","features":[1,"a",null]}',
    _geojson("null"),
    _geojson('{"type":"Point","coordinates":[]}'),
    _geojson('{"type":"Point","coordinates":["NaN","NaN"]}'),
    _geojson('{"type":"Point","coordinates":[120.5,NaN]}'),
    _geojson('{"type":"MultiPoint","coordinates":[[NaN,32.3]]}'),
    _geojson('{"type":"Point","coordinates":[1e400,32]}'),
    _geojson('{"type":"Point","coordinates":[1e300,1e300]}'),
    _geojson('{"type":"LineString","coordinates":[[120.5,32.3],[NaN,32.4],[120.6,32.3]]}'),
    _geojson('{"type":"MultiLineString","coordinates":[[[120.5,32.3],[120.6,32.3]],[[NaN,1],[2,2]]]}'),
    _geojson('{"type":"Polygon","coordinates":[[[120.5,32.3],[120.6,NaN],[120.6,32.4],[120.5,32.3]]]}'),
    _geojson('{"type":"Polygon","coordinates":[[[120.5,32.3],[120.6,32.4],[120.6,32.3],[120.5,32.4],[120.5,32.3]]]}'),
    _geojson('{"type":"Point","coordinates":[120.5,32.3]}', '{"名称": {"a": [1, null]}, "老年人口": [1, 2]}'),
    _geojson('{"type":"Point","coordinates":[120.5,32.3]}', '{"名称": "甲社区", "老年人口": true}'),
    _geojson('{"type":"Point","coordinates":[120.5,32.3]}', '{"名称": "甲社区", "老年人口": "2020-01-01"}'),
    _geojson('{"type":"Point","coordinates":[120.5,32.3]}', '{"名称": "甲社区", "name": "乙村", "Name": "x"}'),
    _geojson('{"type":"Point","coordinates":[120.5,32.3]}', "null"),
]


@_fuzz(130)
@given(content=geojson_files())
def test_geojson_readers_never_crash(tmp_path: Path, content: bytes) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / "input.geojson"
        path.write_bytes(content)
        assert_clean(path, VECTOR_READERS)


for _content in _GEOJSON_EXAMPLES:
    test_geojson_readers_never_crash = example(content=_content)(test_geojson_readers_never_crash)


# --------------------------------------------------------------------------------------------- Shapefile

_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _shapefile_templates() -> dict[str, dict[str, bytes]]:
    """Small valid Shapefiles (as bytes per part): points, lines and township polygons."""
    frames = {
        "points": gpd.GeoDataFrame(
            {"名称": ["甲社区", "乙村", "丙社区"], "elderly": [10, 20, 30]},
            geometry=[Point(120.57, 32.37), Point(120.58, 32.38), Point(120.59, 32.36)], crs="EPSG:4326"),
        "lines": gpd.GeoDataFrame(
            {"highway": ["residential", "footway"], "name": ["甲路", "乙路"]},
            geometry=[LineString([(120.57, 32.37), (120.58, 32.38)]),
                      LineString([(120.58, 32.38), (120.59, 32.36), (120.60, 32.30)])], crs="EPSG:4326"),
        "polygons": gpd.GeoDataFrame(
            {"名称": TOWNSHIPS["name"].tolist(), "code": TOWNSHIPS["code"].tolist(), "elderly": [1.0, 2.0, None]},
            geometry=TOWNSHIPS.geometry.tolist(), crs="EPSG:4326"),
    }
    out: dict[str, dict[str, bytes]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, frame in frames.items():
            path = Path(folder) / f"{kind}.shp"
            pyogrio.write_dataframe(frame, path, encoding="UTF-8")
            out[kind] = {ext: path.with_suffix(ext).read_bytes() for ext in _SHP_PARTS}
            out[kind][".dbf"] = out[kind][".dbf"][:1] + bytes([124, 1, 1]) + out[kind][".dbf"][4:]  # fixed date
    return out


_TEMPLATES: dict[str, dict[str, bytes]] = {}


def _templates() -> dict[str, dict[str, bytes]]:
    if not _TEMPLATES:
        _TEMPLATES.update(_shapefile_templates())
    return _TEMPLATES


_PRJ_TEXT = [
    b"", b"nonsense", b'GEOGCS["x"]', b"EPSG:4326",
    b'PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",'
    b'SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    b'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    b'PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],'
    b'UNIT["Meter",1.0]]',
]
_CPG_TEXT = [b"", b"UTF-8", b"GBK", b"936", b"CP936", b"nonsense", b"UTF-16", b"\x00\x01"]


@st.composite
def shapefiles(draw: Any) -> dict[str, bytes | None]:
    kind = draw(st.sampled_from(sorted(_templates())))
    parts: dict[str, bytes | None] = dict(_templates()[kind])
    note(f"shapefile of {kind}")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["truncate", "truncate", "flip", "flip", "delete", "prj", "cpg"]))
        ext = draw(st.sampled_from(_SHP_PARTS[:3] if op in ("truncate", "flip") else _SHP_PARTS))
        note(f"shapefile mutation {op} {ext}")
        data = parts.get(ext)
        if op == "truncate" and data:
            parts[ext] = data[: draw(st.integers(0, len(data) - 1))]
        elif op == "flip" and data:
            flipped = bytearray(data)
            for _ in range(draw(st.integers(1, 4))):
                flipped[draw(st.integers(0, len(flipped) - 1))] = draw(st.integers(0, 255))
            parts[ext] = bytes(flipped)
        elif op == "delete":
            parts[ext] = None
        elif op == "prj":
            parts[".prj"] = draw(st.one_of(st.sampled_from(_PRJ_TEXT), st.binary(max_size=40), st.sampled_from(
                [_PRJ_TEXT[-1].replace(b"China_2000", b"\xc0\xc1", 1), _PRJ_TEXT[-1][:100]])))
        elif op == "cpg":
            parts[".cpg"] = draw(st.one_of(st.sampled_from(_CPG_TEXT), st.binary(max_size=12)))
    return parts


@_fuzz(150)
@given(parts=shapefiles())
def test_shapefile_readers_never_crash(tmp_path: Path, parts: dict[str, bytes | None]) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / "input.shp"
        for ext, data in parts.items():
            if data is not None:
                path.with_suffix(ext).write_bytes(data)
        if not path.exists():
            path.write_bytes(b"")  # the user picked the .shp; a vanished one is the file-not-found path
        assert_clean(path, VECTOR_READERS)


# --------------------------------------------------------------------------------------------- OSM and basemap

_OSM_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><osm version="0.6" generator="test">'
    b'<node id="1" lat="32.37" lon="120.57"/><node id="2" lat="32.38" lon="120.58"/><node id="3" lat="32.39" lon="120.56"/>'
    b'<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="name" v="\xe5\xa6\x82\xe5\x9f\x8e\xe8\xb7\xaf"/></way>'
    b'<way id="11"><nd ref="3"/><nd ref="9"/><nd ref="1"/><tag k="highway" v="footway"/></way></osm>'
)


@st.composite
def osm_files(draw: Any) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from([".osm", ".osm", ".osm.pbf", ".osm.gz", ".osm.bz2", ".o5m"]))
    kind = draw(st.sampled_from(["bytes", "truncated", "flipped", "flipped"]))
    note(f"osm {kind}")
    if kind == "bytes":
        return suffix, draw(st.binary(max_size=300))
    if kind == "truncated":
        return suffix, _OSM_XML[: draw(st.integers(0, len(_OSM_XML)))]
    data = bytearray(_OSM_XML)
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return suffix, bytes(data)


@_fuzz(60)
@given(data=osm_files())
@example(data=(".osm", _OSM_XML))
@example(data=(".osm", _OSM_XML.replace(b'lon="120.57"', b'lon="1?.57"')))  # InvalidLocationError, fixed here
@example(data=(".osm.gz", _OSM_XML.replace(b'id="1"', b'id=";"')))  # ValueError: illegal id, fixed here
def test_osm_roads_never_crash(tmp_path: Path, data: tuple[str, bytes]) -> None:
    suffix, content = data
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / f"roads{suffix}"
        path.write_bytes(content)
        assert_clean(path, [("read_roads", read_roads, check_roads)])


def _geotiff(**profile: Any) -> bytes:
    import rasterio
    from rasterio.transform import Affine

    options: dict[str, Any] = {"driver": "GTiff", "width": 12, "height": 8, "count": 3, "dtype": "uint8",
                               "crs": "EPSG:4326", "transform": Affine(0.001, 0.0, 120.5, 0.0, -0.001, 32.4)}
    options.update(profile)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.tif"
        with rasterio.open(path, "w", **options) as dst:
            dst.write(np.arange(options["count"] * 96, dtype="uint8").reshape(options["count"], 8, 12))
        return path.read_bytes()


@_fuzz(40)
@given(data=st.data())
def test_basemap_never_crashes(tmp_path: Path, data: st.DataObject) -> None:
    from layers.basemap import RasterImage, read_basemap

    content = bytearray(_geotiff(count=data.draw(st.sampled_from([1, 3, 4]))))
    if data.draw(st.booleans()):
        content = content[: data.draw(st.integers(0, len(content) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 6))):
            content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / "basemap.tif"
        path.write_bytes(bytes(content))
        try:
            image = read_basemap(path, crs=None)
        except InputError as exc:
            _check_error(exc)
            return
        assert isinstance(image, RasterImage) and image.pixels.ndim == 3 and image.pixels.shape[2] == 4
        assert np.isfinite(image.bounds).all()


def test_basemap_with_a_geotransform_that_cannot_be_inverted(tmp_path: Path) -> None:
    """Used to escape as rasterio's CPLE_AppDefinedError from calculate_default_transform."""
    from rasterio.transform import Affine

    from layers.basemap import read_basemap

    path = _write(tmp_path, "flat.tif", _geotiff(transform=Affine(0.0, 0.0, 120.5, 0.0, 0.0, 32.4)))
    with pytest.raises(InputError, match=r"^flat\.tif: cannot read the GeoTIFF: Cannot invert geotransform$"):
        read_basemap(path, crs=None)


def test_basemap_with_a_garbled_crs(tmp_path: Path) -> None:
    """A CRS citation that is not UTF-8 used to escape as UnicodeDecodeError from rasterio.open: with the
    GeographicTypeGeoKey (0x0800 = EPSG:4326) damaged, GDAL falls back to the citation text."""
    from layers.basemap import read_basemap

    content = _geotiff()
    key, citation = b"\x00\x08\x00\x00\x01\x00\xe6\x10", b"WGS 84|"
    assert key in content and citation in content
    content = content.replace(key, b"\xa1" + key[1:], 1).replace(citation, b"\xc9" + citation[1:], 1)
    path = _write(tmp_path, "garbled.tif", content)
    with pytest.raises(InputError, match=r"^garbled\.tif: cannot read the GeoTIFF: 'utf-8' codec can't decode"):
        read_basemap(path, crs=None)


# --------------------------------------------------------------------------------------------- known bugs


def _known_bugs(path: Path) -> dict[str, str]:
    """The known bugs (in files this test does not own) this input would hit: reader name (``*``: every
    reader) -> what. None are open; a new one gets a rule here and a strict xfail test below."""
    return {}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _valid_or_refused(call: Callable[[], Any]) -> None:
    """The property for one call: it returns, or raises one clean InputError line; anything else propagates."""
    try:
        call()
    except InputError as exc:
        _check_error(exc)


def _refused(call: Callable[[], Any]) -> None:
    with pytest.raises(InputError) as info:
        call()
    _check_error(info.value)


def test_a_line_break_in_a_type_cell_gives_one_line(tmp_path: Path) -> None:
    """Cells broken with Alt+Enter are common in bureau spreadsheets."""
    path = _write(tmp_path, "f.csv", '名称,类型,经度,纬度,床位数\n甲,"养老\n机构x",120.57,32.37,1\n'.encode())
    _refused(lambda: read_facilities(path))  # "f.csv, row 2, column 类型: unknown facility type '养老\n机构x'; ..."


@pytest.mark.parametrize(
    ("reader", "table", "message"),
    [
        (read_communities, '名称,经度,纬度,类型\n甲社区,120.57,32.37,"x\ny"\n', "unknown kind 'x y'"),
        (read_communities, '名称,经度,纬度\n"乙\n丙",120.57,32.37\n', "cannot tell whether '乙 丙'"),
        (read_facilities, '名称,类型,经度,纬度,"床位数\n(张)"\n甲,养老机构,120.57,32.37,x\n', "column 床位数 (张)"),
        (read_facilities, '名称,类型,经度,纬度,床位数\n乙,养老机构,120.57,32.37,"1\n2"\n', "got '1 2'"),
    ],
)
def test_line_breaks_in_cells_and_headers_give_one_line(
    tmp_path: Path, reader: Callable[[Path], Any], table: str, message: str
) -> None:
    """The kind/name messages are fixed in layers/communities.py; headers and numbers in layers/tables.py."""
    path = _write(tmp_path, "t.csv", table.encode())
    with pytest.raises(InputError, match=re.escape(message)) as info:
        reader(path)
    _check_error(info.value)


@pytest.mark.parametrize("beds", ["1e19", "1e20", "25000"])
def test_implausible_bed_counts_are_refused(tmp_path: Path, beds: str) -> None:
    path = _write(tmp_path, "f.csv", f"名称,类型,经度,纬度,床位数,护理型床位数\n甲,养老机构,120.57,32.37,{beds},{beds}\n".encode())
    with pytest.raises(InputError, match="implausible") as info:
        read_facilities(path)
    _check_error(info.value)


def test_a_township_with_a_nan_vertex_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.geojson", _geojson(
        '{"type":"Polygon","coordinates":[[[120.5,32.3],[120.6,NaN],[120.6,32.4],[120.5,32.3]]]}', '{"名称": "白蒲镇"}'))
    _refused(lambda: read_townships(path))


# --------------------------------------------------------------------------------------------- found, fixed elsewhere


def _rewritten_xlsx(tmp_path: Path, edit: Callable[[str, bytes], bytes]) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["名称", "类型", "经度", "纬度"])
    book.active.append(["甲", "养老机构", 120.57, 32.37])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_xlsx_bytes(book))) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, edit(name, zin.read(name)))
    return _write(tmp_path, "f.xlsx", out.getvalue())


@pytest.mark.parametrize("damage", ["truncated_sheet_xml", "bad_number", "bad_cell_ref", "sheet_part_missing"])
def test_damaged_xlsx_sheet(tmp_path: Path, damage: str) -> None:
    """openpyxl reads a read-only workbook's sheets lazily, so the damage shows only while rows are read
    (xml ParseError, ValueError, IndexError for a missing sheet part); refused in layers/tables.py."""

    def edit(name: str, data: bytes) -> bytes:
        if not name.endswith("sheet1.xml"):
            return data
        if damage == "truncated_sheet_xml":
            return data[: len(data) // 2]
        if damage == "bad_number":
            return data.replace(b"<v>120.57</v>", b"<v>abc</v>")
        if damage == "bad_cell_ref":
            return data.replace(b'r="C2"', b'r="%%%"')
        return b""  # sheet_part_missing: an empty part

    path = _rewritten_xlsx(tmp_path, edit)
    _refused(lambda: read_facilities(path))


@pytest.mark.parametrize(
    "geometry",
    [
        '{"type":"LineString","coordinates":[[120.5,32.3]]}',
        '{"type":"Polygon","coordinates":[[[120.5,32.3],[120.5,32.3]]]}',
        '{"type":"Polygon","coordinates":[[[NaN,32.3],[120.6,32.3],[120.6,32.4],[NaN,32.3]]]}',
        '{"type":"Point","coordinates":[Infinity,32]}',
        '{"type":"LineString","coordinates":[[NaN,NaN],[NaN,NaN]]}',
    ],
)
def test_geometry_gdal_reads_but_geos_or_the_crs_check_refuse(tmp_path: Path, geometry: str) -> None:
    """1-point lines and 2-point/unclosed rings escaped as shapely's GEOSException (layers/tables.py); infinite
    or all-NaN bounds crashed crs.likely_crs with ValueError (layers/crs.py)."""
    path = _write(tmp_path, "g.geojson", _geojson(geometry))
    for read in (read_roads, read_communities, read_population_points, read_townships):
        _refused(lambda: read(path))


def test_prj_that_is_not_utf8(tmp_path: Path) -> None:
    """pyogrio raises UnboundLocalError (get_crs) for a .prj that is not UTF-8; refused in layers/tables.py."""
    path = tmp_path / "p.shp"
    for ext, data in _templates()["points"].items():
        path.with_suffix(ext).write_bytes(data)
    path.with_suffix(".prj").write_bytes(
        b'GEOGCS["WGS 84",DATUM["\xc0\xc1",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
        b'UNIT["degree",0.0174532925199433]]'
    )
    _refused(lambda: read_communities(path))


# --------------------------------------------------------------------------------------------- fixed in this change


@pytest.mark.parametrize(
    "geometry",
    [
        '{"type":"Point","coordinates":[120.5,NaN]}',
        '{"type":"MultiPoint","coordinates":[[NaN,32.3]]}',
        '{"type":"Polygon","coordinates":[[[120.5,32.3],[120.6,NaN],[120.6,32.4],[120.5,32.3]]]}',
        '{"type":"LineString","coordinates":[[120.5,32.3],[NaN,32.4],[120.6,32.3]]}',
        '{"type":"MultiLineString","coordinates":[[[120.5,32.3],[120.6,32.3]],[[NaN,1],[2,2]]]}',
    ],
)
def test_nan_coordinates_are_refused_by_feature(tmp_path: Path, geometry: str) -> None:
    """Points with a NaN coordinate used to come back as layers; polygons crashed GEOS; roads dropped silently."""
    path = _write(tmp_path, "g.geojson", _geojson(geometry))
    reader = {"Point": read_population_points, "MultiPoint": read_communities, "Polygon": read_communities}.get(
        json.loads(geometry)["type"], read_roads)
    with pytest.raises(InputError, match=r"g\.geojson, row 1: .*not finite numbers"):
        reader(path)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><osm version="0.6"><node id="1" lat="32.37" lon="1?.57"/></osm>',
        b'<?xml version="1.0"?><osm version="0.6"><node id=";" lat="32.37" lon="120.57"/></osm>',
        b"\x1f\x8b\x08\x00garbage",
        b"",
    ],
)
def test_broken_osm_files_give_one_line(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "r.osm", data)
    with pytest.raises(InputError) as info:
        read_roads(path)
    _check_error(info.value)
