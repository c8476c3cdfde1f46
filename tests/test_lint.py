"""`em-harness lint` on the shipped catalogue and on broken copies of it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import em


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def _edit_json(path: Path, edit) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def test_shipped_catalogue_is_clean(root):
    result = em("lint", str(root))
    assert result.code == 0, result.text
    assert "lint: clean" in result.out


def test_invalid_schema_is_reported_with_file_line_and_pointer(catalogue_copy):
    path = catalogue_copy / "schemas/case-status-returned/v1.json"
    _edit_json(path, lambda d: d["$defs"]["payload"]["properties"]["status"].update(type="strng"))
    result = em("lint", str(catalogue_copy))
    assert result.code == 1, result.text
    line = _line_of(path, '"strng"')
    assert f"schemas/case-status-returned/v1.json:{line}: /$defs/payload/properties/status/type: " in result.out
    assert "not a valid schema" in result.out


def test_dangling_ref_is_reported(catalogue_copy):
    path = catalogue_copy / "schemas/case-status-returned/v1.json"
    _edit_json(
        path, lambda d: d["$defs"]["payload"]["properties"]["caseId"].update({"$ref": "../common/v1.json#/$defs/nope"})
    )
    result = em("lint", str(catalogue_copy))
    assert result.code == 1, result.text
    line = _line_of(path, "#/$defs/nope")
    assert (
        f"schemas/case-status-returned/v1.json:{line}: /$defs/payload/properties/caseId/$ref: "
        "$ref '../common/v1.json#/$defs/nope' does not resolve" in result.out
    )


def test_example_that_breaks_its_schema_is_reported(catalogue_copy):
    path = catalogue_copy / "schemas/case-status-returned/v1.json"
    _edit_json(path, lambda d: d["examples"][0]["additionalInformation"].update(status="REJECTED"))
    result = em("lint", str(catalogue_copy))
    assert result.code == 1, result.text
    line = _line_of(path, '"REJECTED"')
    assert f"v1.json:{line}: /examples/0/additionalInformation/status: example breaks its schema" in result.out


def test_example_with_a_wrong_event_id_is_reported(catalogue_copy):
    path = catalogue_copy / "schemas/case-status-returned/v1.json"
    _edit_json(path, lambda d: d["examples"][0].update(eventId="sha256:" + "0" * 64))
    result = em("lint", str(catalogue_copy))
    assert result.code == 1
    assert "/examples/0/eventId: eventId is not the sha256 of the message" in result.out


def test_asyncapi_naming_an_unknown_message_is_reported(catalogue_copy):
    path = catalogue_copy / "contracts/asyncapi.yaml"
    text = path.read_text()
    text = text.replace("#/components/messages/caseStatusReturned", "#/components/messages/caseStatusRetuned", 1)
    assert "caseStatusRetuned" in text
    path.write_text(text)
    result = em("lint", str(catalogue_copy))
    assert result.code == 1, result.text
    line = _line_of(path, "caseStatusRetuned")
    assert f"contracts/asyncapi.yaml:{line}: " in result.out
    assert "caseStatusRetuned" in result.out


def test_schema_no_message_uses_is_reported(catalogue_copy):
    src = catalogue_copy / "schemas/case-status-returned/v1.json"
    dest = catalogue_copy / "schemas/case-status-returned/v2.json"

    def bump(d):
        d["$id"] = d["$id"].replace("v1.json", "v2.json")
        d["properties"]["version"]["const"] = 2
        d["examples"] = []

    dest.write_text(src.read_text())
    _edit_json(dest, bump)
    result = em("lint", str(catalogue_copy))
    assert result.code == 1
    assert (
        "schemas/case-status-returned/v2.json:1: /: no message in contracts/asyncapi.yaml uses this schema"
        in result.out
    )
    assert "v2.json" in result.out and "/examples: a message schema needs at least one complete example" in result.out


def test_unreadable_file_is_exit_2_with_one_line(catalogue_copy):
    path = catalogue_copy / "schemas/case-status-returned/v1.json"
    path.write_text('{"$schema": "https://json-schema.org/draft/2020-12/schema",\n  "title": oops\n}')
    result = em("lint", str(catalogue_copy))
    assert result.code == 2
    assert result.out == ""
    assert result.err.strip().count("\n") == 0
    assert "case-status-returned/v1.json:2:" in result.err and "invalid JSON" in result.err
    assert "Traceback" not in result.err


def test_broken_yaml_is_exit_2_naming_the_line(catalogue_copy):
    path = catalogue_copy / "contracts/asyncapi.yaml"
    path.write_text(path.read_text() + "\nbroken: [unclosed\n")
    result = em("lint", str(catalogue_copy))
    assert result.code == 2
    assert "asyncapi.yaml:" in result.err and "invalid YAML" in result.err
    assert "Traceback" not in result.err


def test_not_a_project_is_exit_2(tmp_path):
    result = em("lint", str(tmp_path))
    assert result.code == 2
    assert "not an em-harness project" in result.err
