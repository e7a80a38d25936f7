"""Payments and dunning: charge invoices through a provider, retry on a schedule, and follow
failed collections through to involuntary churn (and back on payment).

* Every charge is a ``payment_attempt`` with a unique idempotency key
  (``pay-<invoice number>-attempt-<n>``, or the caller's key). The attempt is claimed with a
  conditional update (``scheduled`` -> ``processing``) before the provider is called, and the
  provider is called with the attempt's key, so two racing runners never charge twice and a
  repeated call with a used key returns the stored result without charging.
* A failed attempt schedules the next one per ``policy_setting["dunning_schedule_days"]``
  (days after the first attempt) and writes a reminder to ``outbox_message``. When retries run
  out the subscription becomes ``past_due`` (final notice). ``cancel_after_days`` later
  (policy ``dunning``) an unpaid subscription is canceled with churn reason ``involuntary``:
  a ``subscription_event`` ``cancel`` with its MRR delta, and the customer's status and MRR and
  the ``mrr_monthly`` ledger follow.
* A payment that settles the invoice cancels the remaining retries; a ``past_due``
  subscription returns to ``active``, and an involuntarily canceled one is reactivated
  (``subscription_event`` ``reactivate`` restoring the MRR it had).
* The clock is a parameter (``now``) everywhere, so tests and the CLI can walk the schedule.
* Every change writes its audit event in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.billing import InvoiceStatus
from console.collections.domain import (
    PaymentProvider,
    SimulatedProvider,
    StepKind,
    after_attempt,
    cancel_after_days,
    cancel_due,
    schedule_or_default,
)
from console.collections.domain.dunning import Message, canceled_notice, recovered_notice, reminder
from console.collections.domain.provider import IdempotencyError
from console.customers import write_month
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import conditional_update, try_conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotFound, ServiceError
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.policy import policy
from console.kernel.roles import Permission
from console.money import format_minor
from models import (
    Customer,
    Invoice,
    OutboxMessage,
    Payment,
    PaymentAttempt,
    PolicySetting,
    Subscription,
    SubscriptionEvent,
)
from models.db import read_session, unit_of_work
from models.types import utcnow

SYSTEM = Actor.system("system:dunning")
NOTHING_OPEN = "Nothing is left to pay on this invoice."
TOKEN_RE = re.compile(r"^tok_[a-z0-9_]{1,60}$")

_provider: PaymentProvider = SimulatedProvider()


def get_provider() -> PaymentProvider:
    """The payment provider in use (the simulated one unless another was set)."""
    return _provider


def set_provider(provider: PaymentProvider) -> PaymentProvider:
    """Use ``provider`` from now on; returns the previous one (tests restore it)."""
    global _provider
    previous, _provider = _provider, provider
    return previous


# ----------------------------------------------------------------------------- policy


def dunning_schedule(session: Session) -> tuple[int, ...]:
    """Retry days from ``policy_setting["dunning_schedule_days"]`` (a list, or {"days": [...]})."""
    row = session.get(PolicySetting, "dunning_schedule_days")
    return schedule_or_default(row.value if row is not None else None)


def dunning_settings(session: Session) -> dict[str, Any]:
    """``policy_setting["dunning"]``: ``cancel_after_days`` and ``auto_charge``."""
    return policy(session, "dunning", {"cancel_after_days": 14, "auto_charge": True})


# ----------------------------------------------------------------------------- helpers


def _open_minor(inv: Invoice) -> int:
    return inv.total_minor - inv.credited_minor - inv.paid_minor


def attempt_key(inv: Invoice, attempt_no: int) -> str:
    """The idempotency key of an invoice's ``attempt_no``-th charge."""
    return f"pay-{inv.number or inv.id}-attempt-{attempt_no}"


