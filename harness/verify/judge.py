"""Judge: each captured message against its pact (pact-python's Verifier), its schema, its channel,
the data-minimisation rule and its deadline. Failures are worded for the supplier's developer."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from harness.verify.events import (
    CHANNEL,
    DEADLINE,
    MINIMISATION,
    PACT,
    SCHEMA,
    CheckResult,
    Failure,
    InteractionOutcome,
)
from harness.verify.plan import Plan

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def judge_local(plan: Plan, outcome: InteractionOutcome) -> None:
    """Deadline, channel, schema and data-minimisation checks of one interaction (no pact yet)."""
    captured = outcome.captured
    if captured is None:
        published_elsewhere = outcome.notes
        outcome.checks.append(
            CheckResult(
                DEADLINE,
                False,
                [
                    Failure(
                        "",
                        f"a {outcome.event_type} message on channel {outcome.channel!r} within {outcome.deadline:g} s",
                        "nothing" + (f" ({'; '.join(published_elsewhere)})" if published_elsewhere else ""),
                        f"no {outcome.event_type} message correlated with the stimuli arrived within "
                        f"{outcome.deadline:g} s",
                    )
                ],
            )
        )
        for check in (CHANNEL, SCHEMA, MINIMISATION):
            outcome.checks.append(CheckResult(check, False, skipped="no message was captured"))
        return
    late = outcome.elapsed is not None and outcome.elapsed > outcome.deadline
    outcome.checks.append(
        CheckResult(
            DEADLINE,
            not late,
            [
                Failure(
                    "",
                    f"within {outcome.deadline:g} s",
                    f"{outcome.elapsed:.2f} s",
                    f"the {outcome.event_type} message arrived after {outcome.elapsed:.2f} s; "
                    f"the contract allows {outcome.deadline:g} s",
                )
            ]
            if late
            else [],
        )
    )
    failures = []
    if captured.channel != outcome.channel:
        failures.append(
            Failure(
                "channel",
                repr(outcome.channel),
                repr(captured.channel),
                f"published {outcome.event_type} on {captured.channel!r}; the contract says {outcome.channel!r}",
            )
        )
    header_type = captured.headers.get("eventType")
    if header_type is not None and header_type != outcome.event_type:
        failures.append(
            Failure(
                "headers/eventType",
                repr(outcome.event_type),
                repr(header_type),
                f"the eventType header is {header_type!r}; subscribers filter on {outcome.event_type!r}",
            )
        )
    outcome.checks.append(CheckResult(CHANNEL, not failures, failures))

    body = captured.body
    doc = plan.registry.get(outcome.event_type, body.get("version")) if isinstance(body, dict) else None
    if doc is None:
        version = body.get("version") if isinstance(body, dict) else None
        outcome.checks.append(
            CheckResult(
                SCHEMA,
                False,
                [
                    Failure(
                        "/version",
                        f"a version of {outcome.event_type} in the catalogue",
                        _short(version),
                        "the message is not JSON or names no known version",
                    )
                ],
            )
        )
        outcome.checks.append(CheckResult(MINIMISATION, False, skipped="no schema for the message"))
        return
    schema_failures = []
    if not plan.registry.fast(doc).is_valid(body):
        for err in plan.registry.errors(doc, body):
            actual = _lookup(body, err.pointer)
            schema_failures.append(
                Failure(err.pointer or "/", _expectation(err), _short(actual), f"{err.pointer or '/'}: {err.message}")
            )
    outcome.checks.append(CheckResult(SCHEMA, not schema_failures, schema_failures))
    leaks = plan.registry.undeclared(doc, body)
    outcome.checks.append(
        CheckResult(
            MINIMISATION,
            not leaks,
            [
                Failure(
                    ptr,
                    "no field the schema does not declare",
                    _short(_lookup(body, ptr)),
                    f"{ptr}: field not declared by {doc.name} v{doc.version}: a supplier may not send it",
                )
                for ptr in leaks
            ],
        )
    )


def _expectation(err: Any) -> str:
    kw = err.keyword
    return {
        "required": "the field to be present",
        "enum": "one of the allowed values",
        "type": "another JSON type",
        "format": "a value in the schema's format",
        "pattern": "a value matching the schema's pattern",
    }.get(kw, f"the schema's {kw} rule")


def _lookup(body: Any, pointer: str) -> Any:
    node = body
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


# -- pact verification --------------------------------------------------------------------------
def judge_pacts(plan: Plan, outcomes: list[InteractionOutcome]) -> str:
    """Verify every interaction with pact-python's Verifier, serving the captured messages.

    The verifier asks for a message by description alone, and two consumers may use the same
    description. So the pacts are verified from temporary copies in which each interaction's
    description is its unique key ("<consumer> / <description>") and which hold only the interactions
    that captured a message: one Verifier call for the whole run (each call costs about a second).
    Returns the verifier's text output (kept in the JSON report).
    """
    by_key = {it.key: it for it in plan.interactions}
    verifiable: dict[str, InteractionOutcome] = {}
    for outcome in outcomes:
        if outcome.captured is None:
            outcome.checks.append(CheckResult(PACT, False, skipped="no message was captured"))
        else:
            verifiable[outcome.key] = outcome
    if not verifiable:
        return ""
    with tempfile.TemporaryDirectory(prefix="em-harness-pacts-") as tmp:
        sources = _keyed_pacts(Path(tmp), [by_key[key] for key in verifiable])
        return _verify(plan.provider, sources, verifiable)


def _keyed_pacts(folder: Path, interactions: list[Any]) -> list[Path]:
    """Copies of the pact files with only the given interactions, each described by its unique key."""
    wanted: dict[str, dict[str, str]] = defaultdict(dict)
    for it in interactions:
        wanted[it.pact_path][it.description] = it.key
    out = []
    for i, (path, keys) in enumerate(sorted(wanted.items())):
        pact = json.loads(Path(path).read_text("utf-8"))
        kept = []
        for interaction in pact.get("interactions", []):
            if interaction.get("description") in keys:
                interaction["description"] = keys[interaction["description"]]
                kept.append(interaction)
        pact["interactions"] = kept
        target = folder / f"{i:03d}-{Path(path).name}"
        target.write_text(json.dumps(pact), "utf-8")
        out.append(target)
    return out


def _verify(provider: str, sources: list[Path], outcomes: dict[str, InteractionOutcome]) -> str:
    from pact import Verifier

    def handler(name: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        rec = outcomes[name].captured
        meta = {"contentType": "application/json", "channel": rec.channel}
        meta.update({k: v for k, v in rec.headers.items() if isinstance(v, str | int | float | bool)})
        body = rec.body
        contents = body.encode("utf-8") if isinstance(body, str) else orjson.dumps(body)
        return {"contents": contents, "metadata": meta, "content_type": "application/json"}

    verifier = Verifier(provider).set_coloured_output(enabled=False)
    for source in sources:
        verifier.add_source(source)
    verifier.message_handler(handler).state_handler(lambda *a, **k: None, teardown=True)
    with quiet_fds(), contextlib.suppress(RuntimeError):  # a failed verify raises; the results say why
        verifier.verify()
    results = verifier.results
    errors: dict[str, list[Failure]] = defaultdict(list)
    for error in results.get("errors", []) or []:
        label = error.get("interaction", "")
        key = next((k for k in outcomes if label.endswith(f" - {k}")), None)
        if key is None:
            continue
        mismatch = error.get("mismatch") or {}
        items = mismatch.get("mismatches") or []
        if not items:
            items = [{"mismatch": mismatch.get("message") or json.dumps(mismatch)[:300]}]
        for m in items:
            where = _pact_path(m["path"]) if m.get("path") else (f"metadata/{m['key']}" if m.get("key") else "")
            errors[key].append(
                Failure(
                    where,
                    _short(m.get("expected")) if m.get("expected") not in (None, "") else "",
                    _short(m.get("actual")) if m.get("actual") not in (None, "") else "",
                    m.get("mismatch") or m.get("type") or "mismatch",
                )
            )
    for key, outcome in outcomes.items():
        failures = errors.get(key, [])
        outcome.checks.append(CheckResult(PACT, not failures, failures))
    return verifier.output(strip_ansi=True)


@contextlib.contextmanager
def quiet_fds() -> Any:
    """Silence file descriptors 1 and 2 while the pact FFI and its relay server print to them directly.

    Their text is kept by the verifier (verifier.output()) and goes into the JSON report.
    """
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _pact_path(path: str) -> str:
    """Pact's '$.additionalInformation.status' as a JSON pointer."""
    if not path.startswith("$"):
        return path
    out = path[1:].replace("[", ".").replace("]", "").replace("'", "")
    return "/" + "/".join(p for p in out.split(".") if p) if out else "/"
