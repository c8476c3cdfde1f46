"""FMS whose case-created reply lacks the required createdAt.

The bug: the case is created asynchronously in the supplier's ServiceNow and the reply is sent before
the creation time is known; the field is left out instead of waiting for it.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-created"
FAILS = {"pact", "flow", "schema"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "cemo / a case created for a new order"
EXPECTED_FIELD = "createdAt"


class NoCreatedAt(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        del body["additionalInformation"]["createdAt"]
        return out.with_body(body)


supplier = create(publisher_cls=NoCreatedAt)
app = supplier.app
broker = supplier.broker
