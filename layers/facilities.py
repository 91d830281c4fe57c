"""Elderly-care facilities from CSV/XLSX lists, and writing them back.

The type cell names a class of the facility class registry (:mod:`layers.classes`): 日间照料中心, 养老机构,
助餐点, 居家养老服务中心, 居家养老服务站, 综合养老服务中心, 农村幸福院, 长者驿站 and their synonyms."""
from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .classes import STATUS_IDS, registry
from .crs import require_crs
from .errors import InputError
from .tables import (
    LAT_ALIASES,
    LON_ALIASES,
    X_ALIASES,
    NOTES_ATTR,
    Y_ALIASES,
    cell_text,
    find_column,
    parse_count,
    read_table,
    table_points_wgs84,
)

ID_ALIASES = ("id", "编号", "序号", "设施编号")
NAME_ALIASES = ("name", "名称", "机构名称", "设施名称")
TYPE_ALIASES = ("type", "类型", "设施类型", "机构类型", "类别", "设施类别")
BEDS_ALIASES = ("beds", "床位数", "床位", "总床位数")
NURSING_BEDS_ALIASES = ("nursing_beds", "护理型床位数", "护理床位", "护理型床位", "护理床位数")
STATUS_ALIASES = ("status", "状态", "建设状态")

_OUTPUT_COLUMNS = ["fid", "name", "type", "beds", "nursing_beds", "status", "geometry"]
_HEADERS_ZH = ["编号", "名称", "类型", "经度", "纬度", "床位数", "护理型床位数", "状态"]
_HEADERS_EN = ["id", "name", "type", "lon", "lat", "beds", "nursing_beds", "status"]


@dataclass(frozen=True)
class Facility:
    """One facility as the plan and the analysis both hold it (coordinates in the plan's metric CRS).
    Validated on creation: a known class and status, beds >= nursing beds >= 0, finite coordinates."""

    fid: str
    name: str
    type: str
    beds: int
    nursing_beds: int
    status: str
    x: float
    y: float

    def __post_init__(self) -> None:
        reg = registry()
        if self.type not in reg:
            raise InputError(f"unknown facility class {self.type!r}; use one of {', '.join(reg.ids)}")
        if self.status not in STATUS_IDS:
            raise InputError(f"unknown status {self.status!r}; use one of {', '.join(STATUS_IDS)}")
        if int(self.beds) < 0 or int(self.nursing_beds) < 0:
            raise InputError("beds cannot be negative")
        if int(self.nursing_beds) > int(self.beds):
            raise InputError(f"{self.name}: nursing beds ({self.nursing_beds}) exceed beds ({self.beds})")
        if not (np.isfinite(self.x) and np.isfinite(self.y)):
            raise InputError(f"{self.name}: coordinates must be numbers")


#: two rows of the same class, status and name closer than this are one facility listed twice
DUPLICATE_M = 10.0
#: more beds than this in one facility is a typing error (the largest Chinese homes hold a few thousand)
MAX_BEDS = 20_000


