"""Score what a supplier reported against the world's truth: recall, precision, detection latency, accuracy.

Reports are read from the supplier's messages: violation-raised / violation-updated (one violation per
`sys_id`: its category, start, end and the simulated time it was first published), and strap-tamper
alert-raised (counted only where no tamper violation covers it, so one breach is not two reports). A
violation's caseId leads to its order through case-created, and the order to the wearer, who is shown
only by the world's pseudonym (W0001), never by CRN or order id.

Matching, per wearer and kind: each true breach takes the unmatched report of the same kind whose start is
nearest to its own, if the two overlap or start within the match window (30 minutes unless the scenario
says otherwise). Then, per kind: recall = matched / true breaches; precision = matched / reports; latency =
first publication (simulated time) - true start; start and end error = |reported - true|. A report's
London-local times are read back to instants with the reported `duration` deciding an hour that happens
twice. Thresholds come from the scenario and apply to every kind that has breaches or reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from harness.simulate.clock import parse_utc
from harness.simulate.scenario import THRESHOLDS
from harness.simulate.world import KINDS, Truth, World

LONDON = ZoneInfo("Europe/London")
CATEGORY_KIND = {"curfew": "curfew", "exclusion_zone": "exclusion_zone", "inclusion_zone": "inclusion_zone"}
CATEGORY_KIND["tamper"] = "tamper"


@dataclass
class Report:
    wearer: str
    kind: str
    start: datetime
    end: datetime | None
    published: datetime
    ref: str
    """The supplier's id of the report (sys_id or alert_id)."""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Match:
    truth: Truth
    report: Report

    @property
    def latency_minutes(self) -> float:
        return (self.report.published - self.truth.start).total_seconds() / 60

    @property
    def start_error(self) -> float:
        return abs((self.report.start - self.truth.start).total_seconds())

    @property
    def end_error(self) -> float | None:
        if self.report.end is None:
            return None
        return abs((self.report.end - self.truth.end).total_seconds())


@dataclass
class KindScore:
    kind: str
    truths: int
    reports: int
    matched: int
    recall: float
    precision: float
    latency_p50_minutes: float | None
    latency_p95_minutes: float | None
    start_error_seconds: float | None
    end_error_seconds: float | None

    def value(self, metric: str) -> float | None:
        return getattr(self, metric)


@dataclass
class Listed:
    """One event a verdict lists: missed, false, late or inexact."""

    what: str
    wearer: str
    kind: str
    truth: str
    reported: str
    note: str = ""

    def line(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return f"{self.what}: {self.wearer} {self.kind}: truth {self.truth}; reported {self.reported}{note}"


@dataclass
class Score:
    kinds: list[KindScore]
    matches: list[Match]
    missed: list[Truth]
    false: list[Report]
    failures: list[tuple[str, str, float | None, float]]
    """(kind, metric, value, threshold) for every threshold not met."""
    listed: list[Listed]
    reports: list[Report]

    @property
    def passed(self) -> bool:
        return not self.failures


def _london(text: Any, fold: int = 0) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        naive = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=LONDON, fold=fold).astimezone(UTC)


def _end(start: datetime, text: Any, duration: Any) -> datetime | None:
    """The end instant: of the two readings of an hour that happens twice, the one the duration agrees with."""
    candidates = {c for c in (_london(text, 0), _london(text, 1)) if c is not None}
    if not candidates:
        return None
    if isinstance(duration, int) and not isinstance(duration, bool):
        return min(candidates, key=lambda c: abs((c - start).total_seconds() - duration))
    later = [c for c in candidates if c >= start]
    return min(later) if later else min(candidates)


def read_reports(world: World, messages: list[dict[str, Any]]) -> list[Report]:
    """The supplier's violations and tamper alerts, as reports on the world's wearers."""
    wearer_of_order = {k.lower(): v for k, v in world.wearer_of_order().items()}
    wearer_of_case: dict[str, str] = {}
    violations: dict[str, Report] = {}
    alerts: list[Report] = []
    for body in messages:
        info = body.get("additionalInformation") if isinstance(body.get("additionalInformation"), dict) else {}
        event_type = body.get("eventType")
        published = parse_utc(body.get("publishedAt")) or parse_utc(body.get("occurredAt"))
        if event_type == "electronic-monitoring.case-created":
            wearer = wearer_of_order.get(str(info.get("orderId")).lower())
            if wearer is not None:
                wearer_of_case[str(info.get("caseId"))] = wearer
            continue
        wearer = wearer_of_case.get(str(info.get("caseId")))
        if wearer is None or published is None:
            continue
        if event_type == "electronic-monitoring.alert-raised":
            start = _london(info.get("raised_at"))
            if info.get("alert_type") == "Strap tamper" and start is not None:
                alerts.append(Report(wearer, "tamper", start, start, published, str(info.get("alert_id"))))
            continue
        kind = CATEGORY_KIND.get(str(info.get("category")))
        start = _london(info.get("start"))
        if kind is None or start is None:
            continue
        sys_id = str(info.get("sys_id"))
        end = _end(start, info.get("end"), info.get("duration")) if "end" in info else None
        if kind == "tamper":
            end = start
        known = violations.get(sys_id)
        if known is None:
            violations[sys_id] = Report(wearer, kind, start, end, published, sys_id, dict(info))
        else:
            known.start = start
            known.end = end if end is not None else known.end
            known.fields.update(info)  # an update carries the whole current record
    reports = list(violations.values())
    for alert in alerts:
        covered = any(
            r.wearer == alert.wearer and r.kind == "tamper" and abs((r.start - alert.start).total_seconds()) <= 60
            for r in reports
        )
        if not covered:
            reports.append(alert)
    return sorted(reports, key=lambda r: (r.start, r.wearer, r.kind, r.ref))


