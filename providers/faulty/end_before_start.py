"""FMS whose violations end before they start.

The bug: `end` is computed as start minus the duration (a sign error) instead of start plus it. Each
field has the right format and the duration is right, so schema and pact pass; the flow rules
"end >= start" and "duration = end - start" catch it.
"""

from __future__ import annotations

from datetime import timedelta

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing, london_text, parse_london
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a curfew violation has been excused"
MESSAGE = "violation-raised"
CHECK = "flow"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "flow / curfew breach lifecycle"
EXPECTED_FIELD = "end"


class SignError(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message not in ("violation-raised", "violation-updated"):
            return out
        body = out.edited()
        info = body["additionalInformation"]
        start = parse_london(info.get("start"))
        if start is not None and "end" in info and info.get("duration"):
            info["end"] = london_text(start - timedelta(seconds=int(info["duration"])))
        return out.with_body(body)


supplier = create(publisher_cls=SignError)
app = supplier.app
broker = supplier.broker
