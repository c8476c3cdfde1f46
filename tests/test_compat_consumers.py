"""`em-harness compat OLD NEW --consumers`: which current consumer pacts (and flows) a schema change breaks.

Each test edits a copy of a shipped message schema (NEW) inside a copy of the catalogue and compares the
shipped file (OLD) with it, so the consumers are the real pacts in contracts/pacts/. The assertions
name the consumer, the pact file, the interaction and the message path, and check the exit code the
decision gives: 1 only when a current consumer breaks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import UnusableInput
from harness.evolve.compat import check
from harness.evolve.impact import Impact, SchemaPlaces, impact_of_result, path_text
from harness.evolve.load import load_file
from tests.helpers import em


def _without_shipped_flows(project: Path) -> None:
    """These cases are about pact consumers (and a flow of their own): the shipped flows would add theirs."""
    import shutil

    shutil.rmtree(project / "contracts" / "flows", ignore_errors=True)


CEMO_PACT = "contracts/pacts/cemo-field-monitoring-service.json"
DATASTORE_PACT = "contracts/pacts/em-datastore-field-monitoring-service.json"
FMS_PACT = "contracts/pacts/field-monitoring-service-cemo.json"


def _new_version(project: Path, message: str, edit) -> tuple[Path, Path]:
    """(OLD, NEW): the catalogue's schema and an edited copy of it beside the catalogue."""
    old = project / "schemas" / message / "v1.json"
    doc = json.loads(old.read_text("utf-8"))
    edit(doc)
    new = project / "schemas" / message / "v1-edited.json"
    new.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    return old, new


def _impact(project: Path, old: Path, new: Path, mode: str = "full", lenient: bool = False) -> Impact:
    (impact,) = impact_of_result(check(str(old), str(new), mode=mode, lenient=lenient), root=project)
    return impact


