"""FMS that opens the case of an order with an address in state OPEN instead of NEW.

A fault that shows in one provider state of a pair only ("an order has been submitted" has an address,
"... without a usable address" has none), and one only a pact sees (OPEN, number 10, is a valid case
state): the interaction of that state must be judged against its own message, even when another
interaction with the same description, under the other state, gets a correct one.
"""

from __future__ import annotations

from typing import Any

from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create
from providers.messages import Outgoing


class OpenWhenAddressed(FieldMonitoringService):
    def on_order_submitted(self, message: dict[str, Any]) -> list[Outgoing]:
        outs = super().on_order_submitted(message)
        wearer = (message.get("additionalInformation") or {}).get("device_wearer") or {}
        if not wearer.get("address_1"):
            return outs
        fixed = []
        for out in outs:
            if out.message == "case-created":
                body = out.edited()
                body["additionalInformation"]["caseState"] = {"name": "OPEN", "number": 10}
                out = out.with_body(body)
            fixed.append(out)
        return fixed


supplier = create(OpenWhenAddressed())
app = supplier.app
broker = supplier.broker
