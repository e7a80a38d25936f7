"""Payments and dunning with a controlled clock, on SQLite and PostgreSQL: a failed payment
walks the retry schedule to involuntary churn, and a later payment reactivates; idempotent
attempts; recovery during retries; manual payments."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.billing.usecases import invoices as inv_svc
from console.collections.domain import SimulatedProvider
from console.collections.usecases.charges import (
    charge_invoice,
    charge_invoice_view,
    set_provider,
)
from console.collections.usecases.dunning_run import DunningReport, run_dunning
from console.collections.usecases.payments import record_payment, update_payment_token
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import (
    AuditEvent,
    Customer,
    Invoice,
    MrrMonthly,
    OutboxMessage,
    Payment,
    PaymentAttempt,
    Subscription,
    SubscriptionEvent,
)
from models.db import read_session, unit_of_work
from tests.integration import billing_fixtures as bf

pytestmark = pytest.mark.integration
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
ISSUED = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _world(engine, token: str = "tok_insufficient_funds") -> dict:
    """A customer on a 100.00/month plan (MRR 100.00) whose March invoice (132.00) is issued
    on 2026-04-01; retries on days 1, 3, 5, 7; cancellation 14 days after they run out."""
    with unit_of_work(engine) as s:
        people = bf.staff(s)
        cat = bf.simple_catalog(s)
        acme = bf.customer(s, "ACME")
        acme.payment_token, acme.mrr_minor = token, 10000
        sub = bf.subscription(s, acme, cat["version"], started_on=date(2025, 1, 1))
        sub.mrr_minor = 10000
        for month in (date(2026, 3, 1), date(2026, 4, 1)):
            s.add(MrrMonthly(customer_id=acme.id, month=month, mrr_minor=10000, currency="USD",
                             plan_version_id=cat["version"].id))
        bf.usage(s, [("ACME", "calls", "2000", "2026-03-03T10:00:00+00:00")])
        bf.set_policy(s, "dunning_schedule_days", [1, 3, 5, 7])  # the demo stores a list
        bf.set_policy(s, "dunning", {"cancel_after_days": 14})
    bf.bill(engine, MARCH)
    fin = bf.actor(people["finance"], "finance")
    with unit_of_work(engine) as s:
        inv = s.execute(sa.select(Invoice)).scalar_one()
        inv_svc.approve_invoice(s, invoice_id=inv.id, version=inv.version, actor=fin)
        inv_svc.issue_invoice(s, invoice_id=inv.id, version=inv.version, actor=fin, now=ISSUED)
        return {"invoice_id": inv.id, "number": inv.number, "customer_id": acme.id,
                "sub_id": sub.id, "people": people, "fin": fin}


def _attempts(engine, invoice_id: int) -> list[tuple]:
    with read_session(engine) as s:
        return [tuple(r) for r in s.execute(
            sa.select(PaymentAttempt.attempt_no, PaymentAttempt.status,
                      PaymentAttempt.failure_code, PaymentAttempt.scheduled_at)
            .where(PaymentAttempt.invoice_id == invoice_id)
            .order_by(PaymentAttempt.attempt_no)).all()]


def _outbox(engine) -> list[str]:
    with read_session(engine) as s:
        return list(s.execute(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id))
                    .scalars())


def _state(engine, w) -> tuple:
    with read_session(engine) as s:
        sub = s.get(Subscription, w["sub_id"])
        cust = s.get(Customer, w["customer_id"])
        inv = s.get(Invoice, w["invoice_id"])
        return (sub.status, sub.churn_reason, sub.mrr_minor, cust.status, cust.mrr_minor,
                inv.status)


def _ledger(engine, w) -> dict[date, int]:
    with read_session(engine) as s:
        return dict(s.execute(sa.select(MrrMonthly.month, MrrMonthly.mrr_minor).where(
            MrrMonthly.customer_id == w["customer_id"])).all())


def test_failed_payment_walks_to_involuntary_churn_and_back(engine) -> None:
    w = _world(engine)
    provider = SimulatedProvider()
    t1 = ISSUED + timedelta(hours=1)

    def run(at: datetime) -> DunningReport:
        return run_dunning(now=at, engine=engine, provider=provider)

    r = run(t1)  # the first charge
    assert (r.charged, r.failed) == (1, 1)
    assert _attempts(engine, w["invoice_id"]) == [
        (1, "failed", "insufficient_funds", t1), (2, "scheduled", None, t1 + DAY)]
    assert run(t1 + 12 * timedelta(hours=1)).charged == 0  # nothing due yet
    for n, day in ((2, 1), (3, 3), (4, 5)):
        r = run(t1 + day * DAY)
        assert (r.charged, r.failed, r.exhausted) == (1, 1, 0), n
        assert _state(engine, w)[0] == "active"
    r = run(t1 + 7 * DAY)  # the last retry
    assert (r.charged, r.exhausted) == (1, 1)
    attempts = _attempts(engine, w["invoice_id"])
    assert [a[:2] for a in attempts] == [(n, "failed") for n in range(1, 6)]
    assert [a[3] for a in attempts] == [t1 + d * DAY for d in (0, 1, 3, 5, 7)]
    assert _state(engine, w) == ("past_due", None, 10000, "past_due", 10000, "issued")
    assert _outbox(engine) == ["dunning_reminder"] * 4 + ["dunning_final"]
    assert provider.calls == 5 and provider.charged_minor == 0
    assert run(t1 + 20 * DAY).canceled == 0  # 13 days after the last retry
    r = run(t1 + 21 * DAY)
    assert r.canceled == 1
    cancel_day = (t1 + 21 * DAY).date()
    assert _state(engine, w) == ("canceled", "involuntary", 0, "churned", 0, "issued")
    with read_session(engine) as s:
        ev = s.execute(sa.select(SubscriptionEvent).where(SubscriptionEvent.kind == "cancel")
                       ).scalar_one()
        assert (ev.churn_reason, ev.mrr_before_minor, ev.mrr_after_minor, ev.mrr_delta_minor,
                ev.occurred_on) == ("involuntary", 10000, 0, -10000, cancel_day)
        assert s.get(Subscription, w["sub_id"]).canceled_on == cancel_day
    assert _ledger(engine, w) == {date(2026, 3, 1): 10000}  # April ends at 0 MRR
    assert _outbox(engine)[-1] == "dunning_canceled"
    assert run(t1 + 40 * DAY).canceled == 0  # once only

    # Replaying a used key returns the stored result and charges nothing.
    with unit_of_work(engine) as s:
        again = charge_invoice(s, invoice_id=w["invoice_id"], actor=w["fin"],
                               idempotency_key=f"pay-{w['number']}-attempt-1",
                               now=t1 + 30 * DAY, provider=provider)
    assert again.replayed and again.status == "failed" and provider.calls == 5

    # The customer updates the card; finance charges again: paid, and the subscription is back.
    with unit_of_work(engine) as s:
        update_payment_token(s, customer_id=w["customer_id"], token="tok_success",
                             actor=w["fin"], reason="Customer called with a new card")
    paid_at = t1 + 31 * DAY
    with unit_of_work(engine) as s:
        ok = charge_invoice(s, invoice_id=w["invoice_id"], actor=w["fin"],
                            now=paid_at, idempotency_key="ui-42", provider=provider)
    assert (ok.status, ok.attempt_no, ok.replayed) == ("succeeded", 6, False)
    with unit_of_work(engine) as s:
        replay = charge_invoice(s, invoice_id=w["invoice_id"], actor=w["fin"],
                                now=paid_at, idempotency_key="ui-42", provider=provider)
    assert replay.replayed and replay.status == "succeeded"
    assert (provider.calls, provider.charged_minor) == (6, 13200)
    assert _state(engine, w) == ("active", None, 10000, "active", 10000, "paid")
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Payment)).scalar_one() == 1
        inv = s.get(Invoice, w["invoice_id"])
        assert (inv.paid_minor, inv.paid_at) == (13200, paid_at)
        react = s.execute(sa.select(SubscriptionEvent).where(
            SubscriptionEvent.kind == "reactivate")).scalar_one()
        assert (react.mrr_before_minor, react.mrr_after_minor, react.mrr_delta_minor,
                react.occurred_on) == (0, 10000, 10000, paid_at.date())
        actions = list(s.execute(sa.select(AuditEvent.action).where(AuditEvent.action.in_((
            "payment.failed", "subscription.past_due", "subscription.cancel",
            "customer.payment_method", "invoice.payment", "subscription.reactivate")))
            .order_by(AuditEvent.id)).scalars())
        assert verify(s)[1] is None
    assert actions == ["payment.failed"] * 5 + [
        "subscription.past_due", "subscription.cancel", "customer.payment_method",
        "invoice.payment", "subscription.reactivate"]
    assert _ledger(engine, w) == {date(2026, 3, 1): 10000, date(2026, 5, 1): 10000}
    assert _outbox(engine)[-1] == "payment_received"


def test_recovery_during_retries_cancels_the_rest(engine) -> None:
    w = _world(engine, token="tok_network_error")
    provider = SimulatedProvider()
    t1 = ISSUED + timedelta(hours=1)
    run_dunning(now=t1, engine=engine, provider=provider)
    run_dunning(now=t1 + DAY, engine=engine, provider=provider)
    with unit_of_work(engine) as s:
        s.get(Customer, w["customer_id"]).payment_token = "tok_success"
    r = run_dunning(now=t1 + 3 * DAY, engine=engine, provider=provider)
    assert (r.charged, r.succeeded) == (1, 1)
    assert [a[:2] for a in _attempts(engine, w["invoice_id"])] == [
        (1, "failed"), (2, "failed"), (3, "succeeded")]
    assert _state(engine, w) == ("active", None, 10000, "active", 10000, "paid")
    assert _outbox(engine) == ["dunning_reminder", "dunning_reminder", "payment_received"]
    assert run_dunning(now=t1 + 30 * DAY, engine=engine, provider=provider).charged == 0
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(SubscriptionEvent)
                         ).scalar_one() == 0


def test_bank_transfer_after_past_due_recovers_without_reactivation(engine) -> None:
    w = _world(engine, token="tok_expired_card")
    provider = SimulatedProvider()
    t1 = ISSUED + timedelta(hours=1)
    for d in (0, 1, 3, 5, 7):
        run_dunning(now=t1 + d * DAY, engine=engine, provider=provider)
    assert _state(engine, w)[0] == "past_due"
    with pytest.raises(InvalidInput, match=r"Only \$132\.00 is open"), unit_of_work(engine) as s:
        record_payment(s, invoice_id=w["invoice_id"], amount_minor=13201,
                       actor=w["fin"])
    with unit_of_work(engine) as s:
        record_payment(s, invoice_id=w["invoice_id"], amount_minor=5000,
                       actor=w["fin"], reference="BT-1", now=t1 + 8 * DAY)
    assert _state(engine, w)[0] == "past_due"  # still 82.00 open
    with unit_of_work(engine) as s:
        record_payment(s, invoice_id=w["invoice_id"], amount_minor=8200,
                       actor=w["fin"], reference="BT-2", now=t1 + 9 * DAY)
    assert _state(engine, w) == ("active", None, 10000, "active", 10000, "paid")
    assert run_dunning(now=t1 + 40 * DAY, engine=engine, provider=provider).canceled == 0
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(SubscriptionEvent)
                         ).scalar_one() == 0
        assert s.execute(sa.select(AuditEvent.action).where(
            AuditEvent.action == "subscription.recover")).scalar_one()


def test_people_without_collections_rights_cannot_charge(engine) -> None:
    w = _world(engine)
    support = bf.actor(w["people"]["support"], "support")
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        charge_invoice(s, invoice_id=w["invoice_id"], actor=support,
                       provider=SimulatedProvider())
    with pytest.raises(InvalidInput, match="tok_"), unit_of_work(engine) as s:
        update_payment_token(s, customer_id=w["customer_id"], token="4111 1111",
                             actor=w["fin"])
    out = charge_invoice_view(w["invoice_id"], user_id=w["people"]["viewer"])
    assert not out.ok and "not allowed" in out.message
    with pytest.raises(Conflict, match="another invoice"), unit_of_work(engine) as s:
        s.add(PaymentAttempt(invoice_id=w["invoice_id"], attempt_no=9, idempotency_key="k-x",
                             amount_minor=1, currency="USD", status="failed",
                             scheduled_at=ISSUED))
        s.flush()
        other = Invoice(customer_id=w["customer_id"], period_start=date(2026, 2, 1),
                        period_end=date(2026, 2, 28), currency="USD", status="issued",
                        total_minor=100, number="INV-X", due_date=date(2026, 3, 1))
        s.add(other)
        s.flush()
        charge_invoice(s, invoice_id=other.id, actor=w["fin"], idempotency_key="k-x",
                       provider=SimulatedProvider())


def test_racing_runners_charge_each_attempt_once(engine) -> None:
    w = _world(engine, token="tok_success")
    provider = SimulatedProvider()
    t1 = ISSUED + timedelta(hours=1)
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            run_dunning(now=t1, engine=engine, provider=provider)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Payment)).scalar_one() == 1
        assert s.get(Invoice, w["invoice_id"]).paid_minor == 13200
    assert provider.charged_minor == 13200


def test_cli_runs_a_dunning_pass_with_a_given_day(engine, capsys) -> None:
    from console.cli import main

    w = _world(engine)
    previous = set_provider(SimulatedProvider())  # a fresh idempotency memory
    try:
        assert main(["dunning", "run", "--today", "2026-04-01"]) == 0
        out = capsys.readouterr().out
        assert "dunning at 2026-04-01 23:59 UTC: 1 attempts (0 paid, 1 failed)" in out
        assert [a[:2] for a in _attempts(engine, w["invoice_id"])] == [(1, "failed"),
                                                                       (2, "scheduled")]
        assert main(["dunning", "run", "--now", "2026-04-03T00:00:00+00:00"]) == 0
        assert "1 attempts (0 paid, 1 failed)" in capsys.readouterr().out
    finally:
        set_provider(previous)
