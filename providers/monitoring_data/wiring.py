"""The Monitoring Data Service as a FastStream app: simulated telemetry and file drops in, device data out.

Run it alone with `python -m providers.monitoring_data` (EM_BUS_URL picks the bus), or let
`em-harness verify --provider monitoring-data-service` load `providers.monitoring_data:app` in process.
"""

from __future__ import annotations

from collections.abc import Mapping

from providers.monitoring_data.service import MonitoringDataService
from providers.wiring import Handler, Publisher, Supplier, build_supplier

PROVIDER = "monitoring-data-service"


def routes(service: MonitoringDataService) -> Mapping[str, Handler]:
    """Channel address -> service method: what the MDSS consumes (contracts/asyncapi.yaml receive operations)."""
    return {
        "em-harness.sim-device-telemetry": service.on_device_telemetry,
        "em-harness.sim-file-drop": service.on_file_drop,
        "em-harness.sim-clock": service.on_clock,
    }


def create(service: MonitoringDataService | None = None, publisher_cls: type[Publisher] = Publisher) -> Supplier:
    """A new MDSS app on a new broker for EM_BUS_URL; faulty variants pass their own service or publisher."""
    return build_supplier(PROVIDER, service or MonitoringDataService(), routes, publisher_cls)


supplier = create()
app = supplier.app
broker = supplier.broker