def _outbox(session: Session, customer_id: int, msg: Message, *, invoice_id: int,
            now: datetime) -> OutboxMessage:
    row = OutboxMessage(customer_id=customer_id, kind=msg.kind, subject=msg.subject,
                        body=msg.body, related_type="invoice", related_id=invoice_id,
                        created_at=now)
    session.add(row)
    session.flush()
    return row


def _first_attempt_at(session: Session, invoice_id: int) -> datetime | None:
    first = session.execute(
        sa.select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id)
        .order_by(PaymentAttempt.attempt_no).limit(1)).scalar_one_or_none()
    if first is None:
        return None
    return first.attempted_at or first.scheduled_at


def _next_attempt_no(session: Session, invoice_id: int) -> int:
    last = session.execute(sa.select(sa.func.max(PaymentAttempt.attempt_no))
                           .where(PaymentAttempt.invoice_id == invoice_id)).scalar_one()
    return int(last or 0) + 1


def _cancel_scheduled(session: Session, invoice_id: int) -> int:
    return session.execute(
        sa.update(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id,
                                        PaymentAttempt.status == "scheduled")
        .values(status="canceled").execution_options(synchronize_session=False)).rowcount


# ----------------------------------------------------------------------------- customers / MRR


def refresh_customer(session: Session, customer_id: int, *, on: date) -> Customer:
    """Recompute a customer's status and MRR from their subscriptions and write the month of
    ``on`` in the ``mrr_monthly`` ledger (the month's MRR after its events; no row at 0)."""
    cust = session.get(Customer, customer_id)
    subs = session.execute(sa.select(Subscription).where(Subscription.customer_id == customer_id)
                           ).scalars().all()
    live = [s for s in subs if s.status != "canceled"]
    mrr = sum(s.mrr_minor for s in live if s.status in ("active", "past_due"))
    if not live:
        status = "churned"
    elif any(s.status == "past_due" for s in live):
        status = "past_due"
    elif mrr == 0 and cust.status == "free":
        status = "free"
    else:
        status = "active"
    cust.status, cust.mrr_minor = status, mrr
    cust.version += 1
    top = max((s for s in live if s.status in ("active", "past_due")),
              key=lambda s: s.mrr_minor, default=None)
    write_month(session, customer_id=customer_id, month=on, mrr_minor=mrr,
                currency=cust.currency, plan_version_id=top.plan_version_id if top else None)
    return cust


def _sub_snapshot(sub: Subscription) -> dict[str, Any]:
    return {"status": sub.status, "mrr_minor": sub.mrr_minor, "churn_reason": sub.churn_reason,
            "canceled_on": sub.canceled_on, "version": sub.version}


def _mark_past_due(session: Session, inv: Invoice, *, actor: Actor, now: datetime) -> None:
    sub = session.get(Subscription, inv.subscription_id) if inv.subscription_id else None
    if sub is None or sub.status not in ("active", "trialing"):
        return
    before = _sub_snapshot(sub)
    if not try_conditional_update(session, sub, expect_status=sub.status, status="past_due"):
        return
    refresh_customer(session, sub.customer_id, on=now.date())
    record(session, actor=actor, action="subscription.past_due", object_type="subscription",
           object_id=sub.id, before=before, after={**_sub_snapshot(sub), "invoice_id": inv.id},
           reason=f"Payment retries for invoice {inv.number} ran out.")


def cancel_involuntary(session: Session, sub: Subscription, inv: Invoice, *, actor: Actor,
                       now: datetime) -> SubscriptionEvent | None:
    """Cancel a past-due subscription for non-payment (churn reason ``involuntary``).

    Returns:
        The ``cancel`` event, or None when the subscription was no longer past due.
    """
    before = _sub_snapshot(sub)
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
    _outbox(session, sub.customer_id, canceled_notice(
        invoice_number=inv.number or str(inv.id),
        amount_text=format_minor(_open_minor(inv), inv.currency)), invoice_id=inv.id, now=now)
    record(session, actor=actor, action="subscription.cancel", object_type="subscription",
           object_id=sub.id, before=before,
           after={**_sub_snapshot(sub), "subscription_event_id": event.id,
                  "mrr_delta_minor": -mrr, "invoice_id": inv.id},
           reason="involuntary: dunning exhausted")
    return event


