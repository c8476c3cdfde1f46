"""verify's behaviour checks, piece by piece: each fed a message of the right type but another
interaction's identity must fail (a false pass is the worst bug); diagnoses a supplier can act on;
the virtual clock; redaction of personal values in every report."""

from __future__ import annotations

import json
import random
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from harness.catalogue.envelope import seal
from harness.catalogue.flows import load_flow
from harness.catalogue.states import load_states
from harness.project import find_project
from harness.report.console import ConsoleSink
from harness.report.files import write_html, write_json, write_junit
from harness.simulate.canaries import Canaries
from harness.verify.correlate import Correlator
from harness.verify.engine import VerifyEngine
from harness.verify.events import Recorded, RunFinished
from harness.verify.flows import FlowRun, judge_flow
from harness.verify.judge import event_id_failures
from tests.helpers import em

ROOT = Path(__file__).resolve().parent.parent
FMS = "field-monitoring-service"
RULES = load_states(ROOT / "contracts" / "states")[FMS].correlation
A = {"order_id": "11111111-1111-4111-8111-111111111111", "crn": "X111111", "noms": "A1111AA", "device_id": 111111111}
B = {"order_id": "22222222-2222-4222-8222-222222222222", "crn": "X222222", "noms": "A2222BB", "device_id": 222222222}
CASE_A, CASE_B = "a" * 32, "b" * 32


def rec(seq: int, message: str, info: dict, tokens: dict = A, **extra) -> Recorded:
    body = {
        "eventType": f"electronic-monitoring.{message}",
        "version": 1,
        "occurredAt": "2026-06-20T17:00:00Z",
        "publishedAt": "2026-06-20T17:00:00Z",
        "source": FMS,
        "personReference": {
            "identifiers": [{"type": "CRN", "value": tokens["crn"]}, {"type": "NOMS", "value": tokens["noms"]}]
        },
        "additionalInformation": info,
        **extra,
    }
    return Recorded(seq, float(seq), body["eventType"], {"eventType": body["eventType"]}, seal(body), "supplier")


def correlator() -> Correlator:
    owners = {str(v): "interaction B" for v in B.values()}
    c = Correlator(RULES, A, owners)
    c.learn([rec(1, "case-created", {"orderId": A["order_id"], "caseId": CASE_A})])
    return c


def test_correlation_takes_the_interactions_own_answer():
    c = correlator()
    assert c.announced == {"case_id": [CASE_A]}
    assert c.correlated(rec(2, "case-status-returned", {"orderId": A["order_id"], "caseId": CASE_A}))


def test_correlation_fails_another_orders_id_and_quotes_both_values():
    failures = correlator().failures(rec(2, "case-status-returned", {"orderId": B["order_id"], "caseId": CASE_A}))
    assert [f.path for f in failures] == ["/additionalInformation/orderId"]
    assert A["order_id"] in failures[0].expected and B["order_id"] in failures[0].actual
    assert "interaction B" in failures[0].message


def test_correlation_fails_a_case_id_never_announced_for_this_order():
    c = correlator()
    c.learn([rec(3, "case-created", {"orderId": B["order_id"], "caseId": CASE_B}, B)])  # B's announcement
    assert c.announced == {"case_id": [CASE_A]}, "another order's case-created announces nothing for this one"
    failures = c.failures(rec(4, "visit-completed", {"caseId": CASE_B}))
    assert [f.path for f in failures] == ["/additionalInformation/caseId"]
    assert CASE_A in failures[0].expected and CASE_B in failures[0].actual


def test_correlation_fails_another_wearers_identifiers_without_printing_them():
    answer = rec(2, "case-status-returned", {"orderId": A["order_id"], "caseId": CASE_A}, B)
    failures = correlator().failures(answer)
    assert {f.path for f in failures} == {
        "/personReference/identifiers/0/value",
        "/personReference/identifiers/1/value",
    }
    text = json.dumps([f.to_json() for f in failures])
    assert B["crn"] not in text and A["crn"] not in text and "interaction B" in text


def test_correlation_fails_another_devices_id():
    answer = rec(2, "equipment-installed", {"caseId": CASE_A, "device_id": B["device_id"]})
    assert [f.path for f in correlator().failures(answer)] == ["/additionalInformation/device_id"]


