"""Usage metering: ingest events (files, HTTP batches), aggregate per meter, daily series.

Ingestion rules:

* A record has ``customer_code`` (alias ``customer``), ``event_type`` (alias ``meter``: the
  meter's event type), ``quantity`` (decimal text, at most 6 decimals, not negative; JSON
  numbers are read exactly), ``timestamp`` (alias ``occurred_at``: ISO-8601 *with* an offset),
  ``idempotency_key`` (alias ``key``) and optional ``properties`` (a JSON object; in CSV a JSON
  text column).
* Every record is validated before anything is written. One bad record rejects the whole
  batch: nothing is inserted, and the report lists each bad record by line number (CSV: the
  physical line, header = 1; JSONL: the line; HTTP: the item's 1-based position) with the
  reason. A ``usage_import`` row records the outcome either way.
* Duplicates by idempotency key (already stored, or repeated inside the batch) are skipped and
  counted, never inserted twice.
* Accepted batches are written in one transaction: PostgreSQL COPYs into a temporary table and
  then ``INSERT ... ON CONFLICT (idempotency_key) DO NOTHING``; SQLite uses an executemany
  ``INSERT OR IGNORE``. The ``usage_daily`` aggregates (sum, max, count per customer, meter and
  UTC day) are upserted in SQL from the rows this import inserted, in the same transaction.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Customer, Meter, UsageDaily, UsageEvent, UsageImport
from models.db import read_session, unit_of_work
from models.types import QUANTITY_SCALE, micro_to_quantity, utcnow

#: Errors kept on the usage_import row and in the report (the count is always complete).
MAX_REPORTED_ERRORS = 1000
MAX_KEY_LENGTH = 128
AGGREGATIONS = ("sum", "count", "max", "unique_count", "latest")

_QTY = re.compile(r"^\s*(\d+)(?:\.(\d{1,6}))?\s*$")
_ALIASES = {
    "customer_code": ("customer_code", "customer"),
    "event_type": ("event_type", "meter"),
    "quantity": ("quantity",),
    "timestamp": ("timestamp", "occurred_at"),
    "idempotency_key": ("idempotency_key", "key"),
    "properties": ("properties",),
}


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected record: its line (or position) and why."""

    line: int
    reason: str

    def as_json(self) -> dict[str, Any]:
        """The form stored on ``usage_import.errors``."""
        return {"line": self.line, "reason": self.reason}


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


#: A parsed record: (line, key, customer code, event type, quantity, timestamp, properties,
#: problem). Missing values are None; ``problem`` is set when the record could not be read.
Record = tuple[int, Any, Any, Any, Any, Any, Any, "str | None"]


@dataclass(slots=True)
class _Validated:
    #: (key, customer id, meter id, quantity micro, properties JSON text, occurred_at UTC)
    rows: list[tuple[str, int, int, int, str | None, datetime]] = field(default_factory=list)
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: int = 0
    received: int = 0


# ----------------------------------------------------------------------------- parsing


def _problem(line: int, problem: str) -> Record:
    return (line, None, None, None, None, None, None, problem)


def read_csv(handle: str | io.TextIOBase) -> Iterator[Record]:
    """Records of a CSV text or file (header row required), with physical line numbers."""
    reader = csv.reader(io.StringIO(handle) if isinstance(handle, str) else handle)
    header = next(reader, None)
    if not header:
        return
    names = [h.strip().lower() for h in header]
    cols = []
    for canonical in ("idempotency_key", "customer_code", "event_type", "quantity",
                      "timestamp", "properties"):
        index = next((names.index(a) for a in _ALIASES[canonical] if a in names), None)
        cols.append(index)
    ik, ic, ie, iq, it, ip = cols
    width = len(header)
    for row in reader:
        if not row:
            continue
        n = len(row)
        if n > width:
            yield _problem(reader.line_num, "more columns than the header")
            continue
        yield (reader.line_num,
               (row[ik].strip() or None) if ik is not None and ik < n else None,
               (row[ic].strip() or None) if ic is not None and ic < n else None,
               (row[ie].strip() or None) if ie is not None and ie < n else None,
               (row[iq].strip() or None) if iq is not None and iq < n else None,
               (row[it].strip() or None) if it is not None and it < n else None,
               (row[ip].strip() or None) if ip is not None and ip < n else None,
               None)


