"""Writes to the gate: publications, verifications, environments and deployments, each with its evidence.

Every function here runs inside `Store.write()` (one transaction holding the chain's lock) and adds one
evidence record describing exactly what it wrote, so the tables can always be re-derived from the chain.

The pact content hash (`pact_sha`) is the identity of a pact: `sha256:<hex>` of its RFC 8785 canonical
JSON, after removing what tools add on the way without changing the contract (the `_links` a broker
adds; the tool names and versions under `metadata` other than `pactSpecification`). The same contract
published by `em-harness publish` or by `pact broker publish` therefore has the same hash, and a
verification of one is a verification of the other.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from harness.errors import HarnessError
from harness.gate.evidence import Signer, append, canonical, now, sha256
from harness.gate.models import (
    CatalogueFile,
    CatalogueSet,
    CheckResultRow,
    Deployment,
    Environment,
    Evidence,
    EvidenceHead,
    InteractionResult,
    PactContent,
    Pacticipant,
    PactPublication,
    Verification,
    Version,
)


class GateInputError(HarnessError):
    """A name, version or environment the gate does not know, or a request it cannot honour (exit 2)."""


# -- identities -------------------------------------------------------------------------------------
def normalised_pact(pact: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in pact.items() if k not in ("_links", "_embedded", "metadata", "createdAt")}
    spec = (pact.get("metadata") or {}).get("pactSpecification") or (pact.get("metadata") or {}).get(
        "pact-specification"
    )
    if spec is not None:
        out["metadata"] = {"pactSpecification": spec}
    return out


def pact_bytes(pact: dict[str, Any]) -> bytes:
    return canonical(normalised_pact(pact))


def pact_sha(pact: dict[str, Any]) -> str:
    return sha256(pact_bytes(pact))


def party(pact: dict[str, Any], role: str) -> str:
    value = pact.get(role)
    name = value.get("name") if isinstance(value, dict) else None
    if not isinstance(name, str) or not name:
        raise GateInputError(f"the pact names no {role}")
    return name


def pacticipant(session: Session, name: str, create: bool = True) -> Pacticipant | None:
    found = session.execute(select(Pacticipant).where(Pacticipant.name == name)).scalar_one_or_none()
    if found is None and create:
        found = Pacticipant(name=name, created_at=now())
        session.add(found)
        session.flush()
    return found


def version(
    session: Session, who: Pacticipant, number: str, branch: str | None = None, create: bool = True
) -> Version | None:
    found = session.execute(
        select(Version).where(Version.pacticipant_id == who.id, Version.number == number)
    ).scalar_one_or_none()
    if found is None and create:
        found = Version(pacticipant_id=who.id, number=number, branch=branch, created_at=now())
        session.add(found)
        session.flush()
    elif found is not None and branch and not found.branch:
        found.branch = branch
    return found


def pact_content(session: Session, pact: dict[str, Any]) -> PactContent:
    data = pact_bytes(pact)
    sha = sha256(data)
    found = session.execute(select(PactContent).where(PactContent.sha == sha)).scalar_one_or_none()
    if found is None:
        consumer = pacticipant(session, party(pact, "consumer"))
        provider = pacticipant(session, party(pact, "provider"))
        assert consumer is not None and provider is not None
        found = PactContent(
            sha=sha, consumer_id=consumer.id, provider_id=provider.id, content=data.decode("utf-8"), created_at=now()
        )
        session.add(found)
        session.flush()
    return found


def is_pending(session: Session, content: PactContent, provider: Pacticipant, branch: str | None) -> bool:
    """The Broker's pending: no version of the provider (on its branch, when one is given) ever passed it."""
    q = (
        select(Verification.id)
        .join(Version, Verification.provider_version_id == Version.id)
        .where(
            Verification.pact_content_id == content.id,
            Verification.success.is_(True),
            Version.pacticipant_id == provider.id,
        )
    )
    if branch:
        q = q.where(Version.branch == branch)
    return not session.execute(select(exists(q))).scalar()


# -- publish ----------------------------------------------------------------------------------------
@dataclass
class Published:
    consumer: str
    version: str
    pacts: list[tuple[str, str, bool]]  # provider, sha, content new to the gate
    evidence: Evidence


