"""The matrix and the can-i-deploy decision: one rule, used by the command line, the page and the API.

May version V of P go to environment E? Yes only when, for every counterpart version currently deployed
in E, the pact between them has a passing verification, in both directions:
- P as consumer: for each pact P@V published, every version of its provider deployed in E must have
  verified that pact content (the latest verification of the pair decides) and passed;
- P as provider: for each consumer version deployed in E that published a pact with P, P@V must have
  verified that pact content and passed.
A pact never verified blocks, a failed verification blocks, and a pending pact (one the provider never
passed, which `verify --publish` does not fail on) blocks until it passes: pending protects the
supplier's build, never the environment. A counterpart with no version deployed in E has nothing to
check against (said in a note). An unknown pacticipant or version is a "no" with that reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from harness.errors import HarnessError
from harness.gate.models import (
    CheckResultRow,
    Deployment,
    Environment,
    InteractionResult,
    PactContent,
    Pacticipant,
    PactPublication,
    Verification,
    Version,
)

MAX_DETAILS = 5  # failing interactions named per reason


@dataclass
class Line:
    """One row of the matrix: a consumer version's pact and a provider version's verdict on it."""

    consumer: str
    consumer_version: str
    provider: str
    provider_version: str | None
    sha: str
    pact_created_at: datetime | None
    verification: Verification | None
    environment: str | None = None
    direction: str = ""  # "consumer" (the asked version is the consumer) or "provider"

    @property
    def status(self) -> str:
        v = self.verification
        if v is None:
            return "never verified"
        if v.success:
            return "pass"
        return "pending" if v.pending else "fail"


@dataclass
class Decision:
    pacticipant: str
    version: str
    environment: str
    deployable: bool
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        success = sum(1 for line in self.lines if line.verification is not None and line.verification.success)
        failed = sum(1 for line in self.lines if line.verification is not None and not line.verification.success)
        unknown = sum(1 for line in self.lines if line.verification is None)
        return {"success": success, "failed": failed, "unknown": unknown}

    def to_json(self) -> dict[str, Any]:
        return {
            "pacticipant": self.pacticipant,
            "version": self.version,
            "environment": self.environment,
            "deployable": self.deployable,
            "answer": "yes" if self.deployable else "no",
            "reasons": self.reasons,
            "notes": self.notes,
            "counts": self.counts(),
            "matrix": [
                {
                    "consumer": line.consumer,
                    "consumerVersion": line.consumer_version,
                    "provider": line.provider,
                    "providerVersion": line.provider_version,
                    "pact": line.sha,
                    "status": line.status,
                    "verificationId": line.verification.id if line.verification else None,
                    "evidenceRecord": line.verification.evidence_seq if line.verification else None,
                }
                for line in self.lines
            ],
        }


def latest_verification(session: Session, content_id: int, provider_version_id: int) -> Verification | None:
    return session.execute(
        select(Verification)
        .where(Verification.pact_content_id == content_id, Verification.provider_version_id == provider_version_id)
        .order_by(Verification.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def failure_details(session: Session, verification: Verification) -> list[str]:
    """The failing interactions of a verification and, for each, its first failing check in words."""
    rows = session.execute(
        select(InteractionResult).where(
            InteractionResult.verification_id == verification.id, InteractionResult.passed.is_(False)
        )
    ).scalars()
    out = []
    for ir in rows:
        checks = session.execute(
            select(CheckResultRow).where(
                CheckResultRow.interaction_id == ir.id,
                CheckResultRow.passed.is_(False),
                CheckResultRow.skipped.is_(None),
            )
        ).scalars()
        words = []
        for c in checks:
            failures = json.loads(c.failures or "[]")
            first = failures[0] if failures else {}
            message = str(first.get("message") or "failed")
            path = str(first.get("path") or "")
            where = f" at {path}" if path and not message.startswith(path) else ""
            words.append(f"{c.check}{where}: {message}")
        out.append(f"interaction {ir.key!r} failed ({'; '.join(words[:2]) or 'no check passed'})")
    if not out:
        out.append("no interaction of the pact ran to a pass")
    return out


def _verdict_reason(session: Session, line: Line) -> str | None:
    """Why this line blocks, in words, or None when it passes."""
    consumer = f"{line.consumer} {line.consumer_version}"
    provider = f"{line.provider} {line.provider_version}"
    where = f" (deployed in {line.environment})" if line.environment else ""
    if line.direction == "consumer":
        about = f"{provider}{where} and the pact of {consumer}"
    else:
        about = f"the pact of {consumer}{where} and {provider}"
    v = line.verification
    if v is None:
        return f"{about}: never verified ({provider} has not verified pact {line.sha[:19]}...)"
    if v.success:
        return None
    details = failure_details(session, v)
    more = f"; and {len(details) - MAX_DETAILS} more" if len(details) > MAX_DETAILS else ""
    pending = " (pending: this pact has never passed for the provider)" if v.pending else ""
    return f"{about}: verification failed{pending}: {'; '.join(details[:MAX_DETAILS])}{more}"


def can_i_deploy(session: Session, name: str, number: str, env_name: str) -> Decision:
    env = session.execute(select(Environment).where(Environment.name == env_name)).scalar_one_or_none()
    if env is None:
        known = ", ".join(session.execute(select(Environment.name).order_by(Environment.name)).scalars()) or "none"
        raise HarnessError(f"environment {env_name!r} is not known to the gate (known: {known})")
    decision = Decision(name, number, env_name, deployable=False)
    who = session.execute(select(Pacticipant).where(Pacticipant.name == name)).scalar_one_or_none()
    if who is None:
        decision.reasons.append(f"{name} is not known to the gate: it has never published a pact or been verified")
        return decision
    ver = session.execute(
        select(Version).where(Version.pacticipant_id == who.id, Version.number == number)
    ).scalar_one_or_none()
    if ver is None:
        decision.reasons.append(f"version {number} of {name} is not known to the gate: publish or verify it first")
        return decision
    deployed = _deployed_in(session, env)

    # P as consumer: each pact it published, against every deployed version of that provider.
    for pub, content, provider in session.execute(
        select(PactPublication, PactContent, Pacticipant)
        .join(PactContent, PactPublication.pact_content_id == PactContent.id)
        .join(Pacticipant, PactPublication.provider_id == Pacticipant.id)
        .where(PactPublication.consumer_version_id == ver.id)
        .order_by(Pacticipant.name)
    ):
        targets = [(dv, d) for dv, d in deployed.get(provider.id, [])]
        if not targets:
            decision.notes.append(f"no version of {provider.name} is deployed in {env_name}: nothing to check against")
            continue
        for dv, _dep in targets:
            decision.lines.append(
                Line(
                    name,
                    number,
                    provider.name,
                    dv.number,
                    content.sha,
                    pub.created_at,
                    latest_verification(session, content.id, dv.id),
                    env_name,
                    "consumer",
                )
            )

    # P as provider: each deployed consumer version's pact with P, against P@V.
    cv = aliased(Version)
    consumer = aliased(Pacticipant)
    for pub, content, cver, cname in session.execute(
        select(PactPublication, PactContent, cv, consumer.name)
        .join(PactContent, PactPublication.pact_content_id == PactContent.id)
        .join(cv, PactPublication.consumer_version_id == cv.id)
        .join(consumer, cv.pacticipant_id == consumer.id)
        .join(Deployment, Deployment.version_id == cv.id)
        .where(
            PactPublication.provider_id == who.id,
            Deployment.environment_id == env.id,
            Deployment.undeployed_at.is_(None),
        )
        .order_by(consumer.name, cv.number)
        .distinct()
    ):
        decision.lines.append(
            Line(
                cname,
                cver.number,
                name,
                number,
                content.sha,
                pub.created_at,
                latest_verification(session, content.id, ver.id),
                env_name,
                "provider",
            )
        )
    for line in decision.lines:
        reason = _verdict_reason(session, line)
        if reason:
            decision.reasons.append(reason)
    decision.deployable = not decision.reasons
    if not decision.lines and not decision.reasons:
        decision.notes.append(f"{name} {number} has no pact with anything deployed in {env_name}")
    return decision


def _deployed_in(session: Session, env: Environment) -> dict[int, list[tuple[Version, Deployment]]]:
    out: dict[int, list[tuple[Version, Deployment]]] = {}
    for dep, ver in session.execute(
        select(Deployment, Version)
        .join(Version, Deployment.version_id == Version.id)
        .where(Deployment.environment_id == env.id, Deployment.undeployed_at.is_(None))
        .order_by(Deployment.id)
    ):
        out.setdefault(ver.pacticipant_id, []).append((ver, dep))
    return out


def between(session: Session, a: tuple[str, str], b: tuple[str, str]) -> list[Line]:
    """Matrix lines between two given versions, in whichever direction pacts exist."""
    lines = []
    for (cn, cnum), (pn, pnum) in ((a, b), (b, a)):
        found = session.execute(
            select(PactPublication, PactContent)
            .join(PactContent, PactPublication.pact_content_id == PactContent.id)
            .join(Version, PactPublication.consumer_version_id == Version.id)
            .join(Pacticipant, Version.pacticipant_id == Pacticipant.id)
            .where(Pacticipant.name == cn, Version.number == cnum)
        ).all()
        pver = session.execute(
            select(Version).join(Pacticipant).where(Pacticipant.name == pn, Version.number == pnum)
        ).scalar_one_or_none()
        for pub, content in found:
            if content.provider.name != pn:
                continue
            verification = latest_verification(session, content.id, pver.id) if pver else None
            lines.append(Line(cn, cnum, pn, pnum, content.sha, pub.created_at, verification))
    return lines


def reasons_for(session: Session, lines: list[Line]) -> list[str]:
    return [r for r in (_verdict_reason(session, line) for line in lines) if r]
