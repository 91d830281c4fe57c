"""Siting speed on the bundled sample (issue 17): greedy best-k (lazy evaluation) for k = 20 over 5,000 generated
candidates, and the exact MIP (HiGHS) where it finishes within the time limit, with the greedy/optimal ratio.

Two demand models of the same county: the sample's population points (470 villages and communities) and the
township counts spread along the streets (every populated street cut into pieces: many more elements).

Run: .venv/bin/python bench/bench_siting.py [--candidates 5000] [--k 20] [--time-limit-s 60] [--type day_care]
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layers.classes import SCENARIO_STATUSES  # noqa: E402
from projects.document import Document  # noqa: E402
from spatial.analysis import CoverageModel  # noqa: E402
from spatial.siting import (  # noqa: E402
    candidate_reaches, compress_rows, coverage_matrix, drop_near_existing, exact_max_cover, generate_candidates, greedy_max_cover,
)


def run(name: str, model: CoverageModel, *, n: int, k: int, type_: str, time_limit_s: float, spacing_m: float,
        smaller: tuple[int, ...] = ()) -> None:
    t0 = time.perf_counter()
    cands = generate_candidates(model, spacing_m=spacing_m, max_count=n + 50)
    cands, dropped = drop_near_existing(model, cands, type_=type_)
    cands = cands.take(np.arange(min(n, len(cands))))
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    reaches = candidate_reaches(model, cands)
    t_reach = time.perf_counter() - t0
    t0 = time.perf_counter()
    cm = coverage_matrix(model, type_, cands, reaches)
    t_cm = time.perf_counter() - t0
    g = greedy_max_cover(cm, k)
    print(f"[{name}] {len(cands):,} candidates (spacing {spacing_m:g} m, {dropped} dropped near existing) in {t_gen:.2f} s; "
          f"reaches {t_reach:.1f} s; coverage matrix {cm.cover.shape[0]:,} elements x {cm.n_candidates:,} candidates, "
          f"{cm.cover.nnz:,} pairs in {t_cm:.1f} s")
    print(f"[{name}] greedy k={k}: {g.value:,.1f} elderly newly covered in {g.seconds * 1000:.1f} ms "
          f"(existing cover {cm.existing_covered:,.0f} of {cm.total_elderly:,.0f}); its own upper bound on the optimum "
          f"{g.bound:,.1f}: greedy/optimal >= {g.value / g.bound:.4f}")
    t0 = time.perf_counter()
    comp, _ = compress_rows(cm)
    print(f"[{name}] the MIP: {comp.shape[0]:,} distinct elements, {comp.nnz:,} pairs (merged in {time.perf_counter() - t0:.1f} s)")
    e = exact_max_cover(cm, k, time_limit_s=time_limit_s, start=g.chosen)
    if e.optimal:
        print(f"[{name}] exact (HiGHS): {e.value:,.1f} in {e.seconds:.2f} s (optimal); greedy/optimal = {g.value / e.value:.4f}")
    else:
        bound = f"bound {e.bound:,.1f}, greedy/bound >= {g.value / e.bound:.4f}" if math.isfinite(e.bound) else "no bound yet"
        print(f"[{name}] exact (HiGHS) did not finish: stopped after {e.seconds:.1f} s (time limit {time_limit_s:g} s), "
              f"best found {e.value:,.1f} ({bound})")
        for m in smaller:  # where does the exact solution finish? the first m candidates (best placed first)
            sub = cm.__class__(cm.cover.tocsc()[:, :m], cm.weight, cm.township, cm.total_elderly, cm.existing_covered,
                               cm.limit_m)
            gs = greedy_max_cover(sub, k)
            es = exact_max_cover(sub, k, time_limit_s=time_limit_s, start=gs.chosen)
            state = "optimal" if es.optimal else "time limit"
            print(f"[{name}] {m:,} candidates: greedy {gs.value:,.1f} in {gs.seconds * 1000:.1f} ms, exact {es.value:,.1f} "
                  f"in {es.seconds:.1f} s ({state}); greedy/optimal = {gs.value / es.value:.4f}")
            if es.optimal:
                break


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=5000)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--type", default="day_care")
    ap.add_argument("--time-limit-s", type=float, default=60.0)
    ap.add_argument("--spacing-m", type=float, default=100.0)
    args = ap.parse_args()
    doc = Document.from_sample()
    project = doc.project
    params = project.settings.params(statuses=SCENARIO_STATUSES, area_name=project.title)
    for name, population in (("population points", project.population), ("streets", None)):
        inputs = replace(project.inputs(scenario=project.plan.baseline, network=doc.network), population=population)
        model = CoverageModel(inputs, params)
        model.load_facilities(inputs.facilities)
        run(name, model, n=args.candidates, k=args.k, type_=args.type, time_limit_s=args.time_limit_s,
            spacing_m=args.spacing_m, smaller=(2000, 1000, 500))


if __name__ == "__main__":
    main()
