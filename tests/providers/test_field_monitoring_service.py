"""The Field Monitoring Service's domain logic, without a broker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from harness.catalogue.envelope import seal
from providers.field_monitoring import curfew
from providers.field_monitoring.service import FieldMonitoringService
from providers.messages import LONDON
from tests.providers.support import example, validate

NOW = datetime(2026, 6, 21, 8, 0, tzinfo=UTC)
ORDER_ID = "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"
DEVICE = 100234


def service() -> FieldMonitoringService:
    return FieldMonitoringService(clock=lambda: NOW)


def sim(message: str, index: int = 0, **changes: Any) -> dict[str, Any]:
    body = example(message, index)
    body.pop("eventId")
    body["additionalInformation"].update(changes)
    for key in [k for k, v in body["additionalInformation"].items() if v is None]:
        del body["additionalInformation"][key]
    return seal(body)


def command(message: str, index: int = 0) -> dict[str, Any]:
    """An order-varied or order-ended example without the example's case_id (the harness cannot know ours)."""
    body = example(message, index)
    body["additionalInformation"].pop("case_id", None)
    body.pop("eventId")
    return seal(body)


def fitted(fms: FieldMonitoringService) -> None:
    fms.on_order_submitted(example("order-submitted"))
    fms.on_field_visit(sim("sim-field-visit"))


def names(outs: list[Any]) -> list[str]:
    return [o.message for o in outs]


def test_every_message_is_valid_and_carries_the_order() -> None:
    fms = service()
    outs = fms.on_order_submitted(example("order-submitted"))
    outs += fms.on_field_visit(sim("sim-field-visit"))
    outs += fms.on_device_telemetry(sim("sim-device-telemetry", 1))
    outs += fms.on_wearer_contact(sim("sim-wearer-contact"))
    outs += fms.on_device_telemetry(sim("sim-device-telemetry", 4))
    outs += fms.on_order_ended(command("order-ended"))
    outs += fms.on_field_visit(sim("sim-field-visit", 1))
    assert names(outs) == [
        "case-created",
        "case-status-returned",
        "visit-completed",
        "equipment-installed",
        "case-status-returned",
        "violation-raised",
        "violation-updated",
        "alert-raised",
        "violation-raised",
        "case-status-returned",
        "visit-completed",
        "equipment-removed",
        "monitoring-ended",
    ]
    for out in outs:
        assert validate(out.body) == [], out.message
        assert out.body["personReference"]["identifiers"][0] == {"type": "CRN", "value": "X123456"}
        assert out.body["source"] == "field-monitoring-service"
        assert out.body["publishedAt"] == "2026-06-21T08:00:00Z"
    assert {o.body["additionalInformation"].get("orderId") for o in outs} == {ORDER_ID, None}


def test_case_created_answers_the_order() -> None:
    fms = service()
    created, status = fms.on_order_submitted(example("order-submitted"))
    info = created.body["additionalInformation"]
    assert info["orderId"] == ORDER_ID
    assert info["caseState"] == {"name": "NEW", "number": 1}
    assert info["createdAt"] == "2026-06-21T08:00:00Z"
    assert status.body["additionalInformation"]["status"] == "approved"
    assert status.body["additionalInformation"]["caseId"] == info["caseId"]


def test_redelivery_is_ignored_but_a_resubmission_is_rejected() -> None:
    fms = service()
    order = example("order-submitted")
    fms.on_order_submitted(order)
    assert fms.on_order_submitted(order) == []  # same eventId: the bus delivered it twice
    resubmitted = dict(order, description="Order resubmitted")
    (rejected,) = fms.on_order_submitted(seal({k: v for k, v in resubmitted.items() if k != "eventId"}))
    info = rejected.body["additionalInformation"]
    assert info["status"] == "rejected"
    assert info["reasons"][0]["section"] == "duplicate_submission"
    assert fms.cases[ORDER_ID].status == "approved"  # the held case keeps its own status


