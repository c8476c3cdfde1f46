"""EM Data Insights: one time-ordered timeline per device wearer, for probation officers.

Officers look at where a person was, which violations the supplier raised and what the device
reported, on one line of time. The feeds disagree on two things this service has to resolve:
- time: positions and device events are UTC, violations are the supplier's London local time; every
  entry is kept in aware UTC so a BST evening violation sorts correctly against GPS fixes;
- identity: the monitoring data service names the wearer by numeric person_id, the field monitoring
  service by its device_wearer sys_id. Until the two are linked (`link`), each has its own timeline.
A violation update carries the whole record, so it replaces the entry rather than adding one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from consumers.messages import Consumer, InvalidMessage, payload

MECHANISMS = {1: "GPS", 4: "RF", 5: "LBS", 6: "WIFI"}
VIOLATION_CATEGORIES = ("curfew", "exclusion_zone", "inclusion_zone", "tamper", "alcohol", "attendance")


@dataclass(frozen=True)
class Entry:
    """One thing that happened to a wearer, at a UTC instant."""

    at: datetime
    kind: str  # position | device-event | violation
    ref: str  # unique per kind: the supplier's id
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def person_key(person_id: int) -> str:
    return f"person:{person_id}"


def wearer_key(device_wearer: str) -> str:
    return f"wearer:{device_wearer}"


class WearerTimelines(Consumer):
    handlers = {
        "electronic-monitoring.violation-raised": "violation_raised",
        "electronic-monitoring.violation-updated": "violation_updated",
        "electronic-monitoring.positions-reported": "positions_reported",
        "electronic-monitoring.device-event-reported": "device_event_reported",
    }

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Entry]] = {}
        self._alias: dict[str, str] = {}

    # -- identity -------------------------------------------------------------------------------
    def _key(self, key: str) -> str:
        return self._alias.get(key, key)

    def link(self, device_wearer: str, person_id: int) -> None:
        """Declare that the supplier's device_wearer and the data service's person_id are one person."""
        source, target = wearer_key(device_wearer), person_key(person_id)
        current = self._alias.get(source)
        if current is not None and current != target:
            raise InvalidMessage(f"device wearer {device_wearer} is already linked to {current}")
        self._alias[source] = target
        moved = self._entries.pop(source, {})
        self._entries.setdefault(target, {}).update(moved)

    def _put(self, key: str, entry: Entry) -> bool:
        bucket = self._entries.setdefault(self._key(key), {})
        ref = f"{entry.kind}:{entry.ref}"
        new = ref not in bucket
        bucket[ref] = entry
        return new

    # -- queries --------------------------------------------------------------------------------
    def timeline(self, *, person_id: int | None = None, device_wearer: str | None = None) -> list[Entry]:
        """Everything known about one wearer, oldest first."""
        if (person_id is None) == (device_wearer is None):
            raise ValueError("give exactly one of person_id or device_wearer")
        key = person_key(person_id) if person_id is not None else self._key(wearer_key(str(device_wearer)))
        return sorted(self._entries.get(key, {}).values(), key=lambda e: (e.at, e.kind, e.ref))

    def wearers(self) -> list[str]:
        return sorted(k for k, v in self._entries.items() if v)

    # -- handlers -------------------------------------------------------------------------------
    def _violation(self, message: dict[str, Any]) -> Entry:
        p = payload(message)
        start = p.london("start")
        end = p.london("end", optional=True)
        if end is not None and end < start:
            raise InvalidMessage(f"{p.where}: violation ends before it starts")
        entry = Entry(
            at=start,
            kind="violation",
            ref=p.text("sys_id"),
            detail={
                "category": p.choice("category", VIOLATION_CATEGORIES),
                "caseId": p.text("caseId"),
                "state": p.text("state"),
                "active": p.boolean("active"),
                "end": end,
                "reasonable_excuse": p.yes("reasonable_excuse"),
            },
        )
        self._put(wearer_key(p.text("device_wearer")), entry)
        return entry

    def violation_raised(self, message: dict[str, Any]) -> Entry:
        return self._violation(message)

    def violation_updated(self, message: dict[str, Any]) -> Entry:
        """The whole current record: it replaces the raised entry (same sys_id)."""
        return self._violation(message)

    def positions_reported(self, message: dict[str, Any]) -> int:
        """Add every position of the batch; returns how many were new (a replayed batch adds none)."""
        added = 0
        for pos in payload(message).items("positions", min_items=1):
            mechanism = pos.integer("mechanism")
            if mechanism not in MECHANISMS:
                raise InvalidMessage(f"{pos.where}.mechanism: unknown code {mechanism}")
            entry = Entry(
                at=pos.utc("recorded_date"),
                kind="position",
                ref=str(pos.integer("position_id", minimum=1)),
                detail={
                    "device_id": pos.integer("device_id", minimum=1),
                    "latitude": pos.number("latitude", low=-90, high=90),
                    "longitude": pos.number("longitude", low=-180, high=180),
                    "mechanism": MECHANISMS[mechanism],
                },
            )
            added += self._put(person_key(pos.integer("person_id", minimum=1)), entry)
        return added

    def device_event_reported(self, message: dict[str, Any]) -> Entry:
        p = payload(message)
        entry = Entry(
            at=p.utc("eventStartDateUtc"),
            kind="device-event",
            ref=str(p.integer("eventId", minimum=1)),
            detail={
                "deviceId": p.integer("deviceId", minimum=1),
                "code": p.text("eventTypeCode"),
                "criticality": p.text("eventTypeCriticalityName", optional=True),
                "flags": p.integer("eventStatusFlags", minimum=0),
            },
        )
        self._put(person_key(p.integer("personId", minimum=1)), entry)
        return entry
