"""Usage import: store a validated batch of events (files, HTTP batches, console uploads).

* One bad record rejects the whole batch: nothing is inserted, and the report lists each bad
  record by line number with the reason (see :mod:`console.billing.usecases.usage_records`).
  A ``usage_import`` row records the outcome either way.
* Duplicates by idempotency key (already stored, or repeated inside the batch) are skipped and
  counted, never inserted twice.
* Accepted batches are written in one transaction: PostgreSQL COPYs into a temporary table and
  then ``INSERT ... ON CONFLICT (idempotency_key) DO NOTHING``; SQLite uses an executemany
  ``INSERT OR IGNORE``. The ``usage_daily`` aggregates (sum, max, count per customer, meter and
  UTC day) are upserted in SQL from the rows this import inserted, in the same transaction.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.billing.usecases.usage_records import (
    Record,
    RowError,
    read_batch,
    read_csv,
    read_jsonl,
    validate,
)
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import InvalidInput
from console.kernel.metrics import USAGE_EVENTS
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import UsageEvent, UsageImport
from models.db import read_session, unit_of_work
from models.types import utcnow


@dataclass(frozen=True)
class ImportReport:
    """The outcome of one import.

    Attributes:
        import_id: the ``usage_import`` row.
        status: ``accepted`` or ``rejected``.
        received: records read.
        inserted: events stored.
        duplicates: records skipped as duplicates (stored before or repeated in the batch).
        rejected: bad records (nothing is written when this is not 0).
        errors: the first bad records with line and reason.
        source: ``cli``, ``api``, ``upload`` (console page) or ``demo``.
        filename: the file imported, if any.
    """

    import_id: int | None
    status: str
    received: int
    inserted: int
    duplicates: int
    rejected: int
    errors: tuple[RowError, ...] = ()
    source: str = "cli"
    filename: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the batch was written."""
        return self.status == "accepted"

    def summary(self) -> str:
        """One line for the CLI, plus one line per reported error."""
        head = (f"{self.status}: {self.received} received, {self.inserted} inserted, "
                f"{self.duplicates} duplicates, {self.rejected} rejected")
        if self.rejected:
            head += " (nothing was written)"
        lines = [head] + [f"  line {e.line}: {e.reason}" for e in self.errors]
        if self.rejected > len(self.errors):
            lines.append(f"  ... and {self.rejected - len(self.errors)} more")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The report as JSON (HTTP responses)."""
        return {"import_id": self.import_id, "status": self.status, "received": self.received,
                "inserted": self.inserted, "duplicates": self.duplicates,
                "rejected": self.rejected, "errors": [e.as_json() for e in self.errors]}


def _write_sqlite(session: Session, rows: list[tuple], import_id: int, now: datetime) -> int:
    """executemany ``INSERT OR IGNORE`` on the unit of work's own connection (same transaction).

    Timestamps are written as SQLAlchemy's SQLite storage format (naive UTC text), which is
    what :class:`models.types.UTCDateTime` reads back.
    """
    raw = session.connection().connection.driver_connection
    received = now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ",
                                                                   timespec="microseconds")
    sql = ("INSERT OR IGNORE INTO usage_event (idempotency_key, customer_id, meter_id, "
           "quantity_micro, properties, occurred_at, received_at, import_id) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    step = 50_000
    for i in range(0, len(rows), step):
        raw.executemany(sql, [
            (k, c, m, q, p, t.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
             received, import_id) for k, c, m, q, p, t in rows[i:i + step]])
    return int(session.execute(sa.select(sa.func.count()).select_from(UsageEvent).where(
        UsageEvent.import_id == import_id)).scalar_one())


def _write_postgres(session: Session, rows: list[tuple], import_id: int, now: datetime) -> int:
    conn = session.connection()
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS _usage_in (idempotency_key text, customer_id bigint, "
        "meter_id bigint, quantity_micro bigint, properties json, occurred_at timestamptz) "
        "ON COMMIT DROP")
    conn.exec_driver_sql("TRUNCATE _usage_in")
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(
        "COPY _usage_in (idempotency_key, customer_id, meter_id, quantity_micro, properties, "
        "occurred_at) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    result = conn.execute(sa.text(
        "INSERT INTO usage_event (idempotency_key, customer_id, meter_id, quantity_micro, "
        "properties, occurred_at, received_at, import_id) "
        "SELECT idempotency_key, customer_id, meter_id, quantity_micro, properties, occurred_at, "
        ":now, :import_id FROM _usage_in ON CONFLICT (idempotency_key) DO NOTHING"),
        {"now": now, "import_id": import_id})
    return int(result.rowcount)


_DAILY_UPSERT = (
    "INSERT INTO usage_daily (customer_id, meter_id, day, quantity_micro, max_micro, events) "
    "SELECT customer_id, meter_id, {day}, SUM(quantity_micro), MAX(quantity_micro), COUNT(*) "
    "FROM usage_event WHERE import_id = :import_id GROUP BY customer_id, meter_id, {day} "
    "ON CONFLICT (customer_id, meter_id, day) DO UPDATE SET "
    "quantity_micro = usage_daily.quantity_micro + excluded.quantity_micro, "
    "max_micro = {greatest}(usage_daily.max_micro, excluded.max_micro), "
    "events = usage_daily.events + excluded.events"
)
_DAILY_UPSERT_SQL = {
    "postgresql": _DAILY_UPSERT.format(day="(occurred_at AT TIME ZONE 'UTC')::date",
                                       greatest="GREATEST"),
    "sqlite": _DAILY_UPSERT.format(day="date(occurred_at)", greatest="MAX"),
}


def _upsert_daily(session: Session, import_id: int) -> None:
    dialect = session.get_bind().dialect.name
    session.execute(sa.text(_DAILY_UPSERT_SQL[dialect]), {"import_id": import_id})


def ingest(session: Session, records: Iterable[Record], *, source: str, actor: Actor,
           filename: str | None = None) -> ImportReport:
    """Validate and (when every record is good) store a batch in the caller's transaction.

    Args:
        session: an open unit of work.
        records: parsed records (:func:`read_csv`, :func:`read_jsonl`, :func:`read_batch`).
        source: ``cli``, ``api``, ``upload`` (console page) or ``demo``.
        actor: who imports (people need the import_usage permission).
        filename: the file's name, for the import history.

    Returns:
        The report; when ``rejected`` is not 0 nothing but the usage_import row was written.
    """
    require(session, actor, Permission.IMPORT_USAGE, system=True)
    checked = validate(session, records)
    now = utcnow()
    status = "rejected" if checked.rejected else "accepted"
    imp = UsageImport(source=source, filename=filename, status=status, received=checked.received,
                      inserted=0, duplicates=0 if checked.rejected else checked.duplicates,
                      rejected=checked.rejected,
                      errors=[e.as_json() for e in checked.errors] or None,
                      created_by=actor.user_id, created_at=now)
    session.add(imp)
    session.flush()
    inserted = 0
    duplicates = imp.duplicates
    if not checked.rejected and checked.rows:
        if session.get_bind().dialect.name == "postgresql":
            inserted = _write_postgres(session, checked.rows, imp.id, now)
        else:
            inserted = _write_sqlite(session, checked.rows, imp.id, now)
        _upsert_daily(session, imp.id)
        duplicates = checked.duplicates + len(checked.rows) - inserted
        imp.inserted, imp.duplicates = inserted, duplicates
        # Counted when the events are really stored: on commit, not here.
        sa.event.listen(session, "after_commit", once=True,
                        fn=lambda _s, n=inserted: USAGE_EVENTS.labels(source=source).inc(n))
    record(session, actor=actor, action=f"usage.import.{status}", object_type="usage_import",
           object_id=imp.id, after={"source": source, "filename": filename,
                                    "received": checked.received, "inserted": inserted,
                                    "duplicates": duplicates, "rejected": checked.rejected})
    return ImportReport(import_id=imp.id, status=status, received=checked.received,
                        inserted=inserted, duplicates=duplicates, rejected=checked.rejected,
                        errors=tuple(checked.errors), source=source, filename=filename)


def usage_file_suffix(name: str) -> str:
    """The extension of a usage file's name, lower case: ``.csv``, ``.jsonl`` or ``.ndjson``.

    Raises:
        InvalidInput: for another extension.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise InvalidInput("Usage files must be .csv or .jsonl.")
    return suffix


