"""`em-harness validate-stream`: every kind of bad line counted and reported, never a crash."""

from __future__ import annotations

import copy
import json

import orjson

from harness.schemas.registry import SchemaRegistry
from harness.stream.validate import (
    INVALID,
    NO_EVENT_TYPE,
    NO_VERSION,
    NOT_JSON,
    NOT_OBJECT,
    NOT_UTF8,
    UNKNOWN_TYPE,
    UNKNOWN_VERSION,
    StreamValidator,
)
from tests.helpers import em


def _examples(root):
    registry = SchemaRegistry(root / "schemas")
    return registry, [e for d in registry.messages() for e in d.contents["examples"]]


def _stream(root) -> tuple[bytes, int]:
    _, examples = _examples(root)
    good = [orjson.dumps(e) for e in examples]
    broken = copy.deepcopy(examples[0])
    broken["occurredAt"] = "2026-03-14 10:15:00"
    lines = [
        *good,
        b"",  # blank lines are skipped, not counted
        b'{"eventType": "electronic-monitoring.case-status-returned", "version": 1,',
        b"[1, 2, 3]",
        b'{"version": 1}',
        b'{"eventType": "electronic-monitoring.case-status-returned"}',
        b'{"eventType": "electronic-monitoring.no-such-thing", "version": 1}',
        json.dumps({**examples[0], "version": 99}).encode(),
        b'{"eventType": "caf\xe9"}',
        orjson.dumps(broken),
    ]
    return b"\n".join(lines) + b"\n", len(good)


def test_engine_counts_each_kind_of_bad_line(root):
    registry, _ = _examples(root)
    data, n_good = _stream(root)
    bad = []
    summary = StreamValidator(registry).run(data.splitlines(keepends=True), on_bad=bad.append)
    assert sum(summary.valid.values()) == n_good
    assert summary.blank == 1
    assert dict(summary.problems) == {
        NOT_JSON: 1,
        NOT_OBJECT: 1,
        NO_EVENT_TYPE: 1,
        NO_VERSION: 1,
        UNKNOWN_TYPE: 1,
        UNKNOWN_VERSION: 1,
        NOT_UTF8: 1,
        INVALID: 1,
    }
    by_kind = {b.kind: b for b in bad}
    assert by_kind[INVALID].reasons[0][0] == "/occurredAt"
    assert by_kind[INVALID].line == n_good + 9
    assert by_kind[NOT_UTF8].line == n_good + 8


def test_command_reports_lines_and_pointers_and_writes_errors_out(root, tmp_path):
    data, n_good = _stream(root)
    src = tmp_path / "traffic.jsonl"
    src.write_bytes(data)
    errors_out = tmp_path / "bad.jsonl"
    result = em("validate-stream", str(src), "--errors-out", str(errors_out), cwd=root)
    assert result.code == 1, result.text
    assert f"line {n_good + 9}: breaks its schema: /occurredAt:" in result.out
    assert "unknown eventType: 1" in result.out and "not UTF-8: 1" in result.out
    written = [json.loads(line) for line in errors_out.read_text().splitlines()]
    assert len(written) == 8
    assert {w["kind"] for w in written} >= {NOT_JSON, NOT_UTF8, INVALID}
    assert all(w["reasons"] for w in written)


def test_all_valid_stream_from_stdin_exits_0(root):
    _, examples = _examples(root)
    data = b"\n".join(orjson.dumps(e) for e in examples) + b"\n"
    result = em("validate-stream", "-", cwd=root, stdin=data)
    assert result.code == 0, result.text
    assert f"{len(examples)} message(s): {len(examples)} valid, 0 invalid" in result.out


def test_missing_file_is_exit_2(root, tmp_path):
    result = em("validate-stream", str(tmp_path / "nope.jsonl"), cwd=root)
    assert result.code == 2
    assert "nope.jsonl: no such file" in result.err
    assert "Traceback" not in result.err
