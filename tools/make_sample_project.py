"""Write projects/sample.ccproj from the bundled sample folder (projects/sample/).

Run after tools/make_sample.py: `.venv/bin/python tools/make_sample_project.py`. The project carries every
layer (roads as read, townships, villages as population and communities, facilities converted from
GCJ-02 as the baseline scenario) and the sample's profile, so `carecircle analyze projects/sample.ccproj`
gives the numbers of `carecircle analyze --sample`.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.roads import read_roads  # noqa: E402
from projects.ccproj import project_from_inputs, save_project  # noqa: E402
from projects.inputs import SAMPLE_DIR, load_inputs, sample_info  # noqa: E402

OUT = ROOT / "projects" / "sample.ccproj"


def main() -> None:
    info = sample_info()
    src = info.sources
    inputs = load_inputs(src)
    sources = {k: src.resolve(getattr(src, k)) for k in ("roads", "townships", "facilities", "population", "communities")}
    project = project_from_inputs(info.title, inputs, profile=info.profile, sources=sources, base=OUT.parent,
                                  roads=read_roads(src.resolve(src.roads)))
    save_project(project, OUT)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.1f} MB) from {SAMPLE_DIR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
