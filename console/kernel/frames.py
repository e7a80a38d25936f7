"""The one SQL -> polars reader for bulk reads (KPIs, simulations, reconciliation).

PostgreSQL is read through connectorx when it and pyarrow are installed (typed columns, no
pooled connection held while it runs). SQLite is always read through the caller's own
DB-API cursor: connectorx's bundled SQLite opening and closing the file drops this process's
POSIX locks, so another process may checkpoint and delete the WAL under our open connections
(https://sqlite.org/howtocorrupt.html#multiple_copies_of_sqlite_linked_into_the_same_application),
and it would miss commits still in the WAL. Whatever the driver, the caller gets exactly the
declared schema: ``Date`` columns as dates and ``Datetime`` columns as naive UTC.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

log = logging.getLogger(__name__)

Schema = dict[str, pl.DataType]


def connectorx_uri(url: str | sa.URL) -> str | None:
    """The connectorx URI for a SQLAlchemy URL, or None when connectorx cannot open it.

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


def typed(df: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """Give ``df`` (columns in ``schema``'s order) exactly ``schema``, whatever the driver sent.

    SQLite's DB-API hands dates and timestamps over as text; connectorx types PostgreSQL
    ``timestamptz`` as UTC-aware; an all-NULL column arrives as ``Null``.
    """
    if df.columns != list(schema):
        df = df.rename(dict(zip(df.columns, schema, strict=True)))
    exprs = []
    for col, dtype in schema.items():
        current = df.schema[col]
        expr = pl.col(col)
        if current == pl.String and dtype == pl.Date:
            expr = expr.str.slice(0, 10).str.to_date("%Y-%m-%d")
        elif current == pl.String and isinstance(dtype, pl.Datetime):
            expr = expr.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
        elif isinstance(current, pl.Datetime) and current.time_zone is not None:
            expr = expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        exprs.append(expr.cast(dtype))
    return df.select(exprs)


def _wire(schema: Schema, dialect: str) -> Schema:
    """The dtypes the DB-API hands columns over in, before :func:`typed` converts them."""
    out: Schema = {}
    for col, dtype in schema.items():
        if dialect == "sqlite" and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
            out[col] = pl.String()
        elif dialect == "postgresql" and isinstance(dtype, pl.Datetime):
            out[col] = pl.Datetime("us", "UTC")
        else:
            out[col] = dtype
    return out


@contextmanager
def _connection(source: sa.Engine | sa.Connection):
    if isinstance(source, sa.Connection):
        yield source
    else:
        with source.connect() as conn:
            yield conn


def read_frame(source: sa.Engine | sa.Connection, sql: str, schema: Schema, *,
               prepare: Callable[[sa.Connection], Any] | None = None) -> pl.DataFrame:
    """Run one generated read query and return its rows typed by ``schema``.

    Args:
        source: an engine (a connection of its own) or the caller's connection (its
            transaction is used when the DB-API reads).
        sql: a query built from validated literals only (ids, ISO dates, fixed choices).
        schema: column name -> polars dtype, in the query's column order.
        prepare: run on the DB-API connection first (e.g. to register SQL functions or set
            transaction settings); a query that needs it is never sent to connectorx.
    """
    engine = source if isinstance(source, sa.Engine) else source.engine
    dialect = engine.dialect.name
    uri = (connectorx_uri(engine.url)
           if prepare is None and dialect == "postgresql" and connectorx_usable() else None)
    if uri is not None:
        try:
            df = pl.read_database_uri(sql, uri, engine="connectorx")
        except Exception:  # pragma: no cover - depends on the driver at hand
            log.exception("connectorx read failed; falling back to the DB-API cursor")
        else:
            if df.width == len(schema):
                return typed(df, schema)
    with _connection(source) as conn:
        if prepare is not None:
            prepare(conn)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql)
            rows = cursor.fetchall()
        finally:
            cursor.close()
    frame = pl.DataFrame([tuple(r) for r in rows], schema=_wire(schema, dialect), orient="row")
    return typed(frame, schema)
