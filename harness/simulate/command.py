"""`em-harness simulate`: build the scenario's world, run it against the supplier, score, report.

Exit 0 when every threshold of the scenario is met, 1 when one is not (the console lists the missed,
false, late and inexact events: wearer by pseudonym, kind, truth, reported), 2 on bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.project import find_project
from harness.simulate.run import RunResult, run_world
from harness.simulate.scenario import load_scenario
from harness.simulate.score import Score, score
from harness.simulate.world import ORDER, World, build_world


def make_world(root: Path | None, name: str, subjects: int | None, days: int | None, seed: int) -> tuple[Any, World]:
    """The scenario and its world (the options override the scenario's subjects and days)."""
    project = find_project(root)
    scenario = load_scenario(project.contracts_dir / "scenarios", name)
    params = dict(scenario.world)
    if subjects is not None:
        if subjects < 1:
            raise HarnessError(f"--subjects {subjects}: give at least 1")
        params["subjects"] = subjects
    if days is not None:
        if not 1 <= days <= 31:
            raise HarnessError(f"--days {days}: give 1 to 31")
        params["days"] = days
    example = json.loads((project.schemas_dir / "order-submitted" / "v1.json").read_text("utf-8"))["examples"][0]
    return scenario, build_world(scenario.name, params, seed, {ORDER: example})


def score_json(scenario: Any, world: World, result: RunResult, sc: Score) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "seed": world.seed,
        "world": world.digest(),
        "provider": result.provider,
        "supplier": result.label,
        "bus": result.bus_url,
        "passed": sc.passed and result.error is None,
        "error": result.error,
        "wearers": len(world.wearers),
        "published": result.published,
        "received": result.received,
        "wall_seconds": round(result.wall_seconds, 3),
        "thresholds": scenario.thresholds,
        "kinds": [vars(k) for k in sc.kinds],
        "failures": [{"kind": k, "metric": m, "value": v, "threshold": t} for k, m, v, t in sc.failures],
        "events": [vars(e) for e in sc.listed],
        "truth": [t.as_dict() for t in world.truth],
        "reports": [
            {
                "wearer": r.wearer,
                "kind": r.kind,
                "start": f"{r.start:%Y-%m-%dT%H:%M:%SZ}",
                "end": None if r.end is None else f"{r.end:%Y-%m-%dT%H:%M:%SZ}",
                "published": f"{r.published:%Y-%m-%dT%H:%M:%SZ}",
            }
            for r in sc.reports
        ],
        "latencies": [round(m.latency_minutes, 2) for m in sc.matches],
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def console_lines(data: dict[str, Any]) -> list[str]:
    lines = [
        f"simulate {data['scenario']} (seed {data['seed']}): {data['wearers']} wearer(s), "
        f"{data['published']} message(s) published, {data['received']} received, {data['wall_seconds']:.1f} s "
        f"on {data['bus']} against {data['supplier']}",
    ]
    for k in data["kinds"]:
        lines.append(
            f"  {k['kind']}: {k['matched']}/{k['truths']} detected, {k['reports']} reported; recall "
            f"{_fmt(k['recall'])}, precision {_fmt(k['precision'])}, latency p50 {_fmt(k['latency_p50_minutes'])} "
            f"p95 {_fmt(k['latency_p95_minutes'])} min, start error {_fmt(k['start_error_seconds'])} s, "
            f"end error {_fmt(k['end_error_seconds'])} s"
        )
    for f in data["failures"]:
        lines.append(f"FAIL {f['kind']} {f['metric']}: {_fmt(f['value'])} (threshold {f['threshold']:g})")
    for e in data["events"]:
        note = f" ({e['note']})" if e["note"] else ""
        lines.append(f"  {e['what']}: {e['wearer']} {e['kind']}: truth {e['truth']}; reported {e['reported']}{note}")
    if data["error"]:
        lines.append(f"ERROR {data['error']}")
    lines.append("simulate: " + ("PASS" if data["passed"] else "FAIL"))
    return lines


def write_junit(path: Path, data: dict[str, Any]) -> None:
    from xml.sax.saxutils import escape, quoteattr

    cases = []
    for k in data["kinds"]:
        fails = [f for f in data["failures"] if f["kind"] == k["kind"]]
        body = ""
        if fails:
            events = [e for e in data["events"] if e["kind"] == k["kind"]]
            text = "\n".join(
                [f"{f['metric']}: {_fmt(f['value'])} (threshold {f['threshold']:g})" for f in fails]
                + [f"{e['what']}: {e['wearer']}: truth {e['truth']}; reported {e['reported']}" for e in events]
            )
            body = f"<failure message={quoteattr(fails[0]['metric'])}>{escape(text)}</failure>"
        cases.append(f'<testcase classname="simulate.{data["scenario"]}" name={quoteattr(k["kind"])}>{body}</testcase>')
    failures = sum(1 for k in data["kinds"] if any(f["kind"] == k["kind"] for f in data["failures"]))
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<testsuite name="simulate {escape(data["scenario"])}" '
        f'tests="{len(cases)}" failures="{failures}">{"".join(cases)}</testsuite>\n'
    )
    path.write_text(xml, "utf-8")


