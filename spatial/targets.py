"""Planning targets as the plans mean them: each with a level, a scope, a figure and its source (Qt-free).

A :class:`StandardProfile` is a list of :class:`Target`. :func:`evaluate_targets` turns the facts of one
analysis (:class:`UnitFacts`) into :class:`TargetRow` s, one per target and unit: county totals for
county-level targets (beds per 1,000 elderly, nursing-type share, a share of villages with a station, a
share of elderly inside the circle), one row per township, street, community or village for targets set
for every unit of a level, and for those a county summary row ("12 of 14 townships").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from numpy.typing import NDArray

#: what a target measures
INDICATORS = (
    "beds_per_1000",  # 每千名老人拥有养老床位数 (county or township level)
    "nursing_share",  # 护理型床位占比
    "present_in_every",  # a facility of the classes in every unit of the level
    "reachable_from_every",  # every unit (community point) within the circle of a facility of the classes
    "share_of_units_with",  # the share of units of the level that have one (a county figure)
    "count_per_unit",  # at least N (up to M) facilities of the classes per unit
    "covered_share",  # share of elderly inside the circle (only where a plan sets one)
)
#: the units a target is set for
LEVELS = ("county", "township", "urban_street", "urban_community", "village")
SCOPES = ("urban", "rural")
ELDERLY_BASES = ("registered", "resident")
BASIS_LABELS = {"registered": "户籍老年人口", "resident": "常住老年人口"}
LEVEL_LABELS = {"county": "全县", "township": "镇（街道）", "urban_street": "街道", "urban_community": "城市社区",
                "village": "村（农村社区）"}
LEVEL_LABELS_EN = {"county": "county", "township": "township", "urban_street": "street",
                   "urban_community": "urban community", "village": "village"}
_UNIT_LEVELS = ("township", "urban_street", "urban_community", "village")


@dataclass(frozen=True)
class Target:
    """One target of a plan, in the plan's own terms."""

    id: str
    indicator: str
    level: str
    figure: float
    classes: tuple[str, ...] = ()
    beds: str = "all"  # bed indicators: all 养老床位, or institutional (养老机构床位) only
    scope: str | None = None  # urban (市区/街道) or rural (镇/乡) units only
    maximum: float | None = None  # count_per_unit: the plan's upper figure (informative)
    minutes: float | None = None  # reach and covered-share targets (default: the profile's circle)
    year: int | None = None
    document: str = ""
    clause: str = ""
    elderly_basis: str | None = None  # the plan's denominator where it says (户籍 registered / 常住 resident)
    note: str = ""

    def __post_init__(self) -> None:
        if self.indicator not in INDICATORS:
            raise ValueError(f"target {self.id}: indicator must be one of {', '.join(INDICATORS)}")
        if self.level not in LEVELS:
            raise ValueError(f"target {self.id}: level must be one of {', '.join(LEVELS)}")
        if self.scope is not None and self.scope not in SCOPES:
            raise ValueError(f"target {self.id}: scope must be one of {', '.join(SCOPES)}")
        if self.beds not in ("all", "institutional"):
            raise ValueError(f"target {self.id}: beds must be 'all' or 'institutional'")
        if self.elderly_basis is not None and self.elderly_basis not in ELDERLY_BASES:
            raise ValueError(f"target {self.id}: elderly_basis must be one of {', '.join(ELDERLY_BASES)}")
        if not math.isfinite(self.figure) or self.figure < 0:
            raise ValueError(f"target {self.id}: the figure must be a number >= 0")
        bed = self.indicator in ("beds_per_1000", "nursing_share")
        if not bed and not self.classes:
            raise ValueError(f"target {self.id}: {self.indicator} needs the facility classes it counts")
        if self.indicator in ("nursing_share", "share_of_units_with", "covered_share") and self.figure > 1:
            raise ValueError(f"target {self.id}: {self.indicator} is a share between 0 and 1")
        if self.indicator in ("present_in_every", "reachable_from_every", "count_per_unit") and self.level == "county":
            raise ValueError(f"target {self.id}: {self.indicator} is set for every unit of a level below the county")
        if self.indicator == "share_of_units_with" and self.level not in _UNIT_LEVELS:
            raise ValueError(f"target {self.id}: share_of_units_with needs the level of the units it counts")
        if self.indicator == "reachable_from_every" and self.level not in ("urban_community", "village"):
            raise ValueError(f"target {self.id}: reachable_from_every is measured from community or village points")
        if self.minutes is not None and not (math.isfinite(self.minutes) and self.minutes > 0):
            raise ValueError(f"target {self.id}: minutes must be positive")

    @property
    def is_county_figure(self) -> bool:
        """True when the target is one figure for the whole county (not one per unit)."""
        return self.level == "county" or self.indicator == "share_of_units_with"

    @property
    def source(self) -> str:
        """The document (issuer and title) and the quoted clause."""
        return f"{self.document}：“{self.clause}”" if self.clause else self.document


