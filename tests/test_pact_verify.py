"""verify and pacts: pending interactions, every report escaping what contracts say, interactions that cannot
run or that nothing judged, and how a matcher mismatch is worded."""

from __future__ import annotations

import copy
import json
from xml.etree import ElementTree as ET

import pytest

from harness.catalogue.pactverifier import Verdict
from harness.verify import judge
from harness.verify.events import PACT, CheckResult, InteractionOutcome, Recorded, RunFinished
from tests.helpers import em
from tests.verifying import FMS, catalogue, fixture, verify

PENDING_KEY = "cemo / a case created in a new state"


# -- pending -------------------------------------------------------------------------------------
def test_pending_interaction_that_fails_is_reported_everywhere_and_does_not_fail_the_run(tmp_path):
    project = catalogue(tmp_path, fixture("pact-js/v4-pending", "broken"))
    out = {k: tmp_path / f"report.{k}" for k in ("json", "xml", "html")}
    result = em(
        "verify", "--provider", FMS, "--root", str(project),
        "--json", str(out["json"]), "--junit", str(out["xml"]), "--html", str(out["html"]), "--flow", "none",
        cwd=project,
    )  # fmt: skip
    assert result.code == 0, result.text
    mismatch = "Expected 'NEW' to match '^AWAITING_VALIDATION$'"
    # console: its own label, the mismatch, counted apart
    (line,) = [x for x in result.out.splitlines() if x.startswith("pending: failed ")]
    assert line.startswith(f"pending: failed {PENDING_KEY}: pact at /additionalInformation/caseState/name: {mismatch}")
    assert not [x for x in result.out.splitlines() if x.startswith("FAIL ")]
    assert result.out.splitlines()[-1].startswith("PASS: 1 of 1 interaction(s) passed in ")
    assert "pending: 1 failed, 0 passed (pending interactions do not fail the run)" in result.out
    # JSON
    data = json.loads(out["json"].read_text())
    assert data["passed"] is True and data["exitCode"] == 0
    assert data["counts"] == {"passed": 1, "failed": 0, "pendingPassed": 0, "pendingFailed": 1}
    (pending,) = [i for i in data["interactions"] if i["pending"]]
    assert pending["verdict"] == "pending: failed" and pending["passed"] is False
    pact = next(c for c in pending["checks"] if c["check"] == PACT)
    assert pact["pending"] is True and pact["failures"][0]["message"].startswith(mismatch)
    # JUnit: a skipped testcase carrying the mismatch, no failure
    suite = ET.parse(out["xml"]).getroot().find("testsuite")
    assert suite.get("failures") == "0"
    case = next(c for c in suite.iter("testcase") if c.get("name") == "a case created in a new state [pact]")
    skipped = case.find("skipped")
    assert skipped.get("message").startswith(f"pending: failed: {mismatch}")
    assert "/additionalInformation/caseState/name" in skipped.text
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert {k: props[k] for k in ("pendingFailed", "pendingPassed")} == {"pendingFailed": "1", "pendingPassed": "0"}
    # HTML
    page = out["html"].read_text()
    assert "pending: failed" in page and "^AWAITING_VALIDATION$" in page


def test_pending_interaction_that_passes_is_pending_passed(tmp_path):
    run = verify(catalogue(tmp_path, fixture("pact-js/v4-pending")))
    assert run.code == 0
    assert run.outcome(PENDING_KEY).verdict == "pending: passed"
    assert run.finished.counts == {"passed": 1, "failed": 0, "pendingPassed": 1, "pendingFailed": 0}


def test_a_pending_failure_never_hides_a_real_one(tmp_path):
    doc = json.loads(fixture("pact-js/v4-pending", "broken").read_text())
    other = next(i for i in doc["interactions"] if not i["pending"])
    other["matchingRules"]["body"]["$.additionalInformation.status"]["matchers"] = [
        {"match": "regex", "regex": "^installed$"}
    ]
    project = catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc))
    run = verify(project)
    assert run.code == 1
    assert run.finished.counts == {"passed": 0, "failed": 1, "pendingPassed": 0, "pendingFailed": 1}


