"""Moving subscriptions for a rollout: the moves due on a day, and the one-step rollback.

A move is a conditional update of the subscription plus a ``migrate`` subscription event (MRR
before/after) and an audit event, like a catalog migration, so the bill run prorates the
change. Members move at their next renewal (the day after the current period ends) or on the
stage's date; :func:`run_due_rollouts` moves them when their day comes.

:func:`rollback_rollout` returns every moved subscription to the version it came from
(``migrate`` events dated the rollback day, or the day after a same-day move so no version
span is empty), cancels the moves still scheduled, and marks the rollout rolled back, in one
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.catalog import (
    MOVABLE_STATUSES,
    PriceSpec,
    VersionStatus,
    get_version,
    price_specs,
    subscription_mrr_minor,
)
from console.experiments.domain.inputs import check_text
from console.experiments.domain.lifecycle import RolloutStatus
from console.experiments.queries.loaders import ROLLOUT, get_rollout, today
from console.experiments.usecases.status_moves import move_rollout
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import check_version, try_conditional_update
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Customer, Rollout, RolloutMember, Subscription, SubscriptionEvent
from models.db import unit_of_work

#: Rollout statuses in which members may still move.
MOVING = (RolloutStatus.RUNNING.value, RolloutStatus.COMPLETED.value)


@dataclass(frozen=True)
class RollbackResult:
    """What a rollback did."""

    returned: int
    canceled: int
    left_alone: int


def _switch(session: Session, *, sub: Subscription, customer: Customer, from_id: int,
            to_id: int, on: date, prices: Mapping[int, list[PriceSpec]], actor: Actor,
            grandfathered: bool, note: str, context: Mapping[str, Any]) -> bool:
    """Move one subscription between versions (conditional), with its migrate event and audit."""
    def mrr(version_id: int) -> int:
        return subscription_mrr_minor(prices[version_id], seats=sub.seats, currency=sub.currency,
                                      interval=sub.billing_interval, region=customer.region,
                                      segment=customer.segment)

    before, after = mrr(from_id), mrr(to_id)
    # The caller never reuses ``sub``: no refresh.
    if not try_conditional_update(session, sub, expect_status=None, refresh=False,
                                  where=[Subscription.plan_version_id == from_id],
                                  plan_version_id=to_id, mrr_minor=after,
                                  grandfathered=grandfathered):
        return False
    if customer.currency == sub.currency and sub.status in MOVABLE_STATUSES:
        session.execute(sa.update(Customer).where(Customer.id == customer.id)
                        .values(mrr_minor=Customer.mrr_minor + (after - before))
                        .execution_options(synchronize_session=False))
    session.add(SubscriptionEvent(
        subscription_id=sub.id, customer_id=customer.id, kind="migrate", occurred_on=on,
        from_version_id=from_id, to_version_id=to_id, currency=sub.currency,
        mrr_before_minor=before, mrr_after_minor=after, mrr_delta_minor=after - before,
        note=note, actor_id=actor.user_id))
    session.flush()
    record(session, actor=actor, action="subscription.migrate", object_type="subscription",
           object_id=sub.id,
           before={"plan_version_id": from_id, "mrr_minor": before,
                   "grandfathered": sub.grandfathered},
           after={"plan_version_id": to_id, "mrr_minor": after, "grandfathered": grandfathered,
                  "occurred_on": on, **context})
    return True


def _prices(session: Session, *version_ids: int) -> dict[int, list[PriceSpec]]:
    return {v: price_specs(session, v) for v in set(version_ids)}


def move_due(session: Session, rollout: Rollout, on: date, actor: Actor) -> int:
    """Move the rollout's members whose move day is ``on`` or earlier; returns how many."""
    rows = session.execute(
        sa.select(RolloutMember, Subscription, Customer)
        .join(Subscription, Subscription.id == RolloutMember.subscription_id)
        .join(Customer, Customer.id == RolloutMember.customer_id)
        .where(RolloutMember.rollout_id == rollout.id, RolloutMember.rolled_back_on.is_(None),
               RolloutMember.moved_on <= on,
               Subscription.plan_version_id == RolloutMember.from_version_id)
        .order_by(RolloutMember.id)).all()
    if not rows:
        return 0
    prices = _prices(session, rollout.to_version_id, *{m.from_version_id for m, _s, _c in rows})
    moved = 0
    for member, sub, customer in rows:
        moved += _switch(session, sub=sub, customer=customer, from_id=member.from_version_id,
                         to_id=rollout.to_version_id, on=member.moved_on, prices=prices,
                         actor=actor, grandfathered=False, note=f"rollout {rollout.key}",
                         context={"rollout_id": rollout.id, "stage_id": member.stage_id})
    return moved


