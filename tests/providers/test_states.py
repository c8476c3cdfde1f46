"""Every provider state in contracts/states/, run against its reference supplier in memory.

For each state: the supplier publishes the messages STATES (the vocabulary) promises, correlated with
the interaction's tokens, on their channels, valid against their schemas and without undeclared fields.
"""

from __future__ import annotations

from typing import Any

import pytest

from consumers.cemo import publisher as cemo
from providers import field_monitoring, monitoring_data
from tests.providers.support import STATES, Run, problems, run_state

FMS = "field-monitoring-service"
MDSS = "monitoring-data-service"
CEMO = "cemo"
APPS = {FMS: field_monitoring.app, MDSS: monitoring_data.app, CEMO: cemo.app}

VOCABULARY = {
    FMS: {
        "an order has been submitted",
        "a duplicate order has been submitted",
        "an order has been submitted without a usable address",
        "a device has been fitted",
        "equipment has been removed",
        "monitoring has ended",
        "a device wearer has breached curfew",
        "a curfew violation has been excused",
        "an order has been varied",
        "equipment is removed days after the order ended",
        "a device wearer was away outside curfew hours",
        "a device has been tampered with",
    },
    MDSS: {
        "a device has been activated",
        "a device has been deactivated",
        "a device has reported positions",
        "a device has reported its battery level",
        "a device has been tampered with",
        "a supplier file has been delivered",
    },
    CEMO: {"an order has been requested", "an order variation has been requested", "an order end has been requested"},
}


@pytest.mark.parametrize("provider", sorted(VOCABULARY))
def test_states_files_define_exactly_the_vocabulary(provider: str) -> None:
    assert STATES[provider].provider == provider
    assert not STATES[provider].problems
    assert set(STATES[provider].states) == VOCABULARY[provider]


def all_clean(run: Run) -> None:
    bad = {p.message: problems(p) for p in run.published if problems(p)}
    assert not bad, bad


def order_id(run: Run) -> str:
    return str(run.tokens.values["order_id"])


# -- field monitoring service ----------------------------------------------------------------------
async def test_order_submitted_opens_and_approves_a_case() -> None:
    run = await run_state(APPS[FMS], FMS, "an order has been submitted")
    all_clean(run)
    created = run.one("case-created")
    status = run.one("case-status-returned")
    assert created.info["orderId"] == order_id(run) == status.info["orderId"]
    assert status.info["caseId"] == created.info["caseId"]
    assert status.info["status"] == "approved"
    crn = run.tokens.values["crn"]
    assert {"type": "CRN", "value": crn} in created.body["personReference"]["identifiers"]
    assert [p.message for p in run.published] == ["case-created", "case-status-returned"]


async def test_duplicate_order_is_rejected_and_opens_no_second_case() -> None:
    run = await run_state(APPS[FMS], FMS, "a duplicate order has been submitted")
    all_clean(run)
    assert len(run.of("case-created")) == 1
    statuses = [p.info for p in run.of("case-status-returned")]
    assert [s["status"] for s in statuses] == ["approved", "rejected"]
    assert statuses[1]["reasons"][0]["section"] == "duplicate_submission"
    assert statuses[1]["caseId"] == statuses[0]["caseId"]


async def test_order_without_usable_address_is_rejected_with_other_and_details() -> None:
    run = await run_state(APPS[FMS], FMS, "an order has been submitted without a usable address")
    all_clean(run)
    status = run.one("case-status-returned").info
    assert status["status"] == "rejected"
    assert status["reasons"][0]["section"] == "other"
    assert "no fixed address" in status["reasons"][0]["details"]


@pytest.mark.parametrize("device_class", ["GPS monitoring device", "home monitoring unit"])
async def test_device_fitted(device_class: str) -> None:
    run = await run_state(APPS[FMS], FMS, "a device has been fitted", {"device_class": device_class})
    all_clean(run)
    assert run.one("visit-completed").info["visit_type"] == "install"
    installed = run.one("equipment-installed").info
    assert installed["device_id"] == run.tokens.values["device_id"]
    assert installed["device_class"] == device_class
    assert [p.info["status"] for p in run.of("case-status-returned")] == ["approved", "installed"]


async def test_equipment_removed_after_the_order_ended() -> None:
    run = await run_state(APPS[FMS], FMS, "equipment has been removed")
    all_clean(run)
    assert [p.info["visit_type"] for p in run.of("visit-completed")] == ["install", "removal"]
    removed = run.one("equipment-removed").info
    assert removed["device_id"] == run.tokens.values["device_id"]
    assert removed["reason"] == "order ended"
    ended = run.one("monitoring-ended")
    assert ended.info["orderId"] == order_id(run)
    assert run.published.index(ended) > run.published.index(run.one("equipment-removed"))


async def test_monitoring_ended_at_once_when_nothing_is_fitted() -> None:
    run = await run_state(APPS[FMS], FMS, "monitoring has ended")
    all_clean(run)
    ended = run.one("monitoring-ended").info
    assert ended["orderId"] == order_id(run)
    assert ended["reason"] == "order revoked"  # the example order-ended is an SR21 revocation


@pytest.mark.parametrize(("minutes", "end"), [(None, "2026-06-20 21:50:00"), (10, "2026-06-20 21:15:00")])
async def test_curfew_breach_raises_a_curfew_violation(minutes: int | None, end: str) -> None:
    params = {} if minutes is None else {"minutes_absent": minutes}
    run = await run_state(APPS[FMS], FMS, "a device wearer has breached curfew", params)
    all_clean(run)
    violation = run.one("violation-raised").info
    assert violation["category"] == "curfew"
    assert violation["start"] == "2026-06-20 21:05:00"  # 20:05 UTC is 21:05 in British Summer Time
    assert violation["end"] == end
    assert violation["duration"] == (minutes or 45) * 60
    assert violation["active"] is True


