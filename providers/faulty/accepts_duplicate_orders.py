"""FMS that opens a second case when an order is submitted again, instead of rejecting the duplicate.

The bug: duplicate detection looks orders up by the FMS's own case reference rather than by the MoJ
order_id, so a resubmitted order is never found and becomes a second case (two visits, two devices).
"""

from __future__ import annotations

from providers.field_monitoring.service import Case, FieldMonitoringService
from providers.field_monitoring.wiring import create

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a duplicate order has been submitted"
MESSAGE = "case-status-returned"


class NoDuplicateCheck(FieldMonitoringService):
    def already_held(self, order_id: str) -> Case | None:
        return next((c for c in self.cases.values() if c.case_id == order_id), None)  # never matches


supplier = create(NoDuplicateCheck())
app = supplier.app
broker = supplier.broker
