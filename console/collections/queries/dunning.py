"""Reads for dunning: its policy settings, and what a dunning run has to do at a given time
(first charges, due retries, subscriptions whose grace has run out)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.billing import InvoiceStatus
from console.collections.domain import cancel_after_days, cancel_due, schedule_or_default
from console.collections.queries.receivables import open_expr
from console.kernel.policy import policy
from models import Customer, Invoice, Payment, PaymentAttempt, PolicySetting, Subscription


def dunning_schedule(session: Session) -> tuple[int, ...]:
    """Retry days from ``policy_setting["dunning_schedule_days"]`` (a list, or {"days": [...]})."""
    row = session.get(PolicySetting, "dunning_schedule_days")
    return schedule_or_default(row.value if row is not None else None)


def dunning_settings(session: Session) -> dict[str, Any]:
    """``policy_setting["dunning"]``: ``cancel_after_days`` and ``auto_charge``."""
    return policy(session, "dunning", {"cancel_after_days": 14, "auto_charge": True})


def due_attempt_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Scheduled attempts due by ``now``, oldest first (at most ``limit``)."""
    return list(session.execute(
        sa.select(PaymentAttempt.id).where(PaymentAttempt.status == "scheduled",
                                           PaymentAttempt.scheduled_at <= now)
        .order_by(PaymentAttempt.scheduled_at, PaymentAttempt.id).limit(limit)).scalars())


def new_invoice_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Issued invoices with a balance, a payment token on file, and no attempt or payment yet
    (their first charge is due), oldest first (at most ``limit``)."""
    tried = sa.select(PaymentAttempt.invoice_id).where(PaymentAttempt.invoice_id == Invoice.id)
    paid = sa.select(Payment.invoice_id).where(Payment.invoice_id == Invoice.id)
    return list(session.execute(
        sa.select(Invoice.id).join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.status == InvoiceStatus.ISSUED.value, Invoice.issued_at <= now,
               open_expr() > 0,
               Customer.payment_token.is_not(None), ~sa.exists(tried), ~sa.exists(paid))
        .order_by(Invoice.issued_at, Invoice.id).limit(limit)).scalars())


def cancel_candidates(session: Session, now: datetime) -> list[tuple[int, int]]:
    """(subscription id, invoice id) of past-due subscriptions whose grace has run out."""
    days = cancel_after_days(dunning_settings(session))
    rows = session.execute(
        sa.select(Subscription.id, Invoice.id)
        .join(Invoice, Invoice.subscription_id == Subscription.id)
        .where(Subscription.status == "past_due", Invoice.status == InvoiceStatus.ISSUED.value,
               open_expr() > 0)
        .order_by(Subscription.id, Invoice.id)).all()
    out: list[tuple[int, int]] = []
    seen: set[int] = set()
    for sub_id, inv_id in rows:
        if sub_id in seen:
            continue
        attempts = session.execute(sa.select(PaymentAttempt).where(
            PaymentAttempt.invoice_id == inv_id).order_by(PaymentAttempt.attempt_no)
        ).scalars().all()
        if not attempts or any(a.status in ("scheduled", "processing") for a in attempts):
            continue
        last = attempts[-1]
        if last.status != "failed" or last.attempted_at is None:
            continue
        exhausted_at = last.attempted_at
        if exhausted_at.tzinfo is None:
            exhausted_at = exhausted_at.replace(tzinfo=now.tzinfo)
        if cancel_due(exhausted_at, days) <= now:
            out.append((sub_id, inv_id))
            seen.add(sub_id)
    return out