@dataclass(frozen=True)
class StandardProfile:
    """The targets of one plan (or a planner's own list)."""

    name: str
    title: str = ""
    document: str = ""
    issuer: str = ""
    year: int | None = None
    coverage_minutes: float = 15.0
    targets: tuple[Target, ...] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.coverage_minutes) and self.coverage_minutes > 0):
            raise ValueError("coverage_minutes must be positive")
        ids = [t.id for t in self.targets]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"target id {dup[0]!r} is used twice")

    def target(self, target_id: str) -> Target:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"profile {self.name} has no target {target_id!r}")

    def minutes_of(self, target: Target) -> float:
        return float(target.minutes if target.minutes is not None else self.coverage_minutes)

    @property
    def reach_minutes(self) -> tuple[float, ...]:
        """Every walking time a target of this profile measures (besides the coverage circle)."""
        return tuple(sorted({self.minutes_of(t) for t in self.targets
                             if t.indicator in ("reachable_from_every", "covered_share")}))


@dataclass(frozen=True)
class UnitFacts:
    """What the targets are evaluated on (one analysis, one set of counted statuses).

    Townships: ``town_names``, ``town_urban`` (street/urban district), ``town_elderly``. Facilities (counted
    ones only): ``fac_class``, ``fac_town`` (-1 outside every township), ``fac_beds``, ``fac_nursing``,
    ``fac_unit`` (index of the community/village it stands in, -1 none). Communities/villages:
    ``unit_names``, ``unit_kind`` ('urban' | 'village'), ``unit_town``. ``reached(classes, minutes)`` tells
    which community points lie within that walk of a facility of the classes; ``covered(classes, minutes)``
    the elderly covered per township.
    """

    town_names: Sequence[str]
    town_urban: NDArray[np.bool_]
    town_elderly: NDArray[np.float64]
    fac_class: NDArray[np.object_]
    fac_town: NDArray[np.int64]
    fac_beds: NDArray[np.int64]
    fac_nursing: NDArray[np.int64]
    fac_unit: NDArray[np.int64]
    unit_names: Sequence[str]
    unit_kind: NDArray[np.object_]
    unit_town: NDArray[np.int64]
    reached: object = field(repr=False, default=None)  # Callable[[tuple[str, ...], float], NDArray[bool]]
    covered: object = field(repr=False, default=None)  # Callable[[tuple[str, ...], float], NDArray[float]]
    bed_classes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # 'all' / 'institutional' -> class ids
    county_label: str = "全县"


@dataclass(frozen=True)
class TargetRow:
    """One target in one unit: the row of ``targets.csv``. ``gap`` is positive for a shortfall, 0 when met."""

    target_id: str
    level: str
    unit: str
    indicator: str
    target: float
    actual: float
    met: bool
    gap: float
    source: str
    classes: tuple[str, ...] = ()
    summary: bool = False  # a county row summing a per-unit target ("12 of 14")


TARGET_COLUMNS = ["target_id", "level", "unit", "indicator", "target", "actual", "met", "gap", "source"]


def _row(t: Target, level: str, unit: str, target: float, actual: float, *, summary: bool = False,
         at_least: bool = True) -> TargetRow:
    if math.isnan(actual):
        met, gap = False, math.nan
    else:
        met = actual >= target - 1e-9 if at_least else actual <= target + 1e-9
        gap = 0.0 if met else (target - actual if at_least else actual - target)
    return TargetRow(t.id, level, unit, t.indicator, float(target), float(actual), bool(met), float(gap), t.source,
                     t.classes, summary)


