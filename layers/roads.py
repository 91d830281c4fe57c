"""Road lines for walking networks: OpenStreetMap (.osm XML, .osm.pbf) or the bureau's own line layers."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from .crs import WGS84, parse_crs
from .errors import InputError
from .tables import NOTES_ATTR, VECTOR_SUFFIXES, PathLikeStr, cell_text, find_column, read_vector

#: Highways an elderly pedestrian may use (both directions).
WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "track",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "cycleway",
        "bridleway",
        "corridor",
    }
)
#: Highways walkable only when explicitly open to pedestrians (foot=yes/designated/permissive).
FOOT_TAG_ONLY_HIGHWAYS = frozenset({"trunk", "trunk_link", "motorway", "motorway_link"})
#: Never walkable, whatever the other tags say.
NEVER_WALKABLE_HIGHWAYS = frozenset(
    {"construction", "proposed", "abandoned", "platform", "raceway", "bus_guideway", "escape", "elevator"}
)

_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_FOOT_FORBIDDEN = frozenset({"no", "private"})
_ACCESS_FORBIDDEN = frozenset({"no", "private"})
_OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz", ".o5m")

HIGHWAY_ALIASES = ("highway", "道路等级", "等级", "type", "类型", "道路类型")
NAME_ALIASES = ("name", "名称", "道路名称", "路名")
_LINE_TYPES = frozenset({"LineString", "MultiLineString"})
LEVEL_ALIASES = ("layer", "层", "层次", "立交层")
_OUTPUT_COLUMNS = ["highway", "name", "layer", "geometry"]


def is_walkable(tags: Mapping[str, str]) -> bool:
    """True when an OSM way with these tags can be walked (undirected, for elderly pedestrians)."""
    highway = (tags.get("highway") or "").strip().lower()
    if not highway or highway in NEVER_WALKABLE_HIGHWAYS:
        return False
    foot = (tags.get("foot") or "").strip().lower()
    if foot in _FOOT_FORBIDDEN:
        return False
    foot_allowed = foot in _FOOT_ALLOWED
    if highway in FOOT_TAG_ONLY_HIGHWAYS:
        return foot_allowed
    if highway not in WALKABLE_HIGHWAYS:
        return False
    access = (tags.get("access") or "").strip().lower()
    if access in _ACCESS_FORBIDDEN and not foot_allowed:
        return False
    area = (tags.get("area") or "").strip().lower()
    return not (area == "yes" and highway != "pedestrian")


def read_roads(
    path: PathLikeStr,
    *,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read walkable road lines as ``highway``, ``name``, ``geometry`` (LineStrings, CRS always set).

    ``.osm``/``.osm.pbf``/``.pbf`` files are filtered with :func:`is_walkable` and returned in EPSG:4326,
    one LineString per way (a way cut by the extract's edge keeps each piece with known nodes). Other vector
    files keep all their lines and their own CRS; ``layer`` picks a layer in multi-layer files.
    """
    p = Path(path)
    lowered = p.name.lower()
    if lowered.endswith(_OSM_SUFFIXES):
        if crs is not None:
            stated = parse_crs(crs, path=p)
            if isinstance(stated, str) or not stated.equals(WGS84):
                raise InputError(f"OpenStreetMap files are always in WGS 84 (EPSG:4326); {crs} cannot apply", path=p)
        return _read_osm_roads(p)
    if p.suffix.lower() in VECTOR_SUFFIXES:
        return _read_vector_roads(p, layer=layer, crs=crs, encoding=encoding, columns=columns or {})
    raise InputError(
        f"unknown road file type '{p.suffix}'; use OpenStreetMap .osm/.osm.pbf or a line layer "
        "(.shp, .gpkg, .geojson)",
        path=p,
    )


def _read_osm_roads(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise InputError(f"road file not found: {path}", path=path)
    highways: list[str] = []
    names: list[str | None] = []
    levels: list[int] = []
    coords: list[tuple[float, float]] = []
    line_index: list[int] = []
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        )
        for way in processor:
            tags = {tag.k: tag.v for tag in way.tags}
            if not is_walkable(tags):
                continue
            for run in _located_runs(way.nodes):
                line_index.extend([len(highways)] * len(run))
                coords.extend(run)
                highways.append(tags["highway"].strip().lower())
                names.append(tags.get("name") or tags.get("name:zh") or None)
                levels.append(osm_level(tags))
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:  # libosmium parse/decompress errors
        raise InputError(f"cannot read as an OpenStreetMap file: {_first_line(exc)}", path=path) from exc
    if not highways:
        raise InputError("the OpenStreetMap file contains no walkable roads (highway=* ways)", path=path)
    lines = shapely.linestrings(np.asarray(coords, dtype=float), indices=np.asarray(line_index))
    return _frame(highways, names, lines, crs="EPSG:4326", levels=levels)


