"""EM compliance's pact with the monitoring data service: activations and battery readings for the battery rule."""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from pathlib import Path
from typing import Any

import pytest

from consumers.em_compliance.service import BatteryCompliance
from tests.pacts import support as s

P = "additionalInformation"
ACTIVATION = {
    "device_activation_id": s.INTEGER,
    "device_id": s.INTEGER,
    "person_id": s.INTEGER,
    "device_activation_date": s.UTC,
    "device_class": s.EXACT,
}
DEACTIVATION = {**ACTIVATION, "device_deactivation_date": s.UTC}
DEVICE_EVENT = {
    "eventId": s.INTEGER,
    "personId": s.INTEGER,
    "deviceId": s.INTEGER,
    "eventStartDateUtc": s.UTC,
    "eventRecordedDateUtc": s.UTC,
    "eventUploadedDateUtc": s.UTC,
    "eventStatusFlags": s.INTEGER,
    "eventTypeCode": s.EXACT,
}


def active(device_class: str) -> s.Check:
    def check(service: BatteryCompliance, msg: dict[str, Any]) -> None:
        devices = service.active_devices()
        assert [(a.device_id, a.device_class) for a in devices] == [(msg[P]["device_id"], device_class)]

    return check


def deactivated(service: BatteryCompliance, msg: dict[str, Any]) -> None:
    assert service.active_devices() == []
    assert service.deactivated[100234].deactivated_at is not None


def battery(compliant: bool, percentage: int) -> s.Check:
    def check(service: BatteryCompliance, msg: dict[str, Any]) -> None:
        verdict = service.verdict(100234)
        assert verdict is not None and verdict.compliant is compliant
        assert verdict.reading.percentage == percentage
        assert [v.device_id for v in service.non_compliant()] == ([] if compliant else [100234])

    return check


def tamper_counted(service: BatteryCompliance, msg: dict[str, Any]) -> None:
    assert service.other_events == {"EV_STRAP_TAMPER": 1}
    assert service.verdict(100234) is None  # a tamper is not battery evidence


def gps_active(service: BatteryCompliance) -> None:
    service.device_activated(s.example("device-activated", 0))


E = s.Expectation
COMPLIANCE_FROM_MDSS = s.PactDef(
    consumer="em-compliance",
    provider="monitoring-data-service",
    make_service=BatteryCompliance,
    expectations=(
        E(
            "a GPS monitoring device activated",
            "a device has been activated",
            s.body("device-activated", 0, ACTIVATION),
            active("GPS monitoring device"),
            {"device_class": "GPS monitoring device"},
        ),
        E(
            "a home monitoring unit activated",
            "a device has been activated",
            s.body(
                "device-activated",
                0,
                ACTIVATION,
                device_activation_id=7002,
                device_id=100235,
                device_class="home monitoring unit",
            ),
            active("home monitoring unit"),
            {"device_class": "home monitoring unit"},
        ),
        E(
            "a device deactivated",
            "a device has been deactivated",
            s.body("device-deactivated", 0, DEACTIVATION),
            deactivated,
            arrange=gps_active,
        ),
        E(
            "a battery level below the 20 percent threshold",
            "a device has reported its battery level",
            s.body("device-event-reported", 0, DEVICE_EVENT, eventStatusFlags=15),
            battery(False, 15),
            {"percentage": 15},
            arrange=gps_active,
        ),
        E(
            "a battery level above the 20 percent threshold",
            "a device has reported its battery level",
            s.body("device-event-reported", 0, DEVICE_EVENT, eventId=880003, eventStatusFlags=85),
            battery(True, 85),
            {"percentage": 85},
            arrange=gps_active,
        ),
        E(
            "a strap tamper device event",
            "a device has been tampered with",
            s.body("device-event-reported", 1, DEVICE_EVENT),
            tamper_counted,
            arrange=gps_active,
        ),
    ),
)
PACTS = (COMPLIANCE_FROM_MDSS,)


@pytest.mark.parametrize(("pact_def", "expectation"), s.cases(PACTS))
def test_compliance_handles(pact_def: s.PactDef, expectation: s.Expectation) -> None:
    s.check_one(pact_def, expectation)


@pytest.mark.parametrize("pact_def", PACTS, ids=lambda d: d.file_name)
def test_compliance_pact_written(pact_def: s.PactDef, pact_dir: Path) -> None:
    path = s.write(pact_def, pact_dir)
    assert path.name == "em-compliance-monitoring-data-service.json"
    assert s.interactions_in(path) == len(pact_def.expectations)
