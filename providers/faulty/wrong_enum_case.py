"""FMS that sends the violation category with the casing its user interface shows: "Curfew", not "curfew".

The bug: the category is taken from the display label of the supplier's violation form instead of its
stored value, so every enumeration check on the MoJ side (em-data-insights, probation-alerts) misses it.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a device wearer has breached curfew"
MESSAGE = "violation-raised"
FAILS = {"pact", "flow", "schema"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "em-data-insights / a curfew violation, ongoing"
EXPECTED_FIELD = "category"


class DisplayCasing(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        info = body["additionalInformation"]
        info["category"] = info["category"].capitalize()
        return out.with_body(body)


supplier = create(publisher_cls=DisplayCasing)
app = supplier.app
broker = supplier.broker