def test_event_id_fails_another_messages_id():
    mine = rec(1, "case-created", {"orderId": A["order_id"], "caseId": CASE_A})
    other = rec(2, "case-created", {"orderId": B["order_id"], "caseId": CASE_B}, B)
    assert not event_id_failures([mine])
    mine.body["eventId"] = other.body["eventId"]  # a valid id, of another message
    failures = event_id_failures([mine])
    assert (
        len(failures) == 1 and failures[0].path == "/eventId" and failures[0].actual.strip("'") == other.body["eventId"]
    )


def _lifecycle(fitted_device: int) -> list[str]:
    flow = load_flow(ROOT / "contracts" / "flows" / "order-lifecycle.yaml")
    visit = Recorded(
        1,
        0.0,
        "em-harness.sim-field-visit",
        {},
        {
            "eventType": "em-harness.sim-field-visit",
            "additionalInformation": {"device_id": A["device_id"], "ended_at": "2026-06-20T16:00:00Z"},
        },
        "stimulus",
    )
    records = [
        rec(2, "case-created", {"orderId": A["order_id"], "caseId": CASE_A}),
        rec(3, "case-status-returned", {"orderId": A["order_id"], "caseId": CASE_A, "status": "approved"}),
        rec(
            4,
            "visit-completed",
            {
                "caseId": CASE_A,
                "visit_id": "v" * 32,
                "visit_type": "install",
                "actual_start": "2026-06-20 16:15:00",
                "actual_end": "2026-06-20 17:00:00",
            },
        ),
        rec(
            5,
            "equipment-installed",
            {"caseId": CASE_A, "device_id": fitted_device, "visit_id": "v" * 32, "installed_at": "2026-06-20 17:00:00"},
        ),
        rec(6, "case-status-returned", {"orderId": A["order_id"], "caseId": CASE_A, "status": "installed"}),
    ]
    failures, correlation = judge_flow(FlowRun(flow, records, [visit]))
    assert not correlation
    return [f.message for f in failures]


def test_flow_value_rule_holds_for_the_interactions_own_device_and_fails_for_another():
    assert _lifecycle(A["device_id"]) == []
    failed = _lifecycle(B["device_id"])
    assert len(failed) == 1
    assert "'order lifecycle'" in failed[0] and "'fitted'" in failed[0] and "the device fitted is the one" in failed[0]
    assert str(A["device_id"]) in failed[0] and str(B["device_id"]) in failed[0]


def test_a_canary_of_another_interaction_is_that_interactions_leak():
    canaries = Canaries(random.Random(3))
    body_a = {"additionalInformation": {"device_wearer": {"first_name": "x", "last_name": "y", "date_of_birth": "d"}}}
    body_b = json.loads(json.dumps(body_a))
    mine = canaries.plant(body_a, "interaction A")
    theirs = canaries.plant(body_b, "interaction B")
    assert not set(mine) & set(theirs)
    leaked = next(iter(theirs))
    hits = canaries.find({"description": f"Case opened for {leaked.upper()}"})
    assert [canaries.planted[v][0] for _, v in hits] == ["interaction B"]
    assert "<canary>" in canaries.scrub(f"Case opened for {leaked}") and leaked not in canaries.scrub(leaked)


# -- whole runs ----------------------------------------------------------------------------
def _run(app: str, **kw) -> tuple[VerifyEngine, RunFinished]:
    engine = VerifyEngine(find_project(ROOT), FMS, supplier_app=app, seed=5, **kw)
    finished = next(e for e in engine.events() if isinstance(e, RunFinished))
    return engine, finished


def _reports(finished: RunFinished, tmp: Path) -> dict[str, str]:
    from rich.console import Console

    console = Console(record=True, width=200)
    ConsoleSink(console)(finished)
    write_json(finished, tmp / "r.json")
    write_junit(finished, tmp / "r.xml")
    write_html(finished, tmp / "r.html")
    return {
        "console": console.export_text(),
        "json": (tmp / "r.json").read_text(),
        "junit": (tmp / "r.xml").read_text(),
        "html": (tmp / "r.html").read_text(),
    }


def test_reports_never_show_a_personal_value(tmp_path):
    engine, finished = _run("providers.faulty.name_in_description:app")
    assert finished.exit_code == 1
    assert engine.canaries is not None and engine.canaries.planted
    reports = _reports(finished, tmp_path)
    personal = list(engine.canaries.planted)
    personal += [str(sc.tokens.values[k]) for sc in engine.scenarios for k in ("crn", "noms") if k in sc.tokens.values]
    for name, text in reports.items():
        for value in personal:
            assert value not in text, f"{value!r} in the {name} report"
        import html

        assert "<canary: device_wearer.first_name>" in html.unescape(text), name
    assert "<redacted>" in reports["json"]