def status_of(fms: FieldMonitoringService, order: dict[str, Any]) -> dict[str, Any]:
    outs = fms.on_order_submitted(order)
    assert names(outs) == ["case-created", "case-status-returned"]
    assert validate(outs[1].body) == []
    return outs[1].body["additionalInformation"]


def test_address_is_needed_only_for_equipment_at_an_address() -> None:
    non_fitted = example("order-submitted", 1)  # Home Office, no fixed address, non-fitted device
    assert status_of(service(), non_fitted)["status"] == "approved"
    fitted_alcohol = example("order-submitted", 1)
    fitted_alcohol["additionalInformation"]["monitoring_order"]["enforceable_condition"][0]["condition"] = "AML"
    rejected = status_of(service(), fitted_alcohol)
    assert (rejected["status"], rejected["reasons"][0]["section"]) == ("rejected", "other")
    assert rejected["reasons"][0]["details"]
    no_lines = example("order-submitted")
    del no_lines["additionalInformation"]["device_wearer"]["address_1"]
    assert status_of(service(), no_lines)["status"] == "rejected"


def test_unreadable_order_opens_no_case() -> None:
    fms = service()
    order = example("order-submitted")
    del order["additionalInformation"]["parties"]
    assert fms.on_order_submitted(order) == []
    assert fms.cases == {}


def test_resubmission_of_a_rejected_order_opens_a_new_case() -> None:
    fms = service()
    order = example("order-submitted")
    order["additionalInformation"]["device_wearer"]["no_fixed_address"] = "true"
    first = status_of(fms, order)
    corrected = seal({k: v for k, v in example("order-submitted").items() if k != "eventId"} | {"description": "x"})
    second = status_of(fms, corrected)
    assert (first["status"], second["status"]) == ("rejected", "approved")
    assert first["caseId"] != second["caseId"]


def test_rejected_case_gets_no_visits() -> None:
    fms = service()
    order = example("order-submitted")
    order["additionalInformation"]["device_wearer"]["no_fixed_address"] = "true"
    _, status = fms.on_order_submitted(order)
    assert status.body["additionalInformation"]["reasons"][0]["section"] == "other"
    assert fms.on_field_visit(sim("sim-field-visit")) == []


def test_visit_before_its_order_is_held_and_replayed() -> None:
    fms = service()
    assert fms.on_field_visit(sim("sim-field-visit")) == []
    outs = fms.on_order_submitted(example("order-submitted"))
    assert names(outs) == [
        "case-created",
        "case-status-returned",
        "visit-completed",
        "equipment-installed",
        "case-status-returned",
    ]


def test_telemetry_for_a_device_not_yet_fitted_waits_for_the_install() -> None:
    fms = service()
    fms.on_order_submitted(example("order-submitted"))
    assert fms.on_device_telemetry(sim("sim-device-telemetry", 4)) == []
    outs = fms.on_field_visit(sim("sim-field-visit"))
    assert names(outs)[-2:] == ["alert-raised", "violation-raised"]


def test_failed_install_reports_the_visit_only() -> None:
    fms = service()
    fms.on_order_submitted(example("order-submitted"))
    (visit,) = fms.on_field_visit(sim("sim-field-visit", outcome="no access"))
    info = visit.body["additionalInformation"]
    assert (info["outcome"], info["actual_start"], info["actual_end"]) == (
        "no access",
        "2026-04-01 18:10:00",
        "2026-04-01 18:55:00",
    )
    assert fms.cases[ORDER_ID].devices == {}


def test_install_without_a_device_id_takes_one_from_stock() -> None:
    fms = service()
    fms.on_order_submitted(example("order-submitted"))
    outs = fms.on_field_visit(sim("sim-field-visit", device_id=None, serial_number=None, device_class=None))
    info = outs[1].body["additionalInformation"]
    assert info["device_id"] >= 700001
    assert info["serial_number"].startswith("TST-GPS-")
    assert validate(outs[1].body) == []


