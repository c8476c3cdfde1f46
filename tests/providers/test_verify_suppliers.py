"""`em-harness verify`'s engine, in process, against the committed pacts: the reference suppliers pass
every interaction, and each faulty supplier fails an interaction of the state that should expose it.

These are the end-to-end proof that the provider states, the suppliers and the engine fit together.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from harness.project import find_project
from harness.verify.engine import VerifyEngine
from harness.verify.events import RunFinished
from providers.faulty import MODULES

ROOT = Path(__file__).resolve().parents[2]
FMS = "field-monitoring-service"
MDSS = "monitoring-data-service"

# module -> the check that must fail for the state's interactions (engine check names)
FAILING_CHECK = {
    "int_as_string": "schema",
    "missing_required_field": "schema",
    "wrong_enum_case": "schema",
    "local_time_for_utc": "schema",
    "utc_offset_not_z": "schema",
    "wrong_routing_key": "channel",
    "late_reply": "deadline",
    "leaks_date_of_birth": "data-minimisation",
    "never_sends_monitoring_ended": "deadline",
    "accepts_duplicate_orders": "pact",
    "excuse_without_reason": "schema",
}


def verify(provider: str, app: str) -> RunFinished:
    project = find_project(ROOT)
    if not any(project.pacts_dir.glob("*.json")):
        pytest.skip(f"no pacts in {project.pacts_dir}")
    finished = None
    for event in VerifyEngine(project, provider, supplier_app=app, seed=11).events():
        if isinstance(event, RunFinished):
            finished = event
    assert finished is not None
    return finished


@pytest.mark.parametrize(
    ("provider", "app"),
    [
        (FMS, "providers.field_monitoring:app"),
        (MDSS, "providers.monitoring_data:app"),
        ("cemo", "consumers.cemo.publisher:app"),
    ],
)
def test_reference_supplier_passes_every_interaction(provider: str, app: str) -> None:
    finished = verify(provider, app)
    failed = {o.key: [c.check for c in o.checks if not c.passed] for o in finished.outcomes if not o.passed}
    assert finished.error is None
    assert finished.outcomes and not failed, failed


@pytest.mark.parametrize("name", MODULES)
def test_faulty_supplier_fails_its_state(name: str) -> None:
    module = importlib.import_module(f"providers.faulty.{name}")
    finished = verify(module.PROVIDER, f"providers.faulty.{name}:app")
    assert finished.exit_code == 1
    exposed = [o for o in finished.outcomes if module.CAUGHT_IN in [state for state, _ in o.states]]
    assert exposed, f"no pact interaction uses the state {module.CAUGHT_IN!r}"
    failing = {check.check for o in exposed for check in o.checks if not check.passed}
    assert FAILING_CHECK[name] in failing, {o.key: [c.to_json() for c in o.checks if not c.passed] for o in exposed}
