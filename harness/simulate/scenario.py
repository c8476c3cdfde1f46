"""contracts/scenarios/<name>.yaml: a simulated world's parameters and the thresholds a supplier must meet.

A scenario names its provider, the world (wearers, days, the London dates the days start on, which
situations to seed: `recipes`, see harness.simulate.world) and the thresholds `simulate` judges against
(recall and precision at least; detection latency p50/p95, start and end error at most), for every breach
kind the world seeds. Its shape is checked here, by a JSON Schema, so `lint` and `simulate` report the
same findings, each with the file and the JSON pointer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from harness.errors import HarnessError
from harness.simulate.world import RECIPES

THRESHOLDS = {
    "recall": "at least",
    "precision": "at least",
    "latency_p50_minutes": "at most",
    "latency_p95_minutes": "at most",
    "start_error_seconds": "at most",
    "end_error_seconds": "at most",
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "provider", "world", "thresholds"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "description": {"type": "string"},
        "provider": {"type": "string", "minLength": 1},
        "world": {
            "type": "object",
            "required": ["subjects", "days", "dates", "recipes", "grace_minutes", "gps"],
            "additionalProperties": False,
            "properties": {
                "subjects": {"type": "integer", "minimum": 1, "maximum": 100000},
                "days": {"type": "integer", "minimum": 1, "maximum": 31},
                "dates": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "date"}},
                "recipes": {"type": "array", "items": {"enum": sorted(RECIPES)}, "uniqueItems": True},
                "quiet_share": {"type": "number", "minimum": 0, "maximum": 1},
                "grace_minutes": {"type": "number", "minimum": 1, "maximum": 60},
                "zones": {"type": "boolean"},
                "curfews": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 2,
                        "items": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
                    },
                },
                "gps": {
                    "type": "object",
                    "required": ["interval_minutes", "upload_minutes", "noise_m", "gap_rate"],
                    "additionalProperties": False,
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "interval_minutes": {"type": "number", "exclusiveMinimum": 0, "maximum": 60},
                        "upload_minutes": {"type": "number", "exclusiveMinimum": 0, "maximum": 720},
                        "noise_m": {"type": "number", "minimum": 0, "maximum": 200},
                        "gap_rate": {"type": "number", "minimum": 0, "maximum": 0.9},
                    },
                },
                "battery": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "every_hours": {"type": "number", "exclusiveMinimum": 0},
                    },
                },
            },
        },
        "thresholds": {
            "type": "object",
            "required": ["recall", "precision"],
            "additionalProperties": False,
            "properties": {
                "recall": {"type": "number", "minimum": 0, "maximum": 1},
                "precision": {"type": "number", "minimum": 0, "maximum": 1},
                "latency_p50_minutes": {"type": "number", "minimum": 0},
                "latency_p95_minutes": {"type": "number", "minimum": 0},
                "start_error_seconds": {"type": "number", "minimum": 0},
                "end_error_seconds": {"type": "number", "minimum": 0},
                "match_window_minutes": {"type": "number", "exclusiveMinimum": 0},
            },
        },
    },
}
ZONE_NEEDED = {"exclusion-entry", "inclusion-exit", "boundary-drift", "outage-breach"}


@dataclass(frozen=True)
class Problem:
    pointer: str
    problem: str


@dataclass
class Scenario:
    name: str
    path: Path
    provider: str
    world: dict[str, Any]
    thresholds: dict[str, float]
    description: str = ""


def _pointer(path: Any) -> str:
    return "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in path)


def problems_of(raw: Any, path: Path) -> list[Problem]:
    """Every finding about one scenario file's content (empty when it is usable)."""
    checker = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    found = [
        Problem(_pointer(e.absolute_path), e.message)
        for e in sorted(checker.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if found or not isinstance(raw, dict):
        return found
    if raw["name"] != path.stem:
        found.append(Problem("/name", f"{raw['name']!r} differs from the file name {path.stem!r}"))
    world = raw["world"]
    for i, recipe in enumerate(world["recipes"]):
        if recipe in ZONE_NEEDED and not world.get("zones"):
            found.append(Problem(f"/world/recipes/{i}", f"recipe {recipe!r} needs zones: true"))
        if recipe in ZONE_NEEDED and not world["gps"].get("enabled", True):
            found.append(Problem(f"/world/recipes/{i}", f"recipe {recipe!r} needs GPS (gps.enabled)"))
    for i, (start, end) in enumerate(world.get("curfews") or []):
        if start == end:
            found.append(Problem(f"/world/curfews/{i}", "a curfew that starts when it ends"))
    return found


def read(path: Path) -> tuple[Any, list[Problem]]:
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [Problem("", f"unreadable: {str(exc).splitlines()[0]}")]
    return raw, problems_of(raw, path)


def scenario_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("*.yaml")) if Path(folder).is_dir() else []


def load_scenario(folder: Path, name: str) -> Scenario:
    """The scenario called `name`; a HarnessError (exit 2) naming the problem when it is unknown or invalid."""
    path = Path(folder) / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in scenario_files(folder)) or "none"
        raise HarnessError(f"no scenario {name!r} in {folder} (known: {known})")
    raw, found = read(path)
    if found:
        raise HarnessError(f"{path}: {found[0].pointer or '/'}: {found[0].problem} (run em-harness lint)")
    return Scenario(
        raw["name"], path, raw["provider"], raw["world"], dict(raw["thresholds"]), raw.get("description", "")
    )
