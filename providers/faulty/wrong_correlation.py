"""FMS whose decision on a new order (case-status-returned approved or rejected) names another order.

The bug: the decision is built from a "current order" variable shared by the intake workers, so under
load the status carries the orderId of the order decided before it, while its caseId and personReference
are right. CEMO files the decision against the wrong order. Pact alone passes it: the orderId is a UUID,
and the answer is found by its CRN. The correlation rules (contracts/states: orderId must be the order's)
catch it.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-status-returned"
CHECK = "correlation"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
# The pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "cemo / a case status of approved"
EXPECTED_FIELD = "orderId"
# The order decided "before" the first one of a run (a synthetic order of an earlier day).
EARLIER_ORDER = "0b6e2a4f-3c1d-4e8a-9f00-000000000001"


class SharedCurrentOrder(Publisher):
    def __init__(self, broker: object) -> None:
        super().__init__(broker)
        self.previous = EARLIER_ORDER

    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE or out.body["additionalInformation"]["status"] not in ("approved", "rejected"):
            return out
        body = out.edited()
        own = body["additionalInformation"]["orderId"]
        body["additionalInformation"]["orderId"], self.previous = self.previous, own
        return out.with_body(body)


supplier = create(publisher_cls=SharedCurrentOrder)
app = supplier.app
broker = supplier.broker
