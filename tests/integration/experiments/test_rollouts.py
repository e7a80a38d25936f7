"""Staged rollouts against a real database: deterministic monotone stages, grandfathered
customers left alone, moves at renewal or on a date, guardrail pause, one-step rollback with
proration on the next invoice."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.billing.domain.periods import Period
from console.billing.usecases.bill_run_inputs import load_billable, load_inputs
from console.billing.usecases.bill_runs import compute_draft
from console.experiments.domain import in_rollout_stage
from console.experiments.queries.stage_preview import preview_stage
from console.experiments.usecases.rollout_moves import rollback_rollout, run_due_rollouts
from console.experiments.usecases.rollout_stages import check_rollout_guardrails, confirm_stage
from console.experiments.usecases.rollouts import (
    RolloutInput,
    complete_rollout,
    create_rollout,
    pause_rollout,
    resume_rollout,
)
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import (
    AuditEvent,
    Customer,
    Dispute,
    PlanVersion,
    Rollout,
    RolloutMember,
    RolloutStage,
    Subscription,
    SubscriptionEvent,
)
from models.db import read_session, unit_of_work
from tests.integration.experiments.test_experiments import PERIOD_END, World, actor, build_world

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 21)


def make_rollout(engine, users, world: World, *, key: str = "team-v2", stages=(10, 50, 100),
                 timing: str = "date", include_grandfathered: bool = False,
                 guardrails: dict | None = None) -> int:
    """A draft rollout v1 -> v2."""
    with unit_of_work(engine) as s:
        return create_rollout(s, actor=actor(users, "monetization_lead"), spec=RolloutInput(
            key=key, name="Team v1 to v2", from_version_id=world.v1, to_version_id=world.v2,
            stages=stages, timing=timing, include_grandfathered=include_grandfathered,
            guardrails=guardrails if guardrails is not None else {"max_dispute_rate": 0.05})).id


def confirm(engine, users, rollout_id: int, **kwargs):
    """Confirm the next stage as the lead, today."""
    with unit_of_work(engine) as s:
        return confirm_stage(s, rollout_id=rollout_id, actor=actor(users, "monetization_lead"),
                             on=kwargs.pop("on", TODAY), **kwargs)


def _versions(engine, world: World) -> dict[int, int]:
    with read_session(engine) as s:
        return dict(s.execute(sa.select(Subscription.id, Subscription.plan_version_id)
                              .where(Subscription.id.in_(world.subscriptions))).all())


def _expected(world: World, percent: int, key: str = "team-v2") -> set[int]:
    return {sid for cid, sid in zip(world.customers, world.subscriptions, strict=True)
            if in_rollout_stage(key, str(cid), percent)}


def _rollout_actions(engine, rollout_id: int) -> list[str]:
    with read_session(engine) as s:
        return list(s.execute(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "rollout", AuditEvent.object_id == str(rollout_id))
            .order_by(AuditEvent.id)).scalars())


def test_definition_is_checked(engine, users):
    world = build_world(engine, customers=2)
    lead = actor(users, "monetization_lead")
    cases = [({"stages": (50, 10)}, InvalidInput, "larger"),
             ({"stages": (0, 10)}, InvalidInput, "between 1 and 100"),
             ({"timing": "someday"}, InvalidInput, "timing"),
             ({"to_version_id": world.v3}, Conflict, "published"),
             ({"to_version_id": world.other_plan_version}, InvalidInput, "same plan")]
    for change, error, text in cases:
        spec = {"key": "k-1", "name": "R", "from_version_id": world.v1,
                "to_version_id": world.v2, **change}
        with pytest.raises(error, match=text), unit_of_work(engine) as s:
            create_rollout(s, actor=lead, spec=RolloutInput(**spec))
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        create_rollout(s, actor=actor(users, "finance"), spec=RolloutInput(
            key="k-1", name="R", from_version_id=world.v1, to_version_id=world.v2))
    rollout_id = make_rollout(engine, users, world)
    with read_session(engine) as s:
        stages = s.execute(sa.select(RolloutStage.position, RolloutStage.percent,
                                     RolloutStage.status)
                           .where(RolloutStage.rollout_id == rollout_id)
                           .order_by(RolloutStage.position)).all()
    assert [tuple(x) for x in stages] == [(1, 10, "pending"), (2, 50, "pending"),
                                          (3, 100, "pending")]
    assert _rollout_actions(engine, rollout_id) == ["rollout.create"]


def test_stages_follow_the_hash_and_grow_monotonically(engine, users):
    world = build_world(engine, customers=60)
    rollout_id = make_rollout(engine, users, world)
    with read_session(engine) as s:
        preview = preview_stage(s, rollout_id=rollout_id, on=TODAY)
    assert {ln.subscription_id for ln in preview.lines} == _expected(world, 10)
    (usd,) = preview.totals
    assert usd.change_minor == 2400 * preview.count
    first = confirm(engine, users, rollout_id)
    assert (first.position, first.members, first.moved_now, first.paused) == (
        1, len(_expected(world, 10)), len(_expected(world, 10)), False)
    second = confirm(engine, users, rollout_id)
    assert second.members == len(_expected(world, 50) - _expected(world, 10))
    versions = _versions(engine, world)
    moved = {sid for sid, v in versions.items() if v == world.v2}
    assert moved == _expected(world, 50)
    assert _expected(world, 10) <= moved
    with read_session(engine) as s:
        events = s.execute(sa.select(SubscriptionEvent).where(
            SubscriptionEvent.kind == "migrate")).scalars().all()
        assert {e.subscription_id for e in events} == moved
        assert all((e.from_version_id, e.to_version_id, e.occurred_on, e.mrr_delta_minor)
                   == (world.v1, world.v2, TODAY, 2400) for e in events)
        sub = s.get(Subscription, next(iter(moved)))
        assert sub.mrr_minor == 14400
        assert s.get(Customer, sub.customer_id).mrr_minor == 14400
        assert s.get(Rollout, rollout_id).status == "running"
        assert verify(s)[1] is None
    assert _rollout_actions(engine, rollout_id).count("rollout.stage_confirmed") == 2


def test_grandfathered_subscriptions_move_only_when_included(engine, users):
    world = build_world(engine, customers=30, grandfathered_every=3)
    kept = make_rollout(engine, users, world, key="keep-gf", stages=(100,))
    with read_session(engine) as s:
        preview = preview_stage(s, rollout_id=kept, on=TODAY)
    assert preview.count == 20 and preview.grandfathered_excluded == 10
    confirm(engine, users, kept)
    with read_session(engine) as s:
        left = s.execute(sa.select(Subscription.grandfathered, Subscription.plan_version_id)
                         .where(Subscription.plan_version_id == world.v1)).all()
    assert len(left) == 10 and all(gf for gf, _v in left)
    everyone = make_rollout(engine, users, world, key="with-gf", stages=(100,),
                            include_grandfathered=True)
    assert confirm(engine, users, everyone).members == 10
    assert set(_versions(engine, world).values()) == {world.v2}


def test_next_renewal_moves_wait_for_the_day_after_the_period(engine, users):
    world = build_world(engine, customers=20)
    rollout_id = make_rollout(engine, users, world, stages=(100,), timing="next_renewal")
    result = confirm(engine, users, rollout_id)
    assert (result.members, result.moved_now) == (20, 0)
    renewal = PERIOD_END + timedelta(days=1)
    with read_session(engine) as s:
        assert set(s.execute(sa.select(RolloutMember.moved_on)).scalars()) == {renewal}
    with unit_of_work(engine) as s:
        assert run_due_rollouts(s, on=PERIOD_END, actor=Actor.system("system:test")) == 0
    with unit_of_work(engine) as s:
        pause_rollout(s, rollout_id=rollout_id, actor=actor(users, "monetization_lead"),
                      reason="Hold on")
    with unit_of_work(engine) as s:  # a paused rollout moves nobody
        assert run_due_rollouts(s, on=renewal, actor=Actor.system("system:test")) == 0
    with unit_of_work(engine) as s:
        resume_rollout(s, rollout_id=rollout_id, actor=actor(users, "monetization_lead"),
                       reason="Support staffed")
    with unit_of_work(engine) as s:
        assert run_due_rollouts(s, on=renewal, actor=Actor.system("system:test")) == 20
    assert set(_versions(engine, world).values()) == {world.v2}
    with read_session(engine) as s:
        days = set(s.execute(sa.select(SubscriptionEvent.occurred_on)).scalars())
    assert days == {renewal}
    with unit_of_work(engine) as s:
        done = complete_rollout(s, rollout_id=rollout_id, actor=actor(users, "monetization_lead"),
                                on=renewal)
    assert not done.paused
    assert _rollout_actions(engine, rollout_id)[-3:] == ["rollout.pause", "rollout.resume",
                                                         "rollout.complete"]


def _dispute(s, customer_id: int, when: datetime) -> None:
    s.add(Dispute(customer_id=customer_id, reason="price_plan_mismatch", description="x",
                  currency="USD", opened_at=when, response_due_at=when + timedelta(days=3)))


def test_a_guardrail_breach_pauses_the_rollout_and_tells_the_owner(engine, users):
    world = build_world(engine, customers=60)
    rollout_id = make_rollout(engine, users, world, guardrails={"max_dispute_rate": 0.03})
    confirm(engine, users, rollout_id)
    with unit_of_work(engine) as s:
        report = check_rollout_guardrails(s, rollout_id=rollout_id,
                                          actor=Actor.system("system:test"), on=TODAY)
    assert report.passed
    moved = sorted(_expected(world, 10))
    when = datetime(2026, 11, 21, 12, tzinfo=UTC)
    with unit_of_work(engine) as s:
        owners = s.execute(sa.select(Subscription.customer_id).where(
            Subscription.id.in_(moved))).scalars().all()
        for cid in owners[:2]:
            _dispute(s, cid, when)
    # the check before the next stage breaches: the stage is not confirmed, the rollout pauses
    result = confirm(engine, users, rollout_id)
    assert result.paused and result.members == 0
    assert "Dispute rate" in result.message
    with read_session(engine) as s:
        rollout = s.get(Rollout, rollout_id)
        stages = s.execute(sa.select(RolloutStage.status).where(
            RolloutStage.rollout_id == rollout_id).order_by(RolloutStage.position)).scalars()
        assert rollout.status == "paused"
        assert rollout.paused_reason.startswith("Guardrail breached after stage 1: Dispute rate")
        assert list(stages) == ["breached", "pending", "pending"]
        event = s.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "rollout.paused_by_guardrail")).scalar_one()
        assert event.after["owner_id"] == users["monetization_lead"]
        assert event.after["paused_reason"] == rollout.paused_reason
    with pytest.raises(Conflict, match="paused"):
        confirm(engine, users, rollout_id)
    assert set(_versions(engine, world).values()) == {world.v1, world.v2}
    assert len([v for v in _versions(engine, world).values() if v == world.v2]) == len(moved)


def test_a_breach_found_on_demand_pauses_a_running_rollout(engine, users):
    world = build_world(engine, customers=40)
    rollout_id = make_rollout(engine, users, world, stages=(25, 50, 100),
                              guardrails={"max_dispute_rate": 0.02})
    confirm(engine, users, rollout_id)
    confirm(engine, users, rollout_id)
    with unit_of_work(engine) as s:
        customer = s.execute(sa.select(RolloutMember.customer_id).order_by(
            RolloutMember.id)).scalars().first()
        _dispute(s, customer, datetime(2026, 11, 21, 15, tzinfo=UTC))
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        check_rollout_guardrails(s, rollout_id=rollout_id, actor=actor(users, "viewer"))
    with unit_of_work(engine) as s:
        report = check_rollout_guardrails(s, rollout_id=rollout_id,
                                          actor=actor(users, "monetization_lead"), on=TODAY)
    assert not report.passed
    row = next(r for r in report.rows if r.metric == "dispute_rate")
    assert row.breached and row.baseline == 0 and row.moved == pytest.approx(
        1 / report.moved_customers)
    with read_session(engine) as s:
        assert s.get(Rollout, rollout_id).status == "paused"
    assert _rollout_actions(engine, rollout_id)[-1] == "rollout.paused_by_guardrail"


def test_rollback_returns_every_moved_customer_in_one_step(engine, users):
    world = build_world(engine, customers=40)
    rollout_id = make_rollout(engine, users, world, stages=(25, 50, 100))
    confirm(engine, users, rollout_id)
    confirm(engine, users, rollout_id, on=TODAY + timedelta(days=2),
            effective_date=TODAY + timedelta(days=2))
    before = _versions(engine, world)
    moved = {sid for sid, v in before.items() if v == world.v2}
    assert moved == _expected(world, 50, "team-v2")
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        rollback_rollout(s, rollout_id=rollout_id, actor=actor(users, "finance"), reason="x")
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        rollback_rollout(s, rollout_id=rollout_id, actor=actor(users, "monetization_lead"),
                         reason="")
    back_on = TODAY + timedelta(days=5)
    with unit_of_work(engine) as s:
        result = rollback_rollout(s, rollout_id=rollout_id,
                                  actor=actor(users, "monetization_lead"),
                                  reason="Disputes up among moved customers", on=back_on)
    assert (result.returned, result.canceled, result.left_alone) == (len(moved), 0, 0)
    assert set(_versions(engine, world).values()) == {world.v1}
    with read_session(engine) as s:
        members = s.execute(sa.select(RolloutMember)).scalars().all()
        assert {m.subscription_id for m in members} == moved
        assert all(m.rolled_back_on == back_on and m.from_version_id == world.v1
                   for m in members)
        back = s.execute(sa.select(SubscriptionEvent).where(
            SubscriptionEvent.kind == "migrate",
            SubscriptionEvent.to_version_id == world.v1)).scalars().all()
        assert {e.subscription_id for e in back} == moved
        assert all((e.from_version_id, e.occurred_on, e.mrr_delta_minor) ==
                   (world.v2, back_on, -2400) for e in back)
        assert all(s.get(Subscription, sid).mrr_minor == 12000 for sid in moved)
        assert s.get(Rollout, rollout_id).status == "rolled_back"
        assert verify(s)[1] is None
    assert _rollout_actions(engine, rollout_id)[-1] == "rollout.rollback"
    with pytest.raises(Conflict), unit_of_work(engine) as s:
        rollback_rollout(s, rollout_id=rollout_id, actor=actor(users, "monetization_lead"),
                         reason="again")
    _assert_prorated(engine, world, sorted(_expected(world, 25)), back_on)


def _assert_prorated(engine, world: World, subscription_ids: list[int], back_on: date) -> None:
    """The November invoice bills v1, then v2 from the move, then v1 again from the rollback."""
    period = Period(date(2026, 11, 1), PERIOD_END)
    with read_session(engine) as s:
        subs = [b for b in load_billable(s, period) if b.id in subscription_ids]
        inputs = load_inputs(s, period, subs)
    assert subs
    for sub in subs:
        draft, _ = compute_draft(sub, inputs, credit_balance_minor=0)
        charges = [(ln.kind, ln.amount_minor) for ln in draft.lines]
        # v1 full month (100 + 20), credit v1 from the 21st, charge v2 21st-25th, credit v2 and
        # charge v1 again from the 26th: 120 - 40 + 48 - 28.80... checked as a total below
        fee_v1, fee_v2 = Decimal(12000), Decimal(14400)
        days_v2 = (back_on - TODAY).days
        expected = fee_v1 + (fee_v2 - fee_v1) * days_v2 / 30
        total = sum(a for k, a in charges if k != "usage")
        assert abs(total - expected) <= 4, charges
        assert any(k == "proration_charge" for k, _a in charges)


def test_rollback_of_a_same_day_move_keeps_one_day_and_cancels_scheduled_moves(engine, users):
    world = build_world(engine, customers=30)
    by_date = make_rollout(engine, users, world, key="same-day", stages=(30, 100))
    confirm(engine, users, by_date)
    with unit_of_work(engine) as s:
        result = rollback_rollout(s, rollout_id=by_date, actor=actor(users, "monetization_lead"),
                                  reason="Mistake", on=TODAY)
    assert result.returned == len(_expected(world, 30, "same-day"))
    with read_session(engine) as s:
        days = set(s.execute(sa.select(SubscriptionEvent.occurred_on).where(
            SubscriptionEvent.to_version_id == world.v1)).scalars())
    assert days == {TODAY + timedelta(days=1)}  # no empty version span on the invoice
    renewal = make_rollout(engine, users, world, key="at-renewal", stages=(100,),
                           timing="next_renewal")
    confirm(engine, users, renewal)
    with unit_of_work(engine) as s:
        result = rollback_rollout(s, rollout_id=renewal, actor=actor(users, "monetization_lead"),
                                  reason="Not now", on=TODAY)
    assert (result.returned, result.canceled) == (0, 30)
    with unit_of_work(engine) as s:
        assert run_due_rollouts(s, on=PERIOD_END + timedelta(days=1),
                                actor=Actor.system("system:test")) == 0
    assert set(_versions(engine, world).values()) == {world.v1}


def test_rollback_restores_grandfathering_on_a_retired_version(engine, users):
    world = build_world(engine, customers=10, grandfathered_every=1)
    with unit_of_work(engine) as s:
        s.execute(sa.update(PlanVersion).where(PlanVersion.id == world.v1)
                  .values(status="retired"))
    rollout_id = make_rollout(engine, users, world, stages=(100,), include_grandfathered=True)
    confirm(engine, users, rollout_id)
    with read_session(engine) as s:
        assert not any(s.execute(sa.select(Subscription.grandfathered)).scalars())
    with unit_of_work(engine) as s:
        rollback_rollout(s, rollout_id=rollout_id, actor=actor(users, "monetization_lead"),
                         reason="Back", on=TODAY + timedelta(days=3))
    with read_session(engine) as s:
        rows = s.execute(sa.select(Subscription.plan_version_id, Subscription.grandfathered)
                         ).all()
    assert all(v == world.v1 and gf for v, gf in rows)
