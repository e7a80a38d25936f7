"""Experiments against a real database (SQLite, and PostgreSQL when configured): definition,
maker-checker start and conclusion, sticky stored assignment, no double enrolment, results
per arm with intervals, and the revenue simulation before start."""

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.experiments.domain import assign_arm
from console.experiments.queries.simulation import simulate_experiment
from console.experiments.usecases.enrolment import assign, enroll_eligible, offered_version
from console.experiments.usecases.experiment_approvals import (
    approve_request,
    reject_request,
    request_conclusion,
    request_start,
    withdraw_request,
)
from console.experiments.usecases.experiment_lifecycle import (
    pause_experiment,
    resume_experiment,
    roll_back_experiment,
    start_due_experiments,
)
from console.experiments.usecases.experiment_setup import (
    ArmInput,
    ExperimentInput,
    create_experiment,
)
from console.experiments.usecases.result_refresh import refresh_results
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import (
    Approval,
    ApprovalRequest,
    AuditEvent,
    Customer,
    Dispute,
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    Invoice,
    PaymentAttempt,
    Plan,
    PlanVersion,
    Price,
    Product,
    Subscription,
)
from models.db import read_session, unit_of_work

pytestmark = pytest.mark.integration

PERIOD_START, PERIOD_END = date(2026, 11, 1), date(2026, 11, 30)


@dataclass(frozen=True)
class World:
    """Ids of the hand-built plan "team": v1 and v2 published, v3 a draft; customers on v1."""

    plan_id: int
    v1: int
    v2: int
    v3: int
    other_plan_version: int
    customers: list[int]
    subscriptions: list[int]


def actor(users: dict[str, int], key: str) -> Actor:
    """The audit actor of a demo user."""
    return Actor(users[key], f"{key}@demo.test")


def _prices(s, version_id: int, fee: str, seat: str) -> None:
    s.add_all([
        Price(plan_version_id=version_id, name="Platform fee", kind="recurring",
              charge_model="standard", properties={"amount": fee}, currency="USD", position=0),
        Price(plan_version_id=version_id, name="Seats", kind="seat", charge_model="standard",
              properties={"amount": seat}, currency="USD", position=1),
    ])


def build_world(engine, *, customers: int = 40, grandfathered_every: int = 0) -> World:
    """Plan "team" (v1 100 + 10/seat, v2 120 + 12/seat, both published; v3 draft), a second
    plan, and ``customers`` USD customers with 2 seats on v1 (MRR 120.00)."""
    with unit_of_work(engine) as s:
        product = Product(code="platform", name="Platform")
        s.add(product)
        s.flush()
        plan = Plan(product_id=product.id, code="team", name="Team")
        other = Plan(product_id=product.id, code="biz", name="Business")
        s.add_all([plan, other])
        s.flush()
        published = datetime(2025, 1, 1, tzinfo=UTC)
        v1 = PlanVersion(plan_id=plan.id, number=1, status="published", published_at=published,
                         effective_from=date(2025, 1, 1))
        v2 = PlanVersion(plan_id=plan.id, number=2, status="published", published_at=published,
                         effective_from=date(2026, 1, 1))
        v3 = PlanVersion(plan_id=plan.id, number=3, status="draft")
        ob = PlanVersion(plan_id=other.id, number=1, status="published", published_at=published)
        s.add_all([v1, v2, v3, ob])
        s.flush()
        _prices(s, v1.id, "100", "10")
        _prices(s, v2.id, "120", "12")
        _prices(s, v3.id, "130", "13")
        _prices(s, ob.id, "300", "20")
        cids, sids = [], []
        for i in range(customers):
            c = Customer(code=f"C{i:03d}", name=f"Customer {i}", email=f"c{i}@x.test",
                         segment=("smb", "mid_market")[i % 2], region=("na", "emea")[i % 2],
                         country="US", currency="USD", mrr_minor=12000,
                         created_at=datetime(2025, 1, 1, tzinfo=UTC))
            s.add(c)
            s.flush()
            sub = Subscription(customer_id=c.id, plan_id=plan.id, plan_version_id=v1.id,
                               status="active", currency="USD", seats=2,
                               started_on=date(2025, 1, 1), current_period_start=PERIOD_START,
                               current_period_end=PERIOD_END, mrr_minor=12000,
                               grandfathered=bool(grandfathered_every
                                                  and i % grandfathered_every == 0))
            s.add(sub)
            s.flush()
            cids.append(c.id)
            sids.append(sub.id)
        return World(plan.id, v1.id, v2.id, v3.id, ob.id, cids, sids)


