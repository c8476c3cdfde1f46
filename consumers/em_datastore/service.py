"""EM datastore: every supplier message, kept at envelope level for history and analytics.

The datastore must never be the reason a supplier cannot change a payload: it stores whatever the
payload is and indexes only the envelope (eventType, version, occurredAt, eventId, source). The
envelope's eventId is the de-duplication key (FIFO topics redeliver, suppliers replay), and because
it is `sha256:` of the canonical message, the store also notes whether the content still matches it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consumers.messages import Consumer, InvalidMessage, UnknownReference, envelope
from wirekit.envelope import event_id as compute_event_id

EVENT_TYPE = re.compile(r"^[a-z]+(-[a-z]+)*(\.[a-z]+(-[a-z]+)*)+$")
EVENT_ID = re.compile(r"^sha256:[0-9a-f]{64}$")

SUPPLIER_EVENTS = (
    "electronic-monitoring.case-created",
    "electronic-monitoring.case-status-returned",
    "electronic-monitoring.visit-completed",
    "electronic-monitoring.equipment-installed",
    "electronic-monitoring.equipment-removed",
    "electronic-monitoring.violation-raised",
    "electronic-monitoring.violation-updated",
    "electronic-monitoring.alert-raised",
    "electronic-monitoring.monitoring-ended",
    "electronic-monitoring.device-activated",
    "electronic-monitoring.device-deactivated",
    "electronic-monitoring.positions-reported",
    "electronic-monitoring.device-event-reported",
    "electronic-monitoring.supplier-file-delivered",
)


@dataclass(frozen=True)
class Record:
    event_id: str
    event_type: str
    version: int
    occurred_at: datetime
    source: str
    content_matches_id: bool
    message: dict[str, Any]


class EventStore(Consumer):
    handlers = dict.fromkeys(SUPPLIER_EVENTS, "store")

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.duplicates = 0

    def store(self, message: dict[str, Any]) -> bool:
        """Keep the message; False when its eventId is already stored (a redelivery)."""
        env = envelope(message)
        event_type = env.text("eventType")
        if not EVENT_TYPE.match(event_type):
            raise InvalidMessage(f"eventType {event_type!r} is not a dotted lower-case name")
        version = env.integer("version", minimum=1)
        occurred_at = env.utc("occurredAt")
        event_id = env.text("eventId")
        if not EVENT_ID.match(event_id):
            raise InvalidMessage(f"{event_type}.eventId: expected sha256:<64 hex>, got {event_id!r}")
        source = env.text("source")
        if not isinstance(message.get("additionalInformation", {}), dict):
            raise InvalidMessage(f"{event_type}.additionalInformation: expected an object")
        if event_id in self.records:
            self.duplicates += 1
            return False
        self.records[event_id] = Record(
            event_id=event_id,
            event_type=event_type,
            version=version,
            occurred_at=occurred_at,
            source=source,
            content_matches_id=compute_event_id(dict(message)) == event_id,
            message=dict(message),
        )
        return True

    def get(self, event_id: str) -> Record:
        try:
            return self.records[event_id]
        except KeyError:
            raise UnknownReference(f"no stored event {event_id}") from None

    def count(self, event_type: str | None = None) -> int:
        if event_type is None:
            return len(self.records)
        return sum(1 for r in self.records.values() if r.event_type == event_type)

    def counts(self) -> Counter[str]:
        return Counter(r.event_type for r in self.records.values())

    def history(self) -> list[Record]:
        """Stored events in the order they happened (occurredAt), not the order they arrived."""
        return sorted(self.records.values(), key=lambda r: (r.occurred_at, r.event_id))
