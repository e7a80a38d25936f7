"""What a subscription change asks of billing: the next invoice it will make, and room for it.

* :func:`preview_next_invoice` computes the draft invoice of the period a change falls in,
  as the bill run will make it once the change is applied: the same inputs
  (:func:`~console.billing.usecases.bill_run_inputs.load_inputs`, with the change's event
  added) and the same rules (:func:`~console.billing.usecases.bill_runs.compute_draft`).
* :func:`locked_until` is the last day an invoice that can no longer change covers (approved,
  issued, paid, void...): a change cannot take effect on or before it.
* :func:`discard_drafts` removes the drafts (``draft`` or ``in_review``) of the periods a
  change touches, returning the prepaid credit they drew, so the next bill run of those
  periods drafts them again with the change (a bill run drafts only what is missing).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.billing.domain.lines import LineKind
from console.billing.domain.periods import Period, VersionChange, month_period
from console.billing.domain.status import InvoiceStatus
from console.billing.usecases.bill_run_inputs import BillableSubscription, load_inputs
from console.billing.usecases.bill_runs import DraftInvoice, compute_draft
from console.billing.usecases.invoices import invoice_json
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, NotFound
from models import (
    CreditNote,
    Customer,
    Dispute,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAttempt,
)

#: Invoice statuses a subscription change may still redraft.
REDRAFTABLE = (InvoiceStatus.DRAFT.value, InvoiceStatus.IN_REVIEW.value)


@dataclass(frozen=True)
class SubscriptionAfter:
    """A subscription as it will be once a change is applied (``id`` None: not created yet).

    Attributes:
        id: the subscription, or None for a new one.
        customer_id: its customer.
        plan_version_id: the plan version after the change.
        seats: seats after the change.
        billing_interval: ``month`` or ``year`` after the change.
        started_on: its first day.
        canceled_on: its last day when the change cancels it.
        change: the change's event as the bill run will read it (None: nothing changes
            inside a period, e.g. a new subscription).
    """

    id: int | None
    customer_id: int
    plan_version_id: int
    seats: int
    billing_interval: str
    started_on: date
    canceled_on: date | None = None
    change: VersionChange | None = None


def _billable(session: Session, after: SubscriptionAfter) -> BillableSubscription:
    customer = session.get(Customer, after.customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {after.customer_id}.")
    return BillableSubscription(
        id=after.id or 0, customer_id=customer.id, customer_code=customer.code,
        customer_name=customer.name, currency=customer.currency, region=customer.region,
        segment=customer.segment, tax_exempt=customer.tax_exempt, seats=after.seats,
        started_on=after.started_on, canceled_on=after.canceled_on,
        plan_version_id=after.plan_version_id, billing_interval=after.billing_interval)


def preview_next_invoice(session: Session, after: SubscriptionAfter, *, on: date,
                         period: Period | None = None) -> DraftInvoice:
    """The draft invoice the bill run will make for the period containing ``on``.

    Args:
        session: any session (nothing is written).
        after: the subscription once the change is applied.
        on: the day the change takes effect.
        period: the billed period (default: the calendar month of ``on``, as bill runs bill).

    Returns:
        The draft as :func:`~console.billing.usecases.bill_runs.compute_draft` computes it
        (lines with their tax, prepaid credit drawn, totals and review flags).
    """
    period = period or month_period(on.year, on.month)
    sub = _billable(session, after)
    inputs = load_inputs(session, period, [sub], lines_only=True)
    if after.change is not None:
        inputs.changes.setdefault(sub.id, []).append(after.change)
        inputs.changes[sub.id].sort(key=lambda c: c.on)
        missing = {v for v in (after.change.from_version_id, after.change.to_version_id)
                   if v and v not in inputs.prices}
        if missing:
            extra = load_inputs(session, period, [replace(sub, plan_version_id=v)
                                                  for v in missing], lines_only=True)
            inputs.prices.update(extra.prices)
    balance = int(session.execute(sa.select(Customer.credit_balance_minor).where(
        Customer.id == sub.customer_id)).scalar_one())
    if after.id is not None:
        # The drafts the change discards give back the credit they drew (discard_drafts).
        balance += _drawn_by_drafts(session, after.id, on)
    draft, _left = compute_draft(sub, inputs, credit_balance_minor=balance)
    return draft


def _drawn_by_drafts(session: Session, subscription_id: int, from_day: date) -> int:
    return -int(session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(InvoiceLine.amount_minor), 0))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.subscription_id == subscription_id, Invoice.period_end >= from_day,
               Invoice.status.in_(REDRAFTABLE), InvoiceLine.kind == LineKind.CREDIT)
    ).scalar_one())


def locked_until(session: Session, subscription_id: int) -> date | None:
    """The last day covered by an invoice of the subscription that can no longer be redrafted
    (None: every invoice of it is still a draft, or there is none)."""
    return session.execute(sa.select(sa.func.max(Invoice.period_end)).where(
        Invoice.subscription_id == subscription_id,
        Invoice.status.not_in(REDRAFTABLE))).scalar_one_or_none()


def _snapshot(inv: Invoice) -> dict[str, Any]:
    return {**invoice_json(inv), "period_start": inv.period_start,
            "period_end": inv.period_end, "subscription_id": inv.subscription_id}


def _referenced(session: Session, invoice_id: int) -> bool:
    for model in (CreditNote, Payment, PaymentAttempt, Dispute):
        column = model.__table__.c.invoice_id
        if session.execute(sa.select(column).where(column == invoice_id).limit(1)).first():
            return True
    return False


def discard_drafts(session: Session, *, subscription_id: int, from_day: date, actor: Actor,
                   reason: str) -> int:
    """Remove the subscription's draft invoices of periods ending on or after ``from_day``.

    The caller (a subscription change) has checked its own permission; this runs in its
    transaction. Each removal is audited (``invoice.discard``) with the prepaid credit the
    draft drew given back to the customer.

    Args:
        session: the change's unit of work.
        subscription_id: the subscription changed.
        from_day: the day the change takes effect.
        actor: who changes the subscription.
        reason: what the change is (for the audit trail).

    Returns:
        How many drafts were removed.

    Raises:
        Conflict: when such an invoice is no longer a draft (approved, issued...) or
            something refers to it; nothing was changed.
    """
    invoices = session.execute(
        sa.select(Invoice).where(Invoice.subscription_id == subscription_id,
                                 Invoice.period_end >= from_day)
        .order_by(Invoice.period_start).with_for_update()).scalars().all()
    for inv in invoices:
        if inv.status not in REDRAFTABLE:
            raise Conflict(
                f"The invoice {inv.number or inv.id} for {inv.period_start} – {inv.period_end} "
                f"is {inv.status.replace('_', ' ')}; a change cannot take effect before "
                f"{inv.period_end.isoformat()} has passed. Nothing was changed.")
        if _referenced(session, inv.id):
            raise Conflict(f"The draft invoice for {inv.period_start} – {inv.period_end} has "
                           "payments, credit notes or disputes; it cannot be redrafted. "
                           "Nothing was changed.")
    for inv in invoices:
        drawn = -sum(session.execute(sa.select(InvoiceLine.amount_minor).where(
            InvoiceLine.invoice_id == inv.id, InvoiceLine.kind == LineKind.CREDIT)).scalars())
        before = _snapshot(inv)
        session.execute(sa.delete(InvoiceLine).where(InvoiceLine.invoice_id == inv.id))
        session.execute(sa.delete(Invoice).where(Invoice.id == inv.id))
        if drawn:
            session.execute(sa.update(Customer).where(Customer.id == inv.customer_id).values(
                credit_balance_minor=Customer.credit_balance_minor + drawn,
                version=Customer.version + 1))
        record(session, actor=actor, action="invoice.discard", object_type="invoice",
               object_id=inv.id, before=before, after={"credit_returned_minor": drawn},
               reason=f"Redrafted by the next bill run: {reason}")
    return len(invoices)
