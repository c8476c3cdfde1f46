"""What verify's reports say beyond the verdicts: "no supplier message" first when no supplier spoke, the
catalogue fingerprint in every report, coverage (and --min-coverage), the HTML report's order, per-check
summary and timelines. The browser check of the HTML report is tests/test_html_report_browser.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from harness.catalogue.fingerprint import fingerprint
from harness.cli import app
from harness.errors import HarnessError
from harness.project import Project, find_project
from harness.report.console import NO_SUPPLIER
from harness.report.files import write_html, write_json, write_junit
from harness.report.htmlreport import check_summary, render
from harness.schemas.registry import SchemaRegistry
from harness.verify.command import run_verify
from harness.verify.coverage import compute
from harness.verify.engine import VerifyEngine
from harness.verify.events import (
    CheckResult,
    Failure,
    InteractionOutcome,
    Recorded,
    RunFinished,
    SupplierHeard,
)
from tests.helpers import em
from tests.verifying import FMS, ROOT, Run, catalogue, verify

CASE = "cemo / a case created for a new order"
SILENT = "tests.providers.odd_suppliers:silent"
REFERENCE = "providers.field_monitoring:app"


def _quick(tmp: Path) -> Path:
    """A catalogue copy whose 'an order has been submitted' gives the supplier 0.3 s, not 5."""
    project = catalogue(tmp, ROOT / "contracts" / "pacts" / "cemo-field-monitoring-service.json")
    states = project / "contracts" / "states" / "field-monitoring-service.yaml"
    text = states.read_text(encoding="utf-8")
    assert text.count("\n  an order has been submitted:\n") == 1
    states.write_text(
        text.replace("\n  an order has been submitted:\n", "\n  an order has been submitted:\n    deadline: 0.3\n"),
        encoding="utf-8",
    )
    return project


# -- no supplier ------------------------------------------------------------------------------------
def test_a_run_no_supplier_spoke_in_opens_with_saying_so_in_every_report(tmp_path):
    project = _quick(tmp_path)
    run = verify(project, app=SILENT, only=[CASE], clock="wall")
    assert run.code == 1 and list(run.failing()) == [CASE]
    assert run.finished.supplier_silent is True
    assert not [e for e in run.events if isinstance(e, SupplierHeard)]
    lines = run.console.splitlines()
    assert lines[0] == NO_SUPPLIER
    assert "--supplier-app" in lines[0] and "--supplier-cmd" in lines[0]
    assert lines[1].startswith(f"verify {FMS} on bus memory with supplier {SILENT}: 1 interaction(s)")
    assert lines[-1].startswith("FAIL: 0 of 1 interaction(s) passed")
    write_json(run.finished, tmp_path / "r.json")
    write_html(run.finished, tmp_path / "r.html")
    assert json.loads((tmp_path / "r.json").read_text())["supplierSilent"] is True
    assert 'id="no-supplier"' in (tmp_path / "r.html").read_text()


def test_on_a_real_broker_with_no_supplier_flag_the_first_line_says_no_supplier_is_attached(tmp_path):
    """The issue's newcomer: NATS, no --supplier-app / --supplier-cmd, nobody on the bus."""
    import socket
    import uuid

    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=1).close()
    except OSError:
        pytest.skip("NATS not reachable on 127.0.0.1:4222 (run scripts/services.sh)")
    prefix = f"emh-silent-{uuid.uuid4().hex[:8]}."  # nobody listens there: this run's own, empty bus
    run = verify(_quick(tmp_path), bus="nats://127.0.0.1:4222", only=[CASE], clock="wall", channel_prefix=prefix)
    assert run.code == 1 and run.finished.supplier_silent is True
    lines = run.console.splitlines()
    assert lines[0] == NO_SUPPLIER
    assert lines[1].startswith(f"verify {FMS} on bus nats://127.0.0.1:4222 with supplier (already attached")


def test_no_such_line_when_a_supplier_answered(tmp_path):
    run = verify(_quick(tmp_path), app=REFERENCE, only=[CASE])
    assert run.code == 0
    assert run.finished.supplier_silent is False
    heard = [i for i, e in enumerate(run.events) if isinstance(e, SupplierHeard)]
    assert len(heard) == 1 and heard[0] < len(run.events) - 1
    assert "no supplier message" not in run.console
    assert run.console.splitlines()[0].startswith(f"verify {FMS} on bus memory with supplier {REFERENCE}")
    write_html(run.finished, tmp_path / "r.html")
    assert 'id="no-supplier"' not in (tmp_path / "r.html").read_text()


