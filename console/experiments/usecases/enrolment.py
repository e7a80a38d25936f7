"""Sticky assignment of customers to experiment arms.

Assignment is deterministic (:func:`~console.experiments.domain.assignment.assign_arm` over the
experiment key and the customer id) and sticky: :func:`assign` stores it the first time it is
used (unique per experiment and customer; ``INSERT ... ON CONFLICT DO NOTHING`` then re-read,
so concurrent calls agree). A customer already assigned in another running or paused
experiment on the same plan is skipped with a clear reason (assignments of a plan are
serialized by a row lock on the plan on PostgreSQL; SQLite serializes writers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from console.experiments.domain.assignment import assign_arm
from console.experiments.domain.eligibility import (
    CURRENT_SUBSCRIPTIONS,
    eligibility_refusal,
    new_customers_only,
)
from console.experiments.domain.lifecycle import LIVE, ExperimentStatus
from console.experiments.queries.loaders import arms_of, eligibility_filters, get_experiment
from console.kernel.errors import Conflict, NotFound
from models import Customer, Experiment, ExperimentArm, ExperimentAssignment, Plan, Subscription
from models.types import utcnow

#: Assignments inserted per statement.
BATCH = 5000


@dataclass(frozen=True)
class Assignment:
    """Where a customer stands in an experiment (``arm`` is None when not enrolled)."""

    experiment_id: int
    customer_id: int
    arm: str | None
    arm_id: int | None
    plan_version_id: int | None
    stored_now: bool = False
    reason: str = ""

    @property
    def enrolled(self) -> bool:
        """Whether the customer is in an arm."""
        return self.arm is not None


@dataclass(frozen=True)
class Enrolment:
    """What a bulk enrolment did."""

    assigned: int
    skipped_elsewhere: int


def _weights(arms: Sequence[ExperimentArm]) -> dict[str, int]:
    return {a.name: a.weight for a in arms}


def _eligible_reason(session: Session, exp: Experiment, customer: Customer) -> str:
    is_new = exp.started_at is not None and customer.created_at >= exp.started_at
    subscriber = False
    if not is_new and not new_customers_only(exp.eligibility):
        subscriber = session.execute(
            sa.select(Subscription.id).where(Subscription.customer_id == customer.id,
                                             Subscription.plan_id == exp.plan_id,
                                             Subscription.status.in_(CURRENT_SUBSCRIPTIONS))
            .limit(1)).first() is not None
    return eligibility_refusal(exp.eligibility, segment=customer.segment,
                               region=customer.region, currency=customer.currency,
                               is_new=is_new, subscriber=subscriber)


def _lock_plan(session: Session, plan_id: int) -> None:
    session.execute(sa.select(Plan.id).where(Plan.id == plan_id).with_for_update())


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    table = ExperimentAssignment.__table__
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["experiment_id", "customer_id"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(
            index_elements=["experiment_id", "customer_id"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        stmt = sa.insert(table)
    if len(rows) == 1:
        got = session.execute(stmt.values(**rows[0]).returning(table.c.id)).first()
        return int(got is not None)
    session.execute(stmt, rows)
    return len(rows)


def _stored(session: Session, experiment_id: int, customer_id: int) -> Assignment | None:
    row = session.execute(
        sa.select(ExperimentArm.id, ExperimentArm.name, ExperimentArm.plan_version_id)
        .join(ExperimentAssignment, ExperimentAssignment.arm_id == ExperimentArm.id)
        .where(ExperimentAssignment.experiment_id == experiment_id,
               ExperimentAssignment.customer_id == customer_id)).first()
    if row is None:
        return None
    return Assignment(experiment_id, customer_id, row.name, row.id, row.plan_version_id)


def _other_experiment(session: Session, exp: Experiment, customer_id: int) -> str | None:
    return session.execute(
        sa.select(Experiment.key)
        .join(ExperimentAssignment, ExperimentAssignment.experiment_id == Experiment.id)
        .where(Experiment.plan_id == exp.plan_id, Experiment.id != exp.id,
               Experiment.status.in_(LIVE), ExperimentAssignment.customer_id == customer_id)
        .limit(1)).scalar_one_or_none()


def assign(session: Session, experiment_id: int, customer_id: int, *,
           store: bool = True) -> Assignment:
    """Return the customer's arm, stored the first time (idempotent and sticky).

    A stored assignment is always returned as is. Otherwise the customer is enrolled only
    when the experiment is running, the customer is eligible and not already assigned in
    another running or paused experiment on the same plan; when not, ``arm`` is None and
    ``reason`` says why (nothing is stored).

    Args:
        session: the unit of work.
        experiment_id: the experiment.
        customer_id: the customer (its id is hashed with the experiment key).
        store: store a new assignment (False: only say which arm it would be, e.g. for a
            preview; nothing is written).

    Raises:
        NotFound: no such experiment or customer.
    """
    exp = get_experiment(session, experiment_id)
    stored = _stored(session, exp.id, customer_id)
    if stored is not None:
        return stored
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    if exp.status != ExperimentStatus.RUNNING:
        return Assignment(exp.id, customer_id, None, None, None,
                          reason=f"The experiment is {exp.status.replace('_', ' ')}, "
                                 "not running: nobody is enrolled now.")
    reason = _eligible_reason(session, exp, customer)
    if reason:
        return Assignment(exp.id, customer_id, None, None, None, reason=reason)
    if store:
        _lock_plan(session, exp.plan_id)
    other = _other_experiment(session, exp, customer_id)
    if other is not None:
        return Assignment(exp.id, customer_id, None, None, None,
                          reason=f"Skipped: already in experiment {other!r} on the same plan.")
    arms = arms_of(session, exp.id)
    arm_name = assign_arm(exp.key, str(customer_id), _weights(arms))
    arm = next(a for a in arms if a.name == arm_name)
    if not store:
        return Assignment(exp.id, customer_id, arm.name, arm.id, arm.plan_version_id)
    inserted = _insert_ignore(session, [{"experiment_id": exp.id, "arm_id": arm.id,
                                         "customer_id": customer_id, "assigned_at": utcnow()}])
    stored = _stored(session, exp.id, customer_id)
    if stored is None:  # pragma: no cover - the insert or a racing one stored it
        raise Conflict("The assignment could not be stored; try again.")
    return Assignment(stored.experiment_id, customer_id, stored.arm, stored.arm_id,
                      stored.plan_version_id, stored_now=inserted == 1)


def eligible_customers(session: Session, exp: Experiment) -> sa.Select:
    """Return a SELECT of the ids of customers eligible for ``exp`` now (before exclusions)."""
    elig = exp.eligibility or {}
    conds = eligibility_filters(elig)
    started = exp.started_at or utcnow()
    is_new = Customer.created_at >= started
    if new_customers_only(elig):
        who = is_new
    else:
        subscribers = sa.select(Subscription.customer_id).where(
            Subscription.plan_id == exp.plan_id, Subscription.status.in_(CURRENT_SUBSCRIPTIONS))
        who = sa.or_(is_new, Customer.id.in_(subscribers))
    return sa.select(Customer.id).where(who, *conds)


def enroll_eligible(session: Session, experiment_id: int) -> Enrolment:
    """Assign every eligible customer of a running experiment not yet assigned (bulk, sticky).

    Customers assigned in another running or paused experiment on the same plan are skipped.

    Returns:
        How many were assigned, and how many were skipped for another experiment.
    """
    exp = get_experiment(session, experiment_id)
    if exp.status != ExperimentStatus.RUNNING:
        return Enrolment(0, 0)
    _lock_plan(session, exp.plan_id)
    eligible = eligible_customers(session, exp).subquery()
    mine = sa.select(ExperimentAssignment.customer_id).where(
        ExperimentAssignment.experiment_id == exp.id)
    elsewhere = (sa.select(ExperimentAssignment.customer_id)
                 .join(Experiment, Experiment.id == ExperimentAssignment.experiment_id)
                 .where(Experiment.plan_id == exp.plan_id, Experiment.id != exp.id,
                        Experiment.status.in_(LIVE)))
    candidates = sa.select(eligible.c.id).where(eligible.c.id.not_in(mine))
    skipped = session.execute(sa.select(sa.func.count()).select_from(
        candidates.where(eligible.c.id.in_(elsewhere)).subquery())).scalar_one()
    ids = session.execute(candidates.where(eligible.c.id.not_in(elsewhere))
                          .order_by(eligible.c.id)).scalars().all()
    arms = arms_of(session, exp.id)
    by_name = {a.name: a.id for a in arms}
    weights = _weights(arms)
    now = utcnow()
    rows = [{"experiment_id": exp.id, "arm_id": by_name[assign_arm(exp.key, str(cid), weights)],
             "customer_id": int(cid), "assigned_at": now} for cid in ids]
    for start in range(0, len(rows), BATCH):
        _insert_ignore(session, rows[start:start + BATCH])
    return Enrolment(len(rows), int(skipped))


def offered_version(session: Session, *, plan_id: int, customer_id: int,
                    store: bool = True) -> int | None:
    """Return the plan version a running experiment offers this customer (assigning if needed).

    The hook for sign-up and renewal flows: None when no running experiment on the plan
    enrols the customer (the plan's published version applies then). A customer is in at
    most one running experiment per plan (:func:`assign` skips the others).

    Args:
        session: the unit of work.
        plan_id: the plan subscribed to or renewed on.
        customer_id: the customer.
        store: store the assignment (False for a preview: nothing is written).
    """
    running = session.execute(
        sa.select(Experiment.id).where(Experiment.plan_id == plan_id,
                                       Experiment.status == ExperimentStatus.RUNNING.value)
        .order_by(Experiment.id)).scalars().all()
    for experiment_id in running:
        got = assign(session, experiment_id, customer_id, store=store)
        if got.enrolled:
            return got.plan_version_id
    return None


def renewal_version(session: Session, *, plan_id: int, customer_id: int,
                    current_version_id: int, store: bool = True) -> int | None:
    """The plan version a subscription renews onto when an experiment says so (None: it keeps
    its version).

    * A running experiment on the plan that enrols the customer: their arm's version.
    * A concluded experiment whose conclusion moves the losing arms at renewal
      (``results["losers"] == "migrate"``): a customer of a losing arm still on that arm's
      version moves to the winning arm's version.
    """
    offered = offered_version(session, plan_id=plan_id, customer_id=customer_id, store=store)
    if offered is not None:
        return offered if offered != current_version_id else None
    rows = session.execute(
        sa.select(Experiment.results, Experiment.winner_arm_id, ExperimentArm.id,
                  ExperimentArm.plan_version_id)
        .join(ExperimentAssignment, ExperimentAssignment.experiment_id == Experiment.id)
        .join(ExperimentArm, ExperimentArm.id == ExperimentAssignment.arm_id)
        .where(Experiment.plan_id == plan_id,
               Experiment.status == ExperimentStatus.CONCLUDED.value,
               ExperimentAssignment.customer_id == customer_id)
        .order_by(Experiment.ended_at.desc(), Experiment.id.desc())).all()
    for results, winner_id, arm_id, arm_version in rows:
        if (results or {}).get("losers") != "migrate" or winner_id is None:
            continue
        if arm_id == winner_id or arm_version != current_version_id:
            continue
        winner_version = session.execute(sa.select(ExperimentArm.plan_version_id).where(
            ExperimentArm.id == winner_id)).scalar_one_or_none()
        if winner_version is not None and winner_version != current_version_id:
            return int(winner_version)
    return None