def make_experiment(engine, users, world: World, *, key: str = "team-fee",
                    new_only: bool = False, min_sample: int = 5, author: str = "monetization_lead",
                    guardrails: dict | None = None, **extra) -> int:
    """A draft experiment v1 (control) vs v2 (variant)."""
    with unit_of_work(engine) as s:
        return create_experiment(s, actor=actor(users, author), spec=ExperimentInput(
            key=key, name=f"Experiment {key}", hypothesis="A higher fee keeps conversion.",
            control_version_id=world.v1, variants=[ArmInput("variant", world.v2, 50)],
            eligibility={"new_customers_only": new_only, **extra.pop("eligibility", {})},
            guardrails=guardrails or {"max_dispute_rate": 0.05}, min_sample=min_sample,
            **extra)).id


def start(engine, users, experiment_id: int, *, approver: str = "monetization_lead2") -> None:
    """Request (the author) and approve (someone else) the start."""
    with unit_of_work(engine) as s:
        req = request_start(s, experiment_id=experiment_id,
                            actor=actor(users, "monetization_lead"), reason="Ready to learn")
        request_id = req.id
    with unit_of_work(engine) as s:
        approve_request(s, request_id=request_id, actor=actor(users, approver))


def _status(engine, experiment_id: int) -> str:
    with read_session(engine) as s:
        return s.get(Experiment, experiment_id).status


def _actions(engine, experiment_id: int) -> list[str]:
    with read_session(engine) as s:
        return list(s.execute(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "experiment",
            AuditEvent.object_id == str(experiment_id)).order_by(AuditEvent.id)).scalars())


# --------------------------------------------------------------------------- definition


def test_only_published_versions_of_one_plan_are_selectable(engine, users):
    world = build_world(engine, customers=2)
    base = {"key": "x-test", "name": "X", "hypothesis": "h", "control_version_id": world.v1}
    with pytest.raises(Conflict, match="published"), unit_of_work(engine) as s:
        create_experiment(s, actor=actor(users, "monetization_lead"), spec=ExperimentInput(
            **base, variants=[ArmInput("variant", world.v3)]))
    with pytest.raises(Conflict, match="same plan"), unit_of_work(engine) as s:
        create_experiment(s, actor=actor(users, "monetization_lead"), spec=ExperimentInput(
            **base, variants=[ArmInput("variant", world.other_plan_version)]))
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        create_experiment(s, actor=actor(users, "finance"), spec=ExperimentInput(
            **base, variants=[ArmInput("variant", world.v2)]))
    with pytest.raises(InvalidInput, match="primary metric"), unit_of_work(engine) as s:
        create_experiment(s, actor=actor(users, "monetization_lead"), spec=ExperimentInput(
            **base, variants=[ArmInput("variant", world.v2)], primary_metric="vibes"))
    experiment_id = make_experiment(engine, users, world, key="x-test")
    with pytest.raises(Conflict, match="already exists"):
        make_experiment(engine, users, world, key="x-test")
    with read_session(engine) as s:
        exp = s.get(Experiment, experiment_id)
        arms = s.execute(sa.select(ExperimentArm.name, ExperimentArm.plan_version_id,
                                   ExperimentArm.is_control)
                         .where(ExperimentArm.experiment_id == experiment_id)
                         .order_by(ExperimentArm.name)).all()
        assert (exp.status, exp.plan_id) == ("draft", world.plan_id)
        assert exp.eligibility == {"segments": [], "regions": [], "currencies": [],
                                   "new_customers_only": False}
    assert [tuple(a) for a in arms] == [("control", world.v1, True),
                                        ("variant", world.v2, False)]
    assert _actions(engine, experiment_id) == ["experiment.create"]


# --------------------------------------------------------------------------- maker-checker


