"""FMS that publishes equipment-installed on the routing key "electronic-monitoring.equipment-fitted".

The bug: the supplier names the channel after its own term for an install ("fitted"). The message itself
is right, but nobody subscribed to electronic-monitoring.equipment-installed ever receives it.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher
from wirekit.bus import channel

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a device has been fitted"
MESSAGE = "equipment-installed"
FAILS = {"pact", "channel"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "cemo / a GPS monitoring device installed"
EXPECTED_FIELD = "electronic-monitoring.equipment-fitted"
WRONG_ADDRESS = "electronic-monitoring.equipment-fitted"


class OwnRoutingKey(Publisher):
    def address(self, out: Outgoing) -> str:
        if out.message == MESSAGE:
            return channel(WRONG_ADDRESS)
        return super().address(out)


supplier = create(publisher_cls=OwnRoutingKey)
app = supplier.app
broker = supplier.broker
