"""Standard profiles: the targets of a plan, kept in small TOML (or JSON) files, each target with its source.

The bundled ones live in ``projects/profiles/``; a planner may point at a file of their own with the same
keys. A file holds the profile's ``name``, ``title``, ``document``, ``issuer``, ``year``,
``coverage_minutes`` and a list of ``[[target]]`` tables with the fields of :class:`spatial.targets.Target`
(``id``, ``indicator``, ``level``, ``figure``, ``classes``, ``beds``, ``scope``, ``maximum``, ``minutes``,
``year``, ``clause``, ``elderly_basis``, ``note``; ``document`` defaults to the profile's).
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import fields
from pathlib import Path

from layers.classes import registry
from layers.errors import InputError
from spatial.targets import StandardProfile, Target

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "rugao-2022"

_PROFILE_KEYS = {f.name for f in fields(StandardProfile)} - {"targets"}
_TARGET_KEYS = {f.name for f in fields(Target)}


def available_profiles() -> list[str]:
    """Names of the bundled profiles."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def short_title(name: str, title: str = "") -> str:
    """A profile's short Chinese title, the part of its title before the colon (``南通 2014``); its name when
    it has no title."""
    return title.split("：", 1)[0].strip() or name


def profile_titles() -> dict[str, str]:
    """The title of each bundled profile by name (``nantong-2014`` → ``南通 2014：每千名老人床位28.5张以上，…``);
    a profile that cannot be read has an empty title (it is refused with a reason when loaded)."""
    out: dict[str, str] = {}
    for name in available_profiles():
        try:
            out[name] = str(tomllib.loads((PROFILE_DIR / f"{name}.toml").read_text(encoding="utf-8")).get("title", ""))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            out[name] = ""
    return out


def load_profile(name_or_path: str | Path) -> StandardProfile:
    """A bundled profile by name (``nantong-2014``) or a ``.toml``/``.json`` file of the same keys."""
    path = Path(name_or_path)
    if path.suffix.lower() not in (".toml", ".json"):
        path = PROFILE_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise InputError(f"unknown profile {name_or_path!r}; bundled profiles: {', '.join(available_profiles())}")
    if not path.is_file():
        raise InputError("profile file not found", path=path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read the profile: {exc}", path=path) from None
    return profile_from_dict(data, path=path)


def profile_from_dict(data: dict, *, path: Path | None = None) -> StandardProfile:
    """A profile from its dict form (a profile file, or a project's saved settings)."""
    if not isinstance(data, dict):
        raise InputError("a profile is a table of keys", path=path)
    raw_targets = data.get("target", data.get("targets", []))
    unknown = sorted(set(data) - _PROFILE_KEYS - {"target", "targets"})
    if unknown:
        old = {"covered_share_target", "beds_per_1000_min", "nursing_share_min", "day_care_every_township",
               "meal_point_every_urban_community", "source"}
        if set(unknown) & old:
            raise InputError("this profile is in the old format (one set of flags); profiles now list [[target]] "
                             "tables with a level and a source — see projects/profiles/*.toml", path=path)
        raise InputError(f"unknown profile keys {', '.join(unknown)}; allowed: {', '.join(sorted(_PROFILE_KEYS))}, [[target]]",
                         path=path)
    if not isinstance(raw_targets, list):
        raise InputError("[[target]] must be a list of tables", path=path)
    reg = registry()
    targets = []
    for i, t in enumerate(raw_targets, start=1):
        if not isinstance(t, dict):
            raise InputError(f"target {i} is not a table", path=path)
        bad = sorted(set(t) - _TARGET_KEYS)
        if bad:
            raise InputError(f"target {t.get('id', i)}: unknown keys {', '.join(bad)}; allowed: {', '.join(sorted(_TARGET_KEYS))}",
                             path=path)
        missing = [k for k in ("id", "indicator", "level", "figure") if k not in t]
        if missing:
            raise InputError(f"target {t.get('id', i)} lacks {', '.join(missing)}", path=path)
        classes = tuple(str(c) for c in t.get("classes", ()))
        unknown_classes = [c for c in classes if c not in reg]
        if unknown_classes:
            raise InputError(f"target {t['id']}: unknown facility class {unknown_classes[0]!r}; the registry has "
                             f"{', '.join(reg.ids)}", path=path)
        try:
            targets.append(Target(**{**t, "classes": classes, "figure": float(t["figure"]),
                                     "document": t.get("document", _document(data))}))
        except (TypeError, ValueError) as exc:
            raise InputError(f"invalid target: {exc}", path=path) from None
    head = {k: v for k, v in data.items() if k in _PROFILE_KEYS}
    if "name" not in head:
        head["name"] = path.stem if path is not None else "custom"
    try:
        return StandardProfile(**head, targets=tuple(targets))
    except (TypeError, ValueError) as exc:
        raise InputError(f"invalid profile: {exc}", path=path) from None


def profile_to_dict(profile: StandardProfile) -> dict:
    """The dict form :func:`profile_from_dict` reads (for project files; ``None`` values left out)."""
    head = {f.name: getattr(profile, f.name) for f in fields(StandardProfile) if f.name != "targets"}
    targets = []
    for t in profile.targets:
        d = {f.name: getattr(t, f.name) for f in fields(Target)}
        d["classes"] = list(t.classes)
        targets.append({k: v for k, v in d.items() if v is not None and v != ""})
    return {**{k: v for k, v in head.items() if v is not None}, "target": targets}


def _document(data: dict) -> str:
    """How a target cites its profile's document: 南通市民政局《2014年全市民政重点工作任务分解表》."""
    doc, issuer = str(data.get("document", "")), str(data.get("issuer", ""))
    if doc and not doc.startswith("《"):
        doc = f"《{doc}》"
    return f"{issuer}{doc}"