def osm_level(tags: Mapping[str, str]) -> int:
    """The vertical level of a way: its ``layer`` tag (a whole number), else -1 for a tunnel, +1 for a bridge,
    0 otherwise. Road noding snaps line ends together only on the same level, so a tunnel ending under a street
    is not joined to it (see :func:`spatial.network.build_network`)."""
    text = (tags.get("layer") or "").strip().replace("+", "")
    try:
        return int(round(float(text.split(";")[0])))
    except ValueError:
        pass
    if (tags.get("tunnel") or "").strip().lower() in ("yes", "culvert"):
        return -1
    if (tags.get("bridge") or "").strip().lower() not in ("", "no"):
        return 1
    return 0


def _located_runs(nodes: Iterable[Any]) -> Iterator[list[tuple[float, float]]]:
    """Consecutive node coordinates with known locations, duplicates removed; runs of < 2 points dropped."""
    run: list[tuple[float, float]] = []
    for node in nodes:
        location = node.location
        if location.valid():
            xy = (location.lon, location.lat)
            if not run or run[-1] != xy:
                run.append(xy)
        else:
            if len(run) >= 2:
                yield run
            run = []
    if len(run) >= 2:
        yield run


def _read_vector_roads(path: Path, *, layer: str | None, crs: str | None = None, encoding: str | None = None,
                       columns: Mapping[str, str] = {}) -> gpd.GeoDataFrame:
    gdf = read_vector(path, layer=layer, what="road", geometry_types=_LINE_TYPES, crs=crs, encoding=encoding)
    geometry = gdf.geometry
    present = ~(geometry.isna() | geometry.is_empty)
    _check_lines(gdf, present=present.to_numpy(), path=path)
    _check_finite(geometry.to_numpy(), path=path)
    headers = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    highway_col = find_column(headers, HIGHWAY_ALIASES, path=path, what="road class", required=False,
                              chosen=columns.get("highway"))
    name_col = find_column(headers, NAME_ALIASES, path=path, what="road name", required=False, chosen=columns.get("name"))
    level_col = find_column(headers, LEVEL_ALIASES, path=path, what="road level", required=False, chosen=columns.get("layer"))
    kept = gdf.loc[present.to_numpy()]
    parts = shapely.get_parts(shapely.force_2d(kept.geometry.to_numpy()), return_index=True)
    lines, source = parts
    highway_values = kept[highway_col].to_numpy() if highway_col else np.full(len(kept), None, dtype=object)
    name_values = kept[name_col].to_numpy() if name_col else np.full(len(kept), None, dtype=object)
    level_values = kept[level_col].to_numpy() if level_col else np.zeros(len(kept), dtype=object)
    good = (shapely.length(lines) > 0) & (shapely.get_num_coordinates(lines) >= 2)
    lines, source = lines[good], source[good]
    if len(lines) == 0:
        raise InputError("the road layer has no usable lines (all empty or zero length)", path=path)
    highways = [cell_text(highway_values[i]) for i in source]
    names = [cell_text(name_values[i]) for i in source]
    levels = [_level(level_values[i]) for i in source]
    out = _frame(highways, names, lines, crs=gdf.crs, levels=levels)
    out.attrs[NOTES_ATTR] = list(gdf.attrs.get(NOTES_ATTR, []))
    return out


def _check_lines(gdf: gpd.GeoDataFrame, *, present: np.ndarray, path: Path) -> None:
    types = gdf.geometry.geom_type.to_numpy()
    for i, (geom_type, is_present) in enumerate(zip(types, present)):
        if is_present and geom_type not in _LINE_TYPES:
            raise InputError(
                f"the road layer must contain lines, but feature {i + 1} is a {geom_type}", path=path, row=i + 1
            )


def _check_finite(geometries: np.ndarray, *, path: Path) -> None:
    """A line with a NaN/infinite vertex would be dropped silently (its length is NaN): refuse it by feature."""
    coords, index = shapely.get_coordinates(shapely.force_2d(geometries), return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        row = int(index[bad][0]) + 1
        raise InputError(
            "the road line has coordinates that are not finite numbers (NaN or infinity)", path=path, row=row
        )


def _level(value: Any) -> int:
    text = cell_text(value)
    try:
        return int(round(float(text))) if text is not None else 0
    except ValueError:
        return 0


def _frame(highways: list[Any], names: list[Any], lines: Any, *, crs: Any, levels: list[int] | None = None) -> gpd.GeoDataFrame:
    data = {
        "highway": pd.Series(highways, dtype=object),
        "name": pd.Series(names, dtype=object),
        "layer": pd.Series(levels if levels is not None else [0] * len(highways), dtype="int64"),
    }
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(lines, crs=crs), crs=crs)[_OUTPUT_COLUMNS]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["FOOT_TAG_ONLY_HIGHWAYS", "NEVER_WALKABLE_HIGHWAYS", "WALKABLE_HIGHWAYS", "is_walkable", "read_roads"]
