"""Probation alerts: officer actions from violations and alerts."""

from __future__ import annotations

import pytest

from consumers.messages import InvalidMessage, UnknownReference
from consumers.probation_alerts.service import OfficerActions

CASE = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SYS_ID = "e3f405162738495a6b7c8d9eafb0c1d2"


def test_priorities_and_order_for_the_officer(example) -> None:
    a = OfficerActions()
    a.assign(CASE, "Alice Example")
    a.handle(example("violation-raised", 0))  # curfew, 30 minutes: medium
    a.handle(example("alert-raised", 1))  # device_maintenance: low
    a.handle(example("alert-raised", 0))  # investigation_violation: high
    assert [x.priority for x in a.open_actions("Alice Example")] == ["high", "medium", "low"]
    assert a.open_actions("Testy McTestface") == []


def test_long_absence_or_whole_curfew_is_high(example) -> None:
    a = OfficerActions()
    assert a.handle(example("violation-raised", 0, duration=3600)).priority == "high"
    b = OfficerActions()
    assert b.handle(example("violation-raised", 0, out_for_entire_curfew_period="Yes")).priority == "high"


def test_excuse_closes_and_escalation_raises(example) -> None:
    a = OfficerActions()
    a.handle(example("violation-raised", 0))
    closed = a.handle(example("violation-updated", 1))
    assert closed.status == "closed" and "delayed train" in closed.closed_reason
    b = OfficerActions()
    b.handle(example("violation-raised", 0))
    escalated = b.handle(example("violation-updated", 0, active=True, state="Work in Progress"))
    assert escalated.is_open and escalated.priority == "high"


def test_update_without_a_raise_still_makes_one_action(example) -> None:
    a = OfficerActions()
    a.handle(example("violation-updated", 0))
    assert list(a.actions) == [f"violation:{SYS_ID}"] and a.open_actions() == []


def test_redelivered_alert_changes_nothing(example) -> None:
    a = OfficerActions()
    first = a.handle(example("alert-raised", 0))
    a.close(first.action_id, "wearer called back")
    assert a.handle(example("alert-raised", 0)) is first and first.status == "closed"
    with pytest.raises(ValueError, match="already closed"):
        a.close(first.action_id, "again")


def test_excuse_without_outcome_and_unknown_actions_are_refused(example) -> None:
    a = OfficerActions()
    msg = example("violation-updated", 1)
    del msg["additionalInformation"]["outcome_reason"]
    with pytest.raises(InvalidMessage, match="outcome_reason"):
        a.handle(msg)
    with pytest.raises(UnknownReference):
        a.action("alert:nope")
    with pytest.raises(InvalidMessage, match="alert_class"):
        a.handle(example("alert-raised", 0, alert_class="panic"))
    with pytest.raises(ValueError):
        a.assign(CASE, "")
