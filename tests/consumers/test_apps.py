"""Each consumer app is wired to its service on the right channels (in-memory NATS test broker)."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest
from faststream.nats import TestNatsBroker

APPS = {
    "cemo": ("case-created", lambda svc: len(svc.orders) == 1),
    "em_data_insights": ("positions-reported", lambda svc: len(svc.timeline(person_id=5001)) == 5),
    "crime_matching": ("positions-reported", lambda svc: len(svc) == 5),
    "em_compliance": ("device-activated", lambda svc: [a.device_id for a in svc.active_devices()] == [100234]),
    "probation_alerts": ("alert-raised", lambda svc: len(svc.open_actions()) == 1),
    "em_datastore": ("monitoring-ended", lambda svc: svc.count() == 1),
}


def fresh_app(package: str) -> ModuleType:
    module = importlib.import_module(f"consumers.{package}.app")
    return importlib.reload(module)  # a fresh service and broker per test


@pytest.mark.parametrize("package", sorted(APPS))
async def test_app_feeds_its_service(package: str, example) -> None:
    module = fresh_app(package)
    message, observed = APPS[package]
    async with TestNatsBroker(module.broker) as broker:
        await broker.publish(example(message, 0), f"electronic-monitoring.{message}")
    assert observed(module.service)
    assert module.app.broker is module.broker


class Recorder:
    """Stands in for a service: records which method each delivered message reached."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __getattr__(self, name: str):
        return lambda message: self.calls.append((name, message["eventType"]))


@pytest.mark.parametrize("package", sorted(APPS))
async def test_every_consumed_channel_reaches_its_handler(package: str, example) -> None:
    module = fresh_app(package)
    handlers = dict(module.service.handlers)
    module.service = Recorder()  # subscribers look the service up when a message arrives
    async with TestNatsBroker(module.broker) as broker:
        for event_type in sorted(handlers):
            await broker.publish(example(event_type.removeprefix("electronic-monitoring."), 0), event_type)
    assert sorted(module.service.calls) == sorted((name, et) for et, name in handlers.items())


async def test_channel_prefix_separates_runs(monkeypatch: pytest.MonkeyPatch, example) -> None:
    monkeypatch.setenv("EM_CHANNEL_PREFIX", "run42.")
    module = fresh_app("em_datastore")
    async with TestNatsBroker(module.broker) as broker:
        await broker.publish(example("alert-raised", 0), "run42.electronic-monitoring.alert-raised")
        await broker.publish(example("alert-raised", 1), "electronic-monitoring.alert-raised")
    assert module.service.count() == 1
