"""A broker for EM_BUS_URL and the channel mapping of every transport, as the wire protocol states it.

- NATS: the subject is the channel address; a system subscribes in the queue group of its system id; with
  EM_NATS_STREAM set (a JetStream run) it consumes from that stream;
- RabbitMQ: the durable topic exchange `em.domain-events` (never prefixed), routing key = address; each
  system binds its own auto-deleted queue `<system>.<address>`; headers are AMQP application headers;
- Redis: a stream per address, read in a consumer group named by the system id;
- Kafka: a topic per address (created first if the harness did not create it), consumed from the earliest
  offset by assigning its partition; headers are record headers;
- SNS/SQS (`sqs://`, `sqss://`): see wirekit.sqs.
Every address carries the run's prefix, EM_CHANNEL_PREFIX (`channel()`). `memory` (the default) gives an
in-memory NATS broker that the harness binds in its own process; `memory://rabbit|redis|kafka` that kind.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

EXCHANGE = "em.domain-events"
READY = "em-harness.ready"
_MEMORY = {"nats": "nats", "rabbit": "amqp", "rabbitmq": "amqp", "amqp": "amqp", "redis": "redis", "kafka": "kafka"}


def bus_url() -> str:
    return os.environ.get("EM_BUS_URL", "memory") or "memory"


def channel(name: str) -> str:
    """A channel address with the run's prefix (EM_CHANNEL_PREFIX), so parallel runs never meet."""
    return os.environ.get("EM_CHANNEL_PREFIX", "") + name


def _kind(url: str) -> tuple[str, bool]:
    """(nats|amqp|redis|kafka|sqs, in memory?) for a bus URL."""
    if url == "memory" or url.startswith("memory://"):
        return _MEMORY.get(url.partition("://")[2], "nats"), True
    scheme = urlsplit(url).scheme
    kinds = {"amqps": "amqp", "rediss": "redis", "sqss": "sqs"}
    return kinds.get(scheme, scheme), False


def broker_from_url(url: str, **options: Any) -> Any:
    """A broker for the URL, not connected."""
    kind, memory = _kind(url)
    if kind == "nats":
        from faststream.nats import NatsBroker

        return NatsBroker("nats://127.0.0.1:4222" if memory else url.split("?", 1)[0], **options)
    if kind == "amqp":
        from faststream.rabbit import RabbitBroker

        return RabbitBroker("amqp://guest:guest@127.0.0.1:5672/" if memory else url, **options)
    if kind == "redis":
        from faststream.redis import RedisBroker

        return RedisBroker("redis://127.0.0.1:6379" if memory else url, **options)
    if kind == "kafka":
        from faststream.kafka import KafkaBroker

        broker = KafkaBroker("127.0.0.1:9092" if memory else urlsplit(url).netloc, **options)
        broker._wirekit_real = not memory
        return broker
    if kind == "sqs":
        from wirekit.sqs import SqsBroker

        return SqsBroker(url)
    raise ValueError(f"EM_BUS_URL {url!r}: no transport for it")


def broker_from_env(**options: Any) -> Any:
    """The broker for EM_BUS_URL (default: memory)."""
    return broker_from_url(bus_url(), **options)


def kind_of(broker: Any) -> str:
    module = type(broker).__module__
    for part, kind in (("nats", "nats"), ("rabbit", "amqp"), ("redis", "redis"), ("kafka", "kafka")):
        if module.startswith(f"faststream.{part}"):
            return kind
    if module.startswith("wirekit.sqs"):
        return "sqs"
    raise TypeError(f"broker {type(broker).__name__}: not one the kit knows")


def _exchange() -> Any:
    from faststream.rabbit import ExchangeType, RabbitExchange

    return RabbitExchange(EXCHANGE, type=ExchangeType.TOPIC, durable=True)


def subscriber(broker: Any, address: str, group: str) -> Any:
    """A subscriber decorator for a (prefixed) channel address, for the system `group`."""
    kind = kind_of(broker)
    if kind == "amqp":
        from faststream.rabbit import RabbitQueue

        return broker.subscriber(RabbitQueue(f"{group}.{address}", auto_delete=True, routing_key=address), _exchange())
    if kind == "redis":
        from faststream.redis import StreamSub

        return broker.subscriber(
            stream=StreamSub(address, group=group, consumer=f"{group}-{os.getpid()}", polling_interval=50)
        )
    if kind == "kafka":
        from faststream.kafka import TopicPartition

        # A short fetch wait: a broker that holds a fetch for its full wait even when records arrive (Tansu,
        # measured: 300 ms a hop with aiokafka's default 500 ms) would otherwise slow every answer.
        return broker.subscriber(
            partitions=[TopicPartition(address, 0)], auto_offset_reset="earliest", fetch_max_wait_ms=50
        )
    if kind == "sqs":
        return broker.subscriber(address, group)
    if os.environ.get("EM_NATS_STREAM"):
        from faststream.nats import JStream

        return broker.subscriber(address, stream=JStream(os.environ["EM_NATS_STREAM"], declare=False))
    return broker.subscriber(address, queue=group)


async def _ensure_topic(broker: Any, topic: str) -> None:
    """Kafka: create a topic before its first write (auto-created topics may lose their first records)."""
    made = broker.__dict__.setdefault("_wirekit_topics", set())
    if topic in made or not getattr(broker, "_wirekit_real", False):
        return
    from aiokafka.admin import NewTopic

    admin = broker.config.admin_client
    if topic not in await admin.list_topics():
        await admin.create_topics([NewTopic(topic, 1, 1)])  # a race with another writer answers "exists": fine
    made.add(topic)


async def publish(broker: Any, body: Any, address: str, headers: dict[str, str]) -> None:
    """Publish a message on a (prefixed) channel address."""
    kind = kind_of(broker)
    if kind == "amqp":
        await broker.publish(body, exchange=_exchange(), routing_key=address, headers=headers, mandatory=False)
    elif kind == "redis":
        await broker.publish(body, stream=address, headers=headers)
    elif kind == "kafka":
        await _ensure_topic(broker, address)
        await broker.publish(body, address, headers=headers)
    else:
        await broker.publish(body, address, headers=headers)


def app(broker: Any) -> Any:
    """The application object for a broker: a FastStream app, or the kit's SNS/SQS app."""
    if kind_of(broker) == "sqs":
        from wirekit.sqs import SqsApp

        return SqsApp(broker)
    from faststream import FastStream

    return FastStream(broker)
