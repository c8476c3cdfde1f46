"""FMS that adds the wearer's date_of_birth to visit-completed, a payload that does not declare it.

The bug: the field officer's app attaches the wearer's date of birth (used on site to check identity)
to the visit record, and the visit record is published as it is. The schema stays valid (message schemas
are open), but the MoJ never agreed to receive personal data in this message: data minimisation.
"""

from __future__ import annotations

from providers.field_monitoring.service import FieldMonitoringService
from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher

PROVIDER = "field-monitoring-service"
CAUGHT_BY = "verify"
CAUGHT_IN = "a device has been fitted"
MESSAGE = "visit-completed"
FAILS = {"data-minimisation"}  # every check it fails, on every bus (nothing else fails)
# A pact interaction whose FAIL line names the bug, and what that line names.
EXPECTED_INTERACTION = "cemo / a completed install visit"
EXPECTED_FIELD = "date_of_birth"

service = FieldMonitoringService()


class IdentityCheckLeak(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != MESSAGE:
            return out
        body = out.edited()
        info = body["additionalInformation"]
        case = next((c for c in service.cases.values() if c.case_id == info.get("caseId")), None)
        born = case.held.device_wearer.get("date_of_birth") if case and case.held else None
        info["date_of_birth"] = born or "1990-01-01"
        return out.with_body(body)


supplier = create(service, publisher_cls=IdentityCheckLeak)
app = supplier.app
broker = supplier.broker
