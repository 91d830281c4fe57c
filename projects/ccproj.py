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

Reading never lets a low-level error through: an empty, foreign or damaged file, a missing or malformed
key, a bad CRS or setting or a facilities layer without its columns all give one :class:`InputError` line
naming the file. Saving reports anything that stops the write as one :class:`OSError` line naming the file
(the previous file is left as it was).
"""
from __future__ import annotations

import errno
import json
import math
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
from spatial.network import DEFAULT_SNAP_M, build_network

from .outputs import atomic_write
from .plan import BASELINE, Facility, PlanModel
from .profiles import available_profiles, load_profile, profile_from_dict, profile_to_dict

SCHEMA_VERSION = 3
SUFFIX = ".ccproj"
META_TABLE = "carecircle_meta"
INPUT_LAYERS = ("roads", "townships", "population", "communities")
#: the columns of the ``facilities`` layer (besides its geometry)
FACILITY_COLUMNS = ("scenario", "facility_id", "name", "type", "beds", "nursing_beds", "status")
#: meta keys every schema version has; the others default (title: the file's name, baseline/active: 现状)
REQUIRED_META = ("schema_version", "crs", "settings", "scenarios")
_SQLITE_HEADER = b"SQLite format 3\x00"

#: schema upgrades: MIGRATIONS[v] turns a version-v ``meta`` dict (and its layers) into version v+1
MIGRATIONS: dict[int, Callable[[dict, dict[str, gpd.GeoDataFrame]], None]] = {}


def _migrate_1_to_2(meta: dict, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Version 1 kept a profile as one set of flags. Version 2 keeps targets with a level and a source: a
    bundled profile is replaced by its current text; a custom one is converted flag by flag (the invented
    90 % covered-share target is dropped: no plan sets one). Version 1 checked both bed figures on the
    nursing homes' beds, so both bed targets count institutional beds (养老机构床位). The elderly basis
    becomes a setting (census: resident)."""
    settings = meta.setdefault("settings", {})
    old = settings.get("profile", {})
    if not isinstance(old, dict):
        raise InputError("the project's settings hold no profile table")
    name = str(old.get("name", "custom"))
    if name in available_profiles():
        new = profile_to_dict(load_profile(name))
    else:
        targets = []
        note = "从旧版项目文件迁移（原为乡镇逐一检查）"
        if old.get("beds_per_1000_min") is not None:
            targets.append({"id": "beds-per-1000", "indicator": "beds_per_1000", "level": "county", "beds": "institutional",
                            "figure": _number(old["beds_per_1000_min"], "profile beds_per_1000_min"), "note": note})
        if old.get("nursing_share_min") is not None:
            targets.append({"id": "nursing-share", "indicator": "nursing_share", "level": "county", "beds": "institutional",
                            "figure": _number(old["nursing_share_min"], "profile nursing_share_min"), "note": note})
        if old.get("day_care_every_township"):
            targets.append({"id": "day-care-every-township", "indicator": "present_in_every", "level": "township",
                            "classes": ["day_care"], "figure": 1.0, "note": note})
        if old.get("meal_point_every_urban_community"):
            targets.append({"id": "meal-point-every-urban-community", "indicator": "reachable_from_every",
                            "level": "urban_community", "classes": ["meal_point"], "figure": 1.0, "note": note})
        new = {"name": name, "title": str(old.get("title", "")), "document": str(old.get("source", "")),
               "coverage_minutes": _number(old.get("coverage_minutes", 15.0), "profile coverage_minutes"), "target": targets}
    settings["profile"] = new
    settings.setdefault("elderly_basis", "resident")


MIGRATIONS[1] = _migrate_1_to_2


