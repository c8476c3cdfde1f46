"""FMS that handles a message twice when it is delivered twice at once (at-least-once delivery).

The bug: de-duplication by eventId reads a replicated store whose writes become visible a second later,
so a duplicate that arrives while the first copy is being handled is handled again: a second order
submission is rejected as a duplicate of itself, a second visit books a second device. A redelivery that
comes later is caught. Normal runs never deliver twice, so every pact and flow passes; under
`verify --faults duplicate` the flows' counts (never rejected, one visit) catch it.
"""

from __future__ import annotations

import time
from typing import Any

from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create
from providers.messages import Outgoing

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify --faults duplicate"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-status-returned"
CHECK = "fault-duplicate"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "fault-duplicate / order intake"
EXPECTED_FIELD = "rejected"
VISIBLE_AFTER = 1.0  # seconds before a handled eventId is seen by the de-duplication check


class LaggingDeduplication(FieldMonitoringService):
    def __init__(self) -> None:
        super().__init__()
        self.handled_at: dict[str, float] = {}

    def redelivered(self, message: dict[str, Any]) -> bool:
        event_id = message.get("eventId")
        if not isinstance(event_id, str):
            return False
        first = self.handled_at.setdefault(event_id, time.monotonic())
        return time.monotonic() - first >= VISIBLE_AFTER

    def _replay(self, key: str) -> list[Outgoing]:
        for _, message in self.parked.get(key.lower(), []):
            self.handled_at.pop(str(message.get("eventId")), None)
        return super()._replay(key)


supplier = create(LaggingDeduplication())
app = supplier.app
broker = supplier.broker
