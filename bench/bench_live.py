"""Live-update latency of a plan edit in the real window, on the bundled sample (offscreen Qt).

For each of N facilities: move it 300 m (an undoable command, as the move tool does on release) and time
(a) the edit until the township figures, the results table and the map layers are updated
    (reach of the moved facility + its circle + figures + table + layers),
(b) the map's full re-render of the new picture (what the next repaint draws), and
(c) the deferred refresh of the gap areas of the displayed type (runs 250 ms after the last edit).
Medians and maxima are printed. Target (issue #4): edit -> results, map and table updated within ~200 ms.

Run: .venv/bin/python bench/bench_live.py [--edits 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore  # noqa: E402

from gui.app import make_app  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402


def wait(app, signal, timeout_s: float = 120.0) -> None:
    loop = QtCore.QEventLoop()
    signal.connect(loop.quit)
    QtCore.QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=20)
    args = ap.parse_args()
    app = make_app()
    win = MainWindow()
    win.ask_restore = lambda when: False
    win.resize(1400, 900)
    win.show()
    win.open_sample()
    wait(app, win.inputsLoaded)
    win.run_analysis()
    wait(app, win.analysisFinished)
    app.processEvents()
    fids = list(win.plan.facilities)[: args.edits]
    edit_ms, render_ms, gaps_ms, parts = [], [], [], []
    for fid in fids:
        fac = win.plan.facility(fid)
        t0 = time.perf_counter()
        win.move_facility_to(fid, fac.x + 300.0, fac.y + 0.0)
        t1 = time.perf_counter()
        win.canvas.render_image(win.canvas.view)
        t2 = time.perf_counter()
        edit_ms.append((t1 - t0) * 1000)
        render_ms.append((t2 - t1) * 1000)
        parts.append(dict(win.live.timings.steps))
        t3 = time.perf_counter()
        win._gaps_timer.stop()
        win._refresh_gaps()  # the merged circles and gap areas of the moved class, in a worker thread
        wait(app, win.gapsRefreshed)
        gaps_ms.append((time.perf_counter() - t3) * 1000)
    total = [a + b for a, b in zip(edit_ms, render_ms)]
    print(f"sample: {win.workspace.network.n_nodes:,} nodes, {len(win.plan.facilities)} facilities, {len(fids)} edits (move 300 m)")
    for label, values in (("edit -> figures, table, map layers", edit_ms), ("map re-render (full county view)", render_ms),
                          ("edit + re-render", total), ("gap areas refresh (deferred)", gaps_ms)):
        print(f"  {label:<38} median {statistics.median(values):7.1f} ms   max {max(values):7.1f} ms")
    keys = parts[0].keys()
    print("  of which (median): " + ", ".join(f"{k} {statistics.median(p[k] for p in parts):.1f} ms" for k in keys))
    med = statistics.median(total)
    print(f"[{'OK' if med <= 200 else 'MISS'}] edit -> results, map and table updated: {med:.0f} ms median (target ~200 ms)")
    win.undo_stack.setClean()
    win._dirty_extra = False
    win.close()


if __name__ == "__main__":
    main()
