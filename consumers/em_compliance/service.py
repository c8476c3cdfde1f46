"""EM compliance: device telemetry checked against the rules; today only the battery rule.

A device whose latest battery reading is below 20% is non-compliant: the wearer has to charge it,
and a flat tag stops monitoring. The service keeps which devices are active (activation and
deactivation from the monitoring data service) and the latest battery reading per device by the
time the device recorded it, so a late-uploaded older reading never hides a newer one. Other device
events (tamper, strap, no-comms) are counted but are not battery evidence.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from consumers.messages import Consumer, InvalidMessage, payload

BATTERY_CODE = "EV_REPORT_TRACKER_BATTERY_PERCENTAGE"
DEVICE_CLASSES = (
    "GPS monitoring device",
    "home monitoring unit",
    "alcohol monitoring device",
    "non-fitted biometric device",
)


@dataclass(frozen=True)
class Activation:
    device_activation_id: int
    device_id: int
    person_id: int
    device_class: str
    activated_at: datetime
    deactivated_at: datetime | None = None


@dataclass(frozen=True)
class BatteryReading:
    device_id: int
    person_id: int
    percentage: int
    recorded_at: datetime
    event_id: int


@dataclass(frozen=True)
class Verdict:
    device_id: int
    compliant: bool
    reading: BatteryReading
    reason: str


class BatteryCompliance(Consumer):
    handlers = {
        "electronic-monitoring.device-activated": "device_activated",
        "electronic-monitoring.device-deactivated": "device_deactivated",
        "electronic-monitoring.device-event-reported": "device_event_reported",
    }

    def __init__(self, threshold: int = 20) -> None:
        if not 0 < threshold <= 100:
            raise ValueError("the battery threshold is a percentage in 1..100")
        self.threshold = threshold
        self.active: dict[int, Activation] = {}
        self.deactivated: dict[int, Activation] = {}
        self.latest_battery: dict[int, BatteryReading] = {}
        self.other_events: Counter[str] = Counter()
        self._events_seen: set[int] = set()

    # -- activations ----------------------------------------------------------------------------
    def _activation(self, message: dict[str, Any]) -> tuple[Activation, Any]:
        p = payload(message)
        activation = Activation(
            device_activation_id=p.integer("device_activation_id", minimum=1),
            device_id=p.integer("device_id", minimum=1),
            person_id=p.integer("person_id", minimum=1),
            device_class=p.choice("device_class", DEVICE_CLASSES),
            activated_at=p.utc("device_activation_date"),
        )
        return activation, p

    def device_activated(self, message: dict[str, Any]) -> Activation:
        activation, _ = self._activation(message)
        self.active[activation.device_id] = activation
        self.deactivated.pop(activation.device_id, None)
        return activation

    def device_deactivated(self, message: dict[str, Any]) -> Activation:
        activation, p = self._activation(message)
        ended = p.utc("device_deactivation_date")
        if ended < activation.activated_at:
            raise InvalidMessage(f"{p.where}: device {activation.device_id} deactivated before it was activated")
        current = self.active.get(activation.device_id)
        if current is not None and current.device_activation_id != activation.device_activation_id:
            # A deactivation of an older activation must not switch off the device's current one.
            return current
        self.active.pop(activation.device_id, None)
        done = replace(activation, deactivated_at=ended)
        self.deactivated[activation.device_id] = done
        return done

    # -- device events --------------------------------------------------------------------------
    def device_event_reported(self, message: dict[str, Any]) -> Verdict | None:
        """A battery reading gives a verdict for its device; other events are only counted."""
        p = payload(message)
        event_id = p.integer("eventId", minimum=1)
        code = p.text("eventTypeCode")
        flags = p.integer("eventStatusFlags", minimum=0)
        device_id = p.integer("deviceId", minimum=1)
        person_id = p.integer("personId", minimum=1)
        recorded = p.utc("eventRecordedDateUtc")
        if code != BATTERY_CODE:
            if event_id not in self._events_seen:
                self._events_seen.add(event_id)
                self.other_events[code] += 1
            return None
        if flags > 100:
            raise InvalidMessage(f"{p.where}.eventStatusFlags: battery percentage {flags} is above 100")
        self._events_seen.add(event_id)
        reading = BatteryReading(device_id, person_id, flags, recorded, event_id)
        latest = self.latest_battery.get(device_id)
        if latest is None or reading.recorded_at >= latest.recorded_at:
            self.latest_battery[device_id] = reading
        return self.verdict(device_id)

    # -- queries --------------------------------------------------------------------------------
    def verdict(self, device_id: int) -> Verdict | None:
        """The battery rule on the device's latest reading; None when it never reported its battery."""
        reading = self.latest_battery.get(device_id)
        if reading is None:
            return None
        compliant = reading.percentage >= self.threshold
        reason = (
            f"battery {reading.percentage}% is at or above {self.threshold}%"
            if compliant
            else f"battery {reading.percentage}% is below {self.threshold}%"
        )
        return Verdict(device_id, compliant, reading, reason)

    def is_compliant(self, device_id: int) -> bool | None:
        verdict = self.verdict(device_id)
        return None if verdict is None else verdict.compliant

    def non_compliant(self) -> list[Verdict]:
        """Devices breaking the battery rule now; deactivated devices are no longer anyone's concern."""
        out = []
        for device_id in sorted(self.latest_battery):
            if device_id in self.deactivated:
                continue
            verdict = self.verdict(device_id)
            if verdict is not None and not verdict.compliant:
                out.append(verdict)
        return out

    def active_devices(self) -> list[Activation]:
        return [self.active[d] for d in sorted(self.active)]
