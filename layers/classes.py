"""Facility classes and statuses as data: the one registry that names them (Qt-free).

The bundled registry is ``projects/facility_classes.toml``. A bureau may replace it with a file of its own
(same keys) without touching code: ``carecircle --classes FILE`` or the environment variable
``CARECIRCLE_CLASSES``. Readers, profiles, the legend, tables, exports and the web map all take names,
symbols and colours from :func:`registry`.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import InputError
from .tables import normalize_header

DEFAULT_REGISTRY_PATH = Path(__file__).resolve().parents[1] / "projects" / "facility_classes.toml"
ENV_VAR = "CARECIRCLE_CLASSES"

LEVELS = ("county", "township", "community", "village")
BED_KINDS = ("institutional", "community", "none")
SYMBOLS = ("circle", "square", "triangle", "diamond", "pentagon", "star", "hexagon", "cross")
#: the statuses the analysis knows; a registry names them, it cannot add new ones
STATUS_IDS = ("existing", "planned", "to_close")
#: what a run counts: the baseline (现状) what exists, a plan scenario what exists and what is planned
BASELINE_STATUSES = ("existing",)
SCENARIO_STATUSES = ("existing", "planned")


@dataclass(frozen=True)
class FacilityClass:
    """One class of facility as the plans count it."""

    id: str
    name: str
    name_en: str
    synonyms: tuple[str, ...]
    level: str
    beds: str
    symbol: str
    colour: str

    def label(self, lang: str = "zh") -> str:
        return self.name if lang == "zh" else self.name_en

    @property
    def has_beds(self) -> bool:
        return self.beds != "none"


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    name_en: str
    synonyms: tuple[str, ...]

    def label(self, lang: str = "zh") -> str:
        return self.name if lang == "zh" else self.name_en


@dataclass(frozen=True)
class ClassRegistry:
    """The facility classes (in display order) and the statuses."""

    classes: tuple[FacilityClass, ...]
    statuses: tuple[Status, ...]
    source: str = ""

    def __post_init__(self) -> None:
        ids = [c.id for c in self.classes]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise InputError(f"facility class id {dup[0]!r} is defined twice")
        names: dict[str, str] = {}
        for c in self.classes:
            for text in (c.id, c.name, c.name_en, *c.synonyms):
                key = normalize_header(text)
                if key in names and names[key] != c.id:
                    raise InputError(f"the name {text!r} is given to two classes ({names[key]}, {c.id})")
                names[key] = c.id
        if tuple(s.id for s in self.statuses) != STATUS_IDS:
            raise InputError(f"the registry must name the statuses {', '.join(STATUS_IDS)} in this order")

    # -- classes ----------------------------------------------------------------------------------
    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.classes)

    def __contains__(self, class_id: object) -> bool:
        return class_id in self._by_id

    def __getitem__(self, class_id: str) -> FacilityClass:
        try:
            return self._by_id[class_id]
        except KeyError:
            raise KeyError(f"unknown facility class {class_id!r}") from None

    @cached_property
    def _by_id(self) -> dict[str, FacilityClass]:
        return {c.id: c for c in self.classes}

    @cached_property
    def _by_name(self) -> dict[str, str]:
        return {normalize_header(t): c.id for c in self.classes for t in (c.id, c.name, c.name_en, *c.synonyms)}

    def lookup(self, text: object) -> str | None:
        """The class id a list's type cell names (Chinese name, synonym, English name or id), else None."""
        return self._by_name.get(normalize_header(text))

    @property
    def default(self) -> str:
        """The class shown first (the registry's first: 日间照料中心 in the bundled one)."""
        return self.classes[0].id

    def label(self, class_id: str, lang: str = "zh") -> str:
        c = self._by_id.get(class_id)
        return c.label(lang) if c is not None else str(class_id)

    def accepted_names(self) -> str:
        """A short list of accepted names for an error message."""
        return ", ".join(f"{c.name}/{c.id}" for c in self.classes)

    def with_beds(self, kind: str = "all") -> tuple[str, ...]:
        """Ids of the classes whose beds count: ``all`` 养老床位 (institutional + community) or
        ``institutional`` (养老机构床位) only."""
        if kind == "institutional":
            return tuple(c.id for c in self.classes if c.beds == "institutional")
        if kind == "all":
            return tuple(c.id for c in self.classes if c.beds != "none")
        raise ValueError(f"bed kind must be 'all' or 'institutional', not {kind!r}")

    # -- statuses ---------------------------------------------------------------------------------
    @cached_property
    def _status_by_name(self) -> dict[str, str]:
        return {normalize_header(t): s.id for s in self.statuses for t in (s.id, s.name, s.name_en, *s.synonyms)}

    def lookup_status(self, text: object) -> str | None:
        return self._status_by_name.get(normalize_header(text))

    def status_label(self, status_id: str, lang: str = "zh") -> str:
        for s in self.statuses:
            if s.id == status_id:
                return s.label(lang)
        return str(status_id)

    def accepted_statuses(self) -> str:
        return ", ".join(f"{s.name}/{s.id}" for s in self.statuses)