def _town_mask(t: Target, facts: UnitFacts) -> NDArray[np.bool_]:
    n = len(facts.town_names)
    mask = np.ones(n, bool)
    if t.level == "urban_street" or t.scope == "urban":
        mask &= facts.town_urban
    if t.scope == "rural":
        mask &= ~facts.town_urban
    return mask


def _unit_mask(t: Target, facts: UnitFacts) -> NDArray[np.bool_]:
    kind = "urban" if t.level == "urban_community" else "village"
    mask = np.asarray(facts.unit_kind == kind, bool)
    if t.scope is not None and len(facts.unit_town):
        in_town = _town_mask(t, facts)
        mask &= np.where(facts.unit_town >= 0, in_town[np.clip(facts.unit_town, 0, None)], False)
    return mask


def _class_mask(facts: UnitFacts, classes: Sequence[str]) -> NDArray[np.bool_]:
    return np.isin(facts.fac_class.astype(str), np.asarray(list(classes), dtype=str)) if len(facts.fac_class) else np.zeros(0, bool)


def _beds(facts: UnitFacts, t: Target, town_mask: NDArray[np.bool_]) -> tuple[NDArray, NDArray]:
    """Beds and nursing-type beds per township, of the classes whose beds the target counts."""
    n = len(facts.town_names)
    sel = _class_mask(facts, facts.bed_classes.get(t.beds, ())) & (facts.fac_town >= 0)
    beds = np.bincount(facts.fac_town[sel], weights=facts.fac_beds[sel], minlength=n)
    nursing = np.bincount(facts.fac_town[sel], weights=facts.fac_nursing[sel], minlength=n)
    return beds * town_mask, nursing * town_mask


def evaluate_targets(profile: StandardProfile, facts: UnitFacts) -> list[TargetRow]:
    """Every target of ``profile`` on ``facts``: county rows first, then the per-unit rows."""
    county: list[TargetRow] = []
    units: list[TargetRow] = []
    names = list(facts.town_names)
    n = len(names)
    label = facts.county_label
    for t in profile.targets:
        tmask = _town_mask(t, facts)
        if t.indicator in ("beds_per_1000", "nursing_share"):
            beds, nursing = _beds(facts, t, tmask)
            elderly = np.where(tmask, facts.town_elderly, 0.0)
            if t.level == "county":
                tot_e = float(np.nansum(elderly)) if not np.isnan(elderly[tmask]).any() else math.nan
                if t.indicator == "beds_per_1000":
                    actual = 1000.0 * beds.sum() / tot_e if tot_e and tot_e > 0 else math.nan
                    county.append(_row(t, "county", label, t.figure, actual))
                else:
                    actual = nursing.sum() / beds.sum() if beds.sum() > 0 else math.nan
                    county.append(_row(t, "county", label, t.figure, actual))
            else:
                for i in np.nonzero(tmask)[0]:
                    if t.indicator == "beds_per_1000":
                        e = facts.town_elderly[i]
                        actual = 1000.0 * beds[i] / e if e > 0 else math.nan
                    else:
                        actual = nursing[i] / beds[i] if beds[i] > 0 else math.nan
                    units.append(_row(t, t.level, names[i], t.figure, actual))
        elif t.indicator in ("present_in_every", "count_per_unit"):
            sel = _class_mask(facts, t.classes)
            if t.level in ("township", "urban_street"):
                counts = np.bincount(facts.fac_town[sel & (facts.fac_town >= 0)], minlength=n)
                idx, unit_names = np.nonzero(tmask)[0], names
            else:
                umask = _unit_mask(t, facts)
                counts = np.bincount(facts.fac_unit[sel & (facts.fac_unit >= 0)], minlength=len(facts.unit_names))
                idx, unit_names = np.nonzero(umask)[0], list(facts.unit_names)
            need = t.figure if t.indicator == "count_per_unit" else max(t.figure, 1.0)
            rows = [_row(t, t.level, unit_names[i], need, float(counts[i])) for i in idx]
            units.extend(rows)
            county.append(_summary(t, rows, label))
        elif t.indicator == "reachable_from_every":
            umask = _unit_mask(t, facts)
            ok = facts.reached(t.classes, profile.minutes_of(t))
            unit_names = list(facts.unit_names)
            rows = [_row(t, t.level, unit_names[i], 1.0, 1.0 if ok[i] else 0.0) for i in np.nonzero(umask)[0]]
            units.extend(rows)
            county.append(_summary(t, rows, label))
        elif t.indicator == "share_of_units_with":
            sel = _class_mask(facts, t.classes)
            if t.level in ("township", "urban_street"):
                counts = np.bincount(facts.fac_town[sel & (facts.fac_town >= 0)], minlength=n)
                mask = tmask
            else:
                counts = np.bincount(facts.fac_unit[sel & (facts.fac_unit >= 0)], minlength=len(facts.unit_names))
                mask = _unit_mask(t, facts)
            total = int(mask.sum())
            actual = float((counts[mask] > 0).sum()) / total if total else math.nan
            county.append(_row(t, "county", label, t.figure, actual))
        elif t.indicator == "covered_share":
            cov = np.asarray(facts.covered(t.classes, profile.minutes_of(t)), float)
            if t.level == "county":
                e = facts.town_elderly[tmask]
                actual = float(cov[tmask].sum() / e.sum()) if e.size and not np.isnan(e).any() and e.sum() > 0 else math.nan
                county.append(_row(t, "county", label, t.figure, actual))
            else:
                rows = []
                for i in np.nonzero(tmask)[0]:
                    e = facts.town_elderly[i]
                    rows.append(_row(t, t.level, names[i], t.figure, float(cov[i] / e) if e > 0 else math.nan))
                units.extend(rows)
                county.append(_summary(t, rows, label))
    return county + units