def read_facilities(
    path: str | PathLike[str],
    *,
    crs: str = "EPSG:4326",
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read a facility list (CSV in UTF-8/GB18030, or XLSX) into an EPSG:4326 GeoDataFrame.

    Columns out: ``fid`` (from the id column, else ``F`` + 4-digit spreadsheet row), ``name``, ``type``
    (a class id of :func:`layers.classes.registry`), ``beds``, ``nursing_beds``, ``status``
    ('existing' | 'planned' | 'to_close'; empty cells 'existing'),
    ``geometry``. ``crs`` gives the table's coordinates: EPSG:4326 lon/lat (default), ``"gcj02"`` for
    Amap/Tencent or ``"bd09"`` for Baidu coordinates, or a projected CRS with x/y columns. ``sheet``: XLSX
    sheet name or 0-based index; ``encoding`` forces a CSV's text encoding; ``columns`` maps fields (``id``,
    ``name``, ``type``, ``beds``, ``nursing_beds``, ``status``) to the headers the user chose.

    Missing is never zero: an empty beds cell of a class whose beds count in the bed targets is refused for
    institutional beds (养老机构) and noted with its count for community beds; a list without a beds column
    is noted with the count of facilities whose beds it leaves out. The same goes for nursing beds of the classes with
    institutional beds: an empty cell is refused, a missing column noted. The same facility listed twice (see
    :func:`_drop_duplicates`) is kept once. What was done is listed in ``frame.attrs[NOTES_ATTR]``.
    """
    expect = NAME_ALIASES + TYPE_ALIASES + LON_ALIASES + LAT_ALIASES + X_ALIASES + Y_ALIASES
    table = read_table(path, sheet=sheet, expect=expect, what="facility table", encoding=encoding)
    p = table.path
    chosen = dict(columns or {})

    def column(aliases: tuple[str, ...], what: str, field: str, *, required: bool) -> str | None:
        return find_column(table.headers, aliases, path=p, what=what, required=required, chosen=chosen.get(field))

    name_col = column(NAME_ALIASES, "facility name", "name", required=True)
    type_col = column(TYPE_ALIASES, "facility type", "type", required=True)
    id_col = column(ID_ALIASES, "id", "id", required=False)
    beds_col = column(BEDS_ALIASES, "beds", "beds", required=False)
    nursing_col = column(NURSING_BEDS_ALIASES, "nursing beds", "nursing_beds", required=False)
    status_col = column(STATUS_ALIASES, "status", "status", required=False)
    assert name_col is not None and type_col is not None
    notes: list[str] = list(table.notes)
    no_beds: list[tuple[int, str]] = []
    no_nursing: list[tuple[int, str]] = []
    counter_ids = id_col is not None and _is_row_counter(id_col)
    explicit_ids: list[bool] = []

    def cells(column: str | None) -> list[Any]:
        return [v for _, v in table.column(column)] if column else [None] * len(table.rows)

    reg = registry()
    records: list[dict[str, Any]] = []
    first_row_of_id: dict[str, int] = {}
    for (row, _), raw_id, raw_name, raw_type, raw_beds, raw_nursing, raw_status in zip(
        table.rows, cells(id_col), cells(name_col), cells(type_col), cells(beds_col), cells(nursing_col), cells(status_col)
    ):
        name = cell_text(raw_name)
        if name is None:
            raise InputError("facility name is empty", path=p, row=row, column=name_col)
        facility_type = _coded(raw_type, reg.lookup, path=p, row=row, column=type_col, what="facility type",
                               accepted=reg.accepted_names())
        if beds_col is not None and cell_text(raw_beds) is None and reg[facility_type].beds != "none":
            no_beds.append((row, facility_type))
        if nursing_col is not None and cell_text(raw_nursing) is None and reg[facility_type].beds == "institutional":
            no_nursing.append((row, facility_type))
        beds = parse_count(raw_beds, path=p, row=row, column=beds_col, what="beds", default=0)
        nursing = parse_count(raw_nursing, path=p, row=row, column=nursing_col, what="nursing beds", default=0)
        for value, column, what in ((beds, beds_col, "beds"), (nursing, nursing_col, "nursing beds")):
            if value > MAX_BEDS:
                raise InputError(f"{what} {value:,} in one facility is implausible (more than {MAX_BEDS:,}); check the cell",
                                 path=p, row=row, column=column)
        if nursing > beds:
            raise InputError(
                f"nursing beds ({nursing}) exceed total beds ({beds})", path=p, row=row, column=nursing_col
            )
        status = (
            _coded(raw_status, reg.lookup_status, path=p, row=row, column=status_col, what="status",
                   accepted=reg.accepted_statuses())
            if cell_text(raw_status) is not None
            else "existing"
        )
        given_id = cell_text(raw_id)
        fid = given_id or f"F{row:04d}"
        explicit_ids.append(given_id is not None and not counter_ids and _GENERATED_ID.fullmatch(given_id) is None)
        if fid in first_row_of_id:
            raise InputError(
                f"duplicate id '{fid}' (also row {first_row_of_id[fid]})", path=p, row=row, column=id_col
            )
        first_row_of_id[fid] = row
        records.append(
            {"fid": fid, "name": name, "type": facility_type, "beds": beds, "nursing_beds": nursing, "status": status}
        )

    if beds_col is None:
        held = [r["type"] for r in records if reg[r["type"]].beds != "none"]
        if held:
            institutional = sum(reg[t].beds == "institutional" for t in held)
            notes.append(f"{p.name}: no beds column (床位数): its {len(held)} facilities of classes with beds "
                         f"({institutional} of them with institutional beds, 养老机构床位) count no beds, so the bed "
                         f"targets cannot be judged from this list")
    lon, lat = table_points_wgs84(table, crs=crs, what="facility", columns=chosen)
    refused = [(r, t) for r, t in no_beds if reg[t].beds == "institutional"]
    if refused:
        row, facility_type = refused[0]
        raise InputError(
            f"beds is empty for a {reg.label(facility_type)}; its beds count in the bed targets, and missing is not zero: "
            f"write the number (0 if it has none)", path=p, row=row, column=beds_col)
    if no_nursing:
        row, facility_type = no_nursing[0]
        raise InputError(
            f"nursing beds is empty for a {reg.label(facility_type)}; its nursing beds count in the nursing-type share "
            f"(护理型床位占比), and missing is not zero: write the number (0 if it has none)",
            path=p, row=row, column=nursing_col)
    no_beds = [(r, t) for r, t in no_beds if reg[t].beds != "institutional"]
    if no_beds:
        rows_text = ", ".join(str(r) for r, _ in no_beds[:10]) + (" …" if len(no_beds) > 10 else "")
        notes.append(f"{p.name}: {len(no_beds)} facilities with community beds have an empty beds cell (rows {rows_text}); "
                     f"they count no beds, so bed figures counting all elderly-care beds are a lower bound")
    keep = _drop_duplicates(records, lon, lat, rows=[r for r, _ in table.rows], path=p, notes=notes,
                            explicit_ids=explicit_ids)
    records = [r for r, k in zip(records, keep) if k]
    if nursing_col is None:
        institutional = sum(reg[r["type"]].beds == "institutional" for r in records)
        if institutional:
            notes.append(f"{p.name}: no nursing beds column (护理型床位数): its {institutional} facilities with institutional "
                         f"beds count no nursing beds, so the nursing-type share (护理型床位占比) cannot be judged from this list")
    lon, lat = np.asarray(lon)[keep], np.asarray(lat)[keep]
    frame = pd.DataFrame(records)
    data = {
        "fid": frame["fid"].astype(object),
        "name": frame["name"].astype(object),
        "type": frame["type"].astype(object),
        "beds": frame["beds"].astype("int64"),
        "nursing_beds": frame["nursing_beds"].astype("int64"),
        "status": frame["status"].astype(object),
    }
    geometry = gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4326")
    out = gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")[_OUTPUT_COLUMNS]
    out.attrs[NOTES_ATTR] = notes
    return out


#: an id cell like this is one :func:`read_facilities` made up (``F`` + spreadsheet row), not the bureau's own
_GENERATED_ID = re.compile(r"F\d{4,}")
#: WGS 84 ellipsoid, for the straight-line distance between points (metres; the same as on the ground at 10 m)
_WGS84_A = 6_378_137.0
_WGS84_E2 = 6.694379990141e-3


def _is_row_counter(header: str) -> bool:
    """A 序号 column numbers the rows of one table: it names no facility, so two rows' 序号 do not tell them apart."""
    return "".join(unicodedata.normalize("NFKC", header).split()).casefold() in ("序号", "no", "no.", "#")


