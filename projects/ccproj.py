"""The ``.ccproj`` project file: one GeoPackage holding every layer, the settings, the profile and the
plan's scenarios (Qt-free).

Layout (a valid GeoPackage; QGIS opens the layers):

* feature tables ``roads``, ``townships``, ``population``, ``communities`` (when present) and
  ``facilities`` (all scenarios, with a ``scenario`` column; coordinates in the project CRS, exact);
* an attribute table ``carecircle_meta`` (``key``, ``value`` as JSON): ``schema_version``, ``title``,
  ``crs``, ``settings`` (profile, minutes, speed, buffer), ``scenarios``, ``baseline``, ``active``,
  ``basemap`` and ``sources`` (paths relative to the project file's folder, for anything external).

Saving is atomic: everything is written to a temporary file beside the target, flushed, then renamed over
it, so an interrupted save leaves the previous file as it was. Older schema versions are upgraded by the
functions in :data:`MIGRATIONS` when read; a newer file is refused with a clear message.
"""
from __future__ import annotations

import json
import os
import warnings
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from layers.errors import InputError
from spatial.analysis import AnalysisInputs, AnalysisParams
from layers.classes import BASELINE_STATUSES
from spatial.indicators import StandardProfile
from spatial.network import build_network

from .outputs import atomic_write
from .plan import BASELINE, PlanModel
from .profiles import available_profiles, load_profile, profile_from_dict, profile_to_dict

SCHEMA_VERSION = 2
SUFFIX = ".ccproj"
META_TABLE = "carecircle_meta"
INPUT_LAYERS = ("roads", "townships", "population", "communities")

#: schema upgrades: MIGRATIONS[v] turns a version-v ``meta`` dict (and its layers) into version v+1
MIGRATIONS: dict[int, Callable[[dict, dict[str, gpd.GeoDataFrame]], None]] = {}


