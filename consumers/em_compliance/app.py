"""EM compliance's subscriber app: device activations and battery readings against the battery rule.

Run with `faststream run consumers.em_compliance.app:app` (EM_BUS_URL picks the bus; memory by default).
"""

from __future__ import annotations

from typing import Any

from consumers.em_compliance.service import BatteryCompliance
from wirekit.bus import app as app_for
from wirekit.bus import broker_from_env, channel, subscriber

service = BatteryCompliance()
SYSTEM = "em-compliance"
broker = broker_from_env()


@subscriber(broker, channel("electronic-monitoring.device-activated"), SYSTEM)
async def on_device_activated(message: dict[str, Any]) -> None:
    service.device_activated(message)


@subscriber(broker, channel("electronic-monitoring.device-deactivated"), SYSTEM)
async def on_device_deactivated(message: dict[str, Any]) -> None:
    service.device_deactivated(message)


@subscriber(broker, channel("electronic-monitoring.device-event-reported"), SYSTEM)
async def on_device_event_reported(message: dict[str, Any]) -> None:
    service.device_event_reported(message)


app = app_for(broker)