# -- catalogue fingerprint, coverage and --min-coverage, end to end -----------------------------------
MIN_EXERCISED = {
    "messageTypes": ["case-created", "case-status-returned"],
    "providerStates": ["an order has been submitted"],
    "enumValues": [
        'case-created /additionalInformation/caseState/name "NEW"',
        "case-created /additionalInformation/caseState/number 1",
        'case-created /personReference/identifiers/*/type "CRN"',
        'case-created /personReference/identifiers/*/type "NOMS"',
        'case-status-returned /additionalInformation/status "approved"',
        'case-status-returned /personReference/identifiers/*/type "CRN"',
        'case-status-returned /personReference/identifiers/*/type "NOMS"',
    ],
    "oneOfBranches": ["case-created /additionalInformation/caseState oneOf: Case state NEW"],
}


def _cli(project: Path, tmp: Path, *extra: str) -> tuple[int, str]:
    out = {k: tmp / f"r.{k}" for k in ("json", "xml", "html")}
    result = CliRunner().invoke(
        app,
        ["verify", "--provider", FMS, "--root", str(project), "--interaction", CASE, "--flow", "none",
         "--json", str(out["json"]), "--junit", str(out["xml"]), "--html", str(out["html"]), *extra],
    )  # fmt: skip
    return result.exit_code, result.output


def test_every_report_carries_the_catalogue_and_the_coverage_of_a_known_run(tmp_path):
    project = _quick(tmp_path)
    fp = fingerprint(find_project(project))
    assert fp.version == "1.0.0" and fp.content_hash.startswith("sha256:")
    code, out = _cli(project, tmp_path)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[1] == f"catalogue 1.0.0 ({fp.content_hash})"
    assert (
        "coverage: message types 2/9 (22.2%), provider states 1/12 (8.3%), enumeration values 7/82 (8.5%), "
        "oneOf branches 1/8 (12.5%)"
    ) in lines
    assert lines[-1].startswith("PASS: 1 of 1 interaction(s) passed")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["catalogue"] == {"version": "1.0.0", "contentHash": fp.content_hash}
    assert data["minCoverage"] is None and data["exitCode"] == 0
    cov = data["coverage"]
    assert {k: (v["covered"], v["total"], v["percent"]) for k, v in cov.items()} == {
        "messageTypes": (2, 9, 22.2),
        "providerStates": (1, 12, 8.3),
        "enumValues": (7, 82, 8.5),
        "oneOfBranches": (1, 8, 12.5),
    }
    assert {k: v["exercised"] for k, v in cov.items()} == MIN_EXERCISED
    assert "visit-completed" in cov["messageTypes"]["missing"]
    assert 'case-created /additionalInformation/caseState/name "CLOSED"' in cov["enumValues"]["missing"]
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["catalogueVersion"] == "1.0.0" and props["catalogueHash"] == fp.content_hash
    assert props["coverage.providerStates"] == "1/12 (8.3%)"
    assert not [c for c in suite.iter("testcase") if c.get("name") == "coverage [min-coverage]"]
    page = (tmp_path / "r.html").read_text()
    assert f'catalogue 1.0.0 <span class="mono">{fp.content_hash}</span>' in page
    assert "<td>enumeration values</td><td>7 of 82</td><td>8.5%</td>" in page


def test_min_coverage_fails_the_run_naming_the_short_measures_and_what_was_missing(tmp_path):
    project = _quick(tmp_path)
    code, out = _cli(project, tmp_path, "--min-coverage", "20")
    assert code == 1, out
    short = [line for line in out.splitlines() if line.startswith("FAIL coverage below")]
    assert [line.split(";")[0] for line in short] == [
        "FAIL coverage below --min-coverage 20%: provider states 8.3% (1 of 12)",
        "FAIL coverage below --min-coverage 20%: enumeration values 8.5% (7 of 82)",
        "FAIL coverage below --min-coverage 20%: oneOf branches 12.5% (1 of 8)",
    ]  # message types, 22.2%, is not short
    assert "missing: a duplicate order has been submitted; an order has been submitted without a usable" in short[0]
    assert short[1].endswith("; and 65 more")  # 75 missing, ten named
    assert "Case state CLOSED" in short[2]
    assert out.splitlines()[-1].startswith("FAIL: 1 of 1 interaction(s) passed") and "--min-coverage 20%" in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["passed"] is True and data["exitCode"] == 1  # every interaction passed; the coverage did not
    assert data["minCoverage"]["percent"] == 20 and data["minCoverage"]["passed"] is False
    assert [s.split(":")[1].strip() for s in data["minCoverage"]["short"]] == [
        "provider states 8.3% (1 of 12); missing",
        "enumeration values 8.5% (7 of 82); missing",
        "oneOf branches 12.5% (1 of 8); missing",
    ]
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    (case,) = [c for c in suite.iter("testcase") if c.get("name") == "coverage [min-coverage]"]
    assert case.find("failure").get("message").startswith("coverage below --min-coverage 20%: provider states")
    assert suite.get("failures") == "1"
    # at the bound every measure is enough: 8.3% is the smallest
    code, out = _cli(project, tmp_path, "--min-coverage", "8.3")
    assert code == 0, out
    assert "FAIL coverage" not in out
    (case,) = [c for c in ET.parse(tmp_path / "r.xml").getroot().iter("testcase") if c.get("name").startswith("cov")]
    assert case.find("failure") is None


