"""A synthetic Electronic Monitoring world whose truth the harness knows: `em-harness simulate` runs it.

A scenario (contracts/scenarios/<name>.yaml, harness.simulate.scenario) gives the world's parameters; this
module turns them and a seed into wearers, their orders (curfew timetables, some crossing midnight; zones),
and a timeline of telemetry on the catalogue's simulation channels: home-monitoring-unit absences, GPS
fixes with noise and gaps, strap tamper, battery decline, and loss of communications after which the
buffered fixes are uploaded late (each fix keeps its `recorded_at`; the message's `occurredAt` is when it
was uploaded). Alongside, the truth: every breach seeded, with its start, end and kind, and the situations
seeded that are *not* breaches (an absence shorter than the grace period, GPS drift along a zone boundary,
an absence just after a curfew that ended early because the clocks went forward).

Determinism: each wearer draws from its own random.Random seeded by (seed, scenario, wearer index), so the
same seed gives the same world byte for byte (`World.digest`), and adding wearers leaves the others alone.

Time rules the truth follows (they are the contract's, PEP 495 as zoneinfo implements it): curfew clock
times are Europe/London local; a local time that happens twice (the autumn change) means its first
occurrence; one that never happens (the spring change) is read with the offset in force before the change.
A breach is the part of an absence that falls inside curfew, and only when that part lasts at least the
grace period; a zone breach is time spent inside an exclusion zone or outside an inclusion zone.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from harness.catalogue.envelope import seal as jcs_seal

LONDON = ZoneInfo("Europe/London")
DAYS = ("Mo", "Tu", "Wed", "Th", "Fr", "Sa", "Su")
TELEMETRY = "em-harness.sim-device-telemetry"
VISIT = "em-harness.sim-field-visit"
ORDER = "electronic-monitoring.order-submitted"
CURFEWS = (("19:00", "07:00"), ("21:00", "06:00"), ("20:00", "23:59"), ("22:00", "05:30"))
"""Timetables a wearer may get: most cross midnight; 20:00-23:59 means until midnight (CEMO's 24:00)."""
HOME = (51.5072, -0.1276)
METRES_PER_DEGREE = 111_320.0

CURFEW_RECIPES = {"curfew-absence", "curfew-short", "below-grace", "before-curfew", "daytime-absence"}
ZONE_RECIPES = {"exclusion-entry", "inclusion-exit", "boundary-drift", "outage-breach"}
CLOCK_RECIPES = {"spring-after-end", "fall-before-end", "repeated-hour", "missing-hour"}
OTHER_RECIPES = {"tamper"}
RECIPES = CURFEW_RECIPES | ZONE_RECIPES | CLOCK_RECIPES | OTHER_RECIPES
KINDS = ("curfew", "exclusion_zone", "inclusion_zone", "tamper")


@dataclass(frozen=True)
class Truth:
    """One seeded situation: a breach (`breach` True) the supplier must report, or one it must not."""

    wearer: str
    kind: str
    start: datetime
    end: datetime
    recipe: str
    breach: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "wearer": self.wearer,
            "kind": self.kind,
            "start": _utc(self.start),
            "end": _utc(self.end),
            "recipe": self.recipe,
            "breach": self.breach,
        }


@dataclass
class Wearer:
    id: str
    """A pseudonym (W0001): what reports name; the CRN and order id stay in the world."""
    order_id: str
    crn: str
    device_id: int
    person_id: int
    curfew: tuple[str, str]
    home: tuple[float, float]
    exclusion: tuple[float, float, float] | None = None
    inclusion: tuple[float, float, float] | None = None


@dataclass(order=True)
class Send:
    """A message the harness publishes at simulated time `at`."""

    at: datetime
    seq: int
    channel: str = field(compare=False)
    body: dict[str, Any] = field(compare=False)


