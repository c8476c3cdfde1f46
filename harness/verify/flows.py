"""Judging a flow (contracts/flows/*.yaml) on what one run of it recorded: counts, order, value rules and
correlation across steps. Every failure names the flow, the step, the rule and both values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from harness.catalogue.flows import Call, FlowDef, Minus, Ref, Rule, Step
from harness.verify.correlate import message_of, values_at
from harness.verify.events import Failure, Recorded

LONDON = ZoneInfo("Europe/London")
COUNT_WORDS = {
    "once": "exactly once",
    "at-least-once": "at least once",
    "at-most-once": "at most once",
    "never": "never",
}


class Missing(Exception):
    """A value a rule needs is not in the message."""


def to_time(value: Any) -> datetime | None:
    """An instant from the catalogue's two timestamp forms (UTC RFC 3339; London local without offset)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) < 19:
        return None
    text = value.strip()
    if "T" in text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=LONDON)
    except ValueError:
        return None


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return repr(value)


@dataclass
class FlowRun:
    """What a flow is judged on: the supplier's messages tied to the run, and the stimuli it sent."""

    flow: FlowDef
    records: list[Recorded]
    stimuli: list[Recorded]

    def __post_init__(self) -> None:
        # A stimulus published twice (a duplicate delivery) is still one stimulus for the rules.
        seen: set[Any] = set()
        distinct = []
        for rec in self.stimuli:
            key = rec.body.get("eventId") if isinstance(rec.body, dict) else id(rec)
            if key not in seen:
                seen.add(key)
                distinct.append(rec)
        self.stimuli = distinct

    def of(self, step: Step) -> list[Recorded]:
        out = []
        for rec in sorted(self.records, key=lambda r: r.seq):
            if message_of(rec) != step.message:
                continue
            if all(_equal(_first(rec.body, _ptr(path)), value) for path, value in step.where.items()):
                out.append(rec)
        return out


def _ptr(path: str) -> str:
    from harness.catalogue.flows import path_pointer

    return path_pointer(path) or ""


def _first(body: Any, pointer: str) -> Any:
    for _, value in values_at(body, pointer):
        return value
    return None


def _equal(a: Any, b: Any) -> bool:
    ta, tb = to_time(a), to_time(b)
    if ta is not None and tb is not None:
        return _second(ta) == _second(tb)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


class Evaluator:
    def __init__(self, run: FlowRun, steps: dict[str, list[Recorded]]) -> None:
        self.run = run
        self.steps = steps

    def value(self, expr: Any, here: Recorded) -> Any:
        if isinstance(expr, Ref):
            if expr.stimulus is not None:
                sent = [s for s in self.run.stimuli if message_of(s) == expr.stimulus]
                if len(sent) <= expr.index:
                    raise Missing(f"no stimulus {expr.stimulus}[{expr.index}] was sent")
                source = sent[expr.index]
            elif expr.step is not None:
                found = self.steps.get(expr.step) or []
                if not found:
                    raise Missing(f"step {expr.step!r} has no message")
                source = found[0]
            else:
                source = here
            hits = list(values_at(source.body, expr.pointer))
            if not hits or hits[0][1] is None:
                raise Missing(f"{expr} is absent")
            return hits[0][1]
        if isinstance(expr, Call):
            inner = self.value(expr.arg, here)
            if expr.fn == "seconds":
                if not isinstance(inner, int | float) or isinstance(inner, bool):
                    raise Missing(f"{expr}: not a difference of two instants")
                return int(inner)
            if expr.fn == "minutes":
                if not isinstance(inner, int | float) or isinstance(inner, bool):
                    raise Missing(f"{expr}: {inner!r} is not a number of minutes")
                return int(inner * 60)
            moment = to_time(inner)
            if moment is None:
                raise Missing(f"{expr}: {inner!r} is not a timestamp")
            if expr.fn == "london":
                return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")
            return moment
        if isinstance(expr, Minus):
            left, right = self.value(expr.left, here), self.value(expr.right, here)
            tl, tr = to_time(left), to_time(right)
            if tl is not None and tr is not None:
                return int((_second(tl) - _second(tr)).total_seconds())
            if isinstance(left, int | float) and isinstance(right, int | float):
                return left - right
            raise Missing(f"{expr}: cannot subtract {right!r} from {left!r}")
        return expr

    def holds(self, rule: Rule, here: Recorded) -> tuple[bool, str, str]:
        """(holds, expected, actual) of a rule on one message; Missing when a value is absent."""
        args = rule.args
        if rule.op == "equal":
            a, b = self.value(args[0], here), self.value(args[1], here)
            return _equal(a, b), _show(b), _show(a)
        if rule.op == "in":
            a = self.value(args[0], here)
            return any(_equal(a, v) for v in args[1]), f"one of {args[1]!r}", _show(a)
        if rule.op == "within":
            a, b = self.value(args[0], here), self.value(args[1], here)
            ta, tb = to_time(a), to_time(b)
            if ta is None or tb is None:
                raise Missing(f"within needs two instants, got {a!r} and {b!r}")
            gap = abs((_second(ta) - _second(tb)).total_seconds())
            return gap <= args[2], f"within {args[2]:g} s of {_show(b)}", f"{_show(a)} ({gap:g} s apart)"
        a, op, b = self.value(args[0], here), args[1], self.value(args[2], here)
        ta, tb = to_time(a), to_time(b)
        if ta is not None and tb is not None:
            a, b = _second(ta), _second(tb)
        try:
            ok = {
                "<": lambda: a < b,
                "<=": lambda: a <= b,
                ">": lambda: a > b,
                ">=": lambda: a >= b,
                "==": lambda: _equal(a, b),
                "!=": lambda: not _equal(a, b),
            }[op]()
        except TypeError:
            raise Missing(f"cannot compare {a!r} {op} {b!r}") from None
        return ok, f"{op} {_show(b)}", _show(a)