# -- user text never breaks a report --------------------------------------------------------------
def _markup_pact() -> dict:
    doc = json.loads(fixture("pact-js/v4-pending").read_text())
    doc["interactions"] = [i for i in doc["interactions"] if not i["pending"]]
    (it,) = doc["interactions"]
    it["description"] = "a status [bold]^[A-Z]+$[/bold] <script>alert(1)</script> & \u0007bell"
    it["matchingRules"]["body"]["$.additionalInformation.status"]["matchers"] = [
        {"match": "regex", "regex": "^[a-z_]+[0-9]$"}
    ]
    it["contents"]["content"]["additionalInformation"]["status"] = "approved1"
    return doc


def test_brackets_markup_and_control_characters_in_contracts_never_break_a_report(tmp_path):
    project = catalogue(tmp_path, ("cemo-field-monitoring-service.json", _markup_pact()))
    out = {k: tmp_path / f"report.{k}" for k in ("json", "xml", "html")}
    result = em(
        "verify", "--provider", FMS, "--root", str(project),
        "--json", str(out["json"]), "--junit", str(out["xml"]), "--html", str(out["html"]),
        cwd=project,
    )  # fmt: skip
    assert result.code == 1, result.text  # the supplier sends "approved": a contract failure, not a crash
    assert "MarkupError" not in result.text and "internal error" not in result.text
    key = "cemo / a status [bold]^[A-Z]+$[/bold] <script>alert(1)</script> & \u0007bell"
    (line,) = [x for x in result.out.splitlines() if x.startswith("FAIL ")]
    # every character the terminal can show is printed as written (rich drops the control character)
    assert line.startswith(f"FAIL {key.replace(chr(7), '')}: pact at /additionalInformation/status: ")
    assert "Expected 'approved' to match '^[a-z_]+[0-9]$'" in line  # not "^+[0-9]$": nothing dropped
    assert "(expected a value matching regex '^[a-z_]+[0-9]$', got 'approved')" in line
    data = json.loads(out["json"].read_text())
    assert data["interactions"][0]["key"] == key
    root = ET.parse(out["xml"]).getroot()  # parses: the bell character is replaced, the rest escaped
    names = [c.get("name") for c in root.iter("testcase")]
    assert "a status [bold]^[A-Z]+$[/bold] <script>alert(1)</script> & \ufffdbell [pact]" in names
    page = out["html"].read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "^[a-z_]+[0-9]$" in page


def test_markup_in_a_bus_url_is_escaped(tmp_path):
    result = em("verify", "--provider", FMS, "--bus", "nats://[bold]nope", cwd=tmp_path.parent)
    assert result.code == 2 and "Traceback" not in result.text


# -- what cannot run, and what nothing judged, never passes ----------------------------------------
def test_interaction_with_an_undefined_state_fails_alone(tmp_path):
    doc = json.loads(fixture("pact-js/v4-async").read_text())
    doc["interactions"][0]["providerStates"] = [{"name": "a state nobody defined"}]
    run = verify(catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc)))
    assert run.code == 1
    failing = run.failing()
    assert len(failing) == 1
    (key,) = failing
    o = run.outcome(key)
    assert o.problem.startswith("provider state 'a state nobody defined' is not defined in contracts/states/")
    assert o.stimuli == [] and o.captured is None
    pact = next(c for c in o.checks if c.check == PACT)
    assert pact.failures[0].message.startswith("not verified: provider state 'a state nobody defined'")
    assert all(c.skipped for c in o.checks if c.check != PACT)
    assert sum(x.passed for x in run.finished.outcomes) == len(run.finished.outcomes) - 1


def test_sync_request_that_is_no_catalogue_message_fails_alone(tmp_path):
    doc = json.loads(fixture("pact-jvm/v4-combined").read_text())
    sync = next(i for i in doc["interactions"] if i["type"] == "Synchronous/Messages")
    sync["request"]["contents"]["content"]["eventType"] = "electronic-monitoring.order-teleported"
    sync["request"]["metadata"]["eventType"] = "electronic-monitoring.order-teleported"
    run = verify(catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc)))
    assert run.code == 1
    assert run.failing() == {
        "cemo / an order submitted gets a case created": [
            "deadline", "channel", "schema", "data-minimisation", "correlation", "event-id", PACT,
        ]
    }  # fmt: skip
    o = run.outcome("cemo / an order submitted gets a case created")
    assert "the request is no catalogue message" in o.problem
    assert run.outcome("cemo / a case created for a new order").passed


