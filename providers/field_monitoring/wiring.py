"""The Field Monitoring Service as a FastStream app: orders and simulation channels in, case reports out.

Run it alone with `python -m providers.field_monitoring` (EM_BUS_URL picks the bus), or let
`em-harness verify --provider field-monitoring-service` load `providers.field_monitoring:app` in process.
"""

from __future__ import annotations

from collections.abc import Mapping

from providers.field_monitoring.service import FieldMonitoringService
from providers.wiring import Handler, Publisher, Supplier, build_supplier

PROVIDER = "field-monitoring-service"


def routes(service: FieldMonitoringService) -> Mapping[str, Handler]:
    """Channel address -> service method: what the FMS consumes (contracts/asyncapi.yaml receive operations)."""
    return {
        "electronic-monitoring.order-submitted": service.on_order_submitted,
        "electronic-monitoring.order-varied": service.on_order_varied,
        "electronic-monitoring.order-ended": service.on_order_ended,
        "em-harness.sim-field-visit": service.on_field_visit,
        "em-harness.sim-device-telemetry": service.on_device_telemetry,
        "em-harness.sim-wearer-contact": service.on_wearer_contact,
        "em-harness.sim-clock": service.on_clock,
    }


def create(service: FieldMonitoringService | None = None, publisher_cls: type[Publisher] = Publisher) -> Supplier:
    """A new FMS app on a new broker for EM_BUS_URL; faulty variants pass their own service or publisher."""
    return build_supplier(PROVIDER, service or FieldMonitoringService(), routes, publisher_cls)


supplier = create()
app = supplier.app
broker = supplier.broker
