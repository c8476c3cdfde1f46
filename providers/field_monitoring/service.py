"""The Field Monitoring Service's domain logic, in plain Python (no broker): orders in, case reports out.

Every public `on_*` method takes one received message (a dict) and returns the messages to publish
(`Outgoing`), so the behaviour is unit-tested directly and the FastStream wiring stays trivial.

What it does (contracts/states/field-monitoring-service.yaml sets these situations up on the bus):
- order-submitted: the orders inbox (orders_inbox.OrdersInbox) reads and decides; the FMS opens a case
  (case-created, orderId = order_id) and reports the decision: approved, or rejected when equipment must
  be fitted and the wearer has no usable address (section `other`). A second order with an order_id
  already held is rejected as `duplicate_submission` against the case that holds it, and opens none. A
  redelivery of the very same message (same eventId, EM's de-duplication id) is ignored, not rejected;
  an order the inbox cannot read at all is logged and dropped.
- order-varied / order-ended: the inbox applies the change; an ended order with equipment fitted waits for
  the removal visit, otherwise monitoring ends at once (monitoring-ended).
- simulated field visits: visit-completed, then equipment-installed (and status installed) or
  equipment-removed (and monitoring-ended once the order has ended and nothing is left fitted).
- simulated telemetry: a home-unit absence inside the order's curfew timetable is a curfew violation;
  a strap tamper raises an alert and a tamper violation.
- simulated contact with the wearer: the open violation is closed with the excuse (violation-updated).

Correlation: everything about an order carries its orderId where the schema has one, the caseId, and
the personReference (CRN/NOMS) copied from the order; device ids from the stimuli are echoed.
Idempotency: every message is handled once per eventId (EM's de-duplication id): a redelivery of a message
already handled is ignored, however late it comes, so at-least-once delivery never opens a second case,
books a second visit or raises a violation twice.
Time: `clock` is the harness's virtual clock when it sends one (em-harness.sim-clock, providers.clock),
the wall clock otherwise.
Messages about an order not seen yet (a stimulus that overtook the order on a real broker) are held
and replayed when the order or the device arrives.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from providers.clock import SupplierClock
from providers.field_monitoring import curfew, zones
from providers.field_monitoring.orders_inbox import Decision, HeldOrder, InvalidOrder, OrdersInbox, UnknownOrder
from providers.messages import (
    Outgoing,
    event,
    identifier_values,
    london_text,
    parse_utc,
    person_reference_of,
    utc_text,
)

SOURCE = "field-monitoring-service"
DEFAULT_DEVICE_CLASS = "GPS monitoring device"
END_REASONS = {"SR21": "order revoked", "SR11": "devices removed (bail)"}
SERIAL_PREFIX = {
    "GPS monitoring device": "TST-GPS",
    "home monitoring unit": "TST-HMU",
    "alcohol monitoring device": "TST-AMD",
    "non-fitted biometric device": "TST-NFD",
}
MAX_PARKED = 50
GRACE = timedelta(minutes=3)
"""A curfew absence shorter than this (the part inside curfew) is not a violation: the MoJ's grace period."""
MAX_SEEN = 100_000

log = logging.getLogger("providers.field_monitoring")

Clock = Callable[[], datetime]
Handler = Callable[[dict[str, Any]], list[Outgoing]]


def new_sys_id() -> str:
    """A ServiceNow-style sys_id: 32 lower-case hex characters."""
    return secrets.token_hex(16)


@dataclass
class Device:
    device_id: int
    device_class: str
    serial_number: str
    installed_at: datetime
    visit_id: str


@dataclass
class Violation:
    sys_id: str
    category: str
    start: datetime
    short_description: str
    end: datetime | None = None
    duration: int = 0
    """Seconds so far; 0 when it has just begun (an ongoing violation is reported as it stands)."""
    state: str = "Open"
    active: bool = True
    response_action: str = "Call made to wearer"
    reasonable_excuse: str = "No"
    authorised_absence: str = "No"
    out_for_entire_curfew_period: str = "No"
    outcome_reason: str | None = None


@dataclass
class Case:
    case_id: str
    order_id: str
    held: HeldOrder | None
    """The order as the orders inbox holds it (None when the order was rejected)."""
    person_reference: dict[str, Any] | None
    submitted_event_id: str | None
    wearer_id: str
    status: str = "pending"
    devices: dict[int, Device] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    zones: list[zones.Zone] = field(default_factory=list)
    in_zone: dict[int, Violation] = field(default_factory=dict)
    """Open zone violations, by index in `zones`."""
    last_fix: datetime | None = None
    ended: bool = False
    end_reason: str = "order ended"
    closed: bool = False


