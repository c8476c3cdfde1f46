"""FMS that mishandles the clock change: it works out a curfew's end by adding the timetable's hours.

The bug: a 19:00-07:00 curfew is taken to last 12 hours from its start, every night. On the night the
clocks go forward it lasts 11 and on the night they go back 13, so the supplier raises a violation for a
wearer who left home at 07:15 the morning the clocks went forward (after the curfew), and misses one who
left at 06:15 the morning they went back (inside it). Any other night it is right.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from providers.field_monitoring import curfew
from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "simulate --scenario clock-change"
FAILS = {("curfew", "recall"), ("curfew", "precision")}


def _naive(window: curfew.Window) -> curfew.Window:
    """The window's end as its start plus the wall-clock hours between them (what goes wrong)."""
    start_local, end_local = window.start.astimezone(curfew.LONDON), window.end.astimezone(curfew.LONDON)
    naive_hours = end_local.replace(tzinfo=None) - start_local.replace(tzinfo=None)
    return curfew.Window(window.start, window.start.astimezone(UTC) + naive_hours)


class AddsHours(FieldMonitoringService):
    def curfew_breach(
        self, timetable: dict[str, Any], start: datetime, end: datetime, location: str
    ) -> curfew.Breach | None:
        wide = curfew.windows(timetable, start - (end - start), end + (end - start), location)
        touched = [w for w in map(_naive, wide) if w.start < end and w.end > start]
        parts = [(max(w.start, start), min(w.end, end)) for w in touched]
        seconds = int(sum((e - s).total_seconds() for s, e in parts))
        if seconds <= 0:
            return None
        return curfew.Breach(parts[0][0], parts[-1][1], seconds, False)


supplier = create(AddsHours())
app = supplier.app
broker = supplier.broker
