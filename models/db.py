"""Engine and units of work for SQLite (embedded default) and PostgreSQL (production).

``read_session`` is for queries; ``unit_of_work`` is the one way to change data: it commits
everything (including the audit event) in one transaction or nothing. On SQLite it starts with
``BEGIN IMMEDIATE`` so writers queue instead of failing on a stale snapshot; on PostgreSQL the
audit chain takes an advisory lock (see console.audit.usecases).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / ".data" / "console.db"


def database_url() -> str:
    """The configured database URL (``CONSOLE_DATABASE_URL``; default: SQLite under .data/)."""
    url = os.environ.get("CONSOLE_DATABASE_URL", "").strip()
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: str) -> sa.Engine:
    """Create an engine with the project's connection settings for ``url``."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:
            # Let SQLAlchemy's "begin" hook below issue BEGIN itself (pysqlite defers it otherwise).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


@cache
def get_engine() -> sa.Engine:
    """The process-wide engine for :func:`database_url`."""
    return make_engine(database_url())


def reset_engine() -> None:
    """Forget the cached engine (tests switch databases through the environment)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


@contextmanager
def read_session(engine: sa.Engine | None = None) -> Iterator[Session]:
    """A session for reads; it never commits (closing ends its transaction).

    Objects stay readable after the block (closed, not expired), so callers can map them.
    """
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def unit_of_work(engine: sa.Engine | None = None) -> Iterator[Session]:
    """A write transaction: commits on success, rolls back on any exception."""
    eng = engine or get_engine()
    if eng.dialect.name == "sqlite":
        eng = eng.execution_options(sqlite_immediate=True)
    with Session(eng, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
