"""What every reference consumer needs to read an EM message: decoding, typed field access, time.

The consumers read only the fields they use and check those strictly, so a supplier that drops or
retypes a field breaks the consumer's own tests (and its pact) with a message naming the field, not a
KeyError three calls later. Two timestamp kinds travel in EM messages and must never be mixed: UTC
RFC 3339 (the envelope, camelCase and monitoring-data fields) and the supplier's London local time
'yyyy-MM-dd HH:mm:ss' without offset; both are turned into timezone-aware UTC datetimes here, so
consumers compare and sort them correctly across the clock changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_LONDON_FORMAT = "%Y-%m-%d %H:%M:%S"
_UTC_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|\+00:00)$")


class InvalidMessage(ValueError):
    """The message lacks a field the consumer needs, or contradicts itself."""


class UnknownReference(LookupError):
    """The message refers to something (a case, an order, a device) the consumer has never seen."""


def decode(body: str | bytes | bytearray | Mapping[str, Any]) -> dict[str, Any]:
    """A message as a dict, from JSON text/bytes (as a bus or pact hands it over) or an already parsed dict."""
    if isinstance(body, Mapping):
        return dict(body)
    try:
        message = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise InvalidMessage(f"message body is not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise InvalidMessage("message body is not a JSON object")
    return message


def parse_utc(value: Any, field: str) -> datetime:
    """An RFC 3339 UTC timestamp ('...Z' or '...+00:00') as an aware datetime; anything else is refused."""
    if not isinstance(value, str) or not _UTC_SHAPE.match(value):
        raise InvalidMessage(f"{field}: expected a UTC RFC 3339 timestamp, got {value!r}")
    text = value.replace("Z", "+00:00")
    if "." in text:
        # fromisoformat takes at most 6 fraction digits; the catalogue allows 9.
        head, rest = text.split(".", 1)
        digits, offset = rest[:-6], rest[-6:]
        text = f"{head}.{digits[:6].ljust(6, '0')}{offset}"
    return datetime.fromisoformat(text).astimezone(UTC)


def parse_london(value: Any, field: str) -> datetime:
    """A supplier London-local 'yyyy-MM-dd HH:mm:ss' as an aware UTC datetime (BST and GMT both handled)."""
    if not isinstance(value, str):
        raise InvalidMessage(f"{field}: expected London local time 'yyyy-MM-dd HH:mm:ss', got {value!r}")
    try:
        naive = datetime.strptime(value, _LONDON_FORMAT)
    except ValueError:
        raise InvalidMessage(f"{field}: expected London local time 'yyyy-MM-dd HH:mm:ss', got {value!r}") from None
    return naive.replace(tzinfo=LONDON).astimezone(UTC)


class Fields:
    """Typed, named access to one object of a message; every failure says which field and why."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise InvalidMessage(f"{where}: expected an object, got {type(data).__name__}")
        self.data = data
        self.where = where

    def _get(self, key: str, optional: bool) -> Any:
        if key not in self.data or self.data[key] is None:
            if optional:
                return None
            raise InvalidMessage(f"{self.where}.{key}: missing")
        return self.data[key]

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, *, optional: bool = False) -> Any:
        value = self._get(key, optional)
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidMessage(f"{self.where}.{key}: expected a non-empty string, got {value!r}")
        return value

    def choice(self, key: str, allowed: Iterable[str], *, optional: bool = False) -> Any:
        value = self.text(key, optional=optional)
        allowed = tuple(allowed)
        if value is not None and value not in allowed:
            raise InvalidMessage(f"{self.where}.{key}: {value!r} is not one of {', '.join(allowed)}")
        return value

    def integer(self, key: str, *, optional: bool = False, minimum: int | None = None) -> Any:
        value = self._get(key, optional)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidMessage(f"{self.where}.{key}: expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise InvalidMessage(f"{self.where}.{key}: {value} is below {minimum}")
        return value

    def number(self, key: str, *, optional: bool = False, low: float | None = None, high: float | None = None) -> Any:
        value = self._get(key, optional)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidMessage(f"{self.where}.{key}: expected a number, got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise InvalidMessage(f"{self.where}.{key}: {value} is outside {low}..{high}")
        return float(value)

    def boolean(self, key: str, *, optional: bool = False) -> Any:
        value = self._get(key, optional)
        if value is not None and not isinstance(value, bool):
            raise InvalidMessage(f"{self.where}.{key}: expected true or false, got {value!r}")
        return value

    def yes(self, key: str) -> bool:
        """A supplier 'Yes'/'No' flag; absent counts as 'No'."""
        return self.choice(key, ("Yes", "No"), optional=True) == "Yes"

    def utc(self, key: str, *, optional: bool = False) -> Any:
        value = self._get(key, optional)
        return None if value is None else parse_utc(value, f"{self.where}.{key}")

    def london(self, key: str, *, optional: bool = False) -> Any:
        value = self._get(key, optional)
        return None if value is None else parse_london(value, f"{self.where}.{key}")

    def obj(self, key: str, *, optional: bool = False) -> Any:
        value = self._get(key, optional)
        return None if value is None else Fields(value, f"{self.where}.{key}")

    def items(self, key: str, *, optional: bool = False, min_items: int = 0) -> list[Fields]:
        value = self._get(key, optional)
        if value is None:
            return []
        if not isinstance(value, list):
            raise InvalidMessage(f"{self.where}.{key}: expected an array, got {type(value).__name__}")
        if len(value) < min_items:
            raise InvalidMessage(f"{self.where}.{key}: expected at least {min_items} item(s), got {len(value)}")
        return [Fields(item, f"{self.where}.{key}[{i}]") for i, item in enumerate(value)]


def envelope(message: Mapping[str, Any]) -> Fields:
    """The message's envelope fields, named after its eventType in errors."""
    name = message.get("eventType") if isinstance(message, Mapping) else None
    return Fields(message, name if isinstance(name, str) and name else "message")


def payload(message: Mapping[str, Any]) -> Fields:
    """The event-specific payload (`additionalInformation`), named after the event type in errors."""
    return envelope(message).obj("additionalInformation")


def minutes(delta: timedelta) -> float:
    """A duration in minutes, for summaries."""
    return delta.total_seconds() / 60


class Consumer:
    """Dispatch by eventType to the service method that consumes it.

    `handlers` maps each consumed eventType to a method name. The FastStream app subscribes one
    function per channel; pact tests and replay tools hand any message to `handle`.
    """

    handlers: ClassVar[Mapping[str, str]] = {}

    def consumes(self) -> list[str]:
        """The eventTypes this consumer subscribes to."""
        return sorted(self.handlers)

    def handle(self, message: Mapping[str, Any]) -> Any:
        """Pass the message to the method for its eventType; an eventType this consumer does not take is an error."""
        event_type = message.get("eventType") if isinstance(message, Mapping) else None
        name = self.handlers.get(event_type) if isinstance(event_type, str) else None
        if name is None:
            raise InvalidMessage(f"{type(self).__name__} does not consume eventType {event_type!r}")
        return getattr(self, name)(message)
