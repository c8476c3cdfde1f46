"""Probation alerts's subscriber app: violations and alerts as actions for the responsible officer.

Run with `faststream run consumers.probation_alerts.app:app` (EM_BUS_URL picks the bus; memory by default).
"""

from __future__ import annotations

from typing import Any

from consumers.probation_alerts.service import OfficerActions
from wirekit.bus import app as app_for
from wirekit.bus import broker_from_env, channel, subscriber

service = OfficerActions()
SYSTEM = "probation-alerts"
broker = broker_from_env()


@subscriber(broker, channel("electronic-monitoring.violation-raised"), SYSTEM)
async def on_violation_raised(message: dict[str, Any]) -> None:
    service.violation_raised(message)


@subscriber(broker, channel("electronic-monitoring.violation-updated"), SYSTEM)
async def on_violation_updated(message: dict[str, Any]) -> None:
    service.violation_updated(message)


@subscriber(broker, channel("electronic-monitoring.alert-raised"), SYSTEM)
async def on_alert_raised(message: dict[str, Any]) -> None:
    service.alert_raised(message)


app = app_for(broker)
