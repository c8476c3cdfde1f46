"""Alembic migrations of the gate store, run automatically when a store is opened."""
