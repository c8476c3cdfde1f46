"""Pacts from any Pact tool, judged as consumer teams write them, each fixture with a broken twin.

The fixtures under tests/fixtures/pacts/foreign/ are what the tools write: pact-js 16 wrote its own
(pact-js/generate.mjs), pact-jvm's are written from its source (pact-jvm/build.py). Each good twin lints
clean and passes against the reference Field Monitoring Service on the memory bus; each broken twin
differs by one expectation the reference supplier does not meet, and must fail naming the interaction,
the path, the rule expected and the value sent. The first test is the false pass this suite exists for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.verify.events import PACT
from tests.verifying import FOREIGN, catalogue, errors, fixture, lint, verify

FAULTY_IN_ONE_STATE = "tests.suppliers.case_open_with_address:app"
ADDRESSED = "cemo / a case created [given an order has been submitted]"
UNADDRESSED = "cemo / a case created [given an order has been submitted without a usable address]"


def _only(path: Path, description: str) -> tuple[str, dict]:
    doc = json.loads(path.read_text())
    doc["interactions"] = [i for i in doc["interactions"] if i["description"] == description]
    return path.name, doc


# -- 1. the false pass ----------------------------------------------------------------------------
def test_same_description_under_two_states_each_judged_against_its_own_message(tmp_path):
    """Two interactions share a description under different provider states (pact-js writes these).

    The supplier is wrong in one state only (case state OPEN for an order with an address). The judge
    used to serve the verifier by description alone, so both were judged against one message: this run
    passed. Each is now judged by its own identity: the wrong one fails, the right one passes.
    """
    project = catalogue(tmp_path, _only(fixture("pact-js/v4-async"), "a case created"))
    run = verify(project, app=FAULTY_IN_ONE_STATE)
    assert run.code == 1, run.console
    assert sorted(run.keys) == sorted([ADDRESSED, UNADDRESSED])
    assert run.failing() == {ADDRESSED: [PACT]}
    assert run.outcome(UNADDRESSED).passed
    (line,) = run.lines("FAIL ")
    assert line == (
        f"FAIL {ADDRESSED}: pact at /additionalInformation/caseState/name: Expected 'OPEN' to match '^NEW$' "
        "(expected a value matching regex '^NEW$', got 'OPEN')"
    )
    # Each was judged, against the message captured for it.
    for key in (ADDRESSED, UNADDRESSED):
        o = run.outcome(key)
        pact = next(c for c in o.checks if c.check == PACT)
        assert pact.skipped is None
        assert o.captured is not None
    assert run.outcome(ADDRESSED).captured.body["additionalInformation"]["caseState"]["name"] == "OPEN"
    assert run.outcome(UNADDRESSED).captured.body["additionalInformation"]["caseState"]["name"] == "NEW"

    reference = verify(project)
    assert reference.code == 0, reference.console
    assert all(o.passed for o in reference.finished.outcomes)


# -- 2. every foreign style: the good twin passes, the broken twin fails --------------------------
BROKEN = {
    "pact-js/v3-messages": (
        "cemo / a case status [given a duplicate order has been submitted]",
        "/additionalInformation/reasons/0/section",
        "Expected 'duplicate_submission' to match '^already_open$'",
        "(expected a value matching regex '^already_open$', got 'duplicate_submission')",
    ),
    "pact-js/v4-async": (
        "cemo / a device installed [given a device wearer has breached curfew]",
        "/additionalInformation/device_class",
        "Expected 'GPS monitoring device' (String) to be equal to 'home monitoring unit' (String)",
        "(expected 'home monitoring unit', got 'GPS monitoring device')",
    ),
    "pact-js/v4-sync": (
        "cemo / an order submitted gets a case created",
        "/additionalInformation/caseState/name",
        "Expected 'NEW' to match '^OPEN$'",
        "(expected a value matching regex '^OPEN$', got 'NEW')",
    ),
    "pact-jvm/v3-messages": (
        "cemo / a case status of approved",
        "/additionalInformation/caseId",
        "Expected '",
        "to match '^[0-9A-F]{32}$' (expected a value matching regex '^[0-9A-F]{32}$', got '",
    ),
    "pact-jvm/v4-combined": (
        "cemo / a case created for a new order",
        "/additionalInformation/caseState/name",
        "Expected 'NEW' to match '^OPEN$'",
        "(expected a value matching regex '^OPEN$', got 'NEW')",
    ),
}
INTERACTIONS = {
    "pact-js/v3-messages": 3,
    "pact-js/v4-async": 6,
    "pact-js/v4-sync": 1,
    "pact-jvm/v3-messages": 2,
    "pact-jvm/v4-combined": 2,
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_good_twin_lints_clean_and_passes(name, tmp_path):
    project = catalogue(tmp_path, fixture(name))
    assert errors(lint(project)) == []
    run = verify(project)
    assert run.code == 0, run.console
    assert len(run.finished.outcomes) == INTERACTIONS[name]
    for o in run.finished.outcomes:
        assert o.passed, (o.key, [c.to_json() for c in o.checks if not c.passed])
        assert o.captured is not None
        assert next(c for c in o.checks if c.check == PACT).skipped is None


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_twin_fails_naming_interaction_path_rule_and_value(name, tmp_path):
    key, path, said, detail = BROKEN[name]
    project = catalogue(tmp_path, fixture(name, "broken"))
    run = verify(project)
    assert run.code == 1, run.console
    assert run.failing() == {key: [PACT]}
    (line,) = run.lines("FAIL ")  # once: one mismatch, one line
    assert line.startswith(f"FAIL {key}: pact at {path}: {said}"), line
    assert detail in line, line


def test_v3_and_v4_pacts_of_pact_js_read_the_same(tmp_path):
    """The V3 `messages` form and the V4 form of one consumer's expectations plan the same interactions."""
    v3 = json.loads(fixture("pact-js/v3-messages").read_text())
    assert "messages" in v3 and v3["metadata"]["pactSpecification"]["version"] == "3.0.0"
    run = verify(catalogue(tmp_path, fixture("pact-js/v3-messages")))
    assert sorted(run.keys) == [
        "cemo / a case created for a new order",
        "cemo / a case status [given a duplicate order has been submitted]",
        'cemo / a case status [given an order has been submitted (order_type="Post Release")]',
    ]


