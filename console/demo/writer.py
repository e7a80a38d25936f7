"""Bulk writing: pre-assigned integer ids, buffered rows and fast inserts.

Rows are plain dicts (or value lists in a fixed column order for the hottest tables). The
statement and the per-column conversions are SQLAlchemy's own (``insert(table)`` compiled for
the dialect, each column type's bind processor); the rows then go to the driver in one call per
chunk: ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL, Core ``executemany``
elsewhere. This skips SQLAlchemy's per-row parameter bookkeeping, which costs more than the
database's own work at these volumes.

Customer batches are built into a :class:`BatchSink` with negative, batch-local ids (possibly in
a worker process); :meth:`BulkWriter.write_batch` turns them into real ids in batch order, so
the result does not depend on how many processes built it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from operator import itemgetter

import sqlalchemy as sa
from sqlmodel import SQLModel

from models.types import UTCDateTime

#: Tables in foreign-key order: a flush inserts parents before children.
TABLE_ORDER: tuple[str, ...] = (
    "tax_rate",
    "fx_rate",
    "policy_setting",
    "product",
    "meter",
    "feature",
    "plan",
    "plan_version",
    "price",
    "entitlement",
    "change_request",
    "plan_migration",
    "bill_run",
    "usage_import",
    "experiment",
    "experiment_arm",
    "rollout",
    "rollout_stage",
    "customer",
    "subscription",
    "subscription_event",
    "mrr_monthly",
    "support_ticket",
    "usage_daily",
    "usage_event",
    "invoice",
    "invoice_line",
    "payment",
    "payment_attempt",
    "dispute",
    "dispute_line",
    "dispute_event",
    "outbox_message",
    "collection_note",
    "experiment_assignment",
    "rollout_member",
    "credit_note",
    "credit_note_line",
    "approval_request",
    "approval",
    "invoice_number_sequence",
)

#: Tables whose integer ``id`` the generator assigns.
ID_TABLES: tuple[str, ...] = tuple(
    name for name in TABLE_ORDER
    if name not in {"fx_rate", "policy_setting", "mrr_monthly", "usage_daily",
                    "invoice_number_sequence"}
)

#: Id columns without a foreign key: column -> (type column, type value -> table).
POLYMORPHIC: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "approval_request": {"subject_id": ("subject_type", {
        "credit_note": "credit_note", "invoice": "invoice", "experiment": "experiment"})},
    "approval": {"subject_id": ("subject_type", {
        "approval_request": "approval_request", "change_request": "change_request"})},
    "outbox_message": {"related_id": ("related_type", {
        "invoice": "invoice", "credit_note": "credit_note"})},
}


def _memoized(proc: Callable) -> Callable:
    memo: dict = {}

    def convert(value: object) -> object:
        out = memo.get(value)
        if out is None:
            out = memo[value] = proc(value)
        return out

    return convert


def _utc_text(proc: Callable, *, sqlite: bool) -> Callable:
    """A :class:`UTCDateTime` as the driver gets it, without SQLAlchemy's per-call overhead.

    SQLite: SQLAlchemy's own text form (checked against its processor on a sample; its
    processor is used if they ever differ). PostgreSQL: ISO 8601 with offset, for COPY.
    """
    sample = datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=UTC)
    memo: dict[datetime, str] = {}

    def convert(value: datetime) -> str:
        if sqlite and value.tzinfo is UTC:
            return value.isoformat(" ", "microseconds")[:26]
        out = memo.get(value)
        if out is not None:
            return out
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        if value.utcoffset():
            value = value.astimezone(UTC)
        out = value.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite \
            else value.isoformat()
        if len(memo) > 100_000:
            memo.clear()
        memo[value] = out
        return out

    if sqlite and convert(sample) != proc(sample):
        return proc
    return convert


class Converter:
    """Per-column conversion of Python values to what the driver receives."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self.dialect = dialect
        self.tables = SQLModel.metadata.tables
        self._procs: dict[tuple, list[tuple[int, Callable]]] = {}

    def processors(self, name: str, keys: tuple[str, ...]) -> list[tuple[int, Callable]]:
        """(position, converter) for the columns of ``keys`` that need one."""
        cache_key = (name, keys)
        procs = self._procs.get(cache_key)
        if procs is not None:
            return procs
        dialect = self.dialect
        sqlite = dialect.name == "sqlite"
        table = self.tables[name]
        procs = []
        for i, key in enumerate(keys):
            column_type = table.c[key].type
            proc = column_type.dialect_impl(dialect).bind_processor(dialect)
            if isinstance(column_type, sa.JSON) and not sqlite:
                proc = json.dumps  # COPY takes the document as text
            elif isinstance(column_type, UTCDateTime):
                proc = _utc_text(proc, sqlite=sqlite)
            elif isinstance(column_type, sa.Date) and not isinstance(column_type, sa.DateTime):
                proc = _memoized(proc if proc is not None else date.isoformat)
            if proc is not None:
                procs.append((i, proc))
        self._procs[cache_key] = procs
        return procs

    def convert(self, name: str, keys: tuple[str, ...], data: list[list]) -> None:
        """Convert value lists in place."""
        procs = self.processors(name, keys)
        if not procs:
            return
        for values in data:
            for i, proc in procs:
                value = values[i]
                if value is not None:
                    values[i] = proc(value)


