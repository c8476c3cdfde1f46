"""Probation alerts's subscriber app: violations and alerts as actions for the responsible officer.

Run with `faststream run consumers.probation_alerts.app:app` (EM_BUS_URL picks the bus; memory by default).
"""

from __future__ import annotations

from typing import Any

from faststream import FastStream

from consumers.probation_alerts.service import OfficerActions
from harness.bus.factory import broker_from_env, channel

service = OfficerActions()
broker = broker_from_env()


@broker.subscriber(channel("electronic-monitoring.violation-raised"))
async def on_violation_raised(message: dict[str, Any]) -> None:
    service.violation_raised(message)


@broker.subscriber(channel("electronic-monitoring.violation-updated"))
async def on_violation_updated(message: dict[str, Any]) -> None:
    service.violation_updated(message)


@broker.subscriber(channel("electronic-monitoring.alert-raised"))
async def on_alert_raised(message: dict[str, Any]) -> None:
    service.alert_raised(message)


app = FastStream(broker)
