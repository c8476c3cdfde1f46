"""CEMO's subscriber app: supplier case reports on the bus feed the order lifecycle tracker.

Run with `faststream run consumers.cemo.app:app` (EM_BUS_URL picks the bus; memory by default).
"""

from __future__ import annotations

from typing import Any

from faststream import FastStream

from consumers.cemo.service import CaseTracker
from harness.bus.factory import broker_from_env, channel

service = CaseTracker()
broker = broker_from_env()


@broker.subscriber(channel("electronic-monitoring.case-created"))
async def on_case_created(message: dict[str, Any]) -> None:
    service.case_created(message)


@broker.subscriber(channel("electronic-monitoring.case-status-returned"))
async def on_case_status_returned(message: dict[str, Any]) -> None:
    service.case_status_returned(message)


@broker.subscriber(channel("electronic-monitoring.visit-completed"))
async def on_visit_completed(message: dict[str, Any]) -> None:
    service.visit_completed(message)


@broker.subscriber(channel("electronic-monitoring.equipment-installed"))
async def on_equipment_installed(message: dict[str, Any]) -> None:
    service.equipment_installed(message)


@broker.subscriber(channel("electronic-monitoring.equipment-removed"))
async def on_equipment_removed(message: dict[str, Any]) -> None:
    service.equipment_removed(message)


@broker.subscriber(channel("electronic-monitoring.monitoring-ended"))
async def on_monitoring_ended(message: dict[str, Any]) -> None:
    service.monitoring_ended(message)


app = FastStream(broker)
