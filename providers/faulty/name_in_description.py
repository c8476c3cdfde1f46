"""FMS that puts the wearer's first and last name in the free-text description of case-created.

The bug: the envelope's `description` is the case management system's case title, "Case opened for
<first name> <last name>". The field is free text, so schema and pact pass, but the name is personal
data in a field the schema does not mark `x-personal-data`: it reaches every subscriber and every log.
The harness's PII canaries (unique names planted in each order) find it: data-minimisation.
"""

from __future__ import annotations

from typing import Any

from providers.field_monitoring.orders_inbox import Decision
from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "an order has been submitted"
MESSAGE = "case-created"
CHECK = "data-minimisation"
FAILS = {CHECK}  # the one check it fails, on every bus (nothing else fails)
EXPECTED_INTERACTION = "cemo / a case created for a new order"
EXPECTED_FIELD = "description"


class RemembersNames(FieldMonitoringService):
    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, str] = {}

    def decide(self, message: dict[str, Any]) -> Decision:
        info = message.get("additionalInformation") or {}
        wearer = info.get("device_wearer") or {}
        self.names[str(info.get("order_id"))] = f"{wearer.get('first_name', '')} {wearer.get('last_name', '')}"
        return super().decide(message)


service = RemembersNames()


class CaseTitle(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        name = service.names.get(str(body["additionalInformation"]["orderId"]))
        if name:
            body["description"] = f"Case opened for {name}"
        return out.with_body(body)


supplier = create(service, publisher_cls=CaseTitle)
app = supplier.app
broker = supplier.broker
