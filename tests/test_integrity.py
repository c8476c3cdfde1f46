"""References across the lines of an extract (harness/stream/integrity.py), before validate-stream uses it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from harness.schemas.registry import SchemaRegistry
from harness.stream.integrity import IntegrityChecker


@pytest.fixture(scope="module")
def registry(root: Path) -> SchemaRegistry:
    return SchemaRegistry(root / "schemas")


@pytest.fixture(scope="module")
def extract(registry: SchemaRegistry) -> list[dict[str, Any]]:
    return [ex for doc in registry.messages() if not doc.name.startswith("sim-") for ex in doc.contents["examples"]]


def _check(registry: SchemaRegistry, tmp_path: Path, messages: list[dict[str, Any]]) -> Any:
    checker = IntegrityChecker(registry, tmp_path)
    try:
        for n, msg in enumerate(messages, 1):
            checker.add(n, msg)
        return checker.finish()
    finally:
        checker.close()


def _first(messages: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(m for m in messages if m["eventType"] == f"electronic-monitoring.{name}")


def test_the_catalogue_examples_hold_together(registry, extract, tmp_path) -> None:
    result = _check(registry, tmp_path, extract)
    assert result.intact, (result.first_dangling, result.first_duplicates)


def test_a_reference_may_come_before_what_it_refers_to(registry, extract, tmp_path) -> None:
    activations = [m for m in extract if m["eventType"].endswith("device-activated")]
    rest = [m for m in extract if m not in activations]
    assert _check(registry, tmp_path, [*rest, *activations]).intact


def test_a_position_of_a_device_never_activated_is_named(registry, extract, tmp_path) -> None:
    messages = copy.deepcopy(extract)
    batch = _first(messages, "positions-reported")
    batch["additionalInformation"]["positions"][0]["device_id"] = 424242
    result = _check(registry, tmp_path, messages)
    assert result.dangling == 1
    (dangling,) = result.first_dangling
    assert dangling.line == messages.index(batch) + 1
    assert dangling.event_type == "electronic-monitoring.positions-reported"
    assert dangling.reference == "device_id -> device-activated device_id"
    assert dangling.value == "424242"
    assert result.duplicates == 0


def test_a_violation_of_a_case_never_created_is_named(registry, extract, tmp_path) -> None:
    messages = [m for m in extract if not m["eventType"].endswith("case-created")]
    result = _check(registry, tmp_path, messages)
    refs = {(d.event_type.split(".")[-1], d.reference) for d in result.first_dangling}
    assert ("violation-raised", "caseId -> case-created caseId") in refs
    assert ("visit-completed", "caseId -> case-created caseId") in refs
    assert all(d.reference.endswith("case-created caseId") for d in result.first_dangling)


def test_a_duplicate_event_id_is_named_with_both_lines(registry, extract, tmp_path) -> None:
    again = copy.deepcopy(_first(extract, "alert-raised"))
    messages = [*extract, again]
    result = _check(registry, tmp_path, messages)
    assert result.duplicates == 1
    (dup,) = result.first_duplicates
    assert dup.event_id == again["eventId"]
    assert dup.first_line == extract.index(_first(extract, "alert-raised")) + 1
    assert dup.line == len(messages)
    assert result.dangling == 0
