"""The bus interface the engine sees (start, publish, a tap that records everything, stop), and the one a
transport module implements (connect, declare what a run needs, publish, tap, health, clean up).

The engine knows `Bus` only. A real broker is a `BrokerBus` (harness/bus/broker.py) around one `Transport`
(harness/bus/<kind>.py); the registry (harness/bus/registry.py) picks the transport for a bus URL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.bus.recorded import Recorded
from harness.errors import HarnessError

T = TypeVar("T")


async def stop_task(task: asyncio.Task | None, timeout: float = 3.0) -> None:
    """Cancel a background task and wait for it, but never forever.

    A cancellation can be swallowed inside a library (an anyio cancel scope in a broker's ping, say);
    awaiting the task unbounded would then hang the whole run at its very end.
    """
    if task is None or task.done():
        return
    task.cancel()
    await asyncio.wait({task}, timeout=timeout)


class Unanswered(TimeoutError):
    """A bounded call to the broker did not finish in time."""


async def bounded(work: Awaitable[T], seconds: float) -> T:
    """Await `work` for at most `seconds`, then give up on it without waiting for it to agree.

    `asyncio.wait_for` waits for the cancelled call to finish cancelling; a client library that swallows
    the cancellation (a connect stuck in a handshake a silent listener never answers) would then hang the
    run despite the timeout. Here the call is cancelled and abandoned: the bound holds whatever it does.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        if task.cancelled():  # a client library cancelled its own work (a consumer stopping a dead fetch)
            raise Unanswered("the call was cancelled inside the client")
        return task.result()
    task.cancel()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "exception was never retrieved"
    raise Unanswered(f"no answer within {seconds:g} s")


class InfrastructureError(HarnessError):
    """The bus or the supplier process failed mid-run: the run ends with exit 2, never a verdict."""


@dataclass(frozen=True)
class RunSpec:
    """What a run needs on the broker, from the catalogue: the run's channel prefix and every channel.

    `channels` maps each channel address (unprefixed) to its AsyncAPI bindings (amqp, kafka, sns, ...), so a
    transport can declare exactly what the catalogue says (SNS topics, FIFO ordering) and nothing else.
    """

    prefix: str = ""
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    connect_timeout: float = 10.0
    """--connect-timeout: the bus bounds connect() by it; clients that take a timeout of their own get it too."""
    tap_id: str = "em-harness"
    """Names the tap's own queue or consumer group: a stub reading the same run (harness.stub) has its own."""

    @property
    def addresses(self) -> list[str]:
        return sorted(self.channels)


Deliver = Callable[[str, Mapping[str, Any], Any], None]
"""The tap's callback: (prefixed address, headers, body as bytes or decoded JSON)."""


class Transport:
    """One broker kind. A module per kind implements this; `BrokerBus` drives it and bounds every call.

    Life of a run: connect -> declare -> tap -> publish... (health, polled by a watchdog) -> drain ->
    cleanup -> close. `cleanup` also runs after an infrastructure failure, bounded, in case the broker
    is still reachable: what the run created (queues, streams, topics, subscriptions) never outlives it.
    """

    kind = "transport"
    concurrency: int | None = None  # see Bus.concurrency
    # How long the supplier must have been quiet about an interaction, once it has answered, before the
    # answer is judged (a better one may follow: the answer to a follow-up stimulus). On a real broker every
    # hop crosses a network and a loaded machine's scheduler: one second was measured too short with four
    # runs at once on a 2-core machine (the earlier "approved" judged instead of the "rejected" that followed).
    settle = 2.0

    def __init__(self, url: str, run: RunSpec) -> None:
        self.url = url
        self.run = run

    async def connect(self) -> None:
        """Open the harness's connections (the caller bounds this with --connect-timeout)."""
        raise NotImplementedError

    async def declare(self) -> None:
        """Create what the run needs before the supplier starts (streams, topics, queues)."""

    async def tap(self, deliver: Deliver) -> None:
        """Start delivering every message below the run's prefix, on any channel, to `deliver`."""
        raise NotImplementedError

    async def publish(self, address: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        """Publish one message on a (prefixed) channel address, as a supplier's subscriber receives it."""
        raise NotImplementedError

    async def health(self) -> None:
        """One round trip to the broker; raise when it fails. The caller bounds it (not a local flag)."""
        raise NotImplementedError

    async def drain(self) -> None:
        """Before cleanup, after a run without failure: deliver what the tap has not read yet."""

    async def cleanup(self) -> None:
        """Remove everything the run created on the broker."""

    async def close(self) -> None:
        """Close the harness's connections."""

    def supplier_env(self) -> dict[str, str]:
        """Extra environment for a supplier the harness starts (e.g. the run's JetStream stream)."""
        return {}


class Bus:
    """A message bus with a tap. Subclasses attach a transport; the recording logic lives here once."""

    name = "bus"
    # In-memory delivery runs the supplier's handler inside publish(): by the time it returns, the
    # supplier has reacted. Stimulus delays (meant for real brokers) are skipped, and the settle time
    # after a first candidate answer can be short.
    synchronous = False
    settle = 1.0
    # At most this many interactions at once on this bus (None: the engine's own limit). A transport whose
    # every publish is a slow request (SNS) would otherwise queue the answers of all interactions at once
    # past the contracts' deadlines; each interaction's deadline runs from its own first stimulus.
    concurrency: int | None = None

    def __init__(self) -> None:
        self.recorded: list[Recorded] = []
        self._t0 = time.monotonic()
        self._listeners: list[Callable[[Recorded], None]] = []
        self.failure: str | None = None
        self.failed: asyncio.Event | None = None  # created in start(), inside the run's event loop

    def listen(self, callback: Callable[[Recorded], None]) -> None:
        """Call back on every recorded message (the engine wakes waiting interactions this way)."""
        self._listeners.append(callback)

    def record(self, channel: str, headers: Mapping[str, Any] | None, body: Any, direction: str) -> Recorded:
        if isinstance(body, bytes | bytearray):
            import orjson

            try:
                body = orjson.loads(body)
            except orjson.JSONDecodeError:
                body = body.decode("utf-8", "replace")
        rec = Recorded(
            seq=len(self.recorded) + 1,
            at=time.monotonic() - self._t0,
            channel=channel,
            headers=dict(headers or {}),
            body=body,
            direction=direction,
        )
        self.recorded.append(rec)
        for callback in self._listeners:
            callback(rec)
        return rec

    def fail(self, reason: str) -> None:
        """Note an infrastructure failure and wake everything waiting on the bus."""
        if self.failure is None:
            self.failure = reason
        if self.failed is not None:
            self.failed.set()

    def check(self) -> None:
        if self.failure is not None:
            raise InfrastructureError(self.failure)

    async def wait_for(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait for the event; False on timeout; InfrastructureError if the bus fails meanwhile."""
        self.check()
        waits = [asyncio.ensure_future(event.wait())]
        if self.failed is not None:
            waits.append(asyncio.ensure_future(self.failed.wait()))
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        self.check()
        return event.is_set()

    def now(self) -> float:
        return time.monotonic() - self._t0

    async def start(self) -> None:
        raise NotImplementedError

    async def publish(self, channel: str, body: dict[str, Any], headers: dict[str, str]) -> Recorded:
        """Publish a stimulus; return its record (the tap records what the harness sends, too)."""
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError
