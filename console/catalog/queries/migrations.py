"""Migrations of subscribers between plan versions, as the pages see them: who would move and
what it does to MRR (``preview_migration``, also stored when a migration is scheduled), and the
list of a plan's migrations.

``preview_migration`` computes the MRR before/after per subscription with
:func:`console.catalog.subscription_mrr_minor` on both versions, so both sides are computed the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.mrr import subscription_mrr_minor
from console.catalog.domain.ratecard import REGIONS, SEGMENTS, PriceSpec
from console.catalog.domain.status import MigrationTiming, VersionStatus
from console.catalog.queries.loaders import get_version
from console.catalog.queries.page_text import day_text, parse_day, timestamp_text, user_names
from console.catalog.queries.rate_cards import price_specs
from console.kernel.errors import Conflict, InvalidInput
from console.money import MoneyError, exponent, format_minor, format_signed_minor
from models import Customer, PlanMigration, PlanVersion, Subscription
from models.db import read_session

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
    ``customer_ids`` (list of ints). Empty values mean "everyone".

    Returns:
        The filter with only its non-empty keys, values sorted.

    Raises:
        InvalidInput: for an unknown key or value.
    """
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


def subscription_mrr(prices: list[PriceSpec], sub: Subscription, customer: Customer) -> int:
    """A subscription's MRR under a rate card (minor units of the subscription's currency)."""
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

    Returns:
        The subscriptions that would move, with MRR before and after, and totals per currency.

    Raises:
        InvalidInput: bad filter, timing or date.
        Conflict: the target is not the published version.
        NotFound: no such version.
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
        before = subscription_mrr(old_prices, sub, customer)
        after = subscription_mrr(new_prices, sub, customer)
        move_on = effective_date or (sub.current_period_end + timedelta(days=1))
        cur = sub.currency
        lines.append(MigrationLine(
            subscription_id=sub.id, customer_id=customer.id, customer_code=customer.code,
            customer_name=customer.name, currency=cur, move_on=move_on,
            move_on_text=move_on.isoformat(), mrr_before_minor=before, mrr_after_minor=after,
            change_minor=after - before, mrr_before=format_minor(before, cur),
            mrr_after=format_minor(after, cur), change=format_signed_minor(after - before, cur)))
    totals = []
    for cur in sorted({ln.currency for ln in lines}):
        rows = [ln for ln in lines if ln.currency == cur]
        before = sum(ln.mrr_before_minor for ln in rows)
        after = sum(ln.mrr_after_minor for ln in rows)
        totals.append(MigrationTotal(cur, len(rows), before, after, after - before,
                                     format_minor(before, cur), format_minor(after, cur),
                                     format_signed_minor(after - before, cur)))
    return MigrationPreview(source.id, target.id, timing.value, effective_date, flt,
                            tuple(lines), tuple(totals))


@dataclass(frozen=True)
class MigrationRow:
    """A scheduled (or finished) migration."""

    id: int
    from_version: str
    to_version: str
    status: str
    timing: str
    effective_date: str
    customer_filter: str
    subscriptions: int
    mrr_change: str
    created_by: str
    created_at: str


def _filter_text(flt: Mapping[str, Any]) -> str:
    """``segment: smb, mid_market; region: emea`` (a scalar value is shown as is)."""
    parts = []
    for key, value in flt.items():
        values = value if isinstance(value, list | tuple) else [value]
        parts.append(f"{key}: {', '.join(map(str, values))}")
    return "; ".join(parts) or "all subscribers"


def migration_rows(session: Session, plan_id: int) -> list[MigrationRow]:
    """Migrations of a plan's versions, newest first."""
    versions = dict(session.execute(
        sa.select(PlanVersion.id, PlanVersion.number).where(PlanVersion.plan_id == plan_id)
    ).all())
    if not versions:
        return []
    names = user_names(session)
    found = session.execute(
        sa.select(PlanMigration).where(PlanMigration.to_version_id.in_(list(versions)))
        .order_by(PlanMigration.id.desc())
    ).scalars().all()
    rows = []
    for m in found:
        preview = m.preview or {}
        flt = m.customer_filter or {}
        rows.append(MigrationRow(
            id=m.id, from_version=f"v{versions.get(m.from_version_id, '?')}",
            to_version=f"v{versions.get(m.to_version_id, '?')}", status=m.status,
            timing="at next renewal" if m.timing == "next_renewal" else "on a date",
            effective_date=day_text(m.effective_date),
            customer_filter=_filter_text(flt),
            subscriptions=int(preview.get("count", preview.get("subscriptions", 0)) or 0),
            mrr_change=" · ".join(f"{t['currency']} {t['change']}"
                                  for t in preview.get("totals", [])),
            created_by=names.get(m.created_by, ""), created_at=timestamp_text(m.created_at)))
    return rows


# --- page-facing


def migration_preview(*, from_version_id: int, to_version_id: int,
                      customer_filter: Mapping[str, Any] | None = None,
                      timing: str = MigrationTiming.NEXT_RENEWAL,
                      effective_date: date | str | None = None) -> MigrationPreview:
    """Who would move and the MRR change per subscription and currency, for a page.

    Args:
        from_version_id: the version subscribers are on now.
        to_version_id: the plan's published version.
        customer_filter: ``segment``/``region``/``currency``/``customer_ids``.
        timing: ``next_renewal`` or ``date``.
        effective_date: the date for timing ``date`` (a date or YYYY-MM-DD).

    Raises:
        InvalidInput: bad filter, timing or date.
        Conflict: the target is not the published version.
    """
    day = parse_day(effective_date, "effective_date") if effective_date else None
    with read_session() as s:
        return preview_migration(
            s, from_version_id=from_version_id, to_version_id=to_version_id,
            customer_filter=customer_filter, timing=timing, effective_date=day)


def migrations(plan_id: int) -> list[MigrationRow]:
    """Migrations of a plan, newest first, for a page."""
    with read_session() as s:
        return migration_rows(s, plan_id)