def test_start_needs_someone_other_than_the_author(engine, users):
    world = build_world(engine, customers=4)
    experiment_id = make_experiment(engine, users, world)
    with unit_of_work(engine) as s:
        request_id = request_start(s, experiment_id=experiment_id,
                                   actor=actor(users, "monetization_lead"), reason="Go").id
    with pytest.raises(Conflict, match="pending"), unit_of_work(engine) as s:
        request_start(s, experiment_id=experiment_id, actor=actor(users, "monetization_lead2"),
                      reason="Again")
    with pytest.raises(NotAllowed, match="someone else"), unit_of_work(engine) as s:
        approve_request(s, request_id=request_id, actor=actor(users, "monetization_lead"))
    for key in ("support", "viewer"):
        with pytest.raises(NotAllowed), unit_of_work(engine) as s:
            approve_request(s, request_id=request_id, actor=actor(users, key))
    assert _status(engine, experiment_id) == "draft"
    with unit_of_work(engine) as s:
        approve_request(s, request_id=request_id, actor=actor(users, "finance"),
                        comment="Simulation looks fine")
    assert _status(engine, experiment_id) == "running"
    with pytest.raises(Conflict, match="already approved"), unit_of_work(engine) as s:
        approve_request(s, request_id=request_id, actor=actor(users, "monetization_lead2"))
    with read_session(engine) as s:
        req = s.get(ApprovalRequest, request_id)
        assert (req.kind, req.status, req.requested_by) == (
            "experiment_start", "approved", users["monetization_lead"])
        votes = s.execute(sa.select(Approval.approver_id, Approval.decision).where(
            Approval.subject_type == "approval_request",
            Approval.subject_id == request_id)).all()
        assert [tuple(v) for v in votes] == [(users["finance"], "approve")]
        assert s.get(Experiment, experiment_id).started_at is not None
        assert verify(s)[1] is None
    assert _actions(engine, experiment_id) == [
        "experiment.create", "experiment.start_requested", "experiment.start_approved"]


def test_a_different_requester_cannot_approve_either_and_rejects_need_a_comment(engine, users):
    world = build_world(engine, customers=2)
    experiment_id = make_experiment(engine, users, world, author="monetization_lead")
    with unit_of_work(engine) as s:
        request_id = request_start(s, experiment_id=experiment_id,
                                   actor=actor(users, "monetization_lead2"), reason="Go").id
    with pytest.raises(NotAllowed, match="You asked"), unit_of_work(engine) as s:
        approve_request(s, request_id=request_id, actor=actor(users, "monetization_lead2"))
    with pytest.raises(InvalidInput, match="comment"), unit_of_work(engine) as s:
        reject_request(s, request_id=request_id, actor=actor(users, "finance"), comment=" ")
    with unit_of_work(engine) as s:
        reject_request(s, request_id=request_id, actor=actor(users, "finance"),
                       comment="Run the simulation over 6 months first")
    assert _status(engine, experiment_id) == "draft"
    with unit_of_work(engine) as s:
        request_id = request_start(s, experiment_id=experiment_id,
                                   actor=actor(users, "monetization_lead"), reason="Again").id
    with pytest.raises(NotAllowed, match="Only whoever asked"), unit_of_work(engine) as s:
        withdraw_request(s, request_id=request_id, actor=actor(users, "monetization_lead2"))
    with unit_of_work(engine) as s:
        withdraw_request(s, request_id=request_id, actor=actor(users, "monetization_lead"))
    with read_session(engine) as s:
        statuses = s.execute(sa.select(ApprovalRequest.status).order_by(
            ApprovalRequest.id)).scalars().all()
    assert statuses == ["rejected", "canceled"]
    assert "experiment.start_rejected" in _actions(engine, experiment_id)


@pytest.mark.postgres
def test_racing_approvers_record_exactly_one_decision(engine, users):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    world = build_world(engine, customers=2)
    for round_ in range(3):
        experiment_id = make_experiment(engine, users, world, key=f"race-{round_}")
        with unit_of_work(engine) as s:
            request_id = request_start(s, experiment_id=experiment_id,
                                       actor=actor(users, "monetization_lead"), reason="Go").id
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def run(key: str, request_id: int = request_id, barrier=barrier,
                outcomes=outcomes) -> None:
            barrier.wait()
            try:
                with unit_of_work(engine) as s:
                    approve_request(s, request_id=request_id, actor=actor(users, key))
                outcomes[key] = "ok"
            except Conflict:
                outcomes[key] = "conflict"

        threads = [threading.Thread(target=run, args=(k,))
                   for k in ("monetization_lead2", "finance")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes.values()) == ["conflict", "ok"]
        assert _status(engine, experiment_id) == "running"
        with read_session(engine) as s:
            assert s.execute(sa.select(sa.func.count()).select_from(Approval).where(
                Approval.subject_id == request_id)).scalar() == 1
            assert verify(s)[1] is None
        assert _actions(engine, experiment_id).count("experiment.start_approved") == 1