def test_a_min_coverage_outside_0_to_100_is_refused(tmp_path):
    result = em("verify", "--provider", FMS, "--root", str(ROOT), "--min-coverage", "101", cwd=tmp_path)
    assert result.code == 2 and result.out == ""
    assert result.err == "em-harness: error: --min-coverage 101: give a percentage from 0 to 100\n"
    with pytest.raises(HarnessError, match="from 0 to 100"):
        run_verify(FMS, bus="memory", supplier_app=None, junit=None, json_out=None, html_out=None, root=ROOT,
                   min_coverage=-1)  # fmt: skip


# -- coverage, piece by piece -------------------------------------------------------------------------
REGISTRY = SchemaRegistry(ROOT / "schemas")
PUBLISHES = [d.event_type for d in REGISTRY.messages() if d.contents.get("x-producer") == FMS]


def _msg(seq: int, name: str, info: dict, **top) -> Recorded:
    body = {"eventType": f"electronic-monitoring.{name}", "version": 1, "source": FMS,
            "additionalInformation": info, **top}  # fmt: skip
    return Recorded(seq, 0.0, body["eventType"], {}, body, "supplier")


def test_coverage_counts_only_what_the_schemas_allow_and_the_messages_carry():
    messages = [
        _msg(1, "case-created", {"caseState": {"name": "CLOSED", "number": 3}}),
        _msg(2, "case-created", {"caseState": {"name": "OPEN", "number": 3}}),  # valid against no branch
        _msg(3, "violation-raised", {"category": "Curfew", "reasonable_excuse": "Yes"}),  # "Curfew" is no value
        _msg(4, "visit-completed", {"visit_type": "fault"}, version=2),  # no such version: nothing counted
        _msg(5, "case-status-returned", {"status": True}),
    ]
    cov = compute(REGISTRY, PUBLISHES, ["s1", "s2", "s3"], [(["s1"], True), (["s2"], False)], messages)
    assert cov["messageTypes"].covered == ["case-created", "case-status-returned", "violation-raised"]
    assert cov["providerStates"].covered == ["s1"] and cov["providerStates"].missing == ["s2", "s3"]
    assert sorted(cov["enumValues"].covered) == [
        'case-created /additionalInformation/caseState/name "CLOSED"',
        'case-created /additionalInformation/caseState/name "OPEN"',
        "case-created /additionalInformation/caseState/number 3",
        'violation-raised /additionalInformation/reasonable_excuse "Yes"',
    ]
    assert cov["oneOfBranches"].covered == ["case-created /additionalInformation/caseState oneOf: Case state CLOSED"]
    # the envelope's `source` enum (eight systems) is fixed by each message's const: no choice, not counted
    assert not [i for i in cov["enumValues"].items if " /source " in i]
    assert cov["enumValues"].percent == pytest.approx(400 / 82)
    assert (
        compute(REGISTRY, PUBLISHES, [], [], [])
        .shortfalls(50)[-1]
        .startswith("coverage below --min-coverage 50%: oneOf branches 0.0% (0 of 8); missing: case-created ")
    )
    assert compute(REGISTRY, PUBLISHES, [], [], [])["providerStates"].percent is None  # nothing to cover
    empty = compute(REGISTRY, PUBLISHES, [], [], []).shortfalls(100)
    assert [line.split(":")[1] for line in empty] == [
        " message types 0.0% (0 of 9); missing",
        " enumeration values 0.0% (0 of 82); missing",
        " oneOf branches 0.0% (0 of 8); missing",
    ]  # a measure with nothing to cover (no states given here) is never short
    half = compute(REGISTRY, PUBLISHES, ["s1", "s2"], [(["s1"], True)], [])
    assert half["providerStates"].percent == 50.0
    assert not [line for line in half.shortfalls(50) if "provider states" in line]  # at the minimum: enough
    assert [line for line in half.shortfalls(50.1) if "provider states" in line] == [
        "coverage below --min-coverage 50.1%: provider states 50.0% (1 of 2); missing: s2"
    ]
    # JSON's true is no enum's 1: a caseState number `true` exercises nothing
    flag = compute(
        REGISTRY, PUBLISHES, [], [], [_msg(6, "case-created", {"caseState": {"name": "NEW", "number": True}})]
    )
    assert flag["enumValues"].covered == ['case-created /additionalInformation/caseState/name "NEW"']


