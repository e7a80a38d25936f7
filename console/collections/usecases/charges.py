"""Charging an invoice through the payment provider, one ``payment_attempt`` at a time.

* Every charge is a ``payment_attempt`` with a unique idempotency key
  (``pay-<invoice number>-attempt-<n>``, or the caller's key). The attempt is claimed with a
  conditional update (``scheduled`` -> ``processing``) before the provider is called, and the
  provider is called with the attempt's key, so two racing runners never charge twice and a
  repeated call with a used key returns the stored result without charging.
* A failed attempt schedules the next one per ``policy_setting["dunning_schedule_days"]``
  (days after the first attempt) and writes a reminder to ``outbox_message``. When retries run
  out the subscription becomes ``past_due`` (final notice).
* A successful one records the payment
  (:func:`console.collections.usecases.payments.apply_payment`).
* The clock is a parameter (``now``), so tests and the CLI can walk the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.billing import InvoiceStatus
from console.collections.domain import (
    PaymentProvider,
    SimulatedProvider,
    StepKind,
    after_attempt,
)
from console.collections.domain.dunning import reminder
from console.collections.domain.provider import IdempotencyError
from console.collections.queries.dunning import dunning_schedule
from console.collections.queries.receivables import load_invoice, open_minor
from console.collections.usecases.involuntary_churn import mark_past_due
from console.collections.usecases.notices import send_notice
from console.collections.usecases.payments import apply_payment
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import Conflict, ServiceError
from console.kernel.outcome import Outcome
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import format_minor
from models import Customer, Invoice, PaymentAttempt
from models.db import unit_of_work
from models.types import utcnow

NOTHING_OPEN = "Nothing is left to pay on this invoice."

_provider: PaymentProvider = SimulatedProvider()


def get_provider() -> PaymentProvider:
    """The payment provider in use (the simulated one unless another was set)."""
    return _provider


def set_provider(provider: PaymentProvider) -> PaymentProvider:
    """Use ``provider`` from now on; returns the previous one (tests restore it)."""
    global _provider
    previous, _provider = _provider, provider
    return previous


def attempt_key(inv: Invoice, attempt_no: int) -> str:
    """The idempotency key of an invoice's ``attempt_no``-th charge."""
    return f"pay-{inv.number or inv.id}-attempt-{attempt_no}"


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


def _failed(session: Session, a: PaymentAttempt, inv: Invoice, balance: int,
            failure_code: str | None, *, first_at: datetime, actor: Actor,
            now: datetime) -> AttemptResult:
    """Record a failed charge: schedule the retry (or mark the subscription past due when
    none is left), remind the customer, audit."""
    a.status, a.failure_code = "failed", failure_code
    session.flush()
    step = after_attempt(attempt_no=a.attempt_no, succeeded=False, first_attempt_at=first_at,
                         schedule=dunning_schedule(session))
    if step.kind == StepKind.RETRY:
        has_next = session.execute(sa.select(PaymentAttempt.id).where(
            PaymentAttempt.invoice_id == inv.id, PaymentAttempt.status == "scheduled")
        ).first()
        if has_next is None:
            session.add(PaymentAttempt(invoice_id=inv.id, attempt_no=step.next_attempt_no,
                                       idempotency_key=attempt_key(inv, step.next_attempt_no),
                                       amount_minor=balance, currency=inv.currency,
                                       status="scheduled", scheduled_at=step.next_at))
            session.flush()
    msg = reminder(invoice_number=inv.number or str(inv.id), attempt_no=a.attempt_no,
                   failure_code=failure_code, amount_text=format_minor(balance, inv.currency),
                   next_at=step.next_at)
    send_notice(session, inv.customer_id, msg, invoice_id=inv.id, now=now)
    exhausted = step.kind == StepKind.EXHAUSTED
    record(session, actor=actor, action="payment.failed", object_type="invoice",
           object_id=inv.id,
           after={"attempt_id": a.id, "attempt_no": a.attempt_no,
                  "idempotency_key": a.idempotency_key, "failure_code": failure_code,
                  "amount_minor": balance, "next_attempt_at": step.next_at,
                  "exhausted": exhausted})
    if exhausted:
        mark_past_due(session, inv, actor=actor, now=now)
    return AttemptResult(a.id, inv.id, a.attempt_no, a.idempotency_key, a.status,
                         a.failure_code, None, next_at=step.next_at, exhausted=exhausted)


