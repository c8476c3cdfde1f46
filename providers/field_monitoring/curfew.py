"""Curfew arithmetic: when was the wearer required to be at an address, and how much of an absence fell
inside that time.

The order's curfew is a weekly timetable of London-local clock times per address (`curfew_duration[]`),
bounded by `curfew_start` / `curfew_end`. A schedule entry ending at 23:59 means "until midnight"
(CEMO cannot express 24:00), so Monday 19:00-23:59 followed by Tuesday 00:00-07:00 is one night-long
window; an entry whose end is earlier than its start runs past midnight. All arithmetic is done on
aware datetimes, so British Summer Time changes are handled by zoneinfo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from providers.messages import LONDON, parse_london

DAYS = {"Mo": 0, "Tu": 1, "Wed": 2, "Th": 3, "Fr": 4, "Sa": 5, "Su": 6}


@dataclass(frozen=True)
class Window:
    """A period the wearer had to be at the address: [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Breach:
    """The part of an absence that fell inside curfew windows."""

    start: datetime
    end: datetime
    seconds: int
    whole_window: bool
    """True when the absence covered every window it touched from start to end."""


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LONDON)


def windows(curfew: dict[str, Any], start: datetime, end: datetime, location: str = "primary") -> list[Window]:
    """The merged curfew windows at `location` that touch [start, end), whole rather than cut at the query
    (looked at from a day before `start` to a day after `end`), within curfew_start..curfew_end."""
    bound_start = parse_london(curfew.get("curfew_start"))
    bound_end = parse_london(curfew.get("curfew_end"))
    first = start.astimezone(LONDON).date() - timedelta(days=1)
    last = end.astimezone(LONDON).date() + timedelta(days=1)
    raw: list[Window] = []
    for duration in curfew.get("curfew_duration") or []:
        if not isinstance(duration, dict) or duration.get("location", "primary") != location:
            continue
        day = first
        while day <= last:
            if duration.get("allday") == "Yes":
                raw.append(Window(_at(day, time(0, 0)), _at(day + timedelta(days=1), time(0, 0))))
            for entry in duration.get("schedule") or []:
                if not isinstance(entry, dict) or DAYS.get(entry.get("day", "")) != day.weekday():
                    continue
                try:
                    s_clock, e_clock = _clock(entry["start"]), _clock(entry["end"])
                except (KeyError, ValueError):
                    continue
                w_start = _at(day, s_clock)
                if e_clock == time(23, 59):
                    w_end = _at(day + timedelta(days=1), time(0, 0))
                elif e_clock <= s_clock:
                    w_end = _at(day + timedelta(days=1), e_clock)
                else:
                    w_end = _at(day, e_clock)
                raw.append(Window(w_start, w_end))
            day += timedelta(days=1)
    clipped = []
    for w in raw:
        s = max(w.start, bound_start) if bound_start else w.start
        e = min(w.end, bound_end) if bound_end else w.end
        if s < e:
            clipped.append(Window(s, e))
    merged: list[Window] = []
    for w in sorted(clipped, key=lambda w: w.start):
        if merged and w.start <= merged[-1].end:
            merged[-1] = Window(merged[-1].start, max(merged[-1].end, w.end))
        else:
            merged.append(w)
    return [w for w in merged if w.start < end and w.end > start]


def breach(curfew: dict[str, Any], start: datetime, end: datetime, location: str = "primary") -> Breach | None:
    """The curfew breach an absence from `start` to `end` amounts to, or None if it was all outside curfew."""
    touched = windows(curfew, start, end, location)
    if not touched:
        return None
    parts = [(max(w.start, start), min(w.end, end)) for w in touched]
    # In UTC: two datetimes with the same tzinfo subtract as wall-clock times, which on a clock-change
    # night is an hour off (a 19:00-07:00 curfew lasts 11 hours in spring, 13 in autumn).
    seconds = int(sum((e.astimezone(UTC) - s.astimezone(UTC)).total_seconds() for s, e in parts))
    if seconds <= 0:
        return None
    whole = all(start <= w.start and end >= w.end for w in touched)
    return Breach(parts[0][0], parts[-1][1], seconds, whole)
