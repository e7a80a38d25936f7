"""The ``mrr-ledger`` job: the MRR ledger's months follow the subscription events.

Each run rewrites, from the subscription events (:func:`console.customers.sync_month`), the
months from :func:`first_month_to_sync` up to ``now``'s month: a new month gets its rows the
first time the job runs in it (so KPIs show current months while time moves), and the
MRR that plan migrations, rollouts and renewals moved lands in the months they moved it in.
Rows already right stay as they are: a second run changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from console import customers
from console.kernel.months import add_months, month_key, month_start
from models import MrrMonthly
from models.db import read_session, unit_of_work


def first_month_to_sync(session: Session, current: date) -> date:
    """Where a run starts: two months back (late events of a month just closed), or earlier
    at the first month left without rows after a month with rows (time moved while nothing
    wrote the ledger), looking back two years."""
    counts = dict(session.execute(
        sa.select(MrrMonthly.month, sa.func.count()).where(
            MrrMonthly.month >= add_months(current, -24)).group_by(MrrMonthly.month)).all())
    start = add_months(current, -2)
    month = add_months(current, -23)
    while month < start:
        if not counts.get(month) and counts.get(add_months(month, -1)):
            return month
        month = add_months(month, 1)
    return start


def sync_ledger(*, now: datetime) -> str:
    """Bring the ledger's months up to ``now``'s month in line with the events.

    Returns:
        A one-line summary for the Jobs page.
    """
    current = month_start(now.date())
    with read_session() as s:
        month = first_month_to_sync(s, current)
    written: list[str] = []
    while month <= current:
        with unit_of_work() as s:
            changed = customers.sync_month(s, month)
        written.append(f"{month_key(month)}: {changed}")
        month = add_months(month, 1)
    return "customers' rows written per month: " + ", ".join(written)
