"""Usage records: reading CSV, JSON Lines and HTTP batches, and validating every record.

A record has ``customer_code`` (alias ``customer``), ``event_type`` (alias ``meter``: the
meter's event type), ``quantity`` (decimal text, at most 6 decimals, not negative; JSON numbers
are read exactly), ``timestamp`` (alias ``occurred_at``: ISO-8601 *with* an offset),
``idempotency_key`` (alias ``key``) and optional ``properties`` (a JSON object; in CSV a JSON
text column).

Every record is validated before anything is written (:func:`validate`); bad records are
reported by line number (CSV: the physical line, header = 1; JSONL: the line; HTTP: the item's
1-based position) with the reason. Records repeated inside a batch (same idempotency key) are
counted as duplicates. Writing the batch is :mod:`console.billing.usecases.usage_import`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from models import Customer, Meter
from models.types import QUANTITY_SCALE

#: Errors kept on the usage_import row and in the report (the count is always complete).
MAX_REPORTED_ERRORS = 1000
MAX_KEY_LENGTH = 128

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


#: A parsed record: (line, key, customer code, event type, quantity, timestamp, properties,
#: problem). Missing values are None; ``problem`` is set when the record could not be read.
Record = tuple[int, Any, Any, Any, Any, Any, Any, "str | None"]


@dataclass(slots=True)
class ValidatedBatch:
    """What :func:`validate` found: the good rows, in-batch duplicates and the bad records."""

    #: (key, customer id, meter id, quantity micro, properties JSON text, occurred_at UTC)
    rows: list[tuple[str, int, int, int, str | None, datetime]] = field(default_factory=list)
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: int = 0
    received: int = 0


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


def validate(session: Session, records: Iterable[Record]) -> ValidatedBatch:
    """Check every record; collect valid rows, in-batch duplicates and errors by line.

    Args:
        session: the caller's session (customers and meters are looked up in bulk).
        records: parsed records (:func:`read_csv`, :func:`read_jsonl`, :func:`read_batch`).

    Returns:
        The rows to store and the count and first :data:`MAX_REPORTED_ERRORS` bad records.
    """
    raws = records if isinstance(records, list) else list(records)
    out = ValidatedBatch(received=len(raws))
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

