"""CEMO's order lifecycle tracker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.cemo.service import CaseTracker
from consumers.messages import InvalidMessage, UnknownReference

ORDER = "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"
CASE = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture
def tracker(example) -> CaseTracker:
    t = CaseTracker()
    t.handle(example("case-created", 0))
    return t


def test_full_lifecycle(tracker: CaseTracker, example) -> None:
    tracker.handle(example("case-status-returned", 1))
    tracker.handle(example("visit-completed", 0))
    tracker.handle(example("equipment-installed", 0))
    tracker.handle(example("equipment-installed", 1))
    tracker.handle(
        example("case-status-returned", 1, status="installed", datetimeOfStatusChange="2026-04-01T18:00:00Z")
    )
    tracker.handle(example("equipment-removed", 0))
    tracker.handle(example("monitoring-ended", 0))
    record = tracker.lifecycle(ORDER)
    assert record.case_id == CASE and record.status == "installed"
    assert [d.device_id for d in record.fitted_devices] == [100235]  # the GPS tag was removed
    assert record.devices[100234].removal_reason == "order ended"
    assert record.ended and record.ended_at == datetime(2026, 10, 1, 22, 59, tzinfo=UTC)


def test_latest_status_is_by_change_time_not_arrival(tracker: CaseTracker, example) -> None:
    tracker.handle(
        example("case-status-returned", 1, status="installed", datetimeOfStatusChange="2026-04-01T18:00:00Z")
    )
    tracker.handle(example("case-status-returned", 1))  # approved, 14 March, arrives late
    assert tracker.lifecycle(ORDER).status == "installed"


def test_rejection_keeps_reasons(example) -> None:
    tracker = CaseTracker()
    tracker.handle(example("case-status-returned", 0))
    record = tracker.lifecycle(ORDER)
    assert record.status == "rejected"
    assert [r.section for r in record.rejection_reasons] == ["duplicate_submission", "other"]


@pytest.mark.parametrize(
    ("reasons", "error"),
    [
        ([], "rejected without any reason"),
        ([{"section": "other"}], "section 'other' needs details"),
        ([{"details": "no section"}], "section: missing"),
    ],
)
def test_unusable_rejections_are_refused(example, reasons, error) -> None:
    with pytest.raises(InvalidMessage, match=error):
        CaseTracker().handle(example("case-status-returned", 0, reasons=reasons))


def test_report_for_an_unknown_case_is_refused(example) -> None:
    with pytest.raises(UnknownReference, match="never created"):
        CaseTracker().handle(example("visit-completed", 0))


def test_case_state_name_and_number_must_agree(example) -> None:
    with pytest.raises(InvalidMessage, match="NEW is number 1, not 3"):
        CaseTracker().handle(example("case-created", 0, caseState={"name": "NEW", "number": 3}))


def test_a_second_case_for_the_same_order_is_refused(tracker: CaseTracker, example) -> None:
    with pytest.raises(InvalidMessage, match="already has case"):
        tracker.handle(example("case-created", 0, caseId="a1b2c3d4e5f60718293a4b5c6d7e8f90"))


def test_monitoring_ended_for_another_order_is_refused(tracker: CaseTracker, example) -> None:
    with pytest.raises(InvalidMessage, match="belongs to order"):
        tracker.handle(example("monitoring-ended", 0, orderId="5b0e8c1e-6f3a-4b7e-9c2d-1a2b3c4d5e6f"))


def test_utc_where_london_time_belongs_is_refused(tracker: CaseTracker, example) -> None:
    with pytest.raises(InvalidMessage, match="London local time"):
        tracker.handle(example("equipment-installed", 0, installed_at="2026-04-01T17:30:00Z"))


def test_visit_ending_before_it_starts_is_refused(tracker: CaseTracker, example) -> None:
    with pytest.raises(InvalidMessage, match="ends before it starts"):
        tracker.handle(example("visit-completed", 0, actual_end="2026-04-01 18:00:00"))


def test_redelivered_visit_is_kept_once(tracker: CaseTracker, example) -> None:
    tracker.handle(example("visit-completed", 0))
    tracker.handle(example("visit-completed", 0))
    assert len(tracker.lifecycle(ORDER).visits) == 1


def test_message_it_does_not_consume(example) -> None:
    with pytest.raises(InvalidMessage, match="does not consume"):
        CaseTracker().handle(example("positions-reported", 0))