def test_a_provider_with_only_http_interactions_is_exit_2(tmp_path):
    doc = json.loads(fixture("pact-jvm/v4-combined").read_text())
    doc["interactions"] = [i for i in doc["interactions"] if i["type"] == "Synchronous/HTTP"]
    project = catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc))
    result = em("verify", "--provider", FMS, "--root", str(project), cwd=project)
    assert result.code == 2
    assert "no message interaction of provider 'field-monitoring-service' to verify" in result.err
    assert "Synchronous/HTTP interaction" in result.err and "Traceback" not in result.err


def _outcome(key: str = "c / x") -> InteractionOutcome:
    rec = Recorded(1, 0.1, "electronic-monitoring.case-created", {}, {"eventType": "x"}, "supplier")
    return InteractionOutcome(key, "c", "x", [], "electronic-monitoring.case-created", rec.channel, 5.0, captured=rec)


def test_an_outcome_nothing_judged_has_not_passed():
    assert InteractionOutcome("c / x", "c", "x", [], "t", "t", 5.0).passed is False
    o = _outcome()
    judge.mark_unjudged([o], "not judged: the run ended early")
    assert o.passed is False and o.checks[0].skipped == "not judged: the run ended early"


def test_an_interaction_the_verifier_never_reports_on_is_not_judged(tmp_path, monkeypatch):
    """Were the pact verifier silent about one interaction, it fails as not judged, never passes."""
    real = judge.verify_messages

    def drop_one(provider, served):
        verdicts, text = real(provider, served)
        first = served[0].ident
        verdicts[first] = Verdict(first, judged=False, error="the pact verifier reported nothing on it")
        return verdicts, text

    monkeypatch.setattr(judge, "verify_messages", drop_one)
    run = verify(catalogue(tmp_path, fixture("pact-js/v4-sync")))
    assert run.code == 1
    (o,) = run.finished.outcomes
    pact = next(c for c in o.checks if c.check == PACT)
    assert not pact.passed and pact.failures[0].message == "not judged: the pact verifier reported nothing on it"


def test_run_without_outcomes_never_passes():
    assert RunFinished("p", [], [], 0.0).passed is False


# -- wording: expected rule, actual value, path, once ----------------------------------------------
def test_mismatch_names_the_rule_the_actual_value_and_the_path_once(tmp_path):
    doc = json.loads(fixture("pact-js/v4-async").read_text())
    doc["interactions"] = [copy.deepcopy(i) for i in doc["interactions"] if i["description"] == "a device installed"][
        :1
    ]
    rules = doc["interactions"][0]["matchingRules"]["body"]
    rules["$.additionalInformation.device_id"]["matchers"] = [{"match": "decimal"}]
    rules["$.additionalInformation.installed_at"]["matchers"] = [{"match": "datetime", "format": "yyyy/MM/dd"}]
    doc["interactions"][0]["contents"]["content"]["additionalInformation"]["installed_at"] = "2026/04/01"
    run = verify(catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc)))
    lines = run.lines("FAIL ")
    assert len(lines) == len(set(lines)) == 2, lines
    (decimal,) = [x for x in lines if "/additionalInformation/device_id" in x]
    assert "(expected a number with a fraction (decimal), got " in decimal
    (date,) = [x for x in lines if "/additionalInformation/installed_at" in x]
    assert "(expected a date-time in format 'yyyy/MM/dd', got '" in date
    assert "got '2026/04/01'" not in date  # the actual value, never the example


@pytest.mark.parametrize(
    ("matcher", "words"),
    [
        ({"match": "regex", "regex": "^[A-Z]+$"}, "a value matching regex '^[A-Z]+$'"),
        ({"match": "type", "min": 1}, "an array of at least 1 item(s) like the example's"),
        ({"match": "integer"}, "an integer"),
        ({"match": "include", "value": "abc"}, "a string including 'abc'"),
        ({"match": "timestamp", "format": "yyyy"}, "a date-time in format 'yyyy'"),
        ({"match": "eachKey", "rules": [{"match": "regex", "regex": "^[a-z]+$"}]}, "every key matching regex"),
    ],
)
def test_rule_words(matcher, words):
    from harness.catalogue.pacts import Matcher, MatchingRule, rule_words

    m = Matcher(matcher["match"], {k: v for k, v in matcher.items() if k != "match"})
    assert rule_words(MatchingRule("$.a", "AND", (m,)), "x").startswith(words)


