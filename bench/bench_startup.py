"""Start-up time of the desktop app on the bundled sample, from source and frozen (issue 18).

Each run launches ``carecircle gui`` as a new process (no warm interpreter) through the frozen app's entry
point ``tools/frozen_main.py`` — from source ``python tools/frozen_main.py gui``, frozen
``dist/carecircle/carecircle gui`` — with ``CARECIRCLE_STARTUP_PROBE`` set, and reads back two moments,
counted from the launch:

* **window up**: the main window shown and its event loop running (menus answer);
* **usable**: the sample project loaded into it and the map drawn (what a user sees ready to work).

Medians of ``--repeat`` runs (default 3) are printed and written to ``bench/results/startup.json``. Goal
(issue 18): usable within 3 s. The time depends on the disk cache and on the machine's load: the first run
after a build or a reboot is slower (``--cold`` keeps it; otherwise one unmeasured warm-up run goes first).

Run: .venv/bin/python bench/bench_startup.py [--frozen dist/carecircle] [--repeat 3] [--cold]
(without ``--frozen`` the source only; ``tools/build.sh`` makes ``dist/carecircle``.) Qt runs offscreen
unless a display is set.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 3.0


def launch(cmd: list[str], *, timeout_s: float = 300.0) -> dict[str, float]:
    """One start: seconds from launch to the window up and to the window usable."""
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.json"
        env = {**os.environ, "CARECIRCLE_STARTUP_PROBE": str(probe), "HOME": tmp}  # no saved layout, no autosaves
        if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
        start = time.time()
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout_s)
        if proc.returncode != 0 or not probe.is_file():
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        marks = json.loads(probe.read_text(encoding="utf-8"))
        return {"window_up_s": marks["window_up"] - start, "usable_s": marks["usable"] - start}


def measure(name: str, cmd: list[str], *, repeat: int, cold: bool) -> dict:
    if not cold:
        launch(cmd)  # warm the disk cache: the first start after a build reads every file once
    runs = [launch(cmd) for _ in range(repeat)]
    out = {"command": cmd, "runs": runs}
    for key in ("window_up_s", "usable_s"):
        out[key] = statistics.median(r[key] for r in runs)
    verdict = "meets" if out["usable_s"] <= GOAL_S else "misses"
    print(f"{name:8s} window up {out['window_up_s']:5.2f} s   usable {out['usable_s']:5.2f} s   "
          f"(medians of {repeat}; {verdict} the {GOAL_S:.0f} s goal)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frozen", type=Path, default=None, help="the frozen app's folder (dist/carecircle)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="no warm-up run")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "startup.json")
    args = ap.parse_args(argv)
    results: dict = {"machine": {"python": platform.python_version(), "system": platform.platform(),
                                 "cpus": os.cpu_count(), "load": os.getloadavg() if hasattr(os, "getloadavg") else None}}
    results["source"] = measure("source", [sys.executable, str(ROOT / "tools" / "frozen_main.py"), "gui"],
                                repeat=args.repeat, cold=args.cold)
    if args.frozen is not None:
        exe = args.frozen / ("carecircle.exe" if sys.platform == "win32" else "carecircle")
        if not exe.is_file():
            raise SystemExit(f"no {exe}: build it with bash tools/build.sh")
        results["frozen"] = measure("frozen", [str(exe), "gui"], repeat=args.repeat, cold=args.cold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
