"""Per-township figures of one facility class, and the flags that township-level targets raise on them."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .targets import StandardProfile, Target  # noqa: F401  (re-exported: the profile lives in targets)


@dataclass(frozen=True)
class Flag:
    """A missed target in one township, with the numbers behind it. ``name`` is the target's id."""

    name: str
    indicator: str
    target: float
    actual: float
    label: str = ""

    @property
    def gap(self) -> float:
        """Positive for a shortfall."""
        return self.target - self.actual


@dataclass(frozen=True)
class TownshipTypeFigures:
    """What one facility class achieves in one township (a balance view: bed figures here are never
    judged against a county-level target)."""

    township: str
    type: str
    elderly: float
    elderly_covered: float
    facilities: int
    beds: int
    nursing_beds: int
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
