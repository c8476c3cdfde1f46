"""Showing a compatibility or diff result: plain lines for people and CI logs, or JSON for machines.

Plain output, one block per check:

    backward  schemas/x/v1.json -> schemas/x/v2.json  BREAKING
      REQUIRED_ATTRIBUTE_ADDED  new #/required/1  'b' is now required  (breaking)
    BREAKING (backward): 1 breaking change

The pointer is `#/json/pointer` into the schema named before it (new or old), or
`other.json#/pointer` for a place in a file reached by `$ref`.

With `--consumers` a consumer-impact block follows (see `impact.py`): each current consumer of OLD's
message with what breaks, interaction by interaction, then each breaking change with the message
paths it lands on and its label; the last line is the consumers' verdict.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from harness.evolve.compat import CompatResult, check
from harness.evolve.diff import LEVELS, DiffResult, diff
from harness.evolve.impact import ANNOTATION_CODES, Impact


def render_text(result: CompatResult) -> str:
    lines: list[str] = []
    for item in result.checks:
        status = "compatible" if item.compatible else "BREAKING"
        lines.append(f"{item.direction:<8}  {item.old} -> {item.new}  {status}")
        if item.dialect_note:
            lines.append(f"  {item.dialect_note}")
        if not item.changes:
            lines.append("  (no changes)")
        width = max((len(c.code) for c in item.changes), default=0)
        pwidth = max((len(c.pointer) + len(c.side) + 1 for c in item.changes), default=0)
        for change in item.changes:
            where = f"{change.side} {change.pointer}"
            flag = "" if change.compatible else "  (breaking)"
            lines.append(f"  {change.code:<{width}}  {where:<{pwidth}}  {change.description}{flag}")
    if result.note:
        lines.append(result.note)
    breaking = sum(not c.compatible for c in result.changes)
    mode = result.mode + (", lenient" if result.lenient else "")
    if result.verdict:
        lines.append(f"compatible ({mode})")
    else:
        failed = sum(not c.compatible for c in result.checks)
        lines.append(
            f"BREAKING ({mode}): {breaking} breaking change{'s' if breaking != 1 else ''}"
            f" in {failed} of {len(result.checks)} check{'s' if len(result.checks) != 1 else ''}"
        )
    return "\n".join(lines)


def render_json(result: CompatResult, impacts: list[Impact] | None = None) -> str:
    out = result.to_dict()
    if impacts is not None:
        out["consumers"] = {
            "breaks": any(i.broken for i in impacts),
            "impacts": [i.to_dict() for i in impacts],
        }
    return json.dumps(out, indent=2)


def impact_lines(impact: Impact, indent: str = "") -> list[str]:
    """One consumer-impact block: consumers with what breaks, then the changes with their labels."""
    pacts = sum(c.kind == "pact" for c in impact.consumers)
    flows = len(impact.consumers) - pacts
    count = sum(len(c.interactions) for c in impact.consumers if c.kind == "pact")
    lines = [
        f"{indent}consumers of {impact.event_type} v{impact.version}: "
        f"{pacts} pact{'s' if pacts != 1 else ''} ({count} interaction{'s' if count != 1 else ''}), "
        f"{flows} flow{'s' if flows != 1 else ''}"
    ]
    for c in impact.consumers:
        who = f"{c.consumer} <- {c.provider}" if c.kind == "pact" else f"flow {c.consumer}"
        if not c.broken:
            n = len(c.interactions)
            lines.append(f"{indent}  holds   {who}  {c.file}  ({n} interaction{'s' if n != 1 else ''}, all hold)")
            continue
        lines.append(f"{indent}  BREAKS  {who}  {c.file}")
        for i in c.interactions:
            if not i.breaks:
                continue
            lines.append(f"{indent}    {i.description!r}")
            for b in i.breaks:
                lines.append(f"{indent}      {b.path}  {b.problem}  (at {b.pointer})")
    if impact.changes:
        lines.append(f"{indent}  changes:")
        width = max(len(c.change.code) for c in impact.changes)
        for c in impact.changes:
            where = ", ".join(c.paths) or "-"
            who = f": {', '.join(c.consumers)}" if c.consumers else ""
            lines.append(
                f"{indent}    {c.direction:<8}  {c.change.code:<{width}}  {c.change.side} {c.change.pointer}"
                f"  {where}  {c.label}{who}"
            )
    return lines


def consumers_verdict(impacts: list[Impact]) -> str:
    """The last line of `compat --consumers`: who breaks, else what the breaking changes are to consumers."""
    broken = sorted({c.consumer for i in impacts for c in i.broken_consumers})
    if broken:
        plural = "s" if len(broken) != 1 else ""
        return f"consumers: BREAKING: {len(broken)} current consumer{plural} break ({', '.join(broken)})"
    counts: dict[str, int] = {}
    for i in impacts:
        for c in i.changes:
            counts[c.status] = counts.get(c.status, 0) + 1
    if not counts:
        return "consumers: no current consumer breaks; no breaking change"
    parts = [f"{counts[s]} {LABEL_SHORT[s]}" for s in ("safe", "used", "unmapped") if s in counts]
    return "consumers: no current consumer breaks; breaking changes: " + ", ".join(parts)


LABEL_SHORT = {
    "safe": "safe for current consumers",
    "used": "used by current consumers whose pacts still hold",
    "unmapped": "not mapped to a message field",
}


def run_compat(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str] | None,
    *,
    mode: str = "backward",
    lenient: bool = False,
    json_out: bool = False,
    consumers: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> int:
    """The `em-harness compat` command: print the result, return 0 compatible or 1 breaking.

    With `consumers`, the exit code is the consumers' verdict: 1 only when a current consumer breaks;
    breaking changes no current consumer depends on are labelled "safe for current consumers" and pass.
    """
    result = check(old, new, mode=mode, lenient=lenient)
    if not consumers:
        typer.echo(render_json(result) if json_out else render_text(result))
        return 0 if result.verdict else 1
    from harness.evolve.impact import impact_of_result

    impacts = impact_of_result(result, root=None if root is None else Path(root))
    if json_out:
        typer.echo(render_json(result, impacts))
    else:
        lines = [render_text(result)]
        for impact in impacts:
            lines.extend(impact_lines(impact))
        lines.append(consumers_verdict(impacts))
        typer.echo("\n".join(lines))
    return 1 if any(i.broken for i in impacts) else 0


# -- em-harness diff --------------------------------------------------------------------------
_LEVEL_TAG = {"breaking": "BREAKING", "compatible": "compatible", "info": "info"}


def render_diff_text(result: DiffResult) -> str:
    """Plain lines grouped by area, breaking first within each; the summary line last."""
    policy = result.mode + (", lenient" if result.lenient else ", strict")
    lines = [f"diff: {result.base} ({result.commit[:12]}) -> working tree {result.root}  [schemas: {policy}]"]
    order = {level: i for i, level in enumerate(LEVELS)}
    for area in ("schemas", "asyncapi", "pacts", "flows"):
        entries = sorted((e for e in result.entries if e.area == area), key=lambda e: order[e.level])
        if not entries:
            continue
        lines.append(area)
        width = max(len(e.subject) for e in entries)
        for e in entries:
            lines.append(f"  {_LEVEL_TAG[e.level]:<10}  {e.subject:<{width}}  {e.detail}")
            if e.compat is not None and e.change == "changed" and e.level != "info":
                for check_ in e.compat.checks:
                    for change in check_.changes:
                        shown = not change.compatible if e.level == "breaking" else change.code not in ANNOTATION_CODES
                        if shown:
                            lines.append(
                                f"      {check_.direction:<8}  {change.code}  {change.side} {change.pointer}"
                                f"  {change.description}"
                            )
            if e.impact is not None and e.level == "breaking":
                lines.extend(impact_lines(e.impact, indent="      "))
    if not result.entries:
        lines.append("  (no changes in schemas/ or contracts/)")
    counts = ", ".join(f"{result.count(level)} {level}" for level in LEVELS)
    if result.breaking:
        lines.append(f"diff: BREAKING: {counts} (against {result.base})")
    else:
        lines.append(f"diff: no breaking change: {counts} (against {result.base})")
    return "\n".join(lines)


def run_diff(
    base: str,
    root: str | os.PathLike[str] | None = None,
    *,
    mode: str = "full",
    lenient: bool = True,
    json_out: bool = False,
) -> int:
    """The `em-harness diff` command: print the differences, return 0 none breaking or 1 breaking."""
    result = diff(base, root, mode=mode, lenient=lenient)
    typer.echo(json.dumps(result.to_dict(), indent=2) if json_out else render_diff_text(result))
    return 1 if result.breaking else 0
