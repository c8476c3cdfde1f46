"""Judge: each captured message against its pact (pact-python's Verifier), its schema, its channel,
the data-minimisation rule and its deadline. Failures are worded for the supplier's developer."""

from __future__ import annotations

import json
import os
from typing import Any

from harness.catalogue.pacts import CHANNEL_KEYS, pointer_of_path, rule_at, rule_words, steps_of_pointer
from harness.catalogue.pactverifier import Served, Verdict, quiet_fds, verify_messages
from harness.verify.events import (
    CHANNEL,
    CHECKS,
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
__all__ = ["judge_local", "judge_not_run", "judge_pacts", "mark_unjudged", "quiet_fds"]


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
    for check in CHECKS:
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
