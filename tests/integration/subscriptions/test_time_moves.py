"""Time moves: renewals (exactly once with two workers), due work on the demo two months after
its as-of date, and experiment prices billed after a renewal."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from console import audit, billing, catalog, jobs, subscriptions
from console.demo import seed_demo
from console.identity.usecases.accounts import ensure_demo_users
from console.kernel.actor import Actor
from console.subscriptions import ChangeKind, ChangeSpec
from models import (
    AuditEvent,
    Experiment,
    ExperimentArm,
    Invoice,
    InvoiceLine,
    MrrMonthly,
    PlanMigration,
    Subscription,
    SubscriptionEvent,
)
from models.db import read_session, unit_of_work
from tests.integration import billing_fixtures as bf
from tests.integration.subscriptions_fixtures import MARCH_1, world

pytestmark = pytest.mark.integration
SEED_AS_OF = date(2026, 11, 20)
D = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
SYSTEM = Actor.system("system:test")


def _count(engine, model) -> int:
    with read_session(engine) as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def test_due_work_two_months_after_the_demo(engine) -> None:
    with unit_of_work(engine) as s:
        actors = ensure_demo_users(s)
    seed_demo(engine, customers=80, months=4, seed=3, as_of=SEED_AS_OF, actors=actors)
    # A lead schedules a migration of the plan's grandfathered subscribers at next renewal.
    with read_session(engine) as s:
        from_v, to_v = s.execute(sa.text(
            "SELECT s.plan_version_id, p.id FROM subscription s JOIN plan_version v ON "
            "v.id = s.plan_version_id JOIN plan_version p ON p.plan_id = v.plan_id AND "
            "p.status = 'published' AND p.id <> v.id WHERE v.status = 'retired' AND "
            "s.status = 'active' GROUP BY s.plan_version_id, p.id ORDER BY count(*) DESC "
            "LIMIT 1")).one()
    migration_id = catalog.schedule(user_id=actors["monetization_lead"],
                                    from_version_id=from_v, to_version_id=to_v)
    with read_session(engine) as s:
        m = s.get(PlanMigration, migration_id)
        moving = [ln["subscription_id"] for ln in m.preview["lines"]]
    assert moving
    results = jobs.run_due(D)
    assert all(r.outcome == jobs.SUCCEEDED for r in results), [r.line() for r in results]
    with read_session(engine) as s:
        stale = s.execute(sa.select(sa.func.count()).select_from(Subscription).where(
            Subscription.status.in_(("active", "past_due", "trialing")),
            Subscription.current_period_end < D.date())).scalar_one()
        assert stale == 0
        moved = s.execute(sa.select(Subscription.id).where(
            Subscription.id.in_(moving), Subscription.plan_version_id == to_v)).scalars().all()
        live = s.execute(sa.select(Subscription.id).where(
            Subscription.id.in_(moving), Subscription.status != "canceled")).scalars().all()
        assert set(live) <= set(moved)
        audited = set(s.execute(sa.select(AuditEvent.object_id).where(
            AuditEvent.action == "subscription.migrate")).scalars())
        assert {str(i) for i in moved} <= audited
        assert s.get(PlanMigration, migration_id).status == "completed"
        months = set(s.execute(sa.select(MrrMonthly.month).distinct()).scalars())
        assert {date(2026, 12, 1), date(2027, 1, 1)} <= months
    events = _count(engine, SubscriptionEvent)
    ledger = _ledger(engine)
    # The same due work again, an hour later (the hourly jobs run again), changes nothing.
    again = jobs.run_due(D + timedelta(hours=1))
    assert "0 renewal(s)" in next(r.summary for r in again if r.job == "renewals")
    assert subscriptions.renew_due(now=D, actor=SYSTEM).renewed == 0
    assert _count(engine, SubscriptionEvent) == events and _ledger(engine) == ledger
    assert audit.verify_stored_chain().startswith("OK:")


def _ledger(engine) -> list[tuple]:
    with read_session(engine) as s:
        return s.execute(sa.select(MrrMonthly.customer_id, MrrMonthly.month,
                                   MrrMonthly.mrr_minor, MrrMonthly.unchanged)
                         .order_by(MrrMonthly.customer_id, MrrMonthly.month)).all()


def _renewable(engine, users, n: int) -> list[int]:
    with unit_of_work(engine) as s:
        w = world(s)
    ids = []
    for i in range(n):
        with unit_of_work(engine) as s:
            if i:
                c = subscriptions_customer(s, i)
            else:
                c = w.customer
            r = subscriptions.propose_change(s, spec=ChangeSpec(
                ChangeKind.NEW, c, plan_id=w.team, seats=1, interval="month",
                effective_on=MARCH_1), actor=SYSTEM, on=MARCH_1)
            ids.append(r.subscription_id)
    return ids


def subscriptions_customer(session, i: int) -> int:
    from console.customers import create_customer
    from tests.integration.subscriptions_fixtures import DETAILS
    return create_customer(session, details={**DETAILS, "name": f"Customer {i}"},
                           actor=SYSTEM).id


@pytest.mark.postgres
def test_two_workers_renew_each_subscription_once(engine, users) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race")
    ids = _renewable(engine, users, 30)
    now = datetime(2026, 4, 3, 1, tzinfo=UTC)
    barrier = threading.Barrier(2)
    runs = []

    def work() -> None:
        barrier.wait()
        runs.append(subscriptions.renew_due(now=now, actor=SYSTEM, batch=7))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.renewed for r in runs) == len(ids)
    with read_session(engine) as s:
        renewals = s.execute(sa.select(SubscriptionEvent.subscription_id, sa.func.count())
                             .where(SubscriptionEvent.kind == "renewal")
                             .group_by(SubscriptionEvent.subscription_id)).all()
        assert sorted(renewals) == [(i, 1) for i in ids]
        periods = set(s.execute(sa.select(Subscription.current_period_start,
                                          Subscription.current_period_end)).all())
        assert periods == {(date(2026, 4, 1), date(2026, 4, 30))}
        assert s.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "subscription.renew")).scalar_one() == len(ids)


def test_a_variant_arm_customer_who_renews_is_billed_the_variant_price(engine, users) -> None:
    with unit_of_work(engine) as s:
        w = world(s)
        variant = bf.version(s, s.get(bf.Plan, w.team), 2, status="approved")
        bf.price(s, variant, name="team fee", kind="recurring", properties={"amount": "45.00"})
        bf.price(s, variant, name="team seats", kind="seat", properties={"amount": "3.10"},
                 position=1)
    with unit_of_work(engine) as s:
        r = subscriptions.propose_change(s, spec=ChangeSpec(
            ChangeKind.NEW, w.customer, plan_id=w.team, seats=1, interval="month",
            effective_on=date(2026, 2, 1)), actor=SYSTEM, on=date(2026, 2, 1))
        sub_id = r.subscription_id
    with unit_of_work(engine) as s:  # the experiment starts after they subscribed
        exp = Experiment(key="team-price", name="Team price", plan_id=w.team, status="running",
                         primary_metric="arpa", created_by=users["monetization_lead"],
                         started_at=datetime(2026, 2, 10, tzinfo=UTC))
        s.add(exp)
        s.flush()
        s.add_all([ExperimentArm(experiment_id=exp.id, name="control", weight=0,
                                 plan_version_id=w.team_v, is_control=True),
                   ExperimentArm(experiment_id=exp.id, name="variant", weight=100,
                                 plan_version_id=variant.id)])
    run = subscriptions.renew_due(now=datetime(2026, 3, 2, tzinfo=UTC), actor=SYSTEM)
    assert (run.renewed, run.moved) == (1, 1)
    with unit_of_work(engine) as s:
        bill = billing.start_bill_run(s, period_start=date(2026, 3, 1),
                                      period_end=date(2026, 3, 31), actor=SYSTEM)
        bill_id = bill.id
    billing.run_bill_run(engine, bill_run_id=bill_id)
    with read_session(engine) as s:
        sub = s.get(Subscription, sub_id)
        assert sub.plan_version_id == variant.id and sub.mrr_minor == 4810
        inv = s.execute(sa.select(Invoice).where(Invoice.subscription_id == sub_id)).scalar_one()
        assert inv.plan_version_id == variant.id
        lines = s.execute(sa.select(InvoiceLine.kind, InvoiceLine.amount_minor).where(
            InvoiceLine.invoice_id == inv.id).order_by(InvoiceLine.position)).all()
        assert lines[:2] == [("recurring", 4500), ("seat", 310)]


@pytest.mark.parametrize("losers", ["keep", "migrate"])
def test_a_conclusion_moves_the_losing_arm_as_it_says(engine, users, losers) -> None:
    with unit_of_work(engine) as s:
        w = world(s)
        variant = bf.version(s, s.get(bf.Plan, w.team), 2, status="approved")
        bf.price(s, variant, name="team fee", kind="recurring", properties={"amount": "45.00"})
    with unit_of_work(engine) as s:
        exp = Experiment(key="team-price-2", name="Team price", plan_id=w.team,
                         status="running", primary_metric="arpa",
                         created_by=users["monetization_lead"],
                         started_at=datetime(2026, 1, 10, tzinfo=UTC))
        s.add(exp)
        s.flush()
        control = ExperimentArm(experiment_id=exp.id, name="control", weight=100,
                                plan_version_id=w.team_v, is_control=True)
        winner = ExperimentArm(experiment_id=exp.id, name="variant", weight=0,
                               plan_version_id=variant.id)
        s.add_all([control, winner])
        exp_id = exp.id
    with unit_of_work(engine) as s:  # subscribes while it runs: the control arm
        r = subscriptions.propose_change(s, spec=ChangeSpec(
            ChangeKind.NEW, w.customer, plan_id=w.team, seats=1, interval="month",
            effective_on=date(2026, 2, 1)), actor=SYSTEM, on=date(2026, 2, 1))
        sub_id = r.subscription_id
    with unit_of_work(engine) as s:  # concluded: the variant won
        exp = s.get(Experiment, exp_id)
        exp.status, exp.winner_arm_id, exp.results = "concluded", s.execute(
            sa.select(ExperimentArm.id).where(ExperimentArm.name == "variant")).scalar_one(), \
            {"losers": losers}
        exp.ended_at = datetime(2026, 2, 20, tzinfo=UTC)
    run = subscriptions.renew_due(now=datetime(2026, 3, 2, tzinfo=UTC), actor=SYSTEM)
    assert run.renewed == 1
    with read_session(engine) as s:
        moved_to = s.get(Subscription, sub_id).plan_version_id
    assert moved_to == (variant.id if losers == "migrate" else w.team_v)
