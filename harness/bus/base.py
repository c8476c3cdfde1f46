"""The bus interface the engine sees: start, publish, a tap that records everything, stop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from harness.errors import HarnessError
from harness.verify.events import Recorded


async def stop_task(task: asyncio.Task | None, timeout: float = 3.0) -> None:
    """Cancel a background task and wait for it, but never forever.

    A cancellation can be swallowed inside a library (an anyio cancel scope in a broker's ping, say);
    awaiting the task unbounded would then hang the whole run at its very end.
    """
    if task is None or task.done():
        return
    task.cancel()
    await asyncio.wait({task}, timeout=timeout)


class InfrastructureError(HarnessError):
    """The bus or the supplier process failed mid-run: the run ends with exit 2, never a verdict."""


class Bus:
    """A message bus with a tap. Subclasses attach a transport; the recording logic lives here once."""

    name = "bus"
    # In-memory delivery runs the supplier's handler inside publish(): by the time it returns, the
    # supplier has reacted. Stimulus delays (meant for real brokers) are skipped, and the settle time
    # after a first candidate answer can be short.
    synchronous = False
    settle = 1.0

    def __init__(self) -> None:
        self.recorded: list[Recorded] = []
        self._t0 = time.monotonic()
        self._listeners: list[Callable[[Recorded], None]] = []
        self.failure: str | None = None
        self.failed: asyncio.Event | None = None  # created in start(), inside the run's event loop

    def listen(self, callback: Callable[[Recorded], None]) -> None:
        """Call back on every recorded message (the engine wakes waiting interactions this way)."""
        self._listeners.append(callback)

    def record(self, channel: str, headers: dict[str, Any] | None, body: Any, direction: str) -> Recorded:
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
