"""The bundled profiles: each loads, and every target's clause is quoted verbatim from its plan.

The plan texts are copies kept in tests/fixtures/plans/ (see the README there), so the test reads nothing outside
the repository.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from layers.classes import registry
from projects.profiles import available_profiles, load_profile
from spatial.targets import StandardProfile

PLANS = Path(__file__).resolve().parent / "fixtures" / "plans"

#: profile name -> the plan text its clauses quote
PLAN_OF = {
    "nantong-2014": "nantong-2014-tasks.txt",
    "changzhou-2014": "changzhou-2014-work-points.txt",
    "changzhou-2025": "changzhou-2021-2025-14th-five-year-plan.txt",
    "xinhui-2015": "xinhui-2014-2015-plan-table.txt",
    "rugao-2022": "rugao-2021-work-report.txt",
}
#: Exempt from the verbatim check, by name: the national plan (国发〔2021〕35号) is not bundled; its one clause
#: quotes the plan's main-indicators table (see the profile's note).
NOT_BUNDLED = {"national-2025"}

EXPECTED = set(PLAN_OF) | NOT_BUNDLED
PROFILES = available_profiles()


def plan_text(name: str) -> str:
    return (PLANS / PLAN_OF[name]).read_text(encoding="utf-8")


def unquoted_clauses(profile: StandardProfile, text: str) -> list[str]:
    """Ids of the targets whose clause is empty or not an exact substring of ``text``."""
    return [t.id for t in profile.targets if not t.clause or t.clause not in text]


def test_the_bundled_profiles_are_the_expected_ones():
    assert set(PROFILES) == EXPECTED
    for name, file in PLAN_OF.items():
        assert (PLANS / file).is_file(), file


@pytest.mark.parametrize("name", PROFILES)
def test_profile_loads_with_targets(name):
    profile = load_profile(name)
    assert profile.name == name
    assert profile.document and profile.issuer and profile.year
    assert profile.targets, f"{name} has no target"


@pytest.mark.parametrize("name", sorted(PLAN_OF))
def test_every_clause_is_verbatim(name):
    profile = load_profile(name)
    assert unquoted_clauses(profile, plan_text(name)) == []


def test_the_verbatim_check_catches_a_paraphrase():
    profile = load_profile("changzhou-2025")
    text = plan_text("changzhou-2025")
    first = profile.targets[0]
    # an added character, the document's ASCII comma and brackets made full-width, a reworded clause
    edits = [first.clause.replace("床位", "床位数", 1),
             "到2025年，街道区域性综合养老服务综合体、镇（街道）日间照料中心、城市社区老年助餐点实现全覆盖",
             "城市社区老年助餐点全覆盖"]
    for clause in edits:
        changed = dataclasses.replace(profile, targets=(dataclasses.replace(first, clause=clause),))
        assert unquoted_clauses(changed, text) == [first.id], clause
    empty = dataclasses.replace(profile, targets=(dataclasses.replace(first, clause=""),))
    assert unquoted_clauses(empty, text) == [first.id]


def test_the_national_profile_quotes_its_indicator_table():
    (target,) = load_profile("national-2025").targets
    assert target.clause == "养老机构护理型床位占比 55%"
    assert (target.indicator, target.level, target.beds, target.figure, target.year) == (
        "nursing_share", "county", "institutional", 0.55, 2025)


@pytest.mark.parametrize("name", PROFILES)
def test_ids_unique_and_classes_known(name):
    profile = load_profile(name)
    ids = [t.id for t in profile.targets]
    assert len(ids) == len(set(ids))
    reg = registry()
    for t in profile.targets:
        assert all(c in reg for c in t.classes), (t.id, t.classes)


@pytest.mark.parametrize("name", PROFILES)
def test_no_covered_share_and_bed_targets_are_county(name):
    for t in load_profile(name).targets:
        # no plan sets a share of elderly inside the circle
        assert t.indicator != "covered_share", t.id
        if t.indicator in ("beds_per_1000", "nursing_share"):
            assert t.level == "county", t.id
            assert not t.classes, t.id
        assert t.year is not None, t.id
