"""FastStream wiring shared by the reference suppliers: subscribe, hand each message to a plain-Python
service, publish what it returns.

The domain logic never sees the broker, so it is unit-tested without one; the wiring is the only place
that knows about channels and headers. Faulty suppliers reuse this wiring and swap in a Publisher
subclass (or a service subclass) that gets exactly one thing wrong.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from providers.messages import Outgoing
from wirekit.bus import READY as READY_ADDRESS
from wirekit.bus import app as app_for
from wirekit.bus import broker_from_env, channel, publish, subscriber

Handler = Callable[[dict[str, Any]], list[Outgoing]]

log = logging.getLogger("providers")


class Publisher:
    """Puts a service's outgoing messages on the bus: channel = eventType, headers mirror the SNS attributes.

    Hooks for faulty variants: `transform` (change or drop one message), `address`, `headers`, `send`.
    """

    def __init__(self, broker: Any) -> None:
        self.broker = broker
        self.background: set[asyncio.Task[None]] = set()

    def address(self, out: Outgoing) -> str:
        """The channel a message goes to: its eventType, with the run's prefix."""
        return channel(out.event_type)

    def headers(self, out: Outgoing) -> dict[str, str]:
        return {"eventType": out.event_type, "content-type": "application/json"}

    def transform(self, out: Outgoing) -> Outgoing | None:
        """The message as actually sent; None drops it. The reference sends it unchanged."""
        return out

    async def send(self, out: Outgoing) -> None:
        await publish(self.broker, out.body, self.address(out), self.headers(out))

    async def publish(self, outs: Iterable[Outgoing]) -> None:
        for out in outs:
            sent = self.transform(out)
            if sent is not None:
                await self.send(sent)

    def later(self, delay: float, out: Outgoing) -> None:
        """Send a message after `delay` seconds without holding up the handler (a slow back end)."""

        async def run() -> None:
            await asyncio.sleep(delay)
            await publish(self.broker, out.body, self.address(out), self.headers(out))

        task = asyncio.get_running_loop().create_task(run())
        self.background.add(task)
        task.add_done_callback(self.background.discard)


@dataclass
class Supplier:
    """A wired supplier: the FastStream app, its broker, the domain service and the publisher."""

    provider: str
    app: Any  # a FastStream app (or the kit's SNS/SQS app, which has the same start/stop/run)
    broker: Any
    service: Any
    publisher: Publisher
    subscribed: list[str] = field(default_factory=list)


def build_supplier(
    provider: str,
    service: Any,
    routes: Callable[[Any], Mapping[str, Handler]],
    publisher_cls: type[Publisher] = Publisher,
) -> Supplier:
    """A FastStream app for `service`: one subscriber per channel in routes(service).

    Handlers never raise into the broker: a message that is not a JSON object, or that the service
    cannot use, is logged and dropped (a supplier must survive bad input; the contract tests judge
    what it publishes, not whether it crashed).
    """
    broker = broker_from_env()
    publisher = publisher_cls(broker)
    supplier = Supplier(provider, app_for(broker), broker, service, publisher)
    for address, handler in routes(service).items():
        subject = channel(address)
        supplier.subscribed.append(subject)
        subscriber(broker, subject, provider)(_handler(provider, subject, handler, publisher))

    @supplier.app.after_startup
    async def announce_ready() -> None:
        # A supplier run in its own process tells the harness it is subscribed (em-harness.ready).
        await publish(
            broker,
            {"provider": provider, "pid": os.getpid(), "subscribed": list(supplier.subscribed)},
            channel(READY_ADDRESS),
            {"eventType": READY_ADDRESS, "content-type": "application/json"},
        )

    return supplier


def _handler(provider: str, subject: str, handler: Handler, publisher: Publisher) -> Callable[..., Any]:
    async def consume(body: Any) -> None:
        if not isinstance(body, dict):
            log.warning("%s: %s: ignored a message that is not a JSON object", provider, subject)
            return
        try:
            outs = handler(body)
        except Exception:
            log.exception("%s: %s: could not handle message %s", provider, subject, body.get("eventId"))
            return
        await publisher.publish(outs)

    consume.__name__ = f"on_{subject.replace('.', '_').replace('-', '_')}"
    return consume
