"""CEMO as the provider of orders: simulated order requests in, order commands to the supplier out.

The reference consumer side of CEMO (consumers/cemo/app.py) follows orders through the supplier; this
app is the other half, the one a supplier depends on: it turns a request on em-harness.sim-order-request
into a complete order command (order-submitted, order-varied or order-ended) in the shape the supplier
expects, so `em-harness verify --provider cemo` can check CEMO against the supplier's pacts.

Orders are built from a synthetic template (Alice Example, a curfew, a fitted tag), with the requested
order id, order type and the CRN/NOMS of the request's personReference. Order times are London local
'yyyy-MM-dd HH:mm:ss'; the envelope's are UTC. A variation or end of an order this CEMO submitted starts
from that order; of any other order, from the template.

Run with `python -m consumers.cemo.publisher` (EM_BUS_URL picks the bus).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from providers.messages import (
    LONDON,
    Outgoing,
    event,
    identifier_values,
    london_text,
    parse_london,
    person_reference_of,
)
from providers.wiring import Handler, Publisher, Supplier, build_supplier

PROVIDER = "cemo"
SOURCE = "cemo"
DEFAULT_DDV = "DDV6"
NOTIFYING = {
    "Post Release": "Prison",
    "Community": "Magistrates Court",
    "Pre-Trial": "Magistrates Court",
    "Bail": "Crown Court",
    "Immigration": "Home Office",
    "Civil": "Civil County Court",
    "Special": "Probation",
}
CONDITION_TYPE = {
    "Post Release": "License Condition of a Custodial Order",
    "Community": "Requirement of a Community Order",
    "Bail": "Bail Order",
    "Pre-Trial": "Bail Order",
    "Immigration": "Bail Order",
}
DAYS = ("Mo", "Tu", "Wed", "Th", "Fr", "Sa", "Su")
# Service request per variation: a new address or device needs a re-install (SR04); the rest amend (SR08).
VARIATION_SR = {"Change to Address": "SR04", "Change to Device Type": "SR04"}
ZONE_VARIATIONS = (
    "Change to add an Inclusion or Exclusion Zone(s)",
    "Change to an existing Inclusion or Exclusion Zone(s)",
)

Clock = Callable[[], datetime]


def _payload(message: dict[str, Any]) -> dict[str, Any]:
    payload = message.get("additionalInformation")
    return payload if isinstance(payload, dict) else {}


def _identifier(person_reference: dict[str, Any] | None, kind: str) -> str | None:
    for item in (person_reference or {}).get("identifiers", []):
        if isinstance(item, dict) and item.get("type") == kind:
            return str(item.get("value"))
    return None


def _zone(description: str, start: datetime, end: datetime) -> dict[str, str]:
    return {
        "description": description,
        "duration": "Monday to Sunday, all day",
        "start": start.date().isoformat(),
        "end": end.date().isoformat(),
    }


def _schedule(start: str) -> list[dict[str, str]]:
    return [
        entry
        for day in DAYS
        for entry in ({"day": day, "start": "00:00", "end": "07:00"}, {"day": day, "start": start, "end": "23:59"})
    ]


class OrderDesk:
    """Builds CEMO's order commands and remembers the orders it submitted."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.orders: dict[str, dict[str, Any]] = {}

    def on_order_request(self, message: dict[str, Any]) -> list[Outgoing]:
        request = _payload(message)
        order_id = request.get("order_id")
        if not isinstance(order_id, str):
            return []
        person_ref = person_reference_of(message)
        kind = request.get("kind")
        if kind == "new":
            return [self.new_order(order_id, request, person_ref)]
        if kind == "variation":
            return [self.variation(order_id, request, person_ref)]
        if kind == "end":
            return [self.ending(order_id, request, person_ref)]
        return []

    # -- the three commands ------------------------------------------------------------------------
    def new_order(self, order_id: str, request: dict[str, Any], person_ref: dict[str, Any] | None) -> Outgoing:
        payload = self.template(order_id, request, person_ref)
        self.orders[order_id] = payload
        return self._event(
            "order-submitted", payload, person_ref, f"New {payload['monitoring_order']['order_type']} order"
        )

    def variation(self, order_id: str, request: dict[str, Any], person_ref: dict[str, Any] | None) -> Outgoing:
        base = self.orders.get(order_id) or self.template(order_id, request, person_ref)
        kind = str(request.get("order_variation_type") or "Other")
        payload: dict[str, Any] = {"order_id": order_id}
        if request.get("case_id"):
            payload["case_id"] = request["case_id"]
        payload.update(
            {
                "order_request_type": "Variation",
                "data_dictionary_version": request.get("data_dictionary_version") or base["data_dictionary_version"],
                "order_variation_type": kind,
                "order_variation_date": london_text(self._tomorrow(time(0, 0))),
                "order_variation_details": f"Synthetic variation: {kind}.",
                "service_request_type": VARIATION_SR.get(kind, "SR08"),
            }
        )
        payload.update(self._changed_parts(kind, base))
        for part in ("device_wearer", "monitoring_order", "curfew", "zones"):
            if part in payload:
                base[part] = copy.deepcopy(payload[part])
        return self._event("order-varied", payload, person_ref, kind)

    def ending(self, order_id: str, request: dict[str, Any], person_ref: dict[str, Any] | None) -> Outgoing:
        base = self.orders.get(order_id)
        order_type = request.get("order_type") or (base or {}).get("monitoring_order", {}).get("order_type")
        payload: dict[str, Any] = {"order_id": order_id}
        if request.get("case_id"):
            payload["case_id"] = request["case_id"]
        payload["data_dictionary_version"] = (
            request.get("data_dictionary_version") or (base or {}).get("data_dictionary_version") or DEFAULT_DDV
        )
        payload["revocation_date"] = request.get("revocation_date") or london_text(self._tomorrow(time(23, 59)))
        if request.get("reason"):
            payload["reason_for_order_ending_early"] = request["reason"]
        payload["service_request_type"] = "SR11" if order_type == "Bail" else "SR21"
        return self._event("order-ended", payload, person_ref, "Order ended early")

    # -- building blocks ---------------------------------------------------------------------------
    def template(self, order_id: str, request: dict[str, Any], person_ref: dict[str, Any] | None) -> dict[str, Any]:
        """A complete, valid new-order payload for a synthetic wearer.

        An immigration order is a Home Office bail order with a non-fitted device and no fixed address;
        every other order type gets a curfew, a fitted tag, exclusion and inclusion zones and trail
        monitoring at the wearer's address.
        """
        order_type = request.get("order_type") or "Post Release"
        start = self._tomorrow(time(9, 0))
        end = datetime.combine(start.date() + timedelta(days=182), time(23, 59), tzinfo=LONDON)
        wearer: dict[str, Any] = {
            "first_name": "Alice",
            "last_name": "Example",
            "date_of_birth": "1990-01-01",
            "adult_child": "adult",
            "sex": "Female",
            "phone_number": "07700 900001",
            "interpreter_required": "false",
            "language": "English",
        }
        if crn := _identifier(person_ref, "CRN"):
            wearer["delius_id"] = crn
        if noms := _identifier(person_ref, "NOMS"):
            wearer["nomis_id"] = noms
        monitoring: dict[str, Any] = {"order_type": order_type}
        if order_type == "Post Release":
            monitoring["order_type_description"] = "GPS Acquisitive Crime HDC"
        if order_type in CONDITION_TYPE:
            monitoring["condition_type"] = CONDITION_TYPE[order_type]
        monitoring["order_start"] = london_text(start)
        monitoring["order_end"] = london_text(end)
        payload: dict[str, Any] = {
            "order_id": order_id,
            "order_request_type": "New Order",
            "data_dictionary_version": request.get("data_dictionary_version") or DEFAULT_DDV,
            "device_wearer": wearer,
            "monitoring_order": monitoring,
        }
        if order_type == "Immigration":
            wearer["no_fixed_address"] = "true"
            wearer["home_office_case_reference_number"] = "HO-TEST-000001"
            monitoring["enforceable_condition"] = [
                {"condition": "Location Monitoring (using Non-Fitted Device)", "start_date": london_text(start)}
            ]
            monitoring["trail_monitoring"] = "Yes"
        else:
            wearer.update({"address_1": "1 Test Street", "address_3": "Testville", "address_post_code": "ZZ1 1ZZ"})
            wearer["no_fixed_address"] = "false"
            curfew_start = datetime.combine(start.date(), time(19, 0), tzinfo=LONDON)
            period = {"start_date": london_text(start), "end_date": london_text(end)}
            monitoring["enforceable_condition"] = [
                {"condition": "Curfew with EM", "start_date": london_text(curfew_start), "end_date": london_text(end)},
                {"condition": "Location Monitoring (Fitted Device)", **period},
                {"condition": "EM Exclusion / Inclusion Zone", **period},
            ]
            monitoring["trail_monitoring"] = "Yes"
            monitoring["abstinence"] = "No"
            payload["curfew"] = self._curfew(curfew_start, end, "19:00")
            payload["zones"] = {
                "exclusion_zones": [
                    _zone("Synthetic exclusion zone: 200 m around 10 Test Road, Testville", start, end)
                ],
                "inclusion_zones": [_zone("Synthetic inclusion zone: Testville town centre", start, end)],
            }
        payload["parties"] = {
            "notifying_organization": NOTIFYING.get(order_type, "Probation"),
            "responsible_organization": "Home Office" if order_type == "Immigration" else "Probation",
            "responsible_officer_name": "Testy McTestface",
            "responsible_officer_phone": "07700 900002",
            "responsible_officer_email": "testy.mctestface@example.com",
        }
        return payload

    @staticmethod
    def _curfew(first: datetime, end: datetime, evening: str) -> dict[str, Any]:
        return {
            "curfew_start": london_text(first),
            "curfew_end": london_text(datetime.combine(end.date(), time(7, 0), tzinfo=LONDON)),
            "curfew_duration": [{"location": "primary", "allday": "No", "schedule": _schedule(evening)}],
        }

    def _changed_parts(self, kind: str, base: dict[str, Any]) -> dict[str, Any]:
        """The parts a variation of this kind carries, whole, in their new state."""
        start = self._tomorrow(time(9, 0))
        if kind in ("Change to Address", "Change to Personal Details"):
            wearer = copy.deepcopy(base["device_wearer"])
            if kind == "Change to Address":
                wearer.update(
                    {"address_1": "99 Sample Avenue", "address_3": "Testville", "address_post_code": "ZZ9 9ZZ"}
                )
                wearer["no_fixed_address"] = "false"
            else:
                wearer.update({"alias": "Ally Example", "phone_number": "07700 900003"})
            return {"device_wearer": wearer}
        if kind in ZONE_VARIATIONS:
            zones = copy.deepcopy(base.get("zones") or {})
            zones.setdefault("exclusion_zones", [])
            zones.setdefault("inclusion_zones", [])
            if kind == ZONE_VARIATIONS[0] or not zones["exclusion_zones"]:
                text = "Synthetic exclusion zone: 100 m around 20 Test Lane, Testville"
                zones["exclusion_zones"].append(_zone(text, start, start + timedelta(days=90)))
            else:
                zones["exclusion_zones"][0]["duration"] = "Monday to Friday, all day"
            return {"zones": zones}
        if kind == "Change to Curfew Hours":
            end = parse_london(base["monitoring_order"].get("order_end")) or start + timedelta(days=182)
            return {"curfew": self._curfew(self._tomorrow(time(20, 0)), end, "20:00")}
        if kind in ("Change to Device Type", "Change to Enforceable Condition"):
            monitoring = copy.deepcopy(base["monitoring_order"])
            if kind == "Change to Device Type":
                swap = {
                    "Location Monitoring (Fitted Device)": "Location Monitoring (using Non-Fitted Device)",
                    "Location Monitoring (using Non-Fitted Device)": "Location Monitoring (Fitted Device)",
                }
                for condition in monitoring["enforceable_condition"]:
                    if condition["condition"] in swap:
                        condition["condition"] = swap[condition["condition"]]
                        condition["start_date"] = london_text(start)
            else:
                monitoring["enforceable_condition"].append(
                    {"condition": "Attendance Requirement", "start_date": london_text(start)}
                )
            return {"monitoring_order": monitoring}
        return {}

    def _tomorrow(self, at: time) -> datetime:
        today = self.clock().astimezone(LONDON).date()
        return datetime.combine(today + timedelta(days=1), at, tzinfo=LONDON)

    def _event(self, message: str, payload: dict[str, Any], person_ref: dict[str, Any] | None, text: str) -> Outgoing:
        now = self.clock()
        return event(
            message,
            SOURCE,
            payload,
            occurred_at=now,
            published_at=now,
            person_reference=person_ref if identifier_values(person_ref) else None,
            description=text,
        )


def routes(desk: OrderDesk) -> Mapping[str, Handler]:
    """Channel address -> handler: CEMO as a provider consumes only the simulated order requests."""
    return {"em-harness.sim-order-request": desk.on_order_request}


def create(desk: OrderDesk | None = None, publisher_cls: type[Publisher] = Publisher) -> Supplier:
    """A new CEMO order publisher on a new broker for EM_BUS_URL."""
    return build_supplier(PROVIDER, desk or OrderDesk(), routes, publisher_cls)


supplier = create()
app = supplier.app
broker = supplier.broker

if __name__ == "__main__":
    asyncio.run(app.run())