def run_simulate(
    scenario_name: str,
    provider: str,
    *,
    subjects: int | None = None,
    days: int | None = None,
    seed: int = 1,
    bus: str = "memory",
    supplier_app: str | None = None,
    supplier_cmd: str | None = None,
    channel_prefix: str | None = None,
    json_out: Path | None = None,
    junit: Path | None = None,
    html_out: Path | None = None,
    record: Path | None = None,
    root: Path | None = None,
    echo: Any = print,
) -> int:
    if supplier_app and supplier_cmd:
        raise HarnessError("give --supplier-app or --supplier-cmd, not both")
    scenario, world = make_world(root, scenario_name, subjects, days, seed)
    if provider != scenario.provider:
        raise HarnessError(f"scenario {scenario.name!r} is for {scenario.provider!r}, not {provider!r}")
    project = find_project(root)
    result = run_world(
        project,
        world,
        provider,
        bus_url=bus,
        supplier_app=supplier_app,
        supplier_cmd=supplier_cmd,
        channel_prefix=channel_prefix,
    )
    sc = score(world, result.reported, scenario.thresholds)
    data = score_json(scenario, world, result, sc)
    for line in console_lines(data):
        echo(line)
    if json_out is not None:
        json_out.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    if junit is not None:
        write_junit(junit, data)
    if html_out is not None:
        from harness.report.simulate_html import render

        html_out.write_text(render(data), "utf-8")
    if record is not None:
        write_record(record, result.reported, project)
    if result.error is not None:
        return 2
    return 0 if sc.passed else 1


def write_record(path: Path, messages: list[dict[str, Any]], project: Any) -> None:
    """The supplier's reports as JSON lines (compare --replay reads them), personal values redacted."""
    from harness.schemas.registry import SchemaRegistry

    registry = SchemaRegistry(project.schemas_dir)
    with path.open("w", encoding="utf-8") as out:
        for body in messages:
            version = body.get("version")
            doc = registry.get(str(body.get("eventType")), version) if isinstance(version, int) else None
            out.write(json.dumps(registry.redact(doc, body) if doc is not None else body) + "\n")


def _side(
    project: Any,
    world: World,
    provider: str,
    bus: str,
    app: str | None,
    cmd: str | None,
    replay: Path | None,
    name: str,
) -> tuple[list[dict[str, Any]], str]:
    from harness.simulate.compare import read_replay

    given = [x for x in (app, cmd, replay) if x]
    if len(given) != 1:
        raise HarnessError(f"give exactly one of --{name}-app, --{name}-cmd" + (", --replay" if name == "old" else ""))
    if replay is not None:
        return read_replay(replay), f"replay {replay.name}"
    result = run_world(project, world, provider, bus_url=bus, supplier_app=app, supplier_cmd=cmd)
    if result.error is not None:
        raise HarnessError(f"{name} supplier {result.label}: {result.error}")
    return result.reported, result.label


def run_compare(
    scenario_name: str,
    provider: str,
    *,
    old_app: str | None = None,
    old_cmd: str | None = None,
    replay: Path | None = None,
    new_app: str | None = None,
    new_cmd: str | None = None,
    subjects: int | None = None,
    days: int | None = None,
    seed: int = 1,
    bus: str = "memory",
    later_after: float = 60.0,
    json_out: Path | None = None,
    root: Path | None = None,
    echo: Any = print,
) -> int:
    """Exit 0 when the two sides reported the same, 1 when they differ (each difference listed), 2 bad input."""
    from harness.simulate.compare import compare_reports

    if later_after < 0:
        raise HarnessError(f"--later-after {later_after:g}: give 0 or more seconds")
    scenario, world = make_world(root, scenario_name, subjects, days, seed)
    if provider != scenario.provider:
        raise HarnessError(f"scenario {scenario.name!r} is for {scenario.provider!r}, not {provider!r}")
    project = find_project(root)
    old, old_label = _side(project, world, provider, bus, old_app, old_cmd, replay, "old")
    new, new_label = _side(project, world, provider, bus, new_app, new_cmd, None, "new")
    diffs, lined_up = compare_reports(world, old, new, later_after=later_after)
    echo(
        f"compare {scenario.name} (seed {seed}, {len(world.wearers)} wearer(s)): old {old_label}, new {new_label}: "
        f"{lined_up} report(s) lined up, {len(diffs)} difference(s)"
    )
    counts: dict[str, int] = {}
    for d in diffs:
        counts[d.what] = counts.get(d.what, 0) + 1
        echo(f"  {d.line()}")
    if counts:
        echo("compare: DIFFERENT (" + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) + ")")
    else:
        echo("compare: SAME")
    if json_out is not None:
        data = {
            "scenario": scenario.name,
            "seed": seed,
            "world": world.digest(),
            "old": old_label,
            "new": new_label,
            "lined_up": lined_up,
            "differences": [vars(d) for d in diffs],
        }
        json_out.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    return 1 if diffs else 0
