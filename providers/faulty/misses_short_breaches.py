"""FMS that misses curfew breaches shorter than 15 minutes.

The bug: the supplier's grace period is configured as 15 minutes instead of the MoJ's 3, so a wearer who
slips out for ten minutes in the middle of the night is never reported. Every message it does send is
valid and correlated: only scoring against the simulated world's truth shows the breaches it missed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from providers.field_monitoring import curfew
from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "simulate --scenario curfew-basic"
FAILS = {("curfew", "recall")}  # (kind, metric): every threshold it misses, nothing else


class FifteenMinuteGrace(FieldMonitoringService):
    def curfew_breach(
        self, timetable: dict[str, Any], start: datetime, end: datetime, location: str
    ) -> curfew.Breach | None:
        found = super().curfew_breach(timetable, start, end, location)
        return found if found is not None and found.seconds >= 15 * 60 else None


supplier = create(FifteenMinuteGrace())
app = supplier.app
broker = supplier.broker
