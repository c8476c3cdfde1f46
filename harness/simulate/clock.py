"""The virtual clock: simulated time for a supplier under test, so deadlines of hours or days run in seconds.

Declared in contracts/asyncapi.yaml (channels em-harness.sim-clock and em-harness.sim-clock-ack):
- the harness publishes `{"eventType": "em-harness.sim-clock", "eventId": ..., "now": "<UTC RFC 3339>"}` on
  em-harness.sim-clock before the first stimulus, and again whenever a stimulus asks to `advance` time;
- a supplier that honours it uses `now` as its current time for everything it publishes (occurredAt,
  publishedAt, its own record times) until the next tick: time stands still between ticks, so verdicts do
  not depend on how fast the machine is;
- it answers each tick with `{"eventType": "em-harness.sim-clock-ack", "provider": "<system id>", "now":
  "<the same now>"}` on em-harness.sim-clock-ack, after which the harness knows the supplier's clock.
A supplier that does not answer within the wait runs in wall-clock mode: the harness stamps stimuli with
the real time and flow steps that need simulated time (`advance`) are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.bus.base import Bus
from harness.verify.events import Recorded

CLOCK = "em-harness.sim-clock"
RETICK = 0.5  # seconds between two publications of a tick not yet acknowledged
CLOCK_ACK = "em-harness.sim-clock-ack"
EPOCH = datetime(2026, 6, 20, 17, 0, 0, tzinfo=UTC)
"""Where simulated time starts: a fixed instant, so every run sees the same times (Saturday 20 June 2026,
18:00 in London, in British Summer Time: the hour between UTC and London local time is visible)."""


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SimClock:
    """The run's clock: virtual (ticks on the bus, acknowledged by the supplier) or the wall clock."""

    def __init__(self, mode: str = "virtual", start: datetime = EPOCH) -> None:
        self.requested = mode
        self.mode = "wall" if mode == "wall" else "pending"
        self.now = start
        self.note = ""
        self._acked: asyncio.Event | None = None
        self._target: datetime | None = None

    @property
    def virtual(self) -> bool:
        return self.mode == "virtual"

    def current(self) -> datetime:
        return self.now if self.virtual else datetime.now(UTC)

    def text(self) -> str:
        """The time to stamp on a stimulus (microseconds in wall mode, as before; seconds when virtual)."""
        if self.virtual:
            return utc_text(self.now)
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def offer(self, rec: Recorded) -> None:
        """The bus listener: an acknowledgement of the tick being waited for."""
        if rec.direction != "supplier" or rec.channel != CLOCK_ACK or self._acked is None or self._target is None:
            return
        acked = parse_utc(rec.body.get("now")) if isinstance(rec.body, dict) else None
        if acked is not None and acked >= self._target:
            self._acked.set()

    async def _tick(self, bus: Bus, moment: datetime, timeout: float) -> bool:
        """Publish the tick until it is acknowledged: on a broker without persistence (core NATS) a tick sent
        before the supplier's subscription reached the server is lost, and a lost tick must not turn the
        run into a wall-clock run. The same tick again changes nothing for the supplier."""
        self._acked = asyncio.Event()
        self._target = moment
        body = {"eventType": CLOCK, "eventId": f"sha256:{uuid.uuid4().hex}{uuid.uuid4().hex}", "now": utc_text(moment)}
        end = bus.now() + timeout
        while True:
            await bus.publish(CLOCK, body, {"eventType": CLOCK, "content-type": "application/json"})
            left = end - bus.now()
            if left <= 0:
                return self._acked.is_set()
            if await bus.wait_for(self._acked, min(RETICK, left)):
                return True

    async def start(self, bus: Bus, timeout: float, *, receives: bool = True) -> None:
        """Set the supplier's clock to the start of simulated time; wall-clock mode when it does not answer."""
        if self.requested == "wall":
            self.mode = "wall"
            self.note = "wall clock (--clock wall)"
            return
        if not receives:
            self.mode = "wall"
            self.note = "wall clock: the provider receives no em-harness.sim-clock in contracts/asyncapi.yaml"
            return
        if await self._tick(bus, self.now, timeout):
            self.mode = "virtual"
            self.note = f"virtual clock from {utc_text(self.now)} (em-harness.sim-clock)"
        else:
            self.mode = "wall"
            self.note = (
                f"wall clock: the supplier did not acknowledge em-harness.sim-clock within {timeout:g} s "
                "(flow steps that advance simulated time are skipped)"
            )

    async def advance(self, bus: Bus, seconds: float, timeout: float) -> bool:
        """Move simulated time forward; False when the supplier did not acknowledge the new time."""
        if not self.virtual:
            return False
        self.now = self.now + timedelta(seconds=seconds)
        return await self._tick(bus, self.now, timeout)
