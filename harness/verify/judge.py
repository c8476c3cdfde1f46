"""Judge: each captured message against its pact (pact-python's Verifier), its schema, its channel,
the data-minimisation rule and its deadline. Failures are worded for the supplier's developer."""

from __future__ import annotations

import contextlib
import json
import os
from collections import defaultdict
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

    One Verifier call per batch (each call costs about a second); a batch never holds two
    interactions with the same description, since the verifier asks for messages by description.
    Returns the verifier's text output (kept in the JSON report).
    """
    from pact import Verifier

    batches: list[dict[str, InteractionOutcome]] = []
    for outcome in outcomes:
        for batch in batches:
            if outcome.description not in batch:
                batch[outcome.description] = outcome
                break
        else:
            batches.append({outcome.description: outcome})
    by_path = defaultdict(list)
    for it in plan.interactions:
        by_path[it.description].append(it.pact_path)
    texts = []
    for batch in batches:
        verifiable = {d: o for d, o in batch.items() if o.captured is not None}
        for o in batch.values():
            if o.captured is None:
                o.checks.append(CheckResult(PACT, False, skipped="no message was captured"))
        if not verifiable:
            continue

        def handler(name: str, metadata: dict[str, Any] | None = None, _batch=verifiable) -> dict[str, Any]:
            outcome = _batch[name]
            rec = outcome.captured
            headers = {k: v for k, v in rec.headers.items() if isinstance(v, str | int | float | bool)}
            meta = {"contentType": "application/json", "eventType": outcome.event_type, "channel": rec.channel}
            meta.update({k: v for k, v in headers.items() if k == "eventType"})
            body = rec.body
            contents = body.encode("utf-8") if isinstance(body, str) else orjson.dumps(body)
            return {"contents": contents, "metadata": meta, "content_type": "application/json"}

        verifier = Verifier(plan.provider)
        for path in sorted({p for d in verifiable for p in by_path[d]}):
            verifier.add_source(path)
        verifier.message_handler(handler).state_handler(lambda *a, **k: None, teardown=True)
        errors: dict[str, list[Failure]] = defaultdict(list)
        with contextlib.suppress(RuntimeError):  # a failed verify raises; the structured results say why
            verifier.verify()
        results = verifier.results
        texts.append(verifier.output(strip_ansi=True))
        for error in results.get("errors", []) or []:
            description = error.get("interaction", "")
            mismatch = error.get("mismatch") or {}
            items = mismatch.get("mismatches") or []
            if not items and mismatch:
                items = [{"type": mismatch.get("type"), "mismatch": mismatch.get("message", str(mismatch))}]
            for m in items:
                path = m.get("path") or m.get("key") or ""
                errors[description].append(
                    Failure(
                        _pact_path(path),
                        _short(m.get("expected")) if "expected" in m else "",
                        _short(m.get("actual")) if "actual" in m else "",
                        m.get("mismatch") or m.get("type") or "mismatch",
                    )
                )
        for d, outcome in verifiable.items():
            outcome.checks.append(CheckResult(PACT, not errors.get(d), errors.get(d, [])))
    return "\n".join(texts)


def _pact_path(path: str) -> str:
    """Pact's '$.additionalInformation.status' as a JSON pointer."""
    if not path.startswith("$"):
        return path
    out = path[1:].replace("[", ".").replace("]", "").replace("'", "")
    return "/" + "/".join(p for p in out.split(".") if p) if out else "/"