@dataclass
class World:
    scenario: str
    seed: int
    wearers: list[Wearer]
    sends: list[Send]
    truth: list[Truth]
    start: datetime
    end: datetime

    @property
    def breaches(self) -> list[Truth]:
        return [t for t in self.truth if t.breach]

    def lines(self) -> list[bytes]:
        """The world as JSON lines (what `digest` hashes; same seed, same bytes)."""
        out = [orjson.dumps({"at": _utc(s.at), "channel": s.channel, "body": s.body}) for s in self.sends]
        out.extend(orjson.dumps(t.as_dict()) for t in self.truth)
        return out

    def digest(self) -> str:
        h = hashlib.sha256()
        for line in self.lines():
            h.update(line + b"\n")
        return h.hexdigest()

    def wearer_of_order(self) -> dict[str, str]:
        return {w.order_id: w.id for w in self.wearers}


_DIGITS_AS_ONE = bytes.maketrans(b"0123456789", b"1111111111")
_ZERO_KEPT = bytes.maketrans(b"123456789", b"111111111")


def _plain(canonical: bytes) -> bool:
    """Whether orjson's sorted output is certainly the RFC 8785 form (checked in C, by substring search).

    Not when it has non-ASCII or an escape (key order and escaping rules could differ), an exponent or an
    integral float (ECMAScript writes 1e+21 and 20 where orjson writes 1e21 and 20.0), or a run of 16
    digits (an integer beyond 2**53 has no canonical form). A hit inside a string only means the slow path.
    """
    if not canonical.isascii() or b"\\" in canonical:
        return False
    kept = canonical.translate(_ZERO_KEPT)
    if any(p in kept for p in (b"1e", b"0e", b"1E", b"0E", b".0,", b".0]", b".0}")):
        return False
    return b"1111111111111111" not in canonical.translate(_DIGITS_AS_ONE)


def seal(body: dict[str, Any]) -> dict[str, Any]:
    """The message with its eventId (sha256 of its RFC 8785 form). The world makes thousands of messages a
    simulated day, nearly all plain (ASCII, no escapes, positional non-integral floats, small integers):
    for those, orjson's output with sorted keys is byte for byte the RFC 8785 form, and it is what is
    hashed; anything else goes through the rfc8785 library. tests/test_simulate.py checks every message
    of the shipped scenarios, and the fallbacks, against the library."""
    unsealed = {k: v for k, v in body.items() if k != "eventId"}
    canonical = orjson.dumps(unsealed, option=orjson.OPT_SORT_KEYS)
    if not _plain(canonical):
        return jcs_seal(body)
    return {**body, "eventId": "sha256:" + hashlib.sha256(canonical).hexdigest()}


@functools.lru_cache(maxsize=1 << 17)
def _utc(moment: datetime) -> str:
    """UTC RFC 3339 text (cached: a simulated day has 86,400 seconds and millions of fixes)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def london_at(day: date, clock: str) -> datetime:
    """A London clock time on a day, as an aware instant (PEP 495 fold=0, see the module docstring)."""
    hours, minutes = (int(p) for p in clock.split(":"))
    if (hours, minutes) == (23, 59):
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=LONDON)
    return datetime.combine(day, time(hours, minutes), tzinfo=LONDON)


def curfew_window(day: date, curfew: tuple[str, str]) -> tuple[datetime, datetime]:
    """The curfew that starts on `day` (London local), as UTC instants [start, end)."""
    start = london_at(day, curfew[0])
    end_day = day if curfew[1] == "23:59" or curfew[1] > curfew[0] else day + timedelta(days=1)
    end = london_at(end_day, curfew[1])
    return start.astimezone(UTC), end.astimezone(UTC)


def _offset(origin: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    lat, lon = origin
    return (
        lat + north_m / METRES_PER_DEGREE,
        lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))),
    )


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: exact enough over a few kilometres."""
    north = (b[0] - a[0]) * METRES_PER_DEGREE
    east = (b[1] - a[1]) * METRES_PER_DEGREE * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(north, east)


