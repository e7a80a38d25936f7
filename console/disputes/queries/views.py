"""Read side of disputes: the queue (with SLA countdowns) and the case view.

The case view gathers what a support user needs to decide: the disputed lines with their price
breakdown, the usage behind usage lines (daily series; events page by page), the plan version
with its rate card and change history, the customer's other invoices, disputes and payments,
the timeline, the evidence, and the credit notes of the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console import catalog as catalog_views
from console.billing import (
    CreditNoteStatus,
    DailyPoint,
    EventRow,
    approval_threshold_minor,
    credited_per_line,
    daily_usage,
    usage_events,
)
from console.disputes.domain import REASONS, allowed_actions, can_reopen, is_active
from console.disputes.domain.evidence import allowed_text, human_size
from console.disputes.domain.sla import REASON_LABELS, sla_view
from console.disputes.domain.status import ACTION_LABELS, ACTIVE, CLOSED, LABELS, reopen_deadline
from console.disputes.usecases.cases import DISPUTABLE_INVOICE_STATUSES, reopen_window_days
from console.kernel.errors import InvalidInput, NotFound
from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, permissions_for
from console.money import MoneyError, format_minor, parse_major
from models import (
    CreditNote,
    Customer,
    Dispute,
    DisputeEvent,
    DisputeEvidence,
    DisputeLine,
    Invoice,
    InvoiceLine,
    Meter,
    Payment,
    PaymentAttempt,
    Plan,
    PlanVersion,
    User,
    UserRole,
)
from models.db import read_session
from models.types import utcnow

PAGE_SIZE = 25
VIEWS = ("active", "mine", "unassigned", "due_soon", "overdue", "closed", "all")
VIEW_LABELS = {"active": "All open", "mine": "My cases", "unassigned": "Unassigned",
               "due_soon": "Due soon", "overdue": "Overdue", "closed": "Closed", "all": "All"}
DUE_SOON = timedelta(hours=24)
EVENT_LABELS = {"note": "Note", "evidence": "Evidence", "status_change": "Status",
                "customer_contact": "Customer contact", "assignment": "Assignment",
                "credit_proposed": "Credit proposed", "credit_approved": "Credit approved",
                "credit_rejected": "Credit rejected"}


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.name).where(User.id.in_(wanted))).all())


def reason_choices() -> list[tuple[str, str]]:
    """(value, label) of every dispute reason."""
    return [(r, REASON_LABELS[r]) for r in REASONS]


# ----------------------------------------------------------------------------- queue


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


_ACTIVE = [s.value for s in ACTIVE]
_CLOSED = [s.value for s in CLOSED]


def _view_conditions(view: str, *, user_id: int, now: datetime) -> list[Any]:
    active = Dispute.status.in_(_ACTIVE)
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
    """The number of cases per working tab (one query)."""
    active = Dispute.status.in_(_ACTIVE)

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
    """One page of the queue (working views by due date, closed ones newest first)."""
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
    owners = _names(session, {d.owner_id for d, *_ in found})
    pending = set(session.execute(sa.select(CreditNote.dispute_id).where(
        CreditNote.dispute_id.in_(ids),
        CreditNote.status == CreditNoteStatus.PENDING_APPROVAL.value)).scalars()) if ids else set()
    rows = []
    for d, code, name, number in found:
        sla = sla_view(_aware(d.response_due_at), now=now, active=is_active(d.status),
                       resolved_at=_aware(d.resolved_at))
        rows.append(DisputeRow(
            id=d.id, version=d.version, customer_id=d.customer_id, customer_code=code,
            customer_name=name, invoice_id=d.invoice_id or 0, invoice_number=number or "—",
            reason=d.reason, reason_label=REASON_LABELS.get(d.reason, d.reason),
            status=d.status, status_label=LABELS.get(d.status, d.status),
            owner_id=d.owner_id or 0, owner=owners.get(d.owner_id, "Unassigned"),
            amount=format_minor(d.amount_minor, d.currency), amount_minor=d.amount_minor,
            opened=_ts(d.opened_at), due=_ts(d.response_due_at), sla_state=sla.state,
            sla_text=sla.text, credit_pending=d.id in pending))
    return rows, total


def queue_view(f: QueueFilter, *, user_id: int, page: int = 0, now: datetime | None = None,
               page_size: int = PAGE_SIZE) -> QueuePage:
    """Page-facing :func:`queue` with the tab counts, in one read session."""
    now = now or utcnow()
    with read_session() as s:
        rows, total = queue(s, f, user_id=user_id, now=now, page=page, page_size=page_size)
        counts = queue_counts(s, user_id=user_id, now=now)
    pages = max(1, -(-total // page_size))
    return QueuePage(rows, total, min(max(page, 0), pages - 1), pages, counts)


@dataclass(frozen=True)
class OwnerChoice:
    """A user who may own disputes."""

    id: int
    name: str


def owner_choices(session: Session) -> list[OwnerChoice]:
    """Active users whose roles let them work disputes, by name."""
    rows = session.execute(sa.select(User.id, User.name, UserRole.role)
                           .join(UserRole, UserRole.user_id == User.id)
                           .where(User.is_active).order_by(User.name, User.id)).all()
    roles: dict[tuple[int, str], set[str]] = {}
    for uid, name, role in rows:
        roles.setdefault((uid, name), set()).add(role)
    return [OwnerChoice(uid, name) for (uid, name), held in roles.items()
            if Permission.WORK_DISPUTES in permissions_for(held)]


def owner_choices_view() -> list[OwnerChoice]:
    """Page-facing :func:`owner_choices`."""
    with read_session() as s:
        return owner_choices(s)


# ----------------------------------------------------------------------------- new dispute


@dataclass(frozen=True)
class InvoiceChoice:
    """An invoice the customer may dispute."""

    id: int
    label: str


@dataclass(frozen=True)
class FormLine:
    """A line of the chosen invoice on the new-dispute form."""

    id: int
    description: str
    kind: str
    amount: str
    amount_minor: int
    disputable: bool


@dataclass(frozen=True)
class NewDisputeForm:
    """What the new-dispute form needs."""

    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    invoices: list[InvoiceChoice]
    invoice_id: int
    invoice_label: str
    lines: list[FormLine]
    busy_dispute_id: int


def new_dispute_form(session: Session, *, customer_id: int | None = None,
                     invoice_id: int | None = None) -> NewDisputeForm:
    """The customer, their disputable invoices and the chosen invoice's lines.

    Raises:
        NotFound: unknown customer or invoice.
    """
    inv = session.get(Invoice, invoice_id) if invoice_id else None
    if invoice_id and inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    cid = inv.customer_id if inv is not None else customer_id
    cust = session.get(Customer, cid) if cid else None
    if cust is None:
        raise NotFound("Choose a customer (open the dispute from the customer's page).")
    invoices = session.execute(
        sa.select(Invoice).where(Invoice.customer_id == cust.id,
                                 Invoice.status.in_(DISPUTABLE_INVOICE_STATUSES))
        .order_by(Invoice.period_start.desc(), Invoice.id.desc()).limit(50)).scalars().all()
    choices = [InvoiceChoice(i.id, f"{i.number} · {i.period_start:%Y-%m-%d} – "
                                   f"{i.period_end:%Y-%m-%d} · "
                                   f"{format_minor(i.total_minor, i.currency)} · {i.status}")
               for i in invoices]
    lines: list[FormLine] = []
    label, busy = "", 0
    if inv is not None:
        label = next((c.label for c in choices if c.id == inv.id), inv.number or "")
        rows = session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                               .order_by(InvoiceLine.position, InvoiceLine.id)).scalars().all()
        lines = [FormLine(x.id, x.description, x.kind, format_minor(x.amount_minor, inv.currency),
                          x.amount_minor, x.amount_minor > 0) for x in rows]
        busy = session.execute(sa.select(Dispute.id).where(
            Dispute.invoice_id == inv.id, Dispute.status.in_(_ACTIVE)).limit(1)
        ).scalar_one_or_none() or 0
    return NewDisputeForm(cust.id, cust.code, cust.name, inv.currency if inv else cust.currency,
                          choices, inv.id if inv else 0, label, lines, busy)


def new_dispute_form_view(*, customer_id: int | None = None, invoice_id: int | None = None
                          ) -> NewDisputeForm:
    """Page-facing :func:`new_dispute_form`."""
    with read_session() as s:
        return new_dispute_form(s, customer_id=customer_id, invoice_id=invoice_id)


def parse_amounts(texts: Mapping[int, str], currency: str) -> dict[int, int]:
    """Typed major-unit amounts per line -> minor units (blank entries are skipped).

    Raises:
        InvalidInput: an amount that is not a number in the currency.
    """
    out: dict[int, int] = {}
    for line_id, text in texts.items():
        raw = str(text or "").strip()
        if not raw:
            continue
        try:
            out[int(line_id)] = parse_major(raw, currency)
        except (MoneyError, ValueError):
            raise InvalidInput(f"{raw!r} is not an amount in {currency}.") from None
    return out


# ----------------------------------------------------------------------------- case view


@dataclass(frozen=True)
class CaseLine:
    """An invoice line on the case (disputed or not) with its price breakdown."""

    id: int
    description: str
    kind: str
    quantity: str
    unit_amount: str
    amount: str
    amount_minor: int
    tax: str
    breakdown: str
    disputed: str
    disputed_minor: int
    is_disputed: bool
    creditable: str
    creditable_minor: int
    meter_id: int
    is_usage: bool


@dataclass(frozen=True)
class UsageSeries:
    """The daily usage behind one usage line (for a chart) and its period."""

    line_id: int
    meter: str
    label: str
    start: str
    end: str
    points: tuple[DailyPoint, ...]


@dataclass(frozen=True)
class PlanPriceRow:
    """A price of the invoiced plan version."""

    name: str
    model: str
    summary: str
    currency: str
    timing: str


@dataclass(frozen=True)
class PlanChangeRow:
    """A catalog change request of the invoiced plan."""

    id: int
    version_label: str
    kind_label: str
    status_label: str
    reason: str
    author: str
    created: str
    decided: str


@dataclass(frozen=True)
class InvoiceRef:
    """Another invoice of the customer."""

    id: int
    number: str
    period: str
    status: str
    total: str
    balance: str


@dataclass(frozen=True)
class DisputeRef:
    """Another dispute of the customer."""

    id: int
    opened: str
    reason_label: str
    status_label: str
    amount: str
    invoice_number: str


@dataclass(frozen=True)
class PaymentRow:
    """A payment of the customer."""

    received: str
    invoice_number: str
    amount: str
    method: str
    status: str
    reference: str


@dataclass(frozen=True)
class AttemptRow:
    """A charge attempt on the disputed invoice."""

    attempt_no: int
    scheduled: str
    attempted: str
    status: str
    failure_code: str
    amount: str


@dataclass(frozen=True)
class TimelineRow:
    """One entry of the case timeline."""

    id: int
    at: str
    kind: str
    kind_label: str
    body: str
    actor: str
    change: str
    evidence_id: int


@dataclass(frozen=True)
class EvidenceRow:
    """An attached file."""

    id: int
    filename: str
    content_type: str
    size: str
    uploaded_by: str
    at: str


@dataclass(frozen=True)
class CaseCredit:
    """A credit note of the case."""

    id: int
    version: int
    number: str
    status: str
    total: str
    total_minor: int
    reason: str
    created_by_id: int
    created_by: str
    approved_by: str
    created: str


@dataclass(frozen=True)
class CaseDetail:
    """Everything the case page shows (preformatted; ids as ints)."""

    id: int
    version: int
    status: str
    status_label: str
    reason: str
    reason_label: str
    description: str
    customer_id: int
    customer_code: str
    customer_name: str
    customer_email: str
    invoice_id: int
    invoice_number: str
    invoice_status: str
    invoice_period: str
    invoice_total: str
    invoice_credited: str
    invoice_paid: str
    invoice_balance: str
    currency: str
    amount: str
    owner_id: int
    owner: str
    opened_by: str
    opened: str
    due: str
    sla_state: str
    sla_text: str
    resolved: str
    resolution_note: str
    credited: str
    reopened_count: int
    reopen_until: str
    can_reopen: bool
    actions: tuple[str, ...]
    action_labels: tuple[str, ...]
    threshold: str
    lines: tuple[CaseLine, ...]
    usage: tuple[UsageSeries, ...]
    plan_id: int
    plan_label: str
    plan_prices: tuple[PlanPriceRow, ...]
    plan_changes: tuple[PlanChangeRow, ...]
    invoices: tuple[InvoiceRef, ...]
    disputes: tuple[DisputeRef, ...]
    payments: tuple[PaymentRow, ...]
    attempts: tuple[AttemptRow, ...]
    timeline: tuple[TimelineRow, ...]
    evidence: tuple[EvidenceRow, ...]
    credits: tuple[CaseCredit, ...]
    pending_credit_id: int
    pending_credit_version: int
    pending_credit_total: str
    pending_credit_by: str
    can_approve_credit: bool
    approve_blocked: str
    uncounted_credit: bool
    evidence_hint: str


def _period(inv: Invoice) -> str:
    return f"{inv.period_start:%Y-%m-%d} – {inv.period_end:%Y-%m-%d}"


def _line_window(inv: Invoice, line: InvoiceLine) -> tuple[datetime, datetime]:
    start = _aware(line.usage_from) or datetime.combine(inv.period_start, time.min, UTC)
    end = _aware(line.usage_to) or datetime.combine(inv.period_end, time.max, UTC)
    return start, end


def _plan_section(session: Session, version_id: int | None
                  ) -> tuple[int, str, tuple[PlanPriceRow, ...], tuple[PlanChangeRow, ...]]:
    if not version_id:
        return 0, "—", (), ()
    row = session.execute(sa.select(Plan, PlanVersion)
                          .join(PlanVersion, PlanVersion.plan_id == Plan.id)
                          .where(PlanVersion.id == version_id)).first()
    if row is None:
        return 0, "—", (), ()
    plan, version = row
    prices = tuple(PlanPriceRow(p.name, p.charge_model, p.summary, p.currency, p.timing)
                   for p in catalog_views.price_rows(session, version_id))
    changes = tuple(PlanChangeRow(c.id, c.version_label, c.kind_label, c.status_label, c.reason,
                                  c.author, c.created_at, c.decided_at)
                    for c in catalog_views.change_request_rows(session, plan_id=plan.id)[:20])
    label = f"{plan.name} v{version.number} ({version.status})"
    return plan.id, label, prices, changes


def case_detail(session: Session, dispute_id: int, *, user_id: int,
                now: datetime | None = None) -> CaseDetail:
    """The case page's data for ``user_id`` (what they may do is computed here too).

    Raises:
        NotFound: for an unknown dispute.
    """
    now = now or utcnow()
    d = session.get(Dispute, dispute_id)
    if d is None:
        raise NotFound(f"No dispute with id {dispute_id}.")
    cur = d.currency
    cust = session.get(Customer, d.customer_id)
    inv = session.get(Invoice, d.invoice_id) if d.invoice_id else None
    disputed = dict(session.execute(sa.select(DisputeLine.invoice_line_id,
                                              DisputeLine.amount_minor)
                                    .where(DisputeLine.dispute_id == d.id)).all())
    lines: list[CaseLine] = []
    usage: list[UsageSeries] = []
    if inv is not None:
        credited = credited_per_line(session, inv.id)
        meters = dict(session.execute(sa.select(Meter.id, Meter.name)).all())
        for x in session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                                 .order_by(InvoiceLine.position, InvoiceLine.id)).scalars():
            left = max(0, x.amount_minor - credited.get(x.id, (0, 0))[0])
            is_usage = x.kind == "usage" and x.meter_id is not None
            lines.append(CaseLine(
                id=x.id, description=x.description, kind=x.kind, quantity=x.quantity,
                unit_amount=x.unit_amount, amount=format_minor(x.amount_minor, cur),
                amount_minor=x.amount_minor, tax=format_minor(x.tax_minor, cur),
                breakdown="\n".join(str(b) for b in x.breakdown or ()),
                disputed=format_minor(disputed[x.id], cur) if x.id in disputed else "",
                disputed_minor=disputed.get(x.id, 0), is_disputed=x.id in disputed,
                creditable=format_minor(left, cur), creditable_minor=left,
                meter_id=x.meter_id or 0, is_usage=is_usage))
            if is_usage:
                start, end = _line_window(inv, x)
                usage.append(UsageSeries(
                    x.id, meters.get(x.meter_id, ""), x.description, start.date().isoformat(),
                    end.date().isoformat(), tuple(daily_usage(
                        session, customer_id=inv.customer_id, meter_id=x.meter_id,
                        start=start.date(), end=end.date()))))
    plan_id, plan_label, prices, changes = _plan_section(session, inv.plan_version_id
                                                         if inv else None)
    others = session.execute(
        sa.select(Invoice).where(Invoice.customer_id == d.customer_id,
                                 Invoice.id != (d.invoice_id or 0), Invoice.number.is_not(None))
        .order_by(Invoice.period_start.desc(), Invoice.id.desc()).limit(12)).scalars().all()
    invoice_refs = tuple(InvoiceRef(
        i.id, i.number or "(draft)", _period(i), i.status, format_minor(i.total_minor, i.currency),
        format_minor(i.total_minor - i.credited_minor - i.paid_minor, i.currency))
        for i in others)
    other_disputes = session.execute(
        sa.select(Dispute, Invoice.number).outerjoin(Invoice, Invoice.id == Dispute.invoice_id)
        .where(Dispute.customer_id == d.customer_id, Dispute.id != d.id)
        .order_by(Dispute.opened_at.desc()).limit(20)).all()
    dispute_refs = tuple(DisputeRef(
        o.id, _ts(o.opened_at), REASON_LABELS.get(o.reason, o.reason),
        LABELS.get(o.status, o.status), format_minor(o.amount_minor, o.currency), num or "—")
        for o, num in other_disputes)
    pays = session.execute(
        sa.select(Payment, Invoice.number).join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.customer_id == d.customer_id)
        .order_by(Payment.received_at.desc()).limit(20)).all()
    payments = tuple(PaymentRow(_ts(p.received_at), num or "", format_minor(p.amount_minor,
                                                                             p.currency),
                                p.method, p.status, p.provider_ref or "") for p, num in pays)
    attempts = ()
    if inv is not None:
        attempts = tuple(AttemptRow(a.attempt_no, _ts(a.scheduled_at), _ts(a.attempted_at),
                                    a.status, a.failure_code or "",
                                    format_minor(a.amount_minor, a.currency))
                         for a in session.execute(
                             sa.select(PaymentAttempt).where(PaymentAttempt.invoice_id == inv.id)
                             .order_by(PaymentAttempt.attempt_no)).scalars())
    events = session.execute(sa.select(DisputeEvent).where(DisputeEvent.dispute_id == d.id)
                             .order_by(DisputeEvent.created_at.desc(), DisputeEvent.id.desc())
                             ).scalars().all()
    files = session.execute(
        sa.select(DisputeEvidence.id, DisputeEvidence.filename, DisputeEvidence.content_type,
                  DisputeEvidence.size_bytes, DisputeEvidence.uploaded_by,
                  DisputeEvidence.created_at)
        .where(DisputeEvidence.dispute_id == d.id).order_by(DisputeEvidence.id)).all()
    notes = session.execute(sa.select(CreditNote).where(CreditNote.dispute_id == d.id)
                            .order_by(CreditNote.id)).scalars().all()
    names = _names(session, {d.owner_id, d.opened_by} | {e.actor_id for e in events}
                   | {f.uploaded_by for f in files} | {n.created_by for n in notes}
                   | {n.approved_by for n in notes})
    timeline = tuple(TimelineRow(
        e.id, _ts(e.created_at), e.kind, EVENT_LABELS.get(e.kind, e.kind.replace("_", " ")),
        e.body, names.get(e.actor_id, "system"),
        (f"{LABELS.get(e.from_status, e.from_status)} → " if e.from_status else "")
        + (LABELS.get(e.to_status, e.to_status) if e.to_status else ""),
        e.evidence_id or 0) for e in events)
    evidence = tuple(EvidenceRow(f.id, f.filename, f.content_type, human_size(f.size_bytes),
                                 names.get(f.uploaded_by, ""), _ts(f.created_at)) for f in files)
    credits = tuple(CaseCredit(n.id, n.version, n.number or "(pending)", n.status,
                               format_minor(n.total_minor, n.currency), n.total_minor, n.reason,
                               n.created_by, names.get(n.created_by, ""),
                               names.get(n.approved_by, ""), _ts(n.created_at)) for n in notes)
    pending = next((c for c in reversed(credits)
                    if c.status == CreditNoteStatus.PENDING_APPROVAL.value), None)
    granted = permissions_for(roles_of(session, user_id))
    can_approve, blocked = False, ""
    if pending is not None:
        if Permission.APPROVE_CREDITS not in granted:
            blocked = "A finance user must approve this credit."
        elif pending.created_by_id == user_id:
            blocked = "You proposed this credit; another finance user must approve it."
        else:
            can_approve = True
    active = is_active(d.status)
    sla = sla_view(_aware(d.response_due_at), now=now, active=active,
                   resolved_at=_aware(d.resolved_at))
    window = reopen_window_days(session)
    resolved_at = _aware(d.resolved_at)
    reopenable = can_reopen(d.status, resolved_at, now=now, window_days=window)
    issued_total = sum(n.total_minor for n in notes if n.status == CreditNoteStatus.ISSUED.value)
    actions = tuple(a.value for a in allowed_actions(d.status))
    balance = (inv.total_minor - inv.credited_minor - inv.paid_minor) if inv else 0
    return CaseDetail(
        id=d.id, version=d.version, status=d.status, status_label=LABELS.get(d.status, d.status),
        reason=d.reason, reason_label=REASON_LABELS.get(d.reason, d.reason),
        description=d.description, customer_id=cust.id, customer_code=cust.code,
        customer_name=cust.name, customer_email=cust.email,
        invoice_id=inv.id if inv else 0, invoice_number=(inv.number or "") if inv else "",
        invoice_status=inv.status if inv else "", invoice_period=_period(inv) if inv else "",
        invoice_total=format_minor(inv.total_minor, cur) if inv else "",
        invoice_credited=format_minor(inv.credited_minor, cur) if inv else "",
        invoice_paid=format_minor(inv.paid_minor, cur) if inv else "",
        invoice_balance=format_minor(balance, cur) if inv else "",
        currency=cur, amount=format_minor(d.amount_minor, cur), owner_id=d.owner_id or 0,
        owner=names.get(d.owner_id, "Unassigned"), opened_by=names.get(d.opened_by, "system"),
        opened=_ts(d.opened_at), due=_ts(d.response_due_at), sla_state=sla.state,
        sla_text=sla.text, resolved=_ts(d.resolved_at), resolution_note=d.resolution_note or "",
        credited=format_minor(d.credited_minor, cur), reopened_count=d.reopened_count,
        reopen_until=_ts(reopen_deadline(resolved_at, window_days=window)) if resolved_at
        else "",
        can_reopen=reopenable, actions=actions,
        action_labels=tuple(ACTION_LABELS[a] for a in actions),
        threshold=format_minor(approval_threshold_minor(session), cur),
        lines=tuple(lines), usage=tuple(usage), plan_id=plan_id, plan_label=plan_label,
        plan_prices=prices, plan_changes=changes, invoices=invoice_refs,
        disputes=dispute_refs, payments=payments, attempts=attempts, timeline=timeline,
        evidence=evidence, credits=credits,
        pending_credit_id=pending.id if pending else 0,
        pending_credit_version=pending.version if pending else 0,
        pending_credit_total=pending.total if pending else "",
        pending_credit_by=pending.created_by if pending else "",
        can_approve_credit=can_approve, approve_blocked=blocked,
        uncounted_credit=active and issued_total > d.credited_minor,
        evidence_hint=allowed_text())


def case_view(dispute_id: int, *, user_id: int, now: datetime | None = None) -> CaseDetail:
    """Page-facing :func:`case_detail` in its own read session."""
    with read_session() as s:
        return case_detail(s, dispute_id, user_id=user_id, now=now)


@dataclass(frozen=True)
class UsageEventsPage:
    """A page of usage events behind a disputed usage line."""

    rows: list[EventRow]
    total: int
    page: int
    pages: int


def _day(text: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(str(text).strip()) if text and str(text).strip() else fallback
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date like 2026-11-30.") from None


def line_usage_events(session: Session, *, dispute_id: int, line_id: int,
                      day_from: str | None = None, day_to: str | None = None, page: int = 0,
                      page_size: int = 20) -> UsageEventsPage:
    """Events behind a usage line of the case's invoice, filtered to a day range inside the
    line's period.

    Raises:
        NotFound: the line is not a usage line of this case's invoice.
        InvalidInput: a date that is not YYYY-MM-DD.
    """
    d = session.get(Dispute, dispute_id)
    line = session.get(InvoiceLine, line_id)
    if d is None or line is None or line.invoice_id != d.invoice_id or line.meter_id is None:
        raise NotFound("That is not a usage line of this dispute's invoice.")
    inv = session.get(Invoice, line.invoice_id)
    start, end = _line_window(inv, line)
    lo = max(start, datetime.combine(_day(day_from, start.date()), time.min, UTC))
    hi = min(end, datetime.combine(_day(day_to, end.date()), time.max, UTC))
    rows, total = usage_events(session, customer_id=inv.customer_id, meter_id=line.meter_id,
                               start_at=lo, end_at=hi, page=page, page_size=page_size)
    pages = max(1, -(-total // page_size))
    return UsageEventsPage(rows, total, min(max(page, 0), pages - 1), pages)


def line_usage_events_view(*, dispute_id: int, line_id: int, day_from: str | None = None,
                           day_to: str | None = None, page: int = 0) -> UsageEventsPage:
    """Page-facing :func:`line_usage_events`."""
    with read_session() as s:
        return line_usage_events(s, dispute_id=dispute_id, line_id=line_id, day_from=day_from,
                                 day_to=day_to, page=page)
