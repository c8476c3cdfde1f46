"""Kafka (aiokafka underneath: admin client, producer, and a tap by partition assignment).

Wire protocol: a topic per channel, named by the channel address with the run's prefix; headers are Kafka
record headers (UTF-8 values). The harness creates every catalogue channel's topic (one partition) before the
supplier starts, because brokers that auto-create topics on first write may lose the first records (a Tansu
trial kept 8 of 50); a supplier writing to a topic the catalogue does not know should create it first. A
system consumes with a consumer group named by its system id, or by assigning the partitions, from the
earliest offset (the run's topics are new), and announces it is ready once assigned.

The tap needs no consumer group (no rebalance to wait for): it assigns itself every partition of the run's
topics from offset 0 and sees them at once; a discovery loop lists the broker's topics every
DISCOVER_EVERY seconds and adds new ones under the prefix (a pattern subscription would see them only at the
next metadata refresh, 300 s by default). At the end every topic under the prefix is deleted (after a failure
too). Health is a metadata round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

import orjson

from harness.bus.base import Deliver, RunSpec, Transport, stop_task

SCHEMES = ("kafka",)
EXAMPLE = "kafka://127.0.0.1:9092"
DISCOVER_EVERY = 0.25


def bootstrap(url: str) -> str:
    """kafka://HOST:PORT[,HOST:PORT...] -> the bootstrap servers aiokafka takes."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1]


class KafkaTransport(Transport):
    kind = "kafka"

    def __init__(self, url: str, run: RunSpec) -> None:
        super().__init__(url, run)
        self.servers = bootstrap(url)
        self.admin: Any = None
        self.producer: Any = None
        self.consumer: Any = None
        self._deliver: Deliver | None = None
        self._assigned: set[str] = set()
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._lock = asyncio.Lock()

    def _topics(self) -> list[str]:
        return [self.run.prefix + address for address in self.run.addresses]

    async def connect(self) -> None:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
        from aiokafka.admin import AIOKafkaAdminClient

        common = {"bootstrap_servers": self.servers, "request_timeout_ms": 5000}
        self.admin = AIOKafkaAdminClient(**common)
        await self.admin.start()
        self.producer = AIOKafkaProducer(**common, linger_ms=0)
        await self.producer.start()
        self.consumer = AIOKafkaConsumer(**common, enable_auto_commit=False, fetch_max_wait_ms=50)
        await self.consumer.start()

    async def declare(self) -> None:
        from aiokafka.admin import NewTopic

        if not self.run.prefix:
            return  # an attached supplier's own topics: not the harness's to create or delete
        wanted = [t for t in self._topics() if t not in await self.admin.list_topics()]
        if wanted:
            response = await self.admin.create_topics([NewTopic(t, 1, 1) for t in wanted])
            errors = [(t, code) for t, code, *_ in getattr(response, "topic_errors", []) if code not in (0, 36)]
            if errors:
                raise ConnectionError(f"cannot create topics: {errors[:3]}")

    async def _assign(self, topics: list[str]) -> None:
        from aiokafka import TopicPartition

        new = [t for t in topics if t not in self._assigned]
        if not new:
            return
        parts = []
        for topic in new:
            known = self.consumer.partitions_for_topic(topic)
            if not known:
                await self.consumer._client.force_metadata_update()
                known = self.consumer.partitions_for_topic(topic) or {0}
            parts += [TopicPartition(topic, p) for p in sorted(known)]
        async with self._lock:  # never between a fetch and its records: positions must not move under it
            # assign() replaces the whole assignment and forgets every position: keep the tap's place on the
            # partitions it already reads (else they reset to "latest" and what arrived meanwhile is lost).
            current = list(self.consumer.assignment())
            positions = {tp: await self.consumer.position(tp) for tp in current}
            self.consumer.assign(sorted({*current, *parts}, key=lambda tp: (tp.topic, tp.partition)))
            for tp, offset in positions.items():
                self.consumer.seek(tp, offset)
            await self.consumer.seek_to_beginning(*parts)
            self._assigned.update(new)

    async def tap(self, deliver: Deliver) -> None:
        self._deliver = deliver
        await self._assign(self._topics())
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read()), loop.create_task(self._discover())]

    async def _read(self) -> None:
        while not self._stopping:
            try:
                async with self._lock:
                    batches = await self.consumer.getmany(timeout_ms=100, max_records=500)
            except Exception:
                await asyncio.sleep(0.1)  # health() reports an outage; the tap just keeps trying
                continue
            for tp, records in sorted(batches.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
                for record in records:
                    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
                    self._deliver(tp.topic, headers, record.value)

    async def _discover(self) -> None:
        prefix = self.run.prefix
        while not self._stopping:
            await asyncio.sleep(DISCOVER_EVERY)
            with contextlib.suppress(Exception):
                topics = await self.admin.list_topics()
                await self._assign(sorted(t for t in topics if t.startswith(prefix) and not t.startswith("__")))

    async def publish(self, address: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        raw = body if isinstance(body, bytes) else orjson.dumps(body)  # bytes: a poison message, sent as is
        await self.producer.send_and_wait(address, raw, headers=[(k, str(v).encode()) for k, v in headers.items()])

    async def health(self) -> None:
        await self.admin.describe_cluster()

    async def drain(self) -> None:
        if self.run.prefix:
            with contextlib.suppress(Exception):
                await self._assign(sorted(t for t in await self.admin.list_topics() if t.startswith(self.run.prefix)))
        # read up to the end of every assigned partition before stopping the tap
        with contextlib.suppress(Exception):
            ends = await self.consumer.end_offsets(list(self.consumer.assignment()))
            for _ in range(50):
                if all(await self.consumer.position(tp) >= end for tp, end in ends.items()):
                    break
                await asyncio.sleep(0.05)

    async def cleanup(self) -> None:
        self._stopping = True
        for task in self._tasks:
            await stop_task(task)
        if not self.run.prefix:
            return
        topics = [t for t in await self.admin.list_topics() if t.startswith(self.run.prefix)]
        if topics:
            await self.admin.delete_topics(topics)

    async def close(self) -> None:
        for client in (self.consumer, self.producer, self.admin):
            if client is not None:
                with contextlib.suppress(Exception):
                    await (client.close() if client is self.admin else client.stop())


TRANSPORT = KafkaTransport
