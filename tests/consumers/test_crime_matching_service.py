"""Crime matching's position index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consumers.crime_matching.service import PositionIndex, distance_m
from consumers.messages import InvalidMessage


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 20, hour, minute, tzinfo=UTC)


def position(pid: int, person: int, lat: float, lon: float, when: str) -> dict:
    return {
        "position_id": pid,
        "device_id": 100000 + person,
        "person_id": person,
        "latitude": lat,
        "longitude": lon,
        "recorded_date": when,
        "mechanism": 1,
    }


@pytest.fixture
def index(example) -> PositionIndex:
    idx = PositionIndex()
    idx.handle(
        example(
            "positions-reported",
            0,
            positions=[
                position(1, 5001, 51.5100, -0.1200, "2026-06-20T19:00:00Z"),
                position(2, 5002, 51.5104, -0.1200, "2026-06-20T19:10:00Z"),  # ~44 m north
                position(3, 5003, 51.5100, -0.1300, "2026-06-20T19:05:00Z"),  # ~690 m west
                position(4, 5004, 51.5100, -0.1200, "2026-06-20T23:00:00Z"),  # same place, much later
            ],
        )
    )
    return idx


def test_distance_is_great_circle() -> None:
    assert distance_m(51.51, -0.12, 51.51, -0.12) == 0
    assert 110 < distance_m(51.510, -0.12, 51.511, -0.12) < 112


def test_who_was_near_in_the_window(index: PositionIndex) -> None:
    assert index.people_within(51.51, -0.12, 50, at(18, 30), at(19, 30)) == [5001, 5002]
    assert index.people_within(51.51, -0.12, 10, at(18, 30), at(19, 30)) == [5001]
    assert index.people_within(51.51, -0.12, 1000, at(18, 30), at(19, 30)) == [5001, 5002, 5003]
    assert index.people_within(51.51, -0.12, 50, at(22), at(23, 59)) == [5004]


def test_window_edges_are_inclusive_and_cross_hour_buckets(index: PositionIndex) -> None:
    assert index.people_within(51.51, -0.12, 50, at(19, 10), at(19, 10)) == [5002]
    assert index.people_within(51.51, -0.12, 50, at(19, 11), at(22, 59)) == []


def test_wide_query_over_small_index_still_answers(index: PositionIndex) -> None:
    hits = index.within(51.51, -0.12, 50_000, at(0), at(0) + timedelta(days=30))
    assert sorted(h.person_id for h in hits) == [5001, 5002, 5003, 5004]


def test_replay_is_ignored_and_a_bad_item_changes_nothing(index: PositionIndex, example) -> None:
    assert len(index) == 4
    assert (
        index.handle(
            example("positions-reported", 0, positions=[position(1, 5001, 51.51, -0.12, "2026-06-20T19:00:00Z")])
        )
        == 0
    )
    bad = [
        position(9, 5009, 51.51, -0.12, "2026-06-20T19:00:00Z"),
        position(10, 5010, 95.0, -0.12, "2026-06-20T19:00:00Z"),
    ]
    with pytest.raises(InvalidMessage, match="latitude"):
        index.handle(example("positions-reported", 0, positions=bad))
    assert len(index) == 4


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((51.51, -0.12, 0, at(19), at(20)), "radius"),
        ((51.51, -0.12, 60_000, at(19), at(20)), "radius"),
        ((51.51, -0.12, 50, at(20), at(19)), "ends before"),
        ((51.51, -0.12, 50, at(19), at(19) + timedelta(days=40)), "longer than"),
        ((91.0, -0.12, 50, at(19), at(20)), "not a coordinate"),
        ((51.51, -0.12, 50, datetime(2026, 6, 20, 19), at(20)), "timezone-aware"),
    ],
)
def test_bad_queries_are_refused(index: PositionIndex, args, error) -> None:
    with pytest.raises(ValueError, match=error):
        index.within(*args)
