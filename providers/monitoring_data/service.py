"""The Monitoring Data Service's domain logic, in plain Python (no broker): device telemetry in,
activations, position batches and device events out; simulated bulk files in, delivery notices out.

The MDSS keeps time in UTC, so every timestamp it publishes is UTC RFC 3339. Ids it assigns
(activation, position, device event) come from counters; the device and person ids are the ones the
telemetry names, echoed unchanged so the MoJ side (and the harness) can correlate them. personReference is
copied from the telemetry, or from the device's activation, when the MDSS knows it; position batches
carry none (consumers join on person_id).

Idempotency: every message is handled once per eventId; a redelivery is ignored. Time: `clock` is the
harness's virtual clock when it sends one (em-harness.sim-clock, providers.clock), the wall clock otherwise.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from providers.clock import SupplierClock
from providers.messages import Outgoing, event, parse_utc, person_reference_of, utc_text

SOURCE = "monitoring-data-service"
DEFAULT_DEVICE_CLASS = "GPS monitoring device"
BATTERY = "EV_REPORT_TRACKER_BATTERY_PERCENTAGE"
TAMPER = "EV_STRAP_TAMPER"
# Criticality belongs to the event type, not to one reading.
CRITICALITY = {BATTERY: "Low", TAMPER: "High"}
POSITION_FIELDS = ("precision", "speed", "direction", "satellite", "hdop")
MAX_SEEN = 100_000

log = logging.getLogger("providers.monitoring_data")

Clock = Callable[[], datetime]


@dataclass
class Activation:
    activation_id: int
    device_id: int
    person_id: int
    device_class: str
    activated_at: datetime
    person_reference: dict[str, Any] | None
    deactivated_at: datetime | None = None


def _payload(message: dict[str, Any]) -> dict[str, Any]:
    payload = message.get("additionalInformation")
    return payload if isinstance(payload, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def jsonl_bytes(records: list[Any]) -> bytes:
    """The bytes of a JSON Lines file: one compact JSON value a line, each line ending in a newline."""
    lines = (json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" for r in records)
    return "".join(lines).encode("utf-8")


def synthetic_fixes(count: int, start: datetime) -> list[dict[str, Any]]:
    """`count` fixes a minute apart, walking inside the fixed test area (51.50-51.52 N, 0.14-0.10 W)."""
    return [
        {
            "latitude": round(51.505 + (i % 40) * 0.00025, 6),
            "longitude": round(-0.125 + (i % 50) * 0.0004, 6),
            "recorded_at": utc_text(start + timedelta(minutes=i)),
            "precision": 5.0,
            "satellite": 8,
            "hdop": 0.9,
            "mechanism": 1,
        }
        for i in range(count)
    ]


class MonitoringDataService:
    """Activations by device, and the counters for the ids the MDSS assigns."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.sim_clock = SupplierClock(SOURCE)
        self.clock: Clock = clock or self.sim_clock
        self.seen: dict[str, None] = {}
        self.activations: dict[int, Activation] = {}
        self._activation_ids = itertools.count(7001)
        self._position_ids = itertools.count(900001)
        self._event_ids = itertools.count(880001)

    def on_clock(self, message: dict[str, Any]) -> list[Outgoing]:
        """em-harness.sim-clock: the harness's virtual clock (acknowledged on em-harness.sim-clock-ack)."""
        return self.sim_clock.on_tick(message)

    def redelivered(self, message: dict[str, Any]) -> bool:
        """True when a message with this eventId was handled before (then it is ignored); notes it otherwise."""
        event_id = message.get("eventId")
        if not isinstance(event_id, str) or not event_id:
            return False
        if event_id in self.seen:
            return True
        self.seen[event_id] = None
        if len(self.seen) > MAX_SEEN:
            del self.seen[next(iter(self.seen))]
        return False

    def on_device_telemetry(self, message: dict[str, Any]) -> list[Outgoing]:
        if self.redelivered(message):
            return []
        telemetry = _payload(message)
        kind = telemetry.get("kind")
        device_id = _int(telemetry.get("device_id"))
        if device_id is None:
            log.warning("telemetry without a device_id: ignored")
            return []
        observed = parse_utc(telemetry.get("observed_at")) or parse_utc(message.get("occurredAt")) or self.clock()
        activation = self.activations.get(device_id)
        person_id = _int(telemetry.get("person_id")) or (activation.person_id if activation else None)
        person_ref = person_reference_of(message) or (activation.person_reference if activation else None)
        if kind == "activation":
            return self._activate(device_id, person_id, telemetry, observed, person_ref)
        if kind == "deactivation":
            return self._deactivate(activation, observed, person_ref)
        if person_id is None:
            log.warning("telemetry for device %s names no person and the device is not active: ignored", device_id)
            return []
        if kind == "gps-fixes":
            return self._positions(device_id, person_id, telemetry, observed)
        if kind == "battery":
            percentage = _int(telemetry.get("percentage"))
            if percentage is None:
                return []
            return [self._device_event(device_id, person_id, BATTERY, percentage, observed, person_ref, "Battery")]
        if kind == "tamper":
            return [self._device_event(device_id, person_id, TAMPER, 1, observed, person_ref, "Strap tamper")]
        return []  # home-unit absence is judged by the field monitoring service

    def _activate(
        self,
        device_id: int,
        person_id: int | None,
        telemetry: dict[str, Any],
        at: datetime,
        person_ref: dict[str, Any] | None,
    ) -> list[Outgoing]:
        if person_id is None:
            log.warning("activation of device %s names no person: ignored", device_id)
            return []
        activation = Activation(
            next(self._activation_ids),
            device_id,
            person_id,
            telemetry.get("device_class") or DEFAULT_DEVICE_CLASS,
            at,
            person_ref,
        )
        self.activations[device_id] = activation
        return [self._activation_event("device-activated", activation, at, f"{activation.device_class} activated")]

    def _deactivate(
        self, activation: Activation | None, at: datetime, person_ref: dict[str, Any] | None
    ) -> list[Outgoing]:
        if activation is None or activation.deactivated_at is not None:
            log.warning("deactivation of a device that is not active: ignored")
            return []
        activation.deactivated_at = max(at, activation.activated_at)
        activation.person_reference = activation.person_reference or person_ref
        return [
            self._activation_event(
                "device-deactivated", activation, activation.deactivated_at, f"{activation.device_class} deactivated"
            )
        ]

    def _activation_event(self, message: str, a: Activation, at: datetime, text: str) -> Outgoing:
        payload: dict[str, Any] = {
            "device_activation_id": a.activation_id,
            "device_id": a.device_id,
            "person_id": a.person_id,
            "device_activation_date": utc_text(a.activated_at),
        }
        if a.deactivated_at is not None:
            payload["device_deactivation_date"] = utc_text(a.deactivated_at)
        payload["device_class"] = a.device_class
        return event(
            message,
            SOURCE,
            payload,
            occurred_at=at,
            published_at=self.clock(),
            person_reference=a.person_reference,
            description=text,
        )

    def _positions(self, device_id: int, person_id: int, telemetry: dict[str, Any], at: datetime) -> list[Outgoing]:
        fixes = telemetry.get("fixes")
        if not isinstance(fixes, list) or not fixes:
            count = _int(telemetry.get("count")) or 0
            fixes = synthetic_fixes(min(count, 1000), at)
        positions = []
        for i, fix in enumerate(f for f in fixes if isinstance(f, dict)):
            position: dict[str, Any] = {
                "position_id": next(self._position_ids),
                "device_id": device_id,
                "person_id": person_id,
                "latitude": fix.get("latitude"),
                "longitude": fix.get("longitude"),
            }
            position.update({name: fix[name] for name in POSITION_FIELDS if name in fix})
            recorded = parse_utc(fix.get("recorded_at")) or at + timedelta(minutes=i)
            position["recorded_date"] = utc_text(recorded)
            position["mechanism"] = fix.get("mechanism", 1)
            positions.append(position)
        if not positions:
            return []
        last = parse_utc(positions[-1]["recorded_date"]) or at
        return [
            event(
                "positions-reported",
                SOURCE,
                {"positions": positions},
                occurred_at=last,
                published_at=self.clock(),
                description=f"Batch of {len(positions)} positions",
            )
        ]

    def _device_event(
        self,
        device_id: int,
        person_id: int,
        code: str,
        flags: int,
        at: datetime,
        person_ref: dict[str, Any] | None,
        text: str,
    ) -> Outgoing:
        now = self.clock()
        payload = {
            "eventId": next(self._event_ids),
            "personId": person_id,
            "deviceId": device_id,
            "eventStartDateUtc": utc_text(at),
            "eventEndDateUtc": utc_text(at),
            "eventRecordedDateUtc": utc_text(at),
            "eventUploadedDateUtc": utc_text(max(now, at)),
            "eventStatusFlags": flags,
            "eventTypeCode": code,
            "eventTypeCriticalityName": CRITICALITY[code],
        }
        if code == BATTERY:
            text = f"Battery at {flags}%"
        return event(
            "device-event-reported",
            SOURCE,
            payload,
            occurred_at=at,
            published_at=now,
            person_reference=person_ref,
            description=text,
        )

    def on_file_drop(self, message: dict[str, Any]) -> list[Outgoing]:
        if self.redelivered(message):
            return []
        drop = _payload(message)
        records = drop.get("records")
        name, feed = drop.get("file_name"), drop.get("feed")
        if not isinstance(records, list) or not isinstance(name, str) or not isinstance(feed, str):
            log.warning("file drop without file_name, feed and records: ignored")
            return []
        data = jsonl_bytes(records)
        now = self.clock()
        return [
            event(
                "supplier-file-delivered",
                SOURCE,
                {
                    "file_name": name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "record_count": len(records),
                    "feed": feed,
                    "delivered_at": utc_text(now),
                },
                occurred_at=now,
                published_at=now,
                description=f"{feed} file delivered",
            )
        ]
