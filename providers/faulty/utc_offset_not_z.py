"""MDSS that writes device_activation_date with the London offset ("2026-04-01T18:31:00+01:00") where the
device-activated schema requires UTC (a trailing Z or +00:00).

The bug: the activation date comes from the home unit's clock and is serialised with its local offset. It
is valid RFC 3339, so a loose date-time check passes it, but the catalogue fixes the MDSS's times to UTC
so that positions, events and activations sort and join without conversion.
"""

from __future__ import annotations

from providers.messages import LONDON, Outgoing, parse_utc
from providers.monitoring_data.wiring import create
from providers.wiring import Publisher

PROVIDER = "monitoring-data-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a device has been activated"
MESSAGE = "device-activated"
FAILS = {"pact", "schema"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "em-compliance / a GPS monitoring device activated"
EXPECTED_FIELD = "device_activation_date"


class LocalOffset(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        info = body["additionalInformation"]
        moment = parse_utc(info["device_activation_date"])
        if moment is not None:
            info["device_activation_date"] = moment.astimezone(LONDON).isoformat(timespec="seconds")
        return out.with_body(body)


supplier = create(publisher_cls=LocalOffset)
app = supplier.app
broker = supplier.broker
