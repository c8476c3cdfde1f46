"""A real broker with the harness's tap and stimuli on it, whatever its kind: the run's life, bounded.

Isolation: every run has its own channel prefix (`emh-<run id>.`), which the supplier is given as
EM_CHANNEL_PREFIX; the tap listens only below that prefix, so two runs on one broker never see each
other's messages. What a run creates is removed at its end by the transport's `cleanup`, after a failure
too (bounded: a broker that is gone cannot be cleaned, and waiting for it would hang the run).

A watchdog makes a real round trip to the broker (`Transport.health`) every PING_EVERY seconds, bounded
by PING_TIMEOUT: a broker that goes away or stops answering (a paused process, a frozen proxy) wakes every
waiting interaction and ends the run as an infrastructure error (exit 2) with everything recorded so far,
never as a pass, within PING_EVERY + PING_TIMEOUT seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from harness.bus.base import Bus, InfrastructureError, Transport, Unanswered, bounded, stop_task
from harness.bus.recorded import Recorded
from harness.errors import HarnessError

log = logging.getLogger("em-harness.bus")

PING_EVERY = 0.5
PING_TIMEOUT = 2.0
PUBLISH_TIMEOUT = 10.0
CLEANUP_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


class BrokerBus(Bus):
    """The harness's own connection to a real broker: a tap below the run's prefix, and stimuli."""

    def __init__(
        self,
        transport: Transport,
        *,
        connect_timeout: float = 10.0,
        ping_every: float = PING_EVERY,
        ping_timeout: float = PING_TIMEOUT,
    ) -> None:
        super().__init__()
        self.transport = transport
        self.url = transport.url
        self.name = transport.url
        self.kind = transport.kind
        self.concurrency = transport.concurrency
        self.settle = transport.settle
        self.prefix = transport.run.prefix
        self.connect_timeout = connect_timeout
        self.ping_every = ping_every
        self.ping_timeout = ping_timeout
        self._stimulus_ids: set[str] = set()
        self._watchdog: asyncio.Task | None = None
        self._stopping = False
        self._connected = False

    def supplier_env(self) -> dict[str, str]:
        return self.transport.supplier_env()

    # -- the tap ------------------------------------------------------------------------------
    def _deliver(self, address: str, headers: Mapping[str, Any], body: Any) -> None:
        if self.prefix:
            if not address.startswith(self.prefix):
                return  # another run's message (a transport without per-prefix subscriptions)
            address = address[len(self.prefix) :]
        if isinstance(body, bytes | bytearray):
            import orjson

            with contextlib.suppress(orjson.JSONDecodeError):
                body = orjson.loads(body)
        if isinstance(body, dict) and body.get("eventId") in self._stimulus_ids:
            return  # a stimulus coming back through the tap was recorded when it was published
        self.record(address, headers, body, "supplier")

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self.failed = asyncio.Event()
        try:
            await bounded(self.transport.connect(), self.connect_timeout)
            self._connected = True
            await bounded(self.transport.declare(), self.connect_timeout)
            await bounded(self.transport.tap(self._deliver), self.connect_timeout)
        except Unanswered:
            await self._abandon()
            raise HarnessError(
                f"bus {self.url!r}: no broker answered within {self.connect_timeout:g} s; is it running there?"
            ) from None
        except HarnessError:
            await self._abandon()
            raise
        except Exception as exc:
            await self._abandon()
            raise HarnessError(f"bus {self.url!r}: cannot connect: {_why(exc)}") from None
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def _abandon(self) -> None:
        """A start that failed half way: remove what was declared (if the broker answers), close."""
        if self._connected:
            with contextlib.suppress(Exception):
                await bounded(self.transport.cleanup(), CLEANUP_TIMEOUT / 2)
        with contextlib.suppress(Exception):
            await bounded(self.transport.close(), CLOSE_TIMEOUT / 2)

    async def _watch(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.ping_every)
            if self._stopping:
                return
            try:
                await bounded(self.transport.health(), self.ping_timeout)
            except Unanswered:
                why = f"no answer to a ping within {self.ping_timeout:g} s (paused or unresponsive?)"
            except Exception as exc:
                why = _why(exc)
            else:
                continue
            if not self._stopping:  # a ping cut short by our own stop is no outage
                self.fail(f"lost the broker at {self.url}: {why}")
                return

    async def publish(self, channel: str, body: dict[str, Any], headers: dict[str, str]) -> Recorded:
        self.check()
        if isinstance(body, dict) and isinstance(body.get("eventId"), str):
            self._stimulus_ids.add(body["eventId"])
        rec = self.record(channel, headers, body, "stimulus")
        try:
            await bounded(self.transport.publish(self.prefix + channel, body, headers), PUBLISH_TIMEOUT)
        except Exception as exc:
            self.fail(f"publishing to {self.url} failed: {_why(exc)}")
            raise InfrastructureError(self.failure) from None
        return rec

    async def stop(self) -> None:
        self._stopping = True  # the loops end by themselves even if a cancellation is swallowed
        await stop_task(self._watchdog)
        if self.failure is None:
            try:
                await bounded(self.transport.drain(), CLEANUP_TIMEOUT / 2)
            except Exception as exc:
                log.warning("bus %s: reading the last messages failed: %s", self.url, _why(exc))
        # Clean up after a failure too: the broker may still answer (the supplier died, a publish failed).
        # Bounded, so a broker that is really gone costs at most CLEANUP_TIMEOUT / 2 more.
        try:
            await bounded(self.transport.cleanup(), CLEANUP_TIMEOUT if self.failure is None else CLEANUP_TIMEOUT / 2)
        except Exception as exc:
            log.warning("bus %s: removing what the run created failed: %s", self.url, _why(exc))
        with contextlib.suppress(Exception):
            await bounded(self.transport.close(), CLOSE_TIMEOUT)