def run_due_rollouts(session: Session, *, on: date, actor: Actor) -> int:
    """Move every member of a running or completed rollout whose day has come.

    Paused rollouts move nobody until they resume. Run by the system (scheduler, CLI) or a user
    with RUN_EXPERIMENTS.

    Returns:
        How many subscriptions moved.

    Raises:
        NotAllowed: a person without RUN_EXPERIMENTS.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS, system=True)
    rollouts = session.execute(sa.select(Rollout).where(Rollout.status.in_(MOVING))
                               .order_by(Rollout.id)).scalars().all()
    return sum(move_due(session, r, on, actor) for r in rollouts)


def rollback_rollout(session: Session, *, rollout_id: int, actor: Actor, reason: str,
                     expected_version: int | None = None, on: date | None = None
                     ) -> RollbackResult:
    """Return every moved subscription to the version it came from, in one step (audited).

    Moved subscriptions get a ``migrate`` event back to ``rollout_member.from_version_id``
    dated ``on`` (the day after the move when it moved that same day), so the next invoice
    prorates both versions; they are grandfathered again when that version is no longer the
    published one. Moves still scheduled are canceled. A subscription changed to another
    version since is left alone (and counted).

    Raises:
        Conflict: already rolled back, still a draft, or changed since the page was loaded.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", limit=2000)
    on = on or today()
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    before = move_rollout(session, rollout, RolloutStatus.ROLLED_BACK)
    rows = session.execute(
        sa.select(RolloutMember, Subscription, Customer)
        .join(Subscription, Subscription.id == RolloutMember.subscription_id)
        .join(Customer, Customer.id == RolloutMember.customer_id)
        .where(RolloutMember.rollout_id == rollout.id, RolloutMember.rolled_back_on.is_(None))
        .order_by(RolloutMember.id)).all()
    prices = _prices(session, rollout.to_version_id, *{m.from_version_id for m, _s, _c in rows})
    published = {v: get_version(session, v).status == VersionStatus.PUBLISHED for v in prices}
    returned = canceled = left = 0
    for member, sub, customer in rows:
        if sub.plan_version_id != rollout.to_version_id:
            member.rolled_back_on = on
            if sub.plan_version_id == member.from_version_id:
                canceled += 1  # scheduled (or paused) move that never happened
            else:
                left += 1
            continue
        back_on = max(on, member.moved_on + timedelta(days=1))
        if _switch(session, sub=sub, customer=customer, from_id=rollout.to_version_id,
                   to_id=member.from_version_id, on=back_on, prices=prices, actor=actor,
                   grandfathered=not published[member.from_version_id],
                   note=f"rollback of rollout {rollout.key}",
                   context={"rollout_id": rollout.id, "rollback": True}):
            member.rolled_back_on = back_on
            returned += 1
        else:
            member.rolled_back_on = on
            left += 1
    session.flush()
    record(session, actor=actor, action="rollout.rollback", object_type=ROLLOUT,
           object_id=rollout.id, before={"status": before},
           after={"status": rollout.status, "returned": returned, "canceled": canceled,
                  "left_alone": left}, reason=reason)
    return RollbackResult(returned, canceled, left)


# --- page-facing


def rollback(user_id: int, rollout_id: int, reason: str, expected_version: int
             ) -> RollbackResult:
    """Return every moved customer to the version it came from, as the signed-in user.

    Raises:
        ServiceError: as :func:`rollback_rollout`.
    """
    with unit_of_work() as s:
        return rollback_rollout(s, rollout_id=rollout_id, actor=actor_for(s, user_id),
                                reason=reason, expected_version=expected_version)