def test_combined_file_lists_http_as_out_of_scope_and_verifies_the_rest(tmp_path):
    run = verify(catalogue(tmp_path, fixture("pact-jvm/v4-combined")))
    assert run.code == 0
    assert run.finished.notes == [
        "cemo / a request for the case of an order: Synchronous/HTTP interaction in "
        "cemo-field-monitoring-service.json: out of scope (em-harness verifies message interactions; "
        "verify it with an HTTP provider verification)"
    ]
    assert "; 1 note(s)" in run.console
    assert {o.key for o in run.finished.outcomes} == {
        "cemo / a case created for a new order",
        "cemo / an order submitted gets a case created",
    }


def test_sync_pact_from_pact_js_has_no_metadata_and_takes_the_channel_from_the_body(tmp_path):
    doc = json.loads(fixture("pact-js/v4-sync").read_text())
    (interaction,) = doc["interactions"]
    assert interaction["type"] == "Synchronous/Messages"
    assert "eventType" not in interaction["request"]["metadata"]
    run = verify(catalogue(tmp_path, fixture("pact-js/v4-sync")))
    (o,) = run.finished.outcomes
    assert [s.channel for s in o.stimuli] == ["electronic-monitoring.order-submitted"]
    assert o.captured.channel == "electronic-monitoring.case-created"
    # fresh identifiers: not the pact's example order id, and the answer echoes the one sent
    sent = o.stimuli[0].body["additionalInformation"]["order_id"]
    assert sent != interaction["request"]["contents"]["content"]["additionalInformation"]["order_id"]
    assert o.captured.body["additionalInformation"]["orderId"] == sent


def test_every_fixture_has_its_broken_twin():
    folders = {p.parent.parent.relative_to(FOREIGN).as_posix() for p in FOREIGN.glob("*/*/good/*.json")}
    twins = {p.parent.parent.relative_to(FOREIGN).as_posix() for p in FOREIGN.glob("*/*/broken/*.json")}
    assert folders == twins
    assert folders == set(BROKEN) | {"pact-js/v4-pending"}


def test_concurrent_sync_requests_never_take_each_others_answer(tmp_path):
    """Five copies of one synchronous interaction run at once: each request gets fresh identifiers, and each
    answer captured is the one to its own request."""
    doc = json.loads(fixture("pact-js/v4-sync").read_text())
    (sync,) = doc["interactions"]
    doc["interactions"] = [dict(sync, description=f"an order submitted gets a case created #{n}") for n in range(5)]
    run = verify(catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc)))
    assert run.code == 0, run.console
    sent = []
    for o in run.finished.outcomes:
        (stimulus,) = o.stimuli
        order_id = stimulus.body["additionalInformation"]["order_id"]
        assert o.captured.body["additionalInformation"]["orderId"] == order_id
        sent.append(order_id)
    assert len(set(sent)) == 5
