"""CEMO's pact with the Field Monitoring Service: the case reports it needs to follow each order.

CEMO correlates every report with the order it submitted (orderId exactly as sent, then the supplier
caseId), acts on rejections (so a rejected status must carry its reasons, and 'other' its details)
and tracks fitted devices and the end of monitoring.

One interaction is synchronous (V4 Synchronous/Messages): CEMO's own order command, as its OrderDesk
builds it, is the request, and the case the supplier opens for it is the response. `verify` publishes
the request on the bus (with fresh identifiers) and expects the case-created answer, correlated.
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consumers.cemo.publisher import OrderDesk
from consumers.cemo.service import CASE_STATES, CaseTracker
from tests.pacts import support as s

FMS = "field-monitoring-service"
ORDER_ID = "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"
P = "additionalInformation"


def case_known(service: CaseTracker) -> None:
    """CEMO's own state before the report: it submitted the order and the supplier opened the case."""
    service.case_created(s.example("case-created", 0))


body = s.body

CASE_CREATED = {
    "orderId": s.UUID_LOWER,
    "caseId": s.CASE_ID,
    "caseState.name": s.one_of(*CASE_STATES),
    "caseState.number": s.INTEGER,
    "createdAt": s.UTC,
}
STATUS = {
    "caseId": s.CASE_ID,
    "orderId": s.UUID_LOWER,
    "status": s.EXACT,
    "datetimeOfStatusChange": s.UTC,
}
REJECTED = {**STATUS, "reasons": s.each(1), "reasons[*].details": s.TEXT}
VISIT = {
    "caseId": s.CASE_ID,
    "visit_id": s.SYS_ID,
    "visit_type": s.EXACT,
    "outcome": s.TEXT,
    "actual_start": s.LONDON,
    "actual_end": s.LONDON,
}
INSTALLED = {
    "caseId": s.CASE_ID,
    "device_id": s.INTEGER,
    "device_class": s.EXACT,
    "serial_number": s.TEXT,
    "installed_at": s.LONDON,
}
REMOVED = {
    "caseId": s.CASE_ID,
    "device_id": s.INTEGER,
    "serial_number": s.TEXT,
    "removed_at": s.LONDON,
    "reason": s.TEXT,
}
ENDED = {"caseId": s.CASE_ID, "orderId": s.UUID_LOWER, "ended_at": s.LONDON, "reason": s.TEXT}


# -- what handling each message must have done --------------------------------------------------
def linked_new_case(service: CaseTracker, msg: dict[str, Any]) -> None:
    record = service.lifecycle(msg[P]["orderId"])
    assert record.case_id == msg[P]["caseId"]
    assert record.case_state == ("NEW", 1)
    assert service.by_case(msg[P]["caseId"]) is record
    assert record.status is None and not record.ended


def status_is(expected: str, sections: tuple[str, ...] = ()) -> s.Check:
    def check(service: CaseTracker, msg: dict[str, Any]) -> None:
        record = service.lifecycle(msg[P]["orderId"])
        assert record.status == expected
        assert tuple(r.section for r in record.rejection_reasons) == sections
        assert all(r.details for r in record.rejection_reasons)

    return check


def visit_recorded(visit_type: str, started_utc: datetime) -> s.Check:
    def check(service: CaseTracker, msg: dict[str, Any]) -> None:
        record = service.by_case(msg[P]["caseId"])
        assert [v.visit_type for v in record.visits] == [visit_type]
        assert record.visits[0].started == started_utc  # London local time read as BST, kept in UTC

    return check


def device_fitted(device_id: int, device_class: str) -> s.Check:
    def check(service: CaseTracker, msg: dict[str, Any]) -> None:
        record = service.by_case(msg[P]["caseId"])
        assert [(d.device_id, d.device_class) for d in record.fitted_devices] == [(device_id, device_class)]

    return check


def device_removed(service: CaseTracker, msg: dict[str, Any]) -> None:
    record = service.by_case(msg[P]["caseId"])
    device = record.devices[msg[P]["device_id"]]
    assert device.removed_at == datetime(2026, 10, 2, 9, 20, tzinfo=UTC)
    assert device.removal_reason == "order ended" and record.fitted_devices == []


def monitoring_ended(service: CaseTracker, msg: dict[str, Any]) -> None:
    record = service.lifecycle(ORDER_ID)
    assert record.ended and record.end_reason == msg[P]["reason"]
    assert record.ended_at == datetime(2026, 10, 1, 22, 59, tzinfo=UTC)


ORDER_CLOCK = datetime(2026, 3, 30, 7, 55, tzinfo=UTC)
PERSON = {"identifiers": [{"type": "CRN", "value": "X123456"}, {"type": "NOMS", "value": "A1234BC"}]}


def submitted_order() -> dict[str, Any]:
    """The order-submitted command CEMO's OrderDesk sends for a new Post Release order (a fixed clock)."""
    desk = OrderDesk(clock=lambda: ORDER_CLOCK)
    return desk.new_order(ORDER_ID, {"kind": "new", "order_type": "Post Release"}, PERSON).body