class _Builder:
    """One wearer's timeline: where they are (home, zone, boundary) and what their devices send."""

    def __init__(self, params: dict[str, Any], rng: random.Random, wearer: Wearer, start: datetime) -> None:
        self.p = params
        self.rng = rng
        self.w = wearer
        self.start = start
        self.absences: list[tuple[datetime, datetime]] = []
        self.away: list[tuple[datetime, datetime, tuple[float, float], str]] = []
        """Periods away from home with GPS: (start, end, where, what) where what is exclusion / outside / drift."""
        self.outages: list[tuple[datetime, datetime]] = []
        self.tampers: list[datetime] = []
        self.truth: list[Truth] = []
        self.noise = float(params["gps"]["noise_m"])
        self.precision: float = int(2 * self.noise) if (2 * self.noise).is_integer() else round(2 * self.noise, 1)
        """What a fix reports as its accuracy: twice the noise's sigma, where the noise is clipped."""

    # -- seeding -------------------------------------------------------------------------------
    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.randint(int(low), int(high)))

    def truth_of(self, kind: str, start: datetime, end: datetime, recipe: str, breach: bool = True) -> None:
        self.truth.append(Truth(self.w.id, kind, start, end, recipe, breach))

    def slot_time(self, slot: tuple[int, int], before: int, length: int) -> datetime:
        """A time in the recipe's own share of the simulated days (so GPS situations never overlap), leaving
        `before` minutes ahead of it and `length` after."""
        k, n = slot
        span = 24 * 60 * int(self.p["days"]) // max(n, 1)
        low = k * span + before + 10
        high = max(low, (k + 1) * span - length - 10)
        return self.start + timedelta(minutes=self.rng.randint(low, high))

    def seed(self, recipe: str, day: date, slot: tuple[int, int] = (0, 1)) -> None:
        """Seed one situation on the curfew night that starts on `day` (GPS ones and tamper: in `slot`, the
        k-th of n equal shares of the simulated days)."""
        grace = timedelta(minutes=float(self.p["grace_minutes"]))
        c_start, c_end = curfew_window(day, self.w.curfew)
        length = c_end - c_start
        if recipe == "curfew-absence":
            s = c_start + self.minutes(20, length.total_seconds() / 60 - 150)
            e = s + self.minutes(30, 90)
            self.absent(s, e, "curfew-absence")
        elif recipe == "curfew-short":
            s = c_start + self.minutes(60, length.total_seconds() / 60 - 60)
            e = s + self.minutes(max(grace.total_seconds() / 60 + 3, 5), 14)
            self.absent(s, e, "curfew-short")
        elif recipe == "below-grace":
            s = c_start + self.minutes(30, length.total_seconds() / 60 - 60)
            e = s + timedelta(seconds=self.rng.randint(30, max(31, int(grace.total_seconds()) - 30)))
            self.absent(s, e, "below-grace")
        elif recipe == "before-curfew":
            s = c_start - self.minutes(20, 50)
            e = c_start + self.minutes(15, 45)
            self.absent(s, e, "before-curfew")
        elif recipe == "daytime-absence":
            s = c_end + self.minutes(60, 120)
            self.absent(s, s + self.minutes(60, 180), "daytime-absence")
        elif recipe == "spring-after-end":
            # The morning the clocks go forward: 07:15 local is after a 19:00-07:00 curfew (an hour
            # earlier in UTC than the day before). Not a breach.
            s = c_end + self.minutes(10, 20)
            self.absent(s, s + self.minutes(20, 30), recipe)
        elif recipe == "fall-before-end":
            # The morning the clocks go back: 06:15 local is still inside a 19:00-07:00 curfew (which
            # lasts 13 hours that night). A breach.
            s = c_end - self.minutes(50, 45 + 5)
            self.absent(s, s + self.minutes(20, 30), recipe)
        elif recipe in ("repeated-hour", "missing-hour"):
            # Away across the hour that happens twice (autumn) or never (spring): about 00:40 to 01:20 UTC.
            # Seeded only on the night of that change (London's offset differs between 00:00 and 04:00 UTC).
            change = datetime.combine(day + timedelta(days=1), time(1, 0), tzinfo=UTC)
            before = (change - timedelta(hours=1)).astimezone(LONDON).utcoffset()
            after = (change + timedelta(hours=3)).astimezone(LONDON).utcoffset()
            if before is None or after is None or before == after or (after > before) != (recipe == "missing-hour"):
                return
            s = change - self.minutes(15, 25)
            self.absent(s, change + self.minutes(15, 30), recipe)
        elif recipe == "exclusion-entry":
            s = self.slot_time(slot, 0, 60)
            e = s + self.minutes(20, 60)
            assert self.w.exclusion is not None
            self.away.append((s, e, self.w.exclusion[:2], "exclusion"))
            self.truth_of("exclusion_zone", s, e, recipe)
        elif recipe == "outage-breach":
            s = self.slot_time(slot, 20, 100)
            e = s + self.minutes(20, 40)
            assert self.w.exclusion is not None
            self.away.append((s, e, self.w.exclusion[:2], "exclusion"))
            self.outages.append((s - self.minutes(10, 20), e + self.minutes(20, 60)))
            self.truth_of("exclusion_zone", s, e, recipe)
        elif recipe == "inclusion-exit":
            assert self.w.inclusion is not None
            s = self.slot_time(slot, 0, 90)
            e = s + self.minutes(30, 90)
            far = _offset(self.w.inclusion[:2], self.w.inclusion[2] + 2000, 0)
            self.away.append((s, e, far, "outside"))
            self.truth_of("inclusion_zone", s, e, recipe)
        elif recipe == "boundary-drift":
            assert self.w.exclusion is not None
            s = self.slot_time(slot, 0, 80)
            e = s + self.minutes(40, 80)
            self.away.append((s, e, self.w.exclusion[:2], "drift"))
            self.truth_of("exclusion_zone", s, e, recipe, breach=False)
        elif recipe == "tamper":
            at = self.slot_time(slot, 0, 0)
            self.tampers.append(at)
            self.truth_of("tamper", at, at, recipe)

    def absent(self, s: datetime, e: datetime, recipe: str) -> None:
        """The wearer leaves home from s to e: truth is the part inside curfew, if it lasts the grace period."""
        self.absences.append((s, e))
        grace = timedelta(minutes=float(self.p["grace_minutes"]))
        days = {(s.astimezone(LONDON) - timedelta(days=1)).date(), s.astimezone(LONDON).date()}
        parts = []
        for day in sorted(days):
            c_start, c_end = curfew_window(day, self.w.curfew)
            lo, hi = max(s, c_start), min(e, c_end)
            if lo < hi:
                parts.append((lo, hi))
        inside = sum(((hi - lo) for lo, hi in parts), timedelta())
        if parts and inside >= grace:
            self.truth_of("curfew", parts[0][0], parts[-1][1], recipe)
        else:
            self.truth_of("curfew", s, e, recipe, breach=False)

    # -- telemetry ---------------------------------------------------------------------------------
    def telemetry(self, kind: str, at: datetime, **payload: Any) -> dict[str, Any]:
        body = {
            "eventType": TELEMETRY,
            "version": 1,
            "occurredAt": _utc(at),
            "source": "em-harness",
            "personReference": {"identifiers": [{"type": "CRN", "value": self.w.crn}]},
            "additionalInformation": {"kind": kind, "device_id": self.w.device_id, **payload},
        }
        return seal(body)

    def where(self, at: datetime) -> tuple[tuple[float, float], str] | None:
        """The true position at an instant (None when at home: the GPS tag sees home then)."""
        for s, e, place, what in self.away:
            if s <= at < e:
                return place, what
        return None

    def fix(self, at: datetime) -> dict[str, Any]:
        noise = self.noise
        found = self.where(at) if self.away else None
        north = east = 0.0
        if found is None:
            origin = self.w.home
        else:
            origin, what = found
            if what == "drift":
                # Walking along the boundary, a little outside it: the noise alone pulls fixes inside.
                assert self.w.exclusion is not None
                radius = self.w.exclusion[2] + noise * 1.2
                angle = (at - self.start).total_seconds() / 600.0
                north, east = radius * math.cos(angle), radius * math.sin(angle)
        # Realistic noise: Gaussian, clipped at twice sigma, which is what the fix's precision reports.
        gauss, clip = self.rng.gauss, 2 * noise
        dn = max(-clip, min(clip, gauss(0, noise)))
        de = max(-clip, min(clip, gauss(0, noise)))
        lat, lon = _offset(origin, north + dn, east + de)
        return {
            "latitude": round(lat, 6),
            "longitude": round(lon, 6),
            "recorded_at": _utc(at),
            "precision": self.precision,
            "mechanism": 1,
        }

    def in_outage(self, at: datetime) -> bool:
        return any(s <= at < e for s, e in self.outages)

    def sends(self, end: datetime) -> list[tuple[datetime, str, dict[str, Any]]]:
        out: list[tuple[datetime, str, dict[str, Any]]] = []
        p = self.p
        for s, e in self.absences:
            # The home unit reports an absence when the wearer is back (or its line is up again).
            upload = e + timedelta(seconds=self.rng.randint(0, 50))
            minutes = max(1, round((e - s).total_seconds() / 60))
            out.append(
                (upload, TELEMETRY, self.telemetry("home-unit-absence", upload, observed_at=_utc(s), minutes=minutes))
            )
        for at in self.tampers:
            sent = at + timedelta(seconds=self.rng.randint(5, 40))
            body = self.telemetry("tamper", sent, person_id=self.w.person_id, observed_at=_utc(at))
            out.append((sent, TELEMETRY, body))
        gps = p["gps"]
        if gps.get("enabled", True):
            every = timedelta(minutes=float(gps["interval_minutes"]))
            upload_every = timedelta(minutes=float(gps["upload_minutes"]))
            phase = timedelta(seconds=self.rng.randrange(int(every.total_seconds())))
            at = self.start + phase
            buffer: list[dict[str, Any]] = []
            next_upload = self.start + phase + upload_every
            while at < end:
                if self.rng.random() >= float(gps["gap_rate"]):
                    buffer.append(self.fix(at))
                at += every
                if at >= next_upload:
                    if buffer and not self.in_outage(at):
                        body = self.telemetry("gps-fixes", at, person_id=self.w.person_id, fixes=buffer)
                        out.append((at, TELEMETRY, body))
                        buffer = []
                    next_upload += upload_every
            if buffer:
                out.append((end, TELEMETRY, self.telemetry("gps-fixes", end, person_id=self.w.person_id, fixes=buffer)))
        battery = p.get("battery", {})
        if battery.get("enabled", True):
            level, at = 100, self.start + timedelta(minutes=self.rng.randint(0, 59))
            while at < end:
                if not self.in_outage(at):
                    body = self.telemetry("battery", at, person_id=self.w.person_id, percentage=level)
                    out.append((at, TELEMETRY, body))
                level = level - self.rng.randint(2, 6) if level > 20 else 100  # declines; recharged at 20%
                at += timedelta(hours=float(battery.get("every_hours", 4)))
        return out


