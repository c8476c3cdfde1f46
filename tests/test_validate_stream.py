"""`em-harness validate-stream`: every kind of bad line counted and reported, never a crash."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import UnusableInput
from harness.schemas.registry import SchemaRegistry
from harness.stream import validate
from harness.stream.validate import (
    INVALID,
    LONG_LINE,
    NO_EVENT_TYPE,
    NO_VERSION,
    NOT_JSON,
    NOT_OBJECT,
    NOT_UTF8,
    TOO_LONG,
    UNKNOWN_TYPE,
    UNKNOWN_VERSION,
    StreamValidator,
    read_blocks,
    read_lines,
    run_parallel,
    run_validate_stream,
)
from tests.helpers import em
from tests.streaming import cli


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


# -- hardening (issue 12): nothing lost, never a crash, never a false pass ------------------------------------
def _lines_file(tmp_path, root, extra: bytes = b"") -> tuple[Path, int]:
    _, examples = _examples(root)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in examples) + extra)
    return path, len(examples)


@pytest.mark.parametrize("how", ["same path", "hard link", "symlink", "relative path"])
def test_errors_out_that_is_the_input_is_refused_before_anything_is_touched(root, tmp_path, how, monkeypatch):
    src, _ = _lines_file(tmp_path, root, b"not json\n")
    before = src.read_bytes()
    target = {"same path": src, "hard link": tmp_path / "hard.jsonl", "symlink": tmp_path / "sym.jsonl"}.get(how)
    if how == "hard link":
        os.link(src, target)
    elif how == "symlink":
        target.symlink_to(src)
    elif how == "relative path":
        monkeypatch.chdir(tmp_path)
        target = Path("./sub/../in.jsonl")
        (tmp_path / "sub").mkdir()
    result = cli("validate-stream", str(src), "--errors-out", str(target))
    assert result.code == 2
    assert (
        result.err == f"em-harness: error: --errors-out {target}: that is an input file; write it elsewhere "
        "(the input was not touched)\n"
    )
    assert result.out == ""
    assert src.read_bytes() == before


def test_errors_out_elsewhere_is_written(root, tmp_path):
    src, n = _lines_file(tmp_path, root, b"not json\n")
    result = cli("validate-stream", str(src), "--errors-out", str(tmp_path / "bad.jsonl"))
    assert result.code == 1, result.text
    (written,) = [json.loads(line) for line in (tmp_path / "bad.jsonl").read_text().splitlines()]
    assert (written["line"], written["kind"]) == (n + 1, NOT_JSON)


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\r\n"])
def test_empty_input_is_exit_2(root, tmp_path, data):
    src = tmp_path / "empty.jsonl"
    src.write_bytes(data)
    result = cli("validate-stream", str(src))
    assert result.code == 2
    assert (
        result.err == f"em-harness: error: {src}: no messages (empty, or only blank lines); give the extract or "
        "traffic to check\n"
    )
    stdin = cli("validate-stream", "-", stdin=data)
    assert stdin.code == 2 and stdin.err.startswith("em-harness: error: standard input: no messages")


def test_closed_stdin_is_one_line(root, monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(UnusableInput, match=r"^standard input is closed; give a \.jsonl file, or pipe the lines in$"):
        run_validate_stream("-", errors_out=None, show=5, root=root)


def test_non_schema_bad_lines_are_exit_1_with_their_line_numbers(root, tmp_path):
    extra = b"\n".join([b"\xff\xfe{}", b'{"eventType": "x\x00"}', b"\x00", b"{}}", b"nul\x00l"]) + b"\n"
    src, n = _lines_file(tmp_path, root, extra)
    result = cli("validate-stream", str(src))
    assert result.code == 1, result.text
    assert f"line {n + 1}: not UTF-8: /: invalid UTF-8 byte at column 1" in result.out
    for line in (n + 2, n + 3, n + 4, n + 5):
        assert f"line {line}: not JSON: /: " in result.out
    assert "not UTF-8: 1\nnot JSON: 4\n" in result.out
    assert result.out.strip().splitlines()[-1] == f"{n + 5} message(s): {n} valid, 5 invalid"
    assert "Traceback" not in result.text


def test_a_line_over_the_bound_is_a_bad_line_never_held_whole(root, tmp_path):
    registry, examples = _examples(root)
    good = orjson.dumps(examples[0])
    data = good + b"\n" + b'{"a": "' + b"x" * 5000 + b'"}\n' + good + b"\n" + b"y" * 3000
    bad = []
    validator = StreamValidator(registry, max_line=len(good) + 10)
    summary = validator.run(read_lines(io.BytesIO(data), validator.max_line), on_bad=bad.append)
    assert sum(summary.valid.values()) == 2
    assert [(b.line, b.kind) for b in bad] == [(2, TOO_LONG), (4, TOO_LONG)]
    assert bad[0].reasons == [("", f"longer than {len(good) + 10:,} bytes; skipped without reading it whole")]
    assert bad[0].raw == b""


class _Endless(io.RawIOBase):
    """A file of `size` bytes of one line without a newline, produced as it is read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.chunk = b"x" * (1 << 20)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = min(self.left, len(self.chunk) if n < 0 else n)
        self.left -= n
        return self.chunk[:n] if n < len(self.chunk) else self.chunk


