"""Putting the stub on a bus: through the harness's own transports (harness/bus/<kind>.py) on a real broker,
or as an in-process FastStream app for the memory bus (verify --supplier-app harness.stub.apps:<provider>).

On a real broker the stub opens the transport for the URL with a tap of its own (named `em-stub`, so it never
shares a queue or consumer group with a harness run's tap), reads every message below the channel prefix,
answers what its provider consumes and, once listening, publishes the readiness message. It creates nothing
on the broker that a verify run would (no JetStream stream, no Kafka topic) and removes nothing but its tap.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.bus.base import RunSpec
from harness.catalogue.states import load_states
from harness.project import find_project
from harness.stub.model import CLOCK, READY, Out, StubModel
from harness.verify.plan import make_plan

TAP_ID = "em-stub"


def build_model(provider: str, root: str | Path | None = None) -> StubModel:
    """The stub's behaviour for `provider`, from the catalogue at `root` (EM_HARNESS_ROOT, the current folder)."""
    project = find_project(root)
    plan = make_plan(project, provider)
    return StubModel(plan, load_states(project.states_dir).get(provider))


def ready_body(model: StubModel) -> dict[str, Any]:
    return {"provider": model.provider, "pid": os.getpid(), "subscribed": sorted(model.plan.consumes)}


class BusStub:
    """The stub on a real broker, through a harness transport."""

    def __init__(self, model: StubModel, url: str, prefix: str = "", on_out: Callable[[Out], None] | None = None):
        from harness.bus.registry import transport_module

        self.model = model
        self.prefix = prefix
        channels = {c.address: c.bindings for c in model.plan.asyncapi.channels.values()}
        run = RunSpec(prefix=prefix, channels=channels, tap_id=TAP_ID)
        self.transport = transport_module(url).TRANSPORT(url, run)
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.own: set[str] = set()
        self.on_out = on_out
        self._task: asyncio.Task | None = None

    def _deliver(self, address: str, headers: Any, body: Any) -> None:
        if isinstance(body, bytes | bytearray):
            import orjson

            try:
                body = orjson.loads(body)
            except orjson.JSONDecodeError:
                return
        self.queue.put_nowait((address, body))

    async def start(self) -> None:
        await self.transport.connect()
        if self.transport.kind in ("redis", "sqs"):  # Redis: the tap's consumer group on every catalogue stream;
            await self.transport.declare()  # SNS: the run's topic ARNs (creating a topic that exists returns it)
        await self.transport.tap(self._deliver)
        self._task = asyncio.get_running_loop().create_task(self._serve())
        await self.transport.health()  # a round trip: the broker knows the tap before anyone is told
        await self.send(Out(READY, ready_body(self.model), {"eventType": READY, "content-type": "application/json"}))

    async def send(self, out: Out) -> None:
        if isinstance(out.body.get("eventId"), str):
            self.own.add(out.body["eventId"])
        if self.on_out is not None:
            self.on_out(out)
        await self.transport.publish(self.prefix + out.address, out.body, out.headers)

    async def _serve(self) -> None:
        while True:
            address, body = await self.queue.get()
            if not address.startswith(self.prefix):
                continue
            if isinstance(body, dict) and body.get("eventId") in self.own:
                continue
            for out in self.model.receive(address[len(self.prefix) :], body):
                await self.send(out)

    async def play(self, state: str, params: dict[str, Any] | None = None) -> list[Out]:
        outs = self.model.play(state, params)
        for out in outs:
            await self.send(out)
        return outs

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=3)
        if self.transport.kind == "amqp":  # the stub's own tap queue; nothing of the run's
            with contextlib.suppress(Exception):
                await self.transport.cleanup()
        with contextlib.suppress(Exception):
            await self.transport.close()


async def serve(provider: str, url: str, prefix: str, root: str | None, play: str | None, once: bool) -> int:
    """`em-harness stub`: answer until SIGTERM/SIGINT; with --play, publish the state's messages (and stop)."""
    model = build_model(provider, root)
    stub = BusStub(model, url, prefix)
    await stub.start()
    try:
        if play is not None:
            await stub.play(play)
            if once:
                await asyncio.sleep(0.2)
                return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        return 0
    finally:
        await stub.stop()


def _memory_broker(url: str) -> tuple[Any, str]:
    """The FastStream broker of the kind a memory bus URL names (the memory bus wraps it in its test broker)."""
    from harness.bus.memory import check_url

    check_url(url)
    kind = url.partition("://")[2] or "nats"
    if kind == "nats":
        from faststream.nats import NatsBroker

        return NatsBroker(), "nats"
    if kind in ("rabbit", "rabbitmq", "amqp"):
        from faststream.rabbit import RabbitBroker

        return RabbitBroker(), "rabbit"
    if kind == "redis":
        from faststream.redis import RedisBroker

        return RedisBroker(), "redis"
    from faststream.kafka import KafkaBroker

    return KafkaBroker(), "kafka"


def in_process_app(provider: str, root: str | Path | None = None) -> Any:
    """A FastStream app for the memory bus: the same model behind subscribers on every channel it consumes,
    with the channel mapping of the broker kind the memory URL names (harness/bus/<kind>.py says it)."""
    from faststream import FastStream

    model = build_model(provider, root or os.environ.get("EM_HARNESS_ROOT"))
    broker, kind = _memory_broker(os.environ.get("EM_BUS_URL", "memory") or "memory")
    prefix = os.environ.get("EM_CHANNEL_PREFIX", "")
    group = f"{provider}-stub"
    exchange = None
    if kind == "rabbit":
        from faststream.rabbit import ExchangeType, RabbitExchange

        from harness.bus.amqp import exchange_name

        channels = {c.address: c.bindings for c in model.plan.asyncapi.channels.values()}
        exchange = RabbitExchange(exchange_name(RunSpec(channels=channels)), type=ExchangeType.TOPIC, durable=True)

    def subscribe(address: str) -> Any:
        if kind == "rabbit":
            from faststream.rabbit import RabbitQueue

            return broker.subscriber(RabbitQueue(f"{group}.{address}", auto_delete=True, routing_key=address), exchange)
        if kind == "redis":
            from faststream.redis import StreamSub

            return broker.subscriber(stream=StreamSub(address, group=group, consumer=f"{group}-{os.getpid()}"))
        return broker.subscriber(address)

    async def publish(out: Out) -> None:
        address = prefix + out.address
        if kind == "rabbit":
            await broker.publish(out.body, exchange=exchange, routing_key=address, headers=out.headers)
        elif kind == "redis":
            await broker.publish(out.body, stream=address, headers=out.headers)
        else:
            await broker.publish(out.body, address, headers=out.headers)

    def handler(address: str) -> Callable[..., Any]:
        async def consume(body: Any) -> None:
            for out in model.receive(address, body):
                await publish(out)

        consume.__name__ = "on_" + address.replace(".", "_").replace("-", "_")
        return consume

    for address in sorted({*model.plan.consumes, CLOCK}):
        subscribe(prefix + address)(handler(address))
    app = FastStream(broker)
    app.stub_model = model
    return app
