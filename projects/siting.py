"""Siting suggestions on a project: candidates read from a planner's file or generated, the siting run on the
analysis' own model, the result as a new plan scenario of planned facilities, and ``suggestions.csv`` /
``suggestions.gpkg`` (Qt-free; the command line ``carecircle suggest`` and the 选址建议 dialog call this).

    from projects.document import Document
    from projects.siting import suggest, apply_suggestion
    from spatial.siting import SitingParams

    doc = Document.from_sample()
    s = suggest(doc.project, SitingParams(type="day_care", count=5), network=doc.network)
    name = apply_suggestion(doc, s)          # a new scenario 选址建议：日间照料中心 holding the sites, active
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from layers.classes import SCENARIO_STATUSES
from layers.crs import WGS84
from layers.errors import InputError
from layers.facilities import Facility
from layers.tables import (
    LAT_ALIASES,
    LON_ALIASES,
    NOTES_ATTR,
    X_ALIASES,
    Y_ALIASES,
    cell_text,
    find_column,
    is_table_path,
    read_table,
    read_vector,
    table_points_wgs84,
)
from spatial.analysis import CoverageModel
from spatial.feedback import Feedback
from spatial.siting import Candidates, SitingParams, SitingResult, candidates_at, run_siting

from .ccproj import Project

#: headers of a candidate list's name column (the first found wins)
CANDIDATE_NAME_ALIASES = ("name", "名称", "候选点", "候选点名称", "地点", "地址", "建筑名称", "场所名称", "设施名称")
#: the columns of suggestions.csv, in order
SUGGESTION_COLUMNS = ["site", "township", "lon", "lat", "elderly_newly_covered", "cumulative_share", "targets_met"]
_POINT_TYPES = frozenset({"Point", "MultiPoint", "Polygon", "MultiPolygon"})


def read_candidates(path: str | Path, *, crs: str | None = None, sheet: str | int | None = None,
                    encoding: str | None = None, layer: str | None = None,
                    columns: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """A planner's candidate sites (vacant public buildings, community centres): a CSV/XLSX table with lon/lat
    (经度/纬度, or x/y with ``crs``; ``gcj02``/``bd09`` as for facilities) or a vector file of points or polygons
    (their representative points), read by the same readers as the facility list. Columns out: ``name`` (from
    a name column, else 候选点N), geometry in EPSG:4326."""
    p = Path(path)
    chosen = dict(columns or {})
    if is_table_path(p):
        table = read_table(p, sheet=sheet, expect=CANDIDATE_NAME_ALIASES + LON_ALIASES + LAT_ALIASES + X_ALIASES + Y_ALIASES,
                           what="candidate table", encoding=encoding)
        name_col = find_column(list(table.headers), CANDIDATE_NAME_ALIASES, path=p, what="candidate name", required=False,
                               chosen=chosen.get("name"))
        lon, lat = table_points_wgs84(table, crs=crs or "EPSG:4326", what="candidate", columns=chosen)
        raw = [v for _, v in table.column(name_col)] if name_col else [None] * len(lon)
        frame = gpd.GeoDataFrame({"name": [cell_text(v) or f"候选点{i + 1}" for i, v in enumerate(raw)]},
                                 geometry=shapely.points(lon, lat), crs=WGS84)
        frame.attrs[NOTES_ATTR] = list(table.notes)
    else:
        gdf = read_vector(p, layer=layer, what="candidate", geometry_types=_POINT_TYPES, crs=crs, encoding=encoding)
        headers = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        name_col = find_column(headers, CANDIDATE_NAME_ALIASES, path=p, what="candidate name", required=False,
                               chosen=chosen.get("name"))
        geoms = gdf.geometry.to_numpy()
        pts = [g if shapely.get_type_id(g) == 0 else shapely.point_on_surface(g) for g in geoms]
        names = [cell_text(v) or f"候选点{i + 1}" for i, v in enumerate(gdf[name_col] if name_col else [None] * len(gdf))]
        frame = gpd.GeoDataFrame({"name": names}, geometry=gpd.GeoSeries(pts, crs=gdf.crs), crs=gdf.crs).to_crs(WGS84)
        frame.attrs[NOTES_ATTR] = list(gdf.attrs.get(NOTES_ATTR, []))
    if not len(frame):
        raise InputError("the candidate list holds no sites", path=p)
    empty = frame.geometry.is_empty | frame.geometry.isna()
    if empty.any():
        raise InputError(f"{int(empty.sum())} candidate sites have no position", path=p)
    return frame


def siting_model(project: Project, *, scenario: str | None = None, network=None) -> CoverageModel:
    """The analysis state siting starts from: the scenario's facilities (default: the active one) counted as a
    plan scenario counts them (existing and planned; facilities to close leave), on the project's network."""
    inputs = project.inputs(scenario=scenario, network=network)
    params = project.settings.params(statuses=SCENARIO_STATUSES, area_name=project.title)
    model = CoverageModel(inputs, params)
    model.load_facilities(inputs.facilities)
    return model