def dict_rows(rows: list[dict]) -> tuple[tuple[str, ...], list[list]]:
    """Column names and value lists of dict rows that all have the same keys."""
    keys = tuple(rows[0])
    if len(keys) == 1:
        return keys, [[row[keys[0]]] for row in rows]
    get = itemgetter(*keys)
    return keys, [list(get(row)) for row in rows]


class BatchSink:
    """Rows of one customer batch with negative, batch-local ids (no database needed)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.values: dict[str, tuple[tuple[str, ...], list[list]]] = {}
        self.used: Counter[str] = Counter()

    def new_id(self, table: str) -> int:
        """A batch-local id of ``table`` (-1, -2, ...)."""
        self.used[table] += 1
        return -self.used[table]

    def add(self, table: str, row: dict) -> None:
        """Buffer one row of ``table``."""
        self.rows[table].append(row)

    def extend(self, table: str, rows: Iterable[dict]) -> None:
        """Buffer several rows of ``table``."""
        self.rows[table].extend(rows)

    def value_buffer(self, table: str, keys: tuple[str, ...]) -> list[list]:
        """A buffer of value lists in ``keys`` order (cheaper than dicts for hot tables)."""
        entry = self.values.get(table)
        if entry is None:
            entry = self.values[table] = (keys, [])
        elif entry[0] != keys:
            raise ValueError(f"{table} is buffered with columns {entry[0]}, not {keys}")
        return entry[1]

    def export(self, converter: Converter) -> dict[str, list[tuple[tuple[str, ...], list]]]:
        """Every buffered row as converted value lists, per table."""
        out: dict[str, list[tuple[tuple[str, ...], list]]] = {}
        for name in TABLE_ORDER:
            parts = []
            rows = self.rows.get(name)
            if rows:
                keys, data = dict_rows(rows)
                converter.convert(name, keys, data)
                parts.append((keys, data))
            entry = self.values.get(name)
            if entry is not None and entry[1]:
                converter.convert(name, entry[0], entry[1])
                parts.append(entry)
            if parts:
                out[name] = parts
        return out


class BulkWriter:
    """Buffers rows per table and inserts them in foreign-key order in chunks.

    Ids are handed out in Python (continuing after the largest id already stored), so rows can
    reference each other before anything is written.
    """

    def __init__(self, conn: sa.Connection, *, chunk: int = 10_000) -> None:
        self.conn = conn
        self.chunk = chunk
        self.tables = SQLModel.metadata.tables
        self.converter = Converter(conn.dialect)
        self.rows: dict[str, list[dict]] = {name: [] for name in TABLE_ORDER}
        self.counts: Counter[str] = Counter()
        self._next: dict[str, int] = {}
        for name in ID_TABLES:
            table = self.tables[name]
            top = conn.execute(sa.select(sa.func.max(table.c.id))).scalar()
            self._next[name] = (top or 0) + 1
        self._remaps: dict[tuple[str, tuple[str, ...]], list] = {}

    def new_id(self, table: str) -> int:
        """Return the next free id of ``table``."""
        value = self._next[table]
        self._next[table] = value + 1
        return value

    def reserve(self, table: str, count: int) -> int:
        """Take ``count`` consecutive ids of ``table`` and return the first."""
        first = self._next[table]
        self._next[table] = first + count
        return first

    def add(self, table: str, row: dict) -> None:
        """Buffer one row of ``table``."""
        self.rows[table].append(row)

    def extend(self, table: str, rows: Iterable[dict]) -> None:
        """Buffer several rows of ``table``."""
        self.rows[table].extend(rows)

    def flush(self) -> None:
        """Insert every buffered row, parents first, and empty the buffers."""
        for name in TABLE_ORDER:
            rows = self.rows[name]
            if not rows:
                continue
            keys, data = dict_rows(rows)
            self.converter.convert(name, keys, data)
            self._insert(name, keys, data)
            rows.clear()

    # -- customer batches ----------------------------------------------------------------

    def bases(self, used: Counter[str]) -> dict[str, int]:
        """Assign real ids to a batch's local ids: table -> id of local id -1."""
        bases = {}
        for table, count in used.items():
            bases[table] = self.reserve(table, count)
        return bases

    def remap_rows(self, name: str, rows: list[dict], bases: dict[str, int]) -> None:
        """Replace batch-local ids in dict rows (see :meth:`write_batch`)."""
        if not rows:
            return
        keys = tuple(rows[0])
        for i, target, poly in self._remap_plan(name, keys):
            key = keys[i]
            for row in rows:
                value = row[key]
                if value is not None and value < 0:
                    table = target if poly is None else poly[1][row[poly[0]]]
                    row[key] = bases[table] - value - 1

    def write_batch(self, exported: dict[str, list[tuple[tuple[str, ...], list]]],
                    bases: dict[str, int]) -> None:
        """Insert a batch exported by :meth:`BatchSink.export` with its local ids replaced."""
        for name in TABLE_ORDER:
            for keys, data in exported.get(name, ()):
                for i, target, poly in self._remap_plan(name, keys):
                    if poly is None:
                        base = bases.get(target, 0) - 1
                        for values in data:
                            value = values[i]
                            if value is not None and value < 0:
                                values[i] = base - value
                    else:
                        type_index, mapping = keys.index(poly[0]), poly[1]
                        for values in data:
                            value = values[i]
                            if value is not None and value < 0:
                                values[i] = bases[mapping[values[type_index]]] - value - 1
                self._insert(name, keys, data)

    def _remap_plan(self, name: str, keys: tuple[str, ...]
                    ) -> list[tuple[int, str | None, tuple | None]]:
        cache_key = (name, keys)
        plan = self._remaps.get(cache_key)
        if plan is None:
            plan = []
            table = self.tables[name]
            poly = POLYMORPHIC.get(name, {})
            for i, key in enumerate(keys):
                column = table.c[key]
                if key == "id" and name in ID_TABLES:
                    plan.append((i, name, None))
                elif key in poly:
                    plan.append((i, None, poly[key]))
                else:
                    for fk in column.foreign_keys:
                        target = fk.column.table.name
                        if target in ID_TABLES:
                            plan.append((i, target, None))
            self._remaps[cache_key] = plan
        return plan

    # -- inserts -------------------------------------------------------------------------

    def _insert(self, name: str, keys: tuple[str, ...], data: list[list]) -> None:
        """Insert converted value lists in chunks."""
        for start in range(0, len(data), self.chunk):
            self._insert_chunk(name, keys, data[start:start + self.chunk])
        self.counts[name] += len(data)

    def _insert_chunk(self, name: str, keys: tuple[str, ...], data: list[list]) -> None:
        dialect = self.conn.dialect
        table = self.tables[name]
        if dialect.name not in {"sqlite", "postgresql"}:
            self.conn.execute(sa.insert(table), [dict(zip(keys, v, strict=True)) for v in data])
            return
        dbapi = self.conn.connection.dbapi_connection
        assert dbapi is not None
        if dialect.name == "sqlite":
            compiled = sa.insert(table).compile(dialect=dialect, column_keys=list(keys))
            order = [keys.index(key) for key in compiled.positiontup or keys]
            if order != list(range(len(keys))):
                data = [[values[i] for i in order] for values in data]
            cursor = dbapi.cursor()
            try:
                cursor.executemany(str(compiled), data)
            finally:
                cursor.close()
            return
        quote = dialect.identifier_preparer.quote
        columns = ", ".join(quote(key) for key in keys)
        with dbapi.cursor() as cursor, cursor.copy(
                f"COPY {quote(name)} ({columns}) FROM STDIN") as copy:
            for values in data:
                copy.write_row(values)

    def bump_sequences(self) -> None:
        """On PostgreSQL, move each id sequence past the ids assigned here."""
        if self.conn.dialect.name != "postgresql":
            return
        for name in ID_TABLES:
            if not self.counts[name]:
                continue
            self.conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {name}))"
                )
            )