def import_usage_file(engine: sa.Engine | None, path: str | Path, *, actor: Actor,
                      source: str = "cli", filename: str | None = None) -> ImportReport:
    """Import a ``.csv`` or ``.jsonl`` file in one transaction (CLI: ``usage import FILE``).

    Args:
        engine: the database (None: the configured one).
        path: the file; its extension picks the format.
        actor: who imports (the CLI passes ``Actor.system("system:cli")``).
        source: recorded on the usage_import row.
        filename: the name to record (default: the file's name).

    Raises:
        InvalidInput: for a missing file or another extension.
    """
    file = Path(path)
    if not file.is_file():
        raise InvalidInput(f"No such file: {file}")
    suffix = usage_file_suffix(filename or file.name)
    with file.open(encoding="utf-8-sig", newline="") as handle, unit_of_work(engine) as s:
        records = read_csv(handle) if suffix == ".csv" else read_jsonl(handle)
        return ingest(s, records, source=source, actor=actor, filename=filename or file.name)


def ingest_batch(engine: sa.Engine | None, events: Sequence[Any], *, actor: Actor,
                 source: str = "api") -> ImportReport:
    """Import a JSON list of events (the HTTP endpoint) in one transaction.

    Args:
        engine: the database (None: the configured one).
        events: the request's events (JSON objects, numbered from 1 in the report).
        actor: who imports (the endpoint's system actor).
        source: recorded on the usage_import row.

    Returns:
        The report; nothing but the usage_import row is written when a record is bad.
    """
    with unit_of_work(engine) as s:
        return ingest(s, read_batch(events), source=source, actor=actor)


# --- page-facing


def import_usage_upload(filename: str, content: bytes, *, user_id: int) -> ImportReport:
    """Page-facing: import an uploaded .csv/.jsonl file as a signed-in user (source
    ``upload``). Run it with asyncio.to_thread for big files.

    Raises:
        InvalidInput: for another extension. NotAllowed: without the import_usage permission.
    """
    suffix = usage_file_suffix(filename)
    with read_session() as s:
        actor = actor_for(s, user_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        return import_usage_file(None, path, actor=actor, source="upload",
                                 filename=Path(filename).name[:500])
