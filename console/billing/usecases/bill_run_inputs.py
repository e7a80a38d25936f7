"""Bulk loads for a bill run: one query per kind of input, then everything is computed in memory.

A bill run over 100,000 subscriptions reads subscriptions, version changes, prices, meters,
tax rates, the period's usage aggregates, invoice history and trailing usage each with a
single query (or a handful), never per customer.

These reads serve only the bill run (:mod:`console.billing.usecases.bill_runs`), which loads
them once and writes from them, so they live beside it rather than among the page queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from console.billing.domain.anomalies import AnomalyPolicy
from console.billing.domain.charges import MeterInfo, MeterUsage, PriceTerm, Rater
from console.billing.domain.periods import Period, VersionChange, previous_periods
from console.billing.queries.usage_aggregates import aggregate_usage, event_quantities
from console.kernel.policy import policy
from models import (
    Customer,
    Invoice,
    Meter,
    Price,
    Subscription,
    SubscriptionEvent,
    TaxRate,
    UsageDaily,
)
from models.types import micro_to_quantity

#: Subscription event kinds that can change a subscription's terms (plan version, seats,
#: billing interval) inside a period; an event that leaves them as they were changes nothing.
VERSION_CHANGE_KINDS = ("upgrade", "downgrade", "migrate", "seat_change", "interval_change",
                        "renewal")
TRAILING_PERIODS = 3
ANOMALY_DEFAULTS = {"change_pct": 30, "spike_factor": 3}


@dataclass(frozen=True)
class BillableSubscription:
    """A subscription to bill, with the customer fields the bill run needs."""

    id: int
    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    region: str
    segment: str
    tax_exempt: bool
    seats: int
    started_on: date
    canceled_on: date | None
    plan_version_id: int
    billing_interval: str = "month"


def billable_condition(period: Period) -> list[sa.ColumnElement[bool]]:
    """Who is billed: active/past_due subscriptions started by the period end, and canceled
    ones whose last day falls inside the period (trialing subscriptions are not billed)."""
    sub = Subscription
    return [
        sub.started_on <= period.end,
        sa.or_(
            sa.and_(sub.status.in_(("active", "past_due")),
                    sa.or_(sub.canceled_on.is_(None), sub.canceled_on >= period.start)),
            sa.and_(sub.status == "canceled", sub.canceled_on >= period.start,
                    sub.canceled_on <= period.end),
        ),
    ]


def count_billable(session: Session, period: Period) -> int:
    """How many subscriptions the period bills."""
    return int(session.execute(sa.select(sa.func.count()).select_from(Subscription)
                               .where(*billable_condition(period))).scalar_one())


def load_billable(session: Session, period: Period) -> list[BillableSubscription]:
    """Every billable subscription with its customer, ordered by customer then id."""
    s, c = Subscription, Customer
    rows = session.execute(
        sa.select(s.id, s.customer_id, c.code, c.name, c.currency, c.region, c.segment,
                  c.tax_exempt, s.seats, s.started_on, s.canceled_on, s.plan_version_id,
                  s.billing_interval)
        .join(c, c.id == s.customer_id).where(*billable_condition(period))
        .order_by(s.customer_id, s.id)).all()
    return [BillableSubscription(*r) for r in rows]


def invoiced_subscriptions(session: Session, period: Period,
                           subscription_ids: list[int] | None = None) -> set[int]:
    """Subscriptions that already have an invoice for exactly this period."""
    conds = [Invoice.period_start == period.start, Invoice.period_end == period.end,
             Invoice.subscription_id.is_not(None)]
    if subscription_ids is not None:
        conds.append(Invoice.subscription_id.in_(subscription_ids))
    return set(session.execute(sa.select(Invoice.subscription_id).where(*conds)).scalars())


@dataclass
class BillRunInputs:
    """Everything a bill run computes from, loaded once."""

    period: Period
    changes: dict[int, list[VersionChange]] = field(default_factory=dict)
    prices: dict[int, list[PriceTerm]] = field(default_factory=dict)
    meters: dict[int, MeterInfo] = field(default_factory=dict)
    tax_rates: dict[str, str] = field(default_factory=dict)
    usage: dict[int, dict[int, MeterUsage]] = field(default_factory=dict)
    history: dict[int, list[tuple[str, int, int | None]]] = field(default_factory=dict)
    versions_invoiced: set[int] = field(default_factory=set)
    trailing: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    policy: AnomalyPolicy = field(default_factory=AnomalyPolicy)
    rater: Rater = field(default_factory=Rater)


def load_inputs(session: Session, period: Period, subs: list[BillableSubscription], *,
                lines_only: bool = False) -> BillRunInputs:
    """Load the inputs of a bill run for ``subs`` (bulk queries only).

    Args:
        session: any session.
        period: the billed period.
        subs: the subscriptions to bill (:func:`load_billable`).
        lines_only: load only what the lines need (no invoice history or trailing usage,
            which only the review flags read): a preview of one subscription's invoice.

    Returns:
        Version changes, prices, meters, tax rates, usage, invoice history, trailing usage and
        the anomaly policy, keyed for lookups in memory.
    """
    out = BillRunInputs(period=period)
    out.policy = AnomalyPolicy.from_setting(policy(session, "anomaly", ANOMALY_DEFAULTS))
    sub_ids = {s.id for s in subs}
    ev = SubscriptionEvent
    for sid, *change in session.execute(
            sa.select(ev.subscription_id, ev.occurred_on, ev.from_version_id, ev.to_version_id,
                      ev.seats_before, ev.seats_after, ev.interval_before, ev.interval_after)
            .where(ev.kind.in_(VERSION_CHANGE_KINDS), ev.occurred_on >= period.start,
                   ev.occurred_on <= period.end)
            .order_by(ev.occurred_on, ev.id)).all():
        if sid in sub_ids:
            out.changes.setdefault(sid, []).append(VersionChange(*change))
    versions = {s.plan_version_id for s in subs}
    for changes in out.changes.values():
        for c in changes:
            versions.update(v for v in (c.from_version_id, c.to_version_id) if v)
    if versions:
        for p in session.execute(sa.select(Price).where(Price.plan_version_id.in_(versions))
                                 .order_by(Price.position, Price.id)).scalars():
            out.prices.setdefault(p.plan_version_id, []).append(PriceTerm(
                id=p.id, name=p.name, kind=p.kind, charge_model=p.charge_model,
                properties=p.properties or {}, currency=p.currency,
                billing_interval=p.billing_interval, pay_in_advance=p.pay_in_advance,
                meter_id=p.meter_id, region=p.region, segment=p.segment,
                minimum_minor=p.minimum_minor, commit_minor=p.commit_minor,
                position=p.position))
    meters = session.execute(sa.select(Meter)).scalars().all()
    out.meters = {m.id: MeterInfo(m.id, m.name, m.unit) for m in meters}
    aggregation = {m.id: m.aggregation for m in meters}
    out.tax_rates = {r: rate for r, rate in session.execute(sa.select(TaxRate.region,
                                                                      TaxRate.rate))}
    _load_usage(session, out, subs)
    if not lines_only:
        _load_history(session, out, period)
        _load_trailing(session, out, period, aggregation)
    return out


def _load_usage(session: Session, out: BillRunInputs, subs: list[BillableSubscription]) -> None:
    period = out.period
    customers = {s.customer_id for s in subs}
    # A handful of customers (a preview, a small run) is read by id; a run reads everyone's.
    few = sorted(customers) if len(customers) <= 100 else None
    aggregates = aggregate_usage(session, period_start=period.start, period_end=period.end,
                                 customer_ids=few)
    percentage_meters = {p.meter_id for prices in out.prices.values() for p in prices
                         if p.meter_id and p.charge_model == "percentage"}
    pairs = [k for k in aggregates if k[0] in customers and k[1] in percentage_meters]
    events = event_quantities(session, pairs=pairs, period_start=period.start,
                              period_end=period.end)
    for (cid, mid), agg in aggregates.items():
        if cid not in customers:
            continue
        out.usage.setdefault(cid, {})[mid] = MeterUsage(
            meter_id=mid, units=agg.units, events=agg.events, first_at=agg.first_at,
            last_at=agg.last_at, event_units=events.get((cid, mid)))


def _load_history(session: Session, out: BillRunInputs, period: Period) -> None:
    inv = Invoice
    ranked = (
        sa.select(inv.subscription_id, inv.currency, inv.total_minor, inv.plan_version_id,
                  sa.func.row_number().over(
                      partition_by=inv.subscription_id,
                      order_by=(inv.period_start.desc(), inv.id.desc())).label("rn"))
        .where(inv.period_start < period.start, inv.status != "void",
               inv.subscription_id.is_not(None))
        .subquery())
    for sid, currency, total, version, _rn in session.execute(
            sa.select(ranked).where(ranked.c.rn <= TRAILING_PERIODS)
            .order_by(ranked.c.subscription_id, ranked.c.rn)).all():
        out.history.setdefault(sid, []).append((currency, int(total), version))
    out.versions_invoiced = set(session.execute(
        sa.select(inv.plan_version_id).distinct().where(
            inv.period_start < period.start, inv.plan_version_id.is_not(None))).scalars())


def _load_trailing(session: Session, out: BillRunInputs, period: Period,
                   aggregation: dict[int, str]) -> None:
    """Average units per period over the trailing periods that had usage (sum/count/max)."""
    d = UsageDaily
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    seen: dict[tuple[int, int], int] = defaultdict(int)
    for prev in previous_periods(period, TRAILING_PERIODS):
        for cid, mid, q, n, mx in session.execute(
                sa.select(d.customer_id, d.meter_id, sa.func.sum(d.quantity_micro),
                          sa.func.sum(d.events), sa.func.max(d.max_micro))
                .where(d.day >= prev.start, d.day <= prev.end)
                .group_by(d.customer_id, d.meter_id)).all():
            how = aggregation.get(mid, "sum")
            if how == "sum":
                units = micro_to_quantity(int(q))
            elif how == "count":
                units = Decimal(int(n))
            elif how == "max":
                units = micro_to_quantity(int(mx))
            else:
                continue
            totals[(cid, mid)] += units
            seen[(cid, mid)] += 1
    out.trailing = {k: totals[k] / seen[k] for k in totals if seen[k]}