def _order(wearer: Wearer, example: dict[str, Any], first: date, last: date) -> dict[str, Any]:
    """order-submitted for the wearer: the schema's first example, with this wearer's ids and timetable."""
    body = orjson.loads(orjson.dumps(example))
    body.pop("eventId", None)
    info = body["additionalInformation"]
    info["order_id"] = wearer.order_id
    body["personReference"] = {"identifiers": [{"type": "CRN", "value": wearer.crn}]}
    info["device_wearer"]["delius_id"] = wearer.crn
    begin = f"{first - timedelta(days=7)} 09:00:00"
    finish = f"{last + timedelta(days=30)} 23:59:00"
    info["monitoring_order"]["order_start"] = begin
    info["monitoring_order"]["order_end"] = finish
    for condition in info["monitoring_order"]["enforceable_condition"]:
        condition["start_date"], condition["end_date"] = begin, finish
    start, end = wearer.curfew
    schedule = []
    for day in DAYS:
        if end == "23:59" or end > start:
            schedule.append({"day": day, "start": start, "end": end})
        else:
            schedule.append({"day": day, "start": start, "end": end})
    info["curfew"] = {
        "curfew_start": begin,
        "curfew_end": finish,
        "curfew_duration": [{"location": "primary", "allday": "No", "schedule": schedule}],
    }
    for zone in (info.get("zones") or {}).values():
        for z in zone:
            z["start"], z["end"] = str(first - timedelta(days=7)), str(last + timedelta(days=30))
            z["duration"] = "Monday to Sunday, all day"
    return body


