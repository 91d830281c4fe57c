"""Standard profiles: planning targets kept in small TOML (or JSON) files.

The bundled ones live in ``projects/profiles/``; a planner may point at a file of their own with the same
keys (see :class:`spatial.indicators.StandardProfile`).
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import fields
from pathlib import Path

from layers.errors import InputError
from spatial.indicators import StandardProfile

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "nantong-2014"


def available_profiles() -> list[str]:
    """Names of the bundled profiles."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


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
    known = {f.name for f in fields(StandardProfile)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"unknown profile keys {', '.join(unknown)}; allowed: {', '.join(sorted(known))}", path=path)
    if "name" not in data:
        data = {**data, "name": path.stem if path is not None else "custom"}
    try:
        return StandardProfile(**data)
    except (TypeError, ValueError) as exc:
        raise InputError(f"invalid profile: {exc}", path=path) from None


def profile_to_dict(profile: StandardProfile) -> dict:
    return {f.name: getattr(profile, f.name) for f in fields(StandardProfile)}
