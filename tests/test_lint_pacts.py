"""`em-harness lint` on pacts and provider states: a clean fixture pact, then copies broken on purpose.

The fixture pact (tests/fixtures/pacts/cemo-field-monitoring-service.json) was written by pact-python
4.2 (V4, asynchronous messages) from the schemas' examples; its states file sits beside it. Each test
puts them into a copy of the catalogue whose own pacts and states are removed first, so the findings
asserted here come from the edit the test makes and nothing else.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.catalogue.pacts import (
    Matcher,
    MatchingRule,
    Step,
    locate,
    matcher_disagreement,
    parse_path,
    path_covers,
    steps_of_pointer,
)
from harness.schemas.registry import SchemaRegistry
from tests.helpers import em

FIXTURES = Path(__file__).parent / "fixtures" / "pacts"
PACT = "contracts/pacts/cemo-field-monitoring-service.json"
STATES = "contracts/states/field-monitoring-service.yaml"


# -- helpers ----------------------------------------------------------------------------------
def _reset(project: Path, *, states: bool = True) -> Path:
    """The copy's pacts and states replaced by the fixtures; returns the pact's path."""
    for folder in ("contracts/pacts", "contracts/states", "contracts/flows"):  # flows name the shipped states
        shutil.rmtree(project / folder, ignore_errors=True)
        (project / folder).mkdir(parents=True)
    shutil.copy(FIXTURES / "cemo-field-monitoring-service.json", project / PACT)
    if states:
        shutil.copy(FIXTURES / "states" / "field-monitoring-service.yaml", project / STATES)
    return project / PACT


@pytest.fixture
def project(catalogue_copy: Path) -> Path:
    _reset(catalogue_copy)
    return catalogue_copy


def _edit(path: Path, edit) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def _line_of(path: Path, needle: str, after: str | None = None) -> int:
    """The line of the first `needle` (after the first line holding `after`, when given)."""
    started = after is None
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not started:
            started = after in line
            continue
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def _ours(out: str) -> list[str]:
    """The lines lint printed about pacts and states."""
    return [line for line in out.splitlines() if line.startswith(("contracts/pacts/", "contracts/states/"))]


def _info(doc: dict, i: int) -> dict:
    return doc["interactions"][i]["contents"]["content"]["additionalInformation"]


def _rules(doc: dict, i: int) -> dict:
    return doc["interactions"][i]["matchingRules"]["body"]


def _lint_fails_with(project: Path, line: str) -> None:
    result = em("lint", str(project))
    assert result.code == 1, result.text
    assert line in result.out.splitlines(), "\n".join(_ours(result.out)) or result.text


# -- the fixture is clean ---------------------------------------------------------------------
def test_fixture_pact_and_states_are_clean(project):
    result = em("lint", str(project))
    assert result.code in (0, 1), result.text
    assert _ours(result.out) == []


def test_shipped_pacts_and_states_load(root):
    """Whatever pacts and states the catalogue ships, lint reads them (findings are reported, not crashes)."""
    result = em("lint", str(root))
    assert result.code in (0, 1), result.text


# -- 1. example bodies against their schemas -------------------------------------------------
def test_body_that_breaks_its_schema(project):
    pact = project / PACT
    _edit(pact, lambda d: _info(d, 2).update(status="APPROVED"))
    line = _line_of(pact, '"APPROVED"')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/2/contents/content/additionalInformation/status: "
        "breaks schemas/case-status-returned/v1.json: 'APPROVED' is not one of "
        "['approved', 'rejected', 'pending', 'installed', 'scheduled']",
    )


def test_body_field_the_schema_does_not_declare(project):
    pact = project / PACT
    _edit(pact, lambda d: _info(d, 0).update(caseColour="green"))
    line = _line_of(pact, '"caseColour"')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/0/contents/content/additionalInformation/caseColour: "
        "schemas/case-created/v1.json declares no such field: no provider has to send it",
    )


def test_body_with_an_unknown_version(project):
    pact = project / PACT
    _edit(pact, lambda d: d["interactions"][1]["contents"]["content"].update(version=7))
    line = _line_of(
        pact, '"eventType": "electronic-monitoring.case-status-returned"', after='"a rejected duplicate order"'
    )
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/1/metadata/eventType: "
        "no schema for 'electronic-monitoring.case-status-returned' version 7 (known versions: [1])",
    )


def test_null_placeholder_is_judged_only_without_a_generator(project):
    pact = project / PACT

    def null_occurred_at(d):
        d["interactions"][0]["contents"]["content"]["occurredAt"] = None

    _edit(pact, null_occurred_at)
    line = _line_of(pact, '"occurredAt": null')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/0/contents/content/occurredAt: "
        "breaks schemas/case-created/v1.json: None is not of type 'string'",
    )
    _edit(
        pact,
        lambda d: d["interactions"][0].update(
            generators={"body": {"$.occurredAt": {"type": "DateTime", "format": "yyyy-MM-dd'T'HH:mm:ssXXX"}}}
        ),
    )
    result = em("lint", str(project))
    assert _ours(result.out) == [], result.out


# -- 2. matching-rule paths exist in the schema ------------------------------------------------
def test_rule_path_no_subschema_declares(project):
    pact = project / PACT
    _edit(
        pact,
        lambda d: _rules(d, 1).update(
            {"$.additionalInformation.reasons[*].sektion": {"combine": "AND", "matchers": [{"match": "type"}]}}
        ),
    )
    line = _line_of(pact, '"$.additionalInformation.reasons[*].sektion"')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/1/matchingRules/body/$.additionalInformation.reasons[*].sektion: "
        "$.additionalInformation.reasons[*].sektion: no subschema declares this property",
    )


def test_rule_path_into_a_string(project):
    pact = project / PACT
    _edit(
        pact,
        lambda d: _rules(d, 2).update(
            {"$.additionalInformation.status.code": {"combine": "AND", "matchers": [{"match": "type"}]}}
        ),
    )
    line = _line_of(pact, '"$.additionalInformation.status.code"')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/2/matchingRules/body/$.additionalInformation.status.code: "
        "$.additionalInformation.status.code: the schema says this is a string, not an object",
    )


def test_rule_path_that_is_not_a_path(project):
    pact = project / PACT
    _edit(
        pact,
        lambda d: _rules(d, 2).update({"additionalInformation.status": {"matchers": [{"match": "type"}]}}),
    )
    line = _line_of(pact, '"additionalInformation.status": {')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/2/matchingRules/body/additionalInformation.status: "
        "'additionalInformation.status' is not a matching-rule path ($.a.b[*].c)",
    )


# -- 3. matcher types agree with the schema ---------------------------------------------------
@pytest.mark.parametrize(
    ("interaction", "path", "matcher", "problem"),
    [
        (
            0,
            "$.additionalInformation.caseId",
            {"match": "integer"},
            "'integer' matcher needs an integer, the schema says a string",
        ),
        (
            0,
            "$.version",
            {"match": "decimal"},
            "'decimal' matcher needs a number with a fraction, the schema says an integer",
        ),
        (
            0,
            "$.version",
            {"match": "regex", "regex": "^1$"},
            "'regex' matcher needs a string, the schema says an integer",
        ),
        (
            2,
            "$.additionalInformation.status",
            {"match": "boolean"},
            "'boolean' matcher needs a boolean, the schema says a string",
        ),
        (
            2,
            "$.additionalInformation.status",
            {"match": "type", "min": 1},
            "'type' matcher needs an array (a type matcher with min/max is each-like), the schema says a string",
        ),
        (
            0,
            "$.additionalInformation.caseState.number",
            {"match": "datetime", "format": "yyyy"},
            "'datetime' matcher needs a string, the schema says an integer",
        ),
    ],
)
def test_matcher_that_cannot_match_the_schema_type(project, interaction, path, matcher, problem):
    pact = project / PACT
    _edit(pact, lambda d: _rules(d, interaction).update({path: {"combine": "AND", "matchers": [matcher]}}))
    description = json.loads(pact.read_text())["interactions"][interaction]["description"]
    line = _line_of(pact, f'"{path}"', after=f'"description": "{description}"')
    _lint_fails_with(project, f"{PACT}:{line}: /interactions/{interaction}/matchingRules/body/{path}: {problem}")


def test_matchers_the_schema_allows_are_quiet(project):
    pact = project / PACT

    def loosen(d):
        _rules(d, 0)["$.additionalInformation.caseState.number"] = {"combine": "AND", "matchers": [{"match": "number"}]}
        _rules(d, 0)["$.additionalInformation.caseState"] = {"combine": "AND", "matchers": [{"match": "type"}]}
        _rules(d, 1)["$.additionalInformation.reasons"] = {"combine": "AND", "matchers": [{"match": "type", "min": 1}]}
        _rules(d, 2)["$.additionalInformation.status"] = {
            "combine": "OR",
            "matchers": [{"match": "integer"}, {"match": "regex", "regex": "^[a-z]+$"}],
        }

    _edit(pact, loosen)
    assert _ours(em("lint", str(project)).out) == []


# -- 4. channels and systems agree with asyncapi.yaml ---------------------------------------
def test_metadata_channel_that_does_not_carry_the_message(project):
    pact = project / PACT
    _edit(pact, lambda d: d["interactions"][2]["metadata"].update(channel="electronic-monitoring.case-created"))
    line = _line_of(pact, '"channel"', after='"description": "an approved order"')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/2/metadata/channel: 'electronic-monitoring.case-created' is not a channel "
        "carrying case-status-returned in contracts/asyncapi.yaml "
        "(its channels: electronic-monitoring.case-status-returned)",
    )


def test_metadata_naming_no_channel(project):
    pact = project / PACT

    def strip(d):
        for key in ("channel", "eventType"):
            d["interactions"][0]["metadata"].pop(key)

    _edit(pact, strip)
    line = _line_of(pact, '"metadata": {', after='"description": "a case created for a new order"')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/0/metadata: "
        "names no channel: add metadata channel 'electronic-monitoring.case-created'",
    )


def test_provider_that_does_not_send_and_consumer_that_does_not_receive(project):
    old = project / PACT
    pact = project / "contracts/pacts/em-compliance-monitoring-data-service.json"
    old.rename(pact)

    def swap(d):
        d["consumer"]["name"] = "em-compliance"
        d["provider"]["name"] = "monitoring-data-service"
        for it in d["interactions"]:
            it["providerStates"] = []

    _edit(pact, swap)
    name = "contracts/pacts/em-compliance-monitoring-data-service.json"
    result = em("lint", str(project))
    assert result.code == 1, result.text
    provider_line = _line_of(pact, '"monitoring-data-service"')
    consumer_line = _line_of(pact, '"em-compliance"')
    assert (
        f"{name}:{provider_line}: /provider/name: 'monitoring-data-service' does not send case-created in "
        "contracts/asyncapi.yaml (its producers: field-monitoring-service)"
    ) in result.out.splitlines()
    assert (
        f"{name}:{consumer_line}: /consumer/name: 'em-compliance' does not receive case-status-returned in "
        "contracts/asyncapi.yaml (its consumers: cemo, em-datastore)"
    ) in result.out.splitlines()


# -- 5. provider states --------------------------------------------------------------------------
def test_state_missing_from_the_states_file_is_an_error(project):
    pact = project / PACT
    _edit(pact, lambda d: d["interactions"][1]["providerStates"][0].update(name="a duplicate order was submitted"))
    line = _line_of(pact, '"a duplicate order was submitted"')
    _lint_fails_with(
        project,
        f"{PACT}:{line}: /interactions/1/providerStates/0/name: "
        f"state 'a duplicate order was submitted' is not defined in {STATES}",
    )


def test_without_a_states_file_states_are_warnings(catalogue_copy):
    _reset(catalogue_copy, states=False)
    result = em("lint", str(catalogue_copy))
    pact = catalogue_copy / PACT
    line = _line_of(pact, '"an order has been submitted"')
    expected = (
        f"{PACT}:{line}: /interactions/0/providerStates/0/name: warning: "
        f"state 'an order has been submitted' is not defined: no {STATES} yet"
    )
    assert expected in result.out.splitlines(), result.out
    assert all(": warning: " in line for line in _ours(result.out)), result.out
    # Warnings alone do not fail lint: the exit code is the one the catalogue gives without any pact.
    shutil.rmtree(catalogue_copy / "contracts/pacts")
    assert em("lint", str(catalogue_copy)).code == result.code


def test_undeclared_param_is_a_warning(project):
    pact = project / PACT
    _edit(pact, lambda d: d["interactions"][0]["providerStates"][0]["params"].update(colour="blue"))
    result = em("lint", str(project))
    line = _line_of(pact, '"colour"')
    assert _ours(result.out) == [
        f"{PACT}:{line}: /interactions/0/providerStates/0/params/colour: warning: "
        f"param 'colour' is not declared under 'an order has been submitted' in {STATES}"
    ]


# -- 6. unusable pacts ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"consumer": {"name": "cemo"},\n  "interactions": [\n}', ":3:1: invalid JSON"),
        ('{"hello": "world"}', "not a pact (no metadata.pactSpecification.version)"),
        ("[1, 2]", "not a pact (expected a JSON object)"),
        (
            '{"consumer": {"name": "cemo"}, "provider": {"name": "field-monitoring-service"}, "interactions": [],'
            ' "metadata": {"pactSpecification": {"version": "5.0.0"}}}',
            "Pact specification 5.0.0 is not supported; write V4 pacts",
        ),
        (
            '{"metadata": {"pactSpecification": {"version": "4.0"}}, "interactions": []}',
            "not a pact (needs consumer.name",
        ),
    ],
)
def test_unusable_pact_is_exit_2_with_one_line(project, text, says):
    (project / PACT).write_text(text)
    result = em("lint", str(project))
    assert result.code == 2, result.text
    assert result.out == ""
    assert result.err.strip().count("\n") == 0, result.err
    assert "cemo-field-monitoring-service.json" in result.err and says in result.err
    assert "Traceback" not in result.err


# -- states files ------------------------------------------------------------------------------
def test_states_file_that_is_not_yaml_is_exit_2_naming_the_line(project):
    path = project / STATES
    path.write_text(path.read_text() + "  broken: [unclosed\n")
    result = em("lint", str(project))
    assert result.code == 2, result.text
    assert "field-monitoring-service.yaml:" in result.err and "invalid YAML" in result.err
    assert result.err.strip().count("\n") == 0
    assert "Traceback" not in result.err


def _edit_states(project: Path, old: str, new: str) -> Path:
    path = project / STATES
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def test_deadline_that_is_not_a_positive_number(project):
    path = _edit_states(project, "deadline: 10", "deadline: -3")
    line = _line_of(path, "deadline: -3")
    _lint_fails_with(
        project,
        f"{STATES}:{line}: /states/a device has been fitted/deadline: "
        "the deadline must be a number of seconds above 0 and at most 3600, not -3",
    )


def test_stimulus_naming_a_message_with_no_schema(project):
    path = _edit_states(project, "- message: sim-field-visit", "- message: sim-field-vist")
    line = _line_of(path, "sim-field-vist")
    _lint_fails_with(
        project,
        f"{STATES}:{line}: /states/a device has been fitted/stimuli/1/message: "
        "no message schema schemas/sim-field-vist/",
    )


def test_set_pointer_not_in_the_example(project):
    path = _edit_states(
        project,
        "/additionalInformation/monitoring_order/order_type:",
        "/additionalInformation/monitoring_orders/order_type:",
    )
    line = _line_of(path, "monitoring_orders")
    _lint_fails_with(
        project,
        f"{STATES}:{line}: /states/an order has been submitted/stimuli/0/set/"
        "~1additionalInformation~1monitoring_orders~1order_type: "
        "does not exist in examples[0] of schemas/order-submitted/v1.json",
    )


def test_set_pointer_to_an_undeclared_field(project):
    path = _edit_states(
        project,
        "/additionalInformation/device_wearer/no_fixed_address:",
        "/additionalInformation/device_wearer/no_fixed_abode:",
    )
    line = _line_of(path, "no_fixed_abode")
    _lint_fails_with(
        project,
        f"{STATES}:{line}: /states/an order has been submitted without a usable address/stimuli/0/set/"
        "~1additionalInformation~1device_wearer~1no_fixed_abode: "
        "not in examples[0] and no subschema declares this property of schemas/order-submitted/v1.json",
    )


def test_set_may_add_a_declared_optional_field_and_remove_an_existing_one(project):
    _edit_states(
        project,
        "/additionalInformation/device_wearer/address_2: null",
        "/additionalInformation/device_wearer/address_2: null\n"
        '          /additionalInformation/device_wearer/home_office_case_reference_number: "HO-0001"',
    )
    assert _ours(em("lint", str(project)).out) == []
    path = _edit_states(
        project,
        "/additionalInformation/device_wearer/address_2: null",
        "/additionalInformation/device_wearer/address_9: null",
    )
    line = _line_of(path, "address_9")
    _lint_fails_with(
        project,
        f"{STATES}:{line}: /states/an order has been submitted without a usable address/stimuli/0/set/"
        "~1additionalInformation~1device_wearer~1address_9: "
        "does not exist in examples[0] of schemas/order-submitted/v1.json",
    )


def test_provider_that_is_no_system_and_a_misnamed_file(project):
    path = _edit_states(project, "provider: field-monitoring-service", "provider: field-monitoring")
    result = em("lint", str(project))
    assert result.code == 1, result.text
    line = _line_of(path, "provider: field-monitoring")
    assert f"{STATES}:{line}: /provider: 'field-monitoring' is no system of contracts/asyncapi.yaml" in result.out
    assert (
        f"{STATES}:{line}: /provider: the file for provider 'field-monitoring' must be named field-monitoring.yaml"
    ) in result.out


def test_placeholder_that_is_no_param_is_a_warning(project):
    path = _edit_states(project, '"{device_class}"', '"{device_kind}"')
    line = _line_of(path, "{device_kind}")
    result = em("lint", str(project))
    assert _ours(result.out) == [
        f"{STATES}:{line}: /states/a device has been fitted/stimuli/1/set/~1additionalInformation~1device_class: "
        "warning: {device_kind} is no param of this state (declare it under params)"
    ]


# -- the path walk, directly ------------------------------------------------------------------
def test_parse_path_forms():
    assert parse_path("$.additionalInformation.reasons[*].section") == [
        Step("prop", name="additionalInformation"),
        Step("prop", name="reasons"),
        Step("any-index"),
        Step("prop", name="section"),
    ]
    assert parse_path("$['a b'][0].*") == [Step("prop", name="a b"), Step("index", index=0), Step("any-prop")]
    assert parse_path("$") == []
    assert parse_path("additionalInformation") is None
    assert parse_path("$.a[") is None


def test_path_covers_wildcards():
    rule = parse_path("$.list[*]['x-y']")
    assert path_covers(rule, steps_of_pointer("/list/3/x-y"))
    assert not path_covers(rule, steps_of_pointer("/list/3/x-z"))
    assert not path_covers(rule, steps_of_pointer("/list/3"))


def test_locate_follows_refs_allof_and_conditionals(root):
    registry = SchemaRegistry(root / "schemas")
    doc = registry.get("electronic-monitoring.case-status-returned", 1)
    resolver = registry.referencing.resolver(base_uri=doc.uri)

    def where(path):
        return locate(doc.contents, resolver, parse_path(path))

    assert where("$.occurredAt").kinds == frozenset({"string"})  # from the envelope, through allOf/$ref
    assert where("$.version").kinds == frozenset({"integer"})
    assert where("$.additionalInformation.reasons[0].details").kinds == frozenset({"string"})
    assert where("$.personReference.identifiers[*].value").missing is None  # declared by the envelope
    assert where("$.additionalInformation.reasons[*].sektion").missing == 3
    assert where("$.additionalInformation.status[0]").reason == "the schema says this is a string, not an array"


def test_or_rule_needs_one_matcher_that_fits():
    either = MatchingRule("$.x", "OR", (Matcher("integer"), Matcher("regex", {"regex": "."})))
    both = MatchingRule("$.x", "AND", (Matcher("integer"), Matcher("regex", {"regex": "."})))
    assert matcher_disagreement(either, frozenset({"string"})) == []
    assert matcher_disagreement(both, frozenset({"string"})) == [
        "'integer' matcher needs an integer, the schema says a string"
    ]
