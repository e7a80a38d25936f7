"""Scheduled migrations of subscribers from one plan version to another.

``schedule_migration`` stores a preview
(:func:`console.catalog.queries.migrations.preview_migration`) on a ``plan_migration`` row;
``run_due_migrations`` moves each listed subscription whose date has come and that is still on
the old version (a conditional update, so two runs never move one twice), writes a
``migrate`` subscription event with MRR before/after, clears ``grandfathered`` and audits it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.ratecard import PriceSpec
from console.catalog.domain.status import MigrationStatus, MigrationTiming
from console.catalog.queries.migrations import (
    MOVABLE_STATUSES,
    preview_migration,
    subscription_mrr,
)
from console.catalog.queries.page_text import parse_day
from console.catalog.queries.rate_cards import price_specs
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import conditional_update, try_conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotFound
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Customer, PlanMigration, Subscription, SubscriptionEvent
from models.db import unit_of_work


@dataclass(frozen=True)
class MigrationRun:
    """What one run of due migrations did."""

    migrations: int
    moved: int
    completed: int


def schedule_migration(
    session: Session,
    *,
    from_version_id: int,
    to_version_id: int,
    actor: Actor,
    customer_filter: Mapping[str, Any] | None = None,
    timing: str = MigrationTiming.NEXT_RENEWAL,
    effective_date: date | None = None,
    today: date | None = None,
) -> PlanMigration:
    """Schedule a migration and store its preview (audited).

    Args:
        session: the unit of work.
        from_version_id: the version subscribers are on now.
        to_version_id: the plan's published version.
        actor: who schedules it (needs edit permission).
        customer_filter: ``segment``/``region``/``currency``/``customer_ids``.
        timing: ``next_renewal`` or ``date``.
        effective_date: the date for timing ``date``.
        today: for date checks (default today, UTC).

    Returns:
        The scheduled migration.

    Raises:
        InvalidInput: when no subscription matches, or a bad filter, timing or date.
        NotAllowed: without edit permission.
        Conflict: the target is not the published version.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    preview = preview_migration(session, from_version_id=from_version_id,
                                to_version_id=to_version_id, customer_filter=customer_filter,
                                timing=timing, effective_date=effective_date, today=today)
    if not preview.count:
        raise InvalidInput("No subscription on that version matches the filter.")
    migration = PlanMigration(from_version_id=preview.from_version_id,
                              to_version_id=preview.to_version_id,
                              status=MigrationStatus.SCHEDULED.value, timing=preview.timing,
                              effective_date=preview.effective_date,
                              customer_filter=preview.customer_filter,
                              preview=preview.to_json(), created_by=actor.user_id)
    session.add(migration)
    session.flush()
    record(session, actor=actor, action="catalog.migration.schedule",
           object_type="plan_migration", object_id=migration.id,
           after={"from_version_id": migration.from_version_id,
                  "to_version_id": migration.to_version_id, "timing": migration.timing,
                  "effective_date": migration.effective_date,
                  "customer_filter": migration.customer_filter,
                  "subscriptions": preview.count,
                  "mrr_change": [t.change for t in preview.totals]})
    return migration


