"""What the import dialog (新建项目) shows of each file before anything is replaced (Qt-free).

:func:`preview_layer` reads one file as its layer with the user's options and tells what it found: the
coordinate system, the headers and which header each field takes, the first rows, the sheets or layers to
choose from, the reading notes and — when the file cannot be used as it is — the one-line reason.
:func:`import_sources` then gives the :class:`~projects.inputs.DataSources` the command line would build
from the same choices, so the window and ``carecircle new`` read the data alike.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from layers import communities as _communities
from layers import facilities as _facilities
from layers import population as _population
from layers import roads as _roads
from layers import townships as _townships
from layers.crs import WGS84, describe_crs
from layers.errors import InputError
from layers.tables import (
    LAT_ALIASES,
    LON_ALIASES,
    NOTES_ATTR,
    X_ALIASES,
    Y_ALIASES,
    cell_text,
    find_column,
    is_table_path,
    looks_mojibake,
    read_table,
)

from .inputs import LAYER_FIELDS, DataSources, LayerOptions, read_population

#: header aliases per layer and field (the readers' own), for the dialog's guesses
FIELD_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "roads": {"highway": _roads.HIGHWAY_ALIASES, "name": _roads.NAME_ALIASES, "layer": _roads.LEVEL_ALIASES},
    "townships": {"name": _townships.NAME_ALIASES, "code": _townships.CODE_ALIASES, "elderly": _townships.ELDERLY_ALIASES},
    "population": {"elderly": _population.COUNT_ALIASES, "name": _population.NAME_ALIASES,
                   "code": _townships.CODE_ALIASES, "lon": LON_ALIASES,
                   "lat": LAT_ALIASES, "x": X_ALIASES, "y": Y_ALIASES},
    "communities": {"name": _communities.NAME_ALIASES, "kind": _communities.KIND_ALIASES,
                    "elderly": _townships.ELDERLY_ALIASES, "lon": LON_ALIASES, "lat": LAT_ALIASES},
    "facilities": {"id": _facilities.ID_ALIASES, "name": _facilities.NAME_ALIASES, "type": _facilities.TYPE_ALIASES,
                   "beds": _facilities.BEDS_ALIASES, "nursing_beds": _facilities.NURSING_BEDS_ALIASES,
                   "status": _facilities.STATUS_ALIASES, "lon": LON_ALIASES, "lat": LAT_ALIASES, "x": X_ALIASES,
                   "y": Y_ALIASES},
}
#: fields a layer cannot do without (the dialog marks them)
REQUIRED_FIELDS = {"townships": ("name",), "facilities": ("name", "type"), "population": (), "communities": ("name",),
                   "roads": ()}
#: text encodings offered when detection fails
ENCODINGS = ("utf-8", "gb18030", "gbk", "utf-16", "big5")
PREVIEW_ROWS = 8


@dataclass(frozen=True)
class LayerPreview:
    """One file as the import dialog shows it. ``error`` is the reason it cannot be used as it is (one line),
    else None; ``frame`` the layer as read (None on error)."""

    layer: str
    path: Path
    options: LayerOptions
    error: str | None = None
    features: int = 0
    crs_label: str = ""
    headers: tuple[str, ...] = ()
    columns: Mapping[str, str | None] = field(default_factory=dict)
    rows: tuple[tuple[str, ...], ...] = ()
    sheets: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    bounds_wgs84: tuple[float, float, float, float] | None = None
    frame: gpd.GeoDataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


def preview_layer(layer: str, path: str | Path, options: LayerOptions | None = None, *,
                  townships: gpd.GeoDataFrame | None = None) -> LayerPreview:
    """Read ``path`` as ``layer`` (roads, townships, population, communities, facilities) with ``options``;
    never raises for bad data (the reason is in ``error``). A population table of township counts needs the
    ``townships`` it fills."""
    if layer not in LAYER_FIELDS:
        raise ValueError(f"unknown layer {layer!r}")
    p = Path(path)
    opt = options or LayerOptions()
    sheets, layer_names, headers, rows = _raw_view(p, opt)
    columns = _guess_columns(layer, headers, opt)
    try:
        frame = _read(layer, p, opt, townships=townships)
    except InputError as exc:
        return LayerPreview(layer=layer, path=p, options=opt, error=str(exc), headers=headers, columns=columns, rows=rows,
                            sheets=sheets, layers=layer_names)
    except OSError as exc:
        return LayerPreview(layer=layer, path=p, options=opt, error=f"{p.name}: cannot read: {exc.strerror or exc}",
                            headers=headers, columns=columns, rows=rows, sheets=sheets, layers=layer_names)
    if opt.crs:
        crs_label = describe_crs(opt.crs)
    else:
        crs_label = describe_crs(frame.crs) if frame.crs is not None else ""
    bounds = None
    geoms = frame.geometry
    if len(frame) and not geoms.is_empty.all():
        bounds = tuple(float(v) for v in (geoms if frame.crs is None else geoms.to_crs(WGS84)).total_bounds)
    return LayerPreview(layer=layer, path=p, options=opt, features=len(frame), crs_label=crs_label, headers=headers,
                        columns=columns, rows=rows, sheets=sheets, layers=layer_names,
                        notes=tuple(frame.attrs.get(NOTES_ATTR, [])), bounds_wgs84=bounds, frame=frame)


def _read(layer: str, p: Path, opt: LayerOptions, *, townships: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    from .inputs import read_layer

    if layer == "population":
        if townships is None and is_table_path(p):
            return read_layer(layer, p, opt)
        towns, points = read_population(p, townships=townships if townships is not None else _no_towns(), options=opt)
        return points if points is not None else towns
    return read_layer(layer, p, opt)


def _no_towns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [], "code": [], "elderly": []}, geometry=[], crs=WGS84)


def _raw_view(p: Path, opt: LayerOptions) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Sheets, layers, headers and the first rows of a file as written (empty where it cannot be read)."""
    sheets: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    try:
        if is_table_path(p):
            if p.suffix.lower() in (".xlsx", ".xlsm"):
                import openpyxl

                book = openpyxl.load_workbook(p, read_only=True)
                sheets = tuple(book.sheetnames)
                book.close()
            table = read_table(p, sheet=opt.sheet, encoding=opt.encoding)
            rows = tuple(tuple(cell_text(v) or "" for v in values) for _, values in table.rows[:PREVIEW_ROWS])
            return sheets, names, tuple(table.headers), rows
        if p.suffix.lower() in (".tif", ".tiff") or p.name.lower().endswith((".osm", ".pbf", ".osm.pbf")):
            return sheets, names, (), ()
        names = tuple(str(n) for n, _ in pyogrio.list_layers(p))
        kwargs: dict[str, Any] = {"layer": opt.layer, "max_features": PREVIEW_ROWS}
        if opt.encoding:
            kwargs["encoding"] = opt.encoding
        frame = pyogrio.read_dataframe(p, **kwargs)
        if not opt.encoding and looks_mojibake(p, frame, layer=opt.layer):  # as the reader does: GBK without .cpg
            frame = pyogrio.read_dataframe(p, **kwargs, encoding="gb18030")
        headers = tuple(str(c) for c in frame.columns if c != "geometry")
        rows = tuple(tuple(cell_text(v) or "" for v in rec) for rec in frame[list(headers)].itertuples(index=False))
        return sheets, names, headers, rows
    except Exception:  # noqa: BLE001 - the preview is best effort; preview_layer reports the real reason
        return sheets, names, (), ()


