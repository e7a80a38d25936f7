"""What an open receivable is, in Python and in SQL, and the loaders the collections reads and
writes share.

An open receivable is an issued invoice with ``total - credited - paid > 0`` and a due date;
its aging bucket is decided in SQL with ``CASE`` on due-date thresholds (see
:func:`console.collections.domain.aging.bucket_thresholds`), so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.billing import InvoiceStatus
from console.collections.domain import bucket_thresholds
from console.kernel.errors import NotFound
from models import Invoice


def open_minor(inv: Invoice) -> int:
    """What is left to pay on an invoice: total less credits and payments (minor units)."""
    return inv.total_minor - inv.credited_minor - inv.paid_minor


def open_expr() -> Any:
    """:func:`open_minor` as a SQL expression over ``invoice``."""
    return Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor


def open_conditions() -> list[Any]:
    """SQL conditions of an open receivable: issued, something open, and a due date."""
    return [Invoice.status == InvoiceStatus.ISSUED.value, open_expr() > 0,
            Invoice.due_date.is_not(None)]


def bucket_case(as_of: date) -> Any:
    """The aging bucket of ``invoice.due_date`` at ``as_of`` as a SQL ``CASE``."""
    whens = [(Invoice.due_date >= earliest, bucket) for bucket, earliest in
             bucket_thresholds(as_of)]
    return sa.case(*whens, else_="90+")


def load_invoice(session: Session, invoice_id: int) -> Invoice:
    """The invoice as the database has it now (the session's copy is refreshed).

    Raises:
        NotFound: no invoice with that id.
    """
    inv = session.execute(sa.select(Invoice).where(Invoice.id == invoice_id)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    return inv


def minute_text(value: datetime | None) -> str:
    """A time as the collections pages show it (``2026-11-20 09:30``; empty for none)."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""
