"""Judge: each captured message against its pact (pact-python's Verifier), its schema, its channel,
the data-minimisation rule and its deadline. Failures are worded for the supplier's developer."""

from __future__ import annotations

import json
import os
from typing import Any

from harness.catalogue.envelope import NotCanonicalisable, event_id
from harness.catalogue.pacts import CHANNEL_KEYS, pointer_of_path, rule_at, rule_words, steps_of_pointer
from harness.catalogue.pactverifier import Served, Verdict, quiet_fds, verify_messages
from harness.schemas.registry import REDACTED
from harness.verify.correlate import Correlator
from harness.verify.events import (
    CHANNEL,
    CORRELATION,
    DEADLINE,
    EVENT_ID,
    INTERACTION_CHECKS,
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
__all__ = ["judge_local", "judge_not_run", "judge_pacts", "mark_unjudged", "quiet_fds"]


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
    """Verify every captured message with pact-python's Verifier, against its own interaction's part.

    Each interaction is served by its own identity (the plan's unique key), from a temporary pact
    holding exactly the part it answers (harness.catalogue.pactverifier), so two interactions that share
    a description never see each other's message; one Verifier call for the whole run (each costs
    about a second). An interaction the verifier reports nothing on fails as "not judged"; none is
    ever counted as passed unjudged. Returns the verifier's text output.
    """
    by_key = {it.key: it for it in plan.interactions}
    served: list[Served] = []
    for outcome in outcomes:
        it = by_key.get(outcome.key)
        if any(c.check == PACT for c in outcome.checks):
            continue  # already judged (an interaction that could not be run)
        if outcome.captured is None:
            outcome.checks.append(CheckResult(PACT, False, skipped="no message was captured"))
        elif it is None or it.pact is None or it.interaction is None or it.part is None:
            outcome.checks.append(CheckResult(PACT, False, [_not_judged("the plan holds no pact part for it")]))
        else:
            served.append(
                Served(
                    outcome.key,
                    it.pact,
                    it.interaction,
                    it.part,
                    outcome.captured.body,
                    _served_metadata(it, outcome.captured),
                )
            )
    verdicts, text = verify_messages(plan.provider, served)
    outcome_by_key = {o.key: o for o in outcomes}
    for s in served:
        outcome = outcome_by_key[s.ident]
        verdict = verdicts[s.ident]
        if not verdict.judged:
            failures = [_not_judged(verdict.error or "the pact verifier reported nothing on it")]
        else:
            failures = _pact_failures(plan, s, verdict)
        outcome.checks.append(CheckResult(PACT, not failures, failures))
    _mark_pending(outcomes)
    return text


def judge_not_run(outcome: InteractionOutcome) -> None:
    """An interaction planned but not run (outcome.problem says why): a pact failure naming it, checks skipped."""
    reason = f"not run: {outcome.problem}"
    for check in INTERACTION_CHECKS:
        if check != PACT:
            outcome.checks.append(CheckResult(check, False, skipped=reason))
    outcome.checks.append(
        CheckResult(
            PACT,
            False,
            [Failure("", "an interaction the harness can run", "not run", f"not verified: {outcome.problem}")],
        )
    )
    _mark_pending([outcome])


def judge_unsettled(outcome: InteractionOutcome, reason: str) -> None:
    """An interaction the run never saw to its end (an interruption or an infrastructure error came first):
    every check skipped with the reason, never a pass and never a deadline the supplier is blamed for."""
    for check in INTERACTION_CHECKS:
        outcome.checks.append(CheckResult(check, False, skipped=f"not settled: {reason}"))
    _mark_pending([outcome])


def mark_unjudged(outcomes: list[InteractionOutcome], reason: str) -> None:
    """Interactions the pact verifier never judged (the run ended early): a skipped pact check, never a pass."""
    for outcome in outcomes:
        if not any(c.check == PACT for c in outcome.checks):
            outcome.checks.append(CheckResult(PACT, False, skipped=reason))
    _mark_pending(outcomes)


def _mark_pending(outcomes: list[InteractionOutcome]) -> None:
    for outcome in outcomes:
        if outcome.pending:
            for check in outcome.checks:
                check.pending = True


def _not_judged(why: str) -> Failure:
    return Failure("", "a verdict from the pact verifier", "none", f"not judged: {why}")


def _served_metadata(it: Any, rec: Any) -> dict[str, Any]:
    """The captured message's metadata as the verifier sees it: the transport's headers and channel.

    Whatever name the pact gives the place a message goes (channel, topic, destination, routingKey,
    subject) is the channel the message was captured on.
    """
    meta: dict[str, Any] = {"contentType": "application/json", "channel": rec.channel}
    meta.update({k: v for k, v in rec.headers.items() if isinstance(v, str | int | float | bool)})
    for key in CHANNEL_KEYS:
        if key in it.metadata:
            meta[key] = rec.channel
    return meta


def _pact_failures(plan: Plan, served: Served, verdict: Verdict) -> list[Failure]:
    """The verifier's mismatches as failures: path, the rule expected (not the example), the actual value, once."""
    part = served.part
    body = served.body
    doc = plan.registry.get(body.get("eventType", ""), body.get("version")) if isinstance(body, dict) else None
    personal = plan.registry.personal(doc, body) if doc is not None else []
    failures: list[Failure] = []
    if verdict.error:
        failures.append(Failure("", "", "", verdict.error))
    for m in verdict.mismatches:
        message = str(m.get("mismatch") or m.get("type") or "mismatch")
        if m.get("key"):
            key = str(m["key"])
            rule = part.metadata_rules.get(key)
            where = f"metadata/{key}"
            if rule is not None:
                expected = rule_words(rule, part.metadata.get(key))
            elif key in part.metadata:
                expected = _short(part.metadata[key])
            else:
                expected = _text(m.get("expected"))
            actual = _short(served.metadata[key]) if key in served.metadata else "missing"
        elif m.get("path"):
            pointer = pointer_of_path(str(m["path"]))
            where = pointer
            steps = steps_of_pointer(pointer) if pointer.startswith("/") or pointer == "" else None
            rule = rule_at(part, steps) if steps is not None else None
            example = _lookup(part.body, pointer) if steps is not None else None
            if rule is not None:
                expected = rule_words(rule, example)
            elif isinstance(example, dict | list):
                expected = ""  # a structural mismatch (missing keys, array length): the message says it
            else:
                expected = _short(example) if _has(part.body, pointer) else _text(m.get("expected"))
            if isinstance(_lookup(body, pointer), dict | list) and rule is None:
                actual = ""
            elif any(pointer == p or pointer.startswith(p + "/") for p in personal):
                actual = "(a personal value, withheld)"
            elif _has(body, pointer):
                actual = _short(_lookup(body, pointer))
            else:
                actual = "missing"
        else:
            where, expected, actual = "", _text(m.get("expected")), _text(m.get("actual"))
        failure = Failure(where, expected, actual, message)
        if failure not in failures:
            failures.append(failure)
    return failures


def _text(value: Any) -> str:
    return "" if value in (None, "") else _short(value)


def _has(body: Any, pointer: str) -> bool:
    node = body
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True
