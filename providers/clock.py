"""A supplier's clock: the harness's virtual clock when one is running, the wall clock otherwise.

The harness publishes simulated time on em-harness.sim-clock (contracts/asyncapi.yaml); a supplier under
test takes that instant as "now" for everything it publishes until the next tick (time stands still
between ticks), and acknowledges each tick on em-harness.sim-clock-ack with the same `now`. Without a tick
it runs on the wall clock, as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from providers.messages import Outgoing, parse_utc

CLOCK_ACK = "em-harness.sim-clock-ack"


class SupplierClock:
    """Callable like a clock; `on_tick` is the handler for em-harness.sim-clock."""

    def __init__(self, provider: str, wall: Callable[[], datetime] | None = None) -> None:
        self.provider = provider
        self.wall = wall or (lambda: datetime.now(UTC))
        self.virtual: datetime | None = None

    def __call__(self) -> datetime:
        return self.virtual if self.virtual is not None else self.wall()

    def on_tick(self, message: dict[str, Any]) -> list[Outgoing]:
        """Take the tick's `now` as the current time; acknowledge it (nothing when it is unreadable)."""
        now = parse_utc(message.get("now"))
        if now is None:
            return []
        self.virtual = now
        body = {"eventType": CLOCK_ACK, "provider": self.provider, "now": message["now"]}
        return [Outgoing("sim-clock-ack", body)]
