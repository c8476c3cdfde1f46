"""lint on pacts from any Pact tool: every rule form the verifier reads, and what it flags in them.

Each test starts from a foreign fixture that lints clean (tests/fixtures/pacts/foreign/) and changes one
thing; lint runs in this process (the same checks as `em-harness lint`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.verifying import catalogue, errors, fixture, lint

PACT = "contracts/pacts/cemo-field-monitoring-service.json"


def _lint(tmp_path: Path, doc: dict) -> list[str]:
    return lint(catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc)))


def _has(lines: list[str], pointer: str, problem: str) -> None:
    hits = [x for x in lines if f": {pointer}: " in x and problem in x]
    assert hits, "\n".join(lines) or "lint said nothing"


def jvm_v3() -> dict:
    return json.loads(fixture("pact-jvm/v3-messages").read_text())


def jvm_v4() -> dict:
    return json.loads(fixture("pact-jvm/v4-combined").read_text())


def js_v4() -> dict:
    return json.loads(fixture("pact-js/v4-async").read_text())


def js_sync() -> dict:
    return json.loads(fixture("pact-js/v4-sync").read_text())


@pytest.mark.parametrize("name", ["pact-js/v3-messages", "pact-jvm/v3-messages", "pact-jvm/v4-combined"])
def test_foreign_pacts_lint_clean(name, tmp_path):
    assert errors(lint(catalogue(tmp_path, fixture(name)))) == []


# -- every rule form the verifier understands ------------------------------------------------------
def test_content_rules_are_read_like_body_rules(tmp_path):
    doc = jvm_v4()
    doc["interactions"][1]["matchingRules"]["content"]["$.additionalInformation.caseColour"] = {
        "matchers": [{"match": "type"}],
        "combine": "AND",
    }
    _has(
        _lint(tmp_path, doc),
        "/interactions/1/matchingRules/content/$.additionalInformation.caseColour",
        "$.additionalInformation.caseColour: no subschema declares this property",
    )


def test_v2_flat_rules_are_read(tmp_path):
    doc = jvm_v3()
    doc["messages"][1]["matchingRules"] = {
        "$.body.additionalInformation.status": {"match": "regex", "regex": "^approved$"},
        "$.body.additionalInformation.statos": {"match": "type"},
    }
    lines = _lint(tmp_path, doc)
    _has(
        lines,
        "/messages/1/matchingRules/$.body.additionalInformation.statos",
        "$.additionalInformation.statos: no subschema declares this property",
    )
    assert not [x for x in lines if "$.body.additionalInformation.status:" in x]


@pytest.mark.parametrize(
    ("rule", "shape"),
    [([{"match": "regex", "regex": "^x$"}], "a bare list"), ({"match": "regex", "regex": "^x$"}, "a bare matcher")],
)
def test_rule_forms_the_verifier_ignores(rule, shape, tmp_path):
    doc = jvm_v3()
    doc["messages"][0]["matchingRules"]["body"]["$.additionalInformation.caseId"] = rule
    _has(
        _lint(tmp_path, doc),
        "/messages/0/matchingRules/body/$.additionalInformation.caseId",
        f"the pact verifier ignores a rule written as {shape} (the value is compared by equality)",
    )


def test_a_category_the_verifier_does_not_read_for_messages(tmp_path):
    doc = js_v4()
    doc["interactions"][0]["matchingRules"]["contents"] = doc["interactions"][0]["matchingRules"].pop("body")
    _has(
        _lint(tmp_path, doc),
        "/interactions/0/matchingRules/contents",
        "matchingRules.contents: the pact verifier applies only body, content and metadata rules",
    )


def test_metadata_rules_are_read_and_judged(tmp_path):
    doc = jvm_v3()
    doc["messages"][0]["matchingRules"]["metadata"] = {
        "eventType": {"matchers": [{"match": "regex", "regex": "^electronic-monitoring\\.case-status.*$"}]}
    }
    lines = _lint(tmp_path, doc)
    _has(lines, "/messages/0/matchingRules/metadata/eventType", "the example fails its own matcher: ")
    _has(
        lines, "/messages/0/matchingRules/metadata/eventType", "Expected 'electronic-monitoring.case-created' to match"
    )


# -- what lint flags -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["ignore-order", "uuid", "foo"])
def test_unknown_matcher(kind, tmp_path):
    doc = jvm_v3()
    doc["messages"][0]["matchingRules"]["body"]["$.additionalInformation.caseId"]["matchers"] = [{"match": kind}]
    _has(
        _lint(tmp_path, doc),
        "/messages/0/matchingRules/body/$.additionalInformation.caseId/matchers/0",
        f"unknown matcher {kind!r}: the pact verifier fails every message against it",
    )


def test_unknown_matcher_inside_each_value(tmp_path):
    doc = jvm_v3()
    doc["messages"][0]["matchingRules"]["body"]["$.additionalInformation.caseState"] = {
        "matchers": [{"match": "eachValue", "rules": [{"match": "sorted"}]}]
    }
    _has(
        _lint(tmp_path, doc),
        "/messages/0/matchingRules/body/$.additionalInformation.caseState/matchers/0/rules/0",
        "unknown matcher 'sorted'",
    )


@pytest.mark.parametrize(
    ("matcher", "said"),
    [
        ({"match": "regex", "regex": "^[0-9A-F]{32}$"}, "Expected '0f1e2d3c4b5a69788796a5b4c3d2e1f0' to match"),
        ({"match": "regex", "regex": "^[0-9a-f{32}$"}, "is not a valid regular expression"),
        ({"match": "include", "value": "zz"}, "to include 'zz'"),
        ({"match": "integer"}, "to be an integer"),
    ],
)
def test_example_failing_its_own_matcher(matcher, said, tmp_path):
    doc = jvm_v3()
    doc["messages"][0]["matchingRules"]["body"]["$.additionalInformation.caseId"]["matchers"] = [matcher]
    lines = _lint(tmp_path, doc)
    _has(lines, "/messages/0/matchingRules/body/$.additionalInformation.caseId", "the example fails its own matcher")
    _has(lines, "/messages/0/matchingRules/body/$.additionalInformation.caseId", said)


def test_status_code_matcher_is_for_http(tmp_path):
    doc = jvm_v3()
    doc["messages"][0]["matchingRules"]["body"]["$.version"]["matchers"] = [
        {"match": "statusCode", "status": "success"}
    ]
    _has(
        _lint(tmp_path, doc),
        "/messages/0/matchingRules/body/$.version/matchers/0",
        "a statusCode matcher judges HTTP responses, not messages",
    )


def test_unknown_generator_and_generator_without_matcher(tmp_path):
    doc = jvm_v3()
    doc["messages"][0]["generators"]["body"]["$.additionalInformation.caseState.name"] = {"type": "RandomName"}
    doc["messages"][1]["generators"] = {"body": {"$.source": {"type": "RandomString", "size": 5}}}
    lines = _lint(tmp_path, doc)
    _has(lines, "/messages/0/generators/body/$.additionalInformation.caseState.name", "unknown generator 'RandomName'")
    _has(
        lines,
        "/messages/1/generators/body/$.source",
        "warning: RandomString generator with no matching rule at $.source: provider verification compares "
        "the example value by equality",
    )


def test_no_provider_state_where_the_provider_needs_one(tmp_path):
    doc = js_v4()
    doc["interactions"][0]["providerStates"] = []
    _has(
        _lint(tmp_path, doc),
        "/interactions/0/description",
        "no provider state: nothing would make field-monitoring-service send this message",
    )


def test_sync_request_sets_the_state_itself(tmp_path):
    doc = js_sync()
    assert doc["interactions"][0].get("providerStates") in (None, [])
    assert errors(_lint(tmp_path, doc)) == []


@pytest.mark.parametrize("key", ["topic", "destination"])
def test_metadata_topic_or_destination_names_the_channel_to_use(key, tmp_path):
    doc = js_v4()
    i = next(n for n, it in enumerate(doc["interactions"]) if it["description"] == "a device installed")
    doc["interactions"][i]["metadata"][key] = "em.equipment"
    _has(
        _lint(tmp_path, doc),
        f"/interactions/{i}/metadata/{key}",
        "'em.equipment' is not a channel carrying equipment-installed in contracts/asyncapi.yaml (its channels: "
        f"electronic-monitoring.equipment-installed) (metadata {key}: use metadata channel "
        "'electronic-monitoring.equipment-installed')",
    )


def test_destination_that_is_the_catalogue_channel_is_fine(tmp_path):
    doc = jvm_v4()
    assert doc["interactions"][1]["metadata"]["destination"] == "electronic-monitoring.case-created"
    assert errors(_lint(tmp_path, doc)) == []


def test_sync_request_that_is_no_catalogue_message_is_a_finding_not_a_crash(tmp_path):
    doc = js_sync()
    doc["interactions"][0]["request"]["contents"]["content"]["eventType"] = "electronic-monitoring.order-teleported"
    _has(
        _lint(tmp_path, doc),
        "/interactions/0/request/contents/content/eventType",
        "the request: no schema for 'electronic-monitoring.order-teleported' version 1 (no schema has that "
        "eventType) (the request is no catalogue message)",
    )


def test_sync_request_whose_sender_does_not_send_it(tmp_path):
    doc = js_sync()
    doc["consumer"]["name"] = "em-datastore"
    lines = lint(catalogue(tmp_path, ("em-datastore-field-monitoring-service.json", doc)))
    assert any(
        "/consumer/name: 'em-datastore' does not send order-submitted in contracts/asyncapi.yaml" in x for x in lines
    ), lines


def test_sync_request_without_an_identifier_to_make_fresh(tmp_path):
    doc = js_sync()
    info = doc["interactions"][0]["request"]["contents"]["content"]
    info.pop("personReference", None)
    info["additionalInformation"].pop("order_id")
    device_wearer = info["additionalInformation"]["device_wearer"]
    device_wearer.pop("delius_id", None)
    device_wearer.pop("nomis_id", None)
    _has(
        _lint(tmp_path, doc),
        "/interactions/0/request/contents/content",
        "the request carries no identifier verify can make fresh",
    )


def test_two_interactions_with_one_identity(tmp_path):
    doc = js_v4()
    doc["interactions"].append(json.loads(json.dumps(doc["interactions"][0])))
    _has(_lint(tmp_path, doc), "/interactions/6", "the same description and provider states as /interactions/0")


def test_http_interaction_is_a_warning_only(tmp_path):
    lines = lint(catalogue(tmp_path, fixture("pact-jvm/v4-combined")))
    assert errors(lines) == []
    _has(lines, "/interactions/0", "warning: an HTTP interaction: out of scope for em-harness")
