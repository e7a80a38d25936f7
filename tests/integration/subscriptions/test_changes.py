"""Subscription changes on behalf of a customer: the preview equals what the next bill run
bills; events, the MRR ledger and the audit trail follow; maker-checker above the threshold."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from console import billing, subscriptions
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, FieldErrors, NotAllowed
from console.subscriptions import ChangeKind, ChangeSpec
from models import (
    AuditEvent,
    Customer,
    Invoice,
    InvoiceLine,
    MrrMonthly,
    Subscription,
    SubscriptionEvent,
)
from models.db import read_session, unit_of_work
from tests.integration.subscriptions_fixtures import MARCH_1, MARCH_21, MARCH_25, world

pytestmark = pytest.mark.integration


def _actor(users: dict[str, int], key: str) -> Actor:
    return Actor(users[key], key)


def _propose(engine, spec: ChangeSpec, actor: Actor, on: date):
    with unit_of_work(engine) as s:
        return subscriptions.propose_change(s, spec=spec, actor=actor, on=on, reason="asked")


def _preview(engine, spec: ChangeSpec, on: date):
    with read_session(engine) as s:
        return subscriptions.preview_change(s, spec, on=on)


def _bill_march(engine) -> list[tuple[str, str, int]]:
    with unit_of_work(engine) as s:
        run = billing.start_bill_run(s, period_start=date(2026, 3, 1),
                                     period_end=date(2026, 3, 31), actor=Actor.system("t"))
        run_id = run.id
    billing.run_bill_run(engine, bill_run_id=run_id)
    with read_session(engine) as s:
        return [(k, d, a) for k, d, a in s.execute(
            sa.select(InvoiceLine.kind, InvoiceLine.description, InvoiceLine.amount_minor)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .order_by(InvoiceLine.position)).all()]


def _subscribe(engine, w, users, *, plan_id: int, seats: int = 2, interval: str = "month",
               actor: Actor | None = None):
    spec = ChangeSpec(ChangeKind.NEW, w.customer, plan_id=plan_id, seats=seats,
                      interval=interval, effective_on=MARCH_1)
    result = _propose(engine, spec, actor or _actor(users, "finance"), MARCH_1)
    assert result.applied
    return result.subscription_id


def test_upgrade_mid_period_preview_equals_the_bill_run(engine, users) -> None:
    with unit_of_work(engine) as s:
        w = world(s)
    sub_id = _subscribe(engine, w, users, plan_id=w.team)
    spec = ChangeSpec(ChangeKind.PLAN, w.customer, sub_id, plan_id=w.business,
                      effective_on=MARCH_21, expected_version=1)
    preview = _preview(engine, spec, MARCH_25)
    # Team 31.00 + 2 x 3.10 = 37.20 a month; Business 62.00 + 2 x 6.20 = 74.40: 11 of 31 days.
    assert [(x.label, x.amount_minor) for x in preview.lines] == [
        ("Credit", -1100), ("Credit", -220), ("Charge", 2200), ("Charge", 440)]
    assert preview.mrr_change_minor == 3720 and preview.gained == ["SSO"]
    assert preview.changed == ["Seats: 10 → 50"] and not preview.needs_approval
    result = _propose(engine, spec, _actor(users, "finance"), MARCH_25)
    assert result.applied
    billed = _bill_march(engine)
    prorations = [(d, a) for k, d, a in billed if k.startswith("proration")]
    assert prorations == [(x.description, x.amount_minor) for x in preview.lines]
    with read_session(engine) as s:
        sub = s.get(Subscription, sub_id)
        assert (sub.plan_id, sub.mrr_minor, sub.version) == (w.business, 7440, 2)
        events = s.execute(sa.select(SubscriptionEvent.kind, SubscriptionEvent.occurred_on,
                                     SubscriptionEvent.mrr_delta_minor)
                           .order_by(SubscriptionEvent.id)).all()
        assert events == [("new", MARCH_1, 3720), ("upgrade", MARCH_21, 3720)]
        ledger = s.execute(sa.select(MrrMonthly.month, MrrMonthly.mrr_minor)).all()
        assert ledger == [(date(2026, 3, 1), 7440)]
        assert s.get(Customer, w.customer).mrr_minor == 7440
        actions = s.execute(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "subscription")).scalars().all()
        assert actions == ["subscription.new", "subscription.upgrade"]


@pytest.mark.parametrize(("kind", "field", "value", "expected"), [
    # 2 -> 5 seats from the 21st: 11 days of 3 more seats at 3.10 (credit 2.20, charge 5.50).
    (ChangeKind.SEATS, "seats", 5, [("Credit", -220), ("Charge", 550)]),
])
def test_seat_change_preview_equals_the_bill_run(engine, users, kind, field, value,
                                                 expected) -> None:
    with unit_of_work(engine) as s:
        w = world(s)
    sub_id = _subscribe(engine, w, users, plan_id=w.team)
    spec = ChangeSpec(kind, w.customer, sub_id, effective_on=MARCH_21, **{field: value})
    preview = _preview(engine, spec, MARCH_25)
    assert [(x.label, x.amount_minor) for x in preview.lines] == expected
    assert _propose(engine, spec, _actor(users, "support"), MARCH_25).applied
    billed = [(d, a) for k, d, a in _bill_march(engine) if k.startswith("proration")]
    assert billed == [(x.description, x.amount_minor) for x in preview.lines]


def test_interval_change_preview_equals_the_bill_run(engine, users) -> None:
    with unit_of_work(engine) as s:
        w = world(s)
    sub_id = _subscribe(engine, w, users, plan_id=w.flex, seats=1)
    spec = ChangeSpec(ChangeKind.INTERVAL, w.customer, sub_id, interval="year",
                      effective_on=MARCH_21)
    preview = _preview(engine, spec, MARCH_25)
    assert preview.mrr_change == "−$0.58" or preview.mrr_change_minor == 3042 - 3100
    assert _propose(engine, spec, _actor(users, "finance"), MARCH_25).applied
    billed = [(d, a) for k, d, a in _bill_march(engine) if k.startswith("proration")]
    assert billed == [(x.description, x.amount_minor) for x in preview.lines]
    assert next(a for _d, a in billed) == -1100  # March's unused 11 days credited
    with read_session(engine) as s:
        sub = s.get(Subscription, sub_id)
        assert (sub.billing_interval, sub.current_period_start, sub.current_period_end) == (
            "year", MARCH_1, date(2027, 2, 28))


def test_cancel_at_period_end_then_renewals_end_it(engine, users) -> None:
    with unit_of_work(engine) as s:
        w = world(s)
    sub_id = _subscribe(engine, w, users, plan_id=w.team)
    spec = ChangeSpec(ChangeKind.CANCEL_AT_PERIOD_END, w.customer, sub_id)
    assert _preview(engine, spec, MARCH_25).lines == []
    assert _propose(engine, spec, _actor(users, "finance"), MARCH_25).applied
    with pytest.raises(Conflict):
        _propose(engine, ChangeSpec(ChangeKind.SEATS, w.customer, sub_id, seats=4,
                                    effective_on=MARCH_25), _actor(users, "finance"), MARCH_25)
    run = subscriptions.renew_due(now=datetime(2026, 4, 2, 3, tzinfo=UTC),
                                  actor=Actor.system("t"))
    assert (run.ended, run.renewed) == (1, 0)
    assert subscriptions.renew_due(now=datetime(2026, 4, 2, 3, tzinfo=UTC),
                                   actor=Actor.system("t")).ended == 0
    subscriptions.sync_ledger(now=datetime(2026, 4, 2, 3, tzinfo=UTC))
    with read_session(engine) as s:
        sub = s.get(Subscription, sub_id)
        assert (sub.status, sub.canceled_on, sub.mrr_minor) == ("canceled", date(2026, 3, 31), 0)
        assert s.get(Customer, w.customer).status == "churned"
        kinds = s.execute(sa.select(SubscriptionEvent.kind, SubscriptionEvent.occurred_on)
                          .order_by(SubscriptionEvent.id)).all()
        assert kinds[-2:] == [("cancel_scheduled", MARCH_25), ("cancel", date(2026, 4, 1))]
        assert s.execute(sa.select(MrrMonthly.month)).scalars().all() == [date(2026, 3, 1)]


def test_bad_input_names_the_field_and_changes_nothing(engine, users) -> None:
    with unit_of_work(engine) as s:
        w = world(s)
    sub_id = _subscribe(engine, w, users, plan_id=w.team)
    with pytest.raises(FieldErrors) as err:
        subscriptions.parse_change({"kind": "seats", "subscription_id": str(sub_id),
                                    "seats": "0"}, customer_id=w.customer)
    assert "seats" in err.value.errors
    future = ChangeSpec(ChangeKind.SEATS, w.customer, sub_id, seats=3,
                        effective_on=date(2026, 4, 2))
    with pytest.raises(FieldErrors) as err:
        _propose(engine, future, _actor(users, "finance"), MARCH_25)
    assert "effective_on" in err.value.errors
    with pytest.raises(NotAllowed):
        _propose(engine, ChangeSpec(ChangeKind.SEATS, w.customer, sub_id, seats=3),
                 _actor(users, "viewer"), MARCH_25)
    with read_session(engine) as s:
        assert s.get(Subscription, sub_id).seats == 2
        assert s.execute(sa.select(sa.func.count()).select_from(SubscriptionEvent)
                         ).scalar_one() == 1


def test_above_the_threshold_a_second_finance_user_approves(engine, users) -> None:
    with unit_of_work(engine) as s:
        w = world(s, threshold_minor=1000)  # $10 of MRR change
    sub_id = _subscribe(engine, w, users, plan_id=w.team, actor=Actor.system("import"))
    spec = ChangeSpec(ChangeKind.PLAN, w.customer, sub_id, plan_id=w.business,
                      effective_on=MARCH_21)
    assert _preview(engine, spec, MARCH_25).needs_approval
    result = _propose(engine, spec, _actor(users, "support"), MARCH_25)
    assert not result.applied and result.request_id
    with pytest.raises(Conflict):  # one waiting change per subscription
        _propose(engine, spec, _actor(users, "finance"), MARCH_25)
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        subscriptions.approve_change(s, request_id=result.request_id,
                                     actor=_actor(users, "support"), on=MARCH_25)
    with unit_of_work(engine) as s:
        subscriptions.approve_change(s, request_id=result.request_id,
                                     actor=_actor(users, "finance"), on=MARCH_25)
    with read_session(engine) as s:
        assert s.get(Subscription, sub_id).plan_id == w.business
        ev = s.execute(sa.select(SubscriptionEvent).where(
            SubscriptionEvent.kind == "upgrade")).scalar_one()
        assert ev.actor_id == users["finance"] and "proposed by" in ev.note
    with pytest.raises(Conflict), unit_of_work(engine) as s:
        subscriptions.approve_change(s, request_id=result.request_id,
                                     actor=_actor(users, "finance2"), on=MARCH_25)