def test_uncorrelated_answer_is_reported_with_the_nearest_candidate(tmp_path):
    _, finished = _run("tests.providers.odd_suppliers:uncorrelated", only=["cemo / a case created for a new order"])
    reports = _reports(finished, tmp_path)
    for name in ("console", "junit"):
        assert "published on the right channel but not correlated" in reports[name], name
        assert "nearest candidate" in reports[name], name


def test_missing_event_type_header_fails_channel():
    _, finished = _run(
        "tests.providers.odd_suppliers:no_event_type_header", only=["cemo / a case created for a new order"]
    )
    outcome = finished.outcomes[0]
    channel = outcome.check("channel")
    assert channel is not None and not channel.passed
    assert channel.failures[0].path == "headers/eventType" and "no eventType header" in channel.failures[0].message


def test_version_of_the_wrong_type_is_a_type_error_at_version():
    _, finished = _run("tests.providers.odd_suppliers:version_as_text", only=["cemo / a case created for a new order"])
    schema = finished.outcomes[0].check("schema")
    assert schema is not None and not schema.passed
    assert schema.failures[0].path == "/version" and "is not of type 'integer'" in schema.failures[0].message


def test_state_not_reached_and_late_are_on_the_console_and_in_junit(tmp_path):
    _, finished = _run(
        "providers.faulty.late_reply:app", only=["cemo / a case created for a new order"], flows=["tamper"]
    )
    reports = _reports(finished, tmp_path)
    for name in ("console", "junit"):
        assert "arrived late after 6." in reports[name], name
        assert "state not reached: the supplier published no electronic-monitoring.case-created" in reports[name], name


def test_never_sent_is_not_late(tmp_path):
    _, finished = _run(
        "providers.faulty.never_sends_monitoring_ended:app", only=["cemo / monitoring ended for the order"]
    )
    deadline = finished.outcomes[0].check("deadline")
    assert deadline is not None and "never sent" in deadline.failures[0].message
    assert "arrived late" not in deadline.failures[0].message


def test_the_reference_supplier_runs_on_the_virtual_clock():
    _, finished = _run(
        "providers.field_monitoring:app", only=["cemo / a case created for a new order"], flows=["ending"]
    )
    assert finished.passed, [c.to_json() for o in finished.outcomes for c in o.checks if not c.passed]
    assert finished.clock.startswith("virtual clock from 2026-06-20T17:00:00Z")
    created = finished.outcomes[0].captured
    assert created is not None and created.body["additionalInformation"]["createdAt"] == "2026-06-20T17:00:00Z"
    ended = [m for o in finished.outcomes for m in o.messages if m.channel.endswith("monitoring-ended")]
    assert [m.body["publishedAt"] for m in ended] == ["2026-06-22T17:00:00Z"], "two simulated days later"


def test_wall_clock_mode_skips_what_needs_simulated_time():
    # a reference FMS of its own: an app another test ran on the virtual clock keeps that time
    _, finished = _run("tests.providers.odd_suppliers:never_ticked", flows=["ending", "order intake"], clock="wall")
    flows = {o.key: o for o in finished.outcomes if o.kind == "flow"}
    intake = flows["flow / order intake"]
    assert intake.passed, [f.message for c in intake.checks for f in c.failures]
    ending = flows["flow / ending"]
    assert not ending.passed
    assert any("state not reached" in f.message and "wall clock" in f.message for f in ending.check("flow").failures)
    assert finished.clock == "wall clock (--clock wall)"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--faults", "flood"], "unknown fault 'flood'"),
        (["--clock", "sundial"], "use virtual or wall"),
        (["--flow", "no such flow"], "no flow of"),
    ],
)
def test_bad_behaviour_options_are_exit_2(args, words, root):
    result = em("verify", "--provider", FMS, *args, cwd=root)
    assert result.code == 2 and words in result.err and "Traceback" not in result.err, result.text


def test_junit_of_a_flow_failure_names_flow_step_rule_and_values(tmp_path, root):
    junit = tmp_path / "j.xml"
    result = em(
        "verify",
        "--provider",
        FMS,
        "--supplier-app",
        "providers.faulty.utc_for_london:app",
        "--flow",
        "curfew",
        "--interaction",
        "probation-alerts / a curfew violation, ongoing",
        "--junit",
        str(junit),
        cwd=root,
    )
    assert result.code == 1, result.text
    texts = [f.text or "" for f in ET.parse(junit).getroot().iter("failure")]
    assert any(
        "flow 'curfew breach lifecycle'" in t
        and "step 'raised'" in t
        and "London local time" in t
        and "'2026-06-20 20:05:00'" in t
        and "'2026-06-20 21:05:00'" in t
        for t in texts
    ), texts


