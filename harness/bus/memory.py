"""The in-memory bus: a supplier's FastStream app bound to the harness in this process.

`memory` wraps the app's own broker in FastStream's in-memory test broker (no network); the tap is a
publish middleware on that broker, so it sees every message the supplier publishes, on any channel,
whether or not anything subscribes to it. `memory://nats|rabbit|redis|kafka` names the broker kind the
supplier app builds (it reads EM_BUS_URL); the channel mapping of each kind is the same as on the real
broker (a RabbitMQ routing key on the catalogue's exchange, a Redis stream, a Kafka topic, a NATS subject).
"""

from __future__ import annotations

import contextvars
from typing import Any

from faststream import BaseMiddleware

from harness.bus.base import Bus, RunSpec
from harness.bus.recorded import Recorded
from harness.errors import HarnessError

SCHEMES = ("memory",)
EXAMPLE = "memory"
IN_PROCESS = True
KINDS = ("nats", "rabbit", "rabbitmq", "amqp", "redis", "kafka")

# The body the harness is publishing right now. In memory the supplier's handler runs inside that
# publish call, so "inside a harness publish" does not mean "published by the harness": compare bodies.
_stimulus_body: contextvars.ContextVar[Any] = contextvars.ContextVar("em_stimulus_body", default=None)


def check_url(url: str) -> None:
    kind = url.partition("://")[2] if "://" in url else ""
    if url != "memory" and (not url.startswith("memory://") or kind not in KINDS):
        raise HarnessError(
            f"bus URL {url!r}: use memory, memory://nats, memory://rabbit, memory://redis or memory://kafka"
        )


def _kind(broker: Any) -> str:
    module = type(broker).__module__
    for kind in ("nats", "rabbit", "redis", "kafka"):
        if f".{kind}" in module or module.startswith(f"faststream.{kind}"):
            return kind
    raise HarnessError(
        f"supplier broker {type(broker).__name__}: the memory bus needs a FastStream NATS, RabbitMQ, Redis or "
        "Kafka broker; run other suppliers on a real broker (--bus) with --supplier-cmd"
    )


def _test_broker_for(broker: Any) -> Any:
    """FastStream's in-memory test broker for the app's broker class."""
    kind = _kind(broker)
    if kind == "nats":
        from faststream.nats import TestNatsBroker

        return TestNatsBroker(broker)
    if kind == "rabbit":
        from faststream.rabbit import TestRabbitBroker

        return TestRabbitBroker(broker)
    if kind == "redis":
        from faststream.redis import TestRedisBroker

        return TestRedisBroker(broker)
    from faststream.kafka import TestKafkaBroker

    return TestKafkaBroker(broker)


def _exchange(run: RunSpec) -> Any:
    from faststream.rabbit import ExchangeType, RabbitExchange

    from harness.bus.amqp import exchange_name

    return RabbitExchange(exchange_name(run), type=ExchangeType.TOPIC, durable=True)


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

    def __init__(self, app: Any, run: RunSpec | None = None) -> None:
        super().__init__()
        self.app = app
        self.broker = app.broker
        self.kind = _kind(self.broker)
        self.run = run or RunSpec()
        self._ctx: Any = None
        self._test: Any = None
        # One tap per broker, however many runs use it (a test suite may verify the same app twice).
        if not getattr(self.broker, "_em_harness_tapped", False):
            self.broker.add_middleware(_Tap)
            self.broker._em_harness_tapped = True
            if self.kind == "rabbit":
                # FastStream's in-memory RabbitMQ raises SubscriberNotFound for a routing key nobody
                # consumes; a catch-all queue on the exchange stands for the MoJ side's subscribers.
                from faststream.rabbit import RabbitQueue

                queue = RabbitQueue("em-harness.tap", auto_delete=True, routing_key="#")

                async def swallow(body: Any) -> None:
                    return None

                self.broker.subscriber(queue, _exchange(self.run))(swallow)

    async def start(self) -> None:
        _ACTIVE.append(self)
        self._ctx = _test_broker_for(self.broker)
        self._test = await self._ctx.__aenter__()

    async def _send(self, channel: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        if self.kind == "rabbit":
            await self.broker.publish(
                body, exchange=_exchange(self.run), routing_key=channel, headers=headers, mandatory=False
            )
        elif self.kind == "redis":
            await self.broker.publish(body, stream=channel, headers=headers)
        else:
            await self.broker.publish(body, channel, headers=headers)

    async def publish(self, channel: str, body: dict[str, Any], headers: dict[str, str]) -> Recorded:
        rec = self.record(channel, headers, body, "stimulus")
        token = _stimulus_body.set(body)
        try:
            await self._send(channel, body, headers)
        finally:
            _stimulus_body.reset(token)
        return rec

    def forget(self) -> None:
        """Drop FastStream's test-call records (every message each handler and publisher saw, with a mock
        call each): a long run (simulate: a simulated day of a caseload) would otherwise keep them all."""
        for sub in getattr(self.broker, "subscribers", ()):
            for item in getattr(sub, "calls", ()):
                recorder = getattr(getattr(item, "handler", None), "_recorder", None)
                if recorder is not None:
                    recorder.reset()
        for pub in getattr(self.broker, "publishers", ()):
            recorder = getattr(pub, "_recorder", None)
            if recorder is not None:
                recorder.reset()

    async def stop(self) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if self._ctx is not None:
            await self._ctx.__aexit__(None, None, None)
            self._ctx = None
