"""Crime matching's pact with the monitoring data service: position batches it can index by place and time."""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consumers.crime_matching.service import PositionIndex
from tests.pacts import support as s

POSITIONS = {
    "positions": s.each(1),
    "positions[*].position_id": s.INTEGER,
    "positions[*].device_id": s.INTEGER,
    "positions[*].person_id": s.INTEGER,
    "positions[*].latitude": s.NUMBER,
    "positions[*].longitude": s.NUMBER,
    "positions[*].recorded_date": s.UTC,
    "positions[*].mechanism": s.INTEGER,
}


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 6, 20, hour, minute, tzinfo=UTC)


def batch_indexed(service: PositionIndex, msg: dict[str, Any]) -> None:
    assert len(service) == 5
    # The first fix, 51.5071 -0.1275 at 19:00Z: found from 50 m away inside the window, not outside it.
    assert service.people_within(51.5074, -0.1275, 50, at(18, 55), at(19, 0)) == [5001]
    assert service.people_within(51.5074, -0.1275, 50, at(19, 10), at(19, 30)) == []
    hits = service.within(51.5071, -0.1275, 100, at(18, 0), at(20, 0))
    assert [h.position_id for h in hits] == [900001, 900002]
    assert service.positions_reported(msg) == 0


def single_indexed(service: PositionIndex, msg: dict[str, Any]) -> None:
    assert len(service) == 1
    assert service.people_within(51.515, -0.11, 10, at(19, 5), at(19, 5)) == [5001]
    assert service.people_within(51.515, -0.11, 10, at(19, 6), at(20, 0)) == []


E = s.Expectation
CRIME_FROM_MDSS = s.PactDef(
    consumer="crime-matching",
    provider="monitoring-data-service",
    make_service=PositionIndex,
    expectations=(
        E(
            "a batch of positions from one device",
            "a device has reported positions",
            s.body("positions-reported", 0, POSITIONS),
            batch_indexed,
            {"count": 5},
        ),
        E(
            "a batch of a single position",
            "a device has reported positions",
            s.body("positions-reported", 1, POSITIONS),
            single_indexed,
            {"count": 1},
        ),
    ),
)
PACTS = (CRIME_FROM_MDSS,)


@pytest.mark.parametrize(("pact_def", "expectation"), s.cases(PACTS))
def test_crime_matching_indexes(pact_def: s.PactDef, expectation: s.Expectation) -> None:
    s.check_one(pact_def, expectation)


@pytest.mark.parametrize("pact_def", PACTS, ids=lambda d: d.file_name)
def test_crime_matching_pact_written(pact_def: s.PactDef, pact_dir: Path) -> None:
    path = s.write(pact_def, pact_dir)
    assert path.name == "crime-matching-monitoring-data-service.json"
    assert s.interactions_in(path) == len(pact_def.expectations)
