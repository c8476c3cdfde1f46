"""`em-harness verify`'s engine, in process, against the committed pacts: the reference suppliers pass
every interaction, and each faulty supplier fails an interaction of the state that should expose it.

These are the end-to-end proof that the provider states, the suppliers and the engine fit together.
"""

from __future__ import annotations

import importlib
import shlex
from pathlib import Path

import pytest

from harness.catalogue.flows import load_flows
from harness.catalogue.pacts import load_pacts
from harness.catalogue.states import load_states
from harness.project import find_project
from harness.simulate.faults import parse_faults
from harness.verify.engine import VerifyEngine
from harness.verify.events import RunFinished
from providers.faulty import MODULES

ROOT = Path(__file__).resolve().parents[2]
FMS = "field-monitoring-service"
MDSS = "monitoring-data-service"


def verify(provider: str, app: str, **kw: object) -> RunFinished:
    project = find_project(ROOT)
    if not any(project.pacts_dir.glob("*.json")):
        pytest.skip(f"no pacts in {project.pacts_dir}")
    finished = None
    for event in VerifyEngine(project, provider, supplier_app=app, seed=11, **kw).events():
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
    """The engine, in process, on the interactions and flows of the state that exposes the bug only: the
    bug's check fails there, and no check outside the module's FAILS does."""
    module = importlib.import_module(f"providers.faulty.{name}")
    project = find_project(ROOT)
    states = load_states(project.states_dir)[module.PROVIDER].states
    assert module.CAUGHT_IN in states
    flows = [
        f.name for f in load_flows(project.flows_dir) if f.provider == module.PROVIDER and f.given == module.CAUGHT_IN
    ]
    args = shlex.split(module.CAUGHT_BY)
    faults = parse_faults(args[args.index("--faults") + 1]) if "--faults" in args else []
    pacts = {
        f"{p.consumer} / {it.description}"
        for p in load_pacts(project.pacts_dir)
        if p.provider == module.PROVIDER
        for it in p.interactions
        if module.CAUGHT_IN in [s for s, _ in it.states]
    }
    finished = verify(
        module.PROVIDER, f"providers.faulty.{name}:app", only=sorted(pacts) or None, flows=flows, faults=faults
    )
    assert finished.exit_code == 1
    failing = {c.check for o in finished.outcomes for c in o.checks if not c.passed and not c.skipped}
    assert failing, "nothing failed in the state that exposes the bug"
    assert failing <= module.FAILS, {o.key: [c.to_json() for c in o.checks if not c.passed] for o in finished.outcomes}
    if hasattr(module, "CHECK"):
        assert module.CHECK in failing
