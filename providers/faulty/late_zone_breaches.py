"""FMS that reports zone breaches late: only once the wearer has left the zone again.

The bug: zone violations are raised by the job that closes them, so the violation-raised for a wearer
inside an exclusion zone (or outside an inclusion zone) is published when the breach is over, with the
right start and end. Nothing is missed and the times are right; the detection latency is the breach's
whole length, which scoring against the simulated truth shows.
"""

from __future__ import annotations

from datetime import datetime

from providers.field_monitoring import zones
from providers.field_monitoring.service import Case, FieldMonitoringService, Violation
from providers.field_monitoring.wiring import create
from providers.messages import Outgoing

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "simulate --scenario gps-zones"
FAILS = {("exclusion_zone", "latency_p50_minutes"), ("exclusion_zone", "latency_p95_minutes")}
FAILS |= {("inclusion_zone", "latency_p50_minutes"), ("inclusion_zone", "latency_p95_minutes")}


class RaisedOnExit(FieldMonitoringService):
    def zone_entered(self, case: Case, index: int, zone: zones.Zone, at: datetime) -> list[Outgoing]:
        super().zone_entered(case, index, zone, at)
        return []  # noted, not published

    def zone_left(self, case: Case, index: int, zone: zones.Zone, at: datetime) -> list[Outgoing]:
        violation: Violation = case.in_zone[index]
        super().zone_left(case, index, zone, at)
        return [self._violation(case, "violation-raised", violation, at, "Zone violation")]


supplier = create(RaisedOnExit())
app = supplier.app
broker = supplier.broker
