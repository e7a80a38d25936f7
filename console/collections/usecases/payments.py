"""Money received on an invoice, and the customer's payment method.

A payment that settles its invoice cancels the invoice's remaining retries and recovers (or
reactivates) the subscription dunning had put past due (or canceled); see
:mod:`console.collections.usecases.involuntary_churn`. Every change writes its audit event in
the same transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.billing import InvoiceStatus
from console.collections.queries.receivables import load_invoice, open_minor
from console.collections.usecases.involuntary_churn import recover_after_payment
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import format_minor
from models import Customer, Invoice, Payment, PaymentAttempt
from models.types import utcnow

TOKEN_RE = re.compile(r"^tok_[a-z0-9_]{1,60}$")


def cancel_scheduled_retries(session: Session, invoice_id: int) -> int:
    """Cancel the invoice's scheduled charge attempts (it was settled or written off).

    Returns:
        How many were canceled.
    """
    return session.execute(
        sa.update(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id,
                                        PaymentAttempt.status == "scheduled")
        .values(status="canceled").execution_options(synchronize_session=False)).rowcount


def apply_payment(session: Session, inv: Invoice, amount: int, *, actor: Actor, now: datetime,
                  method: str, reference: str | None, in_dunning: bool) -> Payment:
    """Record money received, settle the invoice when nothing is left open, and recover the
    subscription. One audit event for the invoice.

    Args:
        session: the open unit of work.
        inv: the issued invoice (freshly read).
        amount: minor units received (checked by the caller).
        actor: who records it.
        now: when it was received.
        method: how it was paid (``card``, ``bank_transfer``, ...).
        reference: the provider's or the bank's reference.
        in_dunning: whether a charge of the invoice had failed before (the customer is
            thanked when it settles).

    Returns:
        The payment.
    """
    pay = Payment(invoice_id=inv.id, customer_id=inv.customer_id, amount_minor=amount,
                  currency=inv.currency, status="succeeded", method=method[:16],
                  provider_ref=reference, received_at=now, created_at=now)
    session.add(pay)
    session.flush()
    before = {"status": inv.status, "paid_minor": inv.paid_minor, "version": inv.version}
    values: dict[str, Any] = {"paid_minor": inv.paid_minor + amount}
    settled = open_minor(inv) - amount <= 0
    if settled and inv.status == InvoiceStatus.ISSUED.value:
        values.update(status=InvoiceStatus.PAID.value, paid_at=now)
    conditional_update(session, inv, expect_status=None, **values)
    record(session, actor=actor, action="invoice.payment", object_type="invoice",
           object_id=inv.id, before=before,
           after={"status": inv.status, "paid_minor": inv.paid_minor, "version": inv.version,
                  "payment_id": pay.id, "amount_minor": amount, "method": method,
                  "reference": reference})
    if settled:
        cancel_scheduled_retries(session, inv.id)
        recover_after_payment(session, inv, actor=actor, now=now, in_dunning=in_dunning)
    return pay


def record_payment(session: Session, *, invoice_id: int, amount_minor: int, actor: Actor,
                   method: str = "bank_transfer", reference: str | None = None,
                   now: datetime | None = None) -> Payment:
    """Record money received outside the provider (bank transfer, cheque); partial payments
    are allowed. Settling the invoice ends its dunning and reactivates the subscription if
    dunning canceled it.

    Raises:
        NotFound: unknown invoice.
        InvalidInput: a non-positive amount or more than is open. Conflict: not issued.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    now = now or utcnow()
    inv = load_invoice(session, invoice_id)
    if inv.status != InvoiceStatus.ISSUED.value:
        raise Conflict(f"Payments are recorded on issued invoices; this invoice is "
                       f"{inv.status.replace('_', ' ')}.")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput("The amount must be positive.")
    if amount_minor > open_minor(inv):
        raise InvalidInput(f"Only {format_minor(open_minor(inv), inv.currency)} is open on "
                           "this invoice.")
    in_dunning = session.execute(sa.select(PaymentAttempt.id).where(
        PaymentAttempt.invoice_id == inv.id, PaymentAttempt.status == "failed")).first()
    return apply_payment(session, inv, amount_minor, actor=actor, now=now,
                         method=(method or "bank_transfer").strip() or "bank_transfer",
                         reference=(reference or "").strip()[:64] or None,
                         in_dunning=in_dunning is not None)


def update_payment_token(session: Session, *, customer_id: int, token: str, actor: Actor,
                         reason: str = "") -> Customer:
    """Store a new payment method token for a customer (e.g. after they update their card).

    Raises:
        InvalidInput: a token that does not look like ``tok_...``.
        NotFound: unknown customer.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    token = (token or "").strip()
    if not TOKEN_RE.match(token):
        raise InvalidInput("A payment token looks like tok_… (lowercase letters, digits, _).")
    cust = session.get(Customer, customer_id)
    if cust is None:
        raise NotFound(f"No customer with id {customer_id}.")
    before = {"payment_token": cust.payment_token, "version": cust.version}
    cust.payment_token = token
    cust.version += 1
    session.flush()
    record(session, actor=actor, action="customer.payment_method", object_type="customer",
           object_id=cust.id, before=before,
           after={"payment_token": token, "version": cust.version}, reason=reason.strip())
    return cust


# --- page-facing


def record_payment_view(invoice_id: int, amount_minor: int, *, user_id: int,
                        method: str = "bank_transfer", reference: str = "") -> Outcome:
    """Page-facing :func:`record_payment`."""
    return act(user_id, record_payment, done="Payment recorded.", object_id=invoice_id,
               invoice_id=invoice_id, amount_minor=amount_minor, method=method,
               reference=reference)


def update_payment_token_view(customer_id: int, token: str, *, user_id: int, reason: str = ""
                              ) -> Outcome:
    """Page-facing :func:`update_payment_token`."""
    return act(user_id, update_payment_token, done="Payment method updated.",
               object_id=customer_id, customer_id=customer_id, token=token, reason=reason)