def test_a_start_date_schedules_the_experiment(engine, users):
    world = build_world(engine, customers=2)
    experiment_id = make_experiment(engine, users, world)
    later = datetime.now(UTC).date() + timedelta(days=3)
    with unit_of_work(engine) as s:
        request_id = request_start(s, experiment_id=experiment_id, scheduled_for=later,
                                   actor=actor(users, "monetization_lead"), reason="Go").id
    with unit_of_work(engine) as s:
        approve_request(s, request_id=request_id, actor=actor(users, "monetization_lead2"),
                        on=later - timedelta(days=3))
    assert _status(engine, experiment_id) == "scheduled"
    with unit_of_work(engine) as s:
        assert start_due_experiments(s, on=later - timedelta(days=1),
                                     actor=Actor.system("system:test")) == 0
        assert start_due_experiments(s, on=later, actor=Actor.system("system:test")) == 1
    assert _status(engine, experiment_id) == "running"
    assert _actions(engine, experiment_id)[-1] == "experiment.start"


# --------------------------------------------------------------------------- assignment


def test_assignment_is_deterministic_sticky_and_stored_once(engine, users):
    world = build_world(engine, customers=30)
    experiment_id = make_experiment(engine, users, world)
    cid = world.customers[0]
    with unit_of_work(engine) as s:
        draft = assign(s, experiment_id, cid)
    assert not draft.enrolled and "not running" in draft.reason
    start(engine, users, experiment_id)
    with unit_of_work(engine) as s:
        first = assign(s, experiment_id, cid)
    with unit_of_work(engine) as s:
        second = assign(s, experiment_id, cid)
    assert first.enrolled and first.stored_now and not second.stored_now
    assert first.arm == second.arm == assign_arm("team-fee", str(cid),
                                                 {"control": 50, "variant": 50})
    assert first.plan_version_id == (world.v1 if first.arm == "control" else world.v2)
    # sticky even if the weights change afterwards
    with unit_of_work(engine) as s:
        other = "variant" if first.arm == "control" else "control"
        s.execute(sa.update(ExperimentArm).where(ExperimentArm.experiment_id == experiment_id)
                  .values(weight=sa.case((ExperimentArm.name == other, 100), else_=0)))
    with unit_of_work(engine) as s:
        assert assign(s, experiment_id, cid).arm == first.arm
        assert offered_version(s, plan_id=world.plan_id, customer_id=cid) == \
            first.plan_version_id
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(ExperimentAssignment).where(
            ExperimentAssignment.customer_id == cid)).scalar() == 1


def test_the_unique_constraint_backs_sticky_assignment(engine, users):
    world = build_world(engine, customers=2)
    experiment_id = make_experiment(engine, users, world)
    start(engine, users, experiment_id)
    with unit_of_work(engine) as s:
        got = assign(s, experiment_id, world.customers[0])
    with pytest.raises(sa.exc.IntegrityError), unit_of_work(engine) as s:
        s.add(ExperimentAssignment(experiment_id=experiment_id, arm_id=got.arm_id,
                                   customer_id=world.customers[0]))
        s.flush()


def test_eligibility_and_new_customers_only(engine, users):
    world = build_world(engine, customers=6)
    experiment_id = make_experiment(engine, users, world, new_only=True,
                                    eligibility={"segments": ["smb"]})
    start(engine, users, experiment_id)
    with unit_of_work(engine) as s:
        old = assign(s, experiment_id, world.customers[0])
        mid = assign(s, experiment_id, world.customers[1])
        newcomer = Customer(code="NEW1", name="New", email="n@x.test", segment="smb",
                            region="na", country="US", currency="USD")
        s.add(newcomer)
        s.flush()
        fresh = assign(s, experiment_id, newcomer.id)
    assert not old.enrolled and "new customers only" in old.reason
    assert not mid.enrolled and "segment mid_market" in mid.reason
    assert fresh.enrolled