def build_world(
    scenario: str,
    params: dict[str, Any],
    seed: int,
    examples: dict[str, dict[str, Any]],
) -> World:
    """The world for a scenario's parameters (see contracts/scenarios/) and a seed."""
    subjects, days = int(params["subjects"]), int(params["days"])
    dates = [date.fromisoformat(str(d)) for d in params["dates"]]
    recipes = list(params.get("recipes") or [])
    quiet = float(params.get("quiet_share", 0.0))
    curfews = [tuple(c) for c in params.get("curfews") or CURFEWS]
    wearers: list[Wearer] = []
    sends: list[tuple[datetime, str, dict[str, Any]]] = []
    truth: list[Truth] = []
    segments = [(datetime.combine(d, time(12, 0), tzinfo=LONDON).astimezone(UTC), d) for d in dates]
    setup_at = segments[0][0] - timedelta(hours=1)
    for i in range(subjects):
        rng = random.Random(f"{seed}:{scenario}:{i}")
        home = _offset(HOME, rng.uniform(-8000, 8000), rng.uniform(-8000, 8000))
        wearer = Wearer(
            id=f"W{i + 1:04d}",
            order_id=str(_uuid(rng)),
            crn=rng.choice("XYZ") + f"{rng.randrange(10**6):06d}",
            device_id=rng.randrange(10**8, 10**9),
            person_id=rng.randrange(10**8, 10**9),
            curfew=curfews[rng.randrange(len(curfews))],  # type: ignore[arg-type]
            home=home,
        )
        if params.get("zones"):
            centre = _offset(home, rng.uniform(1200, 2500), rng.uniform(-1500, 1500))
            wearer.exclusion = (*centre, float(rng.randint(200, 400)))
            wearer.inclusion = (*home, 6000.0)
        wearers.append(wearer)
        order = _order(wearer, examples[ORDER], dates[0], dates[-1] + timedelta(days=days))
        sends.append((setup_at, ORDER, seal({**order, "occurredAt": _utc(setup_at), "publishedAt": _utc(setup_at)})))
        visit_at = setup_at + timedelta(minutes=5)
        visit = {
            "eventType": VISIT,
            "version": 1,
            "occurredAt": _utc(visit_at),
            "source": "em-harness",
            "description": "Install visit completed",
            "additionalInformation": {
                "order_id": wearer.order_id,
                "visit_type": "install",
                "outcome": "completed",
                "device_id": wearer.device_id,
                "device_class": "GPS monitoring device",
                "started_at": _utc(visit_at - timedelta(minutes=40)),
                "ended_at": _utc(visit_at),
            },
        }
        sends.append((visit_at, VISIT, seal(visit)))
        for zone_kind, zone in (("exclusion", wearer.exclusion), ("inclusion", wearer.inclusion)):
            if zone is None:
                continue
            at = visit_at + timedelta(minutes=1)
            body = {
                "eventType": TELEMETRY,
                "version": 1,
                "occurredAt": _utc(at),
                "source": "em-harness",
                "description": f"Map of the order's {zone_kind} zone",
                "additionalInformation": {
                    "kind": "zone-map",
                    "device_id": wearer.device_id,
                    "order_id": wearer.order_id,
                    "zone": {
                        "type": zone_kind,
                        "latitude": round(zone[0], 6),
                        "longitude": round(zone[1], 6),
                        "radius_m": zone[2],
                    },
                },
            }
            sends.append((at, TELEMETRY, seal(body)))
        breaching = recipes and rng.random() >= quiet
        for start, first_day in segments:
            builder = _Builder({**params, "days": days}, rng, wearer, start)
            if breaching:
                for k, recipe in enumerate(recipes):
                    day = first_day + timedelta(days=(i + k) % days)
                    builder.seed(recipe, day, (k, len(recipes)))
            truth.extend(builder.truth)
            sends.extend(builder.sends(start + timedelta(days=days)))
    ordered = [Send(at, n, channel, body) for n, (at, channel, body) in enumerate(sorted(sends, key=lambda s: s[0]))]
    truth.sort(key=lambda t: (t.start, t.wearer, t.kind))
    end = segments[-1][0] + timedelta(days=days)
    return World(scenario, seed, wearers, ordered, truth, setup_at, end)


def _uuid(rng: random.Random) -> str:
    import uuid

    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