def _migrate_2_to_3(meta: dict, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Version 3 keeps how each source file was read (``imports``), what reading found (``notes``) and the
    road snapping distance. Version 2 joined road lines only where their coordinates agreed to the millimetre:
    a migrated project keeps that (``snap_m`` 0), so its figures do not change on opening."""
    meta.setdefault("imports", {})
    meta.setdefault("notes", [])
    meta.setdefault("settings", {}).setdefault("snap_m", 0.0)


MIGRATIONS[2] = _migrate_2_to_3


#: the road snapping distance a project may set (metres): beyond, separate streets would be joined
MAX_SNAP_M = 10.0


def check_snap_m(value: float) -> float:
    """The road snapping distance, checked: a finite number of metres from 0 to :data:`MAX_SNAP_M`."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= MAX_SNAP_M):
        raise InputError(f"the road snapping distance must be 0–{MAX_SNAP_M:g} m, not {value}")
    return float(value)


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
    #: road noding tolerance: line ends and vertices this close are joined, undershoots closed (metres)
    snap_m: float = DEFAULT_SNAP_M

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
                "gap_cell_m": self.gap_cell_m, "snap_m": self.snap_m}

    @classmethod
    def from_dict(cls, d: dict) -> "Settings":
        """Settings from their saved form; InputError (one line, no file name) when a key is missing or wrong."""
        if not isinstance(d, dict):
            raise InputError("the project's settings are not a table of keys")
        missing = [k for k in ("profile", "minutes", "speed_kmh") if k not in d]
        if missing:
            raise InputError(f"the project's settings lack {', '.join(missing)}")
        if not isinstance(d["profile"], dict):
            raise InputError("the project's settings hold no profile table")
        minutes = d["minutes"]
        if not isinstance(minutes, list) or not minutes:
            raise InputError(f"settings: minutes must be a list of numbers, not {_short(minutes)}")
        return cls(profile=profile_from_dict(dict(d["profile"])),
                   minutes=tuple(_number(m, "minutes") for m in minutes),
                   speed_kmh=_number(d["speed_kmh"], "speed_kmh"), buffer_m=_number(d.get("buffer_m", 50.0), "buffer_m"),
                   elderly_basis=_text(d.get("elderly_basis", "resident"), "elderly_basis"),
                   cell_m=_number(d.get("cell_m", 10.0), "cell_m"), gap_cell_m=_number(d.get("gap_cell_m", 25.0), "gap_cell_m"),
                   snap_m=_number(d.get("snap_m", DEFAULT_SNAP_M), "snap_m"))

    def check(self) -> None:
        """The checks an analysis makes, now (InputError, one line)."""
        self.params()
        try:
            check_snap_m(self.snap_m)
        except InputError as exc:
            raise InputError(f"invalid project settings: {exc}") from None

    def network(self, roads: gpd.GeoDataFrame):
        """The walking network of ``roads`` with these settings' noding tolerance."""
        self.check()
        return build_network(roads, snap_m=self.snap_m)


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: object, what: str) -> float:
    """A finite number from a saved setting (JSON), or InputError naming the setting."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(f"settings: {what} must be a number, not {_short(value)}")
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"settings: {what} must be a number, not {_short(value)}") from None
    if not math.isfinite(number):
        raise InputError(f"settings: {what} must be a finite number, not {_short(value)}")
    return number


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"settings: {what} must be text, not {_short(value)}")
    return value


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
    #: how each source file was read (see :class:`projects.inputs.LayerOptions`), by layer
    imports: dict[str, dict] = field(default_factory=dict)
    #: what reading and checking the layers found, kept with the project and listed among the warnings
    notes: list[str] = field(default_factory=list)

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
            network=network if network is not None else self.settings.network(self.roads),
            townships=self.townships, facilities=self.plan.frame(scenario), population=self.population,
            communities=self.communities, notes=tuple(self.notes),
        )


# ------------------------------------------------------------------------------------------- saving


def save_project(project: Project, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically (temporary file + rename). Anything that stops the write (a
    folder in the way, no permission, a full disk, a GeoPackage writer error) raises :class:`OSError` whose
    text is one line naming the file; the previous file at ``path`` is then left as it was."""
    path = Path(path)
    if not _is_dir(path) and path.suffix.lower() != SUFFIX:
        path = path.with_suffix(SUFFIX)
    try:
        if path.is_dir():  # also a folder given without the suffix: never write a sibling of it instead
            raise IsADirectoryError(errno.EISDIR, f"it is a folder; give a file name ending in {SUFFIX}")
        return atomic_write(path, lambda tmp: _write(project, tmp, base=path.parent), suffix=".gpkg")
    except (OSError, RuntimeError, sqlite3.Error) as exc:  # RuntimeError: pyogrio's write errors
        raise _save_error(exc, path) from exc


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. no permission to look: not known to be a folder
        return False


