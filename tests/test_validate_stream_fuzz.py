"""Hypothesis against validate-stream: random bytes, random JSON and damaged catalogue messages never give an
internal error, a hang (a deadline per example) or a pass on an invalid line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.schemas.registry import SchemaRegistry
from harness.stream.validate import StreamValidator
from tests.streaming import ROOT, cli

REGISTRY = SchemaRegistry(ROOT / "schemas")
VALIDATOR = StreamValidator(REGISTRY, max_line=4096)
EXAMPLES = [e for d in REGISTRY.messages() for e in d.contents["examples"]]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def damaged(draw: Any) -> bytes:
    """A catalogue example with one value somewhere replaced, removed or added."""
    msg = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    node, path = msg, []
    while isinstance(node, dict | list) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        if not isinstance(node[key], dict | list):
            break
        node, path = node[key], [*path, key]
    action = draw(st.sampled_from(["set", "drop", "add"]))
    if isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node)))
        if action == "drop":
            del node[key]
        elif action == "add":
            node[draw(st.text(max_size=8))] = draw(json_values)
        else:
            node[key] = draw(json_values)
    elif isinstance(node, list) and node:
        node[draw(st.integers(0, len(node) - 1))] = draw(json_values)
    return orjson.dumps(msg, option=orjson.OPT_NON_STR_KEYS)


line = st.one_of(
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ")),
    json_values.map(lambda v: orjson.dumps(v)),
    damaged(),
    st.sampled_from(EXAMPLES).map(orjson.dumps),
    st.sampled_from(
        [
            b"x" * 5000,  # over the line bound
            b"[" * 2000 + b"]" * 2000,  # deeper than any parser's recursion
            b'{"eventType": "electronic-monitoring.alert-raised", "version": 1' + b"0" * 5000 + b"}",  # a huge integer
            b'{"eventType": "electronic-monitoring.alert-raised", "version": 1e400}',
            b'{"eventType": "electronic-monitoring.alert-raised", "version": true}',
            b'{"eventType": [], "version": 1}',  # an unhashable eventType
            b'{"eventType": {"a": 1}, "version": 1}',
            b"\xef\xbb\xbf{}",  # a byte order mark
            b'"\\ud800"',  # a lone surrogate
        ]
    ),
)


def _truly_valid(raw: bytes) -> bool:
    """jsonschema (the exact engine, not the one validate-stream uses for speed) agrees the line is valid."""
    msg = orjson.loads(raw)
    doc = REGISTRY.get(msg["eventType"], msg["version"])
    return doc is not None and not REGISTRY.errors(doc, msg)


@settings(max_examples=60, deadline=5000, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line, min_size=1, max_size=6))
def test_every_line_is_judged_and_no_invalid_line_passes(lines: list[bytes]) -> None:
    bad = []
    summary = VALIDATOR.run(lines, on_bad=bad.append)
    assert summary.lines == len(lines)
    blank = [n for n, raw in enumerate(lines, 1) if not raw.strip()]
    assert summary.blank == len(blank)
    assert sum(summary.valid.values()) + summary.bad == len(lines) - len(blank)
    judged_bad = {b.line for b in bad}
    assert len(judged_bad) == summary.bad
    for n, raw in enumerate(lines, 1):
        if n not in judged_bad and n not in blank:
            assert _truly_valid(raw), raw


@settings(
    max_examples=20,
    deadline=10000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=300), integrity=st.booleans())
def test_the_command_on_random_bytes_is_never_an_internal_error_nor_a_pass(
    tmp_path: Path, data: bytes, integrity
) -> None:
    src = tmp_path / "random.jsonl"
    src.write_bytes(data)
    result = cli("validate-stream", str(src), *(["--integrity"] if integrity else []))  # re-raises internal errors
    lines = [raw for raw in data.split(b"\n") if raw.strip()]
    if not lines:
        assert result.code == 2 and "no messages" in result.err
    else:
        assert result.code == 1, result.text  # random bytes are never a catalogue message
        assert result.out.strip().splitlines()[-1].startswith(f"{len(lines)} message(s): 0 valid, {len(lines)} invalid")
