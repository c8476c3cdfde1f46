"""CEMO's order desk (consumers/cemo/publisher.py), without a broker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.cemo.publisher import OrderDesk
from tests.providers.support import example, validate

NOW = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
ORDER_ID = "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"


def desk() -> OrderDesk:
    return OrderDesk(clock=lambda: NOW)


def test_new_order_is_complete_and_valid() -> None:
    (out,) = desk().on_order_request(example("sim-order-request"))
    assert validate(out.body) == []
    info = out.body["additionalInformation"]
    assert info["order_id"] == ORDER_ID
    assert info["monitoring_order"]["order_start"] == "2026-03-31 09:00:00"  # London local, next day
    assert info["device_wearer"]["delius_id"] == "X123456"
    assert info["device_wearer"]["nomis_id"] == "A1234BC"
    assert out.body["occurredAt"] == "2026-03-30T08:00:00Z"


@pytest.mark.parametrize(
    "order_type", ["Civil", "Community", "Immigration", "Post Release", "Pre-Trial", "Special", "Bail"]
)
def test_every_order_type_is_valid(order_type: str) -> None:
    request = example("sim-order-request")
    request["additionalInformation"]["order_type"] = order_type
    (out,) = desk().on_order_request(request)
    assert validate(out.body) == []


def test_variation_starts_from_the_submitted_order() -> None:
    orders = desk()
    orders.on_order_request(example("sim-order-request"))
    request = example("sim-order-request", 1)
    request["additionalInformation"]["order_variation_type"] = "Change to Address"
    (out,) = orders.on_order_request(request)
    assert validate(out.body) == []
    info = out.body["additionalInformation"]
    assert info["service_request_type"] == "SR04"
    assert info["device_wearer"]["address_post_code"] == "ZZ9 9ZZ"
    assert info["device_wearer"]["delius_id"] == "X123456"
    assert orders.orders[ORDER_ID]["device_wearer"]["address_post_code"] == "ZZ9 9ZZ"


def test_curfew_variation_carries_the_new_curfew() -> None:
    (out,) = desk().on_order_request(example("sim-order-request", 1))
    info = out.body["additionalInformation"]
    assert info["order_variation_type"] == "Change to Curfew Hours"
    assert {e["start"] for e in info["curfew"]["curfew_duration"][0]["schedule"]} == {"00:00", "20:00"}
    assert info["order_variation_date"] == "2026-03-31 00:00:00"


def test_ending_a_bail_order_is_a_removal() -> None:
    orders = desk()
    request = example("sim-order-request")
    request["additionalInformation"]["order_type"] = "Bail"
    orders.on_order_request(request)
    (out,) = orders.on_order_request(example("sim-order-request", 2))
    assert validate(out.body) == []
    info = out.body["additionalInformation"]
    assert (info["service_request_type"], info["revocation_date"]) == ("SR11", "2026-09-15 23:59:00")
    assert info["reason_for_order_ending_early"] == "Order revoked by the court"


def test_request_without_an_order_id_is_ignored() -> None:
    assert desk().on_order_request({"additionalInformation": {"kind": "new"}}) == []
    assert desk().on_order_request({"additionalInformation": {"kind": "other", "order_id": ORDER_ID}}) == []


@pytest.mark.parametrize("order_type", ["Immigration", "Post Release"])
@pytest.mark.parametrize(
    "variation",
    ["Change to Curfew Hours", "Change to add an Inclusion or Exclusion Zone(s)", "Change to Device Type"],
)
def test_variation_of_any_order_is_valid(order_type: str, variation: str) -> None:
    orders = desk()
    request = example("sim-order-request")
    request["additionalInformation"]["order_type"] = order_type
    orders.on_order_request(request)
    varied = example("sim-order-request", 1)
    varied["additionalInformation"]["order_variation_type"] = variation
    (out,) = orders.on_order_request(varied)
    assert validate(out.body) == []
    info = out.body["additionalInformation"]
    if variation.startswith("Change to add"):
        assert set(info["zones"]) == {"exclusion_zones", "inclusion_zones"}


def test_immigration_order_is_non_fitted_without_an_address() -> None:
    request = example("sim-order-request")
    request["additionalInformation"]["order_type"] = "Immigration"
    (out,) = desk().on_order_request(request)
    info = out.body["additionalInformation"]
    assert info["device_wearer"]["no_fixed_address"] == "true"
    assert "curfew" not in info and "zones" not in info
    assert info["parties"]["notifying_organization"] == "Home Office"
