"""the gate store: pacticipants, versions, pacts, verifications, checks, environments, deployments, evidence

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-02

Also writes the chain's genesis head (seq 0, the all-zero hash) that every writer locks first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gate_catalogue_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "gate_catalogue_sets",
        sa.Column("hash", sa.String(length=80), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "gate_environments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_table(
        "gate_evidence",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=80), nullable=False),
        sa.Column("prev_hash", sa.String(length=80), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=True),
        sa.Column("key_id", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "gate_evidence_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "gate_pacticipants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("main_branch", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "gate_signing_keys",
        sa.Column("key_id", sa.String(length=80), nullable=False),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_table(
        "gate_pact_contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=80), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["gate_pacticipants.id"],
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["gate_pacticipants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha"),
    )
    with op.batch_alter_table("gate_pact_contents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_pact_contents_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "gate_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=255), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("build_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["gate_pacticipants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pacticipant_id", "number", name="uq_gate_versions_number"),
    )
    op.create_table(
        "gate_deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("application_instance", sa.String(length=255), nullable=True),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undeployed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence_seq", sa.Integer(), nullable=False),
        sa.Column("undeployed_evidence_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["gate_environments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["gate_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    with op.batch_alter_table("gate_deployments", schema=None) as batch_op:
        batch_op.create_index("ix_gate_deployments_current", ["environment_id", "undeployed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_gate_deployments_version_id"), ["version_id"], unique=False)

    op.create_table(
        "gate_pact_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_version_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("pact_content_id", sa.Integer(), nullable=False),
        sa.Column("catalogue_hash", sa.String(length=80), nullable=True),
        sa.Column("evidence_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_version_id"],
            ["gate_versions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pact_content_id"],
            ["gate_pact_contents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["gate_pacticipants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consumer_version_id", "provider_id", name="uq_gate_publications_pair"),
    )
    with op.batch_alter_table("gate_pact_publications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gate_pact_publications_pact_content_id"), ["pact_content_id"], unique=False
        )
        batch_op.create_index("ix_gate_publications_provider", ["provider_id", "consumer_version_id"], unique=False)

    op.create_table(
        "gate_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pact_content_id", sa.Integer(), nullable=False),
        sa.Column("provider_version_id", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("contract_set_hash", sa.String(length=80), nullable=True),
        sa.Column("catalogue_version", sa.String(length=255), nullable=True),
        sa.Column("bus", sa.Text(), nullable=True),
        sa.Column("tool_version", sa.String(length=255), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pact_content_id"],
            ["gate_pact_contents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["provider_version_id"],
            ["gate_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gate_verifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gate_verifications_pair", ["pact_content_id", "provider_version_id", "id"], unique=False
        )
        batch_op.create_index("ix_gate_verifications_provider_version", ["provider_version_id"], unique=False)

    op.create_table(
        "gate_interaction_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verification_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("consumer", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["gate_verifications.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gate_interaction_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gate_interaction_results_verification_id"), ["verification_id"], unique=False
        )

    op.create_table(
        "gate_check_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=255), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=True),
        sa.Column("pending", sa.Boolean(), nullable=True),
        sa.Column("failures", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["gate_interaction_results.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gate_check_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_check_results_interaction_id"), ["interaction_id"], unique=False)

    head = sa.table(
        "gate_evidence_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer), sa.column("hash", sa.String)
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "sha256:" + "0" * 64}])


def downgrade() -> None:
    with op.batch_alter_table("gate_check_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_check_results_interaction_id"))

    op.drop_table("gate_check_results")
    with op.batch_alter_table("gate_interaction_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_interaction_results_verification_id"))

    op.drop_table("gate_interaction_results")
    with op.batch_alter_table("gate_verifications", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_verifications_provider_version")
        batch_op.drop_index("ix_gate_verifications_pair")

    op.drop_table("gate_verifications")
    with op.batch_alter_table("gate_pact_publications", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_publications_provider")
        batch_op.drop_index(batch_op.f("ix_gate_pact_publications_pact_content_id"))

    op.drop_table("gate_pact_publications")
    with op.batch_alter_table("gate_deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_deployments_version_id"))
        batch_op.drop_index("ix_gate_deployments_current")

    op.drop_table("gate_deployments")
    op.drop_table("gate_versions")
    with op.batch_alter_table("gate_pact_contents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_pact_contents_provider_id"))

    op.drop_table("gate_pact_contents")
    op.drop_table("gate_signing_keys")
    op.drop_table("gate_pacticipants")
    op.drop_table("gate_evidence_head")
    op.drop_table("gate_evidence")
    op.drop_table("gate_environments")
    op.drop_table("gate_catalogue_sets")
    op.drop_table("gate_catalogue_files")
