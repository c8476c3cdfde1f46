"""The tap for transports that FastStream carries (NATS, RabbitMQ, Redis): a consume middleware.

The tap records in a consume middleware: the subscriber's handler then takes only the body, with no
dependency injection of the raw message, which would cost FastStream a thread hop per message
(bench/bus_throughput.py measures the difference).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faststream import BaseMiddleware

from harness.bus.base import Deliver


def install_tap(broker: Any, address_of: Callable[[Any], str], deliver: Callable[[], Deliver | None]) -> None:
    """Record every message a subscriber of `broker` consumes: (its address, its headers, its body)."""

    class Tap(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: Any) -> Any:
            sink = deliver()
            if sink is not None:
                sink(address_of(msg.raw_message), dict(msg.headers or {}), await msg.decode())
            return await call_next(msg)

    broker.add_middleware(Tap)


async def ignore(body: Any) -> None:
    """The tap subscriber's handler: the middleware has recorded the message already."""
    return None