def _curfew(raised: dict, updated: dict) -> tuple[list[str], list[str]]:
    flow = load_flow(ROOT / "contracts" / "flows" / "curfew-breach.yaml")
    telemetry = Recorded(
        1,
        0.0,
        "em-harness.sim-device-telemetry",
        {},
        {
            "eventType": "em-harness.sim-device-telemetry",
            "additionalInformation": {"observed_at": "2026-06-20T20:05:00Z", "minutes": 45},
        },
        "stimulus",
    )
    base = {"sys_id": "c" * 32, "caseId": CASE_A, "category": "curfew", "start": "2026-06-20 21:05:00"}
    records = [
        rec(2, "case-created", {"orderId": A["order_id"], "caseId": CASE_A}),
        rec(3, "violation-raised", {**base, **raised}),
        rec(4, "violation-updated", {**base, **updated}),
    ]
    failures, correlation = judge_flow(FlowRun(flow, records, [telemetry]))
    return [f.message for f in failures], [f.message for f in correlation]


GOOD = {"end": "2026-06-20 21:50:00", "duration": 2700}
CLOSED = {**GOOD, "reasonable_excuse": "Yes", "active": False, "state": "Closed"}


def test_curfew_flow_holds_for_a_correct_violation():
    assert _curfew(GOOD, CLOSED) == ([], [])


def test_a_closed_violation_shorter_than_the_absence_fails():
    """45 minutes away inside the curfew: a violation closed after 30 names the rule and both values."""
    failed, _ = _curfew(GOOD, {**CLOSED, "end": "2026-06-20 21:35:00", "duration": 1800})
    assert failed == [
        "flow 'curfew breach lifecycle', step 'updated' (violation-updated): the closed violation lasted as long as "
        "the home unit reported the wearer away: seq 4: expected 2700, got 1800"
    ]


def test_a_violation_that_ends_before_it_starts_fails_even_with_a_matching_duration():
    failed, _ = _curfew({"end": "2026-06-20 20:20:00", "duration": -2700}, CLOSED)
    assert any("'raised'" in m and "does not end before it starts" in m for m in failed), failed


def test_a_message_carrying_another_case_id_fails_the_flows_correlation():
    _, correlation = _curfew(GOOD, {**CLOSED, "caseId": CASE_B})
    assert len(correlation) == 1 and CASE_A in correlation[0] and CASE_B in correlation[0]


def test_a_follow_up_waits_for_the_answer_its_where_names_not_one_still_in_flight():
    """An earlier answer (status installed) arriving after the order end was published is not the answer
    to the order end (status scheduled): `after: {message, where}` takes the scheduled one."""
    import asyncio

    from harness.simulate.stimuli import Stimulus, Tokens
    from harness.verify.engine import Scenario
    from harness.verify.events import InteractionOutcome

    class Clockless:
        """A bus on which time passes a second per look at the clock, and nothing ever arrives."""

        synchronous = True
        t = 0.0

        def now(self) -> float:
            self.t += 1.0
            return self.t

        async def wait_for(self, event: asyncio.Event, timeout: float) -> bool:
            return False

    tokens = Tokens(random.Random(1))
    tokens.values.update(A)
    outcome = InteractionOutcome("k", "c", "d", [], "e", "c", 5.0)
    sc = Scenario(outcome, tokens, [], Correlator(RULES, dict(A)), 5.0)
    status = "electronic-monitoring.case-status-returned"
    sc.records = [
        rec(2, "case-created", {"orderId": A["order_id"], "caseId": CASE_A}),
        rec(5, "case-status-returned", {"orderId": A["order_id"], "caseId": CASE_A, "status": "installed"}),
        rec(6, "case-status-returned", {"orderId": A["order_id"], "caseId": CASE_A, "status": "scheduled"}),
    ]
    removal = Stimulus(
        "em-harness.sim-field-visit", "sim-field-visit", {}, 0.0, status, {"/additionalInformation/status": "scheduled"}
    )
    engine = VerifyEngine.__new__(VerifyEngine)
    answer = asyncio.run(engine._answer(Clockless(), sc, removal, since_seq=4))
    assert answer is not None and answer.seq == 6
    again = asyncio.run(engine._answer(Clockless(), sc, removal, since_seq=4))
    assert again is None, "an answer is taken once"
