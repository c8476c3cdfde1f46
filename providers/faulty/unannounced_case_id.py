"""FMS whose visit reports carry a caseId that no case-created ever announced.

The bug: visit-completed is filled from the field scheduling system, whose job reference has the same
shape as a case id (32 lower-case hex), and is sent as `caseId`. The MoJ cannot attach the visit to any
case. Schema and pact pass (the shape is right); the correlation rule "a caseId this order's
case-created announced" catches it.
"""

from __future__ import annotations

import hashlib

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a device has been fitted"
MESSAGE = "visit-completed"
CHECK = "correlation"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "cemo / a completed install visit"
EXPECTED_FIELD = "caseId"


class SchedulerJobReference(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        info = body["additionalInformation"]
        info["caseId"] = hashlib.md5(info["visit_id"].encode(), usedforsecurity=False).hexdigest()
        return out.with_body(body)


supplier = create(publisher_cls=SchedulerJobReference)
app = supplier.app
broker = supplier.broker
