"""Write projects/sample.ccproj from the bundled sample folder (projects/sample/).

Run after tools/make_sample.py: `.venv/bin/python tools/make_sample_project.py`. The project carries every
layer (roads as read, townships, villages as population and communities, facilities converted from
GCJ-02 as the baseline scenario) and the sample's profile, so `carecircle analyze projects/sample.ccproj`
gives the numbers of `carecircle analyze --sample`. Besides the baseline (现状: all facilities, of which only
the existing ones count) it holds the plan scenario PLAN_SCENARIO, a copy of the baseline in which the
planned (规划) facilities count too; the baseline stays the active scenario.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from projects.ccproj import project_from_inputs, save_project  # noqa: E402
from projects.inputs import LAYERS, SAMPLE_DIR, load_inputs, sample_info  # noqa: E402

OUT = ROOT / "projects" / "sample.ccproj"
PLAN_SCENARIO = "2025规划"


def main() -> None:
    info = sample_info()
    src = info.sources
    inputs = load_inputs(src)
    sources = {k: src.resolve(getattr(src, k)) for k in ("roads", "townships", "facilities", "population", "communities")}
    imports = {k: src.option(k).to_dict() for k in LAYERS if getattr(src, k) is not None}
    project = project_from_inputs(info.title, inputs, profile=info.profile, sources=sources, base=OUT.parent,
                                  imports=imports)
    project.plan.add_scenario(PLAN_SCENARIO, copy_of=project.plan.baseline)
    save_project(project, OUT)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.1f} MB) from {SAMPLE_DIR.relative_to(ROOT)}; "
          f"profile {info.profile}; scenarios {', '.join(project.plan.scenarios)} (active {project.plan.active})")


if __name__ == "__main__":
    main()
