"""Comparing two scenarios of a plan as one analysis unit (Qt-free): declared inputs and parameters in
(:class:`CompareParams`), an immutable :class:`Comparison` out.

``run_comparison(inputs, facilities_by_scenario, params, base=..., other=..., baseline=..., feedback=...)``
is what the window's worker, ``carecircle compare`` and the tests call. It analyses both scenarios on the
same network and demand, each counting what its kind counts (the plan's baseline 现状 its existing
facilities, a plan scenario existing and planned ones), and sets them side by side:

* :attr:`Comparison.table`: per township and facility class (and a 合计 row per class), the covered share
  and covered elderly of both scenarios, their change (``delta_pp`` in percentage points: 0.40 -> 0.432
  is +3.2), and the missed targets of both as target ids and as Chinese target labels;
* :attr:`Comparison.areas`: per class, the area newly covered (``gained``) and newly left uncovered
  (``lost``) at the profile's minutes, in the network's metric CRS (the map's).

:func:`comparison_frame_zh` gives the table with Chinese headers (``comparison.csv``; the workbook's 方案对比
sheet shows the same columns as numbers with cell formats): the change of the covered share as text in
百分点 with its sign (``+3.2 百分点``), people as whole persons (townships rounded so that they add up to the
合计, see :func:`spatial.analysis.coverage_frame`). :func:`write_comparison` writes ``comparison.csv`` and
``changes.gpkg`` atomically.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.classes import ClassRegistry
from layers.crs import WGS84
from layers.errors import InputError
from spatial.analysis import TOTAL_ROW, AnalysisInputs, AnalysisParams, CoverageModel, coverage_frame
from spatial.feedback import Feedback
from spatial.isochrones import circle_polygons
from spatial.targets import StandardProfile, target_label

from .outputs import write_csv_bom, write_gpkg_layers

#: the columns of :attr:`Comparison.table`, in order
TABLE_COLUMNS = [
    "township", "type", "type_label", "elderly",
    "base_covered", "other_covered", "delta_covered",
    "base_share", "other_share", "delta_share", "delta_pp",
    "base_flags", "other_flags", "base_flag_labels", "other_flag_labels", "changed",
]
#: the Chinese table (``comparison.csv``): table column -> header, in order
ZH_COLUMNS: dict[str, str] = {
    "township": "乡镇/街道",
    "type_label": "设施类型",
    "base_share": "现状覆盖率",
    "other_share": "方案覆盖率",
    "delta_pp": "变化（百分点）",
    "base_covered": "现状覆盖老人",
    "other_covered": "方案覆盖老人",
    "delta_covered": "覆盖老人变化",
    "base_flag_labels": "现状未达标项",
    "other_flag_labels": "方案未达标项",
}
#: the change of an area, in Chinese
CHANGE_LABELS = {"gained": "新增覆盖", "lost": "失去覆盖"}
#: the columns of :attr:`Comparison.areas` (and of the ``changes`` layer of ``changes.gpkg``)
AREA_COLUMNS = ["type", "type_label", "change", "change_label", "area_ha", "geometry"]
CSV_NAME = "comparison.csv"
GPKG_NAME = "changes.gpkg"
GPKG_LAYER = "changes"
#: smallest change area kept (m²): slivers from rasterising the circles are left out
_MIN_AREA_M2 = 1.0


@dataclass(frozen=True)
class CompareParams:
    """What a comparison declares: the analysis parameters, the scenario compared against (``base``), the
    scenario compared (``other``) and the plan's baseline name (default: ``base``), which decides what each
    scenario counts (the baseline its existing facilities, a plan scenario existing and planned ones)."""

    analysis: AnalysisParams
    base: str
    other: str
    baseline: str | None = None

    def __post_init__(self) -> None:
        if not str(self.base).strip() or not str(self.other).strip():
            raise ValueError("a comparison needs the names of both scenarios")
        if self.baseline is None:
            object.__setattr__(self, "baseline", self.base)

    def params_for(self, scenario: str) -> AnalysisParams:
        """The analysis parameters of one of the two scenarios (what it counts)."""
        from .live import statuses_for

        return replace(self.analysis, statuses=statuses_for(scenario, baseline=self.baseline))


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`run_comparison`; never patched (a new comparison makes a new one)."""

    params: CompareParams
    #: per township x class, 合计 rows per class after the townships: :data:`TABLE_COLUMNS`
    table: pd.DataFrame
    #: per class and change: :data:`AREA_COLUMNS`, in the network's metric CRS
    areas: gpd.GeoDataFrame

    @property
    def base(self) -> str:
        return self.params.base

    @property
    def other(self) -> str:
        return self.params.other

    def frame_zh(self) -> pd.DataFrame:
        """The table with Chinese headers (:func:`comparison_frame_zh`)."""
        return comparison_frame_zh(self.table)

    def changes_frame(self) -> gpd.GeoDataFrame:
        """The change areas in EPSG:4326 (the ``changes`` layer of ``changes.gpkg``)."""
        return changes_frame(self.areas)


