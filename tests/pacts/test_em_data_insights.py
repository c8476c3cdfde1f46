"""EM Data Insights' pacts: violations from the field monitoring service, positions and device events
from the monitoring data service, all placed on one wearer timeline in UTC.
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consumers.em_data_insights.service import WearerTimelines
from tests.pacts import support as s

P = "additionalInformation"

VIOLATION = {
    "sys_id": s.SYS_ID,
    "caseId": s.CASE_ID,
    "device_wearer": s.SYS_ID,
    "category": s.EXACT,
    "start": s.LONDON,
    "state": s.TEXT,
    "active": s.BOOLEAN,
}
EXCUSED = {**VIOLATION, "end": s.LONDON, "reasonable_excuse": s.EXACT, "outcome_reason": s.TEXT}
POSITIONS = {
    "positions": s.each(1),
    "positions[*].position_id": s.INTEGER,
    "positions[*].device_id": s.INTEGER,
    "positions[*].person_id": s.INTEGER,
    "positions[*].latitude": s.NUMBER,
    "positions[*].longitude": s.NUMBER,
    "positions[*].recorded_date": s.UTC,
    "positions[*].mechanism": s.INTEGER,
}
DEVICE_EVENT = {
    "eventId": s.INTEGER,
    "personId": s.INTEGER,
    "deviceId": s.INTEGER,
    "eventStartDateUtc": s.UTC,
    "eventRecordedDateUtc": s.UTC,
    "eventUploadedDateUtc": s.UTC,
    "eventStatusFlags": s.INTEGER,
    "eventTypeCode": s.EXACT,
    "eventTypeCriticalityName": s.TEXT,
}


def violation_on_timeline(category: str, at: datetime, *, active: bool, excused: bool = False) -> s.Check:
    def check(service: WearerTimelines, msg: dict[str, Any]) -> None:
        entries = service.timeline(device_wearer=msg[P]["device_wearer"])
        assert [(e.kind, e.ref) for e in entries] == [("violation", msg[P]["sys_id"])]  # an update replaces
        entry = entries[0]
        assert entry.at == at and entry.detail["category"] == category
        assert entry.detail["active"] is active and entry.detail["reasonable_excuse"] is excused

    return check


def positions_in_order(service: WearerTimelines, msg: dict[str, Any]) -> None:
    entries = service.timeline(person_id=5001)
    assert [e.kind for e in entries] == ["position"] * 5
    assert [e.at.minute for e in entries] == [0, 1, 2, 3, 4]
    assert [e.detail["mechanism"] for e in entries] == ["GPS", "GPS", "WIFI", "LBS", "RF"]
    assert service.positions_reported(msg) == 0  # a replayed batch adds nothing


def device_event_on_timeline(code: str) -> s.Check:
    def check(service: WearerTimelines, msg: dict[str, Any]) -> None:
        entries = service.timeline(person_id=msg[P]["personId"])
        assert [(e.kind, e.detail["code"]) for e in entries] == [("device-event", code)]
        assert entries[0].at.tzinfo is not None

    return check


def curfew_raised(service: WearerTimelines) -> None:
    service.violation_raised(s.message("violation-raised", 0, duration=2700))


E = s.Expectation
INSIGHTS_FROM_FMS = s.PactDef(
    consumer="em-data-insights",
    provider="field-monitoring-service",
    make_service=WearerTimelines,
    expectations=(
        E(
            "a curfew violation, ongoing",
            "a device wearer has breached curfew",
            s.body("violation-raised", 0, VIOLATION, duration=2700),
            violation_on_timeline("curfew", datetime(2026, 6, 20, 20, 5, tzinfo=UTC), active=True),
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
            violation_on_timeline("tamper", datetime(2026, 6, 22, 2, 12, tzinfo=UTC), active=True),
        ),
        E(
            "a curfew violation updated as closed with a reasonable excuse",
            "a curfew violation has been excused",
            s.body("violation-updated", 1, EXCUSED),
            violation_on_timeline("curfew", datetime(2026, 6, 20, 20, 5, tzinfo=UTC), active=False, excused=True),
            arrange=curfew_raised,
        ),
    ),
)
INSIGHTS_FROM_MDSS = s.PactDef(
    consumer="em-data-insights",
    provider="monitoring-data-service",
    make_service=WearerTimelines,
    expectations=(
        E(
            "a batch of positions from one device",
            "a device has reported positions",
            s.body("positions-reported", 0, POSITIONS),
            positions_in_order,
            {"count": 5},
        ),
        E(
            "a battery level device event",
            "a device has reported its battery level",
            s.body("device-event-reported", 0, DEVICE_EVENT, eventStatusFlags=15),
            device_event_on_timeline("EV_REPORT_TRACKER_BATTERY_PERCENTAGE"),
            {"percentage": 15},
        ),
        E(
            "a strap tamper device event",
            "a device has been tampered with",
            s.body("device-event-reported", 1, DEVICE_EVENT),
            device_event_on_timeline("EV_STRAP_TAMPER"),
        ),
    ),
)
PACTS = (INSIGHTS_FROM_FMS, INSIGHTS_FROM_MDSS)


@pytest.mark.parametrize(("pact_def", "expectation"), s.cases(PACTS))
def test_insights_handles(pact_def: s.PactDef, expectation: s.Expectation) -> None:
    s.check_one(pact_def, expectation)


@pytest.mark.parametrize("pact_def", PACTS, ids=lambda d: d.file_name)
def test_insights_pact_written(pact_def: s.PactDef, pact_dir: Path) -> None:
    path = s.write(pact_def, pact_dir)
    assert path.name == pact_def.file_name
    assert s.interactions_in(path) == len(pact_def.expectations)
