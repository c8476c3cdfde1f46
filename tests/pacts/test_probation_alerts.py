"""Probation alerts' pact with the field monitoring service: violations and alerts as officer actions.

The consumer decides priority and whether an action stays open from the violation's flags, so the
pact asks for them: duration, the Yes/No flags, response_action, and the outcome reason of an excuse.
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from pathlib import Path
from typing import Any

import pytest

from consumers.probation_alerts.service import UNALLOCATED, OfficerActions
from tests.pacts import support as s

P = "additionalInformation"
CASE_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

VIOLATION = {
    "sys_id": s.SYS_ID,
    "caseId": s.CASE_ID,
    "device_wearer": s.SYS_ID,
    "category": s.EXACT,
    "start": s.LONDON,
    "duration": s.INTEGER,
    "state": s.TEXT,
    "active": s.BOOLEAN,
    "short_description": s.TEXT,
    "response_action": s.TEXT,
    "reasonable_excuse": s.YES_NO,
    "authorised_absence": s.YES_NO,
    "out_for_entire_curfew_period": s.YES_NO,
}
EXCUSED = {**VIOLATION, "reasonable_excuse": s.EXACT, "active": s.EXACT, "outcome_reason": s.TEXT}
ALERT = {
    "alert_id": s.SYS_ID,
    "caseId": s.CASE_ID,
    "alert_class": s.EXACT,
    "alert_type": s.TEXT,
    "raised_at": s.LONDON,
}


def open_action(priority: str) -> s.Check:
    def check(service: OfficerActions, msg: dict[str, Any]) -> None:
        key = f"alert:{msg[P]['alert_id']}" if "alert_id" in msg[P] else f"violation:{msg[P]['sys_id']}"
        action = service.action(key)
        assert action.is_open and action.priority == priority and action.case_id == CASE_ID
        assert service.open_actions() == [action]
        assert service.officer_for(action.case_id) == UNALLOCATED
        service.assign(CASE_ID, "Testy McTestface")
        assert service.open_actions("Testy McTestface") == [action]

    return check


def closed_with_excuse(service: OfficerActions, msg: dict[str, Any]) -> None:
    action = service.action(f"violation:{msg[P]['sys_id']}")
    assert action.status == "closed"
    assert action.closed_reason == f"reasonable excuse accepted: {msg[P]['outcome_reason']}"
    assert service.open_actions() == [] and len(service.actions) == 1
    assert [h.split(":")[0] for h in action.history] == ["raised", "updated"]


def curfew_raised(service: OfficerActions) -> None:
    service.violation_raised(s.message("violation-raised", 0, duration=2700))


E = s.Expectation
ALERTS_FROM_FMS = s.PactDef(
    consumer="probation-alerts",
    provider="field-monitoring-service",
    make_service=OfficerActions,
    expectations=(
        E(
            "a curfew violation, ongoing",
            "a device wearer has breached curfew",
            s.body("violation-raised", 0, VIOLATION, duration=2700),
            open_action("medium"),
            {"minutes_absent": 45},
        ),
        E(
            "a tamper violation",
            "a device has been tampered with",
            s.body(
                "violation-raised",
                0,
                VIOLATION,
                sys_id="a405162738495a6b7c8d9eafb0c1d2e3",
                category="tamper",
                start="2026-06-22 03:12:00",
                duration=90,
                short_description="Strap tamper on the GPS tag",
            ),
            open_action("high"),
        ),
        E(
            "a curfew violation updated as closed with a reasonable excuse",
            "a curfew violation has been excused",
            s.body("violation-updated", 1, EXCUSED),
            closed_with_excuse,
            arrange=curfew_raised,
        ),
        E(
            "a tamper alert of class indication_noncompliance",
            "a device has been tampered with",
            s.body("alert-raised", 0, ALERT, alert_class="indication_noncompliance"),
            open_action("high"),
        ),
    ),
)
PACTS = (ALERTS_FROM_FMS,)


@pytest.mark.parametrize(("pact_def", "expectation"), s.cases(PACTS))
def test_probation_alerts_handles(pact_def: s.PactDef, expectation: s.Expectation) -> None:
    s.check_one(pact_def, expectation)


@pytest.mark.parametrize("pact_def", PACTS, ids=lambda d: d.file_name)
def test_probation_alerts_pact_written(pact_def: s.PactDef, pact_dir: Path) -> None:
    path = s.write(pact_def, pact_dir)
    assert path.name == "probation-alerts-field-monitoring-service.json"
    assert s.interactions_in(path) == len(pact_def.expectations)
