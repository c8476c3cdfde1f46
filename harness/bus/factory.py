"""A FastStream broker for a bus URL, and the one place that knows how each transport maps a channel.

Reference consumers and suppliers build their broker with `broker_from_env()` and subscribe and publish
through `subscriber()` and `publish()`, so the same app runs in-process under the harness (`memory`:
FastStream's in-memory test broker) or on a real RabbitMQ, NATS, Redis or Kafka:
- NATS: the subject is the channel address;
- RabbitMQ: a durable topic exchange `em.domain-events`; the routing key is the address; each
  subscribing system has its own auto-deleted queue bound with that key (asyncapi.yaml's bindings);
- Redis: a stream per address;
- Kafka: a topic per address.
`memory` is an in-memory NATS broker; `memory://rabbit`, `memory://redis`, `memory://kafka` give an
in-memory broker of that kind (the Kafka code path is exercised this way where no Kafka broker runs).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from harness.errors import HarnessError

MEMORY = "memory"
EXCHANGE = "em.domain-events"
SCHEMES = ("memory", "amqp", "amqps", "nats", "redis", "rediss", "kafka")
MEMORY_KINDS = {
    "nats": "nats",
    "rabbit": "amqp",
    "rabbitmq": "amqp",
    "amqp": "amqp",
    "redis": "redis",
    "kafka": "kafka",
}


def scheme_of(url: str) -> str:
    """The transport named by a bus URL; a clear error for anything else."""
    if url == MEMORY:
        return MEMORY
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise HarnessError(
            f"bus URL {url!r}: unknown transport; use memory, amqp://, nats://, redis:// or kafka:// "
            "(or container:rabbitmq|nats|redis|kafka)"
        )
    if parts.scheme == MEMORY:
        if parts.netloc not in MEMORY_KINDS:
            raise HarnessError(
                f"bus URL {url!r}: use memory, memory://nats, memory://rabbit, memory://redis or memory://kafka"
            )
        return MEMORY
    if not parts.hostname:
        raise HarnessError(f"bus URL {url!r}: no host; e.g. {parts.scheme}://127.0.0.1")
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        raise HarnessError(f"bus URL {url!r}: the port is not a number") from None
    return parts.scheme


def kind_of(url: str) -> str:
    """nats, amqp, redis or kafka: the broker kind behind a URL (memory URLs included)."""
    scheme = scheme_of(url)
    if scheme == MEMORY:
        return MEMORY_KINDS[urlsplit(url).netloc] if "://" in url else "nats"
    return {"amqps": "amqp", "rediss": "redis"}.get(scheme, scheme)


def broker_from_url(url: str = MEMORY, **options: Any) -> Any:
    """A FastStream broker for the URL (not connected). Memory URLs give a broker for in-process use."""
    kind = kind_of(url)
    memory = scheme_of(url) == MEMORY
    if kind == "nats":
        from faststream.nats import NatsBroker

        return NatsBroker("nats://127.0.0.1:4222" if memory else url.split("?", 1)[0], **options)
    if kind == "amqp":
        from faststream.rabbit import RabbitBroker

        return RabbitBroker("amqp://guest:guest@127.0.0.1:5672/" if memory else url, **options)
    if kind == "redis":
        from faststream.redis import RedisBroker

        return RedisBroker("redis://127.0.0.1:6379" if memory else url, **options)
    from faststream.kafka import KafkaBroker

    return KafkaBroker("127.0.0.1:9092" if memory else urlsplit(url).netloc, **options)


def broker_kind(broker: Any) -> str:
    """nats, amqp, redis or kafka, from a FastStream broker's class."""
    module = type(broker).__module__
    for part, kind in (("nats", "nats"), ("rabbit", "amqp"), ("redis", "redis"), ("kafka", "kafka")):
        if f".{part}" in module:
            return kind
    raise HarnessError(f"broker {type(broker).__name__}: not a FastStream NATS, RabbitMQ, Redis or Kafka broker")


def exchange() -> Any:
    from faststream.rabbit import ExchangeType, RabbitExchange

    return RabbitExchange(EXCHANGE, type=ExchangeType.TOPIC, durable=True)


def subscriber(broker: Any, address: str, group: str) -> Any:
    """A subscriber decorator for a channel address, for the system `group`, on any transport."""
    kind = broker_kind(broker)
    if kind == "amqp":
        from faststream.rabbit import RabbitQueue

        queue = RabbitQueue(f"{group}.{address}", auto_delete=True, routing_key=address)
        return broker.subscriber(queue, exchange())
    if kind == "redis":
        from faststream.redis import StreamSub

        # A consumer group per system: reads resume where the group left off, so nothing published
        # between two polls is lost (a plain "$" read would miss it).
        return broker.subscriber(
            stream=StreamSub(address, group=group, consumer=f"{group}-{os.getpid()}", polling_interval=50)
        )
    if kind == "nats" and os.environ.get("EM_NATS_STREAM"):
        # JetStream: the run's stream (made by the harness, named in EM_NATS_STREAM) captures the subjects
        # and keeps them; each subscriber is a consumer on it, so nothing published is lost.
        from faststream.nats import JStream

        return broker.subscriber(address, stream=JStream(os.environ["EM_NATS_STREAM"], declare=False))
    return broker.subscriber(address)


async def publish(broker: Any, body: Any, address: str, headers: dict[str, str]) -> None:
    """Publish a message on a channel address, on any transport."""
    kind = broker_kind(broker)
    if kind == "amqp":
        await broker.publish(body, exchange=exchange(), routing_key=address, headers=headers, mandatory=False)
    elif kind == "redis":
        await broker.publish(body, stream=address, headers=headers)
    else:
        await broker.publish(body, address, headers=headers)


def broker_from_env(**options: Any) -> Any:
    """The broker for EM_BUS_URL (default: memory)."""
    return broker_from_url(os.environ.get("EM_BUS_URL", MEMORY), **options)


def channel(name: str) -> str:
    """A channel address with the run's prefix (EM_CHANNEL_PREFIX), so parallel runs never meet."""
    prefix = os.environ.get("EM_CHANNEL_PREFIX", "")
    return f"{prefix}{name}" if prefix else name


def wants_jetstream(url: str) -> bool:
    """nats://host:port?jetstream=true asks for a JetStream run (a stream per run)."""
    query = urlsplit(url).query.lower()
    return kind_of(url) == "nats" and any(p in query for p in ("jetstream=true", "jetstream=1", "jetstream=yes"))
