"""Fixtures for the gate: a store per test on SQLite and on this machine's PostgreSQL.

The PostgreSQL store is a database of the test's own, uniquely named, created on the local server and
dropped at the end; no other database is touched. Without a reachable server those tests skip, saying so.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN = os.environ.get("EM_HARNESS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin_engine():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def pg_reachable() -> str | None:
    """None when the local PostgreSQL answers, else why not."""
    try:
        from sqlalchemy import text

        engine = _pg_admin_engine()
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN} is not reachable ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    return None


@pytest.fixture(scope="session")
def pg_skip_reason() -> str | None:
    return pg_reachable()


class PgDatabase:
    """A uniquely named database on the local server, dropped by `drop()`."""

    def __init__(self, prefix: str = "emh_gate_test") -> None:
        from sqlalchemy import text

        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        assert re.fullmatch(r"[a-z0-9_]+", self.name)
        self._text = text
        engine = _pg_admin_engine()
        with engine.connect() as conn:
            # CREATE DATABASE has no SQLAlchemy construct; the name is ours and checked above.
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        engine.dispose()
        base = PG_ADMIN.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def drop(self) -> None:
        engine = _pg_admin_engine()
        with engine.connect() as conn:
            conn.execute(
                self._text(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where datname = :n and pid <> pg_backend_pid()"
                ),
                {"n": self.name},
            )
            conn.execute(self._text(f'DROP DATABASE IF EXISTS "{self.name}"'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, pg_skip_reason: str | None) -> Iterator[str]:
    """A fresh, empty gate store URL: a SQLite file, or a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gate.db'}"
        return
    if pg_skip_reason:
        pytest.skip(pg_skip_reason)
    db = PgDatabase()
    try:
        yield db.url
    finally:
        db.drop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gate.db'}"
