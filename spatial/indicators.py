"""Planning targets ("standard profiles") and the gap flags they raise per township."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

FACILITY_TYPES: tuple[str, ...] = ("day_care", "nursing_home", "meal_point")

#: flag names, as written in coverage.csv
NO_DAY_CARE = "no_day_care"
DAY_CARE_COVERAGE_LOW = "day_care_coverage_low"
BEDS_PER_1000_LOW = "beds_per_1000_low"
NURSING_SHARE_LOW = "nursing_share_low"
MEAL_POINT_GAP = "meal_point_gap"


@dataclass(frozen=True)
class StandardProfile:
    """Targets from a plan. ``None`` switches a check off."""

    name: str
    title: str = ""
    source: str = ""
    coverage_minutes: float = 15.0
    covered_share_target: float = 0.90
    beds_per_1000_min: float | None = None
    nursing_share_min: float | None = None
    day_care_every_township: bool = False
    meal_point_every_urban_community: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.covered_share_target <= 1.0:
            raise ValueError("covered_share_target must be a share between 0 and 1")
        if self.nursing_share_min is not None and not 0.0 <= self.nursing_share_min <= 1.0:
            raise ValueError("nursing_share_min must be a share between 0 and 1")
        if self.coverage_minutes <= 0:
            raise ValueError("coverage_minutes must be positive")


@dataclass(frozen=True)
class Flag:
    """A missed target with the numbers behind it."""

    name: str
    indicator: str
    target: float
    actual: float

    @property
    def gap(self) -> float:
        return self.target - self.actual


@dataclass(frozen=True)
class TownshipTypeFigures:
    """What one facility type achieves in one township."""

    township: str
    type: str
    elderly: float
    elderly_covered: float
    facilities: int
    beds: int
    nursing_beds: int
    urban_communities: int = 0
    urban_communities_unreached: int = 0
    flags: tuple[Flag, ...] = field(default=())

    @property
    def covered_share(self) -> float:
        return self.elderly_covered / self.elderly if self.elderly > 0 else math.nan

    @property
    def beds_per_1000(self) -> float:
        return self.beds / self.elderly * 1000.0 if self.elderly > 0 else math.nan

    @property
    def nursing_share(self) -> float:
        return self.nursing_beds / self.beds if self.beds > 0 else math.nan


def flags_for(fig: TownshipTypeFigures, profile: StandardProfile) -> tuple[Flag, ...]:
    """The flags a township's figures for one facility type raise under ``profile``.

    Day-care flags sit on the ``day_care`` row, bed flags on the ``nursing_home`` row (institutional beds,
    as the plans count them), the meal-point flag on the ``meal_point`` row."""
    out: list[Flag] = []
    if fig.type == "day_care":
        if profile.day_care_every_township and fig.facilities == 0:
            out.append(Flag(NO_DAY_CARE, "day_care_facilities", 1.0, 0.0))
        share = fig.covered_share
        if fig.elderly > 0 and share < profile.covered_share_target:
            out.append(Flag(DAY_CARE_COVERAGE_LOW, "covered_share", profile.covered_share_target, share))
    elif fig.type == "nursing_home":
        if profile.beds_per_1000_min is not None and fig.elderly > 0 and fig.beds_per_1000 < profile.beds_per_1000_min:
            out.append(Flag(BEDS_PER_1000_LOW, "beds_per_1000", profile.beds_per_1000_min, fig.beds_per_1000))
        if profile.nursing_share_min is not None and fig.beds > 0 and fig.nursing_share < profile.nursing_share_min:
            out.append(Flag(NURSING_SHARE_LOW, "nursing_share", profile.nursing_share_min, fig.nursing_share))
    elif fig.type == "meal_point":
        if profile.meal_point_every_urban_community and fig.urban_communities_unreached > 0:
            out.append(
                Flag(MEAL_POINT_GAP, "urban_communities_unreached", 0.0, float(fig.urban_communities_unreached))
            )
    return tuple(out)
