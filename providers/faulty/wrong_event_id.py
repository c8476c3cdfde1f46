"""FMS that computes eventId over its own JSON text instead of the RFC 8785 canonical form.

The bug: eventId is sha256 of `json.dumps(message, sort_keys=True)`, which writes ", " and ": " between
items (whitespace RFC 8785 does not have) and Python's own number and escaping rules. The id looks right
(sha256:<64 hex>), so schema and pact pass, but no consumer computes the same id and de-duplication on
it fails for every message. The event-id check recomputes it on every message the supplier sends.
"""

from __future__ import annotations

import hashlib
import json

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-created"
CHECK = "event-id"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "cemo / a case created for a new order"
EXPECTED_FIELD = "eventId"


class HandMadeCanonicalForm(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if not out.event_type.startswith("electronic-monitoring."):
            return out
        body = {k: v for k, v in out.body.items() if k != "eventId"}
        text = json.dumps(body, sort_keys=True)
        body["eventId"] = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
        return Outgoing(out.message, body)


supplier = create(publisher_cls=HandMadeCanonicalForm)
app = supplier.app
broker = supplier.broker
