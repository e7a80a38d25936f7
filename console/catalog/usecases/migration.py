"""Scheduled migrations of subscribers from one plan version to another.

``preview_migration`` lists who moves, when, and the MRR before/after per subscription
(:func:`console.catalog.subscription_mrr_minor` on both versions, so both sides are computed
the same way); ``schedule_migration`` stores that preview on a ``plan_migration`` row;
``run_due_migrations`` moves each listed subscription whose date has come and that is still on
the old version (a conditional update, so two runs never move one twice), writes a
``migrate`` subscription event with MRR before/after, clears ``grandfathered`` and audits it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.mrr import subscription_mrr_minor
from console.catalog.domain.ratecard import REGIONS, SEGMENTS, PriceSpec
from console.catalog.domain.status import MigrationStatus, MigrationTiming, VersionStatus
from console.catalog.usecases.common import get_version, price_specs
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update, try_conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotFound
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import MoneyError, exponent, format_minor
from models import Customer, PlanMigration, Subscription, SubscriptionEvent

#: Subscriptions a migration moves.
MOVABLE_STATUSES = ("trialing", "active", "past_due")
_FILTER_KEYS = ("segment", "region", "currency", "customer_ids")


@dataclass(frozen=True)
class MigrationLine:
    """One subscription that moves (preformatted)."""

    subscription_id: int
    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    move_on: date
    move_on_text: str
    mrr_before_minor: int
    mrr_after_minor: int
    change_minor: int
    mrr_before: str
    mrr_after: str
    change: str


@dataclass(frozen=True)
class MigrationTotal:
    """MRR before/after of the moving subscriptions in one currency."""

    currency: str
    subscriptions: int
    mrr_before_minor: int
    mrr_after_minor: int
    change_minor: int
    mrr_before: str
    mrr_after: str
    change: str


@dataclass(frozen=True)
class MigrationPreview:
    """Who moves from one version to another, when, and what it does to MRR."""

    from_version_id: int
    to_version_id: int
    timing: str
    effective_date: date | None
    customer_filter: dict[str, Any]
    lines: tuple[MigrationLine, ...]
    totals: tuple[MigrationTotal, ...]

    @property
    def count(self) -> int:
        """How many subscriptions move."""
        return len(self.lines)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form stored on ``plan_migration.preview``."""
        return {
            "from_version_id": self.from_version_id,
            "to_version_id": self.to_version_id,
            "timing": self.timing,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "customer_filter": self.customer_filter,
            "count": self.count,
            "lines": [{
                "subscription_id": ln.subscription_id, "customer_id": ln.customer_id,
                "customer_code": ln.customer_code, "currency": ln.currency,
                "move_on": ln.move_on.isoformat(), "mrr_before_minor": ln.mrr_before_minor,
                "mrr_after_minor": ln.mrr_after_minor, "change_minor": ln.change_minor,
                "change": ln.change,
            } for ln in self.lines],
            "totals": [{
                "currency": t.currency, "subscriptions": t.subscriptions,
                "mrr_before_minor": t.mrr_before_minor, "mrr_after_minor": t.mrr_after_minor,
                "change_minor": t.change_minor, "mrr_before": t.mrr_before,
                "mrr_after": t.mrr_after, "change": t.change,
            } for t in self.totals],
        }


@dataclass(frozen=True)
class MigrationRun:
    """What one run of due migrations did."""

    migrations: int
    moved: int
    completed: int


def _signed(minor: int, currency: str) -> str:
    text = format_minor(minor, currency)
    return f"+{text}" if minor > 0 else text


def _values(raw: Any, key: str, allowed: Sequence[str] | None) -> list[str]:
    values = [raw] if isinstance(raw, str) else list(raw or [])
    values = [str(v).strip() for v in values if str(v).strip()]
    for v in values:
        if allowed is not None and v not in allowed:
            raise InvalidInput(f"customer_filter.{key}: {v!r} is not one of "
                               f"{', '.join(allowed)}.")
    return values


