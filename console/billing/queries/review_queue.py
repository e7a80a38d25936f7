"""The invoice review queue: filters, sorting and server-side pagination, and the filters'
options.

Bill runs write invoices in status ``draft``; a held invoice is ``in_review``; the queue shows
both (see :data:`console.billing.domain.status.REVIEW_QUEUE_STATUSES`). The reviewer's actions
are :mod:`console.billing.usecases.invoices`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.billing.domain.anomalies import FLAG_LABELS
from console.billing.domain.status import REVIEW_QUEUE_STATUSES
from console.money import format_minor
from models import BillRun, Customer, Invoice, Plan, PlanVersion, Subscription
from models.db import read_session

#: Rows per page of the queue.
PAGE_SIZE = 50


@dataclass(frozen=True)
class ReviewFilter:
    """Filters of the review queue (empty: any).

    Attributes:
        flag: a flag code (see :data:`console.billing.domain.anomalies.FLAG_LABELS`).
        status: one status, ``"all"``, or empty for the queue (draft + in_review).
        customer: text matched against the customer's name and code.
        plan_id: invoices on a version of this plan.
        bill_run_id: invoices of this bill run.
        min_amount_minor: total at least this (minor units of the invoice's currency).
        max_amount_minor: total at most this.
        currency: one currency.
    """

    flag: str = ""
    status: str = ""
    customer: str = ""
    plan_id: int | None = None
    bill_run_id: int | None = None
    min_amount_minor: int | None = None
    max_amount_minor: int | None = None
    currency: str = ""


@dataclass(frozen=True)
class ReviewRow:
    """One invoice in the review queue (preformatted; integers for sorting)."""

    id: int
    number: str
    customer_id: int
    customer_code: str
    customer_name: str
    plan: str
    period: str
    status: str
    currency: str
    total: str
    total_minor: int
    flags: tuple[str, ...]
    flag_codes: tuple[str, ...]
    flag_count: int
    hold_reason: str
    created: str
    version: int


@dataclass(frozen=True)
class ReviewPage:
    """A page of the queue."""

    rows: list[ReviewRow]
    total: int
    page: int
    pages: int


#: The sort keys :func:`review_queue` takes.
SORTS = ("created", "amount", "customer", "flags")


@dataclass(frozen=True)
class Choice:
    """One option of a filter (value as text, as forms send it)."""

    value: str
    label: str


@dataclass(frozen=True)
class ReviewChoices:
    """The options of the review queue's filters."""

    flags: list[Choice]
    plans: list[Choice]
    runs: list[Choice]
    currencies: list[str]


def _flag_count() -> Any:
    return sa.func.json_array_length(Invoice.flags)


def _conditions(f: ReviewFilter) -> tuple[list[Any], bool, bool]:
    """WHERE conditions, and whether they need the customer / plan-version joins."""
    conds: list[Any] = []
    if f.status == "all":
        pass
    elif f.status:
        conds.append(Invoice.status == f.status)
    else:
        conds.append(Invoice.status.in_([s.value for s in REVIEW_QUEUE_STATUSES]))
    if f.flag:
        code = f.flag.replace('"', "").replace("%", "").replace("_", "\\_")
        conds.append(sa.cast(Invoice.flags, sa.Text).like(f'%"{code}"%', escape="\\"))
    if f.bill_run_id is not None:
        conds.append(Invoice.bill_run_id == f.bill_run_id)
    if f.min_amount_minor is not None:
        conds.append(Invoice.total_minor >= f.min_amount_minor)
    if f.max_amount_minor is not None:
        conds.append(Invoice.total_minor <= f.max_amount_minor)
    if f.currency:
        conds.append(Invoice.currency == f.currency)
    need_customer = False
    text = f.customer.strip().lower()
    if text:
        like = f"%{text}%"
        conds.append(sa.or_(sa.func.lower(Customer.name).like(like),
                            sa.func.lower(Customer.code).like(like)))
        need_customer = True
    need_plan = f.plan_id is not None
    if need_plan:
        conds.append(PlanVersion.plan_id == f.plan_id)
    return conds, need_customer, need_plan


def _flag_texts(flags: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    codes = tuple(f["code"] if isinstance(f, dict) else str(f) for f in flags or [])
    return codes, tuple(FLAG_LABELS.get(c, c.replace("_", " ")) for c in codes)


def review_queue(session: Session, *, filters: ReviewFilter | None = None, sort: str = "created",
                 descending: bool = True, page: int = 0, page_size: int = PAGE_SIZE
                 ) -> tuple[list[ReviewRow], int]:
    """One page of invoices to review and the number matching (server-side pagination).

    Filters use indexed columns (status, bill_run_id, customer); the count query joins only
    what the filters need.

    Args:
        session: any session.
        filters: what to show (default: the queue, draft + in_review).
        sort: ``created``, ``amount``, ``customer`` or ``flags`` (number of flags).
        descending: largest/newest first.
        page: 0-based page.
        page_size: rows per page.

    Returns:
        ``(rows, total)``.
    """
    f = filters or ReviewFilter()
    conds, need_customer, need_plan = _conditions(f)
    count_q = sa.select(sa.func.count()).select_from(Invoice)
    if need_customer:
        count_q = count_q.join(Customer, Customer.id == Invoice.customer_id)
    if need_plan:
        count_q = count_q.join(PlanVersion, PlanVersion.id == Invoice.plan_version_id)
    total = int(session.execute(count_q.where(*conds)).scalar_one())
    order_col = {"amount": Invoice.total_minor, "customer": sa.func.lower(Customer.name),
                 "flags": _flag_count()}.get(sort, Invoice.created_at)
    order = [order_col.desc() if descending else order_col.asc(),
             Invoice.id.desc() if descending else Invoice.id.asc()]
    # Phase 1: the page's ids from the invoice table alone (joins only when a filter or the
    # sort needs them), so the top-N sort never carries joined columns of every row.
    ids_q = sa.select(Invoice.id)
    if need_customer or sort == "customer":
        ids_q = ids_q.join(Customer, Customer.id == Invoice.customer_id)
    if need_plan:
        ids_q = ids_q.join(PlanVersion, PlanVersion.id == Invoice.plan_version_id)
    ids = list(session.execute(ids_q.where(*conds).order_by(*order)
                               .offset(max(page, 0) * page_size).limit(page_size)).scalars())
    if not ids:
        return [], total
    # Phase 2: the display columns of those rows only.
    fetched = {r.id: r for r in session.execute(
        sa.select(Invoice.id, Invoice.number, Invoice.customer_id, Customer.code, Customer.name,
                  Plan.name.label("plan_name"), PlanVersion.number.label("vnum"),
                  Invoice.period_start, Invoice.period_end, Invoice.status, Invoice.currency,
                  Invoice.total_minor, Invoice.flags, Invoice.hold_reason, Invoice.created_at,
                  Invoice.version)
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(PlanVersion, PlanVersion.id == Invoice.plan_version_id)
        .outerjoin(Plan, Plan.id == PlanVersion.plan_id)
        .where(Invoice.id.in_(ids))).all()}
    rows = [fetched[i] for i in ids if i in fetched]
    out = []
    for r in rows:
        codes, labels = _flag_texts(r.flags)
        out.append(ReviewRow(
            id=r.id, number=r.number or "(draft)", customer_id=r.customer_id,
            customer_code=r.code, customer_name=r.name,
            plan=f"{r.plan_name} v{r.vnum}" if r.plan_name else "—",
            period=f"{r.period_start:%Y-%m-%d} – {r.period_end:%Y-%m-%d}",
            status=r.status, currency=r.currency,
            total=format_minor(r.total_minor, r.currency), total_minor=r.total_minor,
            flags=labels, flag_codes=codes, flag_count=len(codes),
            hold_reason=r.hold_reason or "", created=r.created_at.strftime("%Y-%m-%d %H:%M"),
            version=r.version))
    return out, total


# --- page-facing


def review_page(filters: ReviewFilter | None = None, *, sort: str = "created",
                descending: bool = True, page: int = 0, page_size: int = PAGE_SIZE
                ) -> ReviewPage:
    """Page-facing :func:`review_queue` in its own read session.

    Returns:
        The page of rows, the number matching, the page shown (clamped to the last page) and
        the number of pages.
    """
    with read_session() as s:
        rows, total = review_queue(s, filters=filters, sort=sort, descending=descending,
                                   page=page, page_size=page_size)
    pages = max(1, -(-total // page_size))
    return ReviewPage(rows, total, min(max(page, 0), pages - 1), pages)


def review_choices(*, runs: int = 24) -> ReviewChoices:
    """Page-facing: the options of the queue's filters.

    Args:
        runs: how many of the latest bill runs to offer.

    Returns:
        Every flag, the plans, the latest bill runs and the invoiced currencies.
    """
    with read_session() as s:
        plans = s.execute(sa.select(Plan.id, Plan.name).order_by(Plan.position, Plan.name)).all()
        latest = s.execute(sa.select(BillRun.id, BillRun.period_start, BillRun.period_end)
                           .order_by(BillRun.period_start.desc(), BillRun.id.desc())
                           .limit(runs)).all()
        # Invoices bill in their subscription's currency; subscriptions are far fewer.
        currencies = s.execute(sa.select(Subscription.currency).distinct()
                               .order_by(Subscription.currency)).scalars().all()
    return ReviewChoices(
        flags=[Choice(code, label) for code, label in FLAG_LABELS.items()],
        plans=[Choice(str(pid), name) for pid, name in plans],
        runs=[Choice(str(rid), f"#{rid} · {start:%Y-%m-%d} – {end:%Y-%m-%d}")
              for rid, start, end in latest],
        currencies=list(currencies))