def test_a_customer_is_never_in_two_running_experiments_on_one_plan(engine, users):
    world = build_world(engine, customers=20)
    first = make_experiment(engine, users, world, key="first")
    second = make_experiment(engine, users, world, key="second")
    start(engine, users, first)
    start(engine, users, second)
    cid = world.customers[3]
    with unit_of_work(engine) as s:
        assert assign(s, first, cid).enrolled
        refused = assign(s, second, cid)
    assert not refused.enrolled and "already in experiment 'first'" in refused.reason
    with unit_of_work(engine) as s:
        bulk = enroll_eligible(s, second)
    assert (bulk.assigned, bulk.skipped_elsewhere) == (19, 1)
    with unit_of_work(engine) as s:
        again = enroll_eligible(s, first)
    assert (again.assigned, again.skipped_elsewhere) == (0, 19)
    with read_session(engine) as s:
        per_customer = s.execute(
            sa.select(ExperimentAssignment.customer_id, sa.func.count())
            .group_by(ExperimentAssignment.customer_id)).all()
    assert len(per_customer) == 20 and all(n == 1 for _c, n in per_customer)
    # once the first experiment ends, its customers may join another
    with unit_of_work(engine) as s:
        roll_back_experiment(s, experiment_id=first, actor=actor(users, "monetization_lead"),
                             reason="Wrong hypothesis")
    with unit_of_work(engine) as s:
        assert assign(s, second, cid).enrolled


# --------------------------------------------------------------------------- lifecycle, results


def test_conclusion_refused_before_the_minimum_sample(engine, users):
    world = build_world(engine, customers=12)
    experiment_id = make_experiment(engine, users, world, min_sample=100)
    start(engine, users, experiment_id)
    refresh_results(experiment_id, engine=engine)
    with pytest.raises(Conflict, match="minimum sample"), unit_of_work(engine) as s:
        request_conclusion(s, experiment_id=experiment_id, winner_arm="variant",
                           actor=actor(users, "monetization_lead"), reason="Looks better")
    with unit_of_work(engine) as s:
        s.execute(sa.update(Experiment).where(Experiment.id == experiment_id)
                  .values(min_sample=2))
    with unit_of_work(engine) as s:
        request_id = request_conclusion(s, experiment_id=experiment_id, winner_arm="variant",
                                        actor=actor(users, "monetization_lead"),
                                        reason="ARPA up, no guardrail breach").id
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        approve_request(s, request_id=request_id, actor=actor(users, "monetization_lead"))
    with unit_of_work(engine) as s:
        approve_request(s, request_id=request_id, actor=actor(users, "finance"))
    with read_session(engine) as s:
        exp = s.get(Experiment, experiment_id)
        winner = s.get(ExperimentArm, exp.winner_arm_id)
        assert (exp.status, winner.name) == ("concluded", "variant")
        assert exp.ended_at is not None
        assert exp.results["decision"] == "ARPA up, no guardrail breach"
    assert _actions(engine, experiment_id)[-2:] == ["experiment.conclude_requested",
                                                    "experiment.concluded"]


def test_pause_resume_and_roll_back_are_audited(engine, users):
    world = build_world(engine, customers=2)
    experiment_id = make_experiment(engine, users, world)
    start(engine, users, experiment_id)
    lead = actor(users, "monetization_lead")
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        pause_experiment(s, experiment_id=experiment_id, actor=lead, reason="")
    with unit_of_work(engine) as s:
        pause_experiment(s, experiment_id=experiment_id, actor=lead, reason="Support spike")
    with unit_of_work(engine) as s:
        assert not assign(s, experiment_id, world.customers[0]).enrolled
    with pytest.raises(Conflict, match="changed by someone else"), unit_of_work(engine) as s:
        resume_experiment(s, experiment_id=experiment_id, actor=lead, expected_version=1)
    with unit_of_work(engine) as s:
        resume_experiment(s, experiment_id=experiment_id, actor=lead)
    with unit_of_work(engine) as s:
        roll_back_experiment(s, experiment_id=experiment_id, actor=lead, reason="Stop")
    with pytest.raises(Conflict, match="rolled_back"), unit_of_work(engine) as s:
        resume_experiment(s, experiment_id=experiment_id, actor=lead)
    assert _actions(engine, experiment_id)[-3:] == ["experiment.pause", "experiment.resume",
                                                    "experiment.roll_back"]