def load_registry(path: str | os.PathLike[str]) -> ClassRegistry:
    """Read a registry file (TOML, the keys of ``projects/facility_classes.toml``)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("facility class registry not found", path=p) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the facility class registry: {exc}", path=p) from None
    return registry_from_dict(data, source=str(p))


def registry_from_dict(data: dict, *, source: str = "") -> ClassRegistry:
    where = Path(source) if source else None
    raw_classes = data.get("class")
    if not isinstance(raw_classes, list) or not raw_classes:
        raise InputError("the registry lists no [[class]]", path=where)
    classes = []
    for i, c in enumerate(raw_classes, start=1):
        if not isinstance(c, dict):
            raise InputError(f"class {i} is not a table", path=where)
        missing = [k for k in ("id", "name", "level", "beds") if k not in c]
        if missing:
            raise InputError(f"class {i} ({c.get('id', '?')}) lacks {', '.join(missing)}", path=where)
        unknown = sorted(set(c) - {"id", "name", "name_en", "synonyms", "level", "beds", "symbol", "colour"})
        if unknown:
            raise InputError(f"class {c['id']}: unknown keys {', '.join(unknown)}", path=where)
        cid = str(c["id"])
        if not cid.isascii() or not cid.replace("_", "").isalnum():
            raise InputError(f"class id {cid!r} must be ASCII letters, digits and _", path=where)
        if c["level"] not in LEVELS:
            raise InputError(f"class {cid}: level must be one of {', '.join(LEVELS)}", path=where)
        if c["beds"] not in BED_KINDS:
            raise InputError(f"class {cid}: beds must be one of {', '.join(BED_KINDS)}", path=where)
        symbol = str(c.get("symbol", "circle"))
        if symbol not in SYMBOLS:
            raise InputError(f"class {cid}: symbol must be one of {', '.join(SYMBOLS)}", path=where)
        colour = str(c.get("colour", "#555555"))
        if len(colour) != 7 or colour[0] != "#" or any(ch not in "0123456789abcdefABCDEF" for ch in colour[1:]):
            raise InputError(f"class {cid}: colour must be #rrggbb, not {colour!r}", path=where)
        classes.append(FacilityClass(
            id=cid, name=str(c["name"]), name_en=str(c.get("name_en", cid)),
            synonyms=tuple(str(s) for s in c.get("synonyms", ())), level=str(c["level"]), beds=str(c["beds"]),
            symbol=symbol, colour=colour.lower(),
        ))
    raw_status = data.get("status", [])
    statuses = tuple(
        Status(id=str(s["id"]), name=str(s.get("name", s["id"])), name_en=str(s.get("name_en", s["id"])),
               synonyms=tuple(str(x) for x in s.get("synonyms", ())))
        for s in raw_status if isinstance(s, dict) and "id" in s
    )
    if not statuses and Path(source) != DEFAULT_REGISTRY_PATH:
        statuses = load_registry(DEFAULT_REGISTRY_PATH).statuses  # a bureau's file may list classes only
    return ClassRegistry(classes=tuple(classes), statuses=statuses, source=source)


_current: ClassRegistry | None = None


def registry() -> ClassRegistry:
    """The registry in use: set by :func:`use_registry`, else ``$CARECIRCLE_CLASSES``, else the bundled one."""
    global _current
    if _current is None:
        env = os.environ.get(ENV_VAR)
        _current = load_registry(env) if env else load_registry(DEFAULT_REGISTRY_PATH)
    return _current


def use_registry(reg: ClassRegistry | str | os.PathLike[str] | None) -> ClassRegistry:
    """Make ``reg`` (a registry or a file) the one in use; ``None`` goes back to the default."""
    global _current
    _current = None if reg is None else (reg if isinstance(reg, ClassRegistry) else load_registry(reg))
    return registry()
