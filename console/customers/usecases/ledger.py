"""The MRR ledger (``mrr_monthly``): one row per customer and month with MRR > 0.

Each row carries ``unchanged``: true only when the customer's row of the month before has
the same MRR, currency and plan version. Such a row is no MRR movement under any dashboard
filter (the filters either keep both rows or drop both), so the KPI movements skip it
(:mod:`console.kpis.queries.sql`). ``False`` is always correct, only slower: a writer that
does not know leaves it false, and :func:`mark_unchanged` sets the marks of a whole ledger.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from console.kernel.months import add_months
from models import MrrMonthly

_MARK = {
    "sqlite": ("UPDATE mrr_monthly SET unchanged = EXISTS (SELECT 1 FROM mrr_monthly p "
               "WHERE p.customer_id = mrr_monthly.customer_id "
               "AND p.month = date(mrr_monthly.month, '-1 month') "
               "AND p.mrr_minor = mrr_monthly.mrr_minor AND p.currency = mrr_monthly.currency "
               "AND p.plan_version_id IS mrr_monthly.plan_version_id)"),
    "postgresql": ("UPDATE mrr_monthly m SET unchanged = EXISTS (SELECT 1 FROM mrr_monthly p "
                   "WHERE p.customer_id = m.customer_id "
                   "AND p.month = (m.month - interval '1 month')::date "
                   "AND p.mrr_minor = m.mrr_minor AND p.currency = m.currency "
                   "AND p.plan_version_id IS NOT DISTINCT FROM m.plan_version_id)"),
}


def _same(a: MrrMonthly | None, b: MrrMonthly | None) -> bool:
    return (a is not None and b is not None
            and (a.mrr_minor, a.currency, a.plan_version_id)
            == (b.mrr_minor, b.currency, b.plan_version_id))


def write_month(session: Session, *, customer_id: int, month: date, mrr_minor: int,
                currency: str, plan_version_id: int | None) -> None:
    """Replace the customer's ledger row of ``month`` and keep the ``unchanged`` marks of
    that month and the next true to the rows.

    The caller holds the customer's row lock (it updates the customer in the same
    transaction), so two writers of one customer's months cannot mark from stale rows.

    Args:
        session: the caller's unit of work.
        customer_id: the customer.
        month: any day of the month (the row is keyed by its first day).
        mrr_minor: the month's MRR in minor units; 0 leaves no row.
        currency: the MRR's currency.
        plan_version_id: the plan version the MRR comes from, if any.
    """
    month = month.replace(day=1)

    def row(m: date) -> MrrMonthly | None:
        return session.execute(sa.select(MrrMonthly).where(
            MrrMonthly.customer_id == customer_id, MrrMonthly.month == m)).scalar_one_or_none()

    session.execute(sa.delete(MrrMonthly).where(MrrMonthly.customer_id == customer_id,
                                                MrrMonthly.month == month)
                    .execution_options(synchronize_session="fetch"))
    new = None
    if mrr_minor > 0:
        new = MrrMonthly(customer_id=customer_id, month=month, mrr_minor=mrr_minor,
                         currency=currency, plan_version_id=plan_version_id)
        new.unchanged = _same(new, row(add_months(month, -1)))
        session.add(new)
    after = row(add_months(month, 1))
    if after is not None:
        after.unchanged = _same(after, new)
    session.flush()


def mark_unchanged(conn: sa.Connection) -> int:
    """Set every ledger row's ``unchanged`` mark from the rows (after a bulk load).

    Args:
        conn: a connection in the bulk load's transaction (SQLite or PostgreSQL).

    Returns:
        The number of rows marked unchanged.
    """
    conn.exec_driver_sql(_MARK[conn.dialect.name])
    return int(conn.execute(sa.select(sa.func.count()).select_from(MrrMonthly)
                            .where(MrrMonthly.unchanged)).scalar_one())
