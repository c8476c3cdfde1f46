"""A FastStream broker for a bus URL: the one place that maps `--bus` / EM_BUS_URL to a broker class.

Reference consumers and suppliers build their broker with `broker_from_env()`, so the same app runs
in-process under the harness (`memory`: a NATS broker that the harness wraps in FastStream's in-memory
test broker) or on a real RabbitMQ, NATS, Redis or Kafka.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from harness.errors import HarnessError

MEMORY = "memory"
SCHEMES = ("memory", "amqp", "amqps", "nats", "redis", "rediss", "kafka")


def scheme_of(url: str) -> str:
    """The transport named by a bus URL; a clear error for anything else."""
    if url == MEMORY:
        return MEMORY
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise HarnessError(f"bus URL {url!r}: unknown transport; use memory, amqp://, nats://, redis:// or kafka://")
    return scheme


def broker_from_url(url: str = MEMORY, **options: Any) -> Any:
    """A FastStream broker for the URL (not connected). `memory` gives a NATS broker for in-process use."""
    scheme = scheme_of(url)
    if scheme in (MEMORY, "nats"):
        from faststream.nats import NatsBroker

        return NatsBroker("nats://127.0.0.1:4222" if scheme == MEMORY else url, **options)
    if scheme in ("amqp", "amqps"):
        from faststream.rabbit import RabbitBroker

        return RabbitBroker(url, **options)
    if scheme in ("redis", "rediss"):
        from faststream.redis import RedisBroker

        return RedisBroker(url, **options)
    from faststream.kafka import KafkaBroker

    return KafkaBroker(urlsplit(url).netloc, **options)


def broker_from_env(**options: Any) -> Any:
    """The broker for EM_BUS_URL (default: memory)."""
    return broker_from_url(os.environ.get("EM_BUS_URL", MEMORY), **options)


def channel(name: str) -> str:
    """A channel address with the run's prefix (EM_CHANNEL_PREFIX), so parallel runs never meet."""
    prefix = os.environ.get("EM_CHANNEL_PREFIX", "")
    return f"{prefix}{name}" if prefix else name
