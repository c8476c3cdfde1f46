"""Each deliberately faulty supplier shows its one bug in the state that should expose it, and only there
in the message type it names; the reference supplier passes the same state cleanly (test_states.py)."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from providers.faulty import MODULES
from providers.messages import EVENT_PREFIX
from tests.providers.support import STATES, problems, run_state

# module -> what `em-harness verify` reports about the message the bug is in
EXPECTED = {
    "int_as_string": "schema",
    "missing_required_field": "schema",
    "wrong_enum_case": "schema",
    "local_time_for_utc": "schema",
    "utc_offset_not_z": "schema",
    "wrong_routing_key": "channel",
    "late_reply": "deadline",
    "leaks_date_of_birth": "minimisation",
    "never_sends_monitoring_ended": "missing",
    "accepts_duplicate_orders": "behaviour",
    "excuse_without_reason": "schema",
    # Bugs no single message shows (every message is valid): only verify's behaviour checks see them.
    "wrong_correlation": "behaviour-only",
    "second_case": "behaviour-only",
    "unannounced_case_id": "behaviour-only",
    "wrong_event_id": "behaviour-only",
    "utc_for_london": "behaviour-only",
    "end_before_start": "behaviour-only",
    "excused_but_open": "behaviour-only",
    "name_in_description": "behaviour-only",
    "not_idempotent": "behaviour-only",
    "dies_on_poison": "behaviour-only",
}


def load(name: str) -> ModuleType:
    return importlib.import_module(f"providers.faulty.{name}")


def test_at_least_eight_faulty_suppliers_each_listed() -> None:
    assert len(MODULES) >= 8
    assert set(MODULES) == set(EXPECTED)


@pytest.mark.parametrize("name", MODULES)
def test_faulty_module_declares_itself(name: str) -> None:
    module = load(name)
    assert module.PROVIDER in ("field-monitoring-service", "monitoring-data-service")
    assert module.CAUGHT_BY.split()[0] == "verify"
    assert module.CAUGHT_IN in STATES[module.PROVIDER].states
    assert module.FAILS and isinstance(module.FAILS, set)
    assert module.__doc__ and len(module.__doc__.split()) > 15
    assert hasattr(module.app, "broker")
    assert " / " in module.EXPECTED_INTERACTION and module.EXPECTED_FIELD


@pytest.mark.parametrize("name", [m for m in MODULES if m != "late_reply"])
async def test_fault_shows_in_its_state(name: str) -> None:
    module = load(name)
    if EXPECTED[name] == "behaviour-only":
        module = importlib.reload(module)  # a fresh app: an earlier verify may have poisoned this one
    run = await run_state(module.app, module.PROVIDER, module.CAUGHT_IN)
    target = [p for p in run.published if p.message == module.MESSAGE]
    others = [p for p in run.published if p.message != module.MESSAGE]
    assert all(not problems(p) for p in others), "the fault must be confined to one message type"
    kind = EXPECTED[name]
    if kind == "missing":
        assert not target
        return
    assert target, f"{name}: no {module.MESSAGE} published at all"
    found = [problem for p in target for problem in problems(p)]
    if kind == "behaviour-only":
        assert not found, "the bug must pass every single-message check (schema, channel, minimisation)"
        assert {module.CHECK} == module.FAILS
        return
    if kind == "behaviour":
        assert not found
        statuses = [p.body["additionalInformation"]["status"] for p in target]
        assert "rejected" not in statuses, statuses
        assert len(run.of("case-created")) == 2
    else:
        assert any(problem.startswith(f"{kind}:") for problem in found), found


async def test_wrong_routing_key_sends_the_right_message_elsewhere() -> None:
    module = load("wrong_routing_key")
    run = await run_state(module.app, module.PROVIDER, module.CAUGHT_IN)
    installed = run.one("equipment-installed")
    assert installed.channel == module.WRONG_ADDRESS
    assert installed.body["eventType"] == EVENT_PREFIX + "equipment-installed"


async def test_late_reply_arrives_after_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    module = load("late_reply")
    assert module.DELAY_SECONDS > 5  # the default deadline of a provider state
    monkeypatch.setattr(module, "DELAY_SECONDS", 0.3)  # the same code path, without a 6 s test
    run = await run_state(module.app, module.PROVIDER, module.CAUGHT_IN, wait=0.6)
    created = run.one("case-created")
    status = run.one("case-status-returned")
    assert not problems(created)
    assert status.at < 0.2 <= created.at
    assert run.published.index(status) < run.published.index(created)
