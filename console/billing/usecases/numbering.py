"""Gap-free document numbers (invoices, credit notes), taken under a lock in the caller's
transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from console.billing.domain.numbering import format_number
from models import InvoiceNumberSequence


def _dialect_insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def next_number(session: Session, *, series: str, year: int) -> str:
    """Take the next gap-free number of ``series`` for ``year`` inside the caller's transaction.

    The counter row is created if missing (``ON CONFLICT DO NOTHING``), then locked: ``SELECT
    ... FOR UPDATE`` on PostgreSQL; on SQLite the unit of work already holds the write lock
    (``BEGIN IMMEDIATE``). A rolled-back transaction gives its number back, so numbers have no
    gaps.

    Args:
        session: the caller's unit of work.
        series: ``INV`` or ``CN`` (see :mod:`console.billing.domain.numbering`).
        year: the year the number belongs to.

    Returns:
        The formatted number, e.g. ``INV-2026-000001``.
    """
    insert = _dialect_insert(session)
    session.execute(insert(InvoiceNumberSequence).values(series=series, year=year, last_number=0)
                    .on_conflict_do_nothing(index_elements=["series", "year"]))
    query = sa.select(InvoiceNumberSequence.last_number).where(
        InvoiceNumberSequence.series == series, InvoiceNumberSequence.year == year)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    last = session.execute(query).scalar_one()
    session.execute(sa.update(InvoiceNumberSequence).where(
        InvoiceNumberSequence.series == series, InvoiceNumberSequence.year == year)
        .values(last_number=last + 1))
    return format_number(series, year, last + 1)