def _after_payment(session: Session, inv: Invoice, *, actor: Actor, now: datetime,
                   in_dunning: bool) -> bool:
    """Recover or reactivate the invoice's subscription once it is settled; returns whether a
    reactivation happened."""
    sub = session.get(Subscription, inv.subscription_id) if inv.subscription_id else None
    reactivated = False
    if sub is not None and sub.status == "past_due":
        before = _sub_snapshot(sub)
        if not try_conditional_update(session, sub, expect_status="past_due", status="active"):
            return False
        refresh_customer(session, sub.customer_id, on=now.date())
        record(session, actor=actor, action="subscription.recover", object_type="subscription",
               object_id=sub.id, before=before, after=_sub_snapshot(sub),
               reason=f"Invoice {inv.number} paid.")
    elif sub is not None and sub.status == "canceled" and sub.churn_reason == "involuntary":
        last_cancel = session.execute(
            sa.select(SubscriptionEvent).where(SubscriptionEvent.subscription_id == sub.id,
                                               SubscriptionEvent.kind.in_(("cancel", "lapse")))
            .order_by(SubscriptionEvent.occurred_on.desc(), SubscriptionEvent.id.desc())
            .limit(1)).scalar_one_or_none()
        mrr = last_cancel.mrr_before_minor if last_cancel is not None else 0
        before = _sub_snapshot(sub)
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
               after={**_sub_snapshot(sub), "subscription_event_id": event.id,
                      "mrr_delta_minor": mrr, "invoice_id": inv.id},
               reason=f"Invoice {inv.number} paid.")
        reactivated = True
    if in_dunning or reactivated:
        _outbox(session, inv.customer_id, recovered_notice(
            invoice_number=inv.number or str(inv.id),
            amount_text=format_minor(inv.paid_minor, inv.currency), reactivated=reactivated),
            invoice_id=inv.id, now=now)
    return reactivated


def _apply_payment(session: Session, inv: Invoice, amount: int, *, actor: Actor, now: datetime,
                   method: str, reference: str | None, in_dunning: bool) -> Payment:
    """Record money received, settle the invoice when nothing is left open, recover the
    subscription. One audit event for the invoice."""
    pay = Payment(invoice_id=inv.id, customer_id=inv.customer_id, amount_minor=amount,
                  currency=inv.currency, status="succeeded", method=method[:16],
                  provider_ref=reference, received_at=now, created_at=now)
    session.add(pay)
    session.flush()
    before = {"status": inv.status, "paid_minor": inv.paid_minor, "version": inv.version}
    values: dict[str, Any] = {"paid_minor": inv.paid_minor + amount}
    settled = inv.total_minor - inv.credited_minor - (inv.paid_minor + amount) <= 0
    if settled and inv.status == InvoiceStatus.ISSUED.value:
        values.update(status=InvoiceStatus.PAID.value, paid_at=now)
    conditional_update(session, inv, expect_status=None, **values)
    record(session, actor=actor, action="invoice.payment", object_type="invoice",
           object_id=inv.id, before=before,
           after={"status": inv.status, "paid_minor": inv.paid_minor, "version": inv.version,
                  "payment_id": pay.id, "amount_minor": amount, "method": method,
                  "reference": reference})
    if settled:
        _cancel_scheduled(session, inv.id)
        _after_payment(session, inv, actor=actor, now=now, in_dunning=in_dunning)
    return pay


