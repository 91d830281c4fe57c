"""The open planning workspace: its map layers, analysis inputs and latest result (Qt-free).

The GUI adapts this model; it never keeps GIS state in widgets. Changes are announced to subscribers as
``(event, payload)`` calls: ``layers_changed``, ``layer_changed`` (layer id), ``result_changed``,
``map_target_changed`` (the target id colouring the township map, or None).
Every frame held here is in the workspace CRS (the walking network's metric CRS).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from layers.basemap import RasterImage
from layers.crs import metric_crs_for_frame, require_crs
from layers.errors import InputError
from spatial.analysis import TOTAL_ROW, AnalysisInputs, AnalysisResult, coverage_frame
from layers.classes import registry
from spatial.network import WalkNetwork
from spatial.targets import StandardProfile, Target, evaluate_targets

#: layer kinds from bottom to top, the default drawing order
LAYER_KINDS = ("basemap", "coverage", "target", "townships", "circles", "compare", "roads", "gaps", "population", "communities", "facilities")
INPUT_KINDS = ("townships", "facilities", "population", "communities")
RESULT_KINDS = ("circles", "gaps", "coverage", "target", "compare")


@dataclass
class MapLayer:
    id: str
    kind: str
    frame: gpd.GeoDataFrame | None = None
    raster: RasterImage | None = None
    visible: bool = True
    opacity: float = 1.0
    source: Path | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        if self.raster is not None:
            return self.raster.bounds
        if self.frame is None or self.frame.empty:
            return None
        return tuple(float(v) for v in self.frame.total_bounds)


Listener = Callable[[str, object], None]


@dataclass
class Workspace:
    """Layers in drawing order (first = bottom) plus the analysis state."""

    crs: pyproj.CRS | None = None
    layers: list[MapLayer] = field(default_factory=list)
    network: WalkNetwork | None = None
    result: AnalysisResult | None = None
    title: str = ""
    #: the target of the result's profile that colours the township map (None: the covered share)
    map_target: str | None = None
    _listeners: list[Listener] = field(default_factory=list, repr=False)

    # -- events -----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def clear_listeners(self) -> None:
        """Forget every listener (a window that closes: its views are about to be deleted)."""
        self._listeners.clear()

    def _emit(self, event: str, payload: object = None) -> None:
        for listener in list(self._listeners):
            listener(event, payload)

    def snapshot(self) -> "Workspace":
        """A copy for a worker thread: the same (never modified) frames, its own layer list and layer
        objects, no listeners, so edits made meanwhile in the window do not reach it."""
        return replace(self, layers=[replace(lyr) for lyr in self.layers], _listeners=[])

    # -- layers -----------------------------------------------------------------------------------
    def layer(self, layer_id: str) -> MapLayer | None:
        return next((lyr for lyr in self.layers if lyr.id == layer_id), None)

    def put_layer(self, layer: MapLayer, *, quiet: bool = False) -> None:
        """Add a layer, or replace the one with the same id keeping its place, visibility and opacity.
        ``quiet`` skips the ``layers_changed`` event when only the content changes (the caller emits)."""
        old = self.layer(layer.id)
        if old is not None:
            layer.visible, layer.opacity = old.visible, old.opacity
            self.layers[self.layers.index(old)] = layer
        else:
            rank = LAYER_KINDS.index(layer.kind) if layer.kind in LAYER_KINDS else len(LAYER_KINDS)
            pos = next((i for i, lyr in enumerate(self.layers)
                        if (LAYER_KINDS.index(lyr.kind) if lyr.kind in LAYER_KINDS else len(LAYER_KINDS)) > rank), len(self.layers))
            self.layers.insert(pos, layer)
            quiet = False  # a new layer always changes the list
        if not quiet:
            self._emit("layers_changed")

    def move_layer(self, layer_id: str, new_index: int) -> None:
        lyr = self.layer(layer_id)
        if lyr is None:
            raise KeyError(layer_id)
        self.layers.remove(lyr)
        self.layers.insert(max(0, min(new_index, len(self.layers))), lyr)
        self._emit("layers_changed")

    def set_visible(self, layer_id: str, visible: bool) -> None:
        lyr = self.layer(layer_id)
        if lyr is not None and lyr.visible != visible:
            lyr.visible = bool(visible)
            self._emit("layer_changed", layer_id)

    def set_opacity(self, layer_id: str, opacity: float) -> None:
        lyr = self.layer(layer_id)
        if lyr is not None:
            lyr.opacity = float(min(max(opacity, 0.0), 1.0))
            self._emit("layer_changed", layer_id)

    def full_bounds(self) -> tuple[float, float, float, float] | None:
        boxes = [b for b in (lyr.bounds for lyr in self.layers) if b is not None]
        if not boxes:
            return None
        arr = np.asarray(boxes)
        return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max())

    # -- analysis state ---------------------------------------------------------------------------
    def set_network(self, net: WalkNetwork, *, source: Path | None = None) -> None:
        """Use a new walking network; its metric CRS becomes the workspace CRS (layers are reprojected)."""
        old_crs = self.crs
        self.network = net
        self.crs = net.crs
        if old_crs is not None and old_crs != net.crs:
            for lyr in self.layers:
                if lyr.frame is not None and lyr.kind != "roads":
                    lyr.frame = lyr.frame.to_crs(net.crs)
        self.put_layer(MapLayer("roads", "roads", frame=network_frame(net), source=source))
        self.clear_result()

    def set_input_layer(self, kind: str, frame: gpd.GeoDataFrame, *, source: Path | None = None) -> None:
        """Add or replace an input layer: townships, facilities, population or communities."""
        if kind not in INPUT_KINDS:
            raise ValueError(kind)
        require_crs(frame, what=f"{kind} layer")
        if self.crs is None:
            self.crs = metric_crs_for_frame(frame, what=f"{kind} layer")
        self.put_layer(MapLayer(kind, kind, frame=frame.to_crs(self.crs), source=source))
        self.clear_result()

    def set_inputs(self, inputs: AnalysisInputs, *, sources: dict[str, Path | None] | None = None) -> None:
        """Show a complete set of analysis inputs as layers."""
        src = sources or {}
        self.set_network(inputs.network, source=src.get("roads"))
        for kind in INPUT_KINDS:
            frame = getattr(inputs, kind)
            if frame is not None:
                self.set_input_layer(kind, frame, source=src.get(kind))

    def analysis_inputs(self) -> AnalysisInputs:
        """The inputs for an analysis, from the current layers; InputError naming what is missing."""
        missing = [k for k in ("roads", "townships", "facilities") if self.layer(k) is None]
        if self.network is None or missing:
            raise InputError(f"load {', '.join(missing or ['roads'])} first")
        frames = {k: (self.layer(k).frame if self.layer(k) is not None else None) for k in INPUT_KINDS}
        return AnalysisInputs(network=self.network, **frames)

    def clear_result(self) -> None:
        if self.result is None and not any(self.layer(k) for k in RESULT_KINDS):
            return
        self.result = None
        self.layers = [lyr for lyr in self.layers if lyr.kind not in RESULT_KINDS]
        self._emit("layers_changed")
        self._emit("result_changed")

    def set_result(self, result: AnalysisResult, *, quiet: bool = False) -> None:
        """Show an analysis result: circles (per facility when available), gaps and the covered-share
        choropleth of the townships. Every view reads ``self.result``; a layer whose frame is the same
        object as in the previous result is kept as it is (``quiet``: content changes only)."""
        old, self.result = self.result, result
        if self.map_target is not None and self.map_target not in {t.id for t in result.params.profile.targets}:
            self.map_target = None
        circles = result.facility_circles if result.facility_circles is not None else result.isochrones
        old_circles = None if old is None else (old.facility_circles if old.facility_circles is not None else old.isochrones)
        if circles is not old_circles or self.layer("circles") is None:
            self.put_layer(MapLayer("circles", "circles", frame=self._to_crs(circles, "circles")), quiet=quiet)
        if old is None or result.gaps is not old.gaps or self.layer("gaps") is None:
            self.put_layer(MapLayer("gaps", "gaps", frame=self._to_crs(result.gaps, "gaps")), quiet=quiet)
        self._put_coverage(result.figures, quiet=quiet)
        self._emit("result_changed")

    def _put_coverage(self, figures, *, quiet: bool = False) -> None:
        towns = self.layer("townships")
        if towns is None or towns.frame is None:
            return
        cov = coverage_frame(figures)
        wide = cov.pivot_table(index="township", columns="type", values="covered_share", aggfunc="first")
        frame = towns.frame[["name", "geometry"]].copy()
        for t in registry().ids:
            frame[f"share_{t}"] = frame["name"].map(wide[t]) if t in wide.columns else np.nan
        flags = cov.groupby("township")["flags"].apply(lambda s: ";".join(f for f in s if f))
        frame["flags"] = frame["name"].map(flags).fillna("")
        kind: str = "coverage"
        if self.map_target is not None and self.result is not None:
            profile = self.result.params.profile
            target = profile.target(self.map_target)
            mode, county, classes, values = target_classes(self.result, target.id, list(frame["name"]))
            frame["target_class"], frame["target_value"] = classes, values
            kind = TargetKind(target, mode=mode, county=county, minutes=profile.minutes_of(target),
                              unit=self.result.params.county_label, present=tuple(dict.fromkeys(classes)))
        self.put_layer(MapLayer("coverage", kind, frame=frame), quiet=quiet)

    def set_map_target(self, target_id: str | None) -> None:
        """Colour the township map by one target of the result's profile; None goes back to the covered share."""
        if target_id is not None and (self.result is None or target_id not in {t.id for t in self.result.params.profile.targets}):
            raise KeyError(f"no target {target_id!r} in the current result's profile")
        self.map_target = target_id
        if self.result is not None:
            self._put_coverage(self.result.figures)
        self._emit("map_target_changed", target_id)

    def identify(self, x: float, y: float, *, tolerance_m: float) -> tuple[str, object, dict] | None:
        """The topmost visible feature at (x, y) (workspace CRS): ``(layer id, index label, attributes)``.

        Points and lines are hit within ``tolerance_m``; polygons when they contain the point."""
        pt = shapely.Point(x, y)
        for lyr in reversed(self.layers):
            if not lyr.visible or lyr.frame is None or lyr.frame.empty:
                continue
            geoms = lyr.frame.geometry.to_numpy()
            if lyr.kind == "circles" or lyr.kind == "gaps":
                continue  # large overlapping areas: identify what lies under them instead
            kinds = shapely.get_type_id(geoms)
            dist = shapely.distance(geoms, pt)
            hit = np.where(np.isin(kinds, (3, 6)), dist == 0.0, dist <= tolerance_m)
            if hit.any():
                i = int(np.argmin(np.where(hit, dist, np.inf)))
                row = lyr.frame.iloc[i]
                record = {k: v for k, v in row.items() if k != lyr.frame.geometry.name}
                return lyr.id, lyr.frame.index[i], record
        return None

    def set_facilities(self, frame: gpd.GeoDataFrame) -> None:
        """Show the plan's current facilities (after an edit or a scenario switch)."""
        self.put_layer(MapLayer("facilities", "facilities", frame=self._to_crs(frame, "facility layer"),
                                source=self.layer("facilities").source if self.layer("facilities") else None), quiet=self.layer("facilities") is not None)
        self._emit("layer_changed", "facilities")

    def coverage_table(self) -> pd.DataFrame:
        return coverage_frame(self.result.figures, total_label=TOTAL_ROW) if self.result is not None else coverage_frame([])

    def _to_crs(self, frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
        require_crs(frame, what=what)
        if self.crs is None or frame.crs == self.crs:
            return frame
        if what != "circles" or not len(frame):
            return frame.to_crs(self.crs)
        # circles after an edit: the same geometry objects as before for every facility but the edited one
        cache = self.__dict__.setdefault("_circle_cache", {})
        geoms = frame.geometry.array
        todo = [i for i, g in enumerate(geoms) if cache.get(id(g), (None,))[0] is not g]
        done = frame.iloc[todo].to_crs(self.crs).geometry.to_numpy() if todo else []
        new = {id(geoms[i]): (geoms[i], g) for i, g in zip(todo, done)}
        out = [new[id(g)][1] if id(g) in new else cache[id(g)][1] for g in geoms]
        self._circle_cache = {id(g): (g, m) for g, m in zip(geoms, out)}
        return gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=gpd.GeoSeries(out, index=frame.index, crs=self.crs))


