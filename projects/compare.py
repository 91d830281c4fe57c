"""Comparing two scenarios of a plan: per-township coverage and flags side by side, and the areas a
scenario newly covers or newly leaves uncovered (Qt-free)."""
from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import pandas as pd
import shapely

from spatial.analysis import AnalysisInputs, AnalysisParams, CoverageModel, coverage_frame
from spatial.feedback import Feedback
from layers.classes import registry
from spatial.isochrones import circle_polygons



@dataclass
class Comparison:
    base: str
    other: str
    table: pd.DataFrame  # township, type, base/other elderly_covered + covered_share, deltas, flags
    areas: gpd.GeoDataFrame  # type, change ('gained' | 'lost'), geometry — at the profile's minutes


def compare_scenarios(inputs: AnalysisInputs, facilities: dict[str, gpd.GeoDataFrame], params: AnalysisParams, *, base: str,
                      other: str, baseline: str | None = None, feedback: Feedback | None = None) -> Comparison:
    """Analyse the facility frames of scenarios ``base`` and ``other`` (e.g. ``PlanModel.frame(name)``)
    on the same network and demand, and set them side by side. Each counts what its kind counts: the
    plan's ``baseline`` (default: ``base``) its existing facilities, a plan scenario existing and planned."""
    from .live import statuses_for

    fb = feedback or Feedback()
    covs, circles = {}, {}
    for i, name in enumerate((base, other)):
        fb.progress(0.5 * i, f"scenario {name}")
        p = replace(params, statuses=statuses_for(name, baseline=base if baseline is None else baseline))
        model = CoverageModel(AnalysisInputs(network=inputs.network, townships=inputs.townships, facilities=facilities[name],
                                             population=inputs.population, communities=inputs.communities), p)
        model.load_facilities(facilities[name])
        covs[name] = coverage_frame(model.figures())
        circles[name] = {
            t: circle_polygons(model.net, [f.reach for f in model.circles.active(t)], limits_m=[params.coverage_m],
                               buffer_m=params.buffer_m, cell_m=params.cell_m)[0]
            for t in registry().ids
        }
    keys = ["township", "type"]
    a = covs[base].set_index(keys)
    b = covs[other].set_index(keys)
    table = pd.DataFrame({
        "elderly": a["elderly"],
        "base_covered": a["elderly_covered"], "other_covered": b["elderly_covered"],
        "base_share": a["covered_share"], "other_share": b["covered_share"],
        "delta_share": (b["covered_share"] - a["covered_share"]).round(4),
        "delta_covered": (b["elderly_covered"] - a["elderly_covered"]).round(1),
        "base_flags": a["flags"], "other_flags": b["flags"],
    }).reset_index()
    rows = []
    for t in registry().ids:
        before, after = circles[base][t], circles[other][t]
        for change, geom in (("gained", shapely.difference(after, before)), ("lost", shapely.difference(before, after))):
            if not geom.is_empty and geom.area > 1.0:
                rows.append({"type": t, "change": change, "area_ha": round(geom.area / 1e4, 2), "geometry": geom})
    areas = gpd.GeoDataFrame(rows, columns=["type", "change", "area_ha", "geometry"], geometry="geometry", crs=inputs.network.crs)
    fb.progress(1.0, "done")
    return Comparison(base=base, other=other, table=table, areas=areas)
