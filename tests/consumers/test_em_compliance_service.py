"""EM compliance's battery rule."""

from __future__ import annotations

import pytest

from consumers.em_compliance.service import BatteryCompliance
from consumers.messages import InvalidMessage


def battery(example, pct: int, recorded: str, event_id: int = 880001, device: int = 100234) -> dict:
    return example(
        "device-event-reported",
        0,
        eventId=event_id,
        eventStatusFlags=pct,
        eventRecordedDateUtc=recorded,
        deviceId=device,
    )


def test_below_twenty_percent_is_non_compliant_and_twenty_is_not(example) -> None:
    c = BatteryCompliance()
    c.handle(example("device-activated", 0))
    assert c.handle(battery(example, 19, "2026-06-23T14:00:00Z")).compliant is False
    assert [v.device_id for v in c.non_compliant()] == [100234]
    assert c.handle(battery(example, 20, "2026-06-23T15:00:00Z", 880002)).compliant is True
    assert c.non_compliant() == []


def test_an_older_reading_uploaded_late_does_not_hide_a_newer_one(example) -> None:
    c = BatteryCompliance()
    c.handle(battery(example, 80, "2026-06-23T15:00:00Z", 2))
    c.handle(battery(example, 5, "2026-06-23T09:00:00Z", 1))
    assert c.is_compliant(100234) is True


def test_deactivated_devices_drop_out_of_the_rule(example) -> None:
    c = BatteryCompliance()
    c.handle(example("device-activated", 0))
    c.handle(battery(example, 8, "2026-06-23T14:00:00Z"))
    c.handle(example("device-deactivated", 0))
    assert c.active_devices() == [] and c.non_compliant() == []
    assert c.is_compliant(100234) is False  # the reading itself is still known


def test_deactivating_an_older_activation_keeps_the_current_one(example) -> None:
    c = BatteryCompliance()
    c.handle(example("device-activated", 0, device_activation_id=7002))
    c.handle(example("device-deactivated", 0))  # activation 7001
    assert [a.device_activation_id for a in c.active_devices()] == [7002]


def test_other_events_are_counted_not_judged(example) -> None:
    c = BatteryCompliance()
    assert c.handle(example("device-event-reported", 1)) is None
    c.handle(example("device-event-reported", 1))  # redelivery
    assert c.other_events == {"EV_STRAP_TAMPER": 1} and c.verdict(100234) is None


def test_impossible_readings_are_refused(example) -> None:
    c = BatteryCompliance()
    with pytest.raises(InvalidMessage, match="above 100"):
        c.handle(battery(example, 101, "2026-06-23T14:00:00Z"))
    with pytest.raises(InvalidMessage, match="deactivated before it was activated"):
        c.handle(example("device-deactivated", 0, device_deactivation_date="2026-03-01T00:00:00Z"))
    with pytest.raises(InvalidMessage, match="device_class"):
        c.handle(example("device-activated", 0, device_class="toaster"))
    with pytest.raises(ValueError):
        BatteryCompliance(threshold=0)