@dataclass(frozen=True)
class Suggestion:
    """A siting result with what the plan needs: the planned facilities (plan CRS), the scenario they come
    from and the class's label; ``lonlat`` of each site (WGS 84)."""

    result: SitingResult
    facilities: tuple[Facility, ...]
    source_scenario: str
    class_label: str
    lonlat: tuple[tuple[float, float], ...]
    crs: pyproj.CRS


def suggest(project: Project, params: SitingParams, *, scenario: str | None = None,
            candidates: gpd.GeoDataFrame | None = None, network=None, model: CoverageModel | None = None,
            feedback: Feedback | None = None) -> Suggestion:
    """Run siting for ``params`` on ``scenario`` (default the active one) of ``project``: ``candidates`` a frame
    from :func:`read_candidates` (any CRS), else generated. ``model``: a :func:`siting_model` already built."""
    fb = feedback or Feedback()
    scenario = scenario or project.plan.active
    reg = project.settings.params().classes
    if params.type not in reg:
        raise InputError(f"unknown facility class {params.type!r}; use one of {', '.join(reg.ids)}")
    if params.township and params.township not in [str(n) for n in project.townships["name"]]:
        raise InputError(f"no township called {params.township}; the project has: "
                         f"{'、'.join(str(n) for n in project.townships['name'])}")
    fb.progress(0.0, "walking network")
    if model is None:
        model = siting_model(project, scenario=scenario, network=network)
    cands: Candidates | None = None
    if candidates is not None:
        pts = candidates.geometry.to_crs(model.net.crs)
        cands = candidates_at(model, x=pts.x.to_numpy(), y=pts.y.to_numpy(), names=list(candidates["name"]), origin="file")
    try:
        result = run_siting(model, params, candidates=cands, feedback=fb)
    except (ValueError, RuntimeError) as exc:  # bad parameters; HiGHS without a solution
        raise InputError(str(exc)) from None
    label = reg.label(params.type)
    used = {fid for sc in project.plan.scenarios.values() for fid in sc}
    facs, n = [], 1
    for i, s in enumerate(result.sites):
        while f"S{n:04d}" in used:
            n += 1
        fid = f"S{n:04d}"
        used.add(fid)
        where = s.township or ""
        name = s.name if cands is not None and cands.origin == "file" else f"建议{label}{i + 1}（{where}）" if where else f"建议{label}{i + 1}"
        facs.append(Facility(fid, name, params.type, 0, 0, "planned", float(s.x), float(s.y)))
    to_wgs = pyproj.Transformer.from_crs(model.net.crs, WGS84, always_xy=True)
    lon, lat = to_wgs.transform(np.array([s.x for s in result.sites], float), np.array([s.y for s in result.sites], float))
    lonlat = tuple((round(float(a), 7), round(float(b), 7)) for a, b in zip(np.atleast_1d(lon), np.atleast_1d(lat)))
    return Suggestion(result, tuple(facs), scenario, label, lonlat, model.net.crs)


def scenario_name(plan, suggestion: Suggestion) -> str:
    """A free scenario name: 选址建议：<class>, with （2）, （3） … when taken."""
    base = f"选址建议：{suggestion.class_label}"
    name, k = base, 2
    while name in plan.scenarios:
        name, k = f"{base}（{k}）", k + 1
    return name


def apply_suggestion(doc, suggestion: Suggestion, *, name: str | None = None) -> str:
    """Make the suggestion a new plan scenario of ``doc`` (a :class:`projects.document.Document`): a copy of the
    scenario it was computed on with the suggested sites added as planned facilities; the new scenario becomes
    the active one. Returns its name. (The window does the same through undoable commands.)"""
    name = name or scenario_name(doc.plan, suggestion)
    doc.new_scenario(name, copy_of=suggestion.source_scenario)
    doc.use_scenario(name)
    for fac in suggestion.facilities:
        doc.plan.add_facility(fac)
    return name