def publish(
    session: Session,
    head: EvidenceHead,
    signer: Signer | None,
    *,
    consumer: str,
    number: str,
    branch: str | None,
    pacts: list[dict[str, Any]],
    catalogue: dict[str, Any] | None = None,
    source: str = "em-harness publish",
    build_url: str | None = None,
) -> Published:
    if not pacts:
        raise GateInputError(f"nothing to publish for {consumer!r}: no pact names it as consumer")
    who = pacticipant(session, consumer)
    assert who is not None
    ver = version(session, who, number, branch)
    assert ver is not None
    if build_url:
        ver.build_url = build_url
    rows = []
    for pact in pacts:
        if party(pact, "consumer") != consumer:
            raise GateInputError(f"a pact of consumer {party(pact, 'consumer')!r} cannot be published as {consumer!r}")
        before = session.execute(select(PactContent.id).where(PactContent.sha == pact_sha(pact))).first()
        content = pact_content(session, pact)
        rows.append((content.provider, content, before is None))
    record = append(
        session,
        head,
        "publish",
        {
            "consumer": consumer,
            "version": number,
            "branch": branch,
            "buildUrl": build_url,
            "catalogue": catalogue,
            "source": source,
            "pacts": [
                {
                    "provider": c.provider.name,
                    "sha": c.sha,
                    "interactions": len(json.loads(c.content).get("interactions", []) or []),
                }
                for _, c, _ in rows
            ],
        },
        signer,
    )
    for provider, content, _ in rows:
        found = session.execute(
            select(PactPublication).where(
                PactPublication.consumer_version_id == ver.id, PactPublication.provider_id == provider.id
            )
        ).scalar_one_or_none()
        catalogue_hash = (catalogue or {}).get("contentHash")
        if found is None:
            session.add(
                PactPublication(
                    consumer_version_id=ver.id,
                    provider_id=provider.id,
                    pact_content_id=content.id,
                    catalogue_hash=catalogue_hash,
                    evidence_seq=record.seq,
                    created_at=now(),
                )
            )
        else:
            found.pact_content_id, found.catalogue_hash, found.evidence_seq = content.id, catalogue_hash, record.seq
    return Published(consumer, number, [(p.name, c.sha, new) for p, c, new in rows], record)


# -- verification -------------------------------------------------------------------------------------
@dataclass
class PactVerdict:
    consumer: str
    sha: str
    success: bool
    pending: bool
    interactions: int
    failed: list[str] = field(default_factory=list)  # interaction keys that failed


@dataclass
class Verified:
    provider: str
    version: str
    pacts: list[PactVerdict]
    evidence: Evidence


def store_catalogue(session: Session, fingerprint: Any, read: Any) -> None:
    """Keep the verified catalogue's files (once each, by SHA-256) so an export can hand them over."""
    if session.get(CatalogueSet, fingerprint.content_hash) is not None:
        return
    for rel, digest in fingerprint.files:
        if session.get(CatalogueFile, digest) is None:
            session.add(CatalogueFile(sha256=digest, content=read(rel)))
    session.add(
        CatalogueSet(
            hash=fingerprint.content_hash,
            version=fingerprint.version,
            files=json.dumps([list(f) for f in fingerprint.files]),
        )
    )


def record_verification(
    session: Session,
    head: EvidenceHead,
    signer: Signer | None,
    *,
    provider: str,
    number: str,
    branch: str | None,
    pacts: list[dict[str, Any]],
    interactions: list[dict[str, Any]],
    context: dict[str, Any],
    source: str = "em-harness verify",
) -> Verified:
    """One provider version's verdict on each pact, from verify's (already redacted) interactions.

    `interactions` are InteractionOutcome.to_json() dicts (redacted); each belongs to the pact of its
    consumer. A pact passes when every one of its interactions ran and passed, an interaction marked
    pending in the pact file (V4 `pending: true`) excepted; a pact with an interaction that did not run
    does not pass."""
    who = pacticipant(session, provider)
    assert who is not None
    ver = version(session, who, number, branch)
    assert ver is not None
    by_consumer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in interactions:
        by_consumer[str(it.get("consumer"))].append(it)
    verdicts: list[tuple[PactContent, PactVerdict, list[dict[str, Any]]]] = []
    for pact in pacts:
        if party(pact, "provider") != provider:
            raise GateInputError(f"a pact of provider {party(pact, 'provider')!r} cannot be verified as {provider!r}")
        content = pact_content(session, pact)
        consumer = party(pact, "consumer")
        mine = by_consumer.get(consumer, [])
        descriptions = {str(i.get("description")) for i in pact.get("interactions", []) or []}
        ran = {str(i.get("description")) for i in mine}
        failed = [str(i.get("key")) for i in mine if not i.get("passed") and not i.get("pending")]
        missing = sorted(descriptions - ran)
        failed.extend(f"{consumer} / {d} (did not run)" for d in missing)
        verdict = PactVerdict(
            consumer=consumer,
            sha=content.sha,
            success=not failed and bool(mine),
            pending=is_pending(session, content, who, branch),
            interactions=len(mine),
            failed=failed,
        )
        verdicts.append((content, verdict, mine))
    record = append(
        session,
        head,
        "verification",
        {
            "provider": provider,
            "version": number,
            "branch": branch,
            "source": source,
            **context,
            "pacts": [
                {
                    "consumer": v.consumer,
                    "sha": v.sha,
                    "success": v.success,
                    "pending": v.pending,
                    "failedInteractions": v.failed,
                }
                for _, v, _ in verdicts
            ],
            "interactions": interactions,
        },
        signer,
    )
    executed = now()
    for content, verdict, mine in verdicts:
        row = Verification(
            pact_content_id=content.id,
            provider_version_id=ver.id,
            success=verdict.success,
            pending=verdict.pending,
            source=source,
            contract_set_hash=context.get("contractSetHash"),
            catalogue_version=context.get("catalogueVersion"),
            bus=context.get("bus"),
            tool_version=context.get("tool"),
            executed_at=executed,
            evidence_seq=record.seq,
        )
        session.add(row)
        session.flush()
        for it in mine:
            ir = InteractionResult(
                verification_id=row.id,
                key=str(it.get("key")),
                consumer=str(it.get("consumer")),
                description=str(it.get("description")),
                passed=bool(it.get("passed")),
                pending=bool(it.get("pending", False)),
            )
            session.add(ir)
            session.flush()
            session.add_all(
                CheckResultRow(
                    interaction_id=ir.id,
                    check=str(c.get("check")),
                    passed=bool(c.get("passed")),
                    skipped=c.get("skipped"),
                    pending=c.get("pending"),
                    failures=json.dumps(c.get("failures") or [], ensure_ascii=False),
                )
                for c in it.get("checks", []) or []
            )
    return Verified(provider, number, [v for _, v, _ in verdicts], record)