def judge_flow(run: FlowRun) -> tuple[list[Failure], list[Failure]]:
    """(flow failures, correlation failures) of one run of a flow."""
    flow = run.flow
    steps = {s.id: run.of(s) for s in flow.steps}
    ev = Evaluator(run, steps)
    failures: list[Failure] = []

    def fail(step: Step, rule: str, expected: str, actual: str, text: str, path: str = "") -> None:
        failures.append(
            Failure(path, expected, actual, f"flow {flow.name!r}, step {step.id!r} ({step.message}): {rule}: {text}")
        )

    for step in flow.steps:
        found = steps[step.id]
        n = len(found)
        ok = {
            "once": n == 1,
            "at-least-once": n >= 1,
            "at-most-once": n <= 1,
            "never": n == 0,
        }[step.count]
        if not ok:
            seqs = ", ".join(f"seq {r.seq}" for r in found[:5])
            what = "none" if n == 0 else f"{n} ({seqs})"
            fail(
                step,
                "count",
                COUNT_WORDS[step.count],
                f"{n} message(s)",
                f"expected a {step.message}{_where_words(step)} {COUNT_WORDS[step.count]}, got {what}",
            )
        for before_id in step.after:
            before = steps.get(before_id) or []
            if not before:
                continue
            # Order is the supplier's own: when it says it published (brokers do not keep an order
            # across channels, so arrival order would differ from bus to bus).
            first = to_time(_first(before[0].body, "/publishedAt"))
            for rec in found:
                at = to_time(_first(rec.body, "/publishedAt"))
                if first is not None and at is not None and _second(at) < _second(first):
                    fail(
                        step,
                        f"order (after {before_id!r})",
                        f"publishedAt >= {_show(first)}",
                        _show(at),
                        f"seq {rec.seq} was published before step {before_id!r} was",
                        "/publishedAt",
                    )
        for rec in found:
            for rule in step.rules:
                try:
                    if rule.when is not None:
                        try:
                            applies, _, _ = ev.holds(rule.when, rec)
                        except Missing:
                            applies = False
                        if not applies:
                            continue
                    ok, expected, actual = ev.holds(rule, rec)
                except Missing as exc:
                    path = _rule_path(rule)
                    fail(step, rule.text, "a value", "absent", f"seq {rec.seq}: {exc}", path)
                    continue
                if not ok:
                    fail(
                        step,
                        rule.text,
                        expected,
                        actual,
                        f"seq {rec.seq}: expected {expected}, got {actual}",
                        _rule_path(rule),
                    )

    correlation: list[Failure] = []
    for same in flow.correlation:
        anchor = steps.get(same.step) or []
        if not anchor:
            continue  # the step's count already fails
        hits = list(values_at(anchor[0].body, same.pointer))
        if not hits:
            continue
        wanted = hits[0][1]
        announcers = {r.seq for r in anchor}  # how many announcements there are is the count rule's business
        for rec in sorted(run.records, key=lambda r: r.seq):
            if rec.seq in announcers:
                continue
            for where, value in values_at(rec.body, same.pointer):
                if not _equal(value, wanted):
                    correlation.append(
                        Failure(
                            where,
                            repr(wanted),
                            repr(value),
                            f"flow {flow.name!r}: {same.text}: {message_of(rec)} (seq {rec.seq}) carries {where} "
                            f"{value!r}; step {same.step!r} announced {wanted!r}",
                        )
                    )
    return failures, correlation


def _rule_path(rule: Rule) -> str:
    refs = [a for a in rule.args if isinstance(a, Ref) and a.step is None and a.stimulus is None]
    return refs[0].pointer if refs else ""


def _where_words(step: Step) -> str:
    if not step.where:
        return ""
    return " with " + ", ".join(f"{p} = {v!r}" for p, v in step.where.items())


def awaited_done(run: FlowRun) -> bool:
    """Every step the flow waits for has happened at least once (the run can stop waiting)."""
    return all(run.of(s) for s in run.flow.steps if s.awaited)
