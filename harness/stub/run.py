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
        if self.transport.kind == "redis":  # the tap's consumer group on every catalogue stream
            await self.transport.declare()
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


def in_process_app(provider: str, root: str | Path | None = None) -> Any:
    """A FastStream app for the memory bus: the same model behind subscribers on every channel it consumes."""
    from wirekit.bus import app as app_for
    from wirekit.bus import broker_from_env, channel, publish, subscriber

    model = build_model(provider, root or os.environ.get("EM_HARNESS_ROOT"))
    broker = broker_from_env()
    app = app_for(broker)
    app.stub_model = model

    def handler(address: str) -> Callable[..., Any]:
        async def consume(body: Any) -> None:
            for out in model.receive(address, body):
                await publish(broker, out.body, channel(out.address), out.headers)

        consume.__name__ = "on_" + address.replace(".", "_").replace("-", "_")
        return consume

    for address in sorted({*model.plan.consumes, CLOCK}):
        subscriber(broker, channel(address), f"{provider}-stub")(handler(address))
    return app
