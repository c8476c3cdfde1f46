"""References across the lines of an extract (harness/stream/integrity.py), before validate-stream uses it."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from harness.schemas.registry import SchemaRegistry
from harness.stream.integrity import IntegrityChecker
from harness.stream.validate import StreamValidator, read_lines, run_parallel
from tests.streaming import cli


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


# -- validate-stream --integrity: the command, serial and parallel ------------------------------------------------
PATHS = {"serial": {}, "parallel": {"EM_HARNESS_PARALLEL_FROM": "0"}}


def _write(path: Path, messages: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(m) + b"\n" for m in messages))
    return path


@pytest.mark.parametrize("path", PATHS)
def test_an_intact_extract_is_exit_0_and_says_so(registry, extract, tmp_path, path) -> None:
    # activations and cases last: a reference may come before what it refers to
    late = [m for m in extract if m["eventType"].endswith(("device-activated", "case-created"))]
    src = _write(tmp_path / "x.jsonl", [*[m for m in extract if m not in late], *late])
    result = cli("validate-stream", str(src), "--integrity", "-j", "2", env=PATHS[path])
    assert result.code == 0, result.text
    assert result.out.strip().splitlines()[-1] == (
        f"{len(extract)} message(s): {len(extract)} valid, 0 invalid; references intact, no duplicate eventId"
    )


@pytest.mark.parametrize("path", PATHS)
def test_dangling_references_and_duplicates_are_named_by_line_and_key(registry, extract, tmp_path, path) -> None:
    messages = copy.deepcopy(extract)
    batch = _first(messages, "positions-reported")
    position = batch["additionalInformation"]["positions"][1]
    position["device_id"] = 424242
    device_event = _first(messages, "device-event-reported")
    device_event["additionalInformation"]["deviceId"] = 525252
    messages.remove(_first(messages, "case-created"))  # the first case: its violations and visits dangle
    case = _first(extract, "case-created")["additionalInformation"]["caseId"]
    again = _first(messages, "alert-raised")
    messages.append(copy.deepcopy(again))
    src = _write(tmp_path / "x.jsonl", messages)
    errors = tmp_path / "findings.jsonl"
    result = cli("validate-stream", str(src), "--integrity", "-j", "2", "--errors-out", str(errors), env=PATHS[path])
    assert result.code == 1, result.text
    n = messages.index
    assert (
        f"line {n(batch) + 1}: dangling reference: positions-reported position_id={position['position_id']}: "
        "device_id -> device-activated device_id 424242 not found" in result.out
    )
    assert (
        f"line {n(device_event) + 1}: dangling reference: device-event-reported "
        f"eventId={device_event['additionalInformation']['eventId']}: deviceId -> device-activated device_id "
        "525252 not found" in result.out
    )
    orphans = [m for m in messages if m.get("additionalInformation", {}).get("caseId") == case]
    orphans = [m for m in orphans if "case-created caseId" in str(kinds_of(registry, m))]
    for m in orphans:
        assert f"line {n(m) + 1}: dangling reference: {m['eventType'].split('.')[-1]} " in result.out
        assert f"caseId -> case-created caseId {case} not found" in result.out
    assert {m["eventType"].split(".")[-1] for m in orphans} >= {"violation-raised", "visit-completed"}
    assert f"line {len(messages)}: duplicate eventId {again['eventId']} (first on line {n(again) + 1})" in result.out
    dangling = 2 + len(orphans)
    assert result.out.strip().splitlines()[-1] == (
        f"{len(messages)} message(s): {len(messages)} valid, 0 invalid; {dangling} dangling reference(s), "
        f"1 duplicate eventId(s); every finding is in {errors}"
    )
    written = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [w["kind"] for w in written] == ["dangling reference"] * dangling + ["duplicate eventId"]
    assert [w["line"] for w in written[:-1]] == sorted(w["line"] for w in written[:-1])
    assert written[-1] == {
        "kind": "duplicate eventId",
        "eventId": again["eventId"],
        "firstLine": n(again) + 1,
        "line": len(messages),
    }


def kinds_of(registry: SchemaRegistry, msg: dict[str, Any]) -> list[str]:
    from harness.stream.records import kinds

    kind = kinds(registry).get(msg["eventType"])
    return [ref.text for ref in kind.references] if kind else []


def test_without_integrity_references_are_not_checked(extract, tmp_path) -> None:
    src = _write(tmp_path / "x.jsonl", [m for m in extract if not m["eventType"].endswith("case-created")])
    result = cli("validate-stream", str(src))
    assert result.code == 0, result.text
    assert "dangling" not in result.out


def test_a_personal_reference_value_is_never_shown(catalogue_copy, tmp_path) -> None:
    common = catalogue_copy / "schemas" / "common" / "v1.json"
    schema = json.loads(common.read_text())
    schema["$defs"]["deviceId"]["x-personal-data"] = True
    common.write_text(json.dumps(schema))
    positions = catalogue_copy / "schemas" / "positions-reported" / "v1.json"
    schema = json.loads(positions.read_text())
    schema["$defs"]["position"]["properties"]["position_id"]["x-personal-data"] = True
    positions.write_text(json.dumps(schema))
    registry = SchemaRegistry(catalogue_copy / "schemas")
    messages = [ex for d in registry.messages() if not d.name.startswith("sim-") for ex in d.contents["examples"]]
    batch = _first(messages, "positions-reported")
    batch["additionalInformation"]["positions"][0]["device_id"] = 424242
    batch["additionalInformation"]["positions"][0]["position_id"] = 31337
    errors = tmp_path / "e.jsonl"
    src = _write(tmp_path / "x.jsonl", messages)
    result = cli("validate-stream", str(src), "--integrity", "--errors-out", str(errors), root=catalogue_copy)
    assert result.code == 1, result.text
    assert (
        f"line {messages.index(batch) + 1}: dangling reference: positions-reported position_id=<redacted>: "
        "device_id -> device-activated device_id <redacted> not found" in result.out
    )
    assert "424242" not in result.out + errors.read_text()
    assert "31337" not in result.out + errors.read_text()


def test_parallel_workers_ship_facts_across_blocks(registry, extract, tmp_path) -> None:
    messages = copy.deepcopy(extract) * 3
    messages = [{**m, "eventId": f"{m['eventId']}-{i}"} for i, m in enumerate(messages)]
    messages[-1]["eventId"] = messages[2]["eventId"]
    late = [m for m in messages if m["eventType"].endswith("device-activated")]
    messages = [*[m for m in messages if m not in late], *late]
    batch = copy.deepcopy(_first(messages, "positions-reported"))
    batch["additionalInformation"]["positions"][0]["device_id"] = 100235
    batch["eventId"] = "moved"
    messages.insert(len(messages) // 2, batch)
    data = b"".join(orjson.dumps(m) + b"\n" for m in messages)
    validator = StreamValidator(registry)
    (tmp_path / "s").mkdir()
    serial = IntegrityChecker(registry, tmp_path / "s")
    validator.run(read_lines(io.BytesIO(data)), on_message=serial.add)
    parallel = IntegrityChecker(registry, tmp_path)
    run_parallel(validator, io.BytesIO(data), 2, block_size=2000, integrity=parallel)
    s, p = serial.finish(), parallel.finish()
    assert (p.dangling, p.duplicates) == (s.dangling, s.duplicates) == (1, 1)
    assert p.first_dangling == s.first_dangling
    assert p.first_dangling[0].line == messages.index(batch) + 1
    assert p.first_dangling[0].value == "100235"
    assert p.first_duplicates == s.first_duplicates
    serial.close()
    parallel.close()


def test_a_batch_names_a_missing_device_once_per_line(registry, extract, tmp_path) -> None:
    messages = copy.deepcopy(extract)
    batch = _first(messages, "positions-reported")
    for position in batch["additionalInformation"]["positions"]:
        position["device_id"] = 424242
    first_key = batch["additionalInformation"]["positions"][0]["position_id"]
    result = _check(registry, tmp_path, messages)
    assert result.dangling == 1
    assert result.first_dangling[0].key == f"position_id={first_key}"
    assert len(batch["additionalInformation"]["positions"]) > 1


def test_a_value_provided_for_another_reference_does_not_count(registry, extract, tmp_path) -> None:
    # device-activated provides device_id (for positions) and device_activation_id (for deactivations):
    # a position naming a device by its activation's id is still dangling.
    messages = copy.deepcopy(extract)
    activation = _first(messages, "device-activated")["additionalInformation"]["device_activation_id"]
    _first(messages, "positions-reported")["additionalInformation"]["positions"][0]["device_id"] = activation
    result = _check(registry, tmp_path, messages)
    assert result.dangling == 1
    assert result.first_dangling[0].value == str(activation)


def test_a_reference_field_no_example_shows_is_redacted(catalogue_copy, extract, tmp_path) -> None:
    positions = catalogue_copy / "schemas" / "positions-reported" / "v1.json"
    schema = json.loads(positions.read_text())
    schema["examples"] = []
    positions.write_text(json.dumps(schema))
    messages = copy.deepcopy(extract)
    _first(messages, "positions-reported")["additionalInformation"]["positions"][0]["device_id"] = 424242
    result = _check(SchemaRegistry(catalogue_copy / "schemas"), tmp_path, messages)
    assert result.dangling == 1
    assert result.first_dangling[0].value == "<redacted>"
    assert result.first_dangling[0].key == "position_id=<redacted>"