def test_a_256_mib_line_is_read_in_bounded_memory() -> None:
    tracemalloc.start()
    try:
        blocks = list(read_blocks(_Endless(256 << 20), max_line=4 << 20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blocks == [[LONG_LINE]]
    assert peak < 16 << 20, peak


@settings(max_examples=150, deadline=None, database=None)
@given(
    data=st.lists(st.sampled_from([b"a", b"bb", b"\n", b"\r", b"ccccccc", b"{}", b"\n\n"])).map(b"".join),
    max_line=st.integers(1, 12),
    size=st.integers(1, 9),
)
def test_blocks_split_exactly_as_lines_do(data: bytes, max_line: int, size: int) -> None:
    expected = data.split(b"\n")
    if expected[-1] == b"":
        expected.pop()
    expected = [LONG_LINE if len(line) > max_line else line for line in expected]
    got = [line for block in read_blocks(io.BytesIO(data), max_line, size) for line in block]
    assert [g is LONG_LINE for g in got] == [e is LONG_LINE for e in expected]
    assert got == expected


def _mixed(root) -> bytes:
    _, examples = _examples(root)
    lines = [orjson.dumps(e) for e in examples] * 6
    broken = copy.deepcopy(examples[3])
    broken["version"] = "1"
    lines[7] = orjson.dumps(broken)
    lines[40] = b"\xc3\x28"
    lines[41] = b""
    lines[90] = b'{"a": "' + b"z" * 9000 + b'"}'
    return b"\n".join(lines) + b"\n"


def test_the_parallel_path_gives_the_serial_verdicts_line_for_line(root):
    registry, _ = _examples(root)
    data = _mixed(root)
    validator = StreamValidator(registry, keep_first=3, max_line=8000)
    serial_bad, parallel_bad = [], []
    serial = validator.run(read_lines(io.BytesIO(data), 8000), on_bad=serial_bad.append)
    parallel = run_parallel(validator, io.BytesIO(data), 2, on_bad=parallel_bad.append, block_size=3000)
    assert [(b.line, b.kind) for b in serial_bad] == [(8, NO_VERSION), (41, NOT_UTF8), (91, TOO_LONG)]
    assert [(b.line, b.kind, b.reasons) for b in parallel_bad] == [(b.line, b.kind, b.reasons) for b in serial_bad]
    assert [b.line for b in parallel.first] == [8, 41, 91]
    for attr in ("lines", "blank", "valid", "invalid", "problems"):
        assert getattr(parallel, attr) == getattr(serial, attr), attr


def test_the_command_takes_the_parallel_path_over_its_threshold(root, tmp_path, monkeypatch):
    src = tmp_path / "big.jsonl"
    src.write_bytes(_mixed(root))
    calls = []
    real = validate.run_parallel
    monkeypatch.setattr(validate, "run_parallel", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    serial = cli("validate-stream", str(src), "-j", "2")
    assert calls == []
    parallel = cli("validate-stream", str(src), "-j", "2", env={"EM_HARNESS_PARALLEL_FROM": "100"})
    assert calls == [2]
    assert parallel.code == serial.code == 1
    assert parallel.out == serial.out
    assert "line 8: no integer version: /version: missing or not an integer" in parallel.out


def test_a_closed_stdout_is_one_line_and_exit_2(root, tmp_path):
    src, _ = _lines_file(tmp_path, root)
    env = dict(os.environ, PACT_DO_NOT_TRACK="true")
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "validate-stream", str(src), "--root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    proc.stdout.close()  # the reader went away before the report (`| head -0`)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 2
    assert err == "em-harness: error: standard output closed before the report was written (broken pipe)\n"


def test_an_invalid_line_never_shows_a_personal_value_in_clear(tmp_path):
    """jsonschema-rs quotes the failing value ("1990-02-31" is not a "date"; 12345678 is not of type "string");
    where the schema marks it x-personal-data it is shown as <redacted>, on screen and in --errors-out, while
    the pointer and the rule it broke stay."""
    import orjson as _orjson

    from tests.streaming import ROOT, cli

    registry = SchemaRegistry(ROOT / "schemas")
    (doc,) = [d for d in registry.messages() if d.name == "order-submitted"]
    msg = json.loads(json.dumps(doc.contents["examples"][0]))
    wearer = msg["additionalInformation"]["device_wearer"]
    wearer["date_of_birth"] = "1990-02-31"
    wearer["first_name"] = 12345678
    wearer["last_name"] = "Canaryperson"
    msg["description"] = 7  # not personal: still quoted as it is
    extract = tmp_path / "extract.jsonl"
    extract.write_bytes(_orjson.dumps(msg) + b"\n")
    errors = tmp_path / "errors.jsonl"
    result = cli("validate-stream", str(extract), "--errors-out", str(errors))
    assert result.code == 1, result.text
    written = errors.read_text()
    for text in (result.text, written):
        assert "1990-02-31" not in text and "12345678" not in text and "Canaryperson" not in text
    assert "/additionalInformation/device_wearer/date_of_birth" in result.out
    assert "/additionalInformation/device_wearer/first_name" in result.out and '"string"' in result.out
    assert "<redacted>" in result.out and "7 is not of type" in result.out
    (line,) = [json.loads(x) for x in written.splitlines()]
    assert json.loads(line["raw"])["additionalInformation"]["device_wearer"]["last_name"] == "<redacted>"
