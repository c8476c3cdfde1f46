"""FMS whose consumer stops for good after a message it cannot read.

The bug: an order it cannot parse raises inside the consumer loop, which is not restarted; the process
stays up (so nothing restarts it) but nothing after the poison message is ever handled: the supplier
stalls. Normal runs send no poison, so every pact and flow passes; under `verify --faults poison` the
flow after the poison messages never completes (survival).
"""

from __future__ import annotations

from typing import Any

from providers.field_monitoring.orders_inbox import Decision, InvalidOrder
from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify --faults poison"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-created"
CHECK = "fault-poison"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "fault-poison / order intake"
EXPECTED_FIELD = "created"


class DeadConsumer(FieldMonitoringService):
    def __init__(self) -> None:
        super().__init__()
        self.dead = False

    def redelivered(self, message: dict[str, Any]) -> bool:
        return True if self.dead else super().redelivered(message)  # a dead consumer handles nothing

    def decide(self, message: dict[str, Any]) -> Decision:
        try:
            return super().decide(message)
        except InvalidOrder:
            self.dead = True
            raise


supplier = create(DeadConsumer())
app = supplier.app
broker = supplier.broker
