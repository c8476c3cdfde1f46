"""The gate's tables (SQLAlchemy 2 declarative models). Alembic migrations in migrations/ create them.

The model follows the Pact Broker's, so its HTTP API can be served from it without translation:
- a pacticipant has versions (number, optional branch);
- a consumer version publishes one pact per provider; the pact's *content* is stored once, by its
  content hash (`PactContent.sha`), and many consumer versions may publish the same content;
- a verification is of a pact content by a provider version, so a result carries over to every consumer
  version that published the same content (the Broker's rule, and why the sha is the key);
- each verification keeps every check of every interaction generically (interaction identity, check
  name, passed, skipped, failures, pending), so checks added to `verify` later are stored unchanged;
- an environment has deployments of versions; a deployment is current until it is undeployed;
- every write is also an evidence record, chained by hash (see harness/gate/evidence.py); the rows
  above name the record that justified them (`evidence_seq`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAME = 255
HASH = 80


class Base(DeclarativeBase):
    pass


class Pacticipant(Base):
    __tablename__ = "gate_pacticipants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    main_branch: Mapped[str | None] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    versions: Mapped[list[Version]] = relationship(back_populates="pacticipant")


class Version(Base):
    __tablename__ = "gate_versions"
    __table_args__ = (UniqueConstraint("pacticipant_id", "number", name="uq_gate_versions_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("gate_pacticipants.id"))
    number: Mapped[str] = mapped_column(String(NAME))
    branch: Mapped[str | None] = mapped_column(String(NAME))
    build_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    pacticipant: Mapped[Pacticipant] = relationship(back_populates="versions")


class PactContent(Base):
    """One distinct pact (the Broker's "pact version"), stored once by its content hash."""

    __tablename__ = "gate_pact_contents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha: Mapped[str] = mapped_column(String(HASH), unique=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("gate_pacticipants.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("gate_pacticipants.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    consumer: Mapped[Pacticipant] = relationship(foreign_keys=[consumer_id])
    provider: Mapped[Pacticipant] = relationship(foreign_keys=[provider_id])


class PactPublication(Base):
    """A consumer version's pact with one provider (publishing again replaces the content)."""

    __tablename__ = "gate_pact_publications"
    __table_args__ = (
        UniqueConstraint("consumer_version_id", "provider_id", name="uq_gate_publications_pair"),
        Index("ix_gate_publications_provider", "provider_id", "consumer_version_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_version_id: Mapped[int] = mapped_column(ForeignKey("gate_versions.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("gate_pacticipants.id"))
    pact_content_id: Mapped[int] = mapped_column(ForeignKey("gate_pact_contents.id"), index=True)
    catalogue_hash: Mapped[str | None] = mapped_column(String(HASH))
    evidence_seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    consumer_version: Mapped[Version] = relationship()
    provider: Mapped[Pacticipant] = relationship()
    pact_content: Mapped[PactContent] = relationship()


class Verification(Base):
    """One provider version's verdict on one pact content."""

    __tablename__ = "gate_verifications"
    __table_args__ = (
        Index("ix_gate_verifications_pair", "pact_content_id", "provider_version_id", "id"),
        Index("ix_gate_verifications_provider_version", "provider_version_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pact_content_id: Mapped[int] = mapped_column(ForeignKey("gate_pact_contents.id"))
    provider_version_id: Mapped[int] = mapped_column(ForeignKey("gate_versions.id"))
    success: Mapped[bool] = mapped_column(Boolean)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    """The pact content had never passed for this provider when this verification ran (Broker's pending)."""
    source: Mapped[str] = mapped_column(String(40))
    """`em-harness verify` or `pact verifier` (results published through the Broker API)."""
    contract_set_hash: Mapped[str | None] = mapped_column(String(HASH))
    catalogue_version: Mapped[str | None] = mapped_column(String(NAME))
    bus: Mapped[str | None] = mapped_column(Text)
    tool_version: Mapped[str | None] = mapped_column(String(NAME))
    executed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evidence_seq: Mapped[int] = mapped_column(Integer)

    pact_content: Mapped[PactContent] = relationship()
    provider_version: Mapped[Version] = relationship()
    interactions: Mapped[list[InteractionResult]] = relationship(
        back_populates="verification", order_by="InteractionResult.id"
    )


class InteractionResult(Base):
    __tablename__ = "gate_interaction_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verification_id: Mapped[int] = mapped_column(ForeignKey("gate_verifications.id"), index=True)
    key: Mapped[str] = mapped_column(Text)
    consumer: Mapped[str] = mapped_column(String(NAME))
    description: Mapped[str] = mapped_column(Text)
    passed: Mapped[bool] = mapped_column(Boolean)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    """The interaction is marked `pending: true` in its pact file (V4), as verify reported it."""

    verification: Mapped[Verification] = relationship(back_populates="interactions")
    checks: Mapped[list[CheckResultRow]] = relationship(back_populates="interaction", order_by="CheckResultRow.id")


class CheckResultRow(Base):
    __tablename__ = "gate_check_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("gate_interaction_results.id"), index=True)
    check: Mapped[str] = mapped_column(String(NAME))
    passed: Mapped[bool] = mapped_column(Boolean)
    skipped: Mapped[str | None] = mapped_column(Text)
    pending: Mapped[bool | None] = mapped_column(Boolean)
    failures: Mapped[str] = mapped_column(Text)
    """JSON list of {path, expected, actual, message}, personal values redacted."""

    interaction: Mapped[InteractionResult] = relationship(back_populates="checks")


class Environment(Base):
    __tablename__ = "gate_environments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME))
    production: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evidence_seq: Mapped[int] = mapped_column(Integer)


class Deployment(Base):
    """A version deployed to an environment; current while `undeployed_at` is empty."""

    __tablename__ = "gate_deployments"
    __table_args__ = (Index("ix_gate_deployments_current", "environment_id", "undeployed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("gate_versions.id"), index=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("gate_environments.id"))
    application_instance: Mapped[str | None] = mapped_column(String(NAME))
    deployed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    undeployed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    evidence_seq: Mapped[int] = mapped_column(Integer)
    undeployed_evidence_seq: Mapped[int | None] = mapped_column(Integer)

    version: Mapped[Version] = relationship()
    environment: Mapped[Environment] = relationship()


class Evidence(Base):
    """One record of the append-only evidence chain: the exact canonical bytes that were hashed."""

    __tablename__ = "gate_evidence"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    canonical: Mapped[str] = mapped_column(Text)
    """RFC 8785 (JCS) JSON of {seq, kind, at, prev, payload}, UTF-8: what `hash` and `signature` cover."""
    hash: Mapped[str] = mapped_column(String(HASH))
    prev_hash: Mapped[str] = mapped_column(String(HASH))
    signature: Mapped[str | None] = mapped_column(String(200))
    """Ed25519 signature of `canonical`, hex; empty when no signing key was configured."""
    key_id: Mapped[str | None] = mapped_column(String(HASH))


class EvidenceHead(Base):
    """A single row: the chain's last record. Every write locks it first, so writers take turns."""

    __tablename__ = "gate_evidence_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(HASH))


class SigningKey(Base):
    __tablename__ = "gate_signing_keys"

    key_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogueFile(Base):
    """One file of a verified catalogue, by the SHA-256 of its bytes (stored once)."""

    __tablename__ = "gate_catalogue_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class CatalogueSet(Base):
    """A catalogue as verified: its content hash and its (path, sha256) list."""

    __tablename__ = "gate_catalogue_sets"

    hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    version: Mapped[str] = mapped_column(String(NAME))
    files: Mapped[str] = mapped_column(Text)
    """JSON list of [relative path, sha256 hex], sorted by path."""