def _name_key(name: object) -> str:
    """A name as compared for duplicates: NFKC (full-width brackets, letters and digits as half-width), no spaces."""
    return "".join(unicodedata.normalize("NFKC", str(name)).split()).casefold()


def _ecef(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Earth-centred metric coordinates (n × 3) of lon/lat points on the WGS 84 ellipsoid: right at any latitude."""
    phi, lam = np.radians(lat), np.radians(lon)
    n = _WGS84_A / np.sqrt(1.0 - _WGS84_E2 * np.sin(phi) ** 2)
    return np.column_stack((n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1.0 - _WGS84_E2) * np.sin(phi)))


def _rows_text(rows: list[int]) -> str:
    shown = [str(r) for r in rows[:10]]
    if len(rows) > 10:
        return ", ".join(shown) + f" … ({len(rows)} rows)"
    return ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]


def _counts_text(a: dict[str, Any], b: dict[str, Any]) -> str:
    if a.get("nursing_beds", 0) == b.get("nursing_beds", 0):
        return f"{a['beds']} and {b['beds']} beds"
    return f"{a['beds']} beds ({a.get('nursing_beds', 0)} nursing) and {b['beds']} beds ({b.get('nursing_beds', 0)} nursing)"


def _drop_duplicates(records: list[dict[str, Any]], lon: Any, lat: Any, *, rows: list[int], path: Path,
                     notes: list[str], explicit_ids: list[bool] | None = None) -> NDArray[np.bool_]:
    """Which rows to keep. Names are compared by :func:`_name_key`; "near" is within :data:`DUPLICATE_M`.

    - 3 or more rows of one name near one another: a geocoding fallback (a generic name put on a town's point), or one
      facility listed again and again; refused, naming the rows.
    - 2 rows of one name near each other, of the same class and status, with the same beds and nursing beds: one
      facility listed twice (under a new id, or with no id); the later row is dropped, with a note.
    - the same but with different bed counts: if both rows carry the bureau's own ids (not empty, not a 序号 row
      counter, not an ``F0012`` id this reader made up) they are kept, with a note naming them to check; otherwise
      refused, as which count is right cannot be told.
    - a different class or status (an existing home to close and its planned rebuild on the same site) is two rows.
    """
    n = len(records)
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    explicit = list(explicit_ids) if explicit_ids is not None else [False] * n
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    xyz = _ecef(lon, lat)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        groups.setdefault(_name_key(r["name"]), []).append(i)
    pairs: list[tuple[int, int]] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        idx = np.asarray(members)
        pts = xyz[idx]
        if len(members) == 2:
            if np.linalg.norm(pts[0] - pts[1]) <= DUPLICATE_M:
                pairs.append((int(idx[0]), int(idx[1])))
            continue
        # rows on exactly one point first: cheap, and it keeps the tree from comparing thousands of equal points
        _, inverse, counts = np.unique(np.column_stack((lon[idx], lat[idx])), axis=0, return_inverse=True,
                                       return_counts=True)
        inverse = np.asarray(inverse).reshape(-1)
        if counts.max() >= 3:
            same = idx[inverse == int(np.argmax(counts))]
            _refuse_shared_position(records, rows, same.tolist(), path=path, exact=True)
        tree = cKDTree(pts)
        dist, _ = tree.query(pts, k=3, distance_upper_bound=DUPLICATE_M)
        crowded = np.flatnonzero(np.isfinite(dist[:, 2]))
        if crowded.size:
            near = sorted(idx[tree.query_ball_point(pts[crowded[0]], r=DUPLICATE_M)].tolist())
            _refuse_shared_position(records, rows, near, path=path, exact=False)
        for a, b in tree.query_pairs(DUPLICATE_M, output_type="ndarray"):
            i, j = sorted((int(idx[a]), int(idx[b])))
            pairs.append((i, j))
    found: list[str] = []
    to_check: list[str] = []
    beds = 0
    for i, j in sorted(pairs):
        a, b = records[i], records[j]
        if a["type"] != b["type"] or a.get("status", "existing") != b.get("status", "existing"):
            continue
        gap_m = float(np.linalg.norm(xyz[i] - xyz[j]))
        if a["beds"] == b["beds"] and a.get("nursing_beds", 0) == b.get("nursing_beds", 0):
            keep[j] = False
            beds += int(b["beds"])
            found.append(f"{b['name']} (rows {rows[i]} and {rows[j]}, {gap_m:.0f} m apart)")
        elif explicit[i] and explicit[j]:
            to_check.append(f"{a['name']} (rows {rows[i]} and {rows[j]}, ids {a.get('fid')} and {b.get('fid')}, "
                            f"{gap_m:.0f} m apart, {_counts_text(a, b)})")
        else:
            raise InputError(
                f"rows {rows[i]} and {rows[j]} list {b['name']} twice {gap_m:.0f} m apart with {_counts_text(a, b)}; "
                f"keep one, or give each its own id (编号) if they are two facilities", path=path, row=rows[j])
    if found:
        shown = "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
        notes.append(f"{path.name}: {len(found)} facilities are listed twice (same class, status and name within "
                     f"{DUPLICATE_M:g} m) and counted once ({beds:,} beds not doubled): {shown}")
    if to_check:
        shown = "; ".join(to_check[:5]) + (f"; and {len(to_check) - 5} more" if len(to_check) > 5 else "")
        notes.append(f"{path.name}: {len(to_check)} pairs of facilities have the same class, status and name within "
                     f"{DUPLICATE_M:g} m but their own ids and different beds, and both are kept; check that each pair "
                     f"is two facilities and not one listed twice: {shown}")
    return keep


def _refuse_shared_position(records: list[dict[str, Any]], rows: list[int], members: list[int], *, path: Path,
                            exact: bool) -> None:
    where = "one position" if exact else f"one position (within {DUPLICATE_M:g} m)"
    raise InputError(
        f"rows {_rows_text([rows[i] for i in members])} ({len(members)} facilities named {records[members[0]]['name']}) "
        f"share {where}: the addresses were not geocoded (a fallback point), or one facility is listed "
        f"{len(members)} times; fix their coordinates", path=path)


def write_facilities_csv(
    gdf: gpd.GeoDataFrame, path: str | PathLike[str], *, chinese_headers: bool = True
) -> None:
    """Write facilities as a UTF-8 (with BOM, so Excel shows Chinese) CSV that :func:`read_facilities` reads.

    Coordinates are written as EPSG:4326 lon/lat; with ``chinese_headers`` types and status use Chinese labels.
    """
    crs = require_crs(gdf, what="facility layer")
    reg = registry()
    points = gdf.geometry if crs.equals(pyproj.CRS.from_epsg(4326)) else gdf.geometry.to_crs(4326)
    headers = _HEADERS_ZH if chinese_headers else _HEADERS_EN
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for (_, record), point in zip(gdf.iterrows(), points):
            facility_type = record["type"]
            status = record.get("status", "existing") or "existing"
            writer.writerow(
                [
                    record["fid"],
                    record["name"],
                    reg.label(facility_type) if chinese_headers else facility_type,
                    f"{point.x:.7f}",
                    f"{point.y:.7f}",
                    int(record.get("beds", 0) or 0),
                    int(record.get("nursing_beds", 0) or 0),
                    reg.status_label(status) if chinese_headers else status,
                ]
            )


def _coded(value: Any, lookup: Callable[[object], str | None], *, path: Path, row: int, column: str | None,
           what: str, accepted: str) -> str:
    text = cell_text(value)
    if text is None:
        raise InputError(f"{what} is empty", path=path, row=row, column=column)
    code = lookup(text)
    if code is None:
        raise InputError(f"unknown {what} '{text}'; accepted: {accepted}", path=path, row=row, column=column)
    return code


__all__ = [
    "Facility",
    "read_facilities",
    "write_facilities_csv",
]
