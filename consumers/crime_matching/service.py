"""Crime matching: which monitored people were near a crime scene while it happened.

Police send crime batches (a place, a time window); the service answers from the GPS positions the
monitoring data service reports. Positions arrive in batches, possibly replayed, and there are many
of them, so they are indexed by grid cell (about 110 m of latitude) and hour; a query reads only the
cells and hours its circle and window touch, then measures the true great-circle distance.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from consumers.messages import Consumer, payload

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
MAX_RADIUS_M = 50_000.0
MAX_WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class Position:
    position_id: int
    person_id: int
    device_id: int
    latitude: float
    longitude: float
    at: datetime


@dataclass(frozen=True)
class Hit:
    """A position inside the query circle and window, with its distance from the scene."""

    person_id: int
    device_id: int
    position_id: int
    at: datetime
    distance_m: float


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class PositionIndex(Consumer):
    handlers = {"electronic-monitoring.positions-reported": "positions_reported"}

    def __init__(self, cell_degrees: float = 0.001, bucket: timedelta = timedelta(hours=1)) -> None:
        if cell_degrees <= 0 or bucket <= timedelta(0):
            raise ValueError("cell size and time bucket must be positive")
        self.cell_degrees = cell_degrees
        self.bucket_seconds = bucket.total_seconds()
        self._cells: dict[tuple[int, int, int], list[Position]] = defaultdict(list)
        self._seen: set[int] = set()

    def __len__(self) -> int:
        return len(self._seen)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.cell_degrees), math.floor(lon / self.cell_degrees)

    def _bucket(self, at: datetime) -> int:
        return math.floor(at.timestamp() / self.bucket_seconds)

    def cells(self) -> int:
        """How many (cell, hour) slots hold positions: a measure of how spread the data is."""
        return len(self._cells)

    def positions_reported(self, message: dict[str, Any]) -> int:
        """Index every position of the batch; returns how many were new (replays are ignored)."""
        batch = []
        for pos in payload(message).items("positions", min_items=1):
            batch.append(
                Position(
                    position_id=pos.integer("position_id", minimum=1),
                    person_id=pos.integer("person_id", minimum=1),
                    device_id=pos.integer("device_id", minimum=1),
                    latitude=pos.number("latitude", low=-90, high=90),
                    longitude=pos.number("longitude", low=-180, high=180),
                    at=pos.utc("recorded_date"),
                )
            )
        added = 0
        for position in batch:  # all parsed first: a bad item leaves the index untouched
            if position.position_id in self._seen:
                continue
            self._seen.add(position.position_id)
            lat_cell, lon_cell = self._cell(position.latitude, position.longitude)
            self._cells[(lat_cell, lon_cell, self._bucket(position.at))].append(position)
            added += 1
        return added

    def within(self, latitude: float, longitude: float, radius_m: float, start: datetime, end: datetime) -> list[Hit]:
        """Positions within radius_m of the point between start and end (inclusive), by person then time."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(f"({latitude}, {longitude}) is not a coordinate")
        if not 0 < radius_m <= MAX_RADIUS_M:
            raise ValueError(f"radius must be in (0, {MAX_RADIUS_M:.0f}] metres, got {radius_m}")
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if end < start:
            raise ValueError("the window ends before it starts")
        if end - start > MAX_WINDOW:
            raise ValueError(f"the window is longer than {MAX_WINDOW.days} days")
        dlat = radius_m / METRES_PER_DEGREE_LAT
        dlon = radius_m / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(latitude)), 1e-6))
        lat_lo, lon_lo = self._cell(latitude - dlat, longitude - dlon)
        lat_hi, lon_hi = self._cell(latitude + dlat, longitude + dlon)
        b_lo, b_hi = self._bucket(start), self._bucket(end)
        slots = (lat_hi - lat_lo + 1) * (lon_hi - lon_lo + 1) * (b_hi - b_lo + 1)
        if slots <= len(self._cells):
            keys = (
                (la, lo, b)
                for b in range(b_lo, b_hi + 1)
                for la in range(lat_lo, lat_hi + 1)
                for lo in range(lon_lo, lon_hi + 1)
            )
        else:  # a wide query over a small index: filter the occupied slots instead of walking empty ones
            keys = (
                k for k in self._cells if lat_lo <= k[0] <= lat_hi and lon_lo <= k[1] <= lon_hi and b_lo <= k[2] <= b_hi
            )
        hits = []
        for key in keys:
            for pos in self._cells.get(key, ()):
                if not start <= pos.at <= end:
                    continue
                d = distance_m(latitude, longitude, pos.latitude, pos.longitude)
                if d <= radius_m:
                    hits.append(Hit(pos.person_id, pos.device_id, pos.position_id, pos.at, round(d, 1)))
        return sorted(hits, key=lambda h: (h.person_id, h.at, h.position_id))

    def people_within(
        self, latitude: float, longitude: float, radius_m: float, start: datetime, end: datetime
    ) -> list[int]:
        """Who was within radius_m of the point between start and end."""
        return sorted({h.person_id for h in self.within(latitude, longitude, radius_m, start, end)})