def run_comparison(inputs: AnalysisInputs, facilities: Mapping[str, gpd.GeoDataFrame],
                   params: AnalysisParams | CompareParams, *, base: str | None = None, other: str | None = None,
                   baseline: str | None = None, feedback: Feedback | None = None) -> Comparison:
    """Analyse the facility frames of scenarios ``base`` and ``other`` (e.g. ``PlanModel.frame(name)``, in any
    CRS) on the network and demand of ``inputs`` and set them side by side. ``params``: the analysis
    parameters (their ``statuses`` are replaced per scenario), or a whole :class:`CompareParams` (then leave
    out ``base``/``other``/``baseline``). Progress and cancellation through ``feedback``
    (:class:`layers.errors.AnalysisCancelled` when cancelled); :class:`InputError` for an unknown scenario."""
    if isinstance(params, CompareParams):
        if any(v is not None for v in (base, other, baseline)):
            raise ValueError("give the scenarios in the CompareParams or as arguments, not both")
        cp = params
    else:
        if base is None or other is None:
            raise ValueError("name the scenarios to compare: base= and other=")
        cp = CompareParams(params, base, other, baseline)
    missing = [n for n in dict.fromkeys((cp.base, cp.other)) if n not in facilities]
    if missing:
        raise InputError(f"no scenario called {missing[0]}; the scenarios are: {', '.join(facilities)}")
    fb = feedback or Feedback()
    classes = cp.analysis.classes
    fb.progress(0.0, "demand")
    model = CoverageModel(replace(inputs, facilities=facilities[cp.base]), cp.params_for(cp.base))
    covs: dict[str, pd.DataFrame] = {}
    counted: dict[str, dict[str, list]] = {}
    for i, name in enumerate((cp.base, cp.other)):
        lo = 0.05 + 0.4 * i
        fb.progress(lo, f"scenario {name}")
        p = cp.params_for(name)
        model.params = p
        model.circles.set_statuses(p.statuses)
        _load(model, facilities[name], feedback=_Slice(fb, lo, lo + 0.3))
        fb.progress(lo + 0.3, f"coverage: {name}")
        covs[name] = coverage_frame(model.figures(), total_label=TOTAL_ROW)
        counted[name] = {t: [(f.fid, f.x, f.y, f.reach) for f in model.circles.active(t)] for t in classes.ids}
    table = comparison_table(covs[cp.base], covs[cp.other], classes=classes, profile=cp.analysis.profile)
    rows = []
    for i, t in enumerate(classes.ids):
        fb.progress(0.85 + 0.15 * i / len(classes.ids), f"changed areas: {t}")
        before, after = counted[cp.base][t], counted[cp.other][t]
        if sorted(f[:3] for f in before) == sorted(f[:3] for f in after):
            continue  # the same facilities at the same places: the same circle
        circle = {}
        for key, facs in (("before", before), ("after", after)):
            circle[key] = circle_polygons(model.net, [f[3] for f in facs], limits_m=[cp.analysis.coverage_m],
                                          buffer_m=cp.analysis.buffer_m, cell_m=cp.analysis.cell_m)[0]
        for change, geom in (("gained", shapely.difference(circle["after"], circle["before"])),
                             ("lost", shapely.difference(circle["before"], circle["after"]))):
            if not geom.is_empty and geom.area > _MIN_AREA_M2:
                rows.append({"type": t, "type_label": classes.label(t), "change": change,
                             "change_label": CHANGE_LABELS[change], "area_ha": round(geom.area / 1e4, 2),
                             "geometry": geom})
    areas = gpd.GeoDataFrame(rows, columns=AREA_COLUMNS, geometry="geometry", crs=model.net.crs)
    fb.progress(1.0, "done")
    return Comparison(params=cp, table=table, areas=areas)


