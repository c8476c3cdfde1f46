"""FMS that closes an excused curfew violation without outcome_reason (reasonable_excuse "Yes" requires it).

The bug: the monitoring centre records the wearer's excuse in a ServiceNow work note, which is not
mapped to the outbound violation, so the responsible officer is told an excuse was accepted but not what
it was.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a curfew violation has been excused"
MESSAGE = "violation-updated"
FAILS = {"pact", "schema"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "probation-alerts / a curfew violation updated as closed with a reasonable excuse"
EXPECTED_FIELD = "outcome_reason"


class WorkNoteOnly(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        body["additionalInformation"].pop("outcome_reason", None)
        return out.with_body(body)


supplier = create(publisher_cls=WorkNoteOnly)
app = supplier.app
broker = supplier.broker