def _payload(message: dict[str, Any]) -> dict[str, Any]:
    payload = message.get("additionalInformation")
    return payload if isinstance(payload, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FieldMonitoringService:
    """The FMS's cases, devices and violations, in memory."""

    def __init__(self, clock: Clock | None = None, new_id: Callable[[], str] = new_sys_id) -> None:
        self.sim_clock = SupplierClock(SOURCE)
        self.clock: Clock = clock or self.sim_clock
        self.new_id = new_id
        self.seen: dict[str, None] = {}
        """eventIds of the messages handled (oldest first), to ignore redeliveries."""
        self.inbox = OrdersInbox()
        self.cases: dict[str, Case] = {}
        """By MoJ order id (lower case, as the inbox keys orders)."""
        self.by_device: dict[int, Case] = {}
        self.by_identifier: dict[str, Case] = {}
        self.parked: dict[str, list[tuple[Handler, dict[str, Any]]]] = {}
        self._stock = itertools.count(700001)

    # -- time and redeliveries ---------------------------------------------------------------------
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

    # -- orders --------------------------------------------------------------------------------
    def on_order_submitted(self, message: dict[str, Any]) -> list[Outgoing]:
        if self.redelivered(message):
            return []  # the same message delivered again: at-least-once delivery, not a new order
        existing = self.already_held(str(_payload(message).get("order_id")))
        try:
            decision = self.decide(message)
        except InvalidOrder as exc:
            log.warning("order-submitted not usable: %s", exc)
            return []
        duplicate = any(r.get("section") == "duplicate_submission" for r in decision.reasons)
        if existing is not None and duplicate:
            return [self._status(existing, "rejected", list(decision.reasons), keep=True)]
        held = self.inbox.orders.get(decision.order_id) if decision.accepted else None
        case = Case(
            case_id=self.new_id(),
            order_id=str(_payload(message)["order_id"]),
            held=held,
            person_reference=person_reference_of(message),
            submitted_event_id=message.get("eventId"),
            wearer_id=self.new_id(),
        )
        self.cases[decision.order_id] = case
        if held is not None:
            self.inbox.attach_case(decision.order_id, case.case_id)
        for value in identifier_values(case.person_reference):
            self.by_identifier[value] = case
        now = self.clock()
        outs = [
            self._event(
                case,
                "case-created",
                {
                    "orderId": case.order_id,
                    "caseId": case.case_id,
                    "caseState": {"name": "NEW", "number": 1},
                    "createdAt": utc_text(now),
                },
                now,
                "Case opened for the order",
            ),
            self._status(case, decision.status, list(decision.reasons)),
        ]
        return outs + self._replay(decision.order_id)

    def already_held(self, order_id: str) -> Case | None:
        """The case already opened for this order id, if any."""
        return self.cases.get(order_id.lower())

    def decide(self, message: dict[str, Any]) -> Decision:
        """The orders inbox's decision on a new order: approved and held, or rejected with reasons
        (duplicate_submission; other, when equipment must be fitted and there is no usable address)."""
        return self.inbox.accept(message)

    def on_order_varied(self, message: dict[str, Any]) -> list[Outgoing]:
        if self.redelivered(message):
            return []
        variation = _payload(message)
        case = self.already_held(str(variation.get("order_id")))
        if case is None:
            return self._park(variation.get("order_id"), self.on_order_varied, message)
        if case.held is None:
            log.info("variation of order %s ignored: the order was rejected", case.order_id)
            return []
        try:
            self.inbox.apply_variation(message)
        except (InvalidOrder, UnknownOrder) as exc:
            log.warning("order-varied not applied: %s", exc)
            return []
        status = "scheduled" if variation.get("service_request_type") in ("SR04", "SR05") else "approved"
        return [self._status(case, status)]

    def on_order_ended(self, message: dict[str, Any]) -> list[Outgoing]:
        if self.redelivered(message):
            return []
        ending = _payload(message)
        case = self.already_held(str(ending.get("order_id")))
        if case is None:
            return self._park(ending.get("order_id"), self.on_order_ended, message)
        if case.ended:
            return []
        if case.held is not None:
            try:
                self.inbox.end_order(message)
            except (InvalidOrder, UnknownOrder) as exc:
                log.warning("order-ended not applied: %s", exc)
                return []
        case.ended = True
        case.end_reason = END_REASONS.get(str(ending.get("service_request_type")), "order ended")
        if case.devices:
            return [self._status(case, "scheduled")]  # a removal visit is booked; monitoring ends after it
        return [self._monitoring_ended(case)]

    # -- field visits ----------------------------------------------------------------------------
    def on_field_visit(self, message: dict[str, Any]) -> list[Outgoing]:
        if self.redelivered(message):
            return []
        visit = _payload(message)
        case = self.already_held(str(visit.get("order_id")))
        if case is None:
            return self._park(visit.get("order_id"), self.on_field_visit, message)
        if case.status == "rejected" or case.closed:
            log.info("visit for case %s ignored: the case is %s", case.case_id, case.status)
            return []
        now = self.clock()
        ended = parse_utc(visit.get("ended_at"), now) or now
        started = parse_utc(visit.get("started_at"), ended - timedelta(minutes=45)) or ended
        visit_id = self.new_id()
        visit_type = str(visit.get("visit_type"))
        payload: dict[str, Any] = {
            "caseId": case.case_id,
            "visit_id": visit_id,
            "visit_type": visit_type,
            "outcome": str(visit.get("outcome")),
        }
        if visit.get("details"):
            payload["outcome_details"] = visit["details"]
        payload["actual_start"] = london_text(started)
        payload["actual_end"] = london_text(ended)
        outs = [self._event(case, "visit-completed", payload, ended, f"{visit_type.capitalize()} visit finished")]
        if visit.get("outcome") != "completed":
            return outs
        if visit_type in ("install", "reinstall"):
            outs.extend(self._install(case, visit, visit_id, ended))
        elif visit_type == "removal":
            outs.extend(self._remove(case, visit, visit_id, ended))
        return outs

    def _install(self, case: Case, visit: dict[str, Any], visit_id: str, at: datetime) -> list[Outgoing]:
        device_id = _int(visit.get("device_id")) or next(self._stock)
        device_class = visit.get("device_class") or DEFAULT_DEVICE_CLASS
        serial = visit.get("serial_number") or f"{SERIAL_PREFIX.get(device_class, 'TST-DEV')}-{device_id:06d}"
        device = Device(device_id, device_class, serial, at, visit_id)
        case.devices[device_id] = device
        self.by_device[device_id] = case
        outs = [
            self._event(
                case,
                "equipment-installed",
                {
                    "caseId": case.case_id,
                    "device_id": device_id,
                    "device_class": device_class,
                    "serial_number": serial,
                    "installed_at": london_text(at),
                    "visit_id": visit_id,
                },
                at,
                f"{device_class} fitted",
            )
        ]
        if case.status != "installed":
            outs.append(self._status(case, "installed"))
        return outs + self._replay(f"device:{device_id}")

    def _remove(self, case: Case, visit: dict[str, Any], visit_id: str, at: datetime) -> list[Outgoing]:
        wanted = _int(visit.get("device_id"))
        devices = [case.devices[wanted]] if wanted in case.devices else list(case.devices.values())
        reason = visit.get("reason") or ("order ended" if case.ended else "removed at a field visit")
        outs = []
        for device in devices:
            del case.devices[device.device_id]
            self.by_device.pop(device.device_id, None)
            outs.append(
                self._event(
                    case,
                    "equipment-removed",
                    {
                        "caseId": case.case_id,
                        "device_id": device.device_id,
                        "device_class": device.device_class,
                        "serial_number": device.serial_number,
                        "removed_at": london_text(at),
                        "reason": reason,
                        "visit_id": visit_id,
                    },
                    at,
                    f"{device.device_class} removed",
                )
            )
        if case.ended and not case.devices and not case.closed:
            outs.append(self._monitoring_ended(case))
        return outs

    # -- telemetry ---------------------------------------------------------------------------------
    def on_device_telemetry(self, message: dict[str, Any]) -> list[Outgoing]:
        if self.redelivered(message):
            return []
        telemetry = _payload(message)
        kind = telemetry.get("kind")
        if kind not in ("home-unit-absence", "tamper", "gps-fixes", "zone-map"):
            return []  # activations and battery are the monitoring data service's business
        device_id = _int(telemetry.get("device_id"))
        case = self._case_for_telemetry(device_id, telemetry, message)
        if case is None:
            return self._park(None if device_id is None else f"device:{device_id}", self.on_device_telemetry, message)
        if case.closed:
            return []
        observed = parse_utc(telemetry.get("observed_at")) or parse_utc(message.get("occurredAt")) or self.clock()
        if kind == "tamper":
            return self._tamper(case, device_id, observed)
        if kind == "zone-map":
            zone = zones.zone_of(telemetry.get("zone"))
            if zone is not None:
                case.zones.append(zone)
            return []
        if kind == "gps-fixes":
            return self._fixes(case, self.usable_fixes(telemetry, message))
        return self._absence(case, telemetry, observed)

    def _case_for_telemetry(
        self, device_id: int | None, telemetry: dict[str, Any], message: dict[str, Any]
    ) -> Case | None:
        if device_id is not None and device_id in self.by_device:
            return self.by_device[device_id]
        case = self.already_held(str(telemetry.get("order_id")))
        if case is not None and case.devices:
            return case
        for value in identifier_values(person_reference_of(message)):
            case = self.by_identifier.get(value)
            if case is not None and case.devices:
                return case
        return None

    def _absence(self, case: Case, telemetry: dict[str, Any], start: datetime) -> list[Outgoing]:
        minutes = _int(telemetry.get("minutes")) or 0
        timetable = case.held.curfew if case.held is not None else None
        if minutes <= 0 or not isinstance(timetable, dict):
            return []
        location = str(telemetry.get("location") or "primary")
        found = self.curfew_breach(timetable, start, start + timedelta(minutes=minutes), location)
        if found is None or found.seconds < GRACE.total_seconds():
            return []
        violation = Violation(
            sys_id=self.new_id(),
            category="curfew",
            start=found.start,
            end=found.end,
            duration=found.seconds,
            short_description=f"Wearer absent from the {location} address during curfew",
            out_for_entire_curfew_period="Yes" if found.whole_window else "No",
        )
        case.violations.append(violation)
        return [self._violation(case, "violation-raised", violation, found.start, "Curfew violation")]

    def curfew_breach(
        self, timetable: dict[str, Any], start: datetime, end: datetime, location: str
    ) -> curfew.Breach | None:
        """The part of an absence inside the curfew (a hook: one place for the timetable arithmetic)."""
        return curfew.breach(timetable, start, end, location)

    def usable_fixes(self, telemetry: dict[str, Any], message: dict[str, Any]) -> list[tuple[datetime, dict[str, Any]]]:
        """The batch's fixes with their recorded times, oldest first (buffered ones included, however late)."""
        uploaded = parse_utc(message.get("occurredAt")) or self.clock()
        fixes = telemetry.get("fixes") if isinstance(telemetry.get("fixes"), list) else []
        timed = [(parse_utc(f.get("recorded_at")) or uploaded, f) for f in fixes if isinstance(f, dict)]
        return sorted(timed, key=lambda pair: pair[0])

    def _fixes(self, case: Case, fixes: list[tuple[datetime, dict[str, Any]]]) -> list[Outgoing]:
        """Zone violations: raised at the first fix certainly in breach, updated with its end at the first fix
        that is not. Fixes older than the newest one seen are ignored (a batch uploaded twice)."""
        outs: list[Outgoing] = []
        for at, fix in fixes:
            if case.last_fix is not None and at <= case.last_fix:
                continue
            case.last_fix = at
            for index, zone in enumerate(case.zones):
                open_one = case.in_zone.get(index)
                if zone.breached_by(fix):
                    if open_one is None:
                        outs.extend(self.zone_entered(case, index, zone, at))
                elif open_one is not None:
                    outs.extend(self.zone_left(case, index, zone, at))
        return outs

    def zone_entered(self, case: Case, index: int, zone: zones.Zone, at: datetime) -> list[Outgoing]:
        violation = Violation(
            sys_id=self.new_id(),
            category=zone.category,
            start=at,
            short_description="Wearer inside the exclusion zone"
            if zone.kind == "exclusion"
            else "Wearer outside the inclusion zone",
        )
        case.violations.append(violation)
        case.in_zone[index] = violation
        return [self._violation(case, "violation-raised", violation, at, "Zone violation")]

    def zone_left(self, case: Case, index: int, zone: zones.Zone, at: datetime) -> list[Outgoing]:
        violation = case.in_zone.pop(index)
        violation.end = at
        violation.duration = int((at - violation.start).total_seconds())
        violation.state = "Work in Progress"
        return [self._violation(case, "violation-updated", violation, at, "Zone violation ended")]

    def _tamper(self, case: Case, device_id: int | None, at: datetime) -> list[Outgoing]:
        device = case.devices.get(device_id) if device_id is not None else None
        what = device.device_class if device else "device"
        alert = self._event(
            case,
            "alert-raised",
            {
                "alert_id": self.new_id(),
                "caseId": case.case_id,
                "alert_class": "indication_noncompliance",
                "alert_type": "Strap tamper",
                "raised_at": london_text(at),
                "details": f"Strap tamper reported by the {what}" + (f" {device_id}." if device_id else "."),
            },
            at,
            "Tamper alert",
        )
        violation = Violation(
            sys_id=self.new_id(),
            category="tamper",
            start=at,
            short_description=f"Strap tamper reported by the {what}",
        )
        case.violations.append(violation)
        return [alert, self._violation(case, "violation-raised", violation, at, "Tamper violation")]

    # -- contact with the wearer -----------------------------------------------------------------
    def on_wearer_contact(self, message: dict[str, Any]) -> list[Outgoing]:
        if self.redelivered(message):
            return []
        contact = _payload(message)
        case = self.already_held(str(contact.get("order_id")))
        if case is None:
            return self._park(contact.get("order_id"), self.on_wearer_contact, message)
        category = contact.get("category")
        open_ones = [v for v in case.violations if v.active and (category is None or v.category == category)]
        if not open_ones:
            return []
        violation = open_ones[-1]
        at = parse_utc(contact.get("contacted_at")) or self.clock()
        details = contact.get("details")
        kind = contact.get("kind")
        if kind == "reasonable-excuse":
            violation.reasonable_excuse = "Yes"
            violation.response_action = "Excuse accepted"
            violation.outcome_reason = details or "Reasonable excuse accepted."
        elif kind == "authorised-absence":
            violation.authorised_absence = "Yes"
            violation.response_action = "Absence authorised"
            violation.outcome_reason = details or "The absence was authorised."
        else:
            violation.response_action = "Escalated"
            violation.outcome_reason = details or "No excuse given; referred to the responsible officer."
        violation.state = "Closed"
        violation.active = False
        if violation.end is None:
            violation.end = max(at, violation.start)
            violation.duration = int((violation.end - violation.start).total_seconds())
        return [self._violation(case, "violation-updated", violation, at, "Violation closed")]

    # -- building blocks ---------------------------------------------------------------------------
    def _event(self, case: Case, message: str, payload: dict[str, Any], occurred: datetime, text: str) -> Outgoing:
        return event(
            message,
            SOURCE,
            payload,
            occurred_at=occurred,
            published_at=self.clock(),
            person_reference=case.person_reference,
            description=text,
        )

    def _status(
        self, case: Case, status: str, reasons: list[dict[str, str]] | None = None, *, keep: bool = False
    ) -> Outgoing:
        """case-status-returned; `keep` reports on the case without changing its own status (duplicates)."""
        if not keep:
            case.status = status
        now = self.clock()
        return self._event(
            case,
            "case-status-returned",
            {
                "caseId": case.case_id,
                "orderId": case.order_id,
                "status": status,
                "reasons": reasons or [],
                "datetimeOfStatusChange": utc_text(now),
            },
            now,
            f"Case {status}",
        )

    def _monitoring_ended(self, case: Case) -> Outgoing:
        case.closed = True
        now = self.clock()
        return self._event(
            case,
            "monitoring-ended",
            {"caseId": case.case_id, "orderId": case.order_id, "ended_at": london_text(now), "reason": case.end_reason},
            now,
            "Monitoring ended",
        )

    def _violation(self, case: Case, message: str, v: Violation, occurred: datetime, text: str) -> Outgoing:
        record: dict[str, Any] = {
            "sys_id": v.sys_id,
            "caseId": case.case_id,
            "device_wearer": case.wearer_id,
            "category": v.category,
            "start": london_text(v.start),
        }
        if v.end is not None:
            record["end"] = london_text(v.end)
        if v.duration is not None:
            record["duration"] = v.duration
        record.update(
            {
                "state": v.state,
                "active": v.active,
                "short_description": v.short_description,
                "response_action": v.response_action,
                "reasonable_excuse": v.reasonable_excuse,
                "authorised_absence": v.authorised_absence,
                "out_for_entire_curfew_period": v.out_for_entire_curfew_period,
            }
        )
        if v.outcome_reason:
            record["outcome_reason"] = v.outcome_reason
        return self._event(case, message, record, occurred, text)

    def _park(self, key: Any, handler: Handler, message: dict[str, Any]) -> list[Outgoing]:
        """Hold a message about an order or device not seen yet; it is replayed when that arrives."""
        if not isinstance(key, str):
            log.warning("%s names no order or device: ignored", handler.__name__)
            return []
        held = self.parked.setdefault(key.lower(), [])
        if len(held) < MAX_PARKED:
            held.append((handler, message))
        return []

    def _replay(self, key: str) -> list[Outgoing]:
        outs: list[Outgoing] = []
        for handler, message in self.parked.pop(key.lower(), []):
            self.seen.pop(str(message.get("eventId")), None)  # parked, not handled: let it through once
            outs.extend(handler(message))
        return outs
