"""The dispute queue: its tabs, filters and counts, with each case's SLA countdown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.billing import CreditNoteStatus
from console.disputes.domain.sla import DUE_SOON_HOURS, REASON_LABELS, REASONS, sla_view
from console.disputes.domain.status import CLOSED, LABELS, is_active
from console.disputes.queries.display import as_utc, timestamp
from console.disputes.queries.loaders import ACTIVE_VALUES, user_names
from console.money import format_minor
from models import CreditNote, Customer, Dispute, Invoice
from models.db import read_session
from models.types import utcnow

PAGE_SIZE = 25
VIEWS = ("active", "mine", "unassigned", "due_soon", "overdue", "closed", "all")
VIEW_LABELS = {"active": "All open", "mine": "My cases", "unassigned": "Unassigned",
               "due_soon": "Due soon", "overdue": "Overdue", "closed": "Closed", "all": "All"}
DUE_SOON = timedelta(hours=DUE_SOON_HOURS)

_CLOSED = [s.value for s in CLOSED]


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows.

    Attributes:
        view: one of :data:`VIEWS`.
        reason: one reason, or empty for any.
        text: matched against the customer's name and code, or ``#id``.
    """

    view: str = "active"
    reason: str = ""
    text: str = ""


@dataclass(frozen=True)
class DisputeRow:
    """One case in the queue (preformatted; integers for sorting)."""

    id: int
    version: int
    customer_id: int
    customer_code: str
    customer_name: str
    invoice_id: int
    invoice_number: str
    reason: str
    reason_label: str
    status: str
    status_label: str
    owner_id: int
    owner: str
    amount: str
    amount_minor: int
    opened: str
    due: str
    sla_state: str
    sla_text: str
    credit_pending: bool


@dataclass(frozen=True)
class QueueCounts:
    """How many cases each tab holds."""

    active: int
    mine: int
    unassigned: int
    due_soon: int
    overdue: int


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue and the tab counts."""

    rows: list[DisputeRow]
    total: int
    page: int
    pages: int
    counts: QueueCounts


def _view_conditions(view: str, *, user_id: int, now: datetime) -> list[Any]:
    active = Dispute.status.in_(ACTIVE_VALUES)
    return {
        "active": [active],
        "mine": [active, Dispute.owner_id == user_id],
        "unassigned": [active, Dispute.owner_id.is_(None)],
        "due_soon": [active, Dispute.response_due_at >= now,
                     Dispute.response_due_at <= now + DUE_SOON],
        "overdue": [active, Dispute.response_due_at < now],
        "closed": [Dispute.status.in_(_CLOSED)],
        "all": [],
    }.get(view, [active])


def queue_counts(session: Session, *, user_id: int, now: datetime) -> QueueCounts:
    """The number of cases per working tab (one query).

    Args:
        session: an open session.
        user_id: whose cases count as "mine".
        now: the clock the due-soon and overdue tabs use.

    Returns:
        The counts of the active, mine, unassigned, due-soon and overdue tabs.
    """
    active = Dispute.status.in_(ACTIVE_VALUES)

    def when(*conds: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conds), 1), else_=0)), 0)

    row = session.execute(sa.select(
        when(active), when(active, Dispute.owner_id == user_id),
        when(active, Dispute.owner_id.is_(None)),
        when(active, Dispute.response_due_at >= now, Dispute.response_due_at <= now + DUE_SOON),
        when(active, Dispute.response_due_at < now))).one()
    return QueueCounts(*(int(x) for x in row))


def queue(session: Session, f: QueueFilter, *, user_id: int, now: datetime | None = None,
          page: int = 0, page_size: int = PAGE_SIZE) -> tuple[list[DisputeRow], int]:
    """One page of the queue (working views by due date, closed ones newest first).

    Args:
        session: an open session.
        f: the tab, reason and search text.
        user_id: whose cases count as "mine".
        now: the clock (defaults to now).
        page: the page, from 0.
        page_size: rows per page.

    Returns:
        The page's rows and the number of cases the filter matches.
    """
    now = now or utcnow()
    conds = _view_conditions(f.view, user_id=user_id, now=now)
    if f.reason in REASONS:
        conds.append(Dispute.reason == f.reason)
    text = f.text.strip().lower()
    if text.startswith("#") and text[1:].isdigit():
        conds.append(Dispute.id == int(text[1:]))
    elif text:
        like = f"%{text}%"
        conds.append(sa.or_(sa.func.lower(Customer.name).like(like),
                            sa.func.lower(Customer.code).like(like)))
    base = (sa.select(Dispute, Customer.code, Customer.name, Invoice.number)
            .join(Customer, Customer.id == Dispute.customer_id)
            .outerjoin(Invoice, Invoice.id == Dispute.invoice_id).where(*conds))
    total = int(session.execute(sa.select(sa.func.count()).select_from(
        sa.select(Dispute.id).join(Customer, Customer.id == Dispute.customer_id)
        .where(*conds).subquery())).scalar_one())
    order = ([Dispute.opened_at.desc(), Dispute.id.desc()] if f.view in ("closed", "all")
             else [Dispute.response_due_at.asc(), Dispute.id.asc()])
    found = session.execute(base.order_by(*order).offset(max(page, 0) * page_size)
                            .limit(page_size)).all()
    ids = [d.id for d, *_ in found]
    owners = user_names(session, {d.owner_id for d, *_ in found})
    pending = set(session.execute(sa.select(CreditNote.dispute_id).where(
        CreditNote.dispute_id.in_(ids),
        CreditNote.status == CreditNoteStatus.PENDING_APPROVAL.value)).scalars()) if ids else set()
    rows = []
    for d, code, name, number in found:
        sla = sla_view(as_utc(d.response_due_at), now=now, active=is_active(d.status),
                       resolved_at=as_utc(d.resolved_at))
        rows.append(DisputeRow(
            id=d.id, version=d.version, customer_id=d.customer_id, customer_code=code,
            customer_name=name, invoice_id=d.invoice_id or 0, invoice_number=number or "—",
            reason=d.reason, reason_label=REASON_LABELS.get(d.reason, d.reason),
            status=d.status, status_label=LABELS.get(d.status, d.status),
            owner_id=d.owner_id or 0, owner=owners.get(d.owner_id, "Unassigned"),
            amount=format_minor(d.amount_minor, d.currency), amount_minor=d.amount_minor,
            opened=timestamp(d.opened_at), due=timestamp(d.response_due_at), sla_state=sla.state,
            sla_text=sla.text, credit_pending=d.id in pending))
    return rows, total


# --- page-facing


def queue_view(f: QueueFilter, *, user_id: int, page: int = 0, now: datetime | None = None,
               page_size: int = PAGE_SIZE) -> QueuePage:
    """Page-facing :func:`queue` with the tab counts, in one read session.

    Returns:
        The rows, the total, the page (clamped to the pages there are) and the tab counts.
    """
    now = now or utcnow()
    with read_session() as s:
        rows, total = queue(s, f, user_id=user_id, now=now, page=page, page_size=page_size)
        counts = queue_counts(s, user_id=user_id, now=now)
    pages = max(1, -(-total // page_size))
    return QueuePage(rows, total, min(max(page, 0), pages - 1), pages, counts)
