"""`em-harness compare`: the same simulated world against two suppliers (the outgoing and the incoming),
their reports lined up and compared event by event.

Each side's messages are read as `simulate` reads them (harness.simulate.score.read_reports): a violation
or tamper alert belongs to a wearer through its caseId, which that side's case-created correlated to the
world's order; so the two sides line up by correlation, never by their own ids (sys_id differs between
suppliers). Reports of the same wearer and kind are paired when they overlap or start within the match
window, nearest start first. Every difference is classed:
- missing: the outgoing side reported it, the incoming did not;
- extra: the incoming side reported something the outgoing did not;
- later: both did, the incoming one published (simulated time) more than --later-after seconds later;
- different value: both did, and a compared field differs (start, end, duration, state, active,
  out_for_entire_curfew_period), naming the field and both values.
Each difference also says what the truth says (a true breach, or no breach), since either side may be the
one that is wrong.

One side may be `--replay FILE.jsonl`: the outgoing supplier's recorded traffic (one message per line, or
a record with a `body`), e.g. what `simulate --record` kept from a run of the same scenario and seed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.simulate.score import Report, read_reports
from harness.simulate.world import World

FIELDS = ("duration", "state", "active", "out_for_entire_curfew_period")


@dataclass
class Difference:
    what: str  # missing / extra / later / different value
    wearer: str
    kind: str
    old: str
    new: str
    field: str = ""
    truth: str = ""

    def line(self) -> str:
        field = f" {self.field}" if self.field else ""
        truth = f" [{self.truth}]" if self.truth else ""
        return f"{self.what}{field}: {self.wearer} {self.kind}: old {self.old}; new {self.new}{truth}"


def _t(moment: Any) -> str:
    return "none" if moment is None else f"{moment:%Y-%m-%dT%H:%M:%SZ}"


def _describe(r: Report | None) -> str:
    if r is None:
        return "nothing"
    return f"{_t(r.start)} .. {_t(r.end)} published {_t(r.published)}"


def _pairs(a: list[Report], b: list[Report], window: timedelta) -> list[tuple[int, int]]:
    """Greedy best pairs of reports (overlapping first, then nearest start), one partner each."""
    candidates = []
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            if x.wearer != y.wearer or x.kind != y.kind:
                continue
            overlaps = x.start <= (y.end or y.start) and (x.end or x.start) >= y.start
            gap = abs((x.start - y.start).total_seconds())
            if overlaps or gap <= window.total_seconds():
                candidates.append((not overlaps, gap, i, j))
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for _, _, i, j in sorted(candidates):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((i, j))
    return out


def _truth_of(world: World, r: Report, window: timedelta) -> str:
    for t in world.truth:
        if t.wearer == r.wearer and t.kind == r.kind and t.start - window <= r.start <= t.end + window:
            return "a true breach" if t.breach else f"no breach: {t.recipe}"
    return "no breach"


def compare_reports(
    world: World,
    old_messages: list[dict[str, Any]],
    new_messages: list[dict[str, Any]],
    *,
    later_after: float = 60.0,
    window_minutes: float = 30.0,
) -> tuple[list[Difference], int]:
    """The differences, and how many reports were lined up on both sides."""
    window = timedelta(minutes=window_minutes)
    old, new = read_reports(world, old_messages), read_reports(world, new_messages)
    pairs = _pairs(old, new, window)
    paired_old = {i for i, _ in pairs}
    paired_new = {j for _, j in pairs}
    diffs: list[Difference] = []
    for i, r in enumerate(old):
        if i not in paired_old:
            diffs.append(
                Difference("missing", r.wearer, r.kind, _describe(r), "nothing", truth=_truth_of(world, r, window))
            )
    for j, r in enumerate(new):
        if j not in paired_new:
            diffs.append(
                Difference("extra", r.wearer, r.kind, "nothing", _describe(r), truth=_truth_of(world, r, window))
            )
    for i, j in pairs:
        a, b = old[i], new[j]
        truth = _truth_of(world, a, window)
        late = (b.published - a.published).total_seconds()
        if late > later_after:
            diffs.append(Difference("later", a.wearer, a.kind, _describe(a), _describe(b), f"by {late:.0f} s", truth))
        values = [("start", _t(a.start), _t(b.start)), ("end", _t(a.end), _t(b.end))]
        values += [(f, json.dumps(a.fields.get(f)), json.dumps(b.fields.get(f))) for f in FIELDS]
        for name, x, y in values:
            if x != y:
                diffs.append(Difference("different value", a.wearer, a.kind, x, y, name, truth))
    diffs.sort(key=lambda d: (d.wearer, d.kind, d.what, d.field))
    return diffs, len(pairs)


def read_replay(path: Path) -> list[dict[str, Any]]:
    """A recorded side: JSON lines, each a message or a record carrying it as `body`."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise HarnessError(f"--replay {path}: cannot read it ({exc.strerror})") from None
    out: list[dict[str, Any]] = []
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                raise HarnessError(f"--replay {path}:{number}: not a JSON line") from None
            body = line.get("body", line) if isinstance(line, dict) else None
            if not isinstance(body, dict):
                raise HarnessError(f"--replay {path}:{number}: expected a message object")
            out.append(body)
    return out
