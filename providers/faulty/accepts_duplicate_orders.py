"""FMS that opens a second case when an order is submitted again, instead of rejecting the duplicate.

The bug: duplicate detection looks orders up by the FMS's own case reference rather than by the MoJ
order_id, so a resubmitted order is never found and becomes a second case (two visits, two devices).
"""

from __future__ import annotations

from typing import Any

from providers.field_monitoring.orders_inbox import Decision
from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a duplicate order has been submitted"
MESSAGE = "case-status-returned"
FAILS = {"pact", "correlation"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "cemo / a case status of rejected with a duplicate submission reason"
EXPECTED_FIELD = "status"


class NoDuplicateCheck(FieldMonitoringService):
    def decide(self, message: dict[str, Any]) -> Decision:
        order_id = str((message.get("additionalInformation") or {}).get("order_id")).lower()
        self.inbox.orders.pop(order_id, None)  # the lookup by case reference never finds the held order
        return super().decide(message)


supplier = create(NoDuplicateCheck())
app = supplier.app
broker = supplier.broker
