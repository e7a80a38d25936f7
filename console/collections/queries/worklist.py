"""The collections worklist: open receivables per customer and currency, aged at an as-of day,
with the totals by aging bucket.

Customers are grouped in SQL (one row per customer and currency) and paged on the server; the
latest note (or promise to pay) of each customer on the page is shown with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.collections.domain import AGING_BUCKETS, bucket_label, days_past_due
from console.collections.queries.receivables import bucket_case, open_conditions, open_expr
from console.money import format_minor
from models import CollectionNote, Customer, Invoice
from models.db import read_session
from models.types import utcnow

PAGE_SIZE = 50
SORTS = ("oldest", "total", "customer")


@dataclass(frozen=True)
class WorklistFilter:
    """What the worklist shows.

    Attributes:
        bucket: only customers with a balance in this bucket (empty: any).
        currency: one currency (empty: any).
        text: customer name or code.
        sort: ``oldest`` (most overdue first), ``total`` or ``customer``.
    """

    bucket: str = ""
    currency: str = ""
    text: str = ""
    sort: str = "oldest"


@dataclass(frozen=True)
class WorklistRow:
    """A customer's open receivables in one currency (preformatted; ints for sorting)."""

    customer_id: int
    customer_code: str
    customer_name: str
    customer_status: str
    currency: str
    invoices: int
    total: str
    total_minor: int
    current: str
    d1_30: str
    d31_60: str
    d61_90: str
    d90_plus: str
    oldest_due: str
    days_past_due: int
    last_note: str
    promise: str


@dataclass(frozen=True)
class BucketTotal:
    """The open balance of one bucket in one currency."""

    currency: str
    bucket: str
    label: str
    amount: str
    amount_minor: int


@dataclass(frozen=True)
class AgingRow:
    """The open receivables of one currency by bucket (one row of the summary table)."""

    currency: str
    current: str
    d1_30: str
    d31_60: str
    d61_90: str
    d90_plus: str
    total: str


@dataclass(frozen=True)
class WorklistPage:
    """A page of the worklist and the totals by bucket."""

    rows: list[WorklistRow]
    total: int
    page: int
    pages: int
    totals: list[BucketTotal]
    as_of: str
    aging: list[AgingRow]


def aging_rows(totals: list[BucketTotal]) -> list[AgingRow]:
    """The bucket totals as one row per currency."""
    out = []
    for cur in sorted({t.currency for t in totals}):
        amounts = {t.bucket: t.amount_minor for t in totals if t.currency == cur}
        texts = [format_minor(amounts.get(b, 0), cur) for b in AGING_BUCKETS]
        out.append(AgingRow(cur, *texts, format_minor(sum(amounts.values()), cur)))
    return out


def filter_conditions(f: WorklistFilter) -> list[Any]:
    """SQL conditions of open receivables matching the filter's currency and text (the bucket
    is left to the caller: the worklist keeps customers with a balance in it, the export keeps
    invoices in it)."""
    conds = open_conditions()
    if f.currency:
        conds.append(Invoice.currency == f.currency)
    text = f.text.strip().lower()
    if text:
        like = f"%{text}%"
        conds.append(sa.or_(sa.func.lower(Customer.name).like(like),
                            sa.func.lower(Customer.code).like(like)))
    return conds


def _grouped(as_of: date, f: WorklistFilter) -> Any:
    bucket = bucket_case(as_of)
    open_ = open_expr()
    sums = [sa.func.coalesce(sa.func.sum(sa.case((bucket == b, open_), else_=0)), 0).label(
        f"b{i}") for i, b in enumerate(AGING_BUCKETS)]
    query = (sa.select(Invoice.customer_id, Invoice.currency, Customer.code, Customer.name,
                       Customer.status, sa.func.count(Invoice.id).label("n"),
                       sa.func.sum(open_).label("total"),
                       sa.func.min(Invoice.due_date).label("oldest"), *sums)
             .join(Customer, Customer.id == Invoice.customer_id).where(*filter_conditions(f))
             .group_by(Invoice.customer_id, Invoice.currency, Customer.code, Customer.name,
                       Customer.status))
    if f.bucket in AGING_BUCKETS:
        query = query.having(sa.func.sum(sa.case((bucket == f.bucket, open_), else_=0)) > 0)
    return query