def _payload(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["$defs"]["payload"]


def _drop(doc: dict[str, Any], name: str) -> None:
    payload = _payload(doc)
    del payload["properties"][name]
    payload["required"] = [r for r in payload.get("required", []) if r != name]


def _breaks(impact: Impact, consumer: str) -> list[tuple[str, str, str]]:
    """(interaction, kind, path) of every break of one consumer."""
    return [
        (i.description, b.kind, b.path)
        for c in impact.consumers
        if c.consumer == consumer
        for i in c.interactions
        for b in i.breaks
    ]


def _status(impact: Impact, path: str) -> set[str]:
    return {c.status for c in impact.changes if path in c.paths}


# -- a field a consumer matches, removed ------------------------------------------------------
def test_removed_field_a_consumer_matches_breaks_it(catalogue_copy: Path):
    old, new = _new_version(catalogue_copy, "equipment-installed", lambda d: _drop(d, "serial_number"))
    impact = _impact(catalogue_copy, old, new)
    assert impact.broken
    assert {c.consumer for c in impact.broken_consumers} == {"cemo", "em-datastore"}
    cemo = _breaks(impact, "cemo")
    # cemo matches the field with a type matcher in both of its equipment-installed interactions
    assert ("a GPS monitoring device installed", "rule", "$.additionalInformation.serial_number") in cemo
    assert ("a home monitoring unit installed", "rule", "$.additionalInformation.serial_number") in cemo
    # em-datastore has no rule there, but its example carries the field: no provider may send it any more
    assert _breaks(impact, "em-datastore") == [
        ("a equipment installed message, envelope only", "field", "$.additionalInformation.serial_number")
    ]
    assert _status(impact, "$.additionalInformation.serial_number") == {"breaks"}
    for change in impact.changes:
        assert change.consumers == ["cemo", "em-datastore"]


def test_cli_names_pact_interaction_and_what_breaks_and_exits_1(catalogue_copy: Path):
    old, new = _new_version(catalogue_copy, "equipment-installed", lambda d: _drop(d, "serial_number"))
    r = em("compat", str(old), str(new), "--mode", "full", "--consumers", "--root", str(catalogue_copy))
    assert r.code == 1, r.text
    assert f"BREAKS  cemo <- field-monitoring-service  {CEMO_PACT}" in r.out
    assert "'a GPS monitoring device installed'" in r.out
    assert "$.additionalInformation.serial_number  matching rule on a place the new schema no longer declares" in r.out
    assert r.out.strip().splitlines()[-1] == "consumers: BREAKING: 2 current consumers break (cemo, em-datastore)"


# -- a removed optional field nobody uses -----------------------------------------------------
def test_removed_optional_field_nobody_uses_is_safe_for_current_consumers(catalogue_copy: Path):
    old, new = _new_version(catalogue_copy, "order-ended", lambda d: _drop(d, "case_id"))
    plain = em("compat", str(old), str(new), "--mode", "full")
    assert plain.code == 1, plain.text  # forward: new data may carry anything under case_id
    impact = _impact(catalogue_copy, old, new)
    assert not impact.broken
    assert [c.consumer for c in impact.consumers] == ["field-monitoring-service"]
    assert impact.changes, "the breaking change is listed"
    assert all(c.status == "safe" for c in impact.changes)
    assert {p for c in impact.changes for p in c.paths} == {"$.additionalInformation.case_id"}
    r = em("compat", str(old), str(new), "--mode", "full", "--consumers", "--root", str(catalogue_copy))
    assert r.code == 0, r.text
    assert "$.additionalInformation.case_id  safe for current consumers" in r.out
    assert f"holds   field-monitoring-service <- cemo  {FMS_PACT}" in r.out
    assert r.out.strip().splitlines()[-1] == (
        "consumers: no current consumer breaks; breaking changes: 1 safe for current consumers"
    )


def test_removing_a_field_only_one_consumer_carries_is_not_safe(catalogue_copy: Path):
    """visit_id is optional; only em-datastore's example carries it: that consumer breaks, no one else."""
    _without_shipped_flows(catalogue_copy)
    old, new = _new_version(catalogue_copy, "equipment-installed", lambda d: _drop(d, "visit_id"))
    impact = _impact(catalogue_copy, old, new, lenient=True)
    assert [c.consumer for c in impact.broken_consumers] == ["em-datastore"]
    assert not _breaks(impact, "cemo")
    # --lenient calls the removal compatible; the consumer's break still names the change that caused it
    assert _status(impact, "$.additionalInformation.visit_id") == {"breaks"}


# -- enumerations -----------------------------------------------------------------------------
def _narrow_status(value: str):
    def edit(doc: dict[str, Any]) -> None:
        status = _payload(doc)["properties"]["status"]
        status["enum"] = [v for v in status["enum"] if v != value]

    return edit


def test_enum_narrowed_that_an_example_uses_breaks_that_interaction(catalogue_copy: Path):
    old, new = _new_version(catalogue_copy, "case-status-returned", _narrow_status("approved"))
    impact = _impact(catalogue_copy, old, new)
    assert impact.broken
    cemo = _breaks(impact, "cemo")
    assert cemo == [("a case status of approved", "example", "$.additionalInformation.status")]
    assert _breaks(impact, "em-datastore") == [
        ("a case status returned message, envelope only", "example", "$.additionalInformation.status")
    ]
    problem = next(b.problem for c in impact.consumers for i in c.interactions for b in i.breaks)
    assert "'approved' is not one of" in problem
    assert _status(impact, "$.additionalInformation.status") == {"breaks"}


def test_enum_narrowed_by_a_value_no_example_uses_breaks_no_one(catalogue_copy: Path):
    old, new = _new_version(catalogue_copy, "case-status-returned", _narrow_status("scheduled"))
    impact = _impact(catalogue_copy, old, new)
    assert not impact.broken
    # the examples read status, so the change is not proven safe: it is "used", and exits 0 by the decision
    assert _status(impact, "$.additionalInformation.status") == {"used"}
    r = em("compat", str(old), str(new), "--mode", "full", "--consumers", "--root", str(catalogue_copy))
    assert r.code == 0, r.text
    assert "used by current consumers (their pacts still hold): cemo, em-datastore" in r.out


# -- a type change under a matcher ------------------------------------------------------------
def test_type_change_under_a_matcher_breaks(catalogue_copy: Path):
    def retype(doc: dict[str, Any]) -> None:
        _payload(doc)["properties"]["device_id"] = {"type": "string", "minLength": 1}

    old, new = _new_version(catalogue_copy, "equipment-installed", retype)
    impact = _impact(catalogue_copy, old, new)
    cemo = [b for c in impact.consumers if c.consumer == "cemo" for i in c.interactions for b in i.breaks]
    rules = [b for b in cemo if b.kind == "rule"]
    assert [b.path for b in rules] == ["$.additionalInformation.device_id"] * 2
    assert "'integer' matcher needs an integer" in rules[0].problem
    assert rules[0].pointer.endswith("/matchingRules/body/$.additionalInformation.device_id")
    assert any(b.kind == "example" and "is not of type 'string'" in b.problem for b in cemo)
    # the forward TYPE_CHANGED lands in common/v1.json, reached by $ref; it still maps to device_id
    forward = [c for c in impact.changes if c.direction == "forward" and c.change.code == "TYPE_CHANGED"]
    assert forward and forward[0].change.pointer.startswith("../common/v1.json#")
    assert forward[0].paths == ["$.additionalInformation.device_id"] and forward[0].status == "breaks"


def test_type_matcher_keeps_the_example_type(catalogue_copy: Path):
    """A 'type' matcher on a string field: NEW makes it an integer, the rule breaks (not only the example)."""

    def retype(doc: dict[str, Any]) -> None:
        _payload(doc)["properties"]["serial_number"] = {"type": "integer"}

    old, new = _new_version(catalogue_copy, "equipment-installed", retype)
    impact = _impact(catalogue_copy, old, new)
    rules = [
        b
        for c in impact.consumers
        if c.consumer == "cemo"
        for i in c.interactions
        for b in i.breaks
        if b.kind == "rule"
    ]
    assert rules and all(b.path == "$.additionalInformation.serial_number" for b in rules)
    assert "'type' matcher expects string like the example" in rules[0].problem


# -- no change, other outputs, errors ---------------------------------------------------------
def test_identical_schema_breaks_no_one(catalogue_copy: Path):
    _without_shipped_flows(catalogue_copy)
    old, new = _new_version(catalogue_copy, "case-created", lambda d: None)
    impact = _impact(catalogue_copy, old, new)
    assert not impact.broken and not impact.changes
    assert {c.consumer for c in impact.consumers} == {"cemo", "em-datastore"}


def test_json_includes_the_impact(catalogue_copy: Path):
    old, new = _new_version(catalogue_copy, "case-status-returned", _narrow_status("approved"))
    r = em("compat", str(old), str(new), "--consumers", "--json", "--root", str(catalogue_copy))
    assert r.code == 1, r.text
    data = json.loads(r.out)
    assert data["consumers"]["breaks"] is True
    (impact,) = data["consumers"]["impacts"]
    assert impact["eventType"] == "electronic-monitoring.case-status-returned" and impact["version"] == 1
    cemo = next(c for c in impact["consumers"] if c["consumer"] == "cemo")
    assert cemo["file"] == CEMO_PACT and cemo["breaks"] is True
    broken = [i for i in cemo["interactions"] if i["breaks"]]
    assert [i["description"] for i in broken] == ["a case status of approved"]
    assert broken[0]["breaks"][0]["pointer"].endswith("/contents/content/additionalInformation/status")
    assert all(c["impact"] == "breaks" for c in impact["changes"])


def test_without_consumers_the_output_is_unchanged(catalogue_copy: Path):
    old, new = _new_version(catalogue_copy, "case-status-returned", _narrow_status("scheduled"))
    r = em("compat", str(old), str(new), "--json")
    assert r.code == 1
    assert "consumers" not in json.loads(r.out)


def test_consumers_needs_a_message_schema(catalogue_copy: Path):
    common = catalogue_copy / "schemas" / "common" / "v1.json"
    r = em("compat", str(common), str(common), "--consumers", "--root", str(catalogue_copy))
    assert r.code == 2
    assert r.err.count("\n") == 1 and "not a message schema" in r.err and "Traceback" not in r.text


def test_consumers_outside_a_project_is_one_line_exit_2(tmp_path: Path, root: Path):
    old = root / "schemas" / "case-created" / "v1.json"
    r = em("compat", str(old), str(old), "--consumers", "--root", str(tmp_path))
    assert r.code == 2 and r.err.count("\n") == 1 and "not an em-harness project" in r.err


def test_flows_that_use_a_removed_path_break(catalogue_copy: Path):
    _without_shipped_flows(catalogue_copy)
    flows = catalogue_copy / "contracts" / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "order-to-case.yaml").write_text(
        "name: order to case\n"
        "steps:\n"
        "  - message: order-submitted\n"
        "  - message: case-created\n"
        "    correlate: $.additionalInformation.orderId\n",
        "utf-8",
    )
    old, new = _new_version(catalogue_copy, "case-created", lambda d: _drop(d, "orderId"))
    impact = _impact(catalogue_copy, old, new)
    flow = next(c for c in impact.consumers if c.kind == "flow")
    assert flow.consumer == "order to case" and flow.file == "contracts/flows/order-to-case.yaml"
    assert [(b.kind, b.path) for i in flow.interactions for b in i.breaks] == [
        ("flow", "$.additionalInformation.orderId")
    ]
    # a flow about another message is not a consumer of this one
    other, new_other = _new_version(catalogue_copy, "case-status-returned", lambda d: None)
    assert all(c.kind == "pact" for c in _impact(catalogue_copy, other, new_other).consumers)


