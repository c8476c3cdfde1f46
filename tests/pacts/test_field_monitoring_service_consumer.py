"""The supplier as a consumer: the Field Monitoring Service's pact with CEMO for the orders it receives.

The orders inbox (providers/field_monitoring/orders_inbox.py) takes new orders, applies a variation
of every kind CEMO can send, and ends orders. The pact asks for what the inbox reads: the order id,
the request type and data dictionary version, the wearer's identity and address, the order's
conditions and dates, curfew timetable, zones and the notifying organisation.
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from providers.field_monitoring.orders_inbox import (
    CONDITIONS,
    DATA_DICTIONARY_VERSIONS,
    DAYS,
    ORDER_TYPES,
    OrdersInbox,
)
from tests.pacts import support as s

P = "additionalInformation"
ORDER_ID = "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"
BAIL_ORDER_ID = "5b0e8c1e-6f3a-4b7e-9c2d-1a2b3c4d5e6f"
POSTCODE = s.regex(s.schema("order-submitted")["$defs"]["deviceWearer"]["properties"]["address_post_code"]["pattern"])

WEARER = {
    "first_name": s.TEXT,
    "last_name": s.TEXT,
    "date_of_birth": s.DATE,
    "adult_child": s.one_of("adult", "child"),
    "no_fixed_address": s.one_of("true", "false"),
}
WEARER_AT_ADDRESS = {**WEARER, "address_1": s.TEXT, "address_post_code": POSTCODE}
MONITORING_ORDER = {
    "order_type": s.one_of(*ORDER_TYPES),
    "order_start": s.LONDON,
    "enforceable_condition": s.each(1),
    "enforceable_condition[*].condition": s.one_of(*CONDITIONS),
    "enforceable_condition[*].start_date": s.LONDON,
}
CURFEW = {
    "curfew_start": s.LONDON,
    "curfew_duration": s.each(1),
    "curfew_duration[*].location": s.one_of("primary", "secondary", "tertiary"),
    "curfew_duration[*].schedule": s.each(0),
    "curfew_duration[*].schedule[*].day": s.one_of(*DAYS),
    "curfew_duration[*].schedule[*].start": s.HHMM,
    "curfew_duration[*].schedule[*].end": s.HHMM,
}
ZONES = {
    "exclusion_zones": s.each(0),
    "exclusion_zones[*].description": s.TEXT,
    "exclusion_zones[*].start": s.DATE,
    "inclusion_zones": s.each(0),
    "inclusion_zones[*].description": s.TEXT,
    "inclusion_zones[*].start": s.DATE,
}
PARTIES = {"notifying_organization": s.TEXT}
ORDER_HEAD = {
    "order_id": s.UUID,
    "order_request_type": s.EXACT,
    "data_dictionary_version": s.one_of(*DATA_DICTIONARY_VERSIONS),
}
SUBMITTED_FULL = {
    **ORDER_HEAD,
    **s.under("device_wearer", WEARER_AT_ADDRESS),
    **s.under("monitoring_order", {**MONITORING_ORDER, "order_type": s.EXACT, "order_end": s.LONDON}),
    **s.under("curfew", CURFEW),
    **s.under("zones", ZONES),
    **s.under("parties", PARTIES),
}
SUBMITTED_NON_FITTED = {
    **ORDER_HEAD,
    **s.under("device_wearer", WEARER),
    **s.under("monitoring_order", {**MONITORING_ORDER, "order_type": s.EXACT}),
    **s.under("parties", PARTIES),
}
VARIATION = {
    "order_id": s.UUID,
    "order_request_type": s.EXACT,
    "data_dictionary_version": s.one_of(*DATA_DICTIONARY_VERSIONS),
    "order_variation_type": s.EXACT,
    "order_variation_date": s.LONDON,
    "service_request_type": s.one_of("SR04", "SR05", "SR08"),
}
ENDED = {"order_id": s.UUID, "revocation_date": s.LONDON, "service_request_type": s.EXACT}

NEW_MONITORING_ORDER = {
    "order_type": "Post Release",
    "order_type_description": "GPS Acquisitive Crime HDC",
    "condition_type": "License Condition of a Custodial Order",
    "order_start": "2026-04-01 09:00:00",
    "order_end": "2026-10-01 23:59:00",
    "enforceable_condition": [
        {"condition": "Curfew with EM", "start_date": "2026-04-01 19:00:00", "end_date": "2026-10-01 23:59:00"},
        {"condition": "Location Monitoring (Fitted Device)", "start_date": "2026-08-10 09:00:00"},
    ],
    "trail_monitoring": "Yes",
    "abstinence": "No",
}


def variation(index: int, kind: str, details: str | None = None, rules: dict[str, s.Rule] | None = None, **parts: Any):
    """An order-varied body from a schema example, as the given kind, with the parts it sends whole."""
    msg = s.message("order-varied", index)
    payload = msg[P]
    for part in ("device_wearer", "monitoring_order", "curfew", "zones", "parties"):
        payload.pop(part, None)
    payload.update(order_variation_type=kind, **parts)
    extra = dict(rules or {})
    if details is not None:
        payload["order_variation_details"] = details
        extra["order_variation_details"] = s.TEXT
    return s.contract(msg, {**s.ENVELOPE, **s.under(P, {**VARIATION, **extra})})


def order_held(service: OrdersInbox, index: int = 0) -> None:
    """The supplier's own state before a variation or end: it accepted the order (once)."""
    order = s.example("order-submitted", index)
    if order[P]["order_id"] not in service.orders:
        assert service.accept(order).accepted