def run_attempt(session: Session, a: PaymentAttempt, *, actor: Actor, now: datetime,
                provider: PaymentProvider) -> AttemptResult:
    """Claim a scheduled attempt, charge it, and record what follows.

    Args:
        session: the open unit of work.
        a: the scheduled attempt.
        actor: who charges (checked by the caller).
        now: the clock.
        provider: the payment provider.

    Returns:
        What happened; the stored result (``replayed``) when another runner claimed the
        attempt first.

    Raises:
        Conflict: the provider saw the attempt's key on another charge.
    """
    claimed = session.execute(
        sa.update(PaymentAttempt).where(PaymentAttempt.id == a.id,
                                        PaymentAttempt.status == "scheduled")
        .values(status="processing").execution_options(synchronize_session=False)).rowcount
    session.refresh(a)
    if claimed != 1:
        return _stored(a)
    inv = load_invoice(session, a.invoice_id)
    balance = open_minor(inv)
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
    if not result.succeeded:
        return _failed(session, a, inv, balance, result.failure_code, first_at=first_at,
                       actor=actor, now=now)
    a.status = "succeeded"
    session.flush()
    pay = apply_payment(session, inv, balance, actor=actor, now=now, method="card",
                        reference=result.provider_ref, in_dunning=a.attempt_no > 1)
    a.payment_id = pay.id
    session.flush()
    return AttemptResult(a.id, inv.id, a.attempt_no, a.idempotency_key, a.status, None, pay.id)


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

    Returns:
        What the attempt did.

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
            return run_attempt(session, seen, actor=actor, now=now, provider=provider)
    inv = load_invoice(session, invoice_id)
    if inv.status != InvoiceStatus.ISSUED.value:
        raise Conflict(f"Only issued invoices can be charged; this invoice is "
                       f"{inv.status.replace('_', ' ')}.")
    if open_minor(inv) <= 0:
        raise Conflict(NOTHING_OPEN)
    scheduled = session.execute(sa.select(PaymentAttempt).where(
        PaymentAttempt.invoice_id == inv.id, PaymentAttempt.status == "scheduled")
        .order_by(PaymentAttempt.attempt_no).limit(1)).scalar_one_or_none()
    if scheduled is not None and key is None:
        return run_attempt(session, scheduled, actor=actor, now=now, provider=provider)
    if scheduled is not None:
        scheduled.status = "canceled"
        session.flush()
    n = _next_attempt_no(session, inv.id)
    a = PaymentAttempt(invoice_id=inv.id, attempt_no=n,
                       idempotency_key=key or attempt_key(inv, n),
                       amount_minor=open_minor(inv), currency=inv.currency,
                       status="scheduled", scheduled_at=now)
    session.add(a)
    session.flush()
    return run_attempt(session, a, actor=actor, now=now, provider=provider)


# --- page-facing


def charge_outcome(r: AttemptResult) -> Outcome:
    """How the page reports an attempt: ok only when money was collected."""
    if r.replayed:
        return Outcome(r.status == "succeeded",
                       f"This charge already ran (attempt {r.attempt_no}: {r.status}); "
                       "nothing was charged again.")
    if r.status == "succeeded":
        return Outcome(True, f"Payment collected (attempt {r.attempt_no}).")
    tail = (f" Next retry {r.next_at:%Y-%m-%d}." if r.next_at else
            " No retries left." if r.exhausted else "")
    return Outcome(False, f"The charge failed: {r.failure_code}.{tail}")


def charge_invoice_view(invoice_id: int, *, user_id: int, idempotency_key: str | None = None,
                        now: datetime | None = None) -> Outcome:
    """Page-facing :func:`charge_invoice`.

    Not :func:`console.kernel.outcome.act`: a failed charge commits (the attempt, the retry
    and the reminder are kept) yet is reported as not ok.
    """
    try:
        with unit_of_work() as s:
            r = charge_invoice(s, invoice_id=invoice_id, actor=actor_for(s, user_id), now=now,
                               idempotency_key=idempotency_key)
    except ServiceError as exc:
        return Outcome(False, str(exc))
    return charge_outcome(r)
