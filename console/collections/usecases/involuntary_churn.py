"""What failed collections do to a subscription, and what a payment undoes.

* When an invoice's retries run out, its ``active`` (or ``trialing``) subscription becomes
  ``past_due``.
* ``cancel_after_days`` later (policy ``dunning``) an unpaid past-due subscription is canceled
  with churn reason ``involuntary``: a ``subscription_event`` ``cancel`` with its MRR delta,
  and a notice to the customer.
* A payment that settles the invoice returns a ``past_due`` subscription to ``active``, and
  reactivates an involuntarily canceled one (``subscription_event`` ``reactivate`` restoring
  the MRR it had).

After each change the customer's status and MRR, and the month in the ``mrr_monthly``
ledger, follow (:func:`console.customers.refresh_customer`); each change writes its audit event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.collections.domain.dunning import canceled_notice, recovered_notice
from console.collections.queries.receivables import open_minor
from console.collections.usecases.notices import send_notice
from console.customers import refresh_customer
from console.kernel.actor import Actor
from console.kernel.conditional import try_conditional_update
from console.money import format_minor
from models import Invoice, Subscription, SubscriptionEvent


def _snapshot(sub: Subscription) -> dict[str, Any]:
    return {"status": sub.status, "mrr_minor": sub.mrr_minor, "churn_reason": sub.churn_reason,
            "canceled_on": sub.canceled_on, "version": sub.version}


def mark_past_due(session: Session, inv: Invoice, *, actor: Actor, now: datetime) -> None:
    """The invoice's retries ran out: its active or trialing subscription becomes past due
    (nothing happens to a subscription in another status, or changed meanwhile)."""
    sub = session.get(Subscription, inv.subscription_id) if inv.subscription_id else None
    if sub is None or sub.status not in ("active", "trialing"):
        return
    before = _snapshot(sub)
    if not try_conditional_update(session, sub, expect_status=sub.status, status="past_due"):
        return
    refresh_customer(session, sub.customer_id, on=now.date())
    record(session, actor=actor, action="subscription.past_due", object_type="subscription",
           object_id=sub.id, before=before, after={**_snapshot(sub), "invoice_id": inv.id},
           reason=f"Payment retries for invoice {inv.number} ran out.")


def cancel_involuntary(session: Session, sub: Subscription, inv: Invoice, *, actor: Actor,
                       now: datetime) -> SubscriptionEvent | None:
    """Cancel a past-due subscription for non-payment (churn reason ``involuntary``).

    Args:
        session: the open unit of work.
        sub: the past-due subscription.
        inv: the unpaid invoice whose dunning ran out.
        actor: who cancels (the dunning run's actor).
        now: the clock.

    Returns:
        The ``cancel`` event, or None when the subscription was no longer past due.
    """
    before = _snapshot(sub)
    mrr = sub.mrr_minor
    if not try_conditional_update(session, sub, expect_status="past_due", status="canceled",
                                  canceled_on=now.date(), churn_reason="involuntary", mrr_minor=0):
        return None
    event = SubscriptionEvent(
        subscription_id=sub.id, customer_id=sub.customer_id, kind="cancel",
        occurred_on=now.date(), from_version_id=sub.plan_version_id, currency=sub.currency,
        mrr_before_minor=mrr, mrr_after_minor=0, mrr_delta_minor=-mrr,
        churn_reason="involuntary", actor_id=actor.user_id,
        note=f"Canceled after failed dunning on invoice {inv.number}.", created_at=now)
    session.add(event)
    session.flush()
    refresh_customer(session, sub.customer_id, on=now.date())
    send_notice(session, sub.customer_id, canceled_notice(
        invoice_number=inv.number or str(inv.id),
        amount_text=format_minor(open_minor(inv), inv.currency)), invoice_id=inv.id, now=now)
    record(session, actor=actor, action="subscription.cancel", object_type="subscription",
           object_id=sub.id, before=before,
           after={**_snapshot(sub), "subscription_event_id": event.id,
                  "mrr_delta_minor": -mrr, "invoice_id": inv.id},
           reason="involuntary: dunning exhausted")
    return event


def _reactivate(session: Session, sub: Subscription, inv: Invoice, *, actor: Actor,
                now: datetime) -> bool:
    last_cancel = session.execute(
        sa.select(SubscriptionEvent).where(SubscriptionEvent.subscription_id == sub.id,
                                           SubscriptionEvent.kind.in_(("cancel", "lapse")))
        .order_by(SubscriptionEvent.occurred_on.desc(), SubscriptionEvent.id.desc())
        .limit(1)).scalar_one_or_none()
    mrr = last_cancel.mrr_before_minor if last_cancel is not None else 0
    before = _snapshot(sub)
    if not try_conditional_update(session, sub, expect_status="canceled", status="active",
                                  canceled_on=None, churn_reason=None, mrr_minor=mrr):
        return False
    event = SubscriptionEvent(
        subscription_id=sub.id, customer_id=sub.customer_id, kind="reactivate",
        occurred_on=now.date(), to_version_id=sub.plan_version_id, currency=sub.currency,
        mrr_before_minor=0, mrr_after_minor=mrr, mrr_delta_minor=mrr,
        actor_id=actor.user_id, note=f"Reactivated: invoice {inv.number} paid.",
        created_at=now)
    session.add(event)
    session.flush()
    refresh_customer(session, sub.customer_id, on=now.date())
    record(session, actor=actor, action="subscription.reactivate",
           object_type="subscription", object_id=sub.id, before=before,
           after={**_snapshot(sub), "subscription_event_id": event.id,
                  "mrr_delta_minor": mrr, "invoice_id": inv.id},
           reason=f"Invoice {inv.number} paid.")
    return True


def recover_after_payment(session: Session, inv: Invoice, *, actor: Actor, now: datetime,
                          in_dunning: bool) -> bool:
    """The invoice is settled: recover its past-due subscription or reactivate an
    involuntarily canceled one, and thank the customer when the invoice was in dunning.

    Args:
        session: the open unit of work.
        inv: the settled invoice.
        actor: who recorded the payment.
        now: the clock.
        in_dunning: whether a charge of the invoice had failed before.

    Returns:
        Whether a reactivation happened.
    """
    sub = session.get(Subscription, inv.subscription_id) if inv.subscription_id else None
    reactivated = False
    if sub is not None and sub.status == "past_due":
        before = _snapshot(sub)
        if not try_conditional_update(session, sub, expect_status="past_due", status="active"):
            return False
        refresh_customer(session, sub.customer_id, on=now.date())
        record(session, actor=actor, action="subscription.recover", object_type="subscription",
               object_id=sub.id, before=before, after=_snapshot(sub),
               reason=f"Invoice {inv.number} paid.")
    elif sub is not None and sub.status == "canceled" and sub.churn_reason == "involuntary":
        if not _reactivate(session, sub, inv, actor=actor, now=now):
            return False
        reactivated = True
    if in_dunning or reactivated:
        send_notice(session, inv.customer_id, recovered_notice(
            invoice_number=inv.number or str(inv.id),
            amount_text=format_minor(inv.paid_minor, inv.currency), reactivated=reactivated),
            invoice_id=inv.id, now=now)
    return reactivated