ORDER_REQUEST = s.Body(
    plain=submitted_order(),
    matched={
        **submitted_order(),
        "eventId": s.EVENT_ID.make(submitted_order()["eventId"]),
        "occurredAt": s.UTC.make(submitted_order()["occurredAt"]),
        "publishedAt": s.UTC.make(submitted_order()["publishedAt"]),
        P: {**submitted_order()[P], "order_id": s.UUID_LOWER.make(ORDER_ID)},
    },
)


def case_opened_for_the_order(service: CaseTracker, request: dict[str, Any], response: dict[str, Any]) -> None:
    """The response links the supplier's case to the very order CEMO sent."""
    record = service.lifecycle(request[P]["order_id"])
    assert record.case_id == response[P]["caseId"]
    assert record.case_state == ("NEW", 1)
    assert response[P]["orderId"] == request[P]["order_id"]


X = s.Exchange
E = s.Expectation
CEMO_FROM_FMS = s.PactDef(
    consumer="cemo",
    provider=FMS,
    make_service=CaseTracker,
    expectations=(
        E(
            "a case created for a new order",
            "an order has been submitted",
            body("case-created", 0, CASE_CREATED),
            linked_new_case,
            {"order_type": "Post Release"},
        ),
        E(
            "a case status of approved",
            "an order has been submitted",
            body("case-status-returned", 1, STATUS),
            status_is("approved"),
            {"order_type": "Post Release"},
        ),
        E(
            "a case status of rejected with a duplicate submission reason",
            "a duplicate order has been submitted",
            body(
                "case-status-returned",
                0,
                {**REJECTED, "reasons[*].section": s.one_of("duplicate_submission")},
                reasons=[{"section": "duplicate_submission", "details": "An open case already exists for this order."}],
            ),
            status_is("rejected", ("duplicate_submission",)),
        ),
        E(
            "a case status of rejected with an other reason and its details",
            "an order has been submitted without a usable address",
            body(
                "case-status-returned",
                0,
                {**REJECTED, "reasons[*].section": s.one_of("other")},
                reasons=[{"section": "other", "details": "Address could not be matched to a property."}],
            ),
            status_is("rejected", ("other",)),
        ),
        E(
            "a case status of installed",
            "a device has been fitted",
            body("case-status-returned", 1, STATUS, status="installed", datetimeOfStatusChange="2026-04-01T17:56:00Z"),
            status_is("installed"),
            {"device_class": "GPS monitoring device"},
        ),
        E(
            "a completed install visit",
            "a device has been fitted",
            body("visit-completed", 0, VISIT),
            visit_recorded("install", datetime(2026, 4, 1, 17, 10, tzinfo=UTC)),
            {"device_class": "GPS monitoring device"},
            arrange=case_known,
        ),
        E(
            "a GPS monitoring device installed",
            "a device has been fitted",
            body("equipment-installed", 0, INSTALLED),
            device_fitted(100234, "GPS monitoring device"),
            {"device_class": "GPS monitoring device"},
            arrange=case_known,
        ),
        E(
            "a home monitoring unit installed",
            "a device has been fitted",
            body("equipment-installed", 1, INSTALLED),
            device_fitted(100235, "home monitoring unit"),
            {"device_class": "home monitoring unit"},
            arrange=case_known,
        ),
        E(
            "a completed removal visit",
            "equipment has been removed",
            body(
                "visit-completed",
                0,
                VISIT,
                visit_id="d2e3f405162738495a6b7c8d9eafb0c1",
                visit_type="removal",
                outcome_details="Tag and home unit collected.",
                actual_start="2026-10-02 10:00:00",
                actual_end="2026-10-02 10:25:00",
            ),
            visit_recorded("removal", datetime(2026, 10, 2, 9, 0, tzinfo=UTC)),
            arrange=case_known,
        ),
        E(
            "a GPS monitoring device removed",
            "equipment has been removed",
            body("equipment-removed", 0, REMOVED),
            device_removed,
            arrange=case_known,
        ),
        E(
            "monitoring ended for the order",
            "monitoring has ended",
            body("monitoring-ended", 0, ENDED),
            monitoring_ended,
            arrange=case_known,
        ),
    ),
    exchanges=(
        X(
            "an order submitted gets a case created",
            ORDER_REQUEST,
            body("case-created", 0, CASE_CREATED),
            case_opened_for_the_order,
        ),
    ),
)
PACTS = (CEMO_FROM_FMS,)


@pytest.mark.parametrize(("pact_def", "expectation"), s.cases(PACTS))
def test_cemo_handles(pact_def: s.PactDef, expectation: s.Expectation) -> None:
    s.check_one(pact_def, expectation)


@pytest.mark.parametrize("pact_def", PACTS, ids=lambda d: d.file_name)
def test_cemo_pact_written(pact_def: s.PactDef, pact_dir: Path) -> None:
    path = s.write(pact_def, pact_dir)
    assert path.name == "cemo-field-monitoring-service.json"
    assert s.interactions_in(path) == len(pact_def.expectations) + len(pact_def.exchanges)


def test_cemo_refuses_a_rejection_without_reasons() -> None:
    """The pact's rejected interactions exist because CEMO cannot act on a bare rejection."""
    msg = s.example("case-status-returned", 0)
    msg[P]["reasons"] = []
    with pytest.raises(ValueError, match="rejected without any reason"):
        CaseTracker().handle(msg)
