"""The catalogue's conventions as lint rules (harness/catalogue/conventions.py): each rule on a broken copy.

The schemas are the source of truth that authors edit; each rule below used to be stated once in a
generator, and a finding must now say what is wrong, where, and how to fix it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.catalogue import conventions
from harness.catalogue.lint import lint_project
from harness.project import Project
from tests.helpers import em

Edit = Callable[[dict[str, Any]], None]


def _edit(project: Path, schema: str, edit: Edit) -> Path:
    path = project / "schemas" / schema / "v1.json"
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return path


def _findings(project: Path, check: Any) -> list[str]:
    found, _ = lint_project(Project(root=project), [check])
    return [f"{f.file}: {f.pointer}: {f.problem}" for f in found]


def test_the_shipped_catalogue_follows_every_convention(root: Path) -> None:
    for check in conventions.CHECKS:
        assert _findings(root, check) == [], check.__name__


# -- layout ---------------------------------------------------------------------------------------
def _payload(d: dict[str, Any]) -> dict[str, Any]:
    return d["$defs"]["payload"]["properties"]


LAYOUT_CASES = [
    (
        "no envelope",
        lambda d: d.update(allOf=[]),
        '/allOf: every EM message is an HMPPS domain event: add {"$ref": "../envelope/v1.json"} to allOf',
    ),
    (
        "no source const",
        lambda d: d["properties"].pop("source"),
        "/properties/source: narrow source to its producer",
    ),
    (
        "producer disagrees with source",
        lambda d: d.update({"x-producer": "monitoring-data-service"}),
        "/x-producer: x-producer 'monitoring-data-service' disagrees with the source const 'field-monitoring-service'",
    ),
    (
        "payload not in $defs/payload",
        lambda d: d["properties"].update(additionalInformation={"type": "object"}),
        "/properties/additionalInformation: the payload goes in $defs/payload",
    ),
    (
        "payload definition missing",
        lambda d: d["$defs"].pop("payload"),
        "/$defs: additionalInformation refers to $defs/payload, which is missing",
    ),
    (
        "payload not required",
        lambda d: d.update(required=[]),
        '/required: an EM message carries its payload: add "additionalInformation"',
    ),
    ("no description", lambda d: d.pop("description"), "/description: a message schema needs a description"),
    ("not an object", lambda d: d.update(type="array"), "/type: a message schema is a JSON object"),
]


@pytest.mark.parametrize(("case", "edit", "expected"), LAYOUT_CASES, ids=[c[0] for c in LAYOUT_CASES])
def test_layout_rules(catalogue_copy: Path, case: str, edit: Edit, expected: str) -> None:
    _edit(catalogue_copy, "case-created", edit)
    found = _findings(catalogue_copy, conventions.check_layout)
    assert len(found) == 1, found
    assert found[0].startswith("schemas/case-created/v1.json: " + expected), found


def test_producer_must_be_the_system_asyncapi_says_sends_it(catalogue_copy: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["x-producer"] = "monitoring-data-service"
        d["properties"]["source"]["const"] = "monitoring-data-service"

    _edit(catalogue_copy, "case-created", edit)
    found = _findings(catalogue_copy, conventions.check_layout)
    assert found == [
        "schemas/case-created/v1.json: /x-producer: x-producer 'monitoring-data-service', but "
        "contracts/asyncapi.yaml says field-monitoring-service sends electronic-monitoring.case-created"
    ]


# -- timestamps ------------------------------------------------------------------------------------
def test_a_raw_date_time_format_is_refused(catalogue_copy: Path) -> None:
    _edit(
        catalogue_copy,
        "case-created",
        lambda d: _payload(d).update(createdAt={"type": "string", "format": "date-time"}),
    )
    found = _findings(catalogue_copy, conventions.check_timestamps)
    assert len(found) == 1, found
    assert found[0].startswith("schemas/case-created/v1.json: /$defs/payload/properties/createdAt/format: a raw format")
    assert "../common/v1.json#/$defs/utcDateTime" in found[0]


def test_a_timestamp_named_field_needs_a_timestamp_kind(catalogue_copy: Path) -> None:
    _edit(catalogue_copy, "case-created", lambda d: _payload(d).update(closedAt={"type": "string"}))
    assert _findings(catalogue_copy, conventions.check_timestamps) == [
        "schemas/case-created/v1.json: /$defs/payload/properties/closedAt: 'closedAt' looks like a timestamp: use "
        "../common/v1.json#/$defs/utcDateTime or ../common/v1.json#/$defs/londonLocalDateTime (or date / hhmm)"
    ]


def test_a_timestamp_description_names_its_kind(catalogue_copy: Path) -> None:
    _edit(catalogue_copy, "case-created", lambda d: _payload(d)["createdAt"].update(description="When it opened."))
    assert _findings(catalogue_copy, conventions.check_timestamps) == [
        "schemas/case-created/v1.json: /$defs/payload/properties/createdAt/description: say which time "
        "'createdAt' is: its description must contain 'UTC'"
    ]


def test_the_producers_time_convention_is_enforced(catalogue_copy: Path) -> None:
    """The classic integration bug: a field monitoring service record time (snake_case) declared as UTC."""

    def edit(d: dict[str, Any]) -> None:
        _payload(d)["actual_start"] = {
            "$ref": "../common/v1.json#/$defs/utcDateTime",
            "description": "When the visit started. UTC, RFC 3339.",
        }

    _edit(catalogue_copy, "visit-completed", edit)
    assert _findings(catalogue_copy, conventions.check_timestamps) == [
        "schemas/visit-completed/v1.json: /$defs/payload/properties/actual_start: 'actual_start' is utcDateTime but "
        "field-monitoring-service's snakeCase fields are londonLocalDateTime (README: two kinds of timestamp); "
        "change the $ref, or the field name's style"
    ]


# -- personal data ---------------------------------------------------------------------------------
def test_a_known_personal_field_must_be_marked(catalogue_copy: Path) -> None:
    _edit(
        catalogue_copy,
        "order-submitted",
        lambda d: d["$defs"]["deviceWearer"]["properties"]["first_name"].pop("x-personal-data"),
    )
    assert _findings(catalogue_copy, conventions.check_personal_marks) == [
        "schemas/order-submitted/v1.json: /$defs/deviceWearer/properties/first_name: 'first_name' is personal "
        'data: add "x-personal-data": true (reports and the gate redact it)'
    ]


def test_a_field_under_a_marked_object_counts_as_marked(catalogue_copy: Path) -> None:
    # disability[].disability sits under the marked disability array: no finding
    assert _findings(catalogue_copy, conventions.check_personal_marks) == []
    _edit(
        catalogue_copy,
        "order-submitted",
        lambda d: d["$defs"]["deviceWearer"]["properties"]["disability"].pop("x-personal-data"),
    )
    found = _findings(catalogue_copy, conventions.check_personal_marks)
    assert [f.split(": ")[1] for f in found] == [
        "/$defs/deviceWearer/properties/disability",
        "/$defs/deviceWearer/properties/disability/items/properties/disability",
    ]


def test_the_mark_is_a_boolean_true(catalogue_copy: Path) -> None:
    _edit(
        catalogue_copy,
        "order-submitted",
        lambda d: d["$defs"]["deviceWearer"]["properties"]["alias"].update({"x-personal-data": "yes"}),
    )
    found = _findings(catalogue_copy, conventions.check_personal_marks)
    assert (
        "schemas/order-submitted/v1.json: /$defs/deviceWearer/properties/alias/x-personal-data: x-personal-data "
        "is true or absent, nothing else" in found
    )


# -- titles ----------------------------------------------------------------------------------------
def test_an_untitled_object_or_enum_is_reported(catalogue_copy: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["$defs"]["caseState"].pop("title")
        d["$defs"]["caseState"]["properties"]["name"].pop("title")

    _edit(catalogue_copy, "case-created", edit)
    found = _findings(catalogue_copy, conventions.check_titles)
    assert [f.split(": ")[1] for f in found] == ["/$defs/caseState", "/$defs/caseState/properties/name"]
    assert "code generators name their models after it (otherwise AnonymousSchema_N)" in found[0]


def test_a_condition_needs_no_title(catalogue_copy: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["$defs"]["payload"]["if"] = {"properties": {"caseState": {"type": "object", "properties": {}}}}

    _edit(catalogue_copy, "case-created", edit)
    assert _findings(catalogue_copy, conventions.check_titles) == []


def test_two_titles_naming_the_same_model_are_reported(catalogue_copy: Path) -> None:
    _edit(catalogue_copy, "case-created", lambda d: d["$defs"]["caseState"].update(title="Device wearer"))
    found = _findings(catalogue_copy, conventions.check_titles)
    assert len(found) == 1, found
    assert "title 'Device wearer' names the same model as schemas/" in found[0]


def test_a_finding_reaches_the_command_line_with_its_line(catalogue_copy: Path) -> None:
    path = _edit(catalogue_copy, "case-created", lambda d: d["$defs"]["caseState"].pop("title"))
    result = em("lint", str(catalogue_copy))
    assert result.code == 1, result.text
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text == '    "caseState": {')
    assert f"schemas/case-created/v1.json:{line}: /$defs/caseState: give this subschema a title" in result.out
    assert "lint: 1 finding(s)" in result.out


# -- records and references ------------------------------------------------------------------------
RECORD_CASES = [
    (
        "violation-raised",
        lambda d: d["x-record"].update(key=["/sys_idx"]),
        "/x-record/key/0: '/sys_idx' is no field the record declares",
    ),
    (
        "positions-reported",
        lambda d: d["x-record"].update(key=["/speed"]),
        "/x-record/key/0: '/speed' is not required: every record needs its key",
    ),
    (
        "positions-reported",
        lambda d: d["x-record"].update(each="/additionalInformation"),
        "/x-record/each: '/additionalInformation' is not an array of records",
    ),
    (
        "case-created",
        lambda d: d["x-record"].update(each="/additionalInformation"),
        '/x-record: x-record is {"at": "/pointer"} (one record) or {"each": "/pointer/to/array"}',
    ),
    (
        "violation-raised",
        lambda d: d["x-references"][0].update(to="nothing"),
        "/x-references/0/to: 'nothing' is no message with an x-record",
    ),
    (
        "violation-raised",
        lambda d: d["x-references"][0].update(field="/case"),
        "/x-references/0/field: '/case' is no field of a case-created record",
    ),
    (
        "positions-reported",
        lambda d: d["x-references"][0].update({"from": "/device"}),
        "/x-references/0/from: '/device' is no field the record declares",
    ),
]


@pytest.mark.parametrize(
    ("schema", "edit", "expected"), RECORD_CASES, ids=[c[2].split(":")[0] + c[0] for c in RECORD_CASES]
)
def test_record_and_reference_declarations(catalogue_copy: Path, schema: str, edit: Edit, expected: str) -> None:
    _edit(catalogue_copy, schema, edit)
    found = _findings(catalogue_copy, conventions.check_records)
    assert len(found) == 1, found
    assert found[0].startswith(f"schemas/{schema}/v1.json: {expected}"), found
