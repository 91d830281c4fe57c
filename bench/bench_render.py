"""Map rendering speed on the bundled sample: full re-render of the layers (the canvas's cached image) at
several zoom levels, and the repaint of the widget itself (drawing the cached image + overlays).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_render.py [--repeat N]
Target (issue #3): a repaint < 100 ms with the whole sample network shown.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtGui  # noqa: E402

from gui.app import make_app  # noqa: E402
from gui.canvas import MapCanvas  # noqa: E402
from gui.render import View  # noqa: E402
from projects.inputs import load_inputs, sample_info  # noqa: E402
from projects.profiles import load_profile  # noqa: E402
from projects.workspace import Workspace  # noqa: E402
from spatial.analysis import AnalysisParams, run_analysis  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    app = make_app()
    info = sample_info()
    inputs = load_inputs(info.sources)
    ws = Workspace()
    ws.set_inputs(inputs)
    ws.set_result(run_analysis(inputs, AnalysisParams(profile=load_profile(info.profile))))
    canvas = MapCanvas(ws)
    canvas.resize(1200, 800)
    full = View.fit(ws.full_bounds(), 1200, 800)
    print(f"sample: {inputs.network.n_edges:,} road segments, {len(ws.layers)} layers, view 1200x800 px")
    t = time.perf_counter()
    canvas.render_image(full)
    print(f"first render at full extent (builds the cached paths): {(time.perf_counter() - t) * 1000:.0f} ms")
    rows = []
    for label, factor in (("full county", 1.0), ("town (1/8)", 8.0), ("streets (1/40)", 40.0)):
        v = View(full.cx, full.cy, full.m_per_px / factor, full.width, full.height)
        canvas.render_image(v)  # warm the level of detail used here
        rows.append((label, v.m_per_px, median_ms(lambda v=v: canvas.render_image(v), args.repeat)))
    canvas.show()
    canvas.set_view(full)
    app.processEvents()
    img = QtGui.QImage(1200, 800, QtGui.QImage.Format.Format_ARGB32_Premultiplied)

    def repaint() -> None:
        canvas.render(img)  # paintEvent with the cached layer image

    repaint_ms = median_ms(repaint, args.repeat)
    print(f"{'view':<16}{'m/px':>8}{'layer render ms (median)':>28}")
    for label, m, ms in rows:
        print(f"{label:<16}{m:>8.1f}{ms:>28.1f}")
    print(f"widget repaint from the cached image (median): {repaint_ms:.1f} ms  "
          f"[{'OK' if repaint_ms < 100 else 'MISS'}] target < 100 ms")
    worst = max(ms for _, _, ms in rows)
    print(f"worst full layer re-render: {worst:.1f} ms  [{'OK' if worst < 100 else 'over 100 ms'}] (done once when a view settles)")


if __name__ == "__main__":
    main()
