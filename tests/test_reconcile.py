"""`em-harness reconcile OLD NEW`: a migration extract against what the new side holds, record by record."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from harness.schemas.registry import SchemaRegistry
from harness.stream import reconcile
from tests.helpers import em
from tests.streaming import cli


@pytest.fixture(scope="module")
def extract(root: Path) -> list[dict[str, Any]]:
    """Every example of every supplier-to-MoJ and MoJ message type: a small but complete extract."""
    registry = SchemaRegistry(root / "schemas")
    return [ex for doc in registry.messages() if not doc.name.startswith("sim-") for ex in doc.contents["examples"]]


def _write(path: Path, messages: list[Any], extra: str = "") -> Path:
    path.write_text("".join(json.dumps(m) + "\n" for m in messages) + extra, encoding="utf-8")
    return path


def _first(messages: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(m for m in messages if m["eventType"] == f"electronic-monitoring.{name}")


def test_an_extract_reconciles_with_itself(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    old = _write(tmp_path / "old.jsonl", extract)
    result = em("reconcile", str(old), str(old))
    assert result.code == 0, result.text
    last = result.out.strip().splitlines()[-1]
    assert last.startswith("RECONCILED: ")
    assert " 0 changed, 0 missing, 0 extra" in last


def test_missing_extra_and_changed_records_are_each_named(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    new = copy.deepcopy(extract)
    _first(new, "violation-raised")["additionalInformation"]["state"] = "Closed"
    new.remove(_first(new, "visit-completed"))
    batch = _first(new, "positions-reported")["additionalInformation"]["positions"]
    added = copy.deepcopy(batch[0]) | {"position_id": 987654321}
    batch.append(added)
    old_path, new_path = _write(tmp_path / "old.jsonl", extract), _write(tmp_path / "new.jsonl", new)
    out = tmp_path / "differences.jsonl"
    result = em("reconcile", str(old_path), str(new_path), "--out", str(out))
    assert result.code == 1, result.text
    violation = _first(extract, "violation-raised")["additionalInformation"]["sys_id"]
    visit = _first(extract, "visit-completed")["additionalInformation"]["visit_id"]
    old_line = extract.index(_first(extract, "violation-raised")) + 1
    assert f"changed: violation-raised sys_id={violation} (old line {old_line}, new line " in result.out
    assert result.out.count("changed: ") == 1
    assert (
        f"missing: visit-completed visit_id={visit} (old line {extract.index(_first(extract, 'visit-completed')) + 1})"
        in result.out
    )
    assert "extra: positions-reported position_id=987654321 (new line " in result.out
    assert result.out.strip().splitlines()[-1].startswith("NOT RECONCILED: ")
    assert "1 changed, 1 missing, 1 extra" in result.out
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(d["kind"] for d in written) == ["changed", "extra", "missing"]
    changed = next(d for d in written if d["kind"] == "changed")
    assert changed["fields"] == ["/state"]
    assert changed["eventType"] == "electronic-monitoring.violation-raised"


def test_no_personal_value_is_printed_or_written(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    new = copy.deepcopy(extract)
    wearer = _first(new, "order-submitted")["additionalInformation"]["device_wearer"]
    old_name = wearer["last_name"]
    wearer["last_name"] = "Zzyzx-Synthetic"
    out = tmp_path / "d.jsonl"
    result = em(
        "reconcile",
        str(_write(tmp_path / "o.jsonl", extract)),
        str(_write(tmp_path / "n.jsonl", new)),
        "--out",
        str(out),
    )
    assert result.code == 1, result.text
    assert "/device_wearer/last_name" in result.out
    for text in (result.out, result.err, out.read_text()):
        assert old_name not in text
        assert "Zzyzx-Synthetic" not in text


def test_numbers_compare_as_json_numbers(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    new = copy.deepcopy(extract)
    floats = 0
    for position in _first(new, "positions-reported")["additionalInformation"]["positions"]:
        for name, value in position.items():
            if isinstance(value, float) and value.is_integer():
                position[name] = int(value)
                floats += 1
    assert floats, "the example needs a float like 5.0 for this test"
    result = em("reconcile", str(_write(tmp_path / "o.jsonl", extract)), str(_write(tmp_path / "n.jsonl", new)))
    assert result.code == 0, result.text


def test_the_last_line_with_a_key_is_the_record(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    status = _first(extract, "case-status-returned")
    approved = copy.deepcopy(status)
    approved["additionalInformation"] |= {"status": "approved"}
    approved["additionalInformation"].pop("reasons", None)
    installed = copy.deepcopy(approved)
    installed["additionalInformation"]["status"] = "installed"
    old = _write(tmp_path / "o.jsonl", [approved, installed])
    new = _write(tmp_path / "n.jsonl", [installed])
    result = em("reconcile", str(old), str(new))
    assert result.code == 0, result.text
    assert "(1 superseded by a later line with the same key)" in result.out
    reversed_new = _write(tmp_path / "r.jsonl", [approved])
    result = em("reconcile", str(old), str(reversed_new))
    assert result.code == 1, result.text
    assert "changed: case-status-returned caseId=" in result.out
    assert ": /status" in result.out


def test_unreadable_lines_and_records_without_their_key_keep_it_from_reconciling(
    tmp_path: Path, extract: list[dict[str, Any]]
) -> None:
    keyless = copy.deepcopy(_first(extract, "violation-raised"))
    del keyless["additionalInformation"]["sys_id"]
    old = _write(tmp_path / "o.jsonl", extract)
    new = _write(tmp_path / "n.jsonl", [*extract, keyless, {"eventType": "electronic-monitoring.nothing"}], "{broken\n")
    result = em("reconcile", str(old), str(new))
    assert result.code == 1, result.text
    n = len(extract)
    assert f"new line {n + 1}: record without its key: violation-raised needs sys_id" in result.out
    assert f"new line {n + 2}: not a catalogue message: unknown eventType 'electronic-monitoring.nothing'" in result.out
    assert f"new line {n + 3}: not JSON" in result.out
    assert "3 unusable line(s) or record(s)" in result.out


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    old = _write(tmp_path / "o.jsonl", extract)
    result = em("reconcile", str(old), str(tmp_path / "absent.jsonl"))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"em-harness: error: {tmp_path / 'absent.jsonl'}: no such file; give a .jsonl file or - for standard input"
    ]
    before = old.read_bytes()
    result = em("reconcile", str(old), str(old), "--out", str(old))
    assert result.code == 2
    assert "that is an input file" in result.err
    assert old.read_bytes() == before
    assert em("reconcile", "-", "-").code == 2


# -- streaming input, hardened (issue 12's promises hold for reconcile too) -----------------------------------
def test_an_empty_old_side_is_unusable_input(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    result = cli("reconcile", str(empty), str(_write(tmp_path / "n.jsonl", extract)))
    assert result.code == 2
    assert result.err == (
        f"em-harness: error: {empty}: no messages (empty, or only blank lines); give the extract or traffic to check\n"
    )


def test_an_empty_new_side_is_every_record_missing(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = cli("reconcile", str(_write(tmp_path / "o.jsonl", extract)), str(empty))
    assert result.code == 1, result.text
    last = result.out.strip().splitlines()[-1]
    assert last.startswith("NOT RECONCILED: ") and " in new: 0 matched, 0 changed, " in last
    assert " 0 in new: " in last and " missing, 0 extra" in last


@pytest.mark.parametrize("how", ["hard link", "symlink"])
def test_out_that_is_an_input_by_another_name_is_refused(tmp_path: Path, extract: list[dict[str, Any]], how) -> None:
    old = _write(tmp_path / "o.jsonl", extract)
    new = _write(tmp_path / "n.jsonl", extract[1:])
    alias = tmp_path / "alias.jsonl"
    if how == "hard link":
        alias.hardlink_to(new)
    else:
        alias.symlink_to(new)
    before = new.read_bytes()
    result = cli("reconcile", str(old), str(new), "--out", str(alias))
    assert result.code == 2
    assert "that is an input file" in result.err
    assert new.read_bytes() == before


@pytest.mark.parametrize("path", [{}, {"EM_HARNESS_PARALLEL_FROM": "0"}], ids=["serial", "parallel"])
def test_a_line_over_the_bound_keeps_it_from_reconciling(tmp_path: Path, extract, monkeypatch, path) -> None:
    monkeypatch.setattr(reconcile, "MAX_LINE_BYTES", 20_000)
    old = _write(tmp_path / "o.jsonl", extract)
    new = _write(tmp_path / "n.jsonl", extract, extra='{"x": "' + "y" * 30_000 + '"}\n')
    result = cli("reconcile", str(old), str(new), env=path)
    assert result.code == 1, result.text
    assert f"new line {len(extract) + 1}: line too long: over 20,000 bytes, skipped unread" in result.out
    last = result.out.strip().splitlines()[-1]
    assert last.startswith("NOT RECONCILED: ") and " 0 changed, 0 missing, 0 extra " in last
    assert last.endswith("; 1 unusable line(s) or record(s)")


def test_worker_processes_give_the_serial_result(tmp_path: Path, extract: list[dict[str, Any]]) -> None:
    from harness.stream.reconcile import Reconciler

    registry = SchemaRegistry(Path(__file__).resolve().parent.parent / "schemas")
    old = [json.dumps(m).encode() for m in extract * 4]
    new = [line for line in old if line != old[3]]
    changed = json.loads(new[-2])  # in the last copy: no later line supersedes it
    changed["additionalInformation"]["migrated"] = True
    new[-2] = json.dumps(changed).encode()
    new.insert(20, b"not json")
    results = []
    for workers in (1, 2):
        (tmp_path / str(workers)).mkdir()
        rec = Reconciler(registry, tmp_path / str(workers), keep_first=1000)
        rec.block_size = 3000
        found: list[Any] = []
        rec.on_record = found.append
        for side, lines in enumerate((old, new)):
            rec.load(side, io.BytesIO(b"\n".join(lines) + b"\n"), workers)
        result = rec.compare()
        rec.close()
        results.append((result, [f.to_json() for f in found]))
    (serial, serial_found), (parallel, parallel_found) = results
    assert parallel_found == serial_found
    assert parallel.per_type == serial.per_type
    assert parallel.lines == serial.lines == [len(old), len(new)]
    assert sum(c.missing for c in serial.per_type.values()) > 0
    assert sum(c.changed for c in serial.per_type.values()) == 1
    for c in serial.per_type.values():  # each old record is matched, changed or missing: once
        assert c.matched + c.changed + c.missing == c.old
    assert sum(c.superseded_old for c in serial.per_type.values()) > 0
    assert {"kind": "unreadable", "side": "new", "line": 21, "problem": "not JSON"} in serial_found