# -- where a schema pointer lands in a message ------------------------------------------------
@pytest.mark.parametrize(
    ("pointer", "paths"),
    [
        ("#/$defs/payload/properties/status/enum", ["$.additionalInformation.status"]),
        ("#/$defs/payload/required/2", ["$.additionalInformation.status"]),
        ("#/$defs/reason/properties/section/maxLength", ["$.additionalInformation.reasons[*].section"]),
        ("../envelope/v1.json#/properties/occurredAt", ["$.occurredAt"]),
        ("../common/v1.json#/$defs/caseId/pattern", ["$.additionalInformation.caseId"]),
        ("#/$defs/nowhere/type", []),
    ],
)
def test_schema_pointers_map_to_message_paths(root: Path, pointer: str, paths: list[str]):
    places = SchemaPlaces(load_file(root / "schemas" / "case-status-returned" / "v1.json"))
    assert sorted(path_text(p) for p in places.paths_of(pointer)) == paths


def test_impact_of_a_non_message_is_unusable(catalogue_copy: Path):
    common = catalogue_copy / "schemas" / "common" / "v1.json"
    with pytest.raises(UnusableInput, match="not a message schema"):
        impact_of_result(check(str(common), str(common)), root=catalogue_copy)


def test_a_synchronous_pacts_request_and_response_are_consumers_too(catalogue_copy: Path):
    """CEMO's V4 synchronous interaction relies on case-created as its response: a change that breaks it
    names that part, beside CEMO's asynchronous interaction of the same message."""
    old, new = _new_version(catalogue_copy, "case-created", lambda d: _drop(d, "createdAt"))
    impact = _impact(catalogue_copy, old, new)
    cemo = _breaks(impact, "cemo")
    assert ("an order submitted gets a case created (response 1)", "rule", "$.additionalInformation.createdAt") in cemo
    assert ("a case created for a new order", "rule", "$.additionalInformation.createdAt") in cemo