#: the name the window's worker has always called
compare_scenarios = run_comparison


def comparison_table(base: pd.DataFrame, other: pd.DataFrame, *, classes: ClassRegistry,
                     profile: StandardProfile) -> pd.DataFrame:
    """Two ``coverage_frame`` s (same townships and classes, 合计 rows included or not) side by side, in the
    order of ``base``: the columns :data:`TABLE_COLUMNS`. ``delta_share`` is the change of the covered share
    (a fraction), ``delta_pp`` the same in percentage points; ``changed`` whether the covered share changed;
    the flag labels are the missed targets' Chinese labels joined by ``；``."""
    keys = ["township", "type"]
    a = base.set_index(keys)
    b = other.set_index(keys).reindex(a.index)
    labels = {t.id: target_label(t, class_label=classes.label, minutes=profile.minutes_of(t)) for t in profile.targets}
    diff = b["covered_share"].astype(float) - a["covered_share"].astype(float)
    table = pd.DataFrame({
        "type_label": [classes.label(str(t)) for _, t in a.index],
        "elderly": a["elderly"],
        "base_covered": a["elderly_covered"], "other_covered": b["elderly_covered"],
        "delta_covered": b["elderly_covered"] - a["elderly_covered"],
        "base_share": a["covered_share"], "other_share": b["covered_share"],
        "delta_share": diff.round(4),
        "delta_pp": (diff * 100).round(2),
        "base_flags": a["flags"].fillna("").astype(str), "other_flags": b["flags"].fillna("").astype(str),
    }, index=a.index).reset_index()
    table["base_flag_labels"] = [flags_text(f, labels) for f in table["base_flags"]]
    table["other_flag_labels"] = [flags_text(f, labels) for f in table["other_flags"]]
    table["changed"] = table["delta_share"].fillna(0.0).ne(0.0)
    return table[TABLE_COLUMNS]


def flags_text(flags: object, labels: Mapping[str, str]) -> str:
    """``coverage_frame``'s ``a;b`` target ids as the targets' labels joined by ``；``."""
    names = [n for n in str(flags or "").split(";") if n]
    return "；".join(labels.get(n, n) for n in names)


def comparison_frame_zh(table: pd.DataFrame | Comparison) -> pd.DataFrame:
    """The comparison table with Chinese headers (:data:`ZH_COLUMNS`, in that order): shares as fractions,
    the change of the covered share as text in 百分点 with its sign (:func:`pp_text`), covered elderly and their
    change in whole persons, the missed targets of both."""
    if isinstance(table, Comparison):
        table = table.table
    frame = table[list(ZH_COLUMNS)].copy()
    frame["delta_pp"] = [pp_text(v) for v in frame["delta_pp"]]
    return frame.rename(columns=ZH_COLUMNS).reset_index(drop=True)


def pp_text(delta_pp: float) -> str:
    """A change of a share in percentage points as the reports write it: ``+3.2 百分点``, ``-0.5 百分点``,
    ``0.0 百分点`` (no change); two decimals when one would show a change as 0.0; empty when unknown."""
    v = float(delta_pp) if delta_pp is not None else float("nan")
    if v != v:
        return ""
    if v == 0:
        return "0.0 百分点"
    text = f"{v:+.1f}" if abs(v) >= 0.05 else f"{v:+.2f}"
    return f"{text} 百分点"


