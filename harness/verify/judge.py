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

from harness.catalogue.envelope import NotCanonicalisable, event_id
from harness.schemas.registry import REDACTED
from harness.verify.correlate import Correlator
from harness.verify.events import (
    CHANNEL,
    CORRELATION,
    DEADLINE,
    EVENT_ID,
    MINIMISATION,
    PACT,
    SCHEMA,
    CheckResult,
    Failure,
    InteractionOutcome,
    Recorded,
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
        # The diagnosis goes into the failure's message, so the console and JUnit show it, not only JSON.
        why = "; ".join(outcome.notes)
        outcome.checks.append(
            CheckResult(
                DEADLINE,
                False,
                [
                    Failure(
                        "",
                        f"a {outcome.event_type} message on channel {outcome.channel!r} within {outcome.deadline:g} s",
                        "nothing",
                        f"never sent: no {outcome.event_type} message correlated with the stimuli arrived during "
                        f"the whole run" + (f" ({why})" if why else ""),
                    )
                ],
            )
        )
        for check in (CHANNEL, SCHEMA, MINIMISATION, CORRELATION, EVENT_ID):
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
                    f"arrived late after {outcome.elapsed:.2f} s: the {outcome.event_type} message was sent, but "
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
    if header_type is None:
        failures.append(
            Failure(
                "headers/eventType",
                repr(outcome.event_type),
                "no header",
                f"the message has no eventType header; subscribers filter on it ({outcome.event_type!r})",
            )
        )
    elif header_type != outcome.event_type:
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
    version = body.get("version") if isinstance(body, dict) else None
    typed = isinstance(version, int) and not isinstance(version, bool)
    doc = plan.registry.get(outcome.event_type, version) if typed else None
    if doc is None:
        if not isinstance(body, dict):
            failure = Failure("/", "a JSON object", _short(body), "the message is not a JSON object")
        elif "version" not in body:
            failure = Failure(
                "/version", "the field to be present", "absent", "/version: 'version' is a required property"
            )
        elif not typed:
            failure = Failure(
                "/version", "another JSON type", _short(version), f"/version: {version!r} is not of type 'integer'"
            )
        else:
            known = ", ".join(str(v) for v in plan.registry.versions_of(outcome.event_type)) or "none"
            failure = Failure(
                "/version",
                f"a version of {outcome.event_type} in the catalogue ({known})",
                _short(version),
                f"/version: {outcome.event_type} has no version {version} in the catalogue (it has {known})",
            )
        outcome.checks.append(CheckResult(SCHEMA, False, [failure]))
        outcome.checks.append(CheckResult(MINIMISATION, False, skipped="no schema for the message"))
        return
    schema_failures = []
    if not plan.registry.fast(doc).is_valid(body):
        personal = set(plan.registry.personal(doc, body))
        for err in plan.registry.errors(doc, body):
            actual = _lookup(body, err.pointer)
            if _is_personal(err.pointer, personal):  # never print a personal value, even a wrong one
                text = (
                    f"{err.pointer}: the value breaks the schema's {err.keyword} rule (value redacted: personal data)"
                )
                schema_failures.append(Failure(err.pointer, _expectation(err), REDACTED, text))
                continue
            schema_failures.append(
                Failure(err.pointer or "/", _expectation(err), _short(actual), f"{err.pointer or '/'}: {err.message}")
            )
    outcome.checks.append(CheckResult(SCHEMA, not schema_failures, schema_failures))
    outcome.checks.append(CheckResult(MINIMISATION, True))
    add_undeclared(plan, outcome, captured)


def _is_personal(pointer: str, personal: set[str]) -> bool:
    return any(pointer == p or pointer.startswith(p + "/") for p in personal)


def add_undeclared(plan: Plan, outcome: InteractionOutcome, rec: Recorded) -> None:
    """data-minimisation: fields of `rec` its schema does not declare fail the outcome's check."""
    body = rec.body
    version = body.get("version") if isinstance(body, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        return
    doc = plan.registry.get(str(body.get("eventType")), version)
    if doc is None:
        return
    leaks = plan.registry.undeclared(doc, body)
    check = outcome.check(MINIMISATION)
    if check is None or not leaks:
        return
    known = {(f.path, f.message) for f in check.failures}
    for ptr in leaks:
        # The value of an undeclared field may itself be personal (a date of birth): it is not shown.
        failure = Failure(
            ptr,
            "no field the schema does not declare",
            REDACTED,
            f"{ptr}: field not declared by {doc.name} v{doc.version}: a supplier may not send it "
            f"({doc.name} seq {rec.seq})",
        )
        if (failure.path, failure.message) not in known:
            check.failures.append(failure)
    check.passed = not check.failures


def judge_correlation(outcome: InteractionOutcome, correlator: Correlator) -> None:
    """correlation: the captured answer keeps every correlation rule of the provider."""
    if outcome.captured is None:
        return
    failures = correlator.failures(outcome.captured)
    outcome.checks.append(CheckResult(CORRELATION, not failures, failures))


def event_id_failures(records: list[Recorded]) -> list[Failure]:
    """event-id: each message's eventId is sha256 of its RFC 8785 (JCS) canonical form without eventId."""
    out = []
    for rec in sorted(records, key=lambda r: r.seq):
        body = rec.body
        if not isinstance(body, dict):
            continue
        name = body.get("eventType", rec.channel)
        actual = body.get("eventId")
        try:
            expected = event_id(body)
        except NotCanonicalisable as exc:
            out.append(Failure("/eventId", "a message JCS can write", _short(actual), f"{name} (seq {rec.seq}): {exc}"))
            continue
        if actual != expected:
            out.append(
                Failure(
                    "/eventId",
                    expected,
                    _short(actual),
                    f"{name} (seq {rec.seq}): eventId is not sha256 of the message's RFC 8785 canonical JSON "
                    "(without eventId); consumers de-duplicate on it",
                )
            )
    return out


def judge_event_ids(outcome: InteractionOutcome) -> None:
    records = list(outcome.messages)
    if outcome.captured is not None and outcome.captured not in records:
        records.append(outcome.captured)
    failures = event_id_failures(records)
    outcome.checks.append(CheckResult(EVENT_ID, not failures, failures))


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
