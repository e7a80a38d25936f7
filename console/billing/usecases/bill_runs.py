"""Bill runs: one draft invoice per billable subscription and period, idempotent and resumable.

* :func:`start_bill_run` creates the run for a period (or returns the existing one: a period
  has at most one run), with the share of customers released first (waves).
* :func:`run_bill_run` drafts the invoices of the released customers. It bulk-loads its inputs
  once (:mod:`console.billing.usecases.bill_run_inputs`), computes in memory with the pure
  rules of :mod:`console.billing.domain`, and writes in batches: each batch is its own
  transaction holding the invoices, their lines, one audit event per invoice, the prepaid
  credit drawn and the run's ``processed`` counter. A crash loses at most the batch in
  flight; running again skips every subscription that already has an invoice for the period
  (also enforced by the unique constraint on (subscription_id, period_start, period_end)), so
  re-running never duplicates.
* Waves (:mod:`console.billing.domain.waves`): a customer is released when
  ``bucket_bp(f"billrun:{id}", customer code) < released_percent * 100``;
  :func:`release_wave` raises the share and the next run drafts the rest. A run whose
  released share is below 100 % ends ``paused``, otherwise ``completed``.
* Every draft starts in status ``draft`` with its review flags in ``invoice.flags``
  (``[{"code", "detail"}]``); the review queue shows ``draft`` and ``in_review`` (held).

The runs as the page lists them are :mod:`console.billing.queries.bill_runs`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from console.audit import AuditItem, record, record_many
from console.billing.domain.anomalies import InvoiceFacts, flag_invoice
from console.billing.domain.charges import SubscriptionTerms, build_lines
from console.billing.domain.lines import LineDraft, finalize, prepaid_credit_line, totals
from console.billing.domain.periods import Period
from console.billing.domain.waves import released
from console.billing.queries.bill_runs import BillRunRow, bill_run_rows
from console.billing.usecases.bill_run_inputs import (
    BillableSubscription,
    BillRunInputs,
    count_billable,
    invoiced_subscriptions,
    load_billable,
    load_inputs,
)
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import conditional_update
from console.kernel.errors import InvalidInput, NotFound
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import format_minor
from models import BillRun, Customer, Invoice, InvoiceLine
from models.db import get_engine, read_session, unit_of_work
from models.types import utcnow

#: Serialises batches of the same bill run across PostgreSQL sessions (two runners at once).
_PG_BILL_RUN_LOCK = 0x0B1112

Progress = Callable[[int, int], None]


def _run_json(run: BillRun) -> dict[str, Any]:
    return {"period_start": run.period_start, "period_end": run.period_end,
            "status": run.status, "released_percent": run.released_percent,
            "total": run.total, "processed": run.processed}


def start_bill_run(session: Session, *, period_start: date, period_end: date, actor: Actor,
                   wave_percent: int = 100) -> BillRun:
    """Create the bill run of a period (or return the one that exists).

    Args:
        session: an open unit of work.
        period_start: first day billed.
        period_end: last day billed (inclusive).
        actor: who starts it (needs run_billing).
        wave_percent: share of customers released first (e.g. 5), 1-100.

    Returns:
        The run (``pending``); call :func:`run_bill_run` to draft the invoices.

    Raises:
        InvalidInput: for a period that ends before it starts or a share outside 1-100.
    """
    require(session, actor, Permission.RUN_BILLING, system=True)
    if period_end < period_start:
        raise InvalidInput("The period must end on or after its first day.")
    if isinstance(wave_percent, bool) or not isinstance(wave_percent, int) \
            or not 1 <= wave_percent <= 100:
        raise InvalidInput("The first wave must release between 1 and 100 percent.")
    existing = session.execute(sa.select(BillRun).where(
        BillRun.period_start == period_start, BillRun.period_end == period_end)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    period = Period(period_start, period_end)
    run = BillRun(period_start=period_start, period_end=period_end, status="pending",
                  released_percent=wave_percent, total=count_billable(session, period),
                  processed=0, created_by=actor.user_id)
    session.add(run)
    session.flush()
    record(session, actor=actor, action="bill_run.start", object_type="bill_run",
           object_id=run.id, after=_run_json(run))
    return run


def release_wave(session: Session, *, bill_run_id: int, percent: int, actor: Actor) -> BillRun:
    """Release a larger share of customers (e.g. from 5 to 100 percent); audited.

    Raises:
        NotFound: for an unknown run.
        InvalidInput: when ``percent`` is not above the released share or above 100.
    """
    require(session, actor, Permission.RUN_BILLING, system=True)
    run = session.get(BillRun, bill_run_id)
    if run is None:
        raise NotFound(f"No bill run with id {bill_run_id}.")
    if not isinstance(percent, int) or not run.released_percent < percent <= 100:
        raise InvalidInput(f"Release more than the {run.released_percent}% already released, "
                           "up to 100%.")
    before = _run_json(run)
    conditional_update(session, run, expect_status=None, released_percent=percent,
                       status="pending")
    record(session, actor=actor, action="bill_run.release_wave", object_type="bill_run",
           object_id=run.id, before=before, after=_run_json(run))
    return run


@dataclass(frozen=True)
class RunOutcome:
    """What one call of :func:`run_bill_run` did."""

    bill_run_id: int
    status: str
    created: int
    skipped_existing: int
    not_released: int
    processed: int
    total: int
    seconds: float


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def run_bill_run(engine: sa.Engine | None, *, bill_run_id: int, progress: Progress | None = None,
                 batch: int = 500, actor: Actor | None = None) -> RunOutcome:
    """Draft the invoices of a bill run's released customers, in batches (resumable).

    Args:
        engine: the database (None: the configured one).
        bill_run_id: the run (see :func:`start_bill_run`).
        progress: called with ``(processed, total)`` after each committed batch. Runs in the
            caller's thread; an exception from it stops the run after that batch.
        batch: subscriptions per transaction.
        actor: who runs it (default: the system); people need run_billing.

    Returns:
        What was done.

    Raises:
        NotFound: for an unknown run.
    """
    started = time.perf_counter()
    engine = engine or get_engine()
    actor = actor or Actor.system("system:bill-run")
    batch = max(1, int(batch))
    with unit_of_work(engine) as s:
        require(s, actor, Permission.RUN_BILLING, system=True)
        run = s.get(BillRun, bill_run_id)
        if run is None:
            raise NotFound(f"No bill run with id {bill_run_id}.")
        period = Period(run.period_start, run.period_end)
        percent = run.released_percent
        total = count_billable(s, period)
        s.execute(sa.update(BillRun).where(BillRun.id == run.id).values(
            status="running", started_at=run.started_at or utcnow(), error=None, total=total))
    try:
        with read_session(engine) as s:
            subs = load_billable(s, period)
            done = invoiced_subscriptions(s, period)
            todo = [b for b in subs if b.id not in done
                    and released(bill_run_id, b.customer_code, percent)]
            not_released = sum(1 for b in subs if b.id not in done) - len(todo)
            inputs = load_inputs(s, period, todo)
        created = 0
        skipped = len(subs) - len(todo) - not_released
        processed = 0
        for i in range(0, len(todo), batch):
            chunk = todo[i:i + batch]
            with unit_of_work(engine) as s:
                made, existing = _write_batch(s, run_id=bill_run_id, chunk=chunk, inputs=inputs,
                                              actor=actor)
                processed = s.execute(sa.select(BillRun.processed).where(
                    BillRun.id == bill_run_id)).scalar_one()
            created += made
            skipped += existing
            if progress is not None:
                progress(processed, total)
    except BaseException as exc:
        with unit_of_work(engine) as s:
            s.execute(sa.update(BillRun).where(BillRun.id == bill_run_id).values(
                status="failed", error=f"{type(exc).__name__}: {exc}"[:2000]))
        raise
    with unit_of_work(engine) as s:
        run = s.get(BillRun, bill_run_id)
        before = _run_json(run)
        run.status = "completed" if run.released_percent >= 100 else "paused"
        run.finished_at = utcnow()
        run.version += 1
        s.flush()
        record(s, actor=actor, action=f"bill_run.{run.status}", object_type="bill_run",
               object_id=run.id, before=before,
               after={**_run_json(run), "created": created, "skipped_existing": skipped})
        status, processed, total = run.status, run.processed, run.total
    return RunOutcome(bill_run_id, status, created, skipped, not_released, processed, total,
                      round(time.perf_counter() - started, 3))


def _terms(sub: BillableSubscription, inputs: BillRunInputs) -> SubscriptionTerms:
    return SubscriptionTerms(
        subscription_id=sub.id, currency=sub.currency, region=sub.region, segment=sub.segment,
        seats=sub.seats, started_on=sub.started_on, canceled_on=sub.canceled_on,
        current_version_id=sub.plan_version_id,
        changes=tuple(inputs.changes.get(sub.id, ())), interval=sub.billing_interval)


@dataclass(frozen=True)
class DraftInvoice:
    """One computed draft, ready to insert."""

    sub: BillableSubscription
    plan_version_id: int
    lines: tuple[LineDraft, ...]
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    credit_applied_minor: int
    flags: tuple[dict[str, str], ...]


def compute_draft(sub: BillableSubscription, inputs: BillRunInputs, *, credit_balance_minor: int
                  ) -> tuple[DraftInvoice, int]:
    """Compute one subscription's draft (pure given the inputs).

    Args:
        sub: the subscription to bill.
        inputs: the run's inputs (:func:`console.billing.usecases.bill_run_inputs.load_inputs`).
        credit_balance_minor: the customer's prepaid credit before this draft.

    Returns:
        The draft, and the customer's prepaid credit left after it.
    """
    currency = sub.currency
    draft = build_lines(_terms(sub, inputs), period=inputs.period,
                        prices_by_version=inputs.prices, meters=inputs.meters,
                        usage=inputs.usage.get(sub.customer_id, {}), rater=inputs.rater)
    rate = None if sub.tax_exempt else inputs.tax_rates.get(sub.region)
    missing_tax = not sub.tax_exempt and rate is None
    taxed = finalize(draft.lines, tax_rate=rate, currency=currency)
    credit, balance = prepaid_credit_line(taxed, credit_balance_minor=credit_balance_minor)
    lines = (*taxed, credit) if credit else tuple(taxed)
    tot = totals(lines)
    history = [h for h in inputs.history.get(sub.id, []) if h[0] == currency]
    previous_version = history[0][2] if history else None
    first_on_version = (
        (previous_version is not None and previous_version != draft.plan_version_id)
        or (previous_version is None and draft.plan_version_id not in inputs.versions_invoiced))
    names = {mid: inputs.meters[mid].name if mid in inputs.meters else str(mid)
             for mid in draft.meter_units}
    facts = InvoiceFacts(
        total_minor=tot.total_minor,
        previous_totals_minor=[h[1] for h in history],
        meter_units={names[mid]: units for mid, units in draft.meter_units.items()},
        trailing_average_units={names[mid]: inputs.trailing.get((sub.customer_id, mid),
                                                                Decimal(0))
                                for mid in draft.meter_units},
        first_on_version=first_on_version, missing_tax=missing_tax,
        missing_prices=draft.missing_prices,
        format_amount=lambda minor: format_minor(minor, currency))
    flags = tuple(f.as_json() for f in flag_invoice(facts, inputs.policy))
    return DraftInvoice(sub, draft.plan_version_id, lines, tot.subtotal_minor, tot.tax_minor,
                        tot.total_minor, credit_balance_minor - balance, flags), balance


def _write_batch(session: Session, *, run_id: int, chunk: list[BillableSubscription],
                 inputs: BillRunInputs, actor: Actor) -> tuple[int, int]:
    """Insert one batch's drafts in the caller's transaction; returns (created, existing)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k, :r)"),
                        {"k": _PG_BILL_RUN_LOCK, "r": run_id})
    period = inputs.period
    existing = invoiced_subscriptions(session, period, [b.id for b in chunk])
    subs = [b for b in chunk if b.id not in existing]
    if not subs:
        return 0, len(existing)
    balances = {cid: int(bal) for cid, bal in session.execute(
        sa.select(Customer.id, Customer.credit_balance_minor).where(
            Customer.id.in_({b.customer_id for b in subs})))}
    start_balances = dict(balances)
    drafts: list[DraftInvoice] = []
    for sub in subs:
        draft, balances[sub.customer_id] = compute_draft(
            sub, inputs, credit_balance_minor=balances.get(sub.customer_id, 0))
        drafts.append(draft)
    now = utcnow()
    table = Invoice.__table__
    rows = [{"customer_id": d.sub.customer_id, "subscription_id": d.sub.id,
             "bill_run_id": run_id, "plan_version_id": d.plan_version_id,
             "period_start": period.start, "period_end": period.end, "currency": d.sub.currency,
             "status": "draft", "subtotal_minor": d.subtotal_minor, "tax_minor": d.tax_minor,
             "total_minor": d.total_minor, "credited_minor": 0, "paid_minor": 0,
             "flags": list(d.flags), "created_at": now, "updated_at": now, "version": 1}
            for d in drafts]
    stmt = (_insert(session)(table).on_conflict_do_nothing(
        index_elements=["subscription_id", "period_start", "period_end"])
        .returning(table.c.id, table.c.subscription_id))
    ids = {sid: iid for iid, sid in session.execute(stmt, rows).all()}
    line_rows: list[dict[str, Any]] = []
    audits: list[AuditItem] = []
    used: dict[int, int] = {}
    for d in drafts:
        invoice_id = ids.get(d.sub.id)
        if invoice_id is None:
            continue  # drafted meanwhile by someone else: keep theirs
        used[d.sub.customer_id] = used.get(d.sub.customer_id, 0) + d.credit_applied_minor
        for pos, line in enumerate(d.lines, start=1):
            line_rows.append({
                "invoice_id": invoice_id, "price_id": line.price_id, "meter_id": line.meter_id,
                "kind": line.kind, "description": line.description[:500],
                "quantity": line.quantity, "unit_amount": line.unit_amount,
                "amount_minor": line.amount_minor, "tax_rate": line.tax_rate,
                "tax_minor": line.tax_minor, "breakdown": list(line.breakdown),
                "usage_from": line.usage_from, "usage_to": line.usage_to, "position": pos,
                "edit_reason": None})
        audits.append(AuditItem(
            action="invoice.draft", object_type="invoice", object_id=invoice_id,
            after={"status": "draft", "bill_run_id": run_id, "subscription_id": d.sub.id,
                   "period_start": period.start, "period_end": period.end,
                   "currency": d.sub.currency, "subtotal_minor": d.subtotal_minor,
                   "tax_minor": d.tax_minor, "total_minor": d.total_minor,
                   "credit_applied_minor": d.credit_applied_minor,
                   "flags": [f["code"] for f in d.flags]}))
    if line_rows:
        session.execute(sa.insert(InvoiceLine.__table__), line_rows)
    updates = [{"cid": cid, "bal": start_balances.get(cid, 0) - amount}
               for cid, amount in used.items() if amount]
    if updates:
        c = Customer.__table__
        session.execute(sa.update(c).where(c.c.id == sa.bindparam("cid")).values(
            credit_balance_minor=sa.bindparam("bal"), version=c.c.version + 1), updates)
    record_many(session, actor=actor, items=audits, at=now)
    session.execute(sa.update(BillRun).where(BillRun.id == run_id).values(
        processed=BillRun.processed + len(audits)))
    return len(audits), len(existing) + len(drafts) - len(audits)


