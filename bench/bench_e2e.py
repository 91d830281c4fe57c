#!/usr/bin/env python
"""End-to-end benchmark of ``carecircle analyze`` (issue 19): wall time and peak memory from the shell, the
time of each phase in-process, and the ratio to a scipy floor for the same coverage question.

Run from the repository root::

    .venv/bin/python bench/bench_e2e.py --case small            # smoke (< 30 s)
    .venv/bin/python bench/bench_e2e.py --case county           # 202,500 nodes, 500 facilities, 20k points
    .venv/bin/python bench/bench_e2e.py --case city --repeat 1  # 1,000,000 nodes, 3,000 facilities, 200k points

Inputs are generated the way a bureau delivers them and cached under ``bench/results/cache/``: road lines in
CGCS2000 3-degree Gauss-Krüger (EPSG:4528), long polylines (whole rows and columns of a jittered 100 m grid)
crossing at shared vertices, written as a GeoPackage of lines; a township GeoPackage (a grid of boxes with
their elderly totals); a facilities CSV (Chinese headers, WGS 84 lon/lat, the sample's mix of classes); a
GeoPackage of elderly population points. Bands 5/10/15 min (the defaults).

Per repeat:

* **shell**: ``carecircle analyze --roads … --out …`` in a child process: wall time and peak RSS of that
  process (``RUSAGE_CHILDREN`` of a wrapper process that runs nothing else), all default outputs written;
* **phases**: the same work in a fresh process with the steps ``gui.cli._analyze`` runs (``load_inputs``,
  ``run_analysis``, ``write_analysis``), a :class:`Feedback` subclass recording when each step starts:
  imports, reading + noding, placing the elderly, reaches, coverage figures, merged circles, per-facility
  circles, gap areas (+ islands and warnings), result (named gaps), writing — with the polygon steps run one
  after the other (``workers=1``) so that each has its own time; the shell run builds them side by side
  (:data:`spatial.analysis.POLYGON_WORKERS` threads), so its wall time is below the in-process total;
* **floor**: in that process, after the analysis, on its network: snap facilities and population points to
  the nearest node (KD-tree), one multi-source ``scipy.sparse.csgraph.dijkstra(limit=coverage)`` per class,
  covered elderly per township (``bincount``). No I/O, no polygons;
* **live**: in that process, on the analysed model, a planner's edits: one facility of each class moved 300 m,
  timed to its figures (what the table shows at once) and to what the window's background task then computes
  for that class (``Document.run_jobs``: merged circles and gap areas in WGS 84, off the GUI thread).

Medians of ``--repeat`` (default 3) are printed as a table and written to ``bench/results/e2e.json``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CACHE = RESULTS / "cache"
CRS = "EPSG:4528"  # CGCS2000 / 3-degree Gauss-Kruger zone 40 (x with the zone prefix, 120°E)
SEED = 20261202

#: name: (grid side -> nodes = side², facilities, population points, townships per side)
CASES = {
    "small": (100, 50, 2_000, 2),
    "county": (450, 500, 20_000, 5),
    "city": (1000, 3_000, 200_000, 10),
}
#: the sample's mix of facility classes (names as a bureau writes them) and their weights
CLASS_MIX = {"居家养老服务站": 110, "日间照料中心": 34, "养老机构": 27, "农村幸福院": 20, "长者驿站": 15,
             "居家养老服务中心": 12, "助餐点": 9, "综合养老服务中心": 2}
#: phases in the order they run, with the Feedback step (prefix) that starts each
PHASES = [
    ("imports", None),
    ("reading+noding", "reading roads"),
    ("placing elderly", "demand"),
    ("reaches", "walking circles"),
    ("coverage figures", "coverage"),
    ("merged circles", "circle polygons"),
    ("facility circles", "facility circles"),
    ("gap areas", "gap areas"),
    ("result", "named gaps"),
    ("writing", None),
]


# ------------------------------------------------------------------------------------------ generating


def generate(case: str) -> dict[str, Path]:
    """Write (or reuse) the case's input files; returns their paths."""
    side, n_fac, n_pop, n_town = CASES[case]
    folder = CACHE / f"e2e_{case}_v1"
    paths = {k: folder / f for k, f in (("roads", "roads.gpkg"), ("townships", "townships.gpkg"),
                                         ("facilities", "facilities.csv"), ("population", "population.gpkg"))}
    if all(p.is_file() for p in paths.values()):
        return paths
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely
    from pyproj import Transformer

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    step = 100.0
    x0, y0 = 40_470_000.0, 3_560_000.0
    gx, gy = np.meshgrid(x0 + np.arange(side) * step, y0 + np.arange(side) * step)
    gx = gx + rng.uniform(-20, 20, gx.shape)
    gy = gy + rng.uniform(-20, 20, gy.shape)
    # whole rows and whole columns: long polylines that cross at the vertices they share
    rows = np.stack([gx, gy], axis=-1)  # (row, col, 2)
    cols = rows.transpose(1, 0, 2)
    coords = np.concatenate([rows.reshape(-1, 2), cols.reshape(-1, 2)])
    idx = np.repeat(np.arange(2 * side), side)
    lines = shapely.linestrings(coords, indices=idx)
    highway = np.where(np.arange(2 * side) % 10 == 0, "primary", "residential")
    gpd.GeoDataFrame({"highway": highway, "name": [f"路{i}" for i in range(2 * side)]}, geometry=lines,
                     crs=CRS).to_file(paths["roads"], driver="GPKG")
    ext = side * step
    minx, miny = x0 - 50, y0 - 50
    # population points anywhere in the county, 1–60 elderly each
    px, py = rng.uniform(minx + 60, minx + ext - 60, n_pop), rng.uniform(miny + 60, miny + ext - 60, n_pop)
    elderly = rng.integers(1, 61, n_pop)
    gpd.GeoDataFrame({"name": [f"点{i}" for i in range(n_pop)], "elderly": elderly}, geometry=shapely.points(px, py),
                     crs=CRS).to_file(paths["population"], driver="GPKG")
    # townships: a grid of boxes, elderly totals from the points
    w = ext / n_town
    ti = np.minimum((px - minx) // w, n_town - 1).astype(int) + n_town * np.minimum((py - miny) // w, n_town - 1).astype(int)
    totals = np.bincount(ti, weights=elderly, minlength=n_town * n_town)
    boxes = [shapely.box(minx + i * w, miny + j * w, minx + (i + 1) * w, miny + (j + 1) * w)
             for j in range(n_town) for i in range(n_town)]
    gpd.GeoDataFrame({"name": [f"第{k + 1}镇" for k in range(len(boxes))], "code": [f"3206{k:05d}" for k in range(len(boxes))],
                      "elderly": totals.astype(int)}, geometry=boxes, crs=CRS).to_file(paths["townships"], driver="GPKG")
    # facilities: a CSV with WGS 84 lon/lat, the sample's mix of classes
    fx, fy = rng.uniform(minx + 100, minx + ext - 100, n_fac), rng.uniform(miny + 100, miny + ext - 100, n_fac)
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(fx, fy)
    names, weights = list(CLASS_MIX), np.array(list(CLASS_MIX.values()), float)
    types = rng.choice(names, n_fac, p=weights / weights.sum())
    beds = np.where(types == "养老机构", 100, 0)
    pd.DataFrame({"编号": [f"F{i:05d}" for i in range(n_fac)], "名称": [f"设施{i}" for i in range(n_fac)], "类型": types,
                  "经度": np.round(lon, 7), "纬度": np.round(lat, 7), "床位数": beds, "护理型床位数": beds // 2,
                  "状态": "现状"}).to_csv(paths["facilities"], index=False, encoding="utf-8-sig")
    return paths


def cli_args(paths: dict[str, Path], out: Path) -> list[str]:
    return ["analyze", "--roads", str(paths["roads"]), "--townships", str(paths["townships"]), "--facilities",
            str(paths["facilities"]), "--population", str(paths["population"]), "--out", str(out), "--quiet"]


# ------------------------------------------------------------------------------------------ children


def _measure(cmd: list[str], *, tree: bool = False) -> None:
    """Run ``cmd``; print its wall time and its peak RSS (the largest of its processes: this wrapper runs nothing
    else). With ``tree``, also the peak of the summed PSS of its process tree (``carecircle analyze`` forks a
    process to make and write the gap areas; PSS shares the copy-on-write pages between them, so the sum is the
    memory the command really holds), sampled every 50 ms from /proc — reading it slows the command, so the
    timed runs do not."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree_peak = 0
    while tree and proc.poll() is None:
        tree_peak = max(tree_peak, _tree_pss_kb(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall_s": wall, "peak_gb": peak_kb / 1024 / 1024, "tree_pss_gb": tree_peak / 1024 / 1024,
                      "rc": proc.returncode, "stderr": err[-2000:]}))


def _tree_pss_kb(pid: int) -> int:
    """Summed PSS (kB) of ``pid`` and its descendants now (0 without /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0)
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def _phases(paths: dict[str, Path], out: Path) -> None:
    """The CLI's work, step by step, with the time of each phase; then the scipy floor."""
    t0 = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    import gui.cli as cli
    from layers.classes import BASELINE_STATUSES
    from projects.ccproj import Settings
    from projects.inputs import load_inputs
    from projects.outputs import write_analysis
    from projects.profiles import DEFAULT_PROFILE, load_profile
    from spatial.analysis import run_analysis
    from spatial.feedback import Feedback

    marks: list[tuple[str, float]] = [("imports", t0)]

    class Recorder(Feedback):
        def on_progress(self, fraction: float, step: str) -> None:
            for name, prefix in PHASES:
                if prefix is not None and step.startswith(prefix) and name not in {m for m, _ in marks}:
                    marks.append((name, time.perf_counter()))

    args = cli.build_parser().parse_args(cli_args(paths, out))
    sources = cli._sources(args)
    params = Settings(profile=load_profile(DEFAULT_PROFILE)).params(statuses=BASELINE_STATUSES, area_name="")
    fb = Recorder()
    fb.progress(0.0, "reading roads")  # load_inputs' first step (imports end here)
    inputs = load_inputs(sources, feedback=fb)
    result = run_analysis(inputs, params, feedback=fb, facility_circles=True, workers=1)  # one step at a time
    marks.append(("writing", time.perf_counter()))
    write_analysis(result, out)
    end = time.perf_counter()
    times = {}
    for (name, start), (_, stop) in zip(marks, marks[1:] + [("end", end)]):
        times[name] = stop - start
    covered = _covered_share(result)
    floor_s, floor_share = _floor(inputs, params)
    live = _live(result)
    print(json.dumps({"phases": times, "total_s": end - t0, "floor_s": floor_s, "covered": covered,
                      "floor_covered": floor_share, "live": live, "nodes": int(inputs.network.n_nodes),
                      "edges": int(inputs.network.length_m.size), "facilities": int(len(inputs.facilities)),
                      "facility_circles": int(len(result.facility_circles)) if result.facility_circles is not None else None}))


def _live(result, n_edits: int = 7) -> dict:
    """A planner's edit on the analysed model: move one facility 300 m (``set_facility``), then the figures
    (what the table shows at once), then what the window's background task computes for the moved class
    (``Document.run_jobs``: its merged circles and gap areas, in WGS 84). Medians over ``n_edits`` facilities
    of different classes, in ms."""
    import numpy as np

    from projects.document import Document
    from spatial.analysis import CircleSnapshot

    model = result.model
    rng = np.random.default_rng(3)
    by_class: dict[str, list] = {}
    for st in model.circles.facilities.values():
        if model.circles.counts(st.status):
            by_class.setdefault(st.type, []).append(st)
    picks = [v[int(rng.integers(len(v)))] for v in by_class.values()][:n_edits]
    edit_ms, figures_ms, jobs_ms = [], [], []
    for st in picks:
        ang = rng.uniform(0, 2 * np.pi)
        t0 = time.perf_counter()
        model.circles.set_facility(st.fid, x=st.x + 300 * np.cos(ang), y=st.y + 300 * np.sin(ang), type=st.type, name=st.name,
                           beds=st.beds, nursing_beds=st.nursing_beds, status=st.status)
        t1 = time.perf_counter()
        model.figures(model.targets())
        t2 = time.perf_counter()
        jobs = [model.circle_snapshot(st.type), model.gap_snapshot(st.type)]
        done = Document.run_jobs(jobs)
        t3 = time.perf_counter()
        assert isinstance(jobs[0], CircleSnapshot) and len(done) == 2
        edit_ms.append((t1 - t0) * 1000)
        figures_ms.append((t2 - t0) * 1000)
        jobs_ms.append((t3 - t2) * 1000)
    med = statistics.median
    return {"edits": len(picks), "edit_ms": med(edit_ms), "figures_ms": med(figures_ms), "gaps_job_ms": med(jobs_ms),
            "gaps_job_max_ms": max(jobs_ms)}


def _covered_share(result) -> dict:
    """County covered share of the elderly per class (pp), from the figures (the 'unchanged within 0.5 pp' check)."""
    import pandas as pd

    out: dict[str, list[float]] = {}
    for f in result.figures:
        a = out.setdefault(f.type, [0.0, 0.0])
        if pd.notna(f.elderly_covered) and pd.notna(f.elderly):
            a[0] += float(f.elderly_covered)
            a[1] += float(f.elderly)
    return {k: round(100 * c / t, 3) for k, (c, t) in sorted(out.items()) if t > 0}


def _floor(inputs, params) -> tuple[float, dict]:
    """The same coverage question with scipy alone: nearest nodes, one bounded multi-source Dijkstra per class,
    covered elderly per township. Returns (seconds, county covered share per class in %)."""
    import numpy as np
    import shapely
    from scipy.sparse import csgraph
    from scipy.spatial import cKDTree

    from layers.classes import registry

    net = inputs.network
    fac = inputs.facilities.to_crs(net.crs)
    pop = inputs.population.to_crs(net.crs)
    towns = inputs.townships.to_crs(net.crs)
    classes = registry()
    fx, fy = shapely.get_x(fac.geometry.values), shapely.get_y(fac.geometry.values)
    fx, fy = np.asarray(fx), np.asarray(fy)
    px, py = np.asarray(shapely.get_x(pop.geometry.values)), np.asarray(shapely.get_y(pop.geometry.values))
    w = pop["elderly"].to_numpy(float)
    ftype = fac["type"].astype(str).to_numpy()
    t0 = time.perf_counter()
    tree = cKDTree(np.column_stack([net.x, net.y]))
    _, fnode = tree.query(np.column_stack([fx, fy]))
    _, pnode = tree.query(np.column_stack([px, py]))
    tree_t = shapely.STRtree(towns.geometry.values)
    pi, ti = tree_t.query(shapely.points(px, py), predicate="intersects")
    ptown = np.full(px.size, -1)
    ptown[pi] = ti
    inside = ptown >= 0
    shares = {}
    for c in classes.ids:
        src = np.unique(fnode[ftype == c])
        if src.size == 0:
            continue
        dist = csgraph.dijkstra(net.csr, directed=True, indices=src, limit=params.coverage_m, min_only=True)
        cov = dist[pnode] <= params.coverage_m
        per_town = np.bincount(ptown[inside & cov], weights=w[inside & cov], minlength=len(towns))
        shares[c] = round(100 * per_town.sum() / w[inside].sum(), 3)
    return time.perf_counter() - t0, shares


# ------------------------------------------------------------------------------------------ main


def _child(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"child failed ({' '.join(cmd[:4])} …):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=list(CASES), default="county")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--label", default="", help="a name for this run in e2e.json (e.g. before / after)")
    ap.add_argument("--child-measure", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    ap.add_argument("--child-measure-tree", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    ap.add_argument("--child-phases", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_measure:
        _measure(args.child_measure)
        return 0
    if args.child_measure_tree:
        _measure(args.child_measure_tree, tree=True)
        return 0
    if args.child_phases:
        _phases(generate(args.child_phases), Path(tempfile.mkdtemp(prefix="cc-e2e-")) / "out")
        return 0
    t = time.perf_counter()
    paths = generate(args.case)
    print(f"inputs: {paths['roads'].parent} ({time.perf_counter() - t:.1f} s)", flush=True)
    exe = str(Path(sys.executable).parent / "carecircle")
    # the app's modules compiled, as tools/setup.sh leaves them (PYTHONDONTWRITEBYTECODE would else have every
    # run compile the changed ones again)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "gui", "spatial", "layers", "projects"], cwd=ROOT,
                   check=True, capture_output=True)
    shell, phase = [], []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="cc-e2e-") as tmp:
            m = _child([sys.executable, __file__, "--child-measure", exe, *cli_args(paths, Path(tmp) / "out")])
            if m["rc"] != 0:
                raise SystemExit(f"carecircle analyze failed:\n{m['stderr']}")
            shell.append(m)
        phase.append(_child([sys.executable, __file__, "--child-phases", args.case]))
        print(f"  repeat {i + 1}: shell {shell[-1]['wall_s']:.2f} s, {shell[-1]['peak_gb']:.2f} GB; in-process "
              f"{phase[-1]['total_s']:.2f} s; floor {phase[-1]['floor_s']:.3f} s", flush=True)
    med = statistics.median
    wall = med(s["wall_s"] for s in shell)
    peak = med(s["peak_gb"] for s in shell)
    with tempfile.TemporaryDirectory(prefix="cc-e2e-") as tmp:  # one more run, for the process tree's memory
        tree = _child([sys.executable, __file__, "--child-measure-tree", exe, *cli_args(paths, Path(tmp) / "out")])["tree_pss_gb"]
    floor = med(p["floor_s"] for p in phase)
    phases = {name: med(p["phases"].get(name, math.nan) for p in phase) for name, _ in PHASES}
    last = phase[-1]
    side, n_fac, n_pop, _ = CASES[args.case]
    print(f"\ncase {args.case}: {last['nodes']:,} nodes, {last['edges']:,} edges, {n_fac:,} facilities, {n_pop:,} "
          f"population points, bands 5/10/15; medians of {args.repeat}")
    print(f"{'phase':<18} {'s':>8}")
    for name, s in phases.items():
        print(f"{name:<18} {s:>8.2f}")
    print(f"{'in-process total':<18} {med(p['total_s'] for p in phase):>8.2f}")
    print(f"{'shell wall':<18} {wall:>8.2f}   peak {peak:.2f} GB (largest process), {tree:.2f} GB (process tree, PSS)")
    print(f"{'scipy floor':<18} {floor:>8.3f}   end to end / floor = {wall / floor:.0f}x")
    lv = {k: med(p["live"][k] for p in phase) for k in ("edit_ms", "figures_ms", "gaps_job_ms", "gaps_job_max_ms")}
    print(f"live edit (move one facility 300 m; medians of {last['live']['edits']} classes): edit -> figures "
          f"{lv['figures_ms']:.0f} ms; its class's merged circles + gap areas (the background task) {lv['gaps_job_ms']:.0f} ms "
          f"(slowest {lv['gaps_job_max_ms']:.0f} ms)")
    print(f"covered % (county, per class): {last['covered']}")
    print(f"floor covered %:               {last['floor_covered']}")
    record = {"case": args.case, "label": args.label, "repeat": args.repeat, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "cpus": os.cpu_count(), "platform": platform.platform(), "commit": _commit(),
              "wall_s": wall, "peak_gb": peak, "tree_pss_gb": tree, "floor_s": floor, "ratio": wall / floor, "phases_s": phases,
              "nodes": last["nodes"], "facilities": n_fac, "population_points": n_pop, "covered": last["covered"],
              "floor_covered": last["floor_covered"], "live_ms": lv, "runs": {"shell": shell, "phases": phase}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "e2e.json"
    old = json.loads(path.read_text()) if path.is_file() else []
    old = old if isinstance(old, list) else [old]
    path.write_text(json.dumps(old + [record], indent=1, ensure_ascii=False))
    return 0


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
