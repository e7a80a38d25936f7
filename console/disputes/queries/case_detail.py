"""The case page: the dispute with its invoice lines (price breakdown, what is disputed, what is
still creditable), the usage behind usage lines, the timeline, the evidence and the credit notes
of the case, and what the viewing user may do.

What surrounds the case (the plan, the customer's history) is :mod:`.case_context`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from console.billing import (
    CreditNoteStatus,
    DailyPoint,
    approval_threshold_minor,
    credited_per_line,
    daily_usage,
)
from console.disputes.domain.evidence import allowed_text, human_size
from console.disputes.domain.sla import REASON_LABELS, sla_view
from console.disputes.domain.status import (
    ACTION_LABELS,
    LABELS,
    allowed_actions,
    can_reopen,
    is_active,
    reopen_deadline,
)
from console.disputes.queries.case_context import (
    AttemptRow,
    DisputeRef,
    InvoiceRef,
    PaymentRow,
    PlanChangeRow,
    PlanPriceRow,
    charge_attempts,
    customer_payments,
    other_disputes,
    other_invoices,
    plan_section,
)
from console.disputes.queries.display import as_utc, period_text, timestamp
from console.disputes.queries.loaders import user_names
from console.disputes.queries.settings import reopen_window_days
from console.disputes.queries.usage_events import line_window
from console.kernel.errors import NotFound
from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, permissions_for
from console.money import format_minor
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
)
from models.db import read_session
from models.types import utcnow

EVENT_LABELS = {"note": "Note", "evidence": "Evidence", "status_change": "Status",
                "customer_contact": "Customer contact", "assignment": "Assignment",
                "credit_proposed": "Credit proposed", "credit_approved": "Credit approved",
                "credit_rejected": "Credit rejected"}


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


def _lines_and_usage(session: Session, d: Dispute, inv: Invoice
                     ) -> tuple[list[CaseLine], list[UsageSeries]]:
    """The invoice's lines as the case shows them, and the daily usage behind usage lines."""
    cur = d.currency
    disputed = dict(session.execute(sa.select(DisputeLine.invoice_line_id,
                                              DisputeLine.amount_minor)
                                    .where(DisputeLine.dispute_id == d.id)).all())
    credited = credited_per_line(session, inv.id)
    meters = dict(session.execute(sa.select(Meter.id, Meter.name)).all())
    lines: list[CaseLine] = []
    usage: list[UsageSeries] = []
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
            start, end = line_window(inv, x)
            usage.append(UsageSeries(
                x.id, meters.get(x.meter_id, ""), x.description, start.date().isoformat(),
                end.date().isoformat(), tuple(daily_usage(
                    session, customer_id=inv.customer_id, meter_id=x.meter_id,
                    start=start.date(), end=end.date()))))
    return lines, usage


def _approval(session: Session, pending: CaseCredit | None, *, user_id: int
              ) -> tuple[bool, str]:
    """Whether ``user_id`` may approve the pending credit, and if not, why (for the page; the
    server re-checks on approval)."""
    if pending is None:
        return False, ""
    granted = permissions_for(roles_of(session, user_id))
    if Permission.APPROVE_CREDITS not in granted:
        return False, "A finance user must approve this credit."
    if pending.created_by_id == user_id:
        return False, "You proposed this credit; another finance user must approve it."
    return True, ""


