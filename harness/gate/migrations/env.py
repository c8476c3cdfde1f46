"""Alembic environment for the gate store: the connection comes from harness.gate.store."""

from __future__ import annotations

from alembic import context

from harness.gate.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes its connection
    raise RuntimeError("the gate's migrations run through harness.gate.store, which passes a connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
