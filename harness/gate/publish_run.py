"""`verify --publish`: a finished verify run recorded in the gate, and the exit code pending allows.

Input is verify's RunFinished (read defensively: fields such as an outcome's `pending` flag may appear
later and are picked up when present). Recorded per pact of the provider: the provider version (and
branch), the contract-set hash (harness.catalogue.fingerprint: every file under schemas/ and contracts/),
every check of every interaction, and the evidence: stimuli and captured messages (personal values
redacted by the schemas' marks), bus, tool version and time.

Pending, as the Pact Broker has it: a pact whose content the provider has never passed is pending. Its
failures are reported, recorded, and block can-i-deploy, but they do not fail this run (exit 0), so a
consumer publishing a new expectation does not break the supplier's build before the supplier has had a
chance to meet it. Once the pact has passed for the provider, a failure fails the run as usual.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from harness.errors import HarnessError
from harness.gate import evidence, record
from harness.gate.commands import catalogue_summary, load_pact_files, tool_version
from harness.gate.redact import Redactor
from harness.gate.store import Store, shown
from harness.project import Project


def _safe_interaction(outcome: Any, redactor: Redactor) -> dict[str, Any]:
    doc = outcome.to_json()
    captured_body = (doc.get("captured") or {}).get("body")
    doc["pending"] = bool(getattr(outcome, "pending", doc.get("pending", False)))
    doc["stimuli"] = [redactor.recorded(s) for s in doc.get("stimuli", [])]
    doc["captured"] = redactor.recorded(doc.get("captured"))
    checks = []
    for check, raw in zip(doc.get("checks", []), getattr(outcome, "checks", []), strict=False):
        check = dict(check)
        pending = getattr(raw, "pending", check.get("pending"))
        check["pending"] = None if pending is None else bool(pending)
        check["failures"] = redactor.failures(check.get("failures") or [], captured_body)
        checks.append(check)
    doc["checks"] = checks
    return doc


def publish_run(
    project: Project,
    finished: Any,
    *,
    provider_version: str,
    branch: str | None,
    store: str | None,
    bus: str,
    registry: Any,
    console: Console | None = None,
) -> int:
    """Record the run; return the run's exit code with pending pacts' failures forgiven."""
    console = console or Console(highlight=False)
    if finished.error is not None:
        console.print(
            f"[red]not published[/]: the run ended with an error, so it is no verdict ({escape(finished.error)})"
        )
        return finished.exit_code
    gate = Store.open(store, project.root)
    signer = evidence.load_signer()
    provider = finished.provider
    pacts = [p for _, p in load_pact_files(project) if record.party(p, "provider") == provider]
    redactor = Redactor(registry)
    interactions = [_safe_interaction(o, redactor) for o in finished.outcomes]
    catalogue, fp = catalogue_summary(project)
    context = {
        "contractSetHash": catalogue["contentHash"],
        "catalogueVersion": catalogue["version"],
        "bus": bus,
        "tool": tool_version(),
        "seconds": round(float(getattr(finished, "seconds", 0.0)), 3),
        "exitCode": finished.exit_code,
    }

    def read(rel: str) -> bytes:
        return (project.root / rel).read_bytes()

    with gate.write() as (session, head):
        record.store_catalogue(session, fp, read)
        done = record.record_verification(
            session,
            head,
            signer,
            provider=provider,
            number=provider_version,
            branch=branch,
            pacts=pacts,
            interactions=interactions,
            context=context,
        )
    blocking = False
    for v in done.pacts:
        if v.success:
            state = "[green]passed[/]"
        elif v.pending:
            state = (
                "[yellow]pending: failed[/] (this pact has never passed for the provider: "
                "it does not fail the run, but it blocks can-i-deploy)"
            )
        else:
            state = "[red]failed[/]"
            blocking = True
        console.print(f"gate: {escape(v.consumer)} pact {v.sha[:19]}... {state}")
    console.print(
        f"published the verification of {escape(provider)} {escape(provider_version)} to {escape(shown(gate.url))}: "
        f"evidence record {done.evidence.seq} ({done.evidence.hash[:19]}...)"
    )
    if finished.exit_code == 1 and not blocking:
        failed_outside = [
            o.key
            for o in finished.outcomes
            if not o.passed
            and not getattr(o, "pending", False)
            and not any(v.consumer == o.consumer and v.pending for v in done.pacts)
        ]
        if not failed_outside:
            console.print("[yellow]PASS with pending[/]: every failure is in a pending pact (see above)")
            return 0
    return 1 if blocking else finished.exit_code


def check_publish_options(publish: bool, provider_version: str | None, only: list[str] | None) -> None:
    if not publish:
        if provider_version:
            raise HarnessError("--provider-version is for --publish: add --publish to record the run in the gate")
        return
    if not provider_version:
        raise HarnessError("--publish needs --provider-version V: the gate records which version was verified")
    if only:
        raise HarnessError("--publish records a verification of whole pacts: drop --interaction")
