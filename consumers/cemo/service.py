"""CEMO's view of each order's lifecycle at the supplier.

CEMO submits orders and must then follow each one through the supplier: the case the supplier opened
(case-created answers order-submitted, correlated by order id), every status the supplier returns
(a rejection with its reasons is what the order's author has to act on), visits, the devices fitted
and removed, and the end of monitoring. Everything after case-created carries only the supplier's
caseId, so the tracker keeps the caseId -> order_id link and refuses messages for cases it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from consumers.messages import Consumer, InvalidMessage, UnknownReference, payload

CASE_STATES = {
    "NEW": 1,
    "CLOSED": 3,
    "RESOLVED": 6,
    "CANCELLED": 7,
    "OPEN": 10,
    "AWAITING_VALIDATION": 11,
    "AWAITING_INFO": 18,
    "AWAITING_APPROVAL": 19,
}
STATUSES = ("approved", "rejected", "pending", "installed", "scheduled")
VISIT_TYPES = ("install", "reinstall", "removal", "fault", "compliance check")
DEVICE_CLASSES = (
    "GPS monitoring device",
    "home monitoring unit",
    "alcohol monitoring device",
    "non-fitted biometric device",
)


@dataclass(frozen=True)
class Reason:
    section: str
    details: str | None


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: datetime
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Visit:
    visit_id: str
    visit_type: str
    outcome: str
    started: datetime
    ended: datetime


@dataclass
class Device:
    device_id: int
    serial_number: str
    device_class: str | None = None
    installed_at: datetime | None = None
    removed_at: datetime | None = None
    removal_reason: str | None = None

    @property
    def fitted(self) -> bool:
        return self.installed_at is not None and self.removed_at is None


@dataclass
class OrderLifecycle:
    """Everything CEMO knows about one order after submitting it."""

    order_id: str
    case_id: str | None = None
    case_state: tuple[str, int] | None = None
    statuses: list[StatusChange] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    devices: dict[int, Device] = field(default_factory=dict)
    ended_at: datetime | None = None
    end_reason: str | None = None

    @property
    def status(self) -> str | None:
        """The latest status by the supplier's change time (messages may arrive out of order)."""
        if not self.statuses:
            return None
        return max(self.statuses, key=lambda s: s.at).status

    @property
    def rejection_reasons(self) -> tuple[Reason, ...]:
        latest = max(self.statuses, key=lambda s: s.at) if self.statuses else None
        return latest.reasons if latest and latest.status == "rejected" else ()

    @property
    def fitted_devices(self) -> list[Device]:
        return sorted((d for d in self.devices.values() if d.fitted), key=lambda d: d.device_id)

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


