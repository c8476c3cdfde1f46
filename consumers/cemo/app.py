"""CEMO's subscriber app: supplier case reports on the bus feed the order lifecycle tracker.

Run with `faststream run consumers.cemo.app:app` (EM_BUS_URL picks the bus; memory by default).
"""

from __future__ import annotations

from typing import Any

from consumers.cemo.service import CaseTracker
from wirekit.bus import app as app_for
from wirekit.bus import broker_from_env, channel, subscriber

service = CaseTracker()
SYSTEM = "cemo"
broker = broker_from_env()


@subscriber(broker, channel("electronic-monitoring.case-created"), SYSTEM)
async def on_case_created(message: dict[str, Any]) -> None:
    service.case_created(message)


@subscriber(broker, channel("electronic-monitoring.case-status-returned"), SYSTEM)
async def on_case_status_returned(message: dict[str, Any]) -> None:
    service.case_status_returned(message)


@subscriber(broker, channel("electronic-monitoring.visit-completed"), SYSTEM)
async def on_visit_completed(message: dict[str, Any]) -> None:
    service.visit_completed(message)


@subscriber(broker, channel("electronic-monitoring.equipment-installed"), SYSTEM)
async def on_equipment_installed(message: dict[str, Any]) -> None:
    service.equipment_installed(message)


@subscriber(broker, channel("electronic-monitoring.equipment-removed"), SYSTEM)
async def on_equipment_removed(message: dict[str, Any]) -> None:
    service.equipment_removed(message)


@subscriber(broker, channel("electronic-monitoring.monitoring-ended"), SYSTEM)
async def on_monitoring_ended(message: dict[str, Any]) -> None:
    service.monitoring_ended(message)


app = app_for(broker)
