"""MDSS that sends the battery percentage as a string: eventStatusFlags "15" instead of the integer 15.

The bug: the device gateway hands readings over as text and the event builder copies the battery level
through without converting it, so a typed consumer (em-compliance's battery rule) cannot compare it.
"""

from __future__ import annotations

from providers.messages import Outgoing
from providers.monitoring_data.wiring import create
from providers.wiring import Publisher

PROVIDER = "monitoring-data-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a device has reported its battery level"
MESSAGE = "device-event-reported"
FAILS = {"pact", "schema"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "em-compliance / a battery level below the 20 percent threshold"
EXPECTED_FIELD = "eventStatusFlags"


class BatteryAsText(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        info = body["additionalInformation"]
        info["eventStatusFlags"] = str(info["eventStatusFlags"])
        return out.with_body(body)


supplier = create(publisher_cls=BatteryAsText)
app = supplier.app
broker = supplier.broker
