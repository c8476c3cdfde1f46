"""docs/suppliers.md: its generated sections are current, and every code block in it is checked: JSON
examples against their schemas (and their eventId recomputed), Python blocks run (the eventId rule against the
harness's, the Redis frame against the harness's client library, the minimal supplier under `verify` on NATS),
and every `em-harness` command line parsed against the command line's own options."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer

from harness.catalogue.asyncapi import load_asyncapi
from harness.catalogue.envelope import event_id
from harness.catalogue.supplierdoc import render
from harness.cli import app as cli_app
from harness.project import find_project
from harness.schemas.registry import SchemaRegistry
from tests.helpers import em

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "suppliers.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def blocks(lang: str | None = None) -> list[str]:
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]
    return [code for kind, code in found if lang is None or kind == lang]


def python_block(defines: str) -> str:
    (code,) = [c for c in blocks("python") if defines in c]
    return code


def run_block(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "docblock"}
    exec(compile(code, str(DOC), "exec"), namespace)  # the doc's own example, on purpose
    return namespace


def test_the_generated_sections_are_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert render(text, find_project(ROOT)) == text, "run: python -m harness.catalogue.supplierdoc docs/suppliers.md"
    assert text.count("<!-- BEGIN GENERATED:") == 3


def test_every_code_block_is_of_a_checked_kind() -> None:
    kinds = [m.group(1) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]
    assert kinds.count("json") == 4 and kinds.count("python") == 3 and kinds.count("sh") == 2
    assert set(kinds) == {"json", "python", "sh"}  # a new kind of block needs a check here first


def _harness_payload(body: dict[str, Any]) -> dict[str, Any]:
    api = load_asyncapi(ROOT / "contracts" / "asyncapi.yaml")
    key = {"em-harness.sim-clock": "simClock", "em-harness.sim-clock-ack": "simClockAck"}.get(
        body.get("eventType"), "harnessReady"
    )
    return api.raw["components"]["messages"][key]["payload"]


def test_every_json_example_is_valid_and_sealed() -> None:
    registry = SchemaRegistry(ROOT / "schemas")
    doc_event_id = run_block(python_block("def event_id"))["event_id"]
    checked = []
    for code in blocks("json"):
        body = json.loads(code)
        event_type = body.get("eventType", "")
        if event_type.startswith("electronic-monitoring."):
            schema = registry.get(event_type, body["version"])
            assert schema is not None and registry.errors(schema, body) == [], code
            assert registry.undeclared(schema, body) == []
            assert body["eventId"] == event_id(body) == doc_event_id(body)
        else:  # the harness's own channels: their payload schemas in asyncapi.yaml
            jsonschema.Draft202012Validator(_harness_payload(body)).validate(body)
        checked.append(event_type or "em-harness.ready")
    assert checked == [
        "em-harness.ready",
        "em-harness.sim-clock",
        "em-harness.sim-clock-ack",
        "electronic-monitoring.case-created",
    ]


def test_the_documented_event_id_is_the_harness_rule() -> None:
    doc_event_id = run_block(python_block("def event_id"))["event_id"]
    registry = SchemaRegistry(ROOT / "schemas")
    examples = [e for d in registry.messages() for e in d.contents.get("examples", [])]
    assert len(examples) > 20
    for example in examples:
        assert doc_event_id(example) == event_id(example) == example["eventId"]
    odd = {"eventType": "x", "n": 1.0, "big": 1e21, "s": "é\u2028", "nested": {"b": 1, "a": [3, 2]}}
    assert doc_event_id(odd) == event_id(odd)


def test_the_documented_redis_frame_is_the_one_on_the_wire() -> None:
    from faststream.redis.parser import BinaryMessageFormatV1

    ns = run_block(python_block("def encode_frame"))
    body, headers = b'{"eventType":"electronic-monitoring.case-created"}', {"eventType": "x", "content-type": "y"}
    assert BinaryMessageFormatV1.parse(ns["encode_frame"](body, headers)) == (body, headers)
    theirs = asyncio.run(
        BinaryMessageFormatV1.encode(message=body, reply_to=None, headers=headers, correlation_id="c-1")
    )
    got_body, got_headers = ns["decode_frame"](theirs)
    assert got_body == body and {k: got_headers[k] for k in headers} == headers


def test_the_command_lines_use_real_options() -> None:
    group = typer.main.get_command(cli_app)
    lines = [line for code in blocks("sh") for line in code.splitlines() if line.startswith("em-harness ")]
    assert len(lines) == 2
    for line in lines:
        argv = shlex.split(line)[1:]
        command = group.commands[argv[0]]  # type: ignore[attr-defined]
        options = {opt for p in command.params for opt in p.opts}
        used = [a for a in argv[1:] if a.startswith("--")]
        assert used and set(used) <= options, (line, set(used) - options)
        command.make_context(argv[0], argv[1:], resilient_parsing=False)  # parses: values of the right kind


def test_the_minimal_supplier_passes_verify_on_nats(tmp_path: Path) -> None:
    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=1).close()
    except OSError:
        pytest.skip("NATS not reachable on 127.0.0.1:4222 (run scripts/services.sh)")
    supplier = tmp_path / "supplier.py"
    supplier.write_text(python_block("async def main"), encoding="utf-8")
    result = em(
        "verify",
        "--provider",
        "field-monitoring-service",
        "--bus",
        "nats://127.0.0.1:4222",
        "--supplier-cmd",
        f"{sys.executable} {supplier}",
        "--interaction",
        "case created",
        cwd=ROOT,
        timeout=120,
    )
    assert result.code == 0, result.text[-3000:]
    assert "PASS: 3 of 3 interaction(s) passed" in result.out
    assert "virtual clock from 2026-06-20T17:00:00Z" in result.out
