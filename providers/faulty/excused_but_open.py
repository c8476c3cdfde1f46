"""FMS that accepts a wearer's reasonable excuse but leaves the violation's state Open.

The bug: the excuse workflow sets reasonable_excuse, the outcome reason and active=false, but the state
transition to Closed is a separate step that is never run, so the violation stays on the officers'
open work lists. Every field is valid and the pact matches the state by type only; the flow rule "an
excused violation is closed" catches it.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a curfew violation has been excused"
MESSAGE = "violation-updated"
CHECK = "flow"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "flow / curfew breach lifecycle"
EXPECTED_FIELD = "state"


class StateNeverClosed(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        info = body["additionalInformation"]
        if info.get("reasonable_excuse") == "Yes":
            info["state"] = "Open"
        return out.with_body(body)


supplier = create(publisher_cls=StateNeverClosed)
app = supplier.app
broker = supplier.broker