def test_personal_values_are_withheld_from_mismatches(tmp_path):
    """A personal field's actual value is never printed: the schema's x-personal-data marks decide."""
    from harness.project import find_project
    from harness.verify.plan import make_plan

    doc = json.loads(fixture("pact-js/v4-sync").read_text())
    project = catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc))
    plan = make_plan(find_project(project), FMS)
    (it,) = plan.interactions
    body = copy.deepcopy(plan.registry.get("electronic-monitoring.case-created", 1).contents["examples"][0])
    body["personReference"]["identifiers"][0]["value"] = "Z999999"
    served = judge.Served(it.key, it.pact, it.interaction, it.part, body, {})
    verdict = Verdict(it.key, True, [{"path": "$.personReference.identifiers[0].value", "mismatch": "m"}])
    (failure,) = judge._pact_failures(plan, served, verdict)
    assert failure.path == "/personReference/identifiers/0/value"
    assert failure.actual == "(a personal value, withheld)" and "Z999999" not in json.dumps(failure.to_json())
    assert isinstance(CheckResult(PACT, False, [failure]).to_json(), dict)


def test_structural_errors_of_a_pact_stop_the_run(tmp_path):
    """What the one pact loader finds wrong (here a rule the verifier ignores) stops verify before it runs:
    the supplier is not blamed (exit 1) for a rule the consumer wrote wrong, and nothing passes unjudged."""
    from harness.errors import HarnessError

    doc = json.loads(fixture("pact-js/v4-sync").read_text())
    rules = doc["interactions"][0]["response"][0]["matchingRules"]["body"]
    rules["$.additionalInformation.caseId"] = [{"match": "regex", "regex": "^[0-9a-f]{32}$"}]
    with pytest.raises(HarnessError) as caught:
        verify(catalogue(tmp_path, ("cemo-field-monitoring-service.json", doc)))
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(
        "contracts/pacts/cemo-field-monitoring-service.json: /interactions/0/response/0/matchingRules/body/"
        "$.additionalInformation.caseId: the pact verifier ignores a rule written as a bare list (the value is "
        'compared by equality): write {"combine": "AND", "matchers": [...]}; the pact cannot be verified as written'
    )


def test_a_mismatch_the_verifier_reports_twice_is_one_failure():
    from harness.catalogue.pactverifier import _verdict

    item = {"path": "$.a", "mismatch": "Expected 'x' to match '^y$'", "expected": '"y"', "actual": '"x"'}
    verdict = _verdict("k", {"description": "k", "result": "Error", "mismatch": {"mismatches": [item, dict(item)]}})
    assert verdict.mismatches == [item]
    assert _verdict("k", {"description": "k", "result": "OK"}).passed
    assert not _verdict("k", {"description": "k", "result": "Error"}).passed  # a failure with no reason fails


def test_a_port_taken_by_another_process_is_retried_and_never_a_pass(tmp_path, monkeypatch):
    """pact-python probes for free local ports: another process may bind one first (EADDRINUSE). The call is
    made again; were the port never free, the interactions fail as not judged."""
    import errno

    import pact

    real, calls = pact.Verifier.verify, []

    def taken_once(self):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(errno.EADDRINUSE, "Address already in use")
        return real(self)

    monkeypatch.setattr(pact.Verifier, "verify", taken_once)
    run = verify(catalogue(tmp_path, fixture("pact-js/v4-sync")))
    assert run.code == 0 and len(calls) == 2, run.console

    def always_taken(self):
        raise OSError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr(pact.Verifier, "verify", always_taken)
    run = verify(catalogue(tmp_path, fixture("pact-js/v4-sync")))
    assert run.code == 1
    (o,) = run.finished.outcomes
    pact_check = next(c for c in o.checks if c.check == PACT)
    assert not pact_check.passed and "Address already in use" in pact_check.failures[0].message
