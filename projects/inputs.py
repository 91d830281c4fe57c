"""Which files make up an analysis, and reading them into :class:`spatial.analysis.AnalysisInputs`.

Shared by the command line, the GUI and (later) the project file, so every front-end reads data the same way.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from layers.communities import read_communities
from layers.errors import InputError
from layers.facilities import read_facilities
from layers.population import read_population_points, read_population_raster
from layers.roads import read_roads
from layers.tables import LAT_ALIASES, LON_ALIASES, X_ALIASES, Y_ALIASES, find_column, is_table_path, read_table
from layers.townships import apply_elderly_table, read_townships
from spatial.analysis import AnalysisInputs
from spatial.feedback import Feedback
from spatial.network import build_network

from .profiles import DEFAULT_PROFILE

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
RASTER_SUFFIXES = frozenset({".tif", ".tiff"})


@dataclass(frozen=True)
class DataSources:
    """Paths of the input layers (absolute, or relative to ``base_dir``)."""

    roads: Path
    townships: Path
    facilities: Path
    population: Path | None = None
    communities: Path | None = None
    facilities_crs: str = "EPSG:4326"
    population_share: float | None = None
    base_dir: Path | None = None

    def resolve(self, path: Path | None) -> Path | None:
        if path is None:
            return None
        p = Path(path)
        return p if p.is_absolute() or self.base_dir is None else self.base_dir / p


@dataclass(frozen=True)
class SampleInfo:
    title: str
    profile: str
    sources: DataSources
    elderly_basis: str = "resident"


def sample_info(location: Path = SAMPLE_DIR) -> SampleInfo:
    """A data-set manifest: a folder's ``sample.toml`` (default: the bundled sample county) or a ``.toml``
    file of the same keys; paths inside are relative to its folder."""
    location = Path(location)
    manifest = location if location.suffix.lower() == ".toml" else location / "sample.toml"
    sample_dir = manifest.parent
    if not manifest.is_file():
        hint = "the bundled sample is missing; run tools/make_sample.py" if sample_dir == SAMPLE_DIR else "manifest not found"
        raise InputError(hint, path=manifest)
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the manifest: {exc}", path=manifest) from None
    missing = [k for k in ("roads", "townships", "facilities") if not data.get(k)]
    if missing:
        raise InputError(f"the manifest names no {', '.join(missing)} file", path=manifest)
    src = DataSources(
        roads=Path(data["roads"]),
        townships=Path(data["townships"]),
        facilities=Path(data["facilities"]),
        population=Path(data["population"]) if data.get("population") else None,
        communities=Path(data["communities"]) if data.get("communities") else None,
        facilities_crs=data.get("facilities_crs", "EPSG:4326"),
        base_dir=sample_dir,
    )
    basis = str(data.get("elderly_basis", "resident"))
    if basis not in ("resident", "registered"):
        raise InputError(f"elderly_basis must be resident (常住) or registered (户籍), not {basis!r}", path=manifest)
    return SampleInfo(title=data.get("title", "sample"), profile=data.get("profile", DEFAULT_PROFILE), sources=src,
                      elderly_basis=basis)


def load_inputs(sources: DataSources, *, feedback: Feedback | None = None) -> AnalysisInputs:
    """Read every layer, build the walking network and return the analysis inputs.

    Raises :class:`InputError` (one human line naming the file) for bad data."""
    fb = feedback or Feedback()
    r = sources.resolve
    fb.progress(0.0, "reading roads")
    roads = read_roads(r(sources.roads))
    fb.progress(0.3, "building the walking network")
    net = build_network(roads)
    fb.progress(0.6, "reading townships")
    townships = read_townships(r(sources.townships))
    population = None
    if sources.population is not None:
        fb.progress(0.7, "reading population")
        townships, population = read_population(r(sources.population), townships=townships, share=sources.population_share)
    fb.progress(0.8, "reading facilities")
    facilities = read_facilities(r(sources.facilities), crs=sources.facilities_crs)
    communities = None
    if sources.communities is not None:
        fb.progress(0.9, "reading communities")
        communities = read_communities(r(sources.communities))
    fb.progress(1.0, "inputs ready")
    return AnalysisInputs(network=net, townships=townships, facilities=facilities, population=population, communities=communities)


def read_population(
    path: Path, *, townships: gpd.GeoDataFrame, share: float | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """Population in any of its three forms: a GeoTIFF (people per cell), points (vector, or a table with
    coordinates) or a table of township counts (no coordinates: fills the townships' ``elderly``).

    Returns ``(townships, points)``; ``points`` is None for a township table."""
    path = Path(path)
    if path.suffix.lower() in RASTER_SUFFIXES:
        return townships, read_population_raster(path, share=share)
    if is_table_path(path):
        table = read_table(path, what="population table")
        has_xy = any(
            find_column(table.headers, aliases, path=path, what="coordinate", required=False)
            for aliases in (LON_ALIASES, LAT_ALIASES, X_ALIASES, Y_ALIASES)
        )
        if not has_xy:
            return apply_elderly_table(townships, path), None
    return townships, read_population_points(path)