# -- the HTML report -----------------------------------------------------------------------------------
def _outcome(key: str, verdicts: dict[str, bool | str], kind: str = "pact", pending: bool = False, **kw):
    checks = []
    for check, ok in verdicts.items():
        if ok == "skip":
            checks.append(CheckResult(check, False, skipped="no message captured"))
        elif ok:
            checks.append(CheckResult(check, True))
        else:
            checks.append(CheckResult(check, False, [Failure("/a", "'x'", "'<y>'", f"{check} broke")]))
    consumer, _, description = key.partition(" / ")
    return InteractionOutcome(key, consumer, description, [("a state", {})], "t", "c", 5.0, checks=checks,
                              kind=kind, pending=pending, **kw)  # fmt: skip


def test_the_html_report_puts_failures_first_and_sums_up_each_check():
    stim = Recorded(
        1,
        0.10,
        "electronic-monitoring.order-submitted",
        {},
        {"eventType": "electronic-monitoring.order-submitted"},
        "stimulus",
    )
    late = Recorded(2, 5.40, "c", {}, {"eventType": "electronic-monitoring.case-created"}, "supplier")
    outcomes = [
        _outcome("cemo / passes", {"schema": True, "pact": True}),
        _outcome("cemo / fails", {"schema": False, "pact": "skip"}, stimuli=[stim], captured=late, messages=[late]),
        _outcome("cemo / pending", {"schema": True, "pact": False}, pending=True),
        _outcome("flow / f", {"flow": False}, kind="flow"),
        _outcome("cemo / <b>x</b>", {"schema": True, "pact": True}),
    ]
    run = RunFinished(FMS, outcomes, [stim, late], 1.0, catalogue_version="1.0.0", catalogue_hash="sha256:ab")
    page = render(run)
    order = re.findall(r'<section class="outcome" data-verdict="([a-z-]+)" data-kind="(\w+)"', page)
    assert order == [("fail", "pact"), ("fail", "flow"), ("pending-failed", "pact"), ("pass", "pact"), ("pass", "pact")]
    assert dict(check_summary(run)) == {
        "schema": {"passed": 3, "failed": 1, "pendingFailed": 0, "skipped": 0},
        "pact": {"passed": 2, "failed": 0, "pendingFailed": 1, "skipped": 1},
        "flow": {"passed": 0, "failed": 1, "pendingFailed": 0, "skipped": 0},
    }
    assert '<option value="schema">schema</option><option value="pact">pact</option><option value="flow">' in page
    assert 'data-failed="schema"' in page and 'data-failed="flow"' in page
    # expected and actual side by side, escaped
    assert '<div class="exp"><b>expected</b><pre>&#x27;x&#x27;</pre></div>' in page
    assert '<div class="act"><b>actual</b><pre>&#x27;&lt;y&gt;&#x27;</pre></div>' in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    # the timeline: an SVG that parses, the stimulus and the answer on one axis, the late answer red
    svgs = re.findall(r"<svg class=\"timeline\".*?</svg>", page)
    assert len(svgs) == 1
    svg = ET.fromstring(svgs[0])
    texts = [t.text for t in svg.iter("{*}text") if t.text] or [t.text for t in svg.iter("text") if t.text]
    assert "harness → order-submitted +0.00 s" in texts
    assert "supplier → case-created +5.30 s (the answer judged) LATE" in texts
    assert any(t.startswith("deadline 5 s after the stimulus answered (+5.00 s)") for t in texts)
    assert [c.get("fill") for c in svg.iter("circle")] == ["#c00"]
    assert "sha256:ab" in page and 'id="no-supplier"' not in page  # a supplier message was recorded


def test_html_report_is_self_contained():
    run = RunFinished(FMS, [_outcome("cemo / passes", {"schema": True})], [], 1.0)
    page = render(run)
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", page)
    assert "<script src" not in page and "<link" not in page


def test_a_coverage_measure_with_nothing_to_cover_is_shown_as_such(tmp_path):
    cov = compute(REGISTRY, PUBLISHES, [], [], [])
    run = RunFinished(FMS, [_outcome("cemo / passes", {"schema": True})], [], 1.0, coverage=cov, min_coverage=1)
    write_junit(run, tmp_path / "r.xml")
    assert run.exit_code == 1 and len(run.coverage_short) == 3
    assert "<td>provider states</td><td>0 of 0</td><td>-</td>" in render(run)


def test_fingerprint_is_of_the_project_verified(tmp_path):
    project = _quick(tmp_path)
    assert fingerprint(Project(root=project)).content_hash != fingerprint(Project(root=ROOT)).content_hash
    run = Run(list(VerifyEngine(find_project(project), FMS, supplier_app=REFERENCE, only=[CASE], flows=[]).events()))
    assert run.finished.catalogue_hash == fingerprint(Project(root=project)).content_hash
