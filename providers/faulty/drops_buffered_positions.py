"""FMS that drops the buffered positions a tag uploads after a loss of communications.

The bug: fixes recorded more than ten minutes before the batch arrived are thrown away as "stale", so
whatever the wearer did while the tag had no signal (entering an exclusion zone, say) is never judged.
Live fixes are handled as the reference does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create
from providers.messages import parse_utc

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "simulate --scenario comms-outage"
FAILS = {("exclusion_zone", "recall")}
STALE = timedelta(minutes=10)


class DropsStale(FieldMonitoringService):
    def usable_fixes(self, telemetry: dict[str, Any], message: dict[str, Any]) -> list[tuple[datetime, dict[str, Any]]]:
        uploaded = parse_utc(message.get("occurredAt")) or self.clock()
        return [(at, f) for at, f in super().usable_fixes(telemetry, message) if uploaded - at <= STALE]


supplier = create(DropsStale())
app = supplier.app
broker = supplier.broker