async def test_excused_violation_is_closed_with_the_excuse() -> None:
    run = await run_state(APPS[FMS], FMS, "a curfew violation has been excused")
    all_clean(run)
    raised = run.one("violation-raised").info
    updated = run.one("violation-updated").info
    assert updated["sys_id"] == raised["sys_id"]
    assert (updated["reasonable_excuse"], updated["state"], updated["active"]) == ("Yes", "Closed", False)
    assert updated["outcome_reason"].startswith("Synthetic excuse")


async def test_fms_tamper_raises_alert_and_violation() -> None:
    run = await run_state(APPS[FMS], FMS, "a device has been tampered with")
    all_clean(run)
    assert run.one("alert-raised").info["alert_class"] == "indication_noncompliance"
    assert run.one("violation-raised").info["category"] == "tamper"


# -- monitoring data service --------------------------------------------------------------------
@pytest.mark.parametrize("device_class", ["GPS monitoring device", "alcohol monitoring device"])
async def test_device_activated(device_class: str) -> None:
    run = await run_state(APPS[MDSS], MDSS, "a device has been activated", {"device_class": device_class})
    all_clean(run)
    info = run.one("device-activated").info
    assert (info["device_id"], info["person_id"]) == (run.tokens.values["device_id"], run.tokens.values["person_id"])
    assert info["device_class"] == device_class


async def test_device_deactivated_carries_its_activation() -> None:
    run = await run_state(APPS[MDSS], MDSS, "a device has been deactivated")
    all_clean(run)
    activated = run.one("device-activated").info
    deactivated = run.one("device-deactivated").info
    assert deactivated["device_activation_id"] == activated["device_activation_id"]
    assert deactivated["device_deactivation_date"] == "2026-10-02T09:21:00Z"


@pytest.mark.parametrize("count", [None, 5])
async def test_positions_reported_as_one_batch(count: int | None) -> None:
    params = {} if count is None else {"count": count}
    run = await run_state(APPS[MDSS], MDSS, "a device has reported positions", params)
    all_clean(run)
    positions = run.one("positions-reported").info["positions"]
    assert len(positions) == (count or 3)
    for position in positions:
        assert 51.50 <= position["latitude"] <= 51.52 and -0.14 <= position["longitude"] <= -0.10
        assert position["device_id"] == run.tokens.values["device_id"]
    assert "personReference" not in run.one("positions-reported").body


@pytest.mark.parametrize("percentage", [None, 40])
async def test_battery_level_reported(percentage: int | None) -> None:
    params = {} if percentage is None else {"percentage": percentage}
    run = await run_state(APPS[MDSS], MDSS, "a device has reported its battery level", params)
    all_clean(run)
    info = run.one("device-event-reported").info
    assert info["eventTypeCode"] == "EV_REPORT_TRACKER_BATTERY_PERCENTAGE"
    assert info["eventStatusFlags"] == (percentage or 15)


async def test_mdss_tamper_reports_a_device_event() -> None:
    run = await run_state(APPS[MDSS], MDSS, "a device has been tampered with")
    all_clean(run)
    assert run.one("device-event-reported").info["eventTypeCode"] == "EV_STRAP_TAMPER"


async def test_supplier_file_delivered_names_the_file() -> None:
    run = await run_state(APPS[MDSS], MDSS, "a supplier file has been delivered", {"feed": "device-events"})
    all_clean(run)
    # The message has no identifier field: the token travels inside the file name only.
    delivered = [p for p in run.published if p.message == "supplier-file-delivered"]
    assert len(delivered) == 1
    info = delivered[0].info
    assert info["file_name"] == f"device-events-{order_id(run)}.jsonl"
    assert (info["feed"], info["record_count"]) == ("device-events", 2)


# -- cemo as a provider of orders ---------------------------------------------------------------
@pytest.mark.parametrize("order_type", ["Post Release", "Immigration", "Bail"])
async def test_order_requested(order_type: str) -> None:
    run = await run_state(APPS[CEMO], CEMO, "an order has been requested", {"order_type": order_type})
    all_clean(run)
    info = run.one("order-submitted").info
    assert info["order_id"] == order_id(run)
    assert info["monitoring_order"]["order_type"] == order_type
    assert info["device_wearer"]["delius_id"] == run.tokens.values["crn"]


VARIATIONS: list[Any] = [
    "Change to Address",
    "Change to Personal Details",
    "Change to add an Inclusion or Exclusion Zone(s)",
    "Change to an existing Inclusion or Exclusion Zone(s)",
    "Change to Curfew Hours",
    "Order Suspension",
    "Change to Device Type",
    "Change to Enforceable Condition",
    "Admin Error",
    "Other",
]


@pytest.mark.parametrize("variation", VARIATIONS)
async def test_order_variation_requested(variation: str) -> None:
    run = await run_state(
        APPS[CEMO], CEMO, "an order variation has been requested", {"order_variation_type": variation}
    )
    all_clean(run)
    info = run.one("order-varied").info
    assert (info["order_id"], info["order_variation_type"]) == (order_id(run), variation)


@pytest.mark.parametrize(("order_type", "request_type"), [(None, "SR21"), ("Bail", "SR11")])
async def test_order_end_requested(order_type: str | None, request_type: str) -> None:
    params = {} if order_type is None else {"order_type": order_type}
    run = await run_state(APPS[CEMO], CEMO, "an order end has been requested", params)
    all_clean(run)
    info = run.one("order-ended").info
    assert (info["order_id"], info["service_request_type"]) == (order_id(run), request_type)
    assert info["revocation_date"] == "2026-09-15 23:59:00"
