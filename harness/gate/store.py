"""Opening the gate store: which database, its migrations, and one writer at a time.

- Which: `--store URL`, else EM_HARNESS_STORE, else the SQLite file `.em-harness/gate.db` in the project
  folder. A URL is anything SQLAlchemy takes (`sqlite:///path`, `postgresql://user@host/db`); a plain
  path means a SQLite file. `postgresql://` uses the psycopg (3) driver.
- Migrations: Alembic's, shipped in harness/gate/migrations, are run on first use (and after an
  upgrade of em-harness), so a store never needs a manual step.
- Writers take turns: every write transaction first locks the evidence chain's head row (SELECT ... FOR
  UPDATE on PostgreSQL; on SQLite the transaction begins IMMEDIATE, which takes the database's write lock),
  so two `verify --publish` at once are both recorded, one after the other, and the chain stays a chain.
- All or nothing: a write (a publication, a verification with its checks and its evidence record) is one
  transaction, so a process killed mid-write leaves no partial record.
- A store that cannot be opened (unreachable server, a file that is not a database, no permission) is
  one line naming the store and what to do: a HarnessError, exit code 2.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from harness.errors import HarnessError
from harness.gate.models import EvidenceHead

ENV_STORE = "EM_HARNESS_STORE"
DEFAULT_FILE = Path(".em-harness") / "gate.db"
MIGRATIONS = Path(__file__).parent / "migrations"
PAUSE_ENV = "EM_HARNESS_GATE_PAUSE_BEFORE_COMMIT"
"""Test hook: seconds to wait inside a write transaction, just before commit, after printing a marker.
The durability test kills the process there (kill -9) and checks that nothing of the write is left."""
_LOCK_KEY = 0x656D68  # "emh": the PostgreSQL advisory lock that serialises first-use migrations


class StoreError(HarnessError):
    """The store cannot be opened or used: exit code 2."""


def default_url(root: Path | None) -> str:
    base = root if root is not None else Path.cwd()
    return f"sqlite:///{(base / DEFAULT_FILE).resolve()}"


def resolve_url(store: str | None, root: Path | None) -> str:
    url = store or os.environ.get(ENV_STORE) or default_url(root)
    if "://" not in url:  # a plain path: a SQLite file
        url = f"sqlite:///{Path(url).resolve()}"
    return url


def shown(url: str | URL) -> str:
    """The URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True) if isinstance(url, str) else url.render_as_string()
    except ArgumentError:
        return str(url)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return text[:300]


class Store:
    """A gate store: an engine, its migrations applied, and read and write transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError(f"store {url!r}: not a database URL; give sqlite:///FILE or postgresql://...") from None
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise StoreError(f"store {shown(url)}: only SQLite and PostgreSQL are supported")
        self.engine = self._engine(parsed)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _engine(self, url: URL) -> Engine:
        if self.dialect == "sqlite":
            if url.database and url.database != ":memory:":
                path = Path(url.database)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"store {shown(url)}: cannot create {path.parent} ({exc.strerror})") from None
            engine = create_engine(url, connect_args={"timeout": 60})

            @event.listens_for(engine, "connect")
            def _connect(dbapi: Any, _record: Any) -> None:
                dbapi.isolation_level = None  # the begin hook below issues BEGIN itself
                cur = dbapi.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn: Any) -> None:
                # IMMEDIATE takes the write lock at once: two writers queue (busy timeout) instead of one
                # failing when it upgrades a read lock. Reads are short, so they take it too.
                conn.exec_driver_sql("BEGIN IMMEDIATE")

            return engine
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})

    # -- opening --------------------------------------------------------------------------------
    @classmethod
    def open(cls, store: str | None = None, root: Path | None = None) -> Store:
        """Open (and on first use create and migrate) the store; one clear error if it cannot be used."""
        self = cls(resolve_url(store, root))
        self.migrate()
        return self

    def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        head = ScriptDirectory.from_config(cfg).get_current_head()
        with self.guard("open"), self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def guard(self, doing: str) -> Iterator[None]:
        """Turn a database failure into one line naming the store."""
        try:
            yield
        except HarnessError:
            raise
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            raise StoreError(self.problem(exc, doing)) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] == "psycopg":
                raise StoreError(self.problem(exc, doing)) from None
            raise

    def problem(self, exc: BaseException, doing: str) -> str:
        reason = _reason(exc)
        hint = "check --store or EM_HARNESS_STORE"
        if "not a database" in reason or "malformed" in reason:
            hint = "the file is not a gate store or is damaged: restore it from a backup or give another --store"
        elif "connect" in reason.lower() or "refused" in reason.lower():
            hint = "is the database server running and reachable? check --store or EM_HARNESS_STORE"
        return f"store {shown(self.url)}: cannot {doing} ({reason}); {hint}"

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.guard("read"), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[tuple[Session, EvidenceHead]]:
        """One all-or-nothing write, holding the chain head's lock until it commits."""
        with self.guard("write"), self._sessions() as session, session.begin():
            head = session.execute(select(EvidenceHead).where(EvidenceHead.id == 1).with_for_update()).scalar_one()
            yield session, head
            session.flush()
            _pause_for_test()

    def dispose(self) -> None:
        self.engine.dispose()


def _pause_for_test() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        print("em-harness: gate write in progress (test pause)", file=sys.stderr, flush=True)
        time.sleep(float(seconds))


T = TypeVar("T")


def storing(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorate a command: any database error that escapes becomes one line and exit 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except HarnessError:
            raise
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(f"store: {_reason(exc)}; check --store or EM_HARNESS_STORE") from None

    return wrapper
