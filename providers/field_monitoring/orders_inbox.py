"""The Field Monitoring Service's orders inbox: the orders CEMO sends, as the supplier holds them.

The supplier is also a consumer: it receives order-submitted, order-varied and order-ended from CEMO
and must act on them (open a case, re-plan visits, stop monitoring). The inbox checks what the
supplier needs from each message and keeps the current state of every order:
- `accept` takes a new order. A message the supplier cannot read at all (no order id, wrong request
  type, a missing part it needs) raises InvalidOrder; an order it can read but will not take
  (a duplicate, no usable address for a fitting) comes back as a rejected Decision with reasons in
  the shape case-status-returned carries ({section, details}).
- `apply_variation` replaces the parts a variation sends whole (wearer, order, curfew, zones,
  parties), and notes suspensions.
- `end_order` records the revocation or bail removal.
Order times are the MoJ's London local 'yyyy-MM-dd HH:mm:ss'; they are kept as aware UTC datetimes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
CASE_ID = re.compile(r"^[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

DATA_DICTIONARY_VERSIONS = ("DDV4", "DDV5", "DDV6", "DDV7")
ORDER_TYPES = ("Civil", "Community", "Immigration", "Post Release", "Pre-Trial", "Special", "Bail")
CONDITIONS = (
    "Curfew with EM",
    "Location Monitoring (Fitted Device)",
    "Location Monitoring (using Non-Fitted Device)",
    "EM Exclusion / Inclusion Zone",
    "Restriction Zones",
    "Attendance Requirement",
    "AAMR",
    "AML",
)
NON_FITTED = "Location Monitoring (using Non-Fitted Device)"
DAYS = ("Mo", "Tu", "Wed", "Th", "Fr", "Sa", "Su")
VARIATION_PARTS = {
    "Change to Address": "device_wearer",
    "Change to Personal Details": "device_wearer",
    "Change to add an Inclusion or Exclusion Zone(s)": "zones",
    "Change to an existing Inclusion or Exclusion Zone(s)": "zones",
    "Change to Curfew Hours": "curfew",
    "Order Suspension": None,
    "Change to Device Type": "monitoring_order",
    "Change to Enforceable Condition": "monitoring_order",
    "Admin Error": None,
    "Other": None,
}
PARTS = ("device_wearer", "monitoring_order", "curfew", "zones", "parties")
VARIATION_REQUESTS = ("SR04", "SR05", "SR08")
END_REQUESTS = ("SR21", "SR11")


class InvalidOrder(ValueError):
    """The message lacks something the supplier needs to act on it."""


class UnknownOrder(LookupError):
    """A variation or end for an order the supplier does not hold."""


def london(value: Any, where: str) -> datetime:
    """London local 'yyyy-MM-dd HH:mm:ss' as an aware UTC datetime."""
    try:
        naive = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        raise InvalidOrder(f"{where}: expected London local time 'yyyy-MM-dd HH:mm:ss', got {value!r}") from None
    return naive.replace(tzinfo=LONDON).astimezone(UTC)


def _obj(data: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None:
        if optional:
            return None
        raise InvalidOrder(f"{where}.{key}: missing")
    if not isinstance(value, Mapping):
        raise InvalidOrder(f"{where}.{key}: expected an object")
    return value


def _text(
    data: Mapping[str, Any], key: str, where: str, *, allowed: tuple[str, ...] = (), optional: bool = False
) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidOrder(f"{where}.{key}: expected a non-empty string, got {value!r}")
    if allowed and value not in allowed:
        raise InvalidOrder(f"{where}.{key}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _list(data: Mapping[str, Any], key: str, where: str, *, min_items: int = 0) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list) or len(value) < min_items:
        raise InvalidOrder(f"{where}.{key}: expected a list of at least {min_items} item(s)")
    return value


def check_wearer(wearer: Mapping[str, Any], where: str) -> None:
    for key in ("first_name", "last_name"):
        _text(wearer, key, where)
    if not DATE.match(str(wearer.get("date_of_birth", ""))):
        raise InvalidOrder(f"{where}.date_of_birth: expected yyyy-MM-dd")
    _text(wearer, "adult_child", where, allowed=("adult", "child"))


def check_monitoring_order(order: Mapping[str, Any], where: str) -> None:
    _text(order, "order_type", where, allowed=ORDER_TYPES)
    start = london(order.get("order_start"), f"{where}.order_start")
    if order.get("order_end") is not None and london(order["order_end"], f"{where}.order_end") < start:
        raise InvalidOrder(f"{where}: order_end is before order_start")
    for i, item in enumerate(_list(order, "enforceable_condition", where, min_items=1)):
        here = f"{where}.enforceable_condition[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidOrder(f"{here}: expected an object")
        _text(item, "condition", here, allowed=CONDITIONS)
        london(item.get("start_date"), f"{here}.start_date")


def check_curfew(curfew: Mapping[str, Any], where: str) -> None:
    london(curfew.get("curfew_start"), f"{where}.curfew_start")
    for i, block in enumerate(_list(curfew, "curfew_duration", where, min_items=1)):
        here = f"{where}.curfew_duration[{i}]"
        if not isinstance(block, Mapping):
            raise InvalidOrder(f"{here}: expected an object")
        _text(block, "location", here, allowed=("primary", "secondary", "tertiary"))
        for j, slot in enumerate(_list(block, "schedule", here)):
            at = f"{here}.schedule[{j}]"
            if not isinstance(slot, Mapping):
                raise InvalidOrder(f"{at}: expected an object")
            _text(slot, "day", at, allowed=DAYS)
            for key in ("start", "end"):
                if not HHMM.match(str(slot.get(key, ""))):
                    raise InvalidOrder(f"{at}.{key}: expected HH:mm")


def check_zones(zones: Mapping[str, Any], where: str) -> None:
    count = 0
    for key in ("exclusion_zones", "inclusion_zones"):
        for i, zone in enumerate(_list(zones, key, where)):
            here = f"{where}.{key}[{i}]"
            if not isinstance(zone, Mapping):
                raise InvalidOrder(f"{here}: expected an object")
            _text(zone, "description", here)
            if not DATE.match(str(zone.get("start", ""))):
                raise InvalidOrder(f"{here}.start: expected yyyy-MM-dd")
            count += 1
    if count == 0:
        raise InvalidOrder(f"{where}: no exclusion or inclusion zone")


CHECKS = {
    "device_wearer": check_wearer,
    "monitoring_order": check_monitoring_order,
    "curfew": check_curfew,
    "zones": check_zones,
    "parties": lambda parties, where: _text(parties, "notifying_organization", where),
}


@dataclass(frozen=True)
class Variation:
    kind: str
    effective: datetime
    service_request_type: str
    parts: tuple[str, ...]
    details: str | None = None


@dataclass
class HeldOrder:
    """An order as the supplier holds it now (after every variation)."""

    order_id: str
    data_dictionary_version: str
    device_wearer: dict[str, Any]
    monitoring_order: dict[str, Any]
    parties: dict[str, Any]
    curfew: dict[str, Any] | None = None
    zones: dict[str, Any] | None = None
    case_id: str | None = None
    suspended_from: datetime | None = None
    variations: list[Variation] = field(default_factory=list)
    ended_at: datetime | None = None
    end_reason: str | None = None
    end_request: str | None = None

    @property
    def conditions(self) -> list[str]:
        return [c["condition"] for c in self.monitoring_order.get("enforceable_condition", [])]

    @property
    def needs_fitting(self) -> bool:
        """Everything but a non-fitted device needs a field visit to an address."""
        return any(c != NON_FITTED for c in self.conditions)

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def suspended(self) -> bool:
        return self.suspended_from is not None


@dataclass(frozen=True)
class Decision:
    """What the supplier answers a new order with: approved, or rejected with reasons."""

    order_id: str
    accepted: bool
    reasons: tuple[dict[str, str], ...] = ()
    order: HeldOrder | None = None

    @property
    def status(self) -> str:
        return "approved" if self.accepted else "rejected"


def usable_address(wearer: Mapping[str, Any]) -> bool:
    if wearer.get("no_fixed_address") in ("true", "Yes"):
        return False
    return bool(wearer.get("address_1")) and bool(wearer.get("address_post_code"))


def _payload(message: Mapping[str, Any], event_type: str) -> Mapping[str, Any]:
    if not isinstance(message, Mapping) or message.get("eventType") != event_type:
        raise InvalidOrder(f"expected an {event_type} message")
    return _obj(message, "additionalInformation", event_type)


def _order_id(payload: Mapping[str, Any], where: str) -> str:
    order_id = payload.get("order_id")
    if not isinstance(order_id, str) or not UUID.match(order_id):
        raise InvalidOrder(f"{where}.order_id: expected a UUID, got {order_id!r}")
    return order_id.lower()


class OrdersInbox:
    """The orders a supplier holds, keyed by MoJ order id, with the supplier's case id once opened."""

    handlers = {
        "electronic-monitoring.order-submitted": "accept",
        "electronic-monitoring.order-varied": "apply_variation",
        "electronic-monitoring.order-ended": "end_order",
    }

    def __init__(self) -> None:
        self.orders: dict[str, HeldOrder] = {}
        self._order_of_case: dict[str, str] = {}

    def handle(self, message: Mapping[str, Any]) -> Any:
        """Dispatch by eventType (for tools and tests that receive any order message)."""
        name = self.handlers.get(message.get("eventType")) if isinstance(message, Mapping) else None
        if name is None:
            raise InvalidOrder(f"the orders inbox does not take {message.get('eventType')!r}")
        return getattr(self, name)(message)

    # -- lookups --------------------------------------------------------------------------------
    def get(self, order_id: str) -> HeldOrder:
        try:
            return self.orders[order_id.lower()]
        except KeyError:
            raise UnknownOrder(f"no order {order_id} is held") from None

    def by_case(self, case_id: str) -> HeldOrder:
        order_id = self._order_of_case.get(case_id)
        if order_id is None:
            raise UnknownOrder(f"no order is held for case {case_id}")
        return self.orders[order_id]

    def attach_case(self, order_id: str, case_id: str) -> HeldOrder:
        """Record the case the supplier opened for an order; one case per order."""
        if not CASE_ID.match(case_id):
            raise ValueError(f"case id {case_id!r} is not a sys_id")
        order = self.get(order_id)
        if order.case_id not in (None, case_id):
            raise ValueError(f"order {order_id} already has case {order.case_id}")
        order.case_id = case_id
        self._order_of_case[case_id] = order.order_id
        return order

    def _target(self, payload: Mapping[str, Any], where: str) -> HeldOrder:
        order_id = _order_id(payload, where)
        case_id = payload.get("case_id")
        if order_id in self.orders:
            order = self.orders[order_id]
        elif case_id is not None and case_id in self._order_of_case:
            order = self.orders[self._order_of_case[case_id]]
        else:
            raise UnknownOrder(f"{where}: order {order_id} is not held")
        if case_id is not None and order.case_id is not None and case_id != order.case_id:
            raise InvalidOrder(f"{where}.case_id: order {order_id} is case {order.case_id}, not {case_id}")
        return order

    # -- handlers -------------------------------------------------------------------------------
    def accept(self, message: Mapping[str, Any]) -> Decision:
        """A new order: a Decision (approved and held, or rejected with reasons); InvalidOrder if unreadable."""
        where = "order-submitted.additionalInformation"
        p = _payload(message, "electronic-monitoring.order-submitted")
        order_id = _order_id(p, where)
        _text(p, "order_request_type", where, allowed=("New Order",))
        ddv = _text(p, "data_dictionary_version", where, allowed=DATA_DICTIONARY_VERSIONS)
        parts = {}
        for part in PARTS:
            value = _obj(p, part, where, optional=part in ("curfew", "zones"))
            if value is not None:
                CHECKS[part](value, f"{where}.{part}")
                parts[part] = copy.deepcopy(dict(value))
        order = HeldOrder(order_id=order_id, data_dictionary_version=ddv, **parts)
        if "Curfew with EM" in order.conditions and order.curfew is None:
            raise InvalidOrder(f"{where}.curfew: missing for a 'Curfew with EM' condition")
        if "EM Exclusion / Inclusion Zone" in order.conditions and order.zones is None:
            raise InvalidOrder(f"{where}.zones: missing for an 'EM Exclusion / Inclusion Zone' condition")

        if order_id in self.orders:
            held = self.orders[order_id]
            details = f"Order {order_id} was already submitted" + (f" (case {held.case_id})." if held.case_id else ".")
            return Decision(order_id, False, ({"section": "duplicate_submission", "details": details},))
        if order.needs_fitting and not usable_address(order.device_wearer):
            details = "No usable address to fit the equipment: the wearer has no fixed address or no address line."
            return Decision(order_id, False, ({"section": "other", "details": details},))
        self.orders[order_id] = order
        return Decision(order_id, True, (), order)

    def apply_variation(self, message: Mapping[str, Any]) -> HeldOrder:
        """Replace the parts the variation sends whole; a suspension stops monitoring from its date."""
        where = "order-varied.additionalInformation"
        p = _payload(message, "electronic-monitoring.order-varied")
        _text(p, "order_request_type", where, allowed=("Variation",))
        kind = _text(p, "order_variation_type", where, allowed=tuple(VARIATION_PARTS))
        effective = london(p.get("order_variation_date"), f"{where}.order_variation_date")
        request = _text(p, "service_request_type", where, allowed=VARIATION_REQUESTS)
        order = self._target(p, where)
        if order.ended:
            raise InvalidOrder(f"{where}: order {order.order_id} has ended; it can no longer be varied")
        needed = VARIATION_PARTS[kind]
        if needed is not None and p.get(needed) is None:
            raise InvalidOrder(f"{where}.{needed}: missing for a '{kind}' variation")
        sent = {}
        for part in PARTS:
            value = _obj(p, part, where, optional=True)
            if value is not None:
                CHECKS[part](value, f"{where}.{part}")
                sent[part] = copy.deepcopy(dict(value))
        if kind == "Change to Address" and not usable_address(sent["device_wearer"]) and order.needs_fitting:
            raise InvalidOrder(f"{where}.device_wearer: a change of address without a usable address")
        for part, value in sent.items():
            setattr(order, part, value)
        if kind == "Order Suspension":
            order.suspended_from = effective
        details = p.get("order_variation_details") if isinstance(p.get("order_variation_details"), str) else None
        order.variations.append(Variation(kind, effective, request, tuple(sent), details))
        return order

    def end_order(self, message: Mapping[str, Any]) -> HeldOrder:
        """Stop monitoring at the revocation date (SR21 revocation, SR11 bail removal); a repeat is harmless."""
        where = "order-ended.additionalInformation"
        p = _payload(message, "electronic-monitoring.order-ended")
        ended_at = london(p.get("revocation_date"), f"{where}.revocation_date")
        request = _text(p, "service_request_type", where, allowed=END_REQUESTS)
        reason = _text(p, "reason_for_order_ending_early", where, optional=True)
        order = self._target(p, where)
        if order.ended and (order.ended_at, order.end_request) != (ended_at, request):
            raise InvalidOrder(f"{where}: order {order.order_id} already ended at {order.ended_at:%Y-%m-%d %H:%M} UTC")
        order.ended_at, order.end_reason, order.end_request = ended_at, reason, request
        return order
