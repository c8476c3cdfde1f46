"""`em-harness verify` end to end on the in-memory bus: reference suppliers pass, every faulty one fails,
and the output names the interaction, the field and the expectation."""

from __future__ import annotations

import importlib
import json
import pkgutil
import shlex
from xml.etree import ElementTree as ET

import pytest

import providers.faulty
from tests.helpers import em

FAULTY = sorted(
    m.name
    for m in pkgutil.iter_modules(providers.faulty.__path__)
    if not m.name.startswith("_") and m.name not in providers.faulty.SIMULATED  # caught by simulate
)


PACT_CHECKS = {"deadline", "channel", "schema", "data-minimisation", "correlation", "event-id", "pact"}
FLOW_CHECKS = {"flow", "correlation", "event-id", "data-minimisation"}
FAULT_CHECKS = {"fault-duplicate", "fault-reorder", "fault-delay", "fault-redeliver", "fault-poison"}


def _failing(data: dict) -> set[str]:
    """The checks that failed (not the ones skipped because another failed first)."""
    return {c["check"] for i in data["interactions"] for c in i["checks"] if not c["passed"] and not c["skipped"]}


@pytest.mark.parametrize("provider", ["field-monitoring-service", "monitoring-data-service", "cemo"])
def test_reference_supplier_passes(provider, root, tmp_path):
    """Every pact interaction, every flow and (for the FMS, which has flows) every fault passes, and every
    check is in every report by name."""
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    html = tmp_path / "report.html"
    faults = ["--faults", "all"] if provider == "field-monitoring-service" else []
    result = em(
        "verify",
        "--provider",
        provider,
        *faults,
        "--json",
        str(report),
        "--junit",
        str(junit),
        "--html",
        str(html),
        cwd=root,
    )
    assert result.code == 0, result.text
    assert "PASS:" in result.out
    data = json.loads(report.read_text())
    assert data["passed"] is True and data["interactions"]
    kinds = {i["kind"] for i in data["interactions"]}
    for interaction in data["interactions"]:
        checks = {c["check"] for c in interaction["checks"]}
        if interaction["kind"] == "pact":
            assert interaction["captured"] is not None, interaction["key"]
            assert checks == PACT_CHECKS
        elif interaction["kind"] == "flow":
            assert checks == FLOW_CHECKS and interaction["messages"], interaction["key"]
        else:
            assert len(checks) == 1 and checks <= FAULT_CHECKS, interaction["key"]
        assert interaction["stimuli"], interaction["key"]
    assert any(r["direction"] == "stimulus" for r in data["recorded"])
    assert any(r["direction"] == "supplier" for r in data["recorded"])
    suite = ET.parse(junit).getroot().find("testsuite")
    assert int(suite.get("tests")) == sum(len(i["checks"]) for i in data["interactions"])
    assert suite.get("failures") == "0"
    page = html.read_text()
    assert "<html" in page
    if provider == "field-monitoring-service":
        assert kinds == {"pact", "flow", "fault"}
        names = [case.get("name") for case in suite.iter("testcase")]
        for check in PACT_CHECKS | FLOW_CHECKS | FAULT_CHECKS:
            assert check in result.out, f"{check} not on the console"
            assert any(f"[{check}]" in n for n in names), f"{check} not in JUnit"
            assert check in page, f"{check} not in HTML"
        assert "virtual clock from 2026-06-20T17:00:00Z" in result.out
        for flow in (
            "order intake",
            "order lifecycle",
            "duplicate order",
            "variation",
            "ending",
            "curfew breach lifecycle",
            "tamper",
            "no breach outside curfew",
        ):
            assert any(i["key"] == f"flow / {flow}" for i in data["interactions"]), flow


def test_there_are_enough_faulty_suppliers():
    assert len(FAULTY) >= 18


@pytest.mark.parametrize("name", FAULTY)
def test_faulty_supplier_is_caught(name, root, tmp_path):
    """Each faulty supplier fails exactly the checks it declares (FAILS): for the behaviour bugs, only its
    own check; with a FAIL line on the console naming the interaction and the field."""
    module = importlib.import_module(f"providers.faulty.{name}")
    assert module.__doc__ and module.__doc__.strip(), f"{name}: the docstring must name its bug"
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    args = [
        *shlex.split(module.CAUGHT_BY),
        "--provider",
        module.PROVIDER,
        "--supplier-app",
        f"providers.faulty.{name}:app",
    ]
    result = em(*args, "--json", str(report), "--junit", str(junit), cwd=root)
    assert result.code == 1, result.text
    data = json.loads(report.read_text())
    assert _failing(data) == set(module.FAILS), {
        i["key"]: [c["check"] for c in i["checks"] if not c["passed"] and not c["skipped"]]
        for i in data["interactions"]
        if not i["passed"]
    }
    failing = [i for i in data["interactions"] if not i["passed"]]
    # The output names the exact interaction and field the fault breaks.
    interaction, field = module.EXPECTED_INTERACTION, module.EXPECTED_FIELD
    assert any(interaction in i["key"] for i in failing), f"{interaction!r} not among {[i['key'] for i in failing]}"
    lines = [line for line in result.out.splitlines() if line.startswith("FAIL ") and interaction in line]
    assert lines, result.out
    assert any(field in line for line in lines), "\n".join(lines)
    junit_root = ET.parse(junit).getroot()
    assert junit_root.find("testsuite").get("failures") != "0"
    texts = [f"{f.get('type')}: {f.text or ''}" for f in junit_root.iter("failure")]
    assert any(field in t for t in texts), "the JUnit failure names the field (or the check) too"


def test_unknown_provider_is_exit_2(root):
    result = em("verify", "--provider", "no-such-supplier", cwd=root)
    assert result.code == 2
    assert "unknown provider 'no-such-supplier'" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("providers.nope:app", "no module named 'providers.nope'"),
        ("providers.field_monitoring:nope", "has no attribute 'nope'"),
        ("providers.field_monitoring", "expected MODULE:APP"),
    ],
)
def test_bad_supplier_app_is_exit_2(app, message, root):
    result = em("verify", "--provider", "field-monitoring-service", "--supplier-app", app, cwd=root)
    assert result.code == 2, result.text
    assert message in result.err
    assert result.err.strip().count("\n") == 0 and "Traceback" not in result.err


def test_unreadable_catalogue_is_exit_2(catalogue_copy):
    (catalogue_copy / "contracts/pacts/cemo-field-monitoring-service.json").write_text("{ not json")
    result = em("verify", "--provider", "field-monitoring-service", "--root", str(catalogue_copy), cwd=catalogue_copy)
    assert result.code == 2
    assert "cemo-field-monitoring-service.json" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("bus", ["memory://rabbit", "memory://redis", "memory://kafka"])
def test_in_memory_brokers_of_every_kind(bus, root):
    """The RabbitMQ, Redis and Kafka code paths of the reference apps, on FastStream's in-memory brokers."""
    ok = em("verify", "--provider", "monitoring-data-service", "--bus", bus, cwd=root)
    assert ok.code == 0, ok.text
    bad = em(
        "verify",
        "--provider",
        "monitoring-data-service",
        "--bus",
        bus,
        "--supplier-app",
        "providers.faulty.int_as_string:app",
        cwd=root,
    )
    assert bad.code == 1, bad.text
    assert "eventStatusFlags" in bad.out