def _save_error(exc: BaseException, path: Path) -> OSError:
    """One line for a failed save, keeping the kind of OSError (and its errno) for callers that check it."""
    if isinstance(exc, OSError):
        code, kind = exc.errno, type(exc)
        reason = exc.strerror or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        if isinstance(exc, PermissionError):
            reason = f"permission denied (cannot write in the folder {path.parent})"
        elif not isinstance(exc, IsADirectoryError) and not _is_dir(path.parent):
            blocker = next((p for p in (path.parent, *path.parent.parents) if _exists(p)), None)
            reason = (f"{blocker} is a file, not a folder" if blocker is not None and not _is_dir(blocker)
                      else f"the folder {path.parent} does not exist and cannot be created")
    else:
        code, kind = None, OSError
        lines = str(exc).strip().splitlines()
        reason = f"the GeoPackage could not be written ({lines[0] if lines else type(exc).__name__})"
    err = kind(f"cannot save {path.name or path.absolute().name}: {reason[:1].lower()}{reason[1:]}")
    err.errno = code
    return err


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


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
        "imports": project.imports,
        "notes": project.notes,
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
    try:
        return _load(path)
    except InputError as exc:
        if exc.path is None:
            raise InputError(exc.message, path=path, row=exc.row, column=exc.column) from None
        raise
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, RuntimeError, UnicodeError, sqlite3.Error,
            OSError, pyproj.exceptions.CRSError) as exc:  # a damage no check above foresaw: still one line
        detail = str(exc).strip().splitlines()
        raise InputError(f"the project file is damaged ({type(exc).__name__}: {detail[0] if detail else 'no detail'})",
                         path=path) from exc


def _load(path: Path) -> Project:
    meta = read_meta(path)
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise InputError(f"the project's metadata ({META_TABLE}) lacks {', '.join(missing)}; the file is damaged", path=path)
    version = meta["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"the project's schema_version is not a whole number ({_short(version)})", path=path)
    if version > SCHEMA_VERSION:
        raise InputError(f"this project was saved by a newer CareCircle (schema {version}; this version reads up to {SCHEMA_VERSION})", path=path)
    if version < SCHEMA_VERSION and version not in MIGRATIONS:
        raise InputError(f"cannot upgrade a project of schema version {version}", path=path)
    _check_meta_types(meta, path)
    layers = _read_layers(path)
    while version < SCHEMA_VERSION:
        try:
            MIGRATIONS[version](meta, layers)
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"cannot upgrade this schema-{version} project: its settings are damaged ({exc})", path=path) from None
        version += 1
        meta["schema_version"] = version
    crs = _project_crs(meta["crs"], path)
    settings = Settings.from_dict(meta["settings"])
    settings.check()  # the same checks an analysis makes, now rather than at the first run
    scenarios = list(meta["scenarios"])
    baseline = meta.get("baseline", BASELINE)
    if baseline not in scenarios:
        raise InputError(f"the baseline scenario {baseline} is not among the project's scenarios ({', '.join(scenarios)})", path=path)
    plan = PlanModel.from_records(crs, _facility_records(layers["facilities"], path), scenarios=scenarios, baseline=baseline,
                                  active=meta.get("active", BASELINE))
    basemap = meta.get("basemap")
    return Project(
        title=meta.get("title", path.stem), crs=crs, roads=layers["roads"], townships=layers["townships"], plan=plan,
        settings=settings, population=layers.get("population"), communities=layers.get("communities"),
        basemap=(path.parent / basemap) if basemap else None, sources=dict(meta.get("sources", {})),
        imports=dict(meta.get("imports", {})), notes=list(meta.get("notes", [])),
    )


