"""A real broker (RabbitMQ, NATS, Redis streams, Kafka) with the harness's tap and stimuli on it.

Isolation: every run has its own channel prefix (`emh-<run id>.`), which the supplier is given as
EM_CHANNEL_PREFIX; the tap listens only below that prefix, so two runs on one broker never see each
other's messages. What a run creates is removed at the end (RabbitMQ queues are auto-deleted, Redis
streams under the prefix are deleted, NATS core subjects leave nothing behind).

A watchdog pings the broker; when the broker goes away mid-run, every waiting interaction is woken and
the run ends as an infrastructure error (exit 2) with everything recorded so far, never as a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from faststream import BaseMiddleware

from harness.bus.base import Bus, InfrastructureError, stop_task
from harness.bus.factory import broker_from_url, exchange, kind_of, publish, subscriber, wants_jetstream
from harness.errors import HarnessError
from harness.verify.events import Recorded

log = logging.getLogger("em-harness.bus")


def _address(kind: str, message: Any) -> str:
    raw = message.raw_message
    if kind == "nats":
        return raw.subject
    if kind == "amqp":
        return raw.routing_key
    if kind == "redis":
        return raw.get("channel", "") if isinstance(raw, dict) else ""
    return getattr(raw, "topic", "")


class BrokerBus(Bus):
    """The harness's own connection to a real broker: a tap below the run's prefix, and stimuli."""

    def __init__(
        self,
        url: str,
        prefix: str,
        addresses: list[str],
        *,
        connect_timeout: float = 10.0,
        ping_every: float = 0.5,
    ) -> None:
        super().__init__()
        self.url = url
        self.name = url
        self.kind = kind_of(url)
        self.prefix = prefix
        self.addresses = addresses
        self.connect_timeout = connect_timeout
        self.ping_every = ping_every
        self.broker = broker_from_url(url, logger=None)
        self.jetstream = wants_jetstream(url)
        self.stream_name = f"EMH_{prefix.strip('.').replace('-', '_').upper() or 'ALL'}" if self.jetstream else None
        self._stimulus_ids: set[str] = set()
        self._unknown_streams: dict[str, str] = {}  # Redis: undeclared stream -> last entry id read
        self._watchdog: asyncio.Task | None = None
        self._stopping = False
        self._install_tap()

    # -- the tap ------------------------------------------------------------------------------
    def _install_tap(self) -> None:
        kind, prefix, bus = self.kind, self.prefix, self

        # The tap records in a consume middleware: the handler below then takes only the body, with
        # no dependency injection of the raw message, which would cost FastStream a thread hop per
        # message (bench/bus_throughput.py measures the difference).
        class Tap(BaseMiddleware):
            async def consume_scope(self, call_next: Any, msg: Any) -> Any:
                address = _address(kind, msg)
                if prefix and address.startswith(prefix):
                    address = address[len(prefix) :]
                body = await msg.decode()
                if not (isinstance(body, dict) and body.get("eventId") in bus._stimulus_ids):
                    # (a stimulus coming back through the tap was recorded when it was published)
                    bus.record(address, dict(msg.headers or {}), body, "supplier")
                return await call_next(msg)

        self.broker.add_middleware(Tap)

        async def tap(body: Any) -> None:
            return None

        if kind == "nats":
            self.broker.subscriber(f"{prefix}>" if prefix else ">")(tap)
        elif kind == "amqp":
            from faststream.rabbit import RabbitQueue

            queue = RabbitQueue(f"em-harness.tap.{prefix or 'all'}", auto_delete=True, routing_key=f"{prefix}#")
            self.broker.subscriber(queue, exchange())(tap)
        elif kind == "redis":
            # Streams have no wildcard subscription: tap every address the catalogue knows; streams under
            # the prefix that nobody declared are read at the end (see _sweep_unknown_streams).
            for address in self.addresses:
                subscriber(self.broker, prefix + address, f"em-harness-tap-{prefix or 'all'}")(tap)
        else:
            import re

            self.broker.subscriber(pattern=f"{re.escape(prefix)}.*", auto_offset_reset="earliest")(tap)

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self.failed = asyncio.Event()
        try:
            await asyncio.wait_for(self.broker.start(), self.connect_timeout)
        except TimeoutError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.broker.stop(), 2)
            raise HarnessError(
                f"bus {self.url!r}: no broker answered within {self.connect_timeout:g} s; is it running there?"
            ) from None
        except Exception as exc:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.broker.stop(), 2)
            raise HarnessError(f"bus {self.url!r}: cannot connect: {type(exc).__name__}: {exc}") from None
        if self.jetstream:
            await self._make_stream()
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())
        self._discovery: asyncio.Task | None = None
        if self.kind == "redis" and self.prefix:
            self._discovery = asyncio.get_running_loop().create_task(self._discover_streams())

    async def _make_stream(self) -> None:
        """JetStream: a stream of the run's own, capturing everything below its prefix, deleted at the end
        (streams persist and would replay old messages into the next run)."""
        if not self.prefix:
            raise HarnessError(
                f"bus {self.url!r}: JetStream runs need a channel prefix (start the supplier or set one)"
            )
        js = self.broker._connection.jetstream()
        try:
            await js.add_stream(name=self.stream_name, subjects=[f"{self.prefix}>"], storage="memory")
        except Exception as exc:
            raise HarnessError(f"bus {self.url!r}: cannot create the JetStream stream: {exc}") from None

    async def _watch(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.ping_every)
            try:
                alive = await asyncio.wait_for(self.broker.ping(timeout=1.0), 2.0)
            except Exception:
                alive = False
            if not alive and not self._stopping:  # a ping cut short by our own stop is no outage
                self.fail(f"lost the connection to the broker at {self.url}")
                return

    async def publish(self, channel: str, body: dict[str, Any], headers: dict[str, str]) -> Recorded:
        self.check()
        if isinstance(body, dict) and isinstance(body.get("eventId"), str):
            self._stimulus_ids.add(body["eventId"])
        rec = self.record(channel, headers, body, "stimulus")
        try:
            await asyncio.wait_for(publish(self.broker, body, self.prefix + channel, headers), 10)
        except Exception as exc:
            self.fail(f"publishing to {self.url} failed: {type(exc).__name__}: {exc}")
            raise InfrastructureError(self.failure) from None
        return rec

    async def stop(self) -> None:
        self._stopping = True  # the loops end by themselves even if a cancellation is swallowed
        for task in (self._watchdog, getattr(self, "_discovery", None)):
            await stop_task(task)
        if self.kind == "redis" and self.failure is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._sweep_unknown_streams(), 5)
        if self.jetstream and self.failure is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.broker._connection.jetstream().delete_stream(self.stream_name), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.broker.stop(), 5)

    async def _read_unknown_streams(self) -> None:
        """Redis streams have no wildcard subscription: find streams under the run's prefix that no
        declared channel covers (a supplier publishing on the wrong channel) and record what is new."""
        import orjson
        from faststream.redis.parser.binary import BinaryMessageFormatV1

        client = self.broker._connection  # the redis.asyncio client FastStream holds
        known = {self.prefix + a for a in self.addresses}
        async for key in client.scan_iter(match=f"{self.prefix}*", count=500):
            name = key.decode() if isinstance(key, bytes) else key
            if name in known:
                continue
            last = self._unknown_streams.get(name, "-")
            start = "-" if last == "-" else f"({last}"
            for entry_id, fields in await client.xrange(name, min=start):
                self._unknown_streams[name] = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                data = fields.get(b"__data__") or next(iter(fields.values()), b"")
                body: Any = data
                headers: dict[str, Any] = {}
                with contextlib.suppress(Exception):
                    payload, headers = BinaryMessageFormatV1.parse(data)
                    body = orjson.loads(payload)
                self.record(name[len(self.prefix) :], headers, body, "supplier")

    async def _discover_streams(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.1)
            with contextlib.suppress(Exception):
                await self._read_unknown_streams()

    async def _sweep_unknown_streams(self) -> None:
        """Redis: read what is left on undeclared streams, then delete every stream the run created
        (isolation: nothing is left for the next run)."""
        if not self.prefix:
            return
        await self._read_unknown_streams()
        client = self.broker._connection
        async for key in client.scan_iter(match=f"{self.prefix}*", count=500):
            await client.delete(key)
