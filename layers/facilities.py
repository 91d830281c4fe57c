"""Elderly-care facilities from CSV/XLSX lists, and writing them back.

The type cell names a class of the facility class registry (:mod:`layers.classes`): 日间照料中心, 养老机构,
助餐点, 居家养老服务中心, 居家养老服务站, 综合养老服务中心, 农村幸福院, 长者驿站 and their synonyms."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .classes import STATUS_IDS, registry
from .crs import require_crs
from .errors import InputError
from .tables import (
    LAT_ALIASES,
    LON_ALIASES,
    X_ALIASES,
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


def read_facilities(
    path: str | PathLike[str], *, crs: str = "EPSG:4326", sheet: str | int | None = None
) -> gpd.GeoDataFrame:
    """Read a facility list (CSV in UTF-8/GB18030, or XLSX) into an EPSG:4326 GeoDataFrame.

    Columns out: ``fid`` (from the id column, else ``F`` + 4-digit spreadsheet row), ``name``, ``type``
    (a class id of :func:`layers.classes.registry`), ``beds``, ``nursing_beds``, ``status``
    ('existing' | 'planned' | 'to_close'; empty cells 'existing'),
    ``geometry``. ``crs`` gives the table's coordinates: EPSG:4326 lon/lat (default), ``"gcj02"`` for
    Amap/Tencent coordinates, or a projected CRS with x/y columns. ``sheet``: XLSX sheet name or 0-based index.
    """
    expect = NAME_ALIASES + TYPE_ALIASES + LON_ALIASES + LAT_ALIASES + X_ALIASES + Y_ALIASES
    table = read_table(path, sheet=sheet, expect=expect, what="facility table")
    p = table.path
    name_col = find_column(table.headers, NAME_ALIASES, path=p, what="facility name", required=True)
    type_col = find_column(table.headers, TYPE_ALIASES, path=p, what="facility type", required=True)
    id_col = find_column(table.headers, ID_ALIASES, path=p, what="id", required=False)
    beds_col = find_column(table.headers, BEDS_ALIASES, path=p, what="beds", required=False)
    nursing_col = find_column(table.headers, NURSING_BEDS_ALIASES, path=p, what="nursing beds", required=False)
    status_col = find_column(table.headers, STATUS_ALIASES, path=p, what="status", required=False)
    assert name_col is not None and type_col is not None

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
        beds = parse_count(raw_beds, path=p, row=row, column=beds_col, what="beds", default=0)
        nursing = parse_count(raw_nursing, path=p, row=row, column=nursing_col, what="nursing beds", default=0)
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
        fid = cell_text(raw_id) or f"F{row:04d}"
        if fid in first_row_of_id:
            raise InputError(
                f"duplicate id '{fid}' (also row {first_row_of_id[fid]})", path=p, row=row, column=id_col
            )
        first_row_of_id[fid] = row
        records.append(
            {"fid": fid, "name": name, "type": facility_type, "beds": beds, "nursing_beds": nursing, "status": status}
        )

    lon, lat = table_points_wgs84(table, crs=crs, what="facility")
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
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")[_OUTPUT_COLUMNS]


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
