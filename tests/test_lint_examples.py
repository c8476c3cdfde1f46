"""Lint: a pact example must tell the story of its provider state (check_examples_against_states).

Each fixture puts back one contradiction the catalogue once had, or breaks a state parameter, and expects
exactly that finding: the file, the line's pointer, the state, the flow rule and both values."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.catalogue.lint import CHECKS, check_examples_against_states, lint_project
from harness.project import find_project

DATASTORE = "contracts/pacts/em-datastore-field-monitoring-service.json"
ALERTS = "contracts/pacts/probation-alerts-field-monitoring-service.json"
BODY = "/interactions/{}/contents/content/additionalInformation"


def findings(root: Path) -> list[str]:
    found, _ = lint_project(find_project(root), [check_examples_against_states])
    return [f"{f.file}: {f.pointer}: {f.problem}" for f in found]


def edit(root: Path, rel: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / rel
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def info(doc: dict[str, Any], i: int) -> dict[str, Any]:
    return doc["interactions"][i]["contents"]["content"]["additionalInformation"]


def test_the_shipped_examples_agree_with_their_states(root: Path) -> None:
    assert check_examples_against_states in CHECKS  # `em-harness lint` runs it
    assert findings(root) == []


def _thirty_minutes(doc: dict[str, Any]) -> None:
    info(doc, 7).update(duration=1800, end="2026-06-20 21:35:00")


def _tamper_early(doc: dict[str, Any]) -> None:
    info(doc, 3)["start"] = "2026-06-22 03:10:00"


def _thirty_minute_param(doc: dict[str, Any]) -> None:
    doc["interactions"][6]["providerStates"][0]["params"]["minutes_absent"] = 30


def _fixed_too(doc: dict[str, Any]) -> None:
    info(doc, 7).update(duration=2700, end="2026-06-20 21:50:00")


@pytest.mark.parametrize(
    ("rel", "change", "expected"),
    [
        (
            DATASTORE,
            _thirty_minutes,
            f"{DATASTORE}: {BODY.format(7)}/duration: the example contradicts its provider state 'a curfew violation "
            "has been excused': flow 'curfew breach lifecycle', step 'updated': the closed violation lasted as long "
            "as the home unit reported the wearer away: expected 2700, the example has 1800; fix the example (or "
            "the state) so the two tell the same story",
        ),
        (
            ALERTS,
            _tamper_early,
            f"{ALERTS}: {BODY.format(3)}/start: the example contradicts its provider state 'a device has been tampered "
            "with': flow 'tamper', step 'violation': the violation starts at the tamper's time, in London local "
            "time: expected '2026-06-22 03:12:00', the example has '2026-06-22 03:10:00'; fix the example (or the "
            "state) so the two tell the same story",
        ),
        (
            DATASTORE,
            _thirty_minute_param,
            f"{DATASTORE}: {BODY.format(6)}/duration: the example contradicts its provider state 'a device wearer has "
            "breached curfew': flow 'curfew breach lifecycle', step 'raised': the absence lies inside the curfew, "
            "so the violation lasts as long as the wearer was away: expected 1800, the example has 2700; fix the "
            "example (or the state) so the two tell the same story",
        ),
    ],
    ids=["excused-45-minutes-says-30", "tamper-starts-early", "param-30-example-45"],
)
def test_a_contradiction_is_one_finding(catalogue_copy: Path, rel: str, change: Any, expected: str) -> None:
    edit(catalogue_copy, rel, change)
    assert findings(catalogue_copy) == [expected]


def test_a_consistent_change_is_no_finding(catalogue_copy: Path) -> None:
    """An example may say anything the state allows: the rules judge values, not the example's own text."""
    edit(catalogue_copy, DATASTORE, _fixed_too)
    edit(catalogue_copy, ALERTS, lambda doc: info(doc, 3).update(start="2026-06-22 03:12:00", duration=60))
    assert findings(catalogue_copy) == []
