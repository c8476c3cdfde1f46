"""A message the tap saw: the bus's own record type (the engine's events carry it; the bus depends on nothing above)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Recorded:
    """One message seen on the bus, by the tap."""

    seq: int
    at: float  # seconds since the run started
    channel: str
    headers: dict[str, Any]
    body: Any
    direction: str  # "stimulus" (the harness published it) or "supplier"

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": round(self.at, 6),
            "channel": self.channel,
            "headers": self.headers,
            "body": self.body,
            "direction": self.direction,
        }