# ----------------------------------------------------------------------------- attempts


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of one attempt.

    Attributes:
        replayed: the key had been used: the stored result is returned and nothing was
            charged.
        next_at: when the next retry is due (None when paid or exhausted).
        exhausted: the retries ran out with this attempt.
    """

    attempt_id: int
    invoice_id: int
    attempt_no: int
    idempotency_key: str
    status: str
    failure_code: str | None
    payment_id: int | None
    replayed: bool = False
    next_at: datetime | None = None
    exhausted: bool = False


def _stored(a: PaymentAttempt) -> AttemptResult:
    return AttemptResult(a.id, a.invoice_id, a.attempt_no, a.idempotency_key, a.status,
                         a.failure_code, a.payment_id, replayed=True)


def _run_attempt(session: Session, a: PaymentAttempt, *, actor: Actor, now: datetime,
                 provider: PaymentProvider) -> AttemptResult:
    """Claim a scheduled attempt, charge it, and record what follows."""
    claimed = session.execute(
        sa.update(PaymentAttempt).where(PaymentAttempt.id == a.id,
                                        PaymentAttempt.status == "scheduled")
        .values(status="processing").execution_options(synchronize_session=False)).rowcount
    session.refresh(a)
    if claimed != 1:
        return _stored(a)
    inv = session.execute(sa.select(Invoice).where(Invoice.id == a.invoice_id)
                          .execution_options(populate_existing=True)).scalar_one()
    balance = _open_minor(inv)
    if inv.status != InvoiceStatus.ISSUED.value or balance <= 0:
        a.status, a.attempted_at = "canceled", now
        session.flush()
        return AttemptResult(a.id, inv.id, a.attempt_no, a.idempotency_key, a.status, None, None)
    cust = session.get(Customer, inv.customer_id)
    a.amount_minor = balance
    try:
        result = provider.charge(token=cust.payment_token, amount_minor=balance,
                                 currency=inv.currency, idempotency_key=a.idempotency_key)
    except IdempotencyError as exc:
        raise Conflict(str(exc)) from None
    a.attempted_at = now
    first_at = _first_attempt_at(session, inv.id) or now
    if result.succeeded:
        a.status = "succeeded"
        session.flush()
        pay = _apply_payment(session, inv, balance, actor=actor, now=now, method="card",
                             reference=result.provider_ref, in_dunning=a.attempt_no > 1)
        a.payment_id = pay.id
        session.flush()
        return AttemptResult(a.id, inv.id, a.attempt_no, a.idempotency_key, a.status, None,
                             pay.id)
    a.status, a.failure_code = "failed", result.failure_code
    session.flush()
    step = after_attempt(attempt_no=a.attempt_no, succeeded=False, first_attempt_at=first_at,
                         schedule=dunning_schedule(session))
    amount_text = format_minor(balance, inv.currency)
    nxt = None
    if step.kind == StepKind.RETRY:
        has_next = session.execute(sa.select(PaymentAttempt.id).where(
            PaymentAttempt.invoice_id == inv.id, PaymentAttempt.status == "scheduled")
        ).first()
        if has_next is None:
            nxt = PaymentAttempt(invoice_id=inv.id, attempt_no=step.next_attempt_no,
                                 idempotency_key=attempt_key(inv, step.next_attempt_no),
                                 amount_minor=balance, currency=inv.currency,
                                 status="scheduled", scheduled_at=step.next_at)
            session.add(nxt)
            session.flush()
    msg = reminder(invoice_number=inv.number or str(inv.id), attempt_no=a.attempt_no,
                   failure_code=result.failure_code, amount_text=amount_text,
                   next_at=step.next_at)
    _outbox(session, inv.customer_id, msg, invoice_id=inv.id, now=now)
    record(session, actor=actor, action="payment.failed", object_type="invoice",
           object_id=inv.id,
           after={"attempt_id": a.id, "attempt_no": a.attempt_no,
                  "idempotency_key": a.idempotency_key, "failure_code": result.failure_code,
                  "amount_minor": balance, "next_attempt_at": step.next_at,
                  "exhausted": step.kind == StepKind.EXHAUSTED})
    exhausted = step.kind == StepKind.EXHAUSTED
    if exhausted:
        _mark_past_due(session, inv, actor=actor, now=now)
    return AttemptResult(a.id, inv.id, a.attempt_no, a.idempotency_key, a.status,
                         a.failure_code, None, next_at=step.next_at, exhausted=exhausted)


def charge_invoice(session: Session, *, invoice_id: int, actor: Actor,
                   now: datetime | None = None, idempotency_key: str | None = None,
                   provider: PaymentProvider | None = None) -> AttemptResult:
    """Charge an issued invoice's open balance now: its first attempt, a due retry run early,
    or a manual retry after the schedule ran out.

    Args:
        session: an open unit of work.
        invoice_id: the invoice.
        actor: finance (``manage_collections``) or the system.
        now: the clock.
        idempotency_key: the caller's key for this charge; a key used before returns the
            stored result and charges nothing.
        provider: the payment provider (default :func:`get_provider`).

    Raises:
        NotFound: unknown invoice. Conflict: not issued, nothing open, or a key reused for
            another invoice.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    now = now or utcnow()
    provider = provider or get_provider()
    key = (idempotency_key or "").strip()[:96] or None
    if key is not None:
        seen = session.execute(sa.select(PaymentAttempt).where(
            PaymentAttempt.idempotency_key == key)).scalar_one_or_none()
        if seen is not None:
            if seen.invoice_id != invoice_id:
                raise Conflict("That idempotency key belongs to another invoice's payment.")
            if seen.status != "scheduled":
                return _stored(seen)
            return _run_attempt(session, seen, actor=actor, now=now, provider=provider)
    inv = session.execute(sa.select(Invoice).where(Invoice.id == invoice_id)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    if inv.status != InvoiceStatus.ISSUED.value:
        raise Conflict(f"Only issued invoices can be charged; this invoice is "
                       f"{inv.status.replace('_', ' ')}.")
    if _open_minor(inv) <= 0:
        raise Conflict(NOTHING_OPEN)
    scheduled = session.execute(sa.select(PaymentAttempt).where(
        PaymentAttempt.invoice_id == inv.id, PaymentAttempt.status == "scheduled")
        .order_by(PaymentAttempt.attempt_no).limit(1)).scalar_one_or_none()
    if scheduled is not None and key is None:
        return _run_attempt(session, scheduled, actor=actor, now=now, provider=provider)
    if scheduled is not None:
        scheduled.status = "canceled"
        session.flush()
    n = _next_attempt_no(session, inv.id)
    a = PaymentAttempt(invoice_id=inv.id, attempt_no=n,
                       idempotency_key=key or attempt_key(inv, n),
                       amount_minor=_open_minor(inv), currency=inv.currency,
                       status="scheduled", scheduled_at=now)
    session.add(a)
    session.flush()
    return _run_attempt(session, a, actor=actor, now=now, provider=provider)


def record_payment(session: Session, *, invoice_id: int, amount_minor: int, actor: Actor,
                   method: str = "bank_transfer", reference: str | None = None,
                   now: datetime | None = None) -> Payment:
    """Record money received outside the provider (bank transfer, cheque); partial payments
    are allowed. Settling the invoice ends its dunning and reactivates the subscription if
    dunning canceled it.

    Raises:
        InvalidInput: a non-positive amount or more than is open. Conflict: not issued.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    now = now or utcnow()
    inv = session.execute(sa.select(Invoice).where(Invoice.id == invoice_id)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    if inv.status != InvoiceStatus.ISSUED.value:
        raise Conflict(f"Payments are recorded on issued invoices; this invoice is "
                       f"{inv.status.replace('_', ' ')}.")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput("The amount must be positive.")
    if amount_minor > _open_minor(inv):
        raise InvalidInput(f"Only {format_minor(_open_minor(inv), inv.currency)} is open on "
                           "this invoice.")
    in_dunning = session.execute(sa.select(PaymentAttempt.id).where(
        PaymentAttempt.invoice_id == inv.id, PaymentAttempt.status == "failed")).first()
    return _apply_payment(session, inv, amount_minor, actor=actor, now=now,
                          method=(method or "bank_transfer").strip() or "bank_transfer",
                          reference=(reference or "").strip()[:64] or None,
                          in_dunning=in_dunning is not None)


def update_payment_token(session: Session, *, customer_id: int, token: str, actor: Actor,
                         reason: str = "") -> Customer:
    """Store a new payment method token for a customer (e.g. after they update their card).

    Raises:
        InvalidInput: a token that does not look like ``tok_...``.
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


# ----------------------------------------------------------------------------- dunning run


@dataclass
class DunningReport:
    """What a dunning run did."""

    now: datetime
    charged: int = 0
    succeeded: int = 0
    failed: int = 0
    exhausted: int = 0
    canceled: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI and the page."""
        text = (f"dunning at {self.now:%Y-%m-%d %H:%M} UTC: {self.charged} attempts "
                f"({self.succeeded} paid, {self.failed} failed), {self.exhausted} exhausted, "
                f"{self.canceled} subscriptions canceled")
        return text + (f", {len(self.errors)} errors" if self.errors else "")


def _due_attempt_ids(session: Session, now: datetime, limit: int) -> list[int]:
    return list(session.execute(
        sa.select(PaymentAttempt.id).where(PaymentAttempt.status == "scheduled",
                                           PaymentAttempt.scheduled_at <= now)
        .order_by(PaymentAttempt.scheduled_at, PaymentAttempt.id).limit(limit)).scalars())


def _new_invoice_ids(session: Session, now: datetime, limit: int) -> list[int]:
    tried = sa.select(PaymentAttempt.invoice_id).where(PaymentAttempt.invoice_id == Invoice.id)
    paid = sa.select(Payment.invoice_id).where(Payment.invoice_id == Invoice.id)
    return list(session.execute(
        sa.select(Invoice.id).join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.status == InvoiceStatus.ISSUED.value, Invoice.issued_at <= now,
               Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor > 0,
               Customer.payment_token.is_not(None), ~sa.exists(tried), ~sa.exists(paid))
        .order_by(Invoice.issued_at, Invoice.id).limit(limit)).scalars())


def _cancel_candidates(session: Session, now: datetime) -> list[tuple[int, int]]:
    """(subscription id, invoice id) of past-due subscriptions whose grace has run out."""
    days = cancel_after_days(dunning_settings(session))
    rows = session.execute(
        sa.select(Subscription.id, Invoice.id)
        .join(Invoice, Invoice.subscription_id == Subscription.id)
        .where(Subscription.status == "past_due", Invoice.status == InvoiceStatus.ISSUED.value,
               Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor > 0)
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


def run_dunning(*, now: datetime | None = None, engine: sa.Engine | None = None,
                provider: PaymentProvider | None = None, actor: Actor = SYSTEM,
                limit: int = 10_000) -> DunningReport:
    """One dunning pass at ``now``, one transaction per invoice:

    1. first charges of issued invoices that have none yet (policy ``dunning.auto_charge``),
    2. retries that are due,
    3. involuntary cancellation of past-due subscriptions whose grace ran out.

    Args:
        now: the clock (defaults to now).
        engine: the database (default: the process engine).
        provider: the payment provider (default :func:`get_provider`).
        actor: who runs it (the system by default).
        limit: at most this many invoices per step.

    Returns:
        The counts of what happened.
    """
    now = now or utcnow()
    provider = provider or get_provider()
    report = DunningReport(now)
    with read_session(engine) as s:
        auto = bool(dunning_settings(s).get("auto_charge", True))
        new_ids = _new_invoice_ids(s, now, limit) if auto else []
        due_ids = _due_attempt_ids(s, now, limit)

    def tally(result: AttemptResult) -> None:
        if result.replayed or result.status == "canceled":
            return
        report.charged += 1
        report.succeeded += result.status == "succeeded"
        report.failed += result.status == "failed"
        report.exhausted += result.exhausted

    for invoice_id in new_ids:
        try:
            with unit_of_work(engine) as s:
                tally(charge_invoice(s, invoice_id=invoice_id, actor=actor, now=now,
                                     provider=provider))
        except sa.exc.IntegrityError:
            continue  # another runner made this attempt first (unique idempotency key)
        except ServiceError as exc:
            if str(exc) != NOTHING_OPEN:
                report.errors.append(f"invoice {invoice_id}: {exc}")
    for attempt_id in due_ids:
        try:
            with unit_of_work(engine) as s:
                a = s.get(PaymentAttempt, attempt_id)
                if a is not None and a.status == "scheduled":
                    tally(_run_attempt(s, a, actor=actor, now=now, provider=provider))
        except ServiceError as exc:
            report.errors.append(f"attempt {attempt_id}: {exc}")
    with read_session(engine) as s:
        candidates = _cancel_candidates(s, now)
    for sub_id, inv_id in candidates:
        try:
            with unit_of_work(engine) as s:
                sub = s.execute(sa.select(Subscription).where(Subscription.id == sub_id)
                                .execution_options(populate_existing=True)).scalar_one()
                if cancel_involuntary(s, sub, s.get(Invoice, inv_id), actor=actor,
                                      now=now) is not None:
                    report.canceled += 1
        except ServiceError as exc:
            report.errors.append(f"subscription {sub_id}: {exc}")
    return report


# ----------------------------------------------------------------------------- page-facing


def charge_invoice_view(invoice_id: int, *, user_id: int, idempotency_key: str | None = None,
                        now: datetime | None = None) -> Outcome:
    """Page-facing :func:`charge_invoice`."""
    try:
        with unit_of_work() as s:
            r = charge_invoice(s, invoice_id=invoice_id, actor=actor_for(s, user_id), now=now,
                               idempotency_key=idempotency_key)
    except ServiceError as exc:
        return Outcome(False, str(exc))
    if r.replayed:
        return Outcome(r.status == "succeeded",
                              f"This charge already ran (attempt {r.attempt_no}: {r.status}); "
                              "nothing was charged again.")
    if r.status == "succeeded":
        return Outcome(True, f"Payment collected (attempt {r.attempt_no}).")
    tail = (f" Next retry {r.next_at:%Y-%m-%d}." if r.next_at else
            " No retries left." if r.exhausted else "")
    return Outcome(False, f"The charge failed: {r.failure_code}.{tail}")


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


def run_dunning_view(*, user_id: int, now: datetime | None = None) -> DunningReport:
    """Page-facing :func:`run_dunning` run by a finance user (re-checks the permission).

    Raises:
        NotAllowed: the user may not manage collections.
    """
    with unit_of_work() as s:
        actor = actor_for(s, user_id)
        require(s, actor, Permission.MANAGE_COLLECTIONS, system=True)
    return run_dunning(now=now, actor=actor)


@dataclass(frozen=True)
class MessageRow:
    """An email in the outbox (dunning reminders, notices)."""

    id: int
    at: str
    kind: str
    subject: str
    body: str
    sent: str


def customer_messages(session: Session, customer_id: int, *, limit: int = 50
                      ) -> list[MessageRow]:
    """A customer's outbox messages, newest first."""
    rows = session.execute(sa.select(OutboxMessage).where(OutboxMessage.customer_id == customer_id)
                           .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                           .limit(limit)).scalars().all()
    return [MessageRow(m.id, m.created_at.strftime("%Y-%m-%d %H:%M"), m.kind, m.subject, m.body,
                       m.sent_at.strftime("%Y-%m-%d %H:%M") if m.sent_at else "not sent yet")
            for m in rows]


def customer_messages_view(customer_id: int, *, limit: int = 50) -> list[MessageRow]:
    """Page-facing :func:`customer_messages`."""
    with read_session() as s:
        return customer_messages(s, customer_id, limit=limit)