class CaseTracker(Consumer):
    """Order lifecycles keyed by MoJ order id, with the supplier caseId -> order id link."""

    handlers = {
        "electronic-monitoring.case-created": "case_created",
        "electronic-monitoring.case-status-returned": "case_status_returned",
        "electronic-monitoring.visit-completed": "visit_completed",
        "electronic-monitoring.equipment-installed": "equipment_installed",
        "electronic-monitoring.equipment-removed": "equipment_removed",
        "electronic-monitoring.monitoring-ended": "monitoring_ended",
    }

    def __init__(self) -> None:
        self.orders: dict[str, OrderLifecycle] = {}
        self._order_of_case: dict[str, str] = {}

    # -- lookups --------------------------------------------------------------------------------
    def lifecycle(self, order_id: str) -> OrderLifecycle:
        """The lifecycle of an order CEMO has heard about; UnknownReference otherwise."""
        try:
            return self.orders[order_id]
        except KeyError:
            raise UnknownReference(f"no supplier case known for order {order_id}") from None

    def by_case(self, case_id: str) -> OrderLifecycle:
        """The lifecycle of the order a supplier case belongs to."""
        order_id = self._order_of_case.get(case_id)
        if order_id is None:
            raise UnknownReference(f"case {case_id} was never created for any order CEMO knows")
        return self.orders[order_id]

    def _link(self, order_id: str, case_id: str) -> OrderLifecycle:
        record = self.orders.setdefault(order_id, OrderLifecycle(order_id))
        if record.case_id is not None and record.case_id != case_id:
            raise InvalidMessage(f"order {order_id} already has case {record.case_id}, not {case_id}")
        other = self._order_of_case.get(case_id)
        if other is not None and other != order_id:
            raise InvalidMessage(f"case {case_id} already belongs to order {other}, not {order_id}")
        record.case_id = case_id
        self._order_of_case[case_id] = order_id
        return record

    # -- handlers -------------------------------------------------------------------------------
    def case_created(self, message: dict[str, Any]) -> OrderLifecycle:
        """The supplier opened a case for an order: link caseId to the order and note the case state."""
        p = payload(message)
        state = p.obj("caseState")
        name = state.choice("name", CASE_STATES)
        number = state.integer("number")
        if CASE_STATES[name] != number:
            raise InvalidMessage(f"{state.where}: state {name} is number {CASE_STATES[name]}, not {number}")
        p.utc("createdAt")
        record = self._link(p.text("orderId"), p.text("caseId"))
        record.case_state = (name, number)
        return record

    def case_status_returned(self, message: dict[str, Any]) -> OrderLifecycle:
        """A status for the order; a rejection must say why, and a reason 'other' must say what."""
        p = payload(message)
        status = p.choice("status", STATUSES)
        reasons = []
        for item in p.items("reasons", optional=True):
            section = item.text("section")
            details = item.text("details", optional=True)
            if section == "other" and not details:
                raise InvalidMessage(f"{item.where}: a reason in section 'other' needs details")
            reasons.append(Reason(section, details))
        if status == "rejected" and not reasons:
            raise InvalidMessage(f"{p.where}: status rejected without any reason")
        change = StatusChange(status, p.utc("datetimeOfStatusChange"), tuple(reasons))
        record = self._link(p.text("orderId"), p.text("caseId"))
        if change not in record.statuses:
            record.statuses.append(change)
        return record

    def visit_completed(self, message: dict[str, Any]) -> Visit:
        p = payload(message)
        record = self.by_case(p.text("caseId"))
        visit = Visit(
            visit_id=p.text("visit_id"),
            visit_type=p.choice("visit_type", VISIT_TYPES),
            outcome=p.text("outcome"),
            started=p.london("actual_start"),
            ended=p.london("actual_end"),
        )
        if visit.ended < visit.started:
            raise InvalidMessage(f"{p.where}: visit {visit.visit_id} ends before it starts")
        if all(v.visit_id != visit.visit_id for v in record.visits):
            record.visits.append(visit)
        return visit

    def equipment_installed(self, message: dict[str, Any]) -> Device:
        p = payload(message)
        record = self.by_case(p.text("caseId"))
        device_id = p.integer("device_id", minimum=1)
        device = record.devices.setdefault(device_id, Device(device_id, p.text("serial_number")))
        device.serial_number = p.text("serial_number")
        device.device_class = p.choice("device_class", DEVICE_CLASSES)
        device.installed_at = p.london("installed_at")
        device.removed_at = device.removal_reason = None
        return device

    def equipment_removed(self, message: dict[str, Any]) -> Device:
        p = payload(message)
        record = self.by_case(p.text("caseId"))
        device_id = p.integer("device_id", minimum=1)
        device = record.devices.setdefault(device_id, Device(device_id, p.text("serial_number")))
        removed_at = p.london("removed_at")
        if device.installed_at is not None and removed_at < device.installed_at:
            raise InvalidMessage(f"{p.where}: device {device_id} removed before it was installed")
        device.removed_at = removed_at
        device.removal_reason = p.text("reason")
        return device

    def monitoring_ended(self, message: dict[str, Any]) -> OrderLifecycle:
        p = payload(message)
        record = self.by_case(p.text("caseId"))
        order_id = p.text("orderId")
        if order_id != record.order_id:
            raise InvalidMessage(f"{p.where}: case {record.case_id} belongs to order {record.order_id}, not {order_id}")
        record.ended_at = p.london("ended_at")
        record.end_reason = p.text("reason")
        return record