def test_order_ended_with_equipment_waits_for_removal() -> None:
    fms = service()
    fitted(fms)
    (status,) = fms.on_order_ended(command("order-ended"))
    assert status.body["additionalInformation"]["status"] == "scheduled"
    assert fms.on_order_ended(command("order-ended")) == []
    outs = fms.on_field_visit(sim("sim-field-visit", 1))
    assert names(outs) == ["visit-completed", "equipment-removed", "monitoring-ended"]
    assert outs[-1].body["additionalInformation"]["reason"] == "order revoked"


def test_bail_removal_reason() -> None:
    fms = service()
    fms.on_order_submitted(example("order-submitted"))
    ending = command("order-ended")
    ending["additionalInformation"]["service_request_type"] = "SR11"
    (ended,) = fms.on_order_ended(ending)
    assert ended.body["additionalInformation"]["reason"] == "devices removed (bail)"
    assert ended.body["additionalInformation"]["ended_at"] == "2026-06-21 09:00:00"  # 08:00 UTC in BST


def test_removal_while_the_order_runs_does_not_end_monitoring() -> None:
    fms = service()
    fitted(fms)
    outs = fms.on_field_visit(sim("sim-field-visit", 1, reason="device faulty"))
    assert names(outs) == ["visit-completed", "equipment-removed"]
    assert outs[1].body["additionalInformation"]["reason"] == "device faulty"


def absence(observed_at: str, minutes: int) -> dict[str, Any]:
    return sim("sim-device-telemetry", 1, observed_at=observed_at, minutes=minutes)


def test_absence_outside_curfew_is_no_violation() -> None:
    fms = service()
    fitted(fms)
    assert fms.on_device_telemetry(absence("2026-06-20T11:00:00Z", 120)) == []  # 12:00-14:00 London


def test_absence_straddling_curfew_start_counts_from_the_start() -> None:
    fms = service()
    fitted(fms)
    (raised,) = fms.on_device_telemetry(absence("2026-06-20T17:30:00Z", 60))  # 18:30-19:30 London
    info = raised.body["additionalInformation"]
    assert (info["start"], info["end"], info["duration"]) == ("2026-06-20 19:00:00", "2026-06-20 19:30:00", 1800)
    assert info["out_for_entire_curfew_period"] == "No"


def test_absence_for_the_whole_night_is_out_for_the_entire_period() -> None:
    fms = service()
    fitted(fms)
    (raised,) = fms.on_device_telemetry(absence("2026-06-20T17:00:00Z", 15 * 60))  # 18:00 to 09:00 next day
    info = raised.body["additionalInformation"]
    assert (info["start"], info["end"], info["duration"]) == ("2026-06-20 19:00:00", "2026-06-21 07:00:00", 12 * 3600)
    assert info["out_for_entire_curfew_period"] == "Yes"


def test_absence_in_winter_uses_greenwich_time() -> None:
    fms = service()
    order = example("order-submitted")
    order["additionalInformation"]["curfew"]["curfew_end"] = "2027-03-01 07:00:00"
    fms.on_order_submitted(order)
    fms.on_field_visit(sim("sim-field-visit"))
    (raised,) = fms.on_device_telemetry(absence("2026-12-01T19:30:00Z", 30))
    assert raised.body["additionalInformation"]["start"] == "2026-12-01 19:30:00"


def test_curfew_hours_variation_changes_what_counts() -> None:
    fms = service()
    fitted(fms)
    (status,) = fms.on_order_varied(command("order-varied"))  # weekday curfew now starts at 20:00
    assert status.body["additionalInformation"]["status"] == "approved"
    # Thursday 2026-06-18, 19:10-19:40 London: inside the old curfew, outside the new one
    assert fms.on_device_telemetry(absence("2026-06-18T18:10:00Z", 30)) == []


def test_address_variation_books_a_visit() -> None:
    fms = service()
    fms.on_order_submitted(example("order-submitted"))
    (status,) = fms.on_order_varied(command("order-varied", 1))
    assert status.body["additionalInformation"]["status"] == "scheduled"


def test_contact_without_an_open_violation_changes_nothing() -> None:
    fms = service()
    fitted(fms)
    assert fms.on_wearer_contact(sim("sim-wearer-contact")) == []


