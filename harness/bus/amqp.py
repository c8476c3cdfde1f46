"""RabbitMQ / AMQP 0.9.1 (FastStream's RabbitBroker underneath).

Wire protocol: one durable topic exchange (`em.domain-events`, as the catalogue's amqp bindings name it,
shared by every run and never prefixed); the routing key is the channel address with the run's prefix;
headers are AMQP message headers (application headers, not the `type` property). Each subscribing system
binds a queue of its own, `<system id>.<prefixed address>`, auto-deleted, with that routing key.
The tap binds `em-harness.tap.<prefix>` with `<prefix>#`; it is deleted at the end (after a failure too).
Health is a round trip on the channel (a passive declare of the exchange).
"""

from __future__ import annotations

from typing import Any

from harness.bus.base import Deliver, RunSpec, Transport
from harness.bus.faststream_tap import ignore, install_tap

SCHEMES = ("amqp", "amqps")
EXAMPLE = "amqp://guest:guest@127.0.0.1:5672/"
EXCHANGE = "em.domain-events"


def exchange_name(run: RunSpec) -> str:
    """The topic exchange the catalogue's amqp channel bindings name (one for every channel)."""
    for bindings in run.channels.values():
        name = ((bindings.get("amqp") or {}).get("exchange") or {}).get("name")
        if isinstance(name, str) and name:
            return name
    return EXCHANGE


class AmqpTransport(Transport):
    kind = "amqp"

    def __init__(self, url: str, run: RunSpec) -> None:
        super().__init__(url, run)
        from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue

        # aio-pika's robust connection retries a handshake cut short by a cancellation, swallowing it (the
        # run could then never end); with a timeout of its own, shorter than the harness's bound, its first
        # attempt fails for good instead.
        self.broker = RabbitBroker(url, logger=None, timeout=max(0.5, run.connect_timeout * 0.8))
        self.exchange = RabbitExchange(exchange_name(run), type=ExchangeType.TOPIC, durable=True)
        self.queue_name = f"{run.tap_id}.tap.{run.prefix or 'all'}"
        self._deliver: Deliver | None = None
        install_tap(self.broker, lambda raw: raw.routing_key, lambda: self._deliver)
        queue = RabbitQueue(self.queue_name, auto_delete=True, routing_key=f"{run.prefix}#")
        self.broker.subscriber(queue, self.exchange)(ignore)

    async def connect(self) -> None:
        await self.broker.start()

    async def tap(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, address: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        await self.broker.publish(body, exchange=self.exchange, routing_key=address, headers=headers, mandatory=False)

    async def health(self) -> None:
        channel = self.broker._channel
        if channel is None or channel.is_closed:
            raise ConnectionError("the channel is closed")
        # Exchange.Declare(passive) -> DeclareOk on the raw channel: aio-pika's own declare may answer from
        # what it knows, which is no proof that the broker is there.
        underlay = await channel.get_underlay_channel()
        await underlay.exchange_declare(exchange=self.exchange.name, passive=True)

    async def cleanup(self) -> None:
        for subscriber in self.broker.subscribers:  # stop consuming first: no "consumer cancelled" warning
            await subscriber.stop()
        channel = self.broker._channel
        if channel is not None and not channel.is_closed:
            await channel.queue_delete(self.queue_name)

    async def close(self) -> None:
        await self.broker.stop()


TRANSPORT = AmqpTransport