def _check_meta_types(meta: dict, path: Path) -> None:
    """The shape every schema version shares (checked before a migration touches it)."""
    def bad(key: str, what: str) -> InputError:
        return InputError(f"the project's {key} must be {what}, not {_short(meta[key])}", path=path)

    if not isinstance(meta["crs"], str):
        raise bad("crs", "a coordinate system (WKT text)")
    if not isinstance(meta["settings"], dict):
        raise bad("settings", "a table of keys")
    scenarios = meta["scenarios"]
    if not isinstance(scenarios, list) or not scenarios or not all(isinstance(n, str) and n for n in scenarios):
        raise bad("scenarios", "a list of scenario names")
    if len(set(scenarios)) != len(scenarios):
        raise InputError(f"the project lists a scenario twice ({', '.join(scenarios)})", path=path)
    for key in ("title", "baseline", "active"):
        if key in meta and not isinstance(meta[key], str):
            raise bad(key, "text")
    if meta.get("basemap") is not None and not isinstance(meta["basemap"], str):
        raise bad("basemap", "a file path (text)")
    sources = meta.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        raise bad("sources", "a table of file paths")
    imports = meta.get("imports", {})
    if not isinstance(imports, dict):
        raise bad("imports", "a table of import options by layer")
    from .inputs import LayerOptions, check_options

    try:
        check_options({k: LayerOptions.from_dict(v, what=f"imports.{k}") for k, v in imports.items()})
    except InputError as exc:
        raise InputError(f"the project's {exc}", path=path) from None
    notes = meta.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise bad("notes", "a list of lines")