def suggestions_frame(suggestion: Suggestion) -> pd.DataFrame:
    """The rows of ``suggestions.csv`` in the order chosen (:data:`SUGGESTION_COLUMNS`): the site's name, its
    township, WGS 84 position, the elderly it newly covers (given the sites before it, 0.1 person), the county's
    covered share of the class after it and the target units it meets (``target_id:unit``, ``;``-separated)."""
    rows = []
    for s, fac, (lon, lat) in zip(suggestion.result.sites, suggestion.facilities, suggestion.lonlat):
        rows.append({"site": fac.name, "township": s.township or "", "lon": lon, "lat": lat,
                     "elderly_newly_covered": int(round(s.elderly_newly_covered)),  # whole persons
                     "cumulative_share": round(s.cumulative_share, 4) if math.isfinite(s.cumulative_share) else math.nan,
                     "targets_met": ";".join(s.targets_met)})
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)


def unmet_frame(suggestion: Suggestion) -> pd.DataFrame:
    """Target units the candidates cannot bring to the target: target_id, level, unit, reason, detail."""
    return pd.DataFrame([{"target_id": u.target_id, "level": u.level, "unit": u.unit, "reason": u.reason,
                          "detail": u.detail} for u in suggestion.result.unmet],
                        columns=["target_id", "level", "unit", "reason", "detail"])


def write_suggestions(suggestion: Suggestion, out: str | Path) -> dict[str, Path]:
    """``suggestions.csv`` (UTF-8 with BOM) and ``suggestions.gpkg`` (layer ``suggestions``, EPSG:4326) in
    ``out``; ``unmet.csv`` too when some target units cannot be met."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame = suggestions_frame(suggestion)
    paths = {"suggestions.csv": out / "suggestions.csv", "suggestions.gpkg": out / "suggestions.gpkg"}
    frame.to_csv(paths["suggestions.csv"], index=False, encoding="utf-8-sig")
    gdf = gpd.GeoDataFrame(frame.assign(order=np.arange(1, len(frame) + 1, dtype=np.int64),
                                        type=suggestion.result.params.type),
                           geometry=shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
                           if len(frame) else gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    if paths["suggestions.gpkg"].exists():
        paths["suggestions.gpkg"].unlink()
    gdf.to_file(paths["suggestions.gpkg"], layer="suggestions", driver="GPKG")
    if suggestion.result.unmet:
        paths["unmet.csv"] = out / "unmet.csv"
        unmet_frame(suggestion).to_csv(paths["unmet.csv"], index=False, encoding="utf-8-sig")
    return paths


def summary_lines(suggestion: Suggestion) -> list[str]:
    """A few lines for the command line: what was chosen and how, the coverage before and after, the greedy
    result beside the optimum when both were made, and the notes."""
    r = suggestion.result
    p = r.params
    out = []
    share = (lambda v: f"{v / r.total_elderly:.1%}") if r.total_elderly > 0 else (lambda v: "—")
    what = f"k = {p.count}" if p.objective == "best_k" else "meet the targets"
    out.append(f"{len(r.sites)} sites for {p.type} ({what}) from {r.candidates:,} candidates "
               f"({r.candidates_dropped_near_existing} dropped near an existing facility); method {r.method}")
    out.append(f"counted as in a plan scenario (from {suggestion.source_scenario}): existing and planned facilities, "
               f"those to close left out")
    out.append(f"covered elderly {r.existing_covered:,.0f} ({share(r.existing_covered)}) -> {r.promised_covered:,.0f} "
               f"({share(r.promised_covered)}) of {r.total_elderly:,.0f}")
    if math.isfinite(r.exact_value):
        if p.objective == "best_k":
            out.append(f"greedy {r.greedy_value:,.0f} in {r.greedy_seconds:.3f} s; exact {r.exact_value:,.0f} in "
                       f"{r.exact_seconds:.2f} s ({'optimal' if r.exact_optimal else 'time limit'}); "
                       f"greedy/optimal {r.ratio:.4f}")
        else:
            out.append(f"greedy {r.greedy_value:.0f} sites; exact {r.exact_value:.0f} sites "
                       f"({'optimal' if r.exact_optimal else 'time limit'})")
    elif p.objective == "best_k" and math.isfinite(r.greedy_bound) and r.greedy_bound > 0:
        out.append(f"greedy {r.greedy_value:,.0f} in {r.greedy_seconds:.3f} s; greedy/optimal >= "
                   f"{r.greedy_value / r.greedy_bound:.4f} (upper bound {r.greedy_bound:,.0f}; --exact for the optimum)")
    if r.targets_met_all is not None:
        out.append("every target unit the candidates can reach is met" if r.targets_met_all
                   else f"{len(r.unmet)} target units cannot be met from the candidates (unmet.csv)")
    out.extend(f"note: {n}" for n in r.notes)
    return out
