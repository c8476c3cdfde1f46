"""EM Data Insights's subscriber app: wearer timelines for probation officers.

Run with `faststream run consumers.em_data_insights.app:app` (EM_BUS_URL picks the bus; memory by default).
"""

from __future__ import annotations

from typing import Any

from consumers.em_data_insights.service import WearerTimelines
from wirekit.bus import app as app_for
from wirekit.bus import broker_from_env, channel, subscriber

service = WearerTimelines()
SYSTEM = "em-data-insights"
broker = broker_from_env()


@subscriber(broker, channel("electronic-monitoring.violation-raised"), SYSTEM)
async def on_violation_raised(message: dict[str, Any]) -> None:
    service.violation_raised(message)


@subscriber(broker, channel("electronic-monitoring.violation-updated"), SYSTEM)
async def on_violation_updated(message: dict[str, Any]) -> None:
    service.violation_updated(message)


@subscriber(broker, channel("electronic-monitoring.positions-reported"), SYSTEM)
async def on_positions_reported(message: dict[str, Any]) -> None:
    service.positions_reported(message)


@subscriber(broker, channel("electronic-monitoring.device-event-reported"), SYSTEM)
async def on_device_event_reported(message: dict[str, Any]) -> None:
    service.device_event_reported(message)


app = app_for(broker)
