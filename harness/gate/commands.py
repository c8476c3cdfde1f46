"""The gate's commands: thin shells that open the store, call record/decide/evidence, and print.

Exit codes: 0 success (can-i-deploy: yes; evidence verify: intact), 1 a "no" or a broken chain,
2 a harness, input or store error (one line on stderr, from the CLI's handler).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

import harness
from harness.catalogue.fingerprint import fingerprint
from harness.errors import HarnessError
from harness.gate import decide, evidence, record
from harness.gate.store import Store, storing
from harness.project import Project, find_project

OUTPUTS = ("table", "json")


def _console() -> Console:
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200, soft_wrap=True)


def _project(root: Path | None, required: bool = True) -> Project | None:
    try:
        return find_project(root)
    except HarnessError:
        if required:
            raise
        return None


def open_store(store: str | None, root: Path | None) -> Store:
    project = _project(root, required=False)
    return Store.open(store, project.root if project else None)


def tool_version() -> str:
    return f"em-harness {harness.__version__}"


def load_pact_files(project: Project) -> list[tuple[Path, dict[str, Any]]]:
    """Every pact file of the catalogue as JSON (load_pacts has checked them: one clear line if broken)."""
    from harness.catalogue.pacts import load_pacts

    out = []
    for pact in load_pacts(project.pacts_dir):
        out.append((pact.path, json.loads(Path(pact.path).read_text("utf-8"))))
    return out


def catalogue_summary(project: Project) -> tuple[dict[str, Any], Any]:
    fp = fingerprint(project)
    return {"version": fp.version, "contentHash": fp.content_hash}, fp


# -- publish ------------------------------------------------------------------------------------------
@storing
def run_publish(
    consumer_version: str,
    *,
    branch: str | None,
    consumers: list[str] | None,
    store: str | None,
    root: Path | None,
) -> int:
    project = find_project(root)
    pacts = load_pact_files(project)
    by_consumer: dict[str, list[dict[str, Any]]] = {}
    for _, pact in pacts:
        by_consumer.setdefault(record.party(pact, "consumer"), []).append(pact)
    wanted = consumers or sorted(by_consumer)
    unknown = [c for c in wanted if c not in by_consumer]
    if unknown:
        raise HarnessError(
            f"--consumer {', '.join(unknown)}: no pact in {project.pacts_dir} has that consumer "
            f"(consumers: {', '.join(sorted(by_consumer))})"
        )
    catalogue, _ = catalogue_summary(project)
    gate = Store.open(store, project.root)
    signer = evidence.load_signer()
    console = _console()
    for consumer in wanted:
        with gate.write() as (session, head):
            done = record.publish(
                session,
                head,
                signer,
                consumer=consumer,
                number=consumer_version,
                branch=branch,
                pacts=by_consumer[consumer],
                catalogue=catalogue,
            )
        for provider, sha, new in done.pacts:
            state = "new content" if new else "content already known"
            console.print(
                f"published {escape(consumer)} {escape(consumer_version)} -> {escape(provider)}: "
                f"pact {sha[:19]}... ({state})"
            )
        console.print(f"  evidence record {done.evidence.seq} ({done.evidence.hash[:19]}...)")
    console.print(f"catalogue {catalogue['version']} {catalogue['contentHash']}; store {gate_shown(gate)}")
    return 0


def gate_shown(gate: Store) -> str:
    from harness.gate.store import shown

    return shown(gate.url)


# -- deployments ----------------------------------------------------------------------------------------
@storing
def run_record_deployment(
    pacticipant: str,
    version: str,
    env: str,
    *,
    instance: str | None,
    create_env: bool,
    store: str | None,
    root: Path | None,
) -> int:
    gate = open_store(store, root)
    signer = evidence.load_signer()
    with gate.write() as (session, head):
        environment = record.environment(session, env)
        if environment is None:
            if not create_env:
                known = ", ".join(e.name for e in session.query(record.Environment).order_by("name")) or "none"
                raise HarnessError(
                    f"environment {env!r} is not known to the gate (known: {known}); "
                    "pass --create-env to create it (or `pact broker create-environment`)"
                )
            environment = record.create_environment(session, head, signer, env)
        dep = record.record_deployment(
            session, head, signer, name=pacticipant, number=version, env=environment, instance=instance
        )
        seq = dep.evidence_seq
    where = f" (application instance {instance})" if instance else ""
    _console().print(
        f"recorded: {escape(pacticipant)} {escape(version)} is deployed in {escape(env)}{escape(where)}; "
        f"evidence record {seq}"
    )
    return 0


@storing
def run_record_undeployment(
    pacticipant: str,
    env: str,
    *,
    version: str | None,
    instance: str | None,
    store: str | None,
    root: Path | None,
) -> int:
    gate = open_store(store, root)
    signer = evidence.load_signer()
    with gate.write() as (session, head):
        environment = record.environment(session, env)
        if environment is None:
            raise HarnessError(f"environment {env!r} is not known to the gate")
        current = record.current_deployments(
            session, environment, pacticipant, instance if instance is not None else False
        )
        if version is not None:
            current = [d for d in current if d.version.number == version]
        if not current:
            what = f"{pacticipant} {version}" if version else pacticipant
            raise HarnessError(f"{what} is not currently deployed in {env}: nothing to undeploy")
        rec = record.record_undeployment(session, head, signer, deployments=current)
        versions = ", ".join(d.version.number for d in current)
        seq = rec.seq
    _console().print(
        f"recorded: {escape(pacticipant)} {escape(versions)} no longer deployed in {escape(env)}; evidence record {seq}"
    )
    return 0


# -- can-i-deploy -------------------------------------------------------------------------------------------
@storing
def run_can_i_deploy(
    pacticipant: str, version: str, to: str, *, output: str, store: str | None, root: Path | None
) -> int:
    if output not in OUTPUTS:
        raise HarnessError(f"--output {output!r}: give one of {', '.join(OUTPUTS)}")
    gate = open_store(store, root)
    with gate.read() as session:
        decision = decide.can_i_deploy(session, pacticipant, version, to)
        doc = decision.to_json()
    if output == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print_decision(decision)
    return 0 if decision.deployable else 1


def print_decision(decision: decide.Decision) -> None:
    c = _console()
    if decision.lines:
        table = Table(title=f"can {decision.pacticipant} {decision.version} go to {decision.environment}?")
        for col in ("consumer", "c. version", "provider", "p. version", "pact", "result"):
            table.add_column(col)
        for line in decision.lines:
            style = {"pass": "green", "fail": "red", "pending": "yellow"}.get(line.status, "red")
            table.add_row(
                escape(line.consumer),
                escape(line.consumer_version),
                escape(line.provider),
                escape(line.provider_version or "-"),
                line.sha[:19] + "...",
                f"[{style}]{line.status}[/]",
            )
        c.print(table)
    for note in decision.notes:
        c.print(f"note: {escape(note)}")
    for reason in decision.reasons:
        c.print(f"[red]why not[/]: {escape(reason)}")
    if decision.deployable:
        c.print(
            f"[green]yes[/]: {escape(decision.pacticipant)} {escape(decision.version)} can go to "
            f"{escape(decision.environment)}"
        )
    else:
        c.print(
            f"[red]no[/]: {escape(decision.pacticipant)} {escape(decision.version)} cannot go to "
            f"{escape(decision.environment)} ({len(decision.reasons)} reason(s))"
        )


# -- evidence ----------------------------------------------------------------------------------------------
@storing
def run_evidence_verify(*, public_key: Path | None, head: str | None, store: str | None, root: Path | None) -> int:
    trusted = evidence.load_public_key(public_key) if public_key else None
    gate = open_store(store, root)
    with gate.read() as session:
        report = evidence.verify_chain(session, trusted, head)
        problems = [] if not report.intact else consistency(session)
    c = _console()
    if not report.intact:
        c.print(f"[red]BROKEN[/]: {escape(report.problem or '')}")
        c.print(f"the chain is intact up to record {report.records} (head {report.head})")
        return 1
    if problems:
        c.print(f"[red]BROKEN[/]: {escape(problems[0])}")
        return 1
    signed = f", {report.signed} signed" if report.signed else ", unsigned (no EM_HARNESS_GATE_KEY configured)"
    c.print(f"[green]intact[/]: {report.records} record(s){signed}; head {report.head}")
    return 0


def consistency(session: Any) -> list[str]:
    """Every verification, publication and deployment row agrees with the evidence record behind it."""
    from sqlalchemy import select

    from harness.gate.models import Deployment, Evidence, PactPublication, Verification

    problems: list[str] = []
    records: dict[int, dict[str, Any]] = {}

    def payload(seq: int) -> dict[str, Any] | None:
        if seq not in records:
            rec = session.get(Evidence, seq)
            records[seq] = evidence.payload_of(rec) if rec is not None else None
        return records[seq]

    for v in session.execute(select(Verification).order_by(Verification.id)).scalars():
        p = payload(v.evidence_seq)
        claimed = {x["sha"]: x for x in (p or {}).get("pacts", [])}.get(v.pact_content.sha)
        if (
            p is None
            or claimed is None
            or claimed.get("success") != v.success
            or p.get("version") != v.provider_version.number
            or p.get("provider") != v.provider_version.pacticipant.name
        ):
            problems.append(f"verification {v.id} does not match evidence record {v.evidence_seq}")
    for pub in session.execute(select(PactPublication).order_by(PactPublication.id)).scalars():
        p = payload(pub.evidence_seq)
        shas = {x["sha"] for x in (p or {}).get("pacts", [])}
        if p is None or pub.pact_content.sha not in shas or p.get("version") != pub.consumer_version.number:
            problems.append(f"publication {pub.id} does not match evidence record {pub.evidence_seq}")
    for d in session.execute(select(Deployment).order_by(Deployment.id)).scalars():
        p = payload(d.evidence_seq)
        if p is None or p.get("uuid") != d.uuid or p.get("version") != d.version.number:
            problems.append(f"deployment {d.uuid} does not match evidence record {d.evidence_seq}")
    return problems


@storing
def run_evidence_export(out: Path, *, seq: int | None, store: str | None, root: Path | None) -> int:
    from harness.gate.bundle import export

    gate = open_store(store, root)
    with gate.read() as session:
        summary = export(session, out, seq)
    _console().print(
        f"exported evidence record {summary['record']} ({summary['kind']}) and the chain up to it "
        f"({summary['chain']} record(s)) to {escape(str(out))}; read {escape(str(out / 'README.md'))}"
    )
    return 0


# -- serve ---------------------------------------------------------------------------------------------------
def run_gate_serve(*, host: str, port: int, open_reads: bool, store: str | None, root: Path | None) -> int:
    import uvicorn

    from harness.gate.web.app import create_app

    gate = open_store(store, root)
    app = create_app(gate, open_reads=open_reads)
    print(f"em-harness gate: serving {gate_shown(gate)} on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