def _latest_notes(session: Session, ids: list[int]) -> dict[int, CollectionNote]:
    if not ids:
        return {}
    latest = (sa.select(CollectionNote.customer_id, sa.func.max(CollectionNote.id).label("i"))
              .where(CollectionNote.customer_id.in_(ids))
              .group_by(CollectionNote.customer_id).subquery())
    return {n.customer_id: n for n in session.execute(sa.select(CollectionNote).join(
        latest, latest.c.i == CollectionNote.id)).scalars()}


def worklist(session: Session, f: WorklistFilter, *, as_of: date, page: int = 0,
             page_size: int = PAGE_SIZE) -> tuple[list[WorklistRow], int]:
    """One page of customers with open receivables, and how many match.

    Args:
        session: an open session.
        f: the filter and sort.
        as_of: the day balances are aged at.
        page: the page (from 0).
        page_size: rows per page.

    Returns:
        The rows of the page and the number of rows that match.
    """
    grouped = _grouped(as_of, f).subquery()
    total = int(session.execute(sa.select(sa.func.count()).select_from(grouped)).scalar_one())
    order = {"total": [grouped.c.total.desc()],
             "customer": [sa.func.lower(grouped.c.name)]}.get(
        f.sort, [grouped.c.oldest.asc(), grouped.c.total.desc()])
    found = session.execute(sa.select(grouped).order_by(*order, grouped.c.customer_id,
                                                        grouped.c.currency)
                            .offset(max(page, 0) * page_size).limit(page_size)).all()
    notes = _latest_notes(session, [r.customer_id for r in found])
    rows = []
    for r in found:
        cur = r.currency
        amounts = [int(getattr(r, f"b{i}")) for i in range(len(AGING_BUCKETS))]
        note = notes.get(r.customer_id)
        promise = ""
        if note is not None and note.kind == "promise_to_pay" and note.promised_on:
            promise = (f"{format_minor(note.promised_minor or 0, cur)} by "
                       f"{note.promised_on.isoformat()}")
        oldest = r.oldest if isinstance(r.oldest, date) else date.fromisoformat(str(r.oldest))
        rows.append(WorklistRow(
            customer_id=r.customer_id, customer_code=r.code, customer_name=r.name,
            customer_status=r.status, currency=cur, invoices=int(r.n),
            total=format_minor(int(r.total), cur), total_minor=int(r.total),
            current=format_minor(amounts[0], cur), d1_30=format_minor(amounts[1], cur),
            d31_60=format_minor(amounts[2], cur), d61_90=format_minor(amounts[3], cur),
            d90_plus=format_minor(amounts[4], cur), oldest_due=oldest.isoformat(),
            days_past_due=max(0, days_past_due(oldest, as_of)),
            last_note=(note.body[:120] if note else ""), promise=promise))
    return rows, total


def bucket_totals(session: Session, *, as_of: date, currency: str = "") -> list[BucketTotal]:
    """Open receivables per currency and bucket (every bucket, zeros included)."""
    bucket = bucket_case(as_of).label("bucket")
    conds = open_conditions()
    if currency:
        conds.append(Invoice.currency == currency)
    found = session.execute(sa.select(Invoice.currency, bucket, sa.func.sum(open_expr()))
                            .where(*conds).group_by(Invoice.currency, bucket)).all()
    sums = {(c, b): int(v) for c, b, v in found}
    out = []
    for cur in sorted({c for c, _ in sums}):
        out.extend(BucketTotal(cur, b, bucket_label(b), format_minor(sums.get((cur, b), 0), cur),
                               sums.get((cur, b), 0)) for b in AGING_BUCKETS)
    return out


# --- page-facing


def worklist_view(f: WorklistFilter, *, as_of: date | None = None, page: int = 0,
                  page_size: int = PAGE_SIZE) -> WorklistPage:
    """Page-facing :func:`worklist` with the bucket totals, in one read session."""
    as_of = as_of or utcnow().date()
    with read_session() as s:
        rows, total = worklist(s, f, as_of=as_of, page=page, page_size=page_size)
        totals = bucket_totals(s, as_of=as_of, currency=f.currency)
    pages = max(1, -(-total // page_size))
    return WorklistPage(rows, total, min(max(page, 0), pages - 1), pages, totals,
                        as_of.isoformat(), aging_rows(totals))
