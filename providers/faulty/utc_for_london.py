"""FMS that writes violation start and end as UTC wall-clock time in the London local format.

The bug: the violation record keeps UTC internally and formats it as 'yyyy-MM-dd HH:mm:ss' without
converting to Europe/London, so in British Summer Time every violation is an hour early (a curfew
breach at 21:05 is reported as 20:05). The format is the right one, so schema and pact pass; the flow
rule "start is the telemetry's time in London local time" catches it.
"""

from __future__ import annotations

from datetime import UTC

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing, parse_london
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a curfew violation has been excused"
MESSAGE = "violation-raised"
CHECK = "flow"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "flow / curfew breach lifecycle"
EXPECTED_FIELD = "start"


class UtcWallClock(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message not in ("violation-raised", "violation-updated"):
            return out
        body = out.edited()
        info = body["additionalInformation"]
        for key in ("start", "end"):
            moment = parse_london(info.get(key))
            if moment is not None:
                info[key] = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return out.with_body(body)


supplier = create(publisher_cls=UtcWallClock)
app = supplier.app
broker = supplier.broker
