"""The worklist as CSV: every open invoice that matches the worklist's filter, one row each."""

from __future__ import annotations

import csv
import io
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from console.collections.domain import AGING_BUCKETS, days_past_due
from console.collections.queries.receivables import bucket_case, open_expr
from console.collections.queries.worklist import WorklistFilter, filter_conditions
from console.kernel.actor import actor_for
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import major_text
from models import Customer, Invoice
from models.db import read_session
from models.types import utcnow

HEADER = ("customer_code", "customer_name", "invoice", "currency", "issued", "due_date",
          "days_past_due", "bucket", "total", "open")


def export_csv(session: Session, f: WorklistFilter, *, as_of: date) -> str:
    """Every open invoice matching the filter as CSV (amounts in major units, no symbols).

    Args:
        session: an open session.
        f: the worklist's filter (its sort is not used: rows go by customer and due date).
        as_of: the day balances are aged at.

    Returns:
        The CSV text with a header row.
    """
    bucket = bucket_case(as_of).label("bucket")
    conds = filter_conditions(f)
    if f.bucket in AGING_BUCKETS:
        conds.append(bucket_case(as_of) == f.bucket)
    rows = session.execute(
        sa.select(Customer.code, Customer.name, Invoice.number, Invoice.currency,
                  Invoice.issued_at, Invoice.due_date, Invoice.total_minor,
                  open_expr().label("open"), bucket)
        .join(Customer, Customer.id == Invoice.customer_id).where(*conds)
        .order_by(Customer.code, Invoice.due_date, Invoice.id)).all()
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(list(HEADER))
    for r in rows:
        due = r.due_date if isinstance(r.due_date, date) else date.fromisoformat(str(r.due_date))
        w.writerow([r.code, r.name, r.number, r.currency,
                    r.issued_at.date().isoformat() if r.issued_at else "", due.isoformat(),
                    days_past_due(due, as_of), r.bucket, major_text(int(r.total_minor), r.currency),
                    major_text(int(r.open), r.currency)])
    return out.getvalue()


# --- page-facing


def export_csv_view(f: WorklistFilter, *, user_id: int, as_of: date | None = None) -> str:
    """Page-facing :func:`export_csv` (re-checks that the user may read collections).

    Raises:
        NotAllowed: the user may not view collections.
    """
    as_of = as_of or utcnow().date()
    with read_session() as s:
        require(s, actor_for(s, user_id), Permission.VIEW_COLLECTIONS, system=True)
        return export_csv(s, f, as_of=as_of)