def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (no interpolation: a reported figure is one that happened)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _span(start: datetime, end: datetime | None) -> str:
    if end is None:
        return f"{start:%Y-%m-%dT%H:%M:%SZ} .. (no end)"
    return f"{start:%Y-%m-%dT%H:%M:%SZ} .. {end:%Y-%m-%dT%H:%M:%SZ}"


def score(world: World, messages: list[dict[str, Any]], thresholds: dict[str, float]) -> Score:
    reports = read_reports(world, messages)
    window = timedelta(minutes=float(thresholds.get("match_window_minutes", 30)))
    # Every (truth, report) pair that may match, best first: overlapping before merely near, then the
    # nearest start; taken greedily, so a report is the match of the breach it overlaps, not of an earlier one.
    pairs = []
    for ti, t in enumerate(world.breaches):
        for ri, r in enumerate(reports):
            if r.wearer != t.wearer or r.kind != t.kind:
                continue
            overlaps = r.start <= t.end and (r.end or r.start) >= t.start
            gap = abs((r.start - t.start).total_seconds())
            end_gap = abs(((r.end or r.start) - t.end).total_seconds())
            if overlaps or gap <= window.total_seconds():
                pairs.append((not overlaps, gap, end_gap, ti, ri))
    taken: set[int] = set()
    chosen: dict[int, int] = {}
    for *_, ti, ri in sorted(pairs):
        if ti not in chosen and ri not in taken:
            chosen[ti] = ri
            taken.add(ri)
    matches = [Match(t, reports[chosen[ti]]) for ti, t in enumerate(world.breaches) if ti in chosen]
    missed = [t for ti, t in enumerate(world.breaches) if ti not in chosen]
    false = [r for i, r in enumerate(reports) if i not in taken]
    negatives = [t for t in world.truth if not t.breach]
    kinds: list[KindScore] = []
    for kind in KINDS:
        truths = [t for t in world.breaches if t.kind == kind]
        made = [r for r in reports if r.kind == kind]
        if not truths and not made:
            continue
        ms = [m for m in matches if m.truth.kind == kind]
        latencies = [m.latency_minutes for m in ms]
        starts = [m.start_error for m in ms]
        ends = [m.end_error for m in ms]
        finite_ends = [e for e in ends if e is not None]
        end_error = float("inf") if any(e is None for e in ends) else (max(finite_ends) if finite_ends else None)
        kinds.append(
            KindScore(
                kind,
                len(truths),
                len(made),
                len(ms),
                len(ms) / len(truths) if truths else 1.0,
                len(ms) / len(made) if made else 1.0,
                _percentile(latencies, 50),
                _percentile(latencies, 95),
                max(starts) if starts else None,
                end_error,
            )
        )
    failures: list[tuple[str, str, float | None, float]] = []
    for ks in kinds:
        for metric, sense in THRESHOLDS.items():
            if metric not in thresholds:
                continue
            limit = float(thresholds[metric])
            value = ks.value(metric)
            if value is None:
                continue
            if (sense == "at least" and value < limit) or (sense == "at most" and value > limit):
                failures.append((ks.kind, metric, value, limit))
    listed: list[Listed] = []
    for t in missed:
        listed.append(Listed("missed", t.wearer, t.kind, _span(t.start, t.end), "nothing", t.recipe))
    for r in false:
        near = [n for n in negatives if n.wearer == r.wearer and n.kind == r.kind and n.start <= (r.end or r.start)]
        near = [n for n in near if n.end + window >= r.start]
        note = f"no breach: {near[0].recipe}" if near else "no breach"
        listed.append(Listed("false", r.wearer, r.kind, "none", _span(r.start, r.end), note))
    p95 = thresholds.get("latency_p95_minutes")
    start_limit = thresholds.get("start_error_seconds")
    end_limit = thresholds.get("end_error_seconds")
    for m in matches:
        reported = f"{_span(m.report.start, m.report.end)} published {m.report.published:%Y-%m-%dT%H:%M:%SZ}"
        truth = _span(m.truth.start, m.truth.end)
        if p95 is not None and m.latency_minutes > float(p95):
            listed.append(
                Listed("late", m.truth.wearer, m.truth.kind, truth, reported, f"after {m.latency_minutes:.0f} min")
            )
        end_error = m.end_error
        if (start_limit is not None and m.start_error > float(start_limit)) or (
            end_limit is not None and (end_error is None or end_error > float(end_limit))
        ):
            ends = "no end" if end_error is None else f"end off by {end_error:.0f} s"
            listed.append(
                Listed(
                    "inexact",
                    m.truth.wearer,
                    m.truth.kind,
                    truth,
                    reported,
                    f"start off by {m.start_error:.0f} s, {ends}",
                )
            )
    return Score(kinds, matches, missed, false, failures, listed, reports)
