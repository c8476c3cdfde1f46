"""A supplier's FastStream app bound to the harness in this process.

`memory` wraps the app's own broker in FastStream's in-memory test broker (no network); the tap is a
publish middleware on that broker, so it sees every message the supplier publishes, on any channel,
whether or not anything subscribes to it.
"""

from __future__ import annotations

import contextvars
import importlib
import os
import sys
from typing import Any

from faststream import BaseMiddleware

from harness.bus.base import Bus
from harness.bus.factory import broker_kind, exchange, publish
from harness.errors import HarnessError
from harness.verify.events import Recorded

# The body the harness is publishing right now. In memory the supplier's handler runs inside that
# publish call, so "inside a harness publish" does not mean "published by the harness": compare bodies.
_stimulus_body: contextvars.ContextVar[Any] = contextvars.ContextVar("em_stimulus_body", default=None)


def load_app(spec: str, bus_url: str) -> Any:
    """Import 'module:attr' with EM_BUS_URL set, so the app builds its broker for this bus."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise HarnessError(f"--supplier-app {spec!r}: expected MODULE:APP, e.g. providers.field_monitoring:app")
    os.environ["EM_BUS_URL"] = bus_url
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise HarnessError(f"--supplier-app {spec!r}: no module named {exc.name!r}; check the name") from None
    except Exception as exc:  # the supplier's own import failed: say so, in one line
        raise HarnessError(f"--supplier-app {spec!r}: importing it failed: {type(exc).__name__}: {exc}") from None
    app = getattr(module, attr, None)
    if app is None:
        raise HarnessError(f"--supplier-app {spec!r}: module {module_name!r} has no attribute {attr!r}")
    if not hasattr(app, "broker"):
        raise HarnessError(f"--supplier-app {spec!r}: {attr!r} is not a FastStream app (it has no broker)")
    return app


def _test_broker_for(broker: Any) -> Any:
    """FastStream's in-memory test broker for the app's broker class."""
    kind = type(broker).__module__.split(".")[1] if "." in type(broker).__module__ else ""
    if kind == "nats":
        from faststream.nats import TestNatsBroker

        return TestNatsBroker(broker)
    if kind == "rabbit":
        from faststream.rabbit import TestRabbitBroker

        return TestRabbitBroker(broker)
    if kind == "redis":
        from faststream.redis import TestRedisBroker

        return TestRedisBroker(broker)
    if kind == "kafka":
        from faststream.kafka import TestKafkaBroker

        return TestKafkaBroker(broker)
    raise HarnessError(f"supplier broker {type(broker).__name__}: no in-memory test broker for it")


# The bus recording right now. One in-process run at a time per process (the engine's runs are
# sequential); the tap middleware is installed once per broker and records into this bus.
_ACTIVE: list[Bus] = []


class _Tap(BaseMiddleware):
    """Records every publish the supplier makes, on any channel, subscribed to or not."""

    async def publish_scope(self, call_next: Any, cmd: Any) -> Any:
        if _ACTIVE and cmd.body is not _stimulus_body.get():
            _ACTIVE[-1].record(cmd.destination, cmd.headers, cmd.body, "supplier")
        return await call_next(cmd)


class InProcessBus(Bus):
    """The supplier app's broker, in memory, with the harness's tap installed."""

    name = "memory"
    synchronous = True
    settle = 0.05

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app
        self.broker = app.broker
        self._ctx: Any = None
        self._test: Any = None
        # One tap per broker, however many runs use it (a test suite may verify the same app twice).
        if not getattr(self.broker, "_em_harness_tapped", False):
            self.broker.add_middleware(_Tap)
            self.broker._em_harness_tapped = True
            if broker_kind(self.broker) == "amqp":
                # FastStream's in-memory RabbitMQ raises SubscriberNotFound for a routing key nobody
                # consumes; a catch-all queue on the exchange stands for the MoJ side's subscribers.
                from faststream.rabbit import RabbitQueue

                queue = RabbitQueue("em-harness.tap", auto_delete=True, routing_key="#")

                async def swallow(body: Any) -> None:
                    return None

                self.broker.subscriber(queue, exchange())(swallow)

    async def start(self) -> None:
        _ACTIVE.append(self)
        self._ctx = _test_broker_for(self.broker)
        self._test = await self._ctx.__aenter__()

    async def publish(self, channel: str, body: dict[str, Any], headers: dict[str, str]) -> Recorded:
        rec = self.record(channel, headers, body, "stimulus")
        token = _stimulus_body.set(body)
        try:
            await publish(self.broker, body, channel, headers)
        finally:
            _stimulus_body.reset(token)
        return rec

    async def stop(self) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if self._ctx is not None:
            await self._ctx.__aexit__(None, None, None)
            self._ctx = None
