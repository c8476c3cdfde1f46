"""EM Data Insights' wearer timelines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.em_data_insights.service import WearerTimelines
from consumers.messages import InvalidMessage

WEARER = "3c2b1a09f8e7d6c5b4a3928170f6e5d4"


def test_feeds_meet_on_one_timeline_in_utc(example) -> None:
    t = WearerTimelines()
    t.handle(
        example(
            "positions-reported",
            0,
            positions=[
                {
                    **example("positions-reported", 0)["additionalInformation"]["positions"][0],
                    "recorded_date": "2026-06-20T20:30:00Z",
                },
            ],
        )
    )
    t.handle(example("violation-raised", 0))  # 21:05 London (BST) = 20:05 UTC
    t.handle(example("device-event-reported", 1))
    t.link(WEARER, 5001)
    entries = t.timeline(person_id=5001)
    assert [(e.kind, e.at) for e in entries] == [
        ("violation", datetime(2026, 6, 20, 20, 5, tzinfo=UTC)),
        ("position", datetime(2026, 6, 20, 20, 30, tzinfo=UTC)),
        ("device-event", datetime(2026, 6, 22, 2, 10, tzinfo=UTC)),
    ]
    assert t.timeline(device_wearer=WEARER) == entries


def test_unlinked_identities_keep_separate_timelines(example) -> None:
    t = WearerTimelines()
    t.handle(example("violation-raised", 0))
    t.handle(example("device-event-reported", 0))
    assert [e.kind for e in t.timeline(person_id=5001)] == ["device-event"]
    assert [e.kind for e in t.timeline(device_wearer=WEARER)] == ["violation"]
    assert t.wearers() == ["person:5001", f"wearer:{WEARER}"]


def test_update_replaces_the_raised_violation(example) -> None:
    t = WearerTimelines()
    t.handle(example("violation-raised", 0))
    t.handle(example("violation-updated", 1))
    (entry,) = t.timeline(device_wearer=WEARER)
    assert entry.detail["active"] is False and entry.detail["reasonable_excuse"] is True
    assert entry.detail["end"] == datetime(2026, 6, 20, 20, 50, tzinfo=UTC)  # the excused 45-minute absence


def test_replayed_batch_adds_nothing(example) -> None:
    t = WearerTimelines()
    assert t.handle(example("positions-reported", 0)) == 5
    assert t.handle(example("positions-reported", 0)) == 0
    assert len(t.timeline(person_id=5001)) == 5


def test_empty_batch_and_unknown_mechanism_are_refused(example) -> None:
    t = WearerTimelines()
    with pytest.raises(InvalidMessage, match="at least 1"):
        t.handle(example("positions-reported", 0, positions=[]))
    bad = example("positions-reported", 1)
    bad["additionalInformation"]["positions"][0]["mechanism"] = 2
    with pytest.raises(InvalidMessage, match="unknown code 2"):
        t.handle(bad)
    assert t.wearers() == []


def test_local_time_in_a_utc_field_is_refused(example) -> None:
    with pytest.raises(InvalidMessage, match="UTC RFC 3339"):
        WearerTimelines().handle(example("device-event-reported", 0, eventStartDateUtc="2026-06-23 15:00:00"))


def test_linking_a_wearer_twice_to_different_people_is_refused() -> None:
    t = WearerTimelines()
    t.link(WEARER, 5001)
    with pytest.raises(InvalidMessage, match="already linked"):
        t.link(WEARER, 5002)
    with pytest.raises(ValueError, match="exactly one"):
        t.timeline()