def _guess_columns(layer: str, headers: tuple[str, ...], opt: LayerOptions) -> dict[str, str | None]:
    chosen = opt.column_map
    out: dict[str, str | None] = {}
    for fld in LAYER_FIELDS[layer]:
        if chosen.get(fld):
            out[fld] = chosen[fld]
            continue
        try:
            out[fld] = find_column(list(headers), FIELD_ALIASES[layer][fld], path=None, what=fld, required=False)
        except InputError:
            out[fld] = None
    return out


def import_sources(files: Mapping[str, str | Path | None], options: Mapping[str, LayerOptions], *,
                   snap_m: float | None = None) -> DataSources:
    """The :class:`DataSources` of the dialog's choices (files by layer; roads, townships and facilities
    required), exactly what ``carecircle new --roads … --crs …`` builds."""
    missing = [k for k in ("roads", "townships", "facilities") if not files.get(k)]
    if missing:
        raise InputError(f"choose the {', '.join(missing)} file")
    given = {k: Path(v) for k, v in files.items() if v}
    return DataSources(roads=given["roads"], townships=given["townships"], facilities=given["facilities"],
                       population=given.get("population"), communities=given.get("communities"),
                       options={k: v for k, v in options.items() if k in given and v != LayerOptions()}, snap_m=snap_m)


__all__ = ["ENCODINGS", "FIELD_ALIASES", "LayerPreview", "REQUIRED_FIELDS", "import_sources", "preview_layer"]
