"""Showing a compatibility result: plain lines for people and CI logs, or JSON for machines.

Plain output, one block per check:

    backward  schemas/x/v1.json -> schemas/x/v2.json  BREAKING
      REQUIRED_ATTRIBUTE_ADDED  new #/required/1  'b' is now required  (breaking)
    BREAKING (backward): 1 breaking change

The pointer is `#/json/pointer` into the schema named before it (new or old), or
`other.json#/pointer` for a place in a file reached by `$ref`.
"""

from __future__ import annotations

import json
import os

import typer

from harness.evolve.compat import CompatResult, check


def render_text(result: CompatResult) -> str:
    lines: list[str] = []
    for item in result.checks:
        status = "compatible" if item.compatible else "BREAKING"
        lines.append(f"{item.direction:<8}  {item.old} -> {item.new}  {status}")
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


def render_json(result: CompatResult) -> str:
    return json.dumps(result.to_dict(), indent=2)


def run_compat(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str] | None,
    *,
    mode: str = "backward",
    lenient: bool = False,
    json_out: bool = False,
) -> int:
    """The `em-harness compat` command: print the result, return 0 compatible or 1 breaking."""
    result = check(old, new, mode=mode, lenient=lenient)
    typer.echo(render_json(result) if json_out else render_text(result))
    return 0 if result.verdict else 1