# -- environments and deployments ----------------------------------------------------------------------
def environment(session: Session, name: str) -> Environment | None:
    return session.execute(select(Environment).where(Environment.name == name)).scalar_one_or_none()


def create_environment(
    session: Session,
    head: EvidenceHead,
    signer: Signer | None,
    name: str,
    display_name: str | None = None,
    production: bool = False,
) -> Environment:
    if not name or not name.strip():
        raise GateInputError("an environment needs a name")
    if environment(session, name) is not None:
        raise GateInputError(f"environment {name!r} exists already")
    env_uuid = str(uuid.uuid4())
    shown_name = display_name or name.replace("-", " ").replace("_", " ").title()
    record = append(
        session,
        head,
        "environment",
        {"uuid": env_uuid, "name": name, "displayName": shown_name, "production": production},
        signer,
    )
    env = Environment(
        uuid=env_uuid,
        name=name,
        display_name=shown_name,
        production=production,
        created_at=now(),
        evidence_seq=record.seq,
    )
    session.add(env)
    session.flush()
    return env


def known_version(session: Session, name: str, number: str) -> Version:
    who = pacticipant(session, name, create=False)
    if who is None:
        raise GateInputError(f"pacticipant {name!r} is not known to the gate: publish or verify it first")
    ver = version(session, who, number, create=False)
    if ver is None:
        raise GateInputError(f"version {number!r} of {name!r} is not known to the gate: publish or verify it first")
    return ver


def record_deployment(
    session: Session,
    head: EvidenceHead,
    signer: Signer | None,
    *,
    name: str,
    number: str,
    env: Environment,
    instance: str | None = None,
    source: str = "em-harness record-deployment",
) -> Deployment:
    """Note that a version runs in an environment; the version it replaces there (same instance) is undeployed."""
    ver = known_version(session, name, number)
    replaced = current_deployments(session, env, name, instance)
    dep_uuid = str(uuid.uuid4())
    record = append(
        session,
        head,
        "deployment",
        {
            "uuid": dep_uuid,
            "pacticipant": name,
            "version": number,
            "environment": env.name,
            "applicationInstance": instance,
            "replaces": [{"uuid": d.uuid, "version": d.version.number} for d in replaced if d.version_id != ver.id],
            "source": source,
        },
        signer,
    )
    at = now()
    for d in replaced:
        d.undeployed_at, d.undeployed_evidence_seq = at, record.seq
    dep = Deployment(
        uuid=dep_uuid,
        version_id=ver.id,
        environment_id=env.id,
        application_instance=instance,
        deployed_at=at,
        evidence_seq=record.seq,
    )
    session.add(dep)
    session.flush()
    return dep


def current_deployments(
    session: Session, env: Environment, name: str | None = None, instance: str | bool | None = False
) -> list[Deployment]:
    """Deployments current in an environment; `instance=False` means any application instance."""
    q = select(Deployment).where(Deployment.environment_id == env.id, Deployment.undeployed_at.is_(None))
    if name is not None:
        q = q.join(Version, Deployment.version_id == Version.id).join(Pacticipant).where(Pacticipant.name == name)
    if instance is not False:
        q = q.where(
            Deployment.application_instance.is_(None)
            if instance is None
            else Deployment.application_instance == instance
        )
    return list(session.execute(q.order_by(Deployment.id)).scalars())


def record_undeployment(
    session: Session,
    head: EvidenceHead,
    signer: Signer | None,
    *,
    deployments: list[Deployment],
    source: str = "em-harness record-undeployment",
) -> Evidence:
    if not deployments:
        raise GateInputError("nothing to undeploy")
    record = append(
        session,
        head,
        "undeployment",
        {
            "source": source,
            "deployments": [
                {
                    "uuid": d.uuid,
                    "pacticipant": d.version.pacticipant.name,
                    "version": d.version.number,
                    "environment": d.environment.name,
                    "applicationInstance": d.application_instance,
                }
                for d in deployments
            ],
        },
        signer,
    )
    at = now()
    session.execute(
        update(Deployment)
        .where(Deployment.id.in_([d.id for d in deployments]))
        .values(undeployed_at=at, undeployed_evidence_seq=record.seq)
    )
    return record
