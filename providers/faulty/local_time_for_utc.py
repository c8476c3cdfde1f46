"""FMS that writes datetimeOfStatusChange in London local time ("2026-06-20 21:05:00") where the
case-status-returned schema requires UTC RFC 3339.

The bug: the FMS's record times (visits, equipment, violations) are London local, and the developer
reused the same formatter for the one status field that the HMPPS convention keeps in UTC.
"""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing, london_text, parse_utc
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-status-returned"
FAILS = {"pact", "schema"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "cemo / a case status of approved"
EXPECTED_FIELD = "datetimeOfStatusChange"


class LocalStatusTime(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        info = body["additionalInformation"]
        moment = parse_utc(info["datetimeOfStatusChange"])
        if moment is not None:
            info["datetimeOfStatusChange"] = london_text(moment)
        return out.with_body(body)


supplier = create(publisher_cls=LocalStatusTime)
app = supplier.app
broker = supplier.broker
