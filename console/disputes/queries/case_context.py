"""What surrounds a case on its page: the invoiced plan (its prices and change history) and the
customer's other invoices, other disputes, payments and the charge attempts on the invoice."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console import catalog as catalog_views
from console.disputes.domain.sla import REASON_LABELS
from console.disputes.domain.status import LABELS
from console.disputes.queries.display import period_text, timestamp
from console.money import format_minor
from models import Dispute, Invoice, Payment, PaymentAttempt, Plan, PlanVersion


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
class PlanSection:
    """The invoiced plan version: its label, prices and the plan's recent change requests."""

    plan_id: int
    label: str
    prices: tuple[PlanPriceRow, ...]
    changes: tuple[PlanChangeRow, ...]


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


_NO_PLAN = PlanSection(0, "—", (), ())


def plan_section(session: Session, version_id: int | None) -> PlanSection:
    """The invoiced plan version with its prices and the plan's last 20 change requests (an
    empty section when the invoice names no plan version)."""
    if not version_id:
        return _NO_PLAN
    row = session.execute(sa.select(Plan, PlanVersion)
                          .join(PlanVersion, PlanVersion.plan_id == Plan.id)
                          .where(PlanVersion.id == version_id)).first()
    if row is None:
        return _NO_PLAN
    plan, version = row
    prices = tuple(PlanPriceRow(p.name, p.charge_model, p.summary, p.currency, p.timing)
                   for p in catalog_views.price_rows(session, version_id))
    changes = tuple(PlanChangeRow(c.id, c.version_label, c.kind_label, c.status_label, c.reason,
                                  c.author, c.created_at, c.decided_at)
                    for c in catalog_views.change_request_rows(session, plan_id=plan.id)[:20])
    return PlanSection(plan.id, f"{plan.name} v{version.number} ({version.status})", prices,
                       changes)


def other_invoices(session: Session, d: Dispute) -> tuple[InvoiceRef, ...]:
    """The customer's 12 latest numbered invoices other than the disputed one."""
    others = session.execute(
        sa.select(Invoice).where(Invoice.customer_id == d.customer_id,
                                 Invoice.id != (d.invoice_id or 0), Invoice.number.is_not(None))
        .order_by(Invoice.period_start.desc(), Invoice.id.desc()).limit(12)).scalars().all()
    return tuple(InvoiceRef(
        i.id, i.number or "(draft)", period_text(i), i.status,
        format_minor(i.total_minor, i.currency),
        format_minor(i.total_minor - i.credited_minor - i.paid_minor, i.currency))
        for i in others)


def other_disputes(session: Session, d: Dispute) -> tuple[DisputeRef, ...]:
    """The customer's 20 latest disputes other than this one."""
    rows = session.execute(
        sa.select(Dispute, Invoice.number).outerjoin(Invoice, Invoice.id == Dispute.invoice_id)
        .where(Dispute.customer_id == d.customer_id, Dispute.id != d.id)
        .order_by(Dispute.opened_at.desc()).limit(20)).all()
    return tuple(DisputeRef(
        o.id, timestamp(o.opened_at), REASON_LABELS.get(o.reason, o.reason),
        LABELS.get(o.status, o.status), format_minor(o.amount_minor, o.currency), num or "—")
        for o, num in rows)


def customer_payments(session: Session, customer_id: int) -> tuple[PaymentRow, ...]:
    """The customer's 20 latest payments."""
    rows = session.execute(
        sa.select(Payment, Invoice.number).join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.customer_id == customer_id)
        .order_by(Payment.received_at.desc()).limit(20)).all()
    return tuple(PaymentRow(timestamp(p.received_at), num or "",
                            format_minor(p.amount_minor, p.currency), p.method, p.status,
                            p.provider_ref or "") for p, num in rows)


def charge_attempts(session: Session, invoice_id: int) -> tuple[AttemptRow, ...]:
    """The charge attempts on the invoice, first to last."""
    return tuple(AttemptRow(a.attempt_no, timestamp(a.scheduled_at), timestamp(a.attempted_at),
                            a.status, a.failure_code or "",
                            format_minor(a.amount_minor, a.currency))
                 for a in session.execute(
                     sa.select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id)
                     .order_by(PaymentAttempt.attempt_no)).scalars())
