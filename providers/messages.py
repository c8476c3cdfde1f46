"""Building the messages a supplier publishes: the EM envelope, sealed, with the two kinds of time.

HMPPS envelope times (occurredAt, publishedAt) and most MoJ-facing timestamps are UTC RFC 3339; the
supplier's own record times (visits, equipment, violations, alerts) are London local time
'yyyy-MM-dd HH:mm:ss' with no offset. Mixing them up is a classic integration bug, so both
conversions live here, in one place, and every service uses them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from wirekit.envelope import seal

EVENT_PREFIX = "electronic-monitoring."
LONDON = ZoneInfo("Europe/London")


def utc_text(moment: datetime) -> str:
    """RFC 3339 in UTC with a trailing Z, to the second (envelope and *Utc fields)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def london_text(moment: datetime) -> str:
    """The supplier's record time: London local 'yyyy-MM-dd HH:mm:ss', no offset."""
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")


def parse_utc(text: Any, default: datetime | None = None) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime; `default` when absent or unreadable."""
    if not isinstance(text, str):
        return default
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return default
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_london(text: Any, default: datetime | None = None) -> datetime | None:
    """A London local 'yyyy-MM-dd HH:mm:ss' as an aware datetime; `default` when absent or unreadable."""
    if not isinstance(text, str):
        return default
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=LONDON)
    except ValueError:
        return default


@dataclass(frozen=True)
class Outgoing:
    """One message a supplier service wants published: the schema folder name and the sealed body."""

    message: str
    body: dict[str, Any]

    @property
    def event_type(self) -> str:
        return str(self.body.get("eventType", EVENT_PREFIX + self.message))

    def with_body(self, body: dict[str, Any]) -> Outgoing:
        """The same message with a changed body, re-sealed (eventId always matches the content sent)."""
        unsealed = {k: v for k, v in body.items() if k != "eventId"}
        return Outgoing(self.message, seal(unsealed))

    def edited(self) -> dict[str, Any]:
        """A deep copy of the body to change (pair with with_body)."""
        return copy.deepcopy(self.body)


def event(
    message: str,
    source: str,
    payload: dict[str, Any],
    *,
    occurred_at: datetime,
    published_at: datetime,
    person_reference: dict[str, Any] | None = None,
    description: str | None = None,
) -> Outgoing:
    """An EM domain event for `message` (schema folder name), sealed with its eventId."""
    body: dict[str, Any] = {
        "eventType": EVENT_PREFIX + message,
        "version": 1,
        "occurredAt": utc_text(occurred_at),
        "publishedAt": utc_text(published_at),
        "source": source,
    }
    if description:
        body["description"] = description
    if person_reference:
        body["personReference"] = copy.deepcopy(person_reference)
    body["additionalInformation"] = payload
    return Outgoing(message, seal(body))


def person_reference_of(message: dict[str, Any]) -> dict[str, Any] | None:
    """The personReference of a received message, when it has usable identifiers."""
    ref = message.get("personReference")
    if isinstance(ref, dict) and isinstance(ref.get("identifiers"), list) and ref["identifiers"]:
        return copy.deepcopy(ref)
    return None


def identifier_values(person_reference: dict[str, Any] | None) -> list[str]:
    """The CRN/NOMS values of a personReference."""
    if not person_reference:
        return []
    return [str(i.get("value")) for i in person_reference.get("identifiers", []) if isinstance(i, dict)]
