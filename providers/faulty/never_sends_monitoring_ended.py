"""FMS that never publishes monitoring-ended: cases are closed in its own system and nobody is told.

The bug: closing a case was wired to an internal notification only; the outbound integration for it
was never built, so CEMO and the datastore believe the wearer is still monitored.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "monitoring has ended"
MESSAGE = "monitoring-ended"
FAILS = {"flow", "deadline"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "cemo / monitoring ended for the order"
EXPECTED_FIELD = "monitoring-ended"


class SilentClose(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        return None if out.message == MESSAGE else out


supplier = create(publisher_cls=SilentClose)
app = supplier.app
broker = supplier.broker
