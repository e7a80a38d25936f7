"""Usage aggregation for billing: per customer and meter over a period, in SQL.

The bill run reads these (:mod:`console.billing.usecases.bill_run_inputs`); percentage
charges also need each event's quantity (:func:`event_quantities`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from models import Meter, UsageEvent
from models.types import micro_to_quantity

#: How a meter turns its events into billable units.
AGGREGATIONS = ("sum", "count", "max", "unique_count", "latest")


@dataclass(frozen=True)
class UsageAggregate:
    """A customer's usage of one meter over a period, by the meter's aggregation.

    Attributes:
        customer_id: the customer.
        meter_id: the meter.
        aggregation: sum | count | max | unique_count | latest.
        units: the billable units.
        events: number of events.
        first_at: first event's time.
        last_at: last event's time.
    """

    customer_id: int
    meter_id: int
    aggregation: str
    units: Decimal
    events: int
    first_at: datetime | None
    last_at: datetime | None


def period_bounds(period_start: date, period_end: date) -> tuple[datetime, datetime]:
    """``[start 00:00 UTC, day after end 00:00 UTC)`` for a period of whole days."""
    return (datetime.combine(period_start, time(0), UTC),
            datetime.combine(period_end + timedelta(days=1), time(0), UTC))


def _ids_filter(column: Any, ids: Sequence[int] | None) -> list[Any]:
    return [] if ids is None else [column.in_(list(ids))]


def aggregate_usage(session: Session, *, period_start: date, period_end: date,
                    customer_ids: Sequence[int] | None = None,
                    meter_ids: Sequence[int] | None = None
                    ) -> dict[tuple[int, int], UsageAggregate]:
    """Aggregate usage_event per customer and meter over a period, in SQL.

    sum, count and max come from one GROUP BY; unique_count counts distinct values of the
    meter's ``field_name`` property; latest takes the quantity of the last event (by time,
    then id) with a window function.

    Args:
        session: any session.
        period_start: first day (UTC).
        period_end: last day (UTC, inclusive).
        customer_ids: only these customers (None: all).
        meter_ids: only these meters (None: all).

    Returns:
        ``(customer_id, meter_id) -> aggregate`` for pairs with at least one event.
    """
    start, end = period_bounds(period_start, period_end)
    meters = {m.id: m for m in session.execute(sa.select(Meter)).scalars()}
    conds = [UsageEvent.occurred_at >= start, UsageEvent.occurred_at < end,
             *_ids_filter(UsageEvent.customer_id, customer_ids),
             *_ids_filter(UsageEvent.meter_id, meter_ids)]
    e = UsageEvent
    base = session.execute(
        sa.select(e.customer_id, e.meter_id, sa.func.sum(e.quantity_micro), sa.func.count(),
                  sa.func.max(e.quantity_micro), sa.func.min(e.occurred_at),
                  sa.func.max(e.occurred_at))
        .where(*conds).group_by(e.customer_id, e.meter_id)).all()
    special: dict[tuple[int, int], Decimal] = {}
    for meter in meters.values():
        if meter_ids is not None and meter.id not in meter_ids:
            continue
        if meter.aggregation == "unique_count" and meter.field_name:
            value = e.properties[meter.field_name].as_string()
            for cid, mid, n in session.execute(
                    sa.select(e.customer_id, e.meter_id, sa.func.count(sa.distinct(value)))
                    .where(*conds, e.meter_id == meter.id)
                    .group_by(e.customer_id, e.meter_id)).all():
                special[(cid, mid)] = Decimal(n)
        elif meter.aggregation == "latest":
            ranked = (sa.select(e.customer_id, e.meter_id, e.quantity_micro,
                                sa.func.row_number().over(
                                    partition_by=(e.customer_id, e.meter_id),
                                    order_by=(e.occurred_at.desc(), e.id.desc())).label("rn"))
                      .where(*conds, e.meter_id == meter.id).subquery())
            for cid, mid, q in session.execute(
                    sa.select(ranked.c.customer_id, ranked.c.meter_id, ranked.c.quantity_micro)
                    .where(ranked.c.rn == 1)).all():
                special[(cid, mid)] = micro_to_quantity(q)
    out: dict[tuple[int, int], UsageAggregate] = {}
    for cid, mid, total, count, biggest, first_at, last_at in base:
        meter = meters.get(mid)
        how = meter.aggregation if meter else "sum"
        if how == "count":
            units = Decimal(count)
        elif how == "max":
            units = micro_to_quantity(int(biggest))
        elif how in ("unique_count", "latest"):
            units = special.get((cid, mid), Decimal(0))
        else:
            units = micro_to_quantity(int(total))
        out[(cid, mid)] = UsageAggregate(cid, mid, how, units, int(count), first_at, last_at)
    return out


def event_quantities(session: Session, *, pairs: Iterable[tuple[int, int]], period_start: date,
                     period_end: date) -> dict[tuple[int, int], tuple[Decimal, ...]]:
    """Each event's quantity in order (time, id) per (customer, meter), for percentage charges.

    Loads only the meters and customers in ``pairs``.

    Args:
        session: any session.
        pairs: the ``(customer_id, meter_id)`` pairs wanted.
        period_start: first day (UTC).
        period_end: last day (UTC, inclusive).

    Returns:
        ``(customer_id, meter_id) -> quantities`` for pairs with at least one event.
    """
    wanted = set(pairs)
    if not wanted:
        return {}
    start, end = period_bounds(period_start, period_end)
    out: dict[tuple[int, int], list[Decimal]] = {}
    customers = sorted({c for c, _ in wanted})
    meters = sorted({m for _, m in wanted})
    for i in range(0, len(customers), 1000):
        rows = session.execute(
            sa.select(UsageEvent.customer_id, UsageEvent.meter_id, UsageEvent.quantity_micro)
            .where(UsageEvent.customer_id.in_(customers[i:i + 1000]),
                   UsageEvent.meter_id.in_(meters), UsageEvent.occurred_at >= start,
                   UsageEvent.occurred_at < end)
            .order_by(UsageEvent.customer_id, UsageEvent.meter_id, UsageEvent.occurred_at,
                      UsageEvent.id)).all()
        for cid, mid, q in rows:
            if (cid, mid) in wanted:
                out.setdefault((cid, mid), []).append(micro_to_quantity(q))
    return {k: tuple(v) for k, v in out.items()}
