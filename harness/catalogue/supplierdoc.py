"""The generated parts of docs/suppliers.md, from the catalogue: who sends what on which channel, which instant
goes in each timestamp field, and state by state what the harness sends and what it expects back.

The prose of docs/suppliers.md is written by hand; between `<!-- BEGIN GENERATED: NAME -->` and
`<!-- END GENERATED: NAME -->` it is this module's output, and tests/test_supplier_doc.py fails when the two
differ. Regenerate with `python -m harness.catalogue.supplierdoc docs/suppliers.md`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from harness.catalogue.asyncapi import load_asyncapi
from harness.catalogue.flows import load_flows
from harness.catalogue.pacts import load_pacts
from harness.catalogue.states import load_states
from harness.project import Project, find_project

_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)", re.S
)
_TOKEN = re.compile(r"\{token:([a-z_]+)\}")
_PARAM = re.compile(r"\{([a-z_]+)\}")
FORMS = {
    "utcDateTime": "UTC, RFC 3339 (`2026-06-20T20:05:00Z`)",
    "londonLocalDateTime": "London local, `yyyy-MM-dd HH:mm:ss`",
}


def sections(project: Project) -> dict[str, str]:
    """Section name -> its generated markdown."""
    return {"channels": channels(project), "timestamps": timestamps(project), "states": states(project)}


def channels(project: Project) -> str:
    api = load_asyncapi(project.asyncapi_path)
    rows = ["| channel address | sent by | received by |", "| --- | --- | --- |"]
    for channel in sorted(api.channels.values(), key=lambda c: (c.harness, c.address)):
        ops = [o for o in api.operations.values() if o.channel_key == channel.key]
        send = sorted({o.system for o in ops if o.action == "send"})
        receive = sorted({o.system for o in ops if o.action == "receive"})
        rows.append(f"| `{channel.address}` | {', '.join(send) or '-'} | {', '.join(receive) or '-'} |")
    return "\n".join(rows) + "\n"


def _time_fields(schema_path: Path) -> list[tuple[str, str]]:
    """(pointer, utcDateTime|londonLocalDateTime) of every timestamp field a message schema declares."""
    found: list[tuple[str, str]] = []
    docs: dict[Path, Any] = {}

    def load(path: Path) -> Any:
        if path not in docs:
            docs[path] = json.loads(path.read_text(encoding="utf-8"))
        return docs[path]

    def resolve(ref: str, base: Path) -> tuple[Any, Path]:
        file, _, frag = ref.partition("#")
        path = (base.parent / file).resolve() if file else base
        node = load(path)
        for part in [p for p in frag.split("/") if p]:
            node = node[part]
        return node, path

    def walk(node: Any, base: Path, pointer: str, depth: int) -> None:
        if depth > 12 or not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str):
            kind = ref.rsplit("/", 1)[-1]
            if kind in FORMS:
                found.append((pointer, kind))
                return
            target, where = resolve(ref, base)
            walk(target, where, pointer, depth + 1)
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in node.get(key) or []:
                walk(sub, base, pointer, depth + 1)
        for name, sub in (node.get("properties") or {}).items():
            walk(sub, base, f"{pointer}/{name}", depth + 1)
        if isinstance(node.get("items"), dict):
            walk(node["items"], base, f"{pointer}/*", depth + 1)

    walk(load(schema_path), schema_path, "", 0)
    return sorted(dict.fromkeys(found), key=lambda f: (f[0].count("/"), f[0]))


def timestamps(project: Project) -> str:
    """Every timestamp field of every message a supplier sends, its form, and what the flows say it holds."""
    api = load_asyncapi(project.asyncapi_path)
    flows = [f for f in load_flows(project.flows_dir) if f.usable]
    suppliers = {f.provider for f in flows} | {"monitoring-data-service"}
    rows = ["| message | field | written as | the instant it holds (flow rules) |", "| --- | --- | --- | --- |"]
    sent = sorted(
        {
            api.messages[k].name
            for o in api.operations.values()
            if o.action == "send" and o.system in suppliers
            for k in o.message_keys
            if not api.messages[k].harness
        }
    )
    for message in sent:
        path = project.schemas_dir / message / "v1.json"
        if not path.is_file():
            continue
        for pointer, kind in _time_fields(path):
            said = []
            for flow in flows:
                for step in flow.steps:
                    if step.message != message:
                        continue
                    for rule in step.rules:
                        target = rule.args[0] if rule.args else None
                        if getattr(target, "pointer", None) == pointer and getattr(target, "step", 1) is None:
                            said.append(f"{rule.text} ({flow.name})")
            rule_text = "; ".join(dict.fromkeys(said)) or "-"
            rows.append(f"| {message} | `{pointer}` | {FORMS[kind]} | {rule_text} |")
    return "\n".join(rows) + "\n"


def _value(raw: Any) -> str:
    if raw is None:
        return "removed"
    if isinstance(raw, str) and (m := _TOKEN.fullmatch(raw)):
        return f"a fresh {m.group(1)}"
    if isinstance(raw, str) and (m := _PARAM.fullmatch(raw)):
        return f"param `{m.group(1)}`"
    return f"`{json.dumps(raw)}`"


def states(project: Project) -> str:
    """State by state: the stimuli the harness publishes, then what each pact and flow expects back."""
    pacts = load_pacts(project.pacts_dir)
    flows = [f for f in load_flows(project.flows_dir) if f.usable]
    out: list[str] = []
    for provider, defs in sorted(load_states(project.states_dir).items()):
        out.append(f"### {provider}\n")
        corr = defs.correlation if hasattr(defs, "correlation") else None
        if corr is not None and corr.echo:
            out.append("Every answer carries (`correlation:` of its states file):\n")
            for message, pointers in sorted(corr.echo.items()):
                what = ", ".join(f"`{p}` = {' or '.join(f'`{e}`' for e in exp)}" for p, exp in sorted(pointers.items()))
                out.append(f"- {message}: {what}")
            if corr.identifiers:
                ids = " or ".join(f"`{e}`" for e in corr.identifiers)
                out.append(f"- every `personReference.identifiers[].value`: {ids}")
            for name, (message, pointer) in sorted(corr.announced.items()):
                out.append(f"- `{{announced:{name}}}`: what the order's first {message} carries at `{pointer}`")
            out.append("")
        for name, state in defs.states.items():
            out.append(f"#### {name}\n")
            if state.description:
                out.append(" ".join(state.description.split()) + "\n")
            if state.params:
                params = ", ".join(f"`{p}` (default {json.dumps(s.get('default'))})" for p, s in state.params.items())
                out.append(f"Parameters: {params}.\n")
            if state.deadline:
                out.append(f"Deadline: {state.deadline:g} s per answer.\n")
            out.append("The harness publishes, in order:\n")
            for i, stim in enumerate(state.stimuli, 1):
                when = ""
                if stim.after:
                    where = ", ".join(f"`{p}` = `{v}`" for p, v in stim.after_where.items())
                    when = f" once you have answered with {stim.after}" + (f" ({where})" if where else "")
                if stim.advance:
                    when += f", the virtual clock first moved on {stim.advance:g} s"
                sets = "; ".join(f"`{p}` {_value(v)}" for p, v in stim.set.items())
                out.append(f"{i}. {stim.message}{when}: its schema's first example with {sets or 'nothing changed'}")
            expected = []
            for pact in pacts:
                if pact.provider != provider:
                    continue
                for it in pact.interactions:
                    if any(s == name for s, _ in it.states):
                        part = it.expected
                        body = part.body if part is not None else None
                        event = body.get("eventType") if isinstance(body, dict) else None
                        params = {k: v for s, p in it.states if s == name for k, v in (p or {}).items()}
                        with_params = f" with {json.dumps(params)}" if params else ""
                        expected.append(f"- {event or '?'}: {pact.consumer}, '{it.description}'{with_params}")
            for flow in flows:
                if flow.provider == provider and flow.given == name:
                    steps = ", ".join(
                        f"{s.message}{'' if not s.where else ' ' + json.dumps(s.where)} {s.count}" for s in flow.steps
                    )
                    expected.append(f"- flow '{flow.name}': {steps}")
            if expected:
                out.append("\nIt expects back (pact: consumer, interaction; flow: steps and counts):\n")
                out.extend(sorted(dict.fromkeys(expected)))
            out.append("")
        requests = [
            (pact, it)
            for pact in pacts
            if pact.provider == provider
            for it in pact.interactions
            if it.request is not None and not it.states
        ]
        if requests:
            out.append("#### requests of synchronous pacts (no provider state)\n")
            for pact, it in requests:
                asked = it.request.body.get("eventType") if isinstance(it.request.body, dict) else None
                answers = [r.body.get("eventType") for r in it.responses if isinstance(r.body, dict)]
                out.append(
                    f"- {pact.consumer}, '{it.description}': the harness publishes the pact's request ({asked}), "
                    f"fresh ids where the states set them for that message; it expects back {', '.join(answers)}"
                )
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render(text: str, project: Project) -> str:
    """The document with every generated block replaced by its current content."""
    generated = sections(project)

    def replace(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in generated:
            raise KeyError(f"no generated section {name!r}; known: {', '.join(generated)}")
        return f"{m.group(1)}{generated[name]}{m.group(4)}"

    return _BLOCK.sub(replace, text)


def main(argv: list[str]) -> int:
    """`python -m harness.catalogue.supplierdoc docs/suppliers.md`: rewrite the generated blocks in place."""
    path = Path(argv[0]) if argv else Path("docs/suppliers.md")
    project = find_project(argv[1] if len(argv) > 1 else None)
    path.write_text(render(path.read_text(encoding="utf-8"), project), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