def test_results_per_arm_with_intervals(engine, users):
    world = build_world(engine, customers=40)
    experiment_id = make_experiment(engine, users, world, min_sample=5,
                                    guardrails={"max_dispute_rate": 0.05})
    start(engine, users, experiment_id)
    done = refresh_results(experiment_id, engine=engine)
    assert done.enrolment.assigned == 40
    with read_session(engine) as s:
        arms = dict(s.execute(
            sa.select(ExperimentAssignment.customer_id, ExperimentArm.name)
            .join(ExperimentArm, ExperimentArm.id == ExperimentAssignment.arm_id)).all())
    variant = sorted(c for c, a in arms.items() if a == "variant")
    control = sorted(c for c, a in arms.items() if a == "control")
    now = datetime.now(UTC) + timedelta(minutes=1)
    with unit_of_work(engine) as s:
        for cid in variant[:4]:  # disputes in the variant arm
            s.add(Dispute(customer_id=cid, reason="other", description="x", currency="USD",
                          opened_at=now, response_due_at=now + timedelta(days=3)))
        inv = Invoice(customer_id=control[0], currency="USD", period_start=PERIOD_START,
                      period_end=PERIOD_END, status="issued")
        s.add(inv)
        s.flush()
        s.add(PaymentAttempt(invoice_id=inv.id, attempt_no=1, idempotency_key="k1",
                             amount_minor=100, currency="USD", status="failed",
                             scheduled_at=now, attempted_at=now))
        s.execute(sa.update(Subscription).where(Subscription.customer_id == control[1])
                  .values(status="canceled", canceled_on=now.date(), mrr_minor=0))
    results = refresh_results(experiment_id, engine=engine).results
    by_arm = {a["name"]: a for a in results["arms"]}
    assert by_arm["variant"]["customers"] == len(variant)
    assert by_arm["control"]["customers"] == len(control)
    assert by_arm["variant"]["disputed"] == 4
    assert by_arm["control"]["payment_failed"] == 1
    assert by_arm["control"]["churned"] == 1
    assert by_arm["control"]["converted"] == len(control) - 1
    assert by_arm["variant"]["arpa_minor"] == 12000
    assert results["sample_reached"] is True
    disputes = next(c for c in results["comparisons"] if c["metric"] == "dispute_rate")
    expected = 4 / len(variant)
    assert disputes["diff"] == pytest.approx(expected)
    assert disputes["lower"] < expected < disputes["upper"]
    arpa = next(c for c in results["comparisons"] if c["metric"] == "arpa")
    assert arpa["diff"] == pytest.approx(0)
    assert [b["metric"] for b in results["guardrail_breaches"]] == ["dispute_rate"]
    with read_session(engine) as s:
        assert s.get(Experiment, experiment_id).results["counts"] == {
            "control": len(control), "variant": len(variant)}


def test_simulation_rates_each_variant_over_the_eligible_cohort(engine, users):
    world = build_world(engine, customers=10)
    experiment_id = make_experiment(engine, users, world, eligibility={"segments": ["smb"]})
    seen: list[int] = []
    sim = simulate_experiment(engine, experiment_id=experiment_id, months=3,
                              as_of=date(2026, 11, 15), progress=seen.append)
    assert sim.cohort == 5 and seen[-1] == 100
    (variant,) = sim.variants
    assert (variant.arm, variant.customers, variant.increased) == ("variant", 5, 5)
    (usd,) = variant.totals
    # v2 costs 120 + 2 x 12 = 144.00 a month instead of 100 + 2 x 10 = 120.00: +24.00 x 3 x 5
    assert (usd.old_minor, usd.new_minor, usd.change_minor) == (5 * 3 * 12000, 5 * 3 * 14400,
                                                                5 * 3 * 2400)
    assert variant.change_reporting == "+$360.00"
    with unit_of_work(engine) as s:
        request_id = request_start(s, experiment_id=experiment_id,
                                   actor=actor(users, "monetization_lead"), reason="Go",
                                   simulation=sim.to_json()).id
    with read_session(engine) as s:
        stored = s.get(ApprovalRequest, request_id).payload["simulation"]
    assert stored["variants"][0]["change_reporting_minor"] == 36000
