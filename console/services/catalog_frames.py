"""Bulk reads into polars for catalog simulations: connectorx when usable, else the DB-API.

ARCHITECTURE.md prefers connectorx (``pl.read_database_uri(query, uri, engine="connectorx")``)
for bulk reads. connectorx needs a plain ``postgresql://`` or ``sqlite:///abs/path`` URI
(:func:`connectorx_uri` converts SQLAlchemy's) and pyarrow to hand the result to polars; when
either is missing (pyarrow is not a dependency of this project, an in-memory SQLite database
has no path) the rows are fetched with the connection's own DB-API cursor into a frame of the
declared schema, which reads within the caller's transaction. SQLite is always read through the
caller's connection: connectorx's bundled SQLite in the same process breaks SQLite's file locks
(see :func:`read_frame`).
"""

from __future__ import annotations

import logging
from importlib.util import find_spec
from pathlib import Path

import polars as pl
import sqlalchemy as sa

log = logging.getLogger(__name__)


def connectorx_uri(url: str | sa.URL) -> str | None:
    """The connectorx URI for a SQLAlchemy URL, or ``None`` when connectorx cannot open it.

    ``postgresql+psycopg://u:p@h:5432/db`` -> ``postgresql://u:p@h:5432/db``;
    ``sqlite:///rel/console.db`` -> ``sqlite:///abs/path/rel/console.db``.
    """
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    if backend == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return f"sqlite://{Path(database).resolve()}"
    return None


def connectorx_usable() -> bool:
    """Whether connectorx can hand frames to polars here (it needs pyarrow for that)."""
    return find_spec("connectorx") is not None and find_spec("pyarrow") is not None


def read_frame(conn: sa.Connection, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run a generated read query and return its rows with ``schema`` (column order as in SQL).

    Args:
        conn: an open connection (its transaction is used by the DB-API fallback).
        sql: a query built from trusted values only (ids, ISO dates), no parameters.
        schema: column name -> polars dtype, in the query's column order.
    """
    # Never connectorx on SQLite inside the app: its own SQLite copy opening and closing the
    # file drops this process's POSIX locks, so another process may checkpoint and delete the
    # WAL under our open connections and later commits are lost to every other process
    # (https://sqlite.org/howtocorrupt.html#multiple_copies_of_sqlite_linked_into_the_same_application).
    usable = connectorx_usable() and conn.dialect.name != "sqlite"
    uri = connectorx_uri(conn.engine.url) if usable else None
    if uri is not None:
        try:
            df = pl.read_database_uri(sql, uri, engine="connectorx")
            return df.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
        except Exception:  # pragma: no cover - depends on optional pyarrow
            log.exception("connectorx read failed; falling back to the DB-API cursor")
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pl.DataFrame(rows, schema=schema, orient="row")
