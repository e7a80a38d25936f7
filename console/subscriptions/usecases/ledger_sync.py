"""The ``mrr-ledger`` job: the MRR ledger's months follow the subscription events.

Each run rewrites, from the subscription events (:func:`console.customers.sync_month`), every
month from the newest month the ledger has rows for up to ``now``'s month: a new month gets its
rows the first time the job runs in it (so KPIs show current months while time moves), and the
MRR that plan migrations, rollouts and renewals moved lands in the months they moved it in.
Rows already right stay as they are: a second run changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from console import customers
from console.kernel.months import add_months, month_key, month_start
from models.db import unit_of_work


def sync_ledger(*, now: datetime) -> str:
    """Bring the ledger's months up to ``now``'s month in line with the events.

    Returns:
        A one-line summary for the Jobs page.
    """
    current = month_start(now.date())
    with unit_of_work() as s:
        newest = customers.latest_ledger_month(s)
    month = min(newest, current) if newest is not None else current
    written: list[str] = []
    while month <= current:
        with unit_of_work() as s:
            changed = customers.sync_month(s, month)
        written.append(f"{month_key(month)}: {changed}")
        month = add_months(month, 1)
    return "customers' rows written per month: " + ", ".join(written)