def _from_dict(line: int, doc: Mapping[str, Any]) -> Record:
    return (line, _get(doc, "idempotency_key"), _get(doc, "customer_code"),
            _get(doc, "event_type"), _get(doc, "quantity"), _get(doc, "timestamp"),
            _get(doc, "properties"), None)


def read_jsonl(lines: Iterable[str]) -> Iterator[Record]:
    """Records of JSON Lines text (blank lines skipped), with line numbers."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line, parse_float=Decimal)
        except ValueError as exc:
            yield _problem(number, f"not valid JSON ({getattr(exc, 'msg', exc)})")
            continue
        if not isinstance(doc, dict):
            yield _problem(number, "each line must be a JSON object")
            continue
        yield _from_dict(number, doc)


def read_batch(events: Sequence[Any]) -> Iterator[Record]:
    """Records of an HTTP batch (a list of objects), numbered from 1."""
    for number, doc in enumerate(events, start=1):
        if not isinstance(doc, dict):
            yield _problem(number, "each event must be a JSON object")
            continue
        yield _from_dict(number, doc)


def _get(fields: Mapping[str, Any], name: str) -> Any:
    for alias in _ALIASES[name]:
        if alias in fields:
            value = fields[alias]
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                return value
    return None


def parse_quantity_micro(raw: Any) -> int:
    """A quantity (decimal text, int or exact Decimal) in millionths.

    Raises:
        ValueError: with the reason (not a number, negative, more than 6 decimals, float).
    """
    if isinstance(raw, str):
        match = _QTY.match(raw)
        if match:
            whole, frac = match.groups()
            return int(whole) * QUANTITY_SCALE + (int(frac.ljust(6, "0")) if frac else 0)
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise ValueError(f"bad quantity {raw!r}: not a number") from None
    elif isinstance(raw, bool) or raw is None or isinstance(raw, float):
        raise ValueError(f"bad quantity {raw!r}: give a number or decimal text")
    elif isinstance(raw, int | Decimal):
        value = Decimal(raw)
    else:
        raise ValueError(f"bad quantity {raw!r}: give a number or decimal text")
    if not value.is_finite():
        raise ValueError(f"bad quantity {raw!r}: not a finite number")
    if value < 0:
        raise ValueError(f"bad quantity {raw!r}: must not be negative")
    scaled = value * QUANTITY_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"bad quantity {raw!r}: more than 6 decimals")
    return int(scaled)


def parse_timestamp(raw: Any) -> datetime:
    """An ISO-8601 timestamp with an offset, as UTC.

    Raises:
        ValueError: with the reason (not ISO-8601, or no offset).
    """
    if not isinstance(raw, str):
        raise ValueError(f"bad timestamp {raw!r}: give ISO-8601 text")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"bad timestamp {raw!r}: not ISO-8601") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"bad timestamp {raw!r}: an offset is required (e.g. +00:00 or Z)")
    return value.astimezone(UTC)


def properties_text(raw: Any) -> str | None:
    """Event properties as JSON object text (None when absent).

    Raises:
        ValueError: when they are not a JSON object.
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            doc = json.loads(raw)
        except ValueError:
            raise ValueError("bad properties: not valid JSON") from None
        if not isinstance(doc, dict):
            raise ValueError("bad properties: must be a JSON object")
        return raw  # stored as sent (numbers keep their exact text)
    if not isinstance(raw, dict):
        raise ValueError("bad properties: must be a JSON object")
    return json.dumps(_plain(raw), separators=(", ", ": "))