def bail_order_held(service: OrdersInbox) -> None:
    order_held(service, 1)


# -- checks ---------------------------------------------------------------------------------------
def accepted(needs_fitting: bool, parts: tuple[str, ...]) -> s.Check:
    def check(service: OrdersInbox, msg: dict[str, Any]) -> None:
        order = service.get(msg[P]["order_id"])
        assert order.needs_fitting is needs_fitting
        assert tuple(p for p in ("curfew", "zones") if getattr(order, p) is not None) == parts
        again = service.accept(msg)  # the same order twice is a duplicate, as the state says
        assert not again.accepted and again.reasons[0]["section"] == "duplicate_submission"

    return check


def varied(kind: str, part: str | None, effective: datetime) -> s.Check:
    def check(service: OrdersInbox, msg: dict[str, Any]) -> None:
        order = service.get(ORDER_ID)
        assert [(v.kind, v.effective) for v in order.variations] == [(kind, effective)]
        if part is not None:
            assert getattr(order, part) == msg[P][part]  # the part is replaced whole
        assert order.suspended is (kind == "Order Suspension")
        assert not order.ended

    return check


def ended(order_id: str, request: str, at: datetime) -> s.Check:
    def check(service: OrdersInbox, msg: dict[str, Any]) -> None:
        order = service.get(order_id)
        assert order.ended and order.end_request == request and order.ended_at == at
        service.end_order(msg)  # a redelivered end changes nothing
        assert service.get(order_id).ended_at == at

    return check


def bst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A London summer time wall clock as UTC (the example dates are all in BST)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


