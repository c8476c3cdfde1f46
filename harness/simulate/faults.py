"""Delivery faults: what real brokers do to a supplier's input, done above the bus so every transport
gets them unchanged (`verify --faults duplicate,reorder,delay,redeliver,poison`).

Each fault re-runs a flow that lists it (contracts/flows/*.yaml `faults:`) with its stimuli delivered
badly, and judges the same flow rules (counts, order, values, correlation):
- duplicate: every stimulus is published twice at once, the same message (same eventId): at-least-once
  delivery. Oracle: idempotency (one order opens one case; nothing is answered twice).
- redeliver: the whole flow runs, then, REDELIVER_AFTER seconds later, every stimulus is delivered again
  with the same eventId (a consumer restart, a lost acknowledgement). Oracle: idempotency.
- reorder: the stimuli are published in reverse order, without waiting for answers. Oracle: ordering
  tolerance (the supplier holds what refers to something it has not seen yet).
- delay: each stimulus is held back DELAY_SECONDS. Oracle: the flow still holds.
- poison: first, on every channel the provider consumes, a message that is not JSON, a JSON value that
  is not an object, and an object of the right eventType whose payload is unusable; then the flow.
  Oracle: survival (the supplier keeps processing; it rejects or dead-letters the poison, never crashes
  or stalls).
A fault's check is skipped when the flow already fails without the fault: it judges the fault alone.
"""

from __future__ import annotations

import uuid
from typing import Any

FAULTS = ("duplicate", "reorder", "delay", "redeliver", "poison")
DELAY_SECONDS = 1.0
REDELIVER_AFTER = 2.0


def check_name(fault: str) -> str:
    """The check a fault is reported as: fault-duplicate, fault-reorder, ..."""
    return f"fault-{fault}"


def parse_faults(text: str | None) -> list[str]:
    """`duplicate,poison` or `all` as a list of fault names; ValueError names an unknown one."""
    if not text:
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return list(FAULTS)
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r}; the faults are {', '.join(FAULTS)} (or all)")
    return [f for f in FAULTS if f in names]


def poison_messages(event_type: str) -> list[Any]:
    """What a poison run publishes on one channel before the flow's stimuli."""
    return [
        b"\x00\xffnot json {",
        ["not", "an", "object"],
        {
            "eventType": event_type,
            "version": "one",
            "eventId": f"sha256:{uuid.uuid4().hex}{uuid.uuid4().hex}",
            "additionalInformation": {"order_id": 12345, "device_id": "not-a-number", "kind": None},
        },
    ]
