"""Redis streams (FastStream's RedisBroker underneath).

Wire protocol: a stream per channel, its key the channel address with the run's prefix; a message is
FastStream's binary frame (body and headers) in the entry's `__data__` field. A system reads with a
consumer group named by its system id (a group resumes where it left off, so nothing published between two
polls is lost). Streams have no wildcard subscription: the tap reads every address the catalogue knows in
a group of its own, and a discovery loop reads streams under the prefix that nobody declared (a supplier
publishing on the wrong channel). At the end every stream under the prefix is deleted (after a failure too).
Health is a PING round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from harness.bus.base import Deliver, RunSpec, Transport, stop_task
from harness.bus.faststream_tap import ignore, install_tap

SCHEMES = ("redis", "rediss")
EXAMPLE = "redis://127.0.0.1:6379"


class RedisTransport(Transport):
    kind = "redis"

    def __init__(self, url: str, run: RunSpec) -> None:
        super().__init__(url, run)
        from faststream.redis import RedisBroker, StreamSub

        self.broker = RedisBroker(url, logger=None, socket_connect_timeout=5)
        self._deliver: Deliver | None = None
        self._unknown: dict[str, str] = {}  # undeclared stream -> last entry id read
        self._discovery: asyncio.Task | None = None
        self._stopping = False
        install_tap(self.broker, lambda raw: raw.get("channel", "") if isinstance(raw, dict) else "", self._sink)
        self._group = group = f"em-harness-tap-{run.prefix or 'all'}"
        for address in run.addresses:
            sub = StreamSub(run.prefix + address, group=group, consumer=f"{group}-{os.getpid()}", polling_interval=50)
            self.broker.subscriber(stream=sub)(ignore)

    def _sink(self) -> Deliver | None:
        return self._deliver

    async def connect(self) -> None:
        await self.broker.start()

    async def tap(self, deliver: Deliver) -> None:
        self._deliver = deliver
        if self.run.prefix:
            self._discovery = asyncio.get_running_loop().create_task(self._discover())

    async def publish(self, address: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        await self.broker.publish(body, stream=address, headers=headers)

    async def health(self) -> None:
        if not await self.broker._connection.ping():
            raise ConnectionError("PING was not answered with PONG")

    async def _read_unknown(self) -> None:
        """Streams under the run's prefix that no declared channel covers: record what is new on them."""
        from faststream.redis.parser.binary import BinaryMessageFormatV1

        client = self.broker._connection  # the redis.asyncio client FastStream holds
        prefix = self.run.prefix
        known = {prefix + a for a in self.run.addresses}
        async for key in client.scan_iter(match=f"{prefix}*", count=500):
            name = key.decode() if isinstance(key, bytes) else key
            if name in known:
                continue
            last = self._unknown.get(name, "-")
            start = "-" if last == "-" else f"({last}"
            for entry_id, fields in await client.xrange(name, min=start):
                self._unknown[name] = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                data = fields.get(b"__data__") or next(iter(fields.values()), b"")
                body: Any = data
                headers: dict[str, Any] = {}
                with contextlib.suppress(Exception):
                    body, headers = BinaryMessageFormatV1.parse(data)
                if self._deliver is not None:
                    self._deliver(name, headers, body)

    async def _discover(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.1)
            with contextlib.suppress(Exception):
                await self._read_unknown()

    async def drain(self) -> None:
        self._stopping = True
        await stop_task(self._discovery)
        if self.run.prefix:
            await self._read_unknown()

    async def cleanup(self) -> None:
        """Delete every stream the run created (isolation: nothing is left for the next run)."""
        self._stopping = True
        await stop_task(self._discovery)
        for subscriber in self.broker.subscribers:  # stop reading first: a blocked read of a deleted stream errs
            await subscriber.stop()
        client = self.broker._connection
        if not self.run.prefix:  # an attached supplier's own streams: remove only the tap's consumer group
            for address in self.run.addresses:
                with contextlib.suppress(Exception):
                    await client.xgroup_destroy(address, self._group)
            return
        async for key in client.scan_iter(match=f"{self.run.prefix}*", count=500):
            await client.delete(key)

    async def close(self) -> None:
        await self.broker.stop()


TRANSPORT = RedisTransport