VARIED = "an order variation has been requested"
E = s.Expectation
FMS_FROM_CEMO = s.PactDef(
    consumer="field-monitoring-service",
    provider="cemo",
    make_service=OrdersInbox,
    expectations=(
        E(
            "an order with a curfew, zones and trail monitoring",
            "an order has been requested",
            s.contract(s.example("order-submitted", 0), {**s.ENVELOPE, **s.under(P, SUBMITTED_FULL)}),
            accepted(True, ("curfew", "zones")),
            {"order_type": "Post Release"},
        ),
        E(
            "an order for a non-fitted device with no fixed address",
            "an order has been requested",
            s.contract(s.example("order-submitted", 1), {**s.ENVELOPE, **s.under(P, SUBMITTED_NON_FITTED)}),
            accepted(False, ()),
            {"order_type": "Immigration"},
        ),
        E(
            "a variation of kind Change to Curfew Hours",
            VARIED,
            variation(
                0,
                "Change to Curfew Hours",
                rules=s.under("curfew", CURFEW),
                curfew=s.example("order-varied", 0)[P]["curfew"],
            ),
            varied("Change to Curfew Hours", "curfew", datetime(2026, 5, 31, 23, 0, tzinfo=UTC)),
            {"order_variation_type": "Change to Curfew Hours"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Change to Address",
            VARIED,
            variation(
                1,
                "Change to Address",
                rules=s.under("device_wearer", WEARER_AT_ADDRESS),
                device_wearer=s.example("order-varied", 1)[P]["device_wearer"],
            ),
            varied("Change to Address", "device_wearer", bst(7, 15, 12)),
            {"order_variation_type": "Change to Address"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Change to Personal Details",
            VARIED,
            variation(
                1,
                "Change to Personal Details",
                "Family name spelling corrected.",
                rules=s.under("device_wearer", WEARER_AT_ADDRESS),
                device_wearer={
                    **s.example("order-varied", 1)[P]["device_wearer"],
                    "last_name": "Exampel",
                    "address_1": "1 Test Street",
                    "address_post_code": "ZZ1 1ZZ",
                },
                service_request_type="SR08",
            ),
            varied("Change to Personal Details", "device_wearer", bst(7, 15, 12)),
            {"order_variation_type": "Change to Personal Details"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Change to add an Inclusion or Exclusion Zone(s)",
            VARIED,
            variation(
                2,
                "Change to add an Inclusion or Exclusion Zone(s)",
                rules=s.under("zones", ZONES),
                zones=s.example("order-varied", 2)[P]["zones"],
            ),
            varied("Change to add an Inclusion or Exclusion Zone(s)", "zones", bst(8, 1, 9)),
            {"order_variation_type": "Change to add an Inclusion or Exclusion Zone(s)"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Change to an existing Inclusion or Exclusion Zone(s)",
            VARIED,
            variation(
                2,
                "Change to an existing Inclusion or Exclusion Zone(s)",
                "Exclusion zone now ends in September.",
                rules=s.under("zones", ZONES),
                zones={
                    "exclusion_zones": [
                        {
                            "description": "Synthetic exclusion zone: 200 m around 10 Test Road, Testville",
                            "duration": "Monday to Sunday, all day",
                            "start": "2026-04-01",
                            "end": "2026-09-01",
                        }
                    ],
                    "inclusion_zones": s.example("order-varied", 2)[P]["zones"]["inclusion_zones"],
                },
            ),
            varied("Change to an existing Inclusion or Exclusion Zone(s)", "zones", bst(8, 1, 9)),
            {"order_variation_type": "Change to an existing Inclusion or Exclusion Zone(s)"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Change to Enforceable Condition",
            VARIED,
            variation(
                0,
                "Change to Enforceable Condition",
                "Zones removed; curfew and trail monitoring stay.",
                rules=s.under("monitoring_order", MONITORING_ORDER),
                monitoring_order=NEW_MONITORING_ORDER,
                order_variation_date="2026-08-10 09:00:00",
            ),
            varied("Change to Enforceable Condition", "monitoring_order", bst(8, 10, 9)),
            {"order_variation_type": "Change to Enforceable Condition"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Change to Device Type",
            VARIED,
            variation(
                0,
                "Change to Device Type",
                "Fitted tag replaced by a non-fitted device.",
                rules=s.under("monitoring_order", MONITORING_ORDER),
                monitoring_order={
                    **NEW_MONITORING_ORDER,
                    "enforceable_condition": [
                        {"condition": "Curfew with EM", "start_date": "2026-04-01 19:00:00"},
                        {
                            "condition": "Location Monitoring (using Non-Fitted Device)",
                            "start_date": "2026-08-10 09:00:00",
                        },
                    ],
                },
                order_variation_date="2026-08-10 09:00:00",
                service_request_type="SR04",
            ),
            varied("Change to Device Type", "monitoring_order", bst(8, 10, 9)),
            {"order_variation_type": "Change to Device Type"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Order Suspension",
            VARIED,
            variation(3, "Order Suspension", "Monitoring suspended during a hospital stay."),
            varied("Order Suspension", None, bst(9, 1, 0)),
            {"order_variation_type": "Order Suspension"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Admin Error",
            VARIED,
            variation(3, "Admin Error", "Order start date was keyed a day late; no change to monitoring."),
            varied("Admin Error", None, bst(9, 1, 0)),
            {"order_variation_type": "Admin Error"},
            arrange=order_held,
        ),
        E(
            "a variation of kind Other",
            VARIED,
            variation(3, "Other", "Responsible officer on leave until 15 September."),
            varied("Other", None, bst(9, 1, 0)),
            {"order_variation_type": "Other"},
            arrange=order_held,
        ),
        E(
            "an order end by revocation",
            "an order end has been requested",
            s.contract(s.example("order-ended", 0), {**s.ENVELOPE, **s.under(P, ENDED)}),
            ended(ORDER_ID, "SR21", bst(9, 15, 23, 59)),
            arrange=order_held,
        ),
        E(
            "an order end removing bail devices",
            "an order end has been requested",
            s.contract(s.example("order-ended", 1), {**s.ENVELOPE, **s.under(P, ENDED)}),
            ended(BAIL_ORDER_ID, "SR11", bst(6, 30, 23, 59)),
            params={"order_type": "Bail"},
            arrange=bail_order_held,
        ),
    ),
)
PACTS = (FMS_FROM_CEMO,)


@pytest.mark.parametrize(("pact_def", "expectation"), s.cases(PACTS))
def test_orders_inbox_handles(pact_def: s.PactDef, expectation: s.Expectation) -> None:
    s.check_one(pact_def, expectation)


@pytest.mark.parametrize("pact_def", PACTS, ids=lambda d: d.file_name)
def test_orders_inbox_pact_written(pact_def: s.PactDef, pact_dir: Path) -> None:
    path = s.write(pact_def, pact_dir)
    assert path.name == "field-monitoring-service-cemo.json"
    assert s.interactions_in(path) == len(pact_def.expectations)


def test_every_variation_kind_has_an_interaction() -> None:
    from providers.field_monitoring.orders_inbox import VARIATION_PARTS

    kinds = {e.params.get("order_variation_type") for e in FMS_FROM_CEMO.expectations if e.state == VARIED}
    assert kinds == set(VARIATION_PARTS)