def case_detail(session: Session, dispute_id: int, *, user_id: int,
                now: datetime | None = None) -> CaseDetail:
    """The case page's data for ``user_id`` (what they may do is computed here too).

    Args:
        session: an open session.
        dispute_id: the case.
        user_id: the viewing user (decides whether they may approve a pending credit).
        now: the clock for the SLA and the reopen window (defaults to now).

    Returns:
        The case, preformatted for the page.

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
    lines, usage = _lines_and_usage(session, d, inv) if inv is not None else ([], [])
    plan = plan_section(session, inv.plan_version_id if inv else None)
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
    names = user_names(session, {d.owner_id, d.opened_by} | {e.actor_id for e in events}
                       | {f.uploaded_by for f in files} | {n.created_by for n in notes}
                       | {n.approved_by for n in notes})
    timeline = tuple(TimelineRow(
        e.id, timestamp(e.created_at), e.kind,
        EVENT_LABELS.get(e.kind, e.kind.replace("_", " ")), e.body,
        names.get(e.actor_id, "system"),
        (f"{LABELS.get(e.from_status, e.from_status)} → " if e.from_status else "")
        + (LABELS.get(e.to_status, e.to_status) if e.to_status else ""),
        e.evidence_id or 0) for e in events)
    evidence = tuple(EvidenceRow(f.id, f.filename, f.content_type, human_size(f.size_bytes),
                                 names.get(f.uploaded_by, ""), timestamp(f.created_at))
                     for f in files)
    credits = tuple(CaseCredit(n.id, n.version, n.number or "(pending)", n.status,
                               format_minor(n.total_minor, n.currency), n.total_minor, n.reason,
                               n.created_by, names.get(n.created_by, ""),
                               names.get(n.approved_by, ""), timestamp(n.created_at))
                    for n in notes)
    pending = next((c for c in reversed(credits)
                    if c.status == CreditNoteStatus.PENDING_APPROVAL.value), None)
    can_approve, blocked = _approval(session, pending, user_id=user_id)
    active = is_active(d.status)
    sla = sla_view(as_utc(d.response_due_at), now=now, active=active,
                   resolved_at=as_utc(d.resolved_at))
    window = reopen_window_days(session)
    resolved_at = as_utc(d.resolved_at)
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
        invoice_status=inv.status if inv else "",
        invoice_period=period_text(inv) if inv else "",
        invoice_total=format_minor(inv.total_minor, cur) if inv else "",
        invoice_credited=format_minor(inv.credited_minor, cur) if inv else "",
        invoice_paid=format_minor(inv.paid_minor, cur) if inv else "",
        invoice_balance=format_minor(balance, cur) if inv else "",
        currency=cur, amount=format_minor(d.amount_minor, cur), owner_id=d.owner_id or 0,
        owner=names.get(d.owner_id, "Unassigned"), opened_by=names.get(d.opened_by, "system"),
        opened=timestamp(d.opened_at), due=timestamp(d.response_due_at), sla_state=sla.state,
        sla_text=sla.text, resolved=timestamp(d.resolved_at),
        resolution_note=d.resolution_note or "",
        credited=format_minor(d.credited_minor, cur), reopened_count=d.reopened_count,
        reopen_until=timestamp(reopen_deadline(resolved_at, window_days=window))
        if resolved_at else "",
        can_reopen=reopenable, actions=actions,
        action_labels=tuple(ACTION_LABELS[a] for a in actions),
        threshold=format_minor(approval_threshold_minor(session), cur),
        lines=tuple(lines), usage=tuple(usage), plan_id=plan.plan_id, plan_label=plan.label,
        plan_prices=plan.prices, plan_changes=plan.changes,
        invoices=other_invoices(session, d), disputes=other_disputes(session, d),
        payments=customer_payments(session, d.customer_id),
        attempts=charge_attempts(session, inv.id) if inv is not None else (),
        timeline=timeline, evidence=evidence, credits=credits,
        pending_credit_id=pending.id if pending else 0,
        pending_credit_version=pending.version if pending else 0,
        pending_credit_total=pending.total if pending else "",
        pending_credit_by=pending.created_by if pending else "",
        can_approve_credit=can_approve, approve_blocked=blocked,
        uncounted_credit=active and issued_total > d.credited_minor,
        evidence_hint=allowed_text())


# --- page-facing


def case_view(dispute_id: int, *, user_id: int, now: datetime | None = None) -> CaseDetail:
    """Page-facing :func:`case_detail` in its own read session."""
    with read_session() as s:
        return case_detail(s, dispute_id, user_id=user_id, now=now)
