"""Usage behind an invoice line: a meter's daily series and its events, for display."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from models import UsageDaily, UsageEvent
from models.types import micro_to_quantity


@dataclass(frozen=True)
class DailyPoint:
    """One day of a meter's usage (quantity as text; ``value`` is for a chart axis only)."""

    day: str
    quantity: str
    max_quantity: str
    events: int
    value: float


@dataclass(frozen=True)
class EventRow:
    """One usage event for display."""

    id: int
    occurred_at: str
    quantity: str
    idempotency_key: str
    properties: str


def daily_usage(session: Session, *, customer_id: int, meter_id: int, start: date, end: date
                ) -> list[DailyPoint]:
    """The meter's daily aggregates for a customer between two days (inclusive).

    Args:
        session: any session.
        customer_id: the customer.
        meter_id: the meter.
        start: first day.
        end: last day.

    Returns:
        One point per day that had usage, oldest first.
    """
    rows = session.execute(
        sa.select(UsageDaily.day, UsageDaily.quantity_micro, UsageDaily.max_micro,
                  UsageDaily.events)
        .where(UsageDaily.customer_id == customer_id, UsageDaily.meter_id == meter_id,
               UsageDaily.day >= start, UsageDaily.day <= end)
        .order_by(UsageDaily.day)).all()
    # float only for the chart's axis; the text fields carry the exact values.
    return [DailyPoint(d.isoformat(), format(micro_to_quantity(q), "f"),
                       format(micro_to_quantity(mx), "f"), int(n),
                       float(micro_to_quantity(q)))
            for d, q, mx, n in rows]


def usage_events(session: Session, *, customer_id: int, meter_id: int, start_at: datetime,
                 end_at: datetime, page: int = 0, page_size: int = 50
                 ) -> tuple[list[EventRow], int]:
    """One page of events (newest first) between two instants (both inclusive) and the count.

    Args:
        session: any session.
        customer_id: the customer.
        meter_id: the meter.
        start_at: first instant.
        end_at: last instant.
        page: 0-based page.
        page_size: events per page.

    Returns:
        ``(events, total)``.
    """
    conds = [UsageEvent.customer_id == customer_id, UsageEvent.meter_id == meter_id,
             UsageEvent.occurred_at >= start_at, UsageEvent.occurred_at <= end_at]
    total = int(session.execute(sa.select(sa.func.count()).select_from(UsageEvent)
                                .where(*conds)).scalar_one())
    rows = session.execute(
        sa.select(UsageEvent).where(*conds)
        .order_by(UsageEvent.occurred_at.desc(), UsageEvent.id.desc())
        .offset(max(page, 0) * page_size).limit(page_size)).scalars().all()
    return [EventRow(r.id, r.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                     format(micro_to_quantity(r.quantity_micro), "f"), r.idempotency_key,
                     json.dumps(r.properties, sort_keys=True) if r.properties else "")
            for r in rows], total