def changes_frame(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The change areas (:data:`AREA_COLUMNS`) in EPSG:4326."""
    frame = areas[AREA_COLUMNS].reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=areas.crs).to_crs(WGS84)


def write_comparison_csv(comparison: Comparison | pd.DataFrame, path: str | Path) -> Path:
    """``comparison.csv``: the Chinese table in UTF-8 with a BOM, written atomically (the window's 导出…
    and ``carecircle compare`` both write through this)."""
    return write_csv_bom(comparison_frame_zh(comparison), Path(path))


def write_comparison(comparison: Comparison, out_dir: str | Path) -> dict[str, Path]:
    """``comparison.csv`` and ``changes.gpkg`` (layer ``changes``, EPSG:4326) in ``out_dir``, each written
    atomically; returns the paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "comparison": write_comparison_csv(comparison, out / CSV_NAME),
        "changes": write_gpkg_layers({GPKG_LAYER: comparison.changes_frame()}, out / GPKG_NAME),
    }


def summary_line(comparison: Comparison) -> str:
    """One line for the command line: which rows changed."""
    t = comparison.table
    towns = t[t["township"] != TOTAL_ROW]
    up, down = int((towns["delta_share"] > 0).sum()), int((towns["delta_share"] < 0).sum())
    classes = sorted(set(towns.loc[towns["changed"], "type"]), key=list(t["type"]).index)
    return (f"{comparison.base} -> {comparison.other}: {up} township rows gain coverage, {down} lose"
            + (f" ({', '.join(classes)})" if classes else ""))


# -- internals -------------------------------------------------------------------------------------

def _load(model: CoverageModel, frame: gpd.GeoDataFrame, *, feedback: Feedback) -> None:
    """Make the model hold exactly the facilities of ``frame``; a facility already held at the same place
    keeps its reach (only new and moved ones are walked)."""
    circles = model.circles
    pts = frame.geometry.to_crs(model.net.crs) if len(frame) else frame.geometry
    xs, ys = (pts.x.to_numpy(), pts.y.to_numpy()) if len(frame) else (np.zeros(0), np.zeros(0))
    fids = [str(f) for f in frame["fid"]]
    for fid in [f for f in circles.facilities if f not in set(fids)]:
        circles.remove_facility(fid)
    recs = frame.drop(columns=frame.geometry.name).to_dict("records")
    walk = []
    for i, (fid, rec) in enumerate(zip(fids, recs)):
        st = circles.facilities.get(fid)
        x, y = float(xs[i]), float(ys[i])
        if st is None or (st.x, st.y) != (x, y):
            walk.append(i)
            continue
        attrs = {"name": str(rec["name"]), "type": str(rec["type"]), "beds": int(rec["beds"]),
                 "nursing_beds": int(rec["nursing_beds"]), "status": str(rec["status"])}
        if any(getattr(st, k) != v for k, v in attrs.items()):
            circles.update_attributes(fid, **attrs)
    if walk:
        circles.set_many([fids[i] for i in walk], x=xs[walk], y=ys[walk], type=[str(recs[i]["type"]) for i in walk],
                         name=[str(recs[i]["name"]) for i in walk], beds=[int(recs[i]["beds"]) for i in walk],
                         nursing_beds=[int(recs[i]["nursing_beds"]) for i in walk],
                         status=[str(recs[i]["status"]) for i in walk], feedback=feedback)
    feedback.progress(1.0, "walking circles")


class _Slice(Feedback):
    """Maps a sub-step's 0..1 progress into a slice of the parent's (cancelling goes through)."""

    def __init__(self, parent: Feedback, lo: float, hi: float) -> None:
        super().__init__()
        self._parent, self._lo, self._hi = parent, lo, hi

    def progress(self, fraction: float, step: str = "") -> None:
        self._parent.progress(self._lo + (self._hi - self._lo) * min(max(float(fraction), 0.0), 1.0), step)

    @property
    def cancelled(self) -> bool:
        return self._parent.cancelled
