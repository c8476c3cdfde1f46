"""Redis streams (FastStream's RedisBroker underneath).

Wire protocol: a stream per channel, its key the channel address with the run's prefix; a message is
FastStream's binary frame (body and headers) in the entry's `__data__` field. A system reads with a
consumer group named by its system id (a group resumes where it left off, so nothing published between two
polls is lost). Streams have no wildcard subscription: the tap reads every address the catalogue knows in
a group of its own, all of them with one blocking XREADGROUP (one subscriber per stream would poll two dozen
streams twenty times a second each), and a discovery loop reads streams under the prefix that nobody declared
(a supplier publishing on the wrong channel). At the end every stream under the prefix is deleted (after a failure too).
Health is a PING round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from harness.bus.base import Deliver, RunSpec, Transport, stop_task

SCHEMES = ("redis", "rediss")
EXAMPLE = "redis://127.0.0.1:6379"


class RedisTransport(Transport):
    kind = "redis"

    def __init__(self, url: str, run: RunSpec) -> None:
        super().__init__(url, run)
        from faststream.redis import RedisBroker

        # FastStream publishes (its frame is what suppliers' FastStream subscribers read); the tap reads with
        # the broker's own redis client.
        self.broker = RedisBroker(url, logger=None, socket_connect_timeout=5)
        self._deliver: Deliver | None = None
        self._unknown: dict[str, str] = {}  # undeclared stream -> last entry id read
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._group = f"{run.tap_id}-tap-{run.prefix or 'all'}"
        self._consumer = f"{self._group}-{os.getpid()}"
        self._keys = [run.prefix + address for address in run.addresses]
        self._idle = asyncio.Event()

    async def connect(self) -> None:
        await self.broker.start()

    async def declare(self) -> None:
        """The tap's consumer group on every catalogue stream, from now on (the streams are made if new)."""
        from redis.exceptions import ResponseError

        client = self.broker._connection
        for key in self._keys:
            try:
                await client.xgroup_create(key, self._group, id="$", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def tap(self, deliver: Deliver) -> None:
        self._deliver = deliver
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read())]
        if self.run.prefix:
            self._tasks.append(loop.create_task(self._discover()))

    async def _read(self) -> None:
        from faststream.redis.parser.binary import BinaryMessageFormatV1

        client = self.broker._connection
        streams = dict.fromkeys(self._keys, ">")
        while not self._stopping:
            try:
                got = await client.xreadgroup(self._group, self._consumer, streams, count=500, block=100, noack=True)
            except Exception:
                await asyncio.sleep(0.1)  # health() reports an outage; the tap just keeps trying
                continue
            if not got:
                self._idle.set()
                continue
            for key, entries in got:
                name = key.decode() if isinstance(key, bytes) else key
                for _entry_id, fields in entries:
                    data = fields.get(b"__data__") or next(iter(fields.values()), b"")
                    body: Any = data
                    headers: dict[str, Any] = {}
                    with contextlib.suppress(Exception):
                        body, headers = BinaryMessageFormatV1.parse(data)
                    self._deliver(name, headers, body)

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
        self._idle.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 3)  # the tap has read every stream up to now
        self._stopping = True
        for task in self._tasks:
            await stop_task(task)
        if self.run.prefix:
            await self._read_unknown()

    async def cleanup(self) -> None:
        """Delete every stream the run created (isolation: nothing is left for the next run)."""
        self._stopping = True
        for task in self._tasks:  # stop reading first: a blocked read of a deleted stream errs
            await stop_task(task)
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