def normalize_filter(customer_filter: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check a customer filter: ``segment``/``region``/``currency`` (one value or a list),
    ``customer_ids`` (list of ints). Empty values mean "everyone"."""
    raw = dict(customer_filter or {})
    unknown = sorted(set(raw) - set(_FILTER_KEYS))
    if unknown:
        raise InvalidInput(f"customer_filter: unknown key(s) {', '.join(unknown)}.")
    out: dict[str, Any] = {}
    for key, allowed in (("segment", SEGMENTS), ("region", REGIONS), ("currency", None)):
        values = _values(raw.get(key), key, allowed)
        if key == "currency":
            for v in values:
                try:
                    exponent(v)
                except MoneyError as exc:
                    raise InvalidInput(f"customer_filter.currency: {exc}") from None
        if values:
            out[key] = sorted(values)
    ids_raw = raw.get("customer_ids") or []
    try:
        customer_ids = sorted({int(v) for v in ids_raw})
    except (TypeError, ValueError):
        raise InvalidInput("customer_filter.customer_ids: must be a list of ids.") from None
    if customer_ids:
        out["customer_ids"] = customer_ids
    return out


def _check_versions(session: Session, from_version_id: int, to_version_id: int):
    source = get_version(session, from_version_id)
    target = get_version(session, to_version_id)
    if source.id == target.id:
        raise InvalidInput("Choose two different versions.")
    if source.plan_id != target.plan_id:
        raise InvalidInput("Both versions must belong to the same plan.")
    if target.status != VersionStatus.PUBLISHED:
        raise Conflict(f"Subscribers can only move to the published version (v{target.number} "
                       f"is {target.status.replace('_', ' ')}).")
    return source, target


def _mrr(prices: list[PriceSpec], sub: Subscription, customer: Customer) -> int:
    return subscription_mrr_minor(prices, seats=sub.seats, currency=sub.currency,
                                  interval=sub.billing_interval, region=customer.region,
                                  segment=customer.segment)


def preview_migration(
    session: Session,
    *,
    from_version_id: int,
    to_version_id: int,
    customer_filter: Mapping[str, Any] | None = None,
    timing: str = MigrationTiming.NEXT_RENEWAL,
    effective_date: date | None = None,
    today: date | None = None,
) -> MigrationPreview:
    """Who would move from one version to the published one, when, and the MRR change.

    Args:
        session: an open session.
        from_version_id: the version subscribers are on now.
        to_version_id: the plan's published version.
        customer_filter: ``segment``/``region``/``currency``/``customer_ids``.
        timing: ``next_renewal`` (the day after each current period ends) or ``date``.
        effective_date: the date for timing ``date`` (today or later).
        today: for date checks (default today, UTC).

    Raises:
        InvalidInput: bad filter, timing or date. Conflict: target not published.
    """
    today = today or datetime.now(UTC).date()
    try:
        timing = MigrationTiming(timing)
    except ValueError:
        raise InvalidInput("timing must be next_renewal or date.") from None
    if timing == MigrationTiming.DATE:
        if effective_date is None:
            raise InvalidInput("Choose the date the subscribers move on.")
        if effective_date < today:
            raise InvalidInput("The migration date cannot be in the past.")
    else:
        effective_date = None
    flt = normalize_filter(customer_filter)
    source, target = _check_versions(session, from_version_id, to_version_id)
    query = (
        sa.select(Subscription, Customer)
        .join(Customer, Customer.id == Subscription.customer_id)
        .where(Subscription.plan_version_id == source.id,
               Subscription.status.in_(MOVABLE_STATUSES))
        .order_by(Customer.code, Subscription.id)
    )
    if "segment" in flt:
        query = query.where(Customer.segment.in_(flt["segment"]))
    if "region" in flt:
        query = query.where(Customer.region.in_(flt["region"]))
    if "currency" in flt:
        query = query.where(Subscription.currency.in_(flt["currency"]))
    if "customer_ids" in flt:
        query = query.where(Customer.id.in_(flt["customer_ids"]))
    old_prices = price_specs(session, source.id)
    new_prices = price_specs(session, target.id)
    lines: list[MigrationLine] = []
    for sub, customer in session.execute(query).all():
        before = _mrr(old_prices, sub, customer)
        after = _mrr(new_prices, sub, customer)
        move_on = effective_date or (sub.current_period_end + timedelta(days=1))
        cur = sub.currency
        lines.append(MigrationLine(
            subscription_id=sub.id, customer_id=customer.id, customer_code=customer.code,
            customer_name=customer.name, currency=cur, move_on=move_on,
            move_on_text=move_on.isoformat(), mrr_before_minor=before, mrr_after_minor=after,
            change_minor=after - before, mrr_before=format_minor(before, cur),
            mrr_after=format_minor(after, cur), change=_signed(after - before, cur)))
    totals = []
    for cur in sorted({ln.currency for ln in lines}):
        rows = [ln for ln in lines if ln.currency == cur]
        before = sum(ln.mrr_before_minor for ln in rows)
        after = sum(ln.mrr_after_minor for ln in rows)
        totals.append(MigrationTotal(cur, len(rows), before, after, after - before,
                                     format_minor(before, cur), format_minor(after, cur),
                                     _signed(after - before, cur)))
    return MigrationPreview(source.id, target.id, timing.value, effective_date, flt,
                            tuple(lines), tuple(totals))


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

    Raises:
        InvalidInput: when no subscription matches.
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
    """Cancel a scheduled migration (subscriptions already moved stay moved)."""
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
    before = _mrr(old_prices, sub, customer)
    after = _mrr(new_prices, sub, customer)
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
