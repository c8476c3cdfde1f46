"""FMS whose case-created reply arrives 6 seconds after the order, past the contract's 5-second deadline.

The bug: the reply waits for a synchronous round trip to the supplier's case management system, which
is slow under load; CEMO has given up on the order by the time the case id arrives.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-created"
FAILS = {"pact", "flow", "deadline"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "cemo / a case created for a new order"
EXPECTED_FIELD = "deadline"
DELAY_SECONDS = 6.0


class SlowReply(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        self.later(DELAY_SECONDS, out)  # the rest of the handler goes on; only this reply is late
        return None


supplier = create(publisher_cls=SlowReply)
app = supplier.app
broker = supplier.broker
