"""Benchmark: messages per second through the harness's tap, against raw FastStream on the same broker.

For each bus, in one process and one run, N synthetic EM messages (a catalogue example, ~1 KB, each with an
eventId of its own) are published by a supplier, pipelined in batches, and counted at the receiving end:
  raw      a plain subscriber on the channel, as a supplier's own consumer would be (the wire kit's, wirekit/:
           FastStream for NATS, RabbitMQ, Redis and Kafka; aiobotocore polling an SQS queue for SNS/SQS);
  harness  the harness's tap (a BrokerBus on a real broker, the tap middleware in memory), which also
           parses and records every message with its headers and time.
Reports both rates and harness/raw. Target: harness >= 70% of raw on each bus.

    python bench/bus_throughput.py [--messages 5000] [--buses memory,nats,amqp,redis,kafka,sqs]

SNS/SQS runs against the moto server (scripts/services.sh); dummy AWS credentials are set for it when none are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.bus.base import RunSpec  # noqa: E402
from wirekit.bus import app, broker_from_url, publish, subscriber  # noqa: E402
from wirekit.envelope import seal  # noqa: E402

URLS = {
    "memory": "memory",
    "nats": "nats://127.0.0.1:4222",
    "amqp": "amqp://guest:guest@127.0.0.1:5672/",
    "redis": "redis://127.0.0.1:6379",
    "kafka": "kafka://127.0.0.1:9092",
    "sqs": "sqs://127.0.0.1:5000?region=eu-west-2",
}
PORTS = {"nats": 4222, "amqp": 5672, "redis": 6379, "kafka": 9092, "sqs": 5000}
for _key, _value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
    os.environ.setdefault(_key, _value)
ADDRESS = "electronic-monitoring.case-status-returned"
# The moto server answers some tens of SNS/SQS requests a second: fewer messages there, same ratio.
CAP = {"sqs": 300}
BATCH = 50  # in flight at once (a Redis client pool allows 50 connections)


def example() -> dict[str, Any]:
    schema = json.loads((ROOT / "schemas/case-status-returned/v1.json").read_text())
    return schema["examples"][0]


def bodies(n: int) -> list[dict[str, Any]]:
    """n distinct messages (FIFO topics de-duplicate by eventId; every real supplier message differs)."""
    base = example()
    return [seal({**base, "description": f"message {i}"}) for i in range(n)]


async def pump(broker: Any, address: str, n: int, done: asyncio.Event, count: list[int]) -> float:
    messages, headers = bodies(n), {"eventType": ADDRESS, "content-type": "application/json"}
    t = time.perf_counter()
    for start in range(0, n, BATCH):
        batch = messages[start : start + BATCH]
        await asyncio.gather(*(publish(broker, body, address, headers) for body in batch))
    await asyncio.wait_for(done.wait(), 300)
    return n / (time.perf_counter() - t)


async def raw_rate(url: str, n: int) -> float:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    os.environ["EM_CHANNEL_PREFIX"] = prefix
    broker = broker_from_url(url, logger=None) if not url.startswith("sqs") else broker_from_url(url)
    count, done = [0], asyncio.Event()

    async def consume(body: Any) -> None:
        count[0] += 1
        if count[0] >= n:
            done.set()

    subscriber(broker, prefix + ADDRESS, "bench")(consume)
    if url == "memory":
        from faststream.nats import TestNatsBroker

        async with TestNatsBroker(broker) as test:
            return await pump(test, prefix + ADDRESS, n, done, count)
    # Same topology as the harness case: the publisher and the consumer have connections of their own.
    consumer, publisher = app(broker), app(_supplier(url))
    await consumer.start()
    await publisher.start()
    try:
        return await pump(publisher.broker, prefix + ADDRESS, n, done, count)
    finally:
        await publisher.stop()
        await consumer.stop()
        await _remove(url, prefix)


def _supplier(url: str) -> Any:
    return broker_from_url(url) if url.startswith("sqs") else broker_from_url(url, logger=None)


async def _remove(url: str, prefix: str) -> None:
    """What a raw run made on the broker goes, as a harness run's does (the transport's own clean-up)."""
    from harness.bus.registry import transport_module

    transport = transport_module(url).TRANSPORT(url, RunSpec(prefix, {ADDRESS: {}}))
    await transport.connect()
    try:
        if hasattr(transport, "arns"):  # SNS/SQS: find the run's topic first
            await transport.declare()
        await transport.cleanup()
    finally:
        await transport.close()


async def harness_rate(url: str, n: int) -> float:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    done = asyncio.Event()

    def on_record(rec: Any) -> None:
        if len(bus.recorded) >= n:
            done.set()

    if url == "memory":
        from faststream import FastStream

        from harness.bus.memory import InProcessBus

        broker = broker_from_url("memory", logger=None)
        count = [0]

        async def consume(body: Any) -> None:  # the same subscriber as the raw case, now behind the tap
            count[0] += 1

        subscriber(broker, prefix + ADDRESS, "bench")(consume)
        bus = InProcessBus(FastStream(broker))
        bus.listen(on_record)
        await bus.start()
        try:
            # the supplier side: the app's own broker publishes, the tap middleware records
            return await pump(bus._test, prefix + ADDRESS, n, done, [0])
        finally:
            await bus.stop()
    from harness.bus.broker import BrokerBus
    from harness.bus.registry import transport_module

    bus = BrokerBus(transport_module(url).TRANSPORT(url, RunSpec(prefix, {ADDRESS: {}})))
    bus.listen(on_record)
    await bus.start()
    os.environ["EM_CHANNEL_PREFIX"] = prefix
    os.environ.update(bus.supplier_env())
    supplier = app(_supplier(url))
    await supplier.start()
    try:
        return await pump(supplier.broker, prefix + ADDRESS, n, done, [0])
    finally:
        await supplier.stop()
        await bus.stop()
        for key in bus.supplier_env():
            os.environ.pop(key, None)


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--buses", default="memory,nats,amqp,redis,kafka,sqs")
    args = parser.parse_args()
    print(f"{'bus':8} {'raw msg/s':>12} {'harness msg/s':>14} {'harness/raw':>12}   ({args.messages:,} messages each)")
    for name in args.buses.split(","):
        if name in PORTS and not reachable(PORTS[name]):
            print(f"{name:8} skipped: nothing listens on 127.0.0.1:{PORTS[name]}")
            continue
        url = URLS[name]
        n = min(args.messages, CAP.get(name, args.messages))
        asyncio.run(raw_rate(url, min(500, n)))  # warm up
        raw = asyncio.run(raw_rate(url, n))
        tapped = asyncio.run(harness_rate(url, n))
        note = f", {n:,} messages" if n != args.messages else ""
        print(f"{name:8} {raw:>12,.0f} {tapped:>14,.0f} {tapped / raw:>12.0%}   (target >= 70%{note})")


if __name__ == "__main__":
    main()
