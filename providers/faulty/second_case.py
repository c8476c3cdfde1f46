"""FMS that opens two cases for one order: case-created twice, with two different caseIds.

The bug: the call to the case management system times out and is retried, and both calls succeed; both
cases are announced to the MoJ, and the supplier then works on the first one only. Each message is valid
and the pact passes; the flows' count rule (one case-created per order) catches it.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-created"
CHECK = "flow"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "flow / order intake"
EXPECTED_FIELD = "case-created"


class RetriedCaseCreation(Publisher):
    def __init__(self, broker: object) -> None:
        super().__init__(broker)
        self.retries = 0

    async def send(self, out: Outgoing) -> None:
        await super().send(out)
        if out.message == MESSAGE:
            self.retries += 1
            body = out.edited()
            body["additionalInformation"]["caseId"] = f"{self.retries:032x}"  # the retry's own case
            await super().send(out.with_body(body))


supplier = create(publisher_cls=RetriedCaseCreation)
app = supplier.app
broker = supplier.broker