@pytest.mark.parametrize(
    ("kind", "excuse", "authorised", "action"),
    [
        ("reasonable-excuse", "Yes", "No", "Excuse accepted"),
        ("authorised-absence", "No", "Yes", "Absence authorised"),
        ("no-excuse", "No", "No", "Escalated"),
    ],
)
def test_contact_closes_the_violation(kind: str, excuse: str, authorised: str, action: str) -> None:
    fms = service()
    fitted(fms)
    fms.on_device_telemetry(absence("2026-06-20T20:05:00Z", 45))
    details = None if kind == "no-excuse" else "Synthetic reason (test data)."
    (updated,) = fms.on_wearer_contact(sim("sim-wearer-contact", kind=kind, details=details))
    info = updated.body["additionalInformation"]
    assert (info["reasonable_excuse"], info["authorised_absence"], info["response_action"]) == (
        excuse,
        authorised,
        action,
    )
    assert (info["state"], info["active"]) == ("Closed", False)
    assert validate(updated.body) == []
    assert fms.on_wearer_contact(sim("sim-wearer-contact", kind=kind, details=details)) == []  # nothing left open


def test_tamper_violation_gets_an_end_when_closed() -> None:
    fms = service()
    fitted(fms)
    fms.on_device_telemetry(sim("sim-device-telemetry", 4))  # 2026-06-22 02:12 UTC
    (updated,) = fms.on_wearer_contact(
        sim("sim-wearer-contact", category="tamper", contacted_at="2026-06-22T03:12:00Z")
    )
    info = updated.body["additionalInformation"]
    assert (info["start"], info["end"], info["duration"]) == ("2026-06-22 03:12:00", "2026-06-22 04:12:00", 3600)


def test_unusable_messages_are_ignored() -> None:
    fms = service()
    assert fms.on_order_submitted({"additionalInformation": {}}) == []
    assert fms.on_field_visit({"additionalInformation": {"visit_type": "install"}}) == []
    assert fms.parked == {}
    assert fms.on_device_telemetry(sim("sim-device-telemetry", 2)) == []  # GPS fixes are the MDSS's


# -- curfew arithmetic --------------------------------------------------------------------------
TIMETABLE = {
    "curfew_start": "2026-04-01 19:00:00",
    "curfew_end": "2026-10-01 07:00:00",
    "curfew_duration": [
        {
            "location": "primary",
            "schedule": [
                {"day": "Mo", "start": "19:00", "end": "23:59"},
                {"day": "Tu", "start": "00:00", "end": "07:00"},
                {"day": "Fr", "start": "22:00", "end": "06:00"},
            ],
        },
        {"location": "secondary", "allday": "Yes", "schedule": []},
    ],
}


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_windows_merge_across_midnight() -> None:
    found = curfew.windows(TIMETABLE, london(2026, 6, 15, 12), london(2026, 6, 16, 12))  # Monday noon to Tuesday
    assert found == [curfew.Window(london(2026, 6, 15, 19), london(2026, 6, 16, 7))]


def test_windows_that_end_before_they_start_run_past_midnight() -> None:
    found = curfew.windows(TIMETABLE, london(2026, 6, 19, 12), london(2026, 6, 20, 12))  # Friday to Saturday
    assert found == [curfew.Window(london(2026, 6, 19, 22), london(2026, 6, 20, 6))]


def test_windows_are_clipped_to_the_curfew_period_and_location() -> None:
    assert curfew.windows(TIMETABLE, london(2026, 3, 30, 12), london(2026, 3, 31, 12)) == []  # before curfew_start
    # all day at the secondary address, looked at from a day before the query, cut at curfew_end
    last = curfew.windows(TIMETABLE, london(2026, 9, 30, 12), london(2026, 10, 2, 12), "secondary")
    assert last == [curfew.Window(london(2026, 9, 29, 0), london(2026, 10, 1, 7))]


def test_breach_outside_any_window_is_none() -> None:
    assert curfew.breach(TIMETABLE, london(2026, 6, 17, 12), london(2026, 6, 17, 13)) is None  # a Wednesday