def cancel_migration(session: Session, *, migration_id: int, actor: Actor,
                     reason: str = "") -> PlanMigration:
    """Cancel a scheduled migration (subscriptions already moved stay moved).

    Raises:
        NotAllowed: without edit permission.
        NotFound: when there is no such migration.
        Conflict: when the migration is already completed or canceled.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    migration = session.get(PlanMigration, migration_id)
    if migration is None:
        raise NotFound("No such migration.")
    before = migration.status
    _move_migration(session, migration, MigrationStatus.CANCELED,
                    allowed=(MigrationStatus.SCHEDULED, MigrationStatus.RUNNING))
    record(session, actor=actor, action="catalog.migration.cancel",
           object_type="plan_migration", object_id=migration.id, before={"status": before},
           after={"status": migration.status}, reason=reason)
    return migration


def _move_migration(session: Session, migration: PlanMigration, target: MigrationStatus,
                    *, allowed: Sequence[MigrationStatus]) -> None:
    if migration.status not in allowed:
        raise Conflict(f"This migration is {migration.status}.")
    conditional_update(session, migration, status=target.value)


def _move_subscription(session: Session, migration: PlanMigration, sub: Subscription,
                       customer: Customer, move_on: date, new_prices: list[PriceSpec],
                       old_prices: list[PriceSpec], actor: Actor) -> bool:
    before = subscription_mrr(old_prices, sub, customer)
    after = subscription_mrr(new_prices, sub, customer)
    was_grandfathered = sub.grandfathered
    if not try_conditional_update(
            session, sub, expect_status=None, refresh=False,
            where=[Subscription.plan_version_id == migration.from_version_id],
            plan_version_id=migration.to_version_id, mrr_minor=after, grandfathered=False):
        return False
    if customer.currency == sub.currency:
        session.execute(sa.update(Customer).where(Customer.id == customer.id)
                        .values(mrr_minor=Customer.mrr_minor + (after - before)))
    session.add(SubscriptionEvent(
        subscription_id=sub.id, customer_id=customer.id, kind="migrate", occurred_on=move_on,
        from_version_id=migration.from_version_id, to_version_id=migration.to_version_id,
        currency=sub.currency, mrr_before_minor=before, mrr_after_minor=after,
        mrr_delta_minor=after - before, note=f"plan migration {migration.id}",
        actor_id=actor.user_id))
    session.flush()
    record(session, actor=actor, action="subscription.migrate", object_type="subscription",
           object_id=sub.id,
           before={"plan_version_id": migration.from_version_id, "mrr_minor": before,
                   "grandfathered": was_grandfathered},
           after={"plan_version_id": migration.to_version_id, "mrr_minor": after,
                  "grandfathered": False, "migration_id": migration.id,
                  "occurred_on": move_on})
    return True


def run_due_migrations(session: Session, *, today: date, actor: Actor) -> MigrationRun:
    """Apply every scheduled migration whose subscriptions are due on or before ``today``.

    The subscriptions moved are those listed in the stored preview that are still on the old
    version and not canceled; a migration completes when none of them is left waiting. Runs
    by the system (scheduler, CLI) or by a user with edit permission.

    Args:
        session: the unit of work.
        today: the day the run stands for.
        actor: the system, or a user with edit permission.

    Returns:
        How many migrations were touched, subscriptions moved and migrations completed.

    Raises:
        NotAllowed: for a user without edit permission.
    """
    if actor.user_id is not None:
        require(session, actor, Permission.EDIT_CATALOG)
    migrations = session.execute(
        sa.select(PlanMigration)
        .where(PlanMigration.status.in_([MigrationStatus.SCHEDULED.value,
                                         MigrationStatus.RUNNING.value]))
        .order_by(PlanMigration.id)
    ).scalars().all()
    touched = moved_total = completed = 0
    for migration in migrations:
        lines = (migration.preview or {}).get("lines", [])
        by_sub = {int(ln["subscription_id"]): date.fromisoformat(ln["move_on"]) for ln in lines}
        subs = session.execute(
            sa.select(Subscription, Customer)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(Subscription.id.in_(list(by_sub)),
                   Subscription.plan_version_id == migration.from_version_id,
                   Subscription.status.in_(MOVABLE_STATUSES))
            .order_by(Subscription.id)
        ).all() if by_sub else []
        due = [(s, c) for s, c in subs if by_sub[s.id] <= today]
        waiting = len(subs) - len(due)
        if not due and waiting:
            continue
        old_prices = price_specs(session, migration.from_version_id)
        new_prices = price_specs(session, migration.to_version_id)
        moved = sum(
            _move_subscription(session, migration, sub, customer, by_sub[sub.id], new_prices,
                               old_prices, actor)
            for sub, customer in due)
        before = migration.status
        target = MigrationStatus.RUNNING if waiting else MigrationStatus.COMPLETED
        if target != before:
            _move_migration(session, migration, target,
                            allowed=(MigrationStatus.SCHEDULED, MigrationStatus.RUNNING))
        record(session, actor=actor, action="catalog.migration.run",
               object_type="plan_migration", object_id=migration.id,
               before={"status": before},
               after={"status": migration.status, "moved": moved, "waiting": waiting},
               reason=f"due on or before {today.isoformat()}")
        touched += 1
        moved_total += moved
        completed += target == MigrationStatus.COMPLETED
    return MigrationRun(touched, moved_total, completed)


# --- page-facing


def schedule(*, user_id: int, from_version_id: int, to_version_id: int,
             customer_filter: Mapping[str, Any] | None = None,
             timing: str = MigrationTiming.NEXT_RENEWAL,
             effective_date: date | str | None = None) -> int:
    """Schedule a migration, as the signed-in user.

    Args:
        user_id: the signed-in user.
        from_version_id: the version subscribers are on now.
        to_version_id: the plan's published version.
        customer_filter: ``segment``/``region``/``currency``/``customer_ids``.
        timing: ``next_renewal`` or ``date``.
        effective_date: the date for timing ``date`` (a date or YYYY-MM-DD).

    Returns:
        The migration's id.

    Raises:
        InvalidInput: no subscription matches, or a bad filter, timing or date.
        NotAllowed: without edit permission.
        Conflict: the target is not the published version.
    """
    day = parse_day(effective_date, "effective_date") if effective_date else None
    with unit_of_work() as s:
        return schedule_migration(
            s, from_version_id=from_version_id, to_version_id=to_version_id,
            actor=actor_for(s, user_id), customer_filter=customer_filter, timing=timing,
            effective_date=day).id


def cancel_scheduled_migration(*, user_id: int, migration_id: int, reason: str = "") -> None:
    """Cancel a scheduled migration, as the signed-in user.

    Raises:
        NotAllowed: without edit permission.
        NotFound: when there is no such migration.
        Conflict: when the migration is already completed or canceled.
    """
    with unit_of_work() as s:
        cancel_migration(s, migration_id=migration_id, actor=actor_for(s, user_id),
                         reason=reason)


def run_migrations(*, today: date | None = None, user_id: int | None = None) -> MigrationRun:
    """Apply due migrations in their own transaction (no user: the system; or a user with
    edit permission).

    Args:
        today: the day the run stands for (default today, UTC).
        user_id: the signed-in user, or None for the system.

    Returns:
        What the run did.
    """
    day = today or datetime.now(UTC).date()
    with unit_of_work() as s:
        who = actor_for(s, user_id) if user_id is not None else Actor.system("system:migrations")
        return run_due_migrations(s, today=day, actor=who)