def _plain(value: Any) -> Any:
    """JSON-safe properties (exact decimals as text)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _lookup_customers(session: Session, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(codes)
    for i in range(0, len(ordered), 1000):
        chunk = ordered[i:i + 1000]
        found.update((code, cid) for code, cid in session.execute(
            sa.select(Customer.code, Customer.id).where(Customer.code.in_(chunk))).all())
    return found


def validate(session: Session, records: Iterable[Record]) -> _Validated:
    """Check every record; collect valid rows, in-batch duplicates and errors by line."""
    raws = records if isinstance(records, list) else list(records)
    out = _Validated(received=len(raws))
    customers = _lookup_customers(session, {str(r[2]) for r in raws if r[2] is not None})
    meters = {et: mid for et, mid in session.execute(sa.select(Meter.event_type, Meter.id))}
    seen: set[str] = set()
    rows = out.rows
    qty_match = _QTY.match
    fromiso = datetime.fromisoformat
    utc = UTC
    scale = QUANTITY_SCALE

    def reject(line: int, reason: str) -> None:
        out.rejected += 1
        if len(out.errors) < MAX_REPORTED_ERRORS:
            out.errors.append(RowError(line, reason))

    for line, key, code, event_type, qty, ts, props, problem in raws:
        if problem is not None:
            reject(line, problem)
            continue
        if key is None:
            reject(line, "missing idempotency key")
            continue
        if not isinstance(key, str):
            key = str(key)
        if len(key) > MAX_KEY_LENGTH:
            reject(line, f"idempotency key longer than {MAX_KEY_LENGTH} characters")
            continue
        if code is None:
            reject(line, "missing customer code")
            continue
        customer_id = customers.get(code if isinstance(code, str) else str(code))
        if customer_id is None:
            reject(line, f"unknown customer {code!r}")
            continue
        if event_type is None:
            reject(line, "missing event type")
            continue
        meter_id = meters.get(event_type if isinstance(event_type, str) else str(event_type))
        if meter_id is None:
            reject(line, f"unknown meter (event type {event_type!r})")
            continue
        if qty is None:
            reject(line, "missing quantity")
            continue
        if ts is None:
            reject(line, "missing timestamp")
            continue
        try:
            match = qty_match(qty) if isinstance(qty, str) else None
            if match is not None:
                whole, frac = match.groups()
                quantity = int(whole) * scale + (int(frac.ljust(6, "0")) if frac else 0)
            else:
                quantity = parse_quantity_micro(qty)
            if isinstance(ts, str):
                try:
                    occurred = fromiso(ts)
                except ValueError:
                    raise ValueError(f"bad timestamp {ts!r}: not ISO-8601") from None
                if occurred.tzinfo is None:
                    raise ValueError(f"bad timestamp {ts!r}: an offset is required "
                                     "(e.g. +00:00 or Z)")
                occurred = occurred.astimezone(utc)
            else:
                occurred = parse_timestamp(ts)
            text = properties_text(props) if props is not None else None
        except ValueError as exc:
            reject(line, str(exc))
            continue
        if key in seen:
            out.duplicates += 1
            continue
        seen.add(key)
        rows.append((key, customer_id, meter_id, quantity, text, occurred))
    return out


# ----------------------------------------------------------------------------- writing


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
    record(session, actor=actor, action=f"usage.import.{status}", object_type="usage_import",
           object_id=imp.id, after={"source": source, "filename": filename,
                                    "received": checked.received, "inserted": inserted,
                                    "duplicates": duplicates, "rejected": checked.rejected})
    return ImportReport(import_id=imp.id, status=status, received=checked.received,
                        inserted=inserted, duplicates=duplicates, rejected=checked.rejected,
                        errors=tuple(checked.errors), source=source, filename=filename)


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
    suffix = Path(filename or file.name).suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise InvalidInput("Usage files must be .csv or .jsonl.")
    with file.open(encoding="utf-8-sig", newline="") as handle, unit_of_work(engine) as s:
        records = read_csv(handle) if suffix == ".csv" else read_jsonl(handle)
        return ingest(s, records, source=source, actor=actor, filename=filename or file.name)


def import_usage_upload(filename: str, content: bytes, *, user_id: int) -> ImportReport:
    """Page-facing: import an uploaded .csv/.jsonl file as a signed-in user (source
    ``upload``). Run it with asyncio.to_thread for big files.

    Raises:
        InvalidInput: for another extension. NotAllowed: without the import_usage permission.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise InvalidInput("Usage files must be .csv or .jsonl.")
    with read_session() as s:
        actor = actor_for(s, user_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        return import_usage_file(None, path, actor=actor, source="upload",
                                 filename=Path(filename).name[:500])


def ingest_batch(engine: sa.Engine | None, events: Sequence[Any], *, actor: Actor,
                 source: str = "api") -> ImportReport:
    """Import a JSON list of events (the HTTP endpoint) in one transaction."""
    with unit_of_work(engine) as s:
        return ingest(s, read_batch(events), source=source, actor=actor)


# ----------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class UsageAggregate:
    """A customer's usage of one meter over a period, by the meter's aggregation.

    Attributes:
        customer_id: the customer.
        meter_id: the meter.
        aggregation: sum | count | max | unique_count | latest.
        units: the billable units.
        events: number of events.
        first_at: first event's time.
        last_at: last event's time.
    """

    customer_id: int
    meter_id: int
    aggregation: str
    units: Decimal
    events: int
    first_at: datetime | None
    last_at: datetime | None


def period_bounds(period_start: date, period_end: date) -> tuple[datetime, datetime]:
    """``[start 00:00 UTC, day after end 00:00 UTC)`` for a period of whole days."""
    return (datetime.combine(period_start, time(0), UTC),
            datetime.combine(period_end + timedelta(days=1), time(0), UTC))


def _ids_filter(column: Any, ids: Sequence[int] | None) -> list[Any]:
    return [] if ids is None else [column.in_(list(ids))]


def aggregate_usage(session: Session, *, period_start: date, period_end: date,
                    customer_ids: Sequence[int] | None = None,
                    meter_ids: Sequence[int] | None = None
                    ) -> dict[tuple[int, int], UsageAggregate]:
    """Aggregate usage_event per customer and meter over a period, in SQL.

    sum, count and max come from one GROUP BY; unique_count counts distinct values of the
    meter's ``field_name`` property; latest takes the quantity of the last event (by time,
    then id) with a window function.

    Args:
        session: any session.
        period_start: first day (UTC).
        period_end: last day (UTC, inclusive).
        customer_ids: only these customers (None: all).
        meter_ids: only these meters (None: all).

    Returns:
        ``(customer_id, meter_id) -> aggregate`` for pairs with at least one event.
    """
    start, end = period_bounds(period_start, period_end)
    meters = {m.id: m for m in session.execute(sa.select(Meter)).scalars()}
    conds = [UsageEvent.occurred_at >= start, UsageEvent.occurred_at < end,
             *_ids_filter(UsageEvent.customer_id, customer_ids),
             *_ids_filter(UsageEvent.meter_id, meter_ids)]
    e = UsageEvent
    base = session.execute(
        sa.select(e.customer_id, e.meter_id, sa.func.sum(e.quantity_micro), sa.func.count(),
                  sa.func.max(e.quantity_micro), sa.func.min(e.occurred_at),
                  sa.func.max(e.occurred_at))
        .where(*conds).group_by(e.customer_id, e.meter_id)).all()
    special: dict[tuple[int, int], Decimal] = {}
    for meter in meters.values():
        if meter_ids is not None and meter.id not in meter_ids:
            continue
        if meter.aggregation == "unique_count" and meter.field_name:
            value = e.properties[meter.field_name].as_string()
            for cid, mid, n in session.execute(
                    sa.select(e.customer_id, e.meter_id, sa.func.count(sa.distinct(value)))
                    .where(*conds, e.meter_id == meter.id)
                    .group_by(e.customer_id, e.meter_id)).all():
                special[(cid, mid)] = Decimal(n)
        elif meter.aggregation == "latest":
            ranked = (sa.select(e.customer_id, e.meter_id, e.quantity_micro,
                                sa.func.row_number().over(
                                    partition_by=(e.customer_id, e.meter_id),
                                    order_by=(e.occurred_at.desc(), e.id.desc())).label("rn"))
                      .where(*conds, e.meter_id == meter.id).subquery())
            for cid, mid, q in session.execute(
                    sa.select(ranked.c.customer_id, ranked.c.meter_id, ranked.c.quantity_micro)
                    .where(ranked.c.rn == 1)).all():
                special[(cid, mid)] = micro_to_quantity(q)
    out: dict[tuple[int, int], UsageAggregate] = {}
    for cid, mid, total, count, biggest, first_at, last_at in base:
        meter = meters.get(mid)
        how = meter.aggregation if meter else "sum"
        if how == "count":
            units = Decimal(count)
        elif how == "max":
            units = micro_to_quantity(int(biggest))
        elif how in ("unique_count", "latest"):
            units = special.get((cid, mid), Decimal(0))
        else:
            units = micro_to_quantity(int(total))
        out[(cid, mid)] = UsageAggregate(cid, mid, how, units, int(count), first_at, last_at)
    return out


def event_quantities(session: Session, *, pairs: Iterable[tuple[int, int]], period_start: date,
                     period_end: date) -> dict[tuple[int, int], tuple[Decimal, ...]]:
    """Each event's quantity in order (time, id) per (customer, meter), for percentage charges.

    Loads only the meters and customers in ``pairs``.
    """
    wanted = set(pairs)
    if not wanted:
        return {}
    start, end = period_bounds(period_start, period_end)
    out: dict[tuple[int, int], list[Decimal]] = {}
    customers = sorted({c for c, _ in wanted})
    meters = sorted({m for _, m in wanted})
    for i in range(0, len(customers), 1000):
        rows = session.execute(
            sa.select(UsageEvent.customer_id, UsageEvent.meter_id, UsageEvent.quantity_micro)
            .where(UsageEvent.customer_id.in_(customers[i:i + 1000]),
                   UsageEvent.meter_id.in_(meters), UsageEvent.occurred_at >= start,
                   UsageEvent.occurred_at < end)
            .order_by(UsageEvent.customer_id, UsageEvent.meter_id, UsageEvent.occurred_at,
                      UsageEvent.id)).all()
        for cid, mid, q in rows:
            if (cid, mid) in wanted:
                out.setdefault((cid, mid), []).append(micro_to_quantity(q))
    return {k: tuple(v) for k, v in out.items()}


# ----------------------------------------------------------------------------- read views


@dataclass(frozen=True)
class DailyPoint:
    """One day of a meter's usage (quantity as text; ``value`` is for a chart axis only)."""

    day: str
    quantity: str
    max_quantity: str
    events: int
    value: float


@dataclass(frozen=True)
class EventRow:
    """One usage event for display."""

    id: int
    occurred_at: str
    quantity: str
    idempotency_key: str
    properties: str


def daily_usage(session: Session, *, customer_id: int, meter_id: int, start: date, end: date
                ) -> list[DailyPoint]:
    """The meter's daily aggregates for a customer between two days (inclusive)."""
    rows = session.execute(
        sa.select(UsageDaily.day, UsageDaily.quantity_micro, UsageDaily.max_micro,
                  UsageDaily.events)
        .where(UsageDaily.customer_id == customer_id, UsageDaily.meter_id == meter_id,
               UsageDaily.day >= start, UsageDaily.day <= end)
        .order_by(UsageDaily.day)).all()
    # float only for the chart's axis; the text fields carry the exact values.
    return [DailyPoint(d.isoformat(), format(micro_to_quantity(q), "f"),
                       format(micro_to_quantity(mx), "f"), int(n),
                       float(micro_to_quantity(q)))
            for d, q, mx, n in rows]


def usage_events(session: Session, *, customer_id: int, meter_id: int, start_at: datetime,
                 end_at: datetime, page: int = 0, page_size: int = 50
                 ) -> tuple[list[EventRow], int]:
    """One page of events (newest first) between two instants (both inclusive) and the count."""
    conds = [UsageEvent.customer_id == customer_id, UsageEvent.meter_id == meter_id,
             UsageEvent.occurred_at >= start_at, UsageEvent.occurred_at <= end_at]
    total = int(session.execute(sa.select(sa.func.count()).select_from(UsageEvent)
                                .where(*conds)).scalar_one())
    rows = session.execute(
        sa.select(UsageEvent).where(*conds)
        .order_by(UsageEvent.occurred_at.desc(), UsageEvent.id.desc())
        .offset(max(page, 0) * page_size).limit(page_size)).scalars().all()
    return [EventRow(r.id, r.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                     format(micro_to_quantity(r.quantity_micro), "f"), r.idempotency_key,
                     json.dumps(r.properties, sort_keys=True) if r.properties else "")
            for r in rows], total


@dataclass(frozen=True)
class ImportRow:
    """One usage import in the history list."""

    id: int
    created: str
    source: str
    filename: str
    status: str
    received: int
    inserted: int
    duplicates: int
    rejected: int
    errors: tuple[str, ...]


def recent_imports(session: Session, *, limit: int = 50) -> list[ImportRow]:
    """The latest usage imports, newest first."""
    rows = session.execute(sa.select(UsageImport).order_by(UsageImport.id.desc()).limit(limit)
                           ).scalars().all()
    return [ImportRow(r.id, r.created_at.strftime("%Y-%m-%d %H:%M UTC"), r.source,
                      r.filename or "", r.status, r.received, r.inserted, r.duplicates,
                      r.rejected, tuple(_error_text(e) for e in (r.errors or [])[:20]))
            for r in rows]


def _error_text(error: Any) -> str:
    """One stored error as ``line N: reason`` (older rows use ``row``/``error`` keys)."""
    if not isinstance(error, dict):
        return str(error)
    line = error.get("line", error.get("row", "?"))
    return f"line {line}: {error.get('reason', error.get('error', ''))}"


def recent_imports_view(limit: int = 50) -> list[ImportRow]:
    """Page-facing :func:`recent_imports` in its own read session."""
    with read_session() as s:
        return recent_imports(s, limit=limit)