class TargetKind(str):
    """The kind ``"target"`` of the township choropleth while it shows one planning target. It equals the
    plain string and carries what the shared legend (given a layer's kind only) needs to name the target:
    ``target``, ``mode`` (see :func:`target_classes`), ``county`` (the county figure) and ``unit`` (全市 /
    全县), ``minutes`` and the classes ``present`` on the map."""

    target: Target
    mode: str
    county: float
    unit: str
    minutes: float
    present: tuple[str, ...]

    def __new__(cls, target: Target, mode: str, county: float, minutes: float, unit: str = "全县",
                present: tuple[str, ...] = ()) -> "TargetKind":
        kind = super().__new__(cls, "target")
        kind.target, kind.mode, kind.county, kind.unit, kind.minutes, kind.present = target, mode, county, unit, minutes, present
        return kind

    def __reduce__(self):  # copies and pickles keep what the kind carries
        return TargetKind, (self.target, self.mode, self.county, self.minutes, self.unit, self.present)


def target_classes(result: AnalysisResult, target_id: str, towns: Sequence[str]) -> tuple[str, float, list[str], list[float]]:
    """How the township map shows one target: ``(mode, county figure, class per township, value per township)``.

    Modes: ``met`` (a target set for every township or street: ``met`` / ``not_met``); ``units`` (set for
    every community or village: the share of the township's units that meet it, ``s100`` all, ``s80`` >= 80%,
    ``s50`` >= 50%, ``s0`` less); ``presence`` (a county share of townships with a facility: ``has`` /
    ``lacks``); ``presence_units`` (a county share of communities/villages with one: the township's share,
    s-classes); ``balance`` (a county figure such as beds per 1,000: the township's own figure against the
    county's, ``hi2`` >= 125%, ``hi1`` >= 100%, ``lo1`` >= 75%, ``lo2`` less: a balance view, never a
    per-township verdict). ``na``: outside the target's scope, or no figure.
    """
    profile = result.params.profile
    t = profile.target(target_id)
    county_row = next((r for r in result.targets if r.target_id == t.id and r.level == "county"), None)
    county = county_row.actual if county_row is not None else math.nan
    if t.indicator == "share_of_units_with" or t.level == "county":  # a county figure: per-unit rows derived
        if t.indicator == "share_of_units_with":
            derived = replace(t, indicator="present_in_every", figure=1.0)
            mode = "presence" if t.level in ("township", "urban_street") else "presence_units"
        else:
            derived, mode = replace(t, level="township"), "balance"
        rows = [] if result.model is None else evaluate_targets(
            StandardProfile(profile.name, coverage_minutes=profile.coverage_minutes, targets=(derived,)), result.model.facts())
    else:
        mode = "met" if t.level in ("township", "urban_street") else "units"
        rows = result.targets
    rows = [r for r in rows if r.target_id == t.id and r.level != "county"]
    index = {name: i for i, name in enumerate(towns)}
    classes, values = ["na"] * len(towns), [math.nan] * len(towns)
    if mode in ("met", "presence", "balance"):
        for r in rows:
            i = index.get(r.unit)
            if i is None or math.isnan(r.actual):
                continue
            values[i] = r.actual
            if mode == "balance":
                ratio = r.actual / county if county and not math.isnan(county) else math.nan
                classes[i] = ("na" if math.isnan(ratio) else "hi2" if ratio >= 1.25 else "hi1" if ratio >= 1.0
                              else "lo1" if ratio >= 0.75 else "lo2")
            else:
                classes[i] = ("met" if r.met else "not_met") if mode == "met" else ("has" if r.met else "lacks")
        return mode, county, classes, values
    met, total = np.zeros(len(towns)), np.zeros(len(towns))
    for r, ti in zip(rows, _unit_townships(t, rows, result.model)):
        i = index.get(result.model.township_names[ti]) if ti >= 0 else None
        if i is not None:
            total[i] += 1
            met[i] += r.met
    for i in np.nonzero(total)[0]:
        share = float(met[i] / total[i])
        values[i] = share
        classes[i] = "s100" if share >= 1.0 else "s80" if share >= 0.8 else "s50" if share >= 0.5 else "s0"
    return mode, county, classes, values


def _unit_townships(t: Target, rows: list, model) -> list[int]:
    """The township index of each community/village row of ``t`` (rows come in the model's unit order)."""
    if model is None:
        return [-1] * len(rows)
    kind = "urban" if t.level == "urban_community" else "village"
    town = np.asarray(model.unit_township, np.int64)
    mask = np.asarray(model.unit_kind == kind, bool)
    if t.scope is not None and len(town):
        urban = np.asarray(model.township_urban, bool)
        in_scope = urban if t.scope == "urban" else ~urban
        mask &= (town >= 0) & in_scope[np.clip(town, 0, None)]
    idx = np.nonzero(mask)[0]
    if len(idx) == len(rows):
        return [int(i) for i in town[idx]]
    by_name = dict(zip(model.unit_names, town))
    return [int(by_name.get(r.unit, -1)) for r in rows]


def network_frame(net: WalkNetwork) -> gpd.GeoDataFrame:
    """The walking network's edges as a frame (one straight segment per row) for display."""
    return gpd.GeoDataFrame(
        {"highway": net.highway, "name": net.name, "length_m": np.round(net.length_m, 1),
         "component": net.component[net.u]},
        geometry=net.edge_lines, crs=net.crs,
    )
