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

FAULTY = sorted(m.name for m in pkgutil.iter_modules(providers.faulty.__path__) if not m.name.startswith("_"))


@pytest.mark.parametrize("provider", ["field-monitoring-service", "monitoring-data-service", "cemo"])
def test_reference_supplier_passes(provider, root, tmp_path):
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    html = tmp_path / "report.html"
    result = em(
        "verify", "--provider", provider, "--json", str(report), "--junit", str(junit), "--html", str(html), cwd=root
    )
    assert result.code == 0, result.text
    assert "PASS:" in result.out
    data = json.loads(report.read_text())
    assert data["passed"] is True and data["interactions"]
    for interaction in data["interactions"]:
        assert interaction["captured"] is not None, interaction["key"]
        assert interaction["stimuli"], interaction["key"]
        assert {c["check"] for c in interaction["checks"]} == {
            "deadline",
            "channel",
            "schema",
            "data-minimisation",
            "pact",
        }
    assert any(r["direction"] == "stimulus" for r in data["recorded"])
    assert any(r["direction"] == "supplier" for r in data["recorded"])
    suite = ET.parse(junit).getroot().find("testsuite")
    assert int(suite.get("tests")) == 5 * len(data["interactions"])
    assert suite.get("failures") == "0"
    assert "<html" in html.read_text()


def test_there_are_enough_faulty_suppliers():
    assert len(FAULTY) >= 8


@pytest.mark.parametrize("name", FAULTY)
def test_faulty_supplier_is_caught(name, root, tmp_path):
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
    failing = [i for i in data["interactions"] if not i["passed"]]
    assert failing, "the run failed but no interaction did"
    # The output names the exact interaction and field the fault breaks.
    interaction, field = module.EXPECTED_INTERACTION, module.EXPECTED_FIELD
    assert any(interaction in i["key"] for i in failing), f"{interaction!r} not among {[i['key'] for i in failing]}"
    lines = [line for line in result.out.splitlines() if line.startswith("FAIL ") and interaction in line]
    assert lines, result.out
    assert any(field in line for line in lines), "\n".join(lines)
    assert ET.parse(junit).getroot().find("testsuite").get("failures") != "0"


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