def _project_crs(value: str, path: Path) -> pyproj.CRS:
    try:
        crs = pyproj.CRS.from_wkt(value)
    except pyproj.exceptions.CRSError:
        raise InputError(f"the project's coordinate system (crs) is not valid WKT ({_short(value)})", path=path) from None
    units = {a.unit_name for a in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter", "m"}:
        raise InputError(f"the project's coordinate system ({crs.name}) is not projected in metres", path=path)
    return crs


def _read_layers(path: Path) -> dict[str, gpd.GeoDataFrame]:
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*non conformant file extension")
            available = {name for name, _ in pyogrio.list_layers(path)}
            layers = {name: pyogrio.read_dataframe(path, layer=name) for name in (*INPUT_LAYERS, "facilities") if name in available}
    except (RuntimeError, OSError, ValueError) as exc:  # pyogrio's errors are RuntimeErrors
        detail = str(exc).strip().splitlines()
        raise InputError(f"the project file is damaged: {detail[0] if detail else type(exc).__name__}", path=path) from None
    for required in ("roads", "townships", "facilities"):
        if required not in layers:
            raise InputError(f"the project has no {required} layer", path=path)
    for name, frame in layers.items():
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
            raise InputError(f"the project's {name} layer has no geometry", path=path)
    return layers


def _facility_records(fac: gpd.GeoDataFrame, path: Path) -> list[dict]:
    """The facilities layer as :meth:`PlanModel.from_records` records, each checked (row = feature number)."""
    missing = [c for c in FACILITY_COLUMNS if c not in fac.columns]
    if missing:
        raise InputError(f"the facilities layer lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}", path=path)
    records, seen = [], set()
    for i, (r, g) in enumerate(zip(fac[list(FACILITY_COLUMNS)].itertuples(index=False), fac.geometry), start=1):
        where = f"the facilities layer, feature {i}"
        try:
            if g is None or g.is_empty or g.geom_type != "Point":
                raise ValueError("its geometry is not a point")
            rec = {"scenario": _cell_text(r.scenario, "scenario"), "fid": _cell_text(r.facility_id, "facility_id"),
                   "name": "" if r.name is None else _cell_text(r.name, "name"), "type": _cell_text(r.type, "type"),
                   "beds": _cell_count(r.beds, "beds"), "nursing_beds": _cell_count(r.nursing_beds, "nursing_beds"),
                   "status": _cell_text(r.status, "status"), "x": float(g.x), "y": float(g.y)}
            Facility(**{k: v for k, v in rec.items() if k != "scenario"})  # the model's own checks, with a row number
        except ValueError as exc:  # InputError is one
            raise InputError(f"{where}: {exc}", path=path) from None
        if (rec["scenario"], rec["fid"]) in seen:
            raise InputError(f"{where}: facility id {rec['fid']} appears twice in scenario {rec['scenario']}", path=path)
        seen.add((rec["scenario"], rec["fid"]))
        records.append(rec)
    return records


def _cell_text(value: object, column: str) -> str:
    if not isinstance(value, str) or (column != "name" and not value):
        raise ValueError(f"{column} is empty or not text ({_short(value)})")
    return value


def _cell_count(value: object, column: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{column} is not a number ({_short(value)})") from None
    if not number.is_integer():
        raise ValueError(f"{column} is not a whole number ({_short(value)})")
    return int(number)


def read_meta(path: Path) -> dict:
    """The ``carecircle_meta`` table as a dict (values decoded from JSON); InputError naming the file when the
    file is not a SQLite/GeoPackage file, has no such table, or holds a value that is not JSON."""
    path = Path(path)
    try:
        if path.is_dir():
            raise InputError("this is a folder, not a CareCircle project file (.ccproj)", path=path)
        if not path.is_file():
            raise InputError("project file not found", path=path)
        with open(path, "rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
        raise InputError(f"cannot read the project file ({reason})", path=path) from None
    if not header:
        raise InputError("not a CareCircle project (.ccproj): the file is empty", path=path)
    if header != _SQLITE_HEADER:
        raise InputError("not a CareCircle project (.ccproj): the file is not a GeoPackage", path=path)
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            con.text_factory = bytes  # decoded below, so bad UTF-8 is reported like any other damage
            if not con.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (META_TABLE,)).fetchone():
                raise InputError(f"not a CareCircle project (.ccproj): the file has no {META_TABLE} table", path=path)
            columns = {row[1] for row in con.execute(f"PRAGMA table_info({META_TABLE})")}
            if not {b"key", b"value"} <= columns and not {"key", "value"} <= columns:
                raise InputError(f"the project's {META_TABLE} table lacks its key and value columns; the file is damaged", path=path)
            rows = con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise InputError(f"not a CareCircle project (.ccproj) or the file is damaged ({exc})", path=path) from None
    meta = {}
    for key, value in rows:
        try:
            k = key.decode("utf-8") if isinstance(key, bytes) else str(key)
        except UnicodeDecodeError:
            raise InputError(f"the project's {META_TABLE} table holds a key that is not UTF-8 text", path=path) from None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            meta[k] = value  # a bare SQLite number is its own JSON
            continue
        if value is None:
            raise InputError(f"the project's {k} is empty in {META_TABLE}; the file is damaged", path=path)
        try:
            text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        except UnicodeDecodeError:
            raise InputError(f"the project's {k} in {META_TABLE} is not UTF-8 text; the file is damaged", path=path) from None
        try:
            meta[k] = json.loads(text)
        except ValueError as exc:  # JSONDecodeError is a ValueError
            raise InputError(f"the project's {k} in {META_TABLE} is not valid JSON ({exc}); the file is damaged", path=path) from None
    return meta


def project_from_inputs(title: str, inputs: AnalysisInputs, *, profile: StandardProfile | str, sources: dict[str, Path | None] | None = None,
                        base: Path | None = None, roads: gpd.GeoDataFrame | None = None,
                        imports: dict[str, dict] | None = None) -> Project:
    """A new project from loaded inputs: the facilities become the baseline scenario."""
    crs = inputs.network.crs
    prof = load_profile(profile) if isinstance(profile, str) else profile
    road_lines = roads if roads is not None else inputs.roads if inputs.roads is not None else _network_lines(inputs.network)
    rel = {k: _relative(Path(v), base) if base is not None else str(v) for k, v in (sources or {}).items() if v is not None}
    return Project(
        title=title, crs=crs, roads=road_lines.to_crs(crs), townships=inputs.townships.to_crs(crs),
        plan=PlanModel.from_frame(inputs.facilities, crs=crs), settings=Settings(profile=prof),
        population=inputs.population.to_crs(crs) if inputs.population is not None else None,
        communities=inputs.communities.to_crs(crs) if inputs.communities is not None else None, sources=rel,
        imports={k: v for k, v in (imports or {}).items() if v}, notes=list(inputs.notes),
    )


def _network_lines(net) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"highway": net.highway, "name": net.name}, geometry=net.edge_lines, crs=net.crs)


def recovery_path(path: Path) -> Path:
    """Where the autosave of a project file goes (beside it, hidden)."""
    return path.parent / f".{path.stem}.recovery{SUFFIX}"