# --- page-facing


def start_bill_run_view(period_start: date, period_end: date, *, user_id: int,
                        wave_percent: int = 100) -> BillRunRow:
    """Page-facing :func:`start_bill_run` (then run :func:`run_bill_run` in a background task).

    A refusal raises (the page shows it) instead of returning an Outcome: the page needs the
    run's row to run it and to poll its progress.
    """
    with unit_of_work() as s:
        run = start_bill_run(s, period_start=period_start, period_end=period_end,
                             actor=actor_for(s, user_id), wave_percent=wave_percent)
        return bill_run_rows(s, [run])[0]


def release_wave_view(bill_run_id: int, percent: int, *, user_id: int) -> BillRunRow:
    """Page-facing :func:`release_wave`; raises like :func:`start_bill_run_view`."""
    with unit_of_work() as s:
        run = release_wave(s, bill_run_id=bill_run_id, percent=percent,
                           actor=actor_for(s, user_id))
        return bill_run_rows(s, [run])[0]


def run_bill_run_for_user(bill_run_id: int, *, user_id: int, progress: Progress | None = None,
                          batch: int = 500) -> RunOutcome:
    """Page-facing :func:`run_bill_run` as a signed-in user (call it via asyncio.to_thread)."""
    with read_session() as s:
        actor = actor_for(s, user_id)
    return run_bill_run(None, bill_run_id=bill_run_id, progress=progress, batch=batch,
                        actor=actor)
