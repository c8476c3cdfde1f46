"""NATS, core and JetStream (FastStream's NatsBroker underneath).

Wire protocol: the subject is the channel address with the run's prefix (`emh-<id>.electronic-monitoring.case-
created`); headers are NATS message headers; a system subscribes in the queue group named by its system id.
`nats://HOST:PORT?jetstream=true` gives the run a JetStream stream of its own (memory storage) capturing every
subject below the prefix; its name is handed to the supplier as EM_NATS_STREAM and suppliers consume from it
(nothing published before they subscribe is lost). The stream is deleted at the end, after a failure too
(streams persist and would replay old messages into the next run). Core NATS subjects leave nothing behind.
Health is a PING/PONG round trip (`flush`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness.bus.base import Deliver, RunSpec, Transport
from harness.bus.faststream_tap import ignore, install_tap
from harness.errors import HarnessError

SCHEMES = ("nats",)
EXAMPLE = "nats://127.0.0.1:4222"


def wants_jetstream(url: str) -> bool:
    """nats://host:port?jetstream=true asks for a JetStream run (a stream per run)."""
    values = parse_qs(urlsplit(url).query).get("jetstream", [])
    return any(v.lower() in ("true", "1", "yes") for v in values)


class NatsTransport(Transport):
    kind = "nats"

    def __init__(self, url: str, run: RunSpec) -> None:
        super().__init__(url, run)
        from faststream.nats import NatsBroker

        self.jetstream = wants_jetstream(url)
        prefix = run.prefix
        self.stream_name = f"EMH_{prefix.strip('.').replace('-', '_').upper() or 'ALL'}" if self.jetstream else None
        if self.jetstream and not prefix:
            raise HarnessError(f"bus {url!r}: JetStream runs need a channel prefix (start the supplier or set one)")
        self.broker = NatsBroker(url.split("?", 1)[0], logger=None, connect_timeout=5, max_reconnect_attempts=0)
        self._deliver: Deliver | None = None
        self._stream_made = False
        install_tap(self.broker, lambda raw: raw.subject, lambda: self._deliver)
        self.broker.subscriber(f"{prefix}>" if prefix else ">")(ignore)

    async def connect(self) -> None:
        await self.broker.start()

    async def declare(self) -> None:
        if not self.jetstream:
            return
        js = self.broker._connection.jetstream()
        try:
            await js.add_stream(name=self.stream_name, subjects=[f"{self.run.prefix}>"], storage="memory")
        except Exception as exc:
            raise HarnessError(f"bus {self.url!r}: cannot create the JetStream stream: {exc}") from None
        self._stream_made = True

    async def tap(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, address: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        await self.broker.publish(body, address, headers=headers)

    async def health(self) -> None:
        connection = self.broker._connection
        if connection is None or not connection.is_connected:
            raise ConnectionError("not connected")
        await connection.flush(timeout=2)

    async def cleanup(self) -> None:
        if self._stream_made:
            await self.broker._connection.jetstream().delete_stream(self.stream_name)
            self._stream_made = False

    async def close(self) -> None:
        await self.broker.stop()

    def supplier_env(self) -> dict[str, str]:
        return {"EM_NATS_STREAM": self.stream_name} if self.stream_name else {}


TRANSPORT = NatsTransport
