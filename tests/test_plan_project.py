"""The plan model (edits and their inverses, scenarios) and the .ccproj file (round trip, atomic save)."""
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from gui.cli import main as cli_main
from layers.errors import InputError
from projects import ccproj
from projects.ccproj import load_project, save_project
from projects.plan import BASELINE, Facility, PlanModel

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PROJECT = ROOT / "projects" / "sample.ccproj"


def _plan():
    return PlanModel("EPSG:4528", [
        Facility("A", "甲中心", "day_care", 10, 0, "existing", 40_000_123.25, 3_580_000.5),
        Facility("B", "乙敬老院", "nursing_home", 120, 40, "existing", 40_001_000.0, 3_581_000.0),
    ])


def test_edits_have_exact_inverses():
    plan = _plan()
    events = []
    plan.subscribe(lambda e, p: events.append((e, p)))
    old = plan.move_facility("A", 40_000_500.125, 3_580_100.0625)
    assert plan.facility("A").x == 40_000_500.125
    plan.move_facility("A", *old)
    assert (plan.facility("A").x, plan.facility("A").y) == (40_000_123.25, 3_580_000.5)
    fac, index = plan.remove_facility("A")
    assert list(plan.facilities) == ["B"]
    plan.add_facility(fac, index=index)
    assert list(plan.facilities) == ["A", "B"] and plan.facility("A") == fac
    before = plan.set_attributes("B", beds=150, status="to_close")
    assert plan.facility("B").beds == 150 and plan.facility("B").status == "to_close"
    plan.set_attributes("B", **before)
    assert plan.facility("B").beds == 120 and plan.facility("B").status == "existing"
    assert [e for e, _ in events] == ["facility_moved", "facility_moved", "facility_removed", "facility_added", "facility_changed", "facility_changed"]


def test_validation():
    plan = _plan()
    with pytest.raises(InputError, match="nursing beds"):
        plan.set_attributes("B", nursing_beds=500)
    with pytest.raises(InputError, match="already exists"):
        plan.add_facility(plan.facility("A"))
    assert plan.new_fid() == "P0001"


def test_scenarios_are_independent():
    plan = _plan()
    plan.add_scenario("2025规划")
    plan.set_active("2025规划")
    plan.add_facility(Facility(plan.new_fid(), "新建日照", "day_care", 20, 5, "planned", 40_002_000.0, 3_582_000.0))
    plan.set_attributes("A", status="to_close")
    assert len(plan.scenarios["2025规划"]) == 3 and len(plan.scenarios[BASELINE]) == 2
    assert plan.scenarios[BASELINE]["A"].status == "existing"
    with pytest.raises(InputError):
        plan.remove_scenario(BASELINE)


def test_project_round_trip_is_exact(tmp_path):
    project = load_project(SAMPLE_PROJECT)
    plan = project.plan
    plan.add_scenario("方案一")
    plan.set_active("方案一")
    plan.move_facility(next(iter(plan.facilities)), 40_500_000.123456789, 3_580_000.987654321)
    plan.add_facility(Facility(plan.new_fid(), "新建助餐点", "meal_point", 0, 0, "planned", 40_510_000.5, 3_590_000.25))
    path = save_project(project, tmp_path / "计划.ccproj")
    again = load_project(path)
    assert list(again.plan.scenarios) == [BASELINE, "2025规划", "方案一"] and again.plan.active == "方案一"
    for name in again.plan.scenarios:
        assert again.plan.scenarios[name] == project.plan.scenarios[name]  # coordinates to the last bit
    for layer in ("roads", "townships", "population", "communities"):
        a, b = getattr(project, layer), getattr(again, layer)
        assert len(a) == len(b) and a.geometry.reset_index(drop=True).geom_equals_exact(b.geometry.reset_index(drop=True), tolerance=0).all()
    assert again.settings.profile == project.settings.profile and again.crs == project.crs
    assert again.sources == project.sources and all(not Path(p).is_absolute() for p in again.sources.values())


def test_interrupted_save_keeps_previous_file(tmp_path, monkeypatch):
    project = load_project(SAMPLE_PROJECT)
    path = save_project(project, tmp_path / "p.ccproj")
    before = path.read_bytes()
    real_write = ccproj._write

    def crash(project, tmp, *, base):
        real_write(project, tmp, base=base)
        with open(tmp, "r+b") as fh:  # half-written, then the machine "fails"
            fh.truncate(4096)
        raise OSError("disk full")

    monkeypatch.setattr(ccproj, "_write", crash)
    project.plan.set_attributes(next(iter(project.plan.facilities)), name="改名")
    with pytest.raises(OSError):
        save_project(project, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.ccproj"]
    assert load_project(path).plan.facilities == load_project(SAMPLE_PROJECT).plan.facilities


def test_newer_schema_and_foreign_files_are_refused(tmp_path):
    path = save_project(load_project(SAMPLE_PROJECT), tmp_path / "p.ccproj")
    con = sqlite3.connect(path)
    con.execute("UPDATE carecircle_meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="newer CareCircle"):
        load_project(path)
    junk = tmp_path / "junk.ccproj"
    junk.write_text("hello")
    with pytest.raises(InputError, match="not a CareCircle project"):
        load_project(junk)


def test_sample_project_gives_the_numbers_of_analyze_sample(tmp_path):
    assert cli_main(["analyze", "--sample", "--out", str(tmp_path / "a"), "--quiet", "--no-facility-circles"]) == 0
    assert cli_main(["analyze", str(SAMPLE_PROJECT), "--out", str(tmp_path / "b"), "--quiet", "--no-facility-circles"]) == 0
    a = pd.read_csv(tmp_path / "a" / "coverage.csv", encoding="utf-8-sig")
    b = pd.read_csv(tmp_path / "b" / "coverage.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(a, b)


def test_analyze_project_scenario(tmp_path, capsys):
    project = load_project(SAMPLE_PROJECT)
    plan = project.plan
    plan.add_scenario("补日照")
    plan.set_active("补日照")
    town = project.townships.set_index("name").loc["下原镇"].geometry
    villages = project.population[project.population.within(town)]
    c = villages.loc[villages["elderly"].idxmax()].geometry  # at the biggest village of the township
    plan.add_facility(Facility(plan.new_fid(), "下原镇日间照料中心", "day_care", 20, 5, "planned", c.x, c.y))
    plan.set_active(BASELINE)
    path = save_project(project, tmp_path / "p.ccproj")
    assert cli_main(["analyze", str(path), "--scenario", "补日照", "--out", str(tmp_path / "s"), "--quiet"]) == 0
    cov = pd.read_csv(tmp_path / "s" / "coverage.csv", encoding="utf-8-sig").set_index(["township", "type"])
    assert cov.loc[("下原镇", "day_care"), "facilities"] == 1
    assert cov.loc[("下原镇", "day_care"), "elderly_covered"] > 0
    assert cli_main(["analyze", str(path), "--scenario", "没有", "--out", str(tmp_path / "x")]) == 2
    assert "没有" in capsys.readouterr().err