def _summary(t: Target, rows: list[TargetRow], label: str) -> TargetRow:
    """A county row for a per-unit target: target = units, actual = units that meet it."""
    total = len(rows)
    met = sum(r.met for r in rows)
    return TargetRow(t.id, "county", label, t.indicator, float(total), float(met), met == total,
                     float(total - met), t.source, t.classes, True)


def county_label(area_name: str) -> str:
    """全市 for a (county-level) city, 全区 for a district, else 全县."""
    name = (area_name or "").strip()
    for bracket in ("（", "("):  # 如皋市（示例数据）
        name = name.split(bracket)[0].strip()
    for ending, label in (("市", "全市"), ("区", "全区"), ("县", "全县"), ("旗", "全旗")):
        if name.endswith(ending):
            return label
    return "全县"


def target_label(t: Target, *, class_label, lang: str = "zh", minutes: float | None = None) -> str:
    """A short name of the target (``class_label(id, lang)`` names the classes), e.g. 镇（街道）居家养老服务中心全覆盖."""
    zh = lang == "zh"
    sep = "或" if zh else " or "
    cls = sep.join(class_label(c, lang) for c in t.classes)
    lvl = LEVEL_LABELS[t.level] if zh else LEVEL_LABELS_EN[t.level]
    scope = {"urban": "市区" if zh else "urban ", "rural": "农村" if zh else "rural "}.get(t.scope or "", "")
    inst = t.beds == "institutional"
    m = f"{minutes:g}" if minutes is not None else ""
    if t.indicator == "beds_per_1000":
        return (f"{scope}每千名老人{'机构' if inst else '养老'}床位" if zh
                else f"{scope}{'institutional ' if inst else ''}beds per 1,000 elderly")
    if t.indicator == "nursing_share":
        return (f"{scope}护理型床位占{'养老机构床位' if inst else '养老床位'}比例" if zh
                else f"{scope}nursing-type share of {'institutional' if inst else 'all'} beds")
    if t.indicator == "present_in_every":
        return f"{scope}{lvl}{cls}全覆盖" if zh else f"{cls} in every {scope}{lvl}"
    if t.indicator == "reachable_from_every":
        return (f"{lvl}{m}分钟可达{cls}" if zh else f"{cls} within {m} min of every {lvl}")
    if t.indicator == "share_of_units_with":
        return f"{scope}{lvl}{cls}覆盖率" if zh else f"share of {scope}{lvl} units with {cls}"
    if t.indicator == "count_per_unit":
        rng = f"{t.figure:g}–{t.maximum:g}" if t.maximum is not None else f"≥{t.figure:g}"
        return f"每个{lvl}{cls}{rng}个" if zh else f"{rng} {cls} per {lvl}"
    return f"{scope}{cls}{m}分钟覆盖老人比例" if zh else f"share of elderly within {m} min of {cls}"
