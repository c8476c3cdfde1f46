"""The supplier as a consumer of orders: the Field Monitoring Service's orders inbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from providers.field_monitoring.orders_inbox import InvalidOrder, OrdersInbox, UnknownOrder

ORDER = "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"
CASE = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture
def inbox(example) -> OrdersInbox:
    box = OrdersInbox()
    assert box.handle(example("order-submitted", 0)).status == "approved"
    return box


def test_accepts_and_holds_the_order(inbox: OrdersInbox) -> None:
    order = inbox.get(ORDER)
    assert order.needs_fitting and order.curfew is not None and order.zones is not None
    assert order.conditions[0] == "Curfew with EM"
    assert inbox.attach_case(ORDER, CASE) is inbox.by_case(CASE)


def test_duplicate_is_rejected_with_the_case_named(inbox: OrdersInbox, example) -> None:
    inbox.attach_case(ORDER, CASE)
    decision = inbox.accept(example("order-submitted", 0))
    assert decision.status == "rejected" and decision.order is None
    assert decision.reasons[0]["section"] == "duplicate_submission" and CASE in decision.reasons[0]["details"]


def test_no_usable_address_for_a_fitting_is_rejected_as_other(example) -> None:
    msg = example("order-submitted", 0)
    wearer = msg["additionalInformation"]["device_wearer"]
    wearer["no_fixed_address"] = "true"
    for key in ("address_1", "address_2", "address_3", "address_4", "address_post_code"):
        wearer.pop(key)
    decision = OrdersInbox().accept(msg)
    assert decision.status == "rejected"
    assert decision.reasons == ({"section": "other", "details": decision.reasons[0]["details"]},)
    assert decision.reasons[0]["details"]


def test_non_fitted_device_needs_no_address(example) -> None:
    decision = OrdersInbox().accept(example("order-submitted", 1))
    assert decision.accepted and not decision.order.needs_fitting


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda p: p.pop("curfew"), "curfew: missing"),
        (lambda p: p.update(order_id="not-a-uuid"), "order_id: expected a UUID"),
        (lambda p: p.update(order_request_type="Variation"), "order_request_type"),
        (lambda p: p["monitoring_order"].update(order_start="2026-04-01T09:00:00Z"), "London local time"),
        (lambda p: p["monitoring_order"].update(order_end="2026-03-01 00:00:00"), "order_end is before"),
        (lambda p: p["curfew"]["curfew_duration"][0]["schedule"][0].update(day="Monday"), "day"),
        (lambda p: p["zones"].update(exclusion_zones=[], inclusion_zones=[]), "no exclusion or inclusion zone"),
    ],
)
def test_unreadable_orders_raise(example, change, error) -> None:
    msg = example("order-submitted", 0)
    change(msg["additionalInformation"])
    box = OrdersInbox()
    with pytest.raises(InvalidOrder, match=error):
        box.accept(msg)
    assert box.orders == {}


def test_variation_replaces_the_part_whole(inbox: OrdersInbox, example) -> None:
    varied = example("order-varied", 0)
    order = inbox.apply_variation(varied)
    assert order.curfew == varied["additionalInformation"]["curfew"]
    assert order.variations[0].parts == ("curfew",)
    assert order.variations[0].effective == datetime(2026, 5, 31, 23, 0, tzinfo=UTC)


def test_suspension_and_end(inbox: OrdersInbox, example) -> None:
    inbox.apply_variation(example("order-varied", 3))
    assert inbox.get(ORDER).suspended
    ended = inbox.end_order(example("order-ended", 0))
    assert ended.ended and ended.end_request == "SR21"
    with pytest.raises(InvalidOrder, match="can no longer be varied"):
        inbox.apply_variation(example("order-varied", 0))
    with pytest.raises(InvalidOrder, match="already ended"):
        inbox.end_order(example("order-ended", 0, revocation_date="2026-09-20 23:59:00"))


def test_variation_missing_its_part_or_for_an_unknown_order(inbox: OrdersInbox, example) -> None:
    msg = example("order-varied", 0)
    del msg["additionalInformation"]["curfew"]
    with pytest.raises(InvalidOrder, match="curfew: missing for a 'Change to Curfew Hours' variation"):
        inbox.apply_variation(msg)
    with pytest.raises(UnknownOrder):
        OrdersInbox().apply_variation(example("order-varied", 0))
    with pytest.raises(UnknownOrder):
        OrdersInbox().end_order(example("order-ended", 1))


def test_case_id_must_match_the_held_case(inbox: OrdersInbox, example) -> None:
    inbox.attach_case(ORDER, "a1b2c3d4e5f60718293a4b5c6d7e8f90")
    with pytest.raises(InvalidOrder, match="case_id"):
        inbox.apply_variation(example("order-varied", 0))


def test_address_change_without_an_address_is_refused(inbox: OrdersInbox, example) -> None:
    msg = example("order-varied", 1)
    wearer = msg["additionalInformation"]["device_wearer"]
    wearer["no_fixed_address"] = "true"
    with pytest.raises(InvalidOrder, match="without a usable address"):
        inbox.apply_variation(msg)
    assert inbox.get(ORDER).device_wearer["address_1"] == "1 Test Street"


def test_other_messages_are_not_taken(example) -> None:
    with pytest.raises(InvalidOrder, match="does not take"):
        OrdersInbox().handle(example("case-created", 0))