def _migrate_1_to_2(meta: dict, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Version 1 kept a profile as one set of flags. Version 2 keeps targets with a level and a source: a
    bundled profile is replaced by its current text; a custom one is converted flag by flag (the invented
    90 % covered-share target is dropped: no plan sets one). The elderly basis becomes a setting (census:
    resident)."""
    settings = meta.setdefault("settings", {})
    old = dict(settings.get("profile", {}))
    name = str(old.get("name", "custom"))
    if name in available_profiles():
        new = profile_to_dict(load_profile(name))
    else:
        targets = []
        note = "从旧版项目文件迁移（原为乡镇逐一检查）"
        if old.get("beds_per_1000_min") is not None:
            targets.append({"id": "beds-per-1000", "indicator": "beds_per_1000", "level": "county",
                            "figure": float(old["beds_per_1000_min"]), "note": note})
        if old.get("nursing_share_min") is not None:
            targets.append({"id": "nursing-share", "indicator": "nursing_share", "level": "county", "beds": "institutional",
                            "figure": float(old["nursing_share_min"]), "note": note})
        if old.get("day_care_every_township"):
            targets.append({"id": "day-care-every-township", "indicator": "present_in_every", "level": "township",
                            "classes": ["day_care"], "figure": 1.0, "note": note})
        if old.get("meal_point_every_urban_community"):
            targets.append({"id": "meal-point-every-urban-community", "indicator": "reachable_from_every",
                            "level": "urban_community", "classes": ["meal_point"], "figure": 1.0, "note": note})
        new = {"name": name, "title": str(old.get("title", "")), "document": str(old.get("source", "")),
               "coverage_minutes": float(old.get("coverage_minutes", 15.0)), "target": targets}
    settings["profile"] = new
    settings.setdefault("elderly_basis", "resident")


MIGRATIONS[1] = _migrate_1_to_2


@dataclass
class Settings:
    profile: StandardProfile
    minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
    speed_kmh: float = 3.6
    buffer_m: float = 50.0
    #: the elderly the population layers count: resident (常住, the census) or registered (户籍)
    elderly_basis: str = "resident"
    #: raster cells of the circles and of the gap areas, metres
    cell_m: float = 10.0
    gap_cell_m: float = 25.0

    def params(self, *, statuses: tuple[str, ...] = BASELINE_STATUSES, area_name: str = "") -> AnalysisParams:
        try:
            return AnalysisParams(profile=self.profile, minutes=self.minutes, speed_kmh=self.speed_kmh, buffer_m=self.buffer_m,
                                  elderly_basis=self.elderly_basis, statuses=statuses, area_name=area_name,
                                  cell_m=self.cell_m, gap_cell_m=self.gap_cell_m)
        except ValueError as exc:
            raise InputError(f"invalid project settings: {exc}") from None

    def to_dict(self) -> dict:
        return {"profile": profile_to_dict(self.profile), "minutes": list(self.minutes), "speed_kmh": self.speed_kmh,
                "buffer_m": self.buffer_m, "elderly_basis": self.elderly_basis, "cell_m": self.cell_m,
                "gap_cell_m": self.gap_cell_m}

    @classmethod
    def from_dict(cls, d: dict) -> "Settings":
        try:
            return cls(profile=profile_from_dict(dict(d["profile"])), minutes=tuple(float(m) for m in d["minutes"]),
                       speed_kmh=float(d["speed_kmh"]), buffer_m=float(d.get("buffer_m", 50.0)),
                       elderly_basis=str(d.get("elderly_basis", "resident")), cell_m=float(d.get("cell_m", 10.0)),
                       gap_cell_m=float(d.get("gap_cell_m", 25.0)))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"the project's settings are incomplete or damaged ({exc})") from None


@dataclass
class Project:
    """Everything a planner saves: input layers (in ``crs``), the plan and the settings."""

    title: str
    crs: pyproj.CRS
    roads: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    plan: PlanModel
    settings: Settings
    population: gpd.GeoDataFrame | None = None
    communities: gpd.GeoDataFrame | None = None
    basemap: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def params(self, *, scenario: str | None = None) -> AnalysisParams:
        """Analysis parameters for a scenario (default: the active one): the baseline counts existing
        facilities, a plan scenario existing and planned ones."""
        from .live import statuses_for

        name = scenario or self.plan.active
        return self.settings.params(statuses=statuses_for(name, baseline=self.plan.baseline), area_name=self.title)

    def inputs(self, *, scenario: str | None = None, network=None) -> AnalysisInputs:
        """Analysis inputs for a scenario (default: the active one). Pass ``network`` to reuse a built one."""
        if scenario is not None and scenario not in self.plan.scenarios:
            raise InputError(f"no scenario called {scenario}; the project has: {', '.join(self.plan.scenarios)}")
        return AnalysisInputs(
            network=network if network is not None else build_network(self.roads),
            townships=self.townships, facilities=self.plan.frame(scenario), population=self.population,
            communities=self.communities,
        )


# ------------------------------------------------------------------------------------------- saving


def save_project(project: Project, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    if path.suffix.lower() != SUFFIX:
        path = path.with_suffix(SUFFIX)
    return atomic_write(path, lambda tmp: _write(project, tmp, base=path.parent), suffix=".gpkg")


def _write(project: Project, tmp: Path, *, base: Path) -> None:
    layers: dict[str, gpd.GeoDataFrame] = {"roads": project.roads, "townships": project.townships}
    if project.population is not None:
        layers["population"] = project.population
    if project.communities is not None:
        layers["communities"] = project.communities
    recs = project.plan.records()
    fac = gpd.GeoDataFrame(
        pd.DataFrame(recs, columns=["scenario", "fid", "name", "type", "beds", "nursing_beds", "status", "x", "y"]),
        geometry=gpd.points_from_xy([r["x"] for r in recs], [r["y"] for r in recs]), crs=project.crs,
    ).drop(columns=["x", "y"]).rename(columns={"fid": "facility_id"})  # "fid" is the GeoPackage's own key
    layers["facilities"] = fac
    for name, frame in layers.items():
        out = frame.to_crs(project.crs)
        pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG", geometry_type=None if len(out) else "Point")
    meta = {
        "schema_version": SCHEMA_VERSION,
        "title": project.title,
        "crs": project.crs.to_wkt(),
        "settings": project.settings.to_dict(),
        "scenarios": list(project.plan.scenarios),
        "baseline": project.plan.baseline,
        "active": project.plan.active,
        "basemap": _relative(project.basemap, base),
        "sources": project.sources,
    }
    con = sqlite3.connect(tmp)
    try:
        con.execute(f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
        con.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?)", [(k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()])
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?, 'attributes', ?, ?)",
            (META_TABLE, META_TABLE, "CareCircle project settings"),
        )
        con.commit()
    finally:
        con.close()


def _relative(p: Path | None, base: Path) -> str | None:
    if p is None:
        return None
    try:
        return Path(os.path.relpath(Path(p).resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive on Windows: keep it as it is
        return Path(p).as_posix()


# ------------------------------------------------------------------------------------------ loading


def load_project(path: str | Path) -> Project:
    """Read a ``.ccproj``; InputError (one line naming the file) when it is not one or is damaged."""
    path = Path(path)
    if not path.is_file():
        raise InputError("project file not found", path=path)
    meta = read_meta(path)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*non conformant file extension")
            available = {name for name, _ in pyogrio.list_layers(path)}
            layers = {name: pyogrio.read_dataframe(path, layer=name) for name in (*INPUT_LAYERS, "facilities") if name in available}
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"the project file is damaged: {str(exc).splitlines()[0]}", path=path) from None
    version = int(meta.get("schema_version", 0))
    if version > SCHEMA_VERSION:
        raise InputError(f"this project was saved by a newer CareCircle (schema {version}; this version reads up to {SCHEMA_VERSION})", path=path)
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise InputError(f"cannot upgrade a project of schema version {version}", path=path)
        MIGRATIONS[version](meta, layers)
        version += 1
        meta["schema_version"] = version
    for required in ("roads", "townships", "facilities"):
        if required not in layers:
            raise InputError(f"the project has no {required} layer", path=path)
    crs = pyproj.CRS.from_wkt(meta["crs"])
    fac = layers["facilities"]
    records = [
        {"scenario": r.scenario, "fid": r.facility_id, "name": r.name, "type": r.type, "beds": int(r.beds),
         "nursing_beds": int(r.nursing_beds), "status": r.status, "x": g.x, "y": g.y}
        for r, g in zip(fac.drop(columns="geometry").itertuples(index=False), fac.geometry)
    ]
    plan = PlanModel.from_records(crs, records, scenarios=list(meta["scenarios"]), baseline=meta.get("baseline", BASELINE),
                                  active=meta.get("active", BASELINE))
    basemap = meta.get("basemap")
    return Project(
        title=meta.get("title", path.stem), crs=crs, roads=layers["roads"], townships=layers["townships"], plan=plan,
        settings=Settings.from_dict(meta["settings"]), population=layers.get("population"), communities=layers.get("communities"),
        basemap=(path.parent / basemap) if basemap else None, sources=dict(meta.get("sources", {})),
    )


def read_meta(path: Path) -> dict:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        raise InputError("not a CareCircle project (.ccproj) or the file is damaged", path=path) from None
    return {k: json.loads(v) for k, v in rows}


def project_from_inputs(title: str, inputs: AnalysisInputs, *, profile: StandardProfile | str, sources: dict[str, Path | None] | None = None,
                        base: Path | None = None, roads: gpd.GeoDataFrame | None = None) -> Project:
    """A new project from loaded inputs: the facilities become the baseline scenario."""
    crs = inputs.network.crs
    prof = load_profile(profile) if isinstance(profile, str) else profile
    road_lines = roads if roads is not None else _network_lines(inputs.network)
    rel = {k: _relative(Path(v), base) if base is not None else str(v) for k, v in (sources or {}).items() if v is not None}
    return Project(
        title=title, crs=crs, roads=road_lines.to_crs(crs), townships=inputs.townships.to_crs(crs),
        plan=PlanModel.from_frame(inputs.facilities, crs=crs), settings=Settings(profile=prof),
        population=inputs.population.to_crs(crs) if inputs.population is not None else None,
        communities=inputs.communities.to_crs(crs) if inputs.communities is not None else None, sources=rel,
    )


def _network_lines(net) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"highway": net.highway, "name": net.name}, geometry=net.edge_lines, crs=net.crs)


def recovery_path(path: Path) -> Path:
    """Where the autosave of a project file goes (beside it, hidden)."""
    return path.parent / f".{path.stem}.recovery{SUFFIX}"
