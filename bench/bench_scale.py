"""Scale guard: peak memory and time of a whole analysis with many facilities (issue: 100,000 facilities must
not take 10 GB).

Each size runs in its own process (peak RSS is a per-process figure): the bundled sample county's roads and
townships with N facilities of four classes placed at random inside the county, ``run_analysis`` with the
per-facility circle layer asked for (what ``carecircle analyze`` does). Prints, per N, the median wall time,
the peak resident memory and both as ratios to the smallest N of the same run.

    .venv/bin/python bench/bench_scale.py                 # N = 1,000 / 10,000 / 100,000, 1 repeat
    .venv/bin/python bench/bench_scale.py --sizes 1000,5000 --repeat 3

Goal: 100,000 facilities under 4 GB peak (the per-facility circle layer is left out above
``spatial.analysis.MAX_FACILITY_CIRCLES`` facilities, with a warning line; the warnings are grouped).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_GB = 4.0


def _child(n: int) -> None:
    sys.path.insert(0, str(ROOT))
    import geopandas as gpd
    import numpy as np
    import shapely

    from layers.townships import read_townships
    from projects.inputs import read_layer
    from projects.profiles import load_profile
    from spatial.analysis import AnalysisInputs, AnalysisParams, run_analysis
    from spatial.network import build_network

    sample = ROOT / "projects" / "sample"
    towns = read_townships(sample / "townships.gpkg")
    net = build_network(read_layer("roads", sample / "roads.gpkg"))
    rng = np.random.default_rng(0)
    area = towns.geometry.union_all()
    minx, miny, maxx, maxy = area.bounds
    xs, ys = [], []
    while sum(len(x) for x in xs) < n:
        x, y = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
        inside = shapely.contains_xy(area, x, y)
        xs.append(x[inside]), ys.append(y[inside])
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    types = rng.choice(["day_care", "meal_point", "nursing_home", "home_care_station"], n)
    fac = gpd.GeoDataFrame({"fid": [f"F{i}" for i in range(n)], "name": [f"设施{i}" for i in range(n)], "type": types,
                            "beds": np.where(types == "nursing_home", 100, 0), "nursing_beds": 0, "status": "existing"},
                           geometry=shapely.points(x, y), crs=towns.crs).to_crs(4326)
    t0 = time.perf_counter()
    result = run_analysis(AnalysisInputs(network=net, townships=towns, facilities=fac),
                          AnalysisParams(profile=load_profile("rugao-2022")), facility_circles=True)
    seconds = time.perf_counter() - t0
    print(json.dumps({"n": n, "seconds": seconds, "warning_lines": len(result.warnings),
                      "detail_rows": int(len(result.warning_details)),
                      "facility_circles": None if result.facility_circles is None else int(len(result.facility_circles))}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        _child(args.child)
        return 0
    rows = []
    for n in (int(v) for v in args.sizes.split(",")):
        times, peaks, info = [], [], {}
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True)
            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            info = json.loads(out.stdout.strip().splitlines()[-1])
            times.append(info["seconds"])
            # ru_maxrss of children is the largest child so far: sizes run in increasing order
            peaks.append(max(peak_kb, before) / 1024 / 1024)
        rows.append({"n": n, "seconds": statistics.median(times), "peak_gb": statistics.median(peaks), **info})
    base = rows[0]
    print(f"{'facilities':>11} {'time s':>8} {'x':>6} {'peak GB':>8} {'x':>6} {'warning lines':>14} {'rows in warnings.csv':>21}")
    for r in rows:
        print(f"{r['n']:>11,} {r['seconds']:>8.1f} {r['seconds'] / base['seconds']:>6.1f} {r['peak_gb']:>8.2f} "
              f"{r['peak_gb'] / base['peak_gb']:>6.1f} {r['warning_lines']:>14} {r['detail_rows']:>21,}")
    worst = max(r["peak_gb"] for r in rows)
    print(f"goal: peak under {GOAL_GB:g} GB: {'met' if worst < GOAL_GB else 'MISSED'} ({worst:.2f} GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
