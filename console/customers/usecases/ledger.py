"""The MRR ledger (``mrr_monthly``): one row per customer and month with MRR > 0.

Each row carries ``unchanged``: true only when the customer's row of the month before has
the same MRR, currency and plan version. Such a row is no MRR movement under any dashboard
filter (the filters either keep both rows or drop both), so the KPI movements skip it
(:mod:`console.kpis.queries.sql`). ``False`` is always correct, only slower: a writer that
does not know leaves it false, and :func:`mark_unchanged` sets the marks of a whole ledger.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from console.customers.domain.status import (
    SubscriptionFacts,
    customer_mrr_minor,
    customer_status,
    leading_plan_version_id,
)
from console.kernel.months import add_months
from models import Customer, MrrMonthly, Subscription, SubscriptionEvent

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


def refresh_customer(session: Session, customer_id: int, *, on: date) -> Customer:
    """Recompute a customer's status and MRR from their subscriptions and write the month of
    ``on`` in the ``mrr_monthly`` ledger (the month's MRR after its events; no row at 0).

    The rules are :mod:`console.customers.domain.status`.

    Args:
        session: the open unit of work.
        customer_id: the customer.
        on: a day of the ledger month to write.

    Returns:
        The customer, updated.
    """
    cust = session.get(Customer, customer_id)
    subs = [SubscriptionFacts(s.status, s.mrr_minor, s.plan_version_id) for s in
            session.execute(sa.select(Subscription)
                            .where(Subscription.customer_id == customer_id)).scalars()]
    mrr = customer_mrr_minor(subscriptions=subs)
    cust.status = customer_status(subscriptions=subs, current=cust.status).value
    cust.mrr_minor = mrr
    cust.version += 1
    write_month(session, customer_id=customer_id, month=on, mrr_minor=mrr,
                currency=cust.currency,
                plan_version_id=leading_plan_version_id(subscriptions=subs))
    return cust


_MARK_MONTHS = {
    "sqlite": ("UPDATE mrr_monthly SET unchanged = EXISTS (SELECT 1 FROM mrr_monthly p "
               "WHERE p.customer_id = mrr_monthly.customer_id "
               "AND p.month = date(mrr_monthly.month, '-1 month') "
               "AND p.mrr_minor = mrr_monthly.mrr_minor AND p.currency = mrr_monthly.currency "
               "AND p.plan_version_id IS mrr_monthly.plan_version_id) "
               "WHERE month IN (:m1, :m2)"),
    "postgresql": ("UPDATE mrr_monthly m SET unchanged = EXISTS (SELECT 1 FROM mrr_monthly p "
                   "WHERE p.customer_id = m.customer_id "
                   "AND p.month = (m.month - interval '1 month')::date "
                   "AND p.mrr_minor = m.mrr_minor AND p.currency = m.currency "
                   "AND p.plan_version_id IS NOT DISTINCT FROM m.plan_version_id) "
                   "WHERE m.month IN (:m1, :m2)"),
}


def _mrr_after_events(session: Session, day: date) -> dict[int, tuple[int, str, int | None]]:
    """Each customer's MRR after the subscription events up to ``day``: the sum over their
    subscriptions of the MRR the latest event left, with the plan version of the largest."""
    ev = SubscriptionEvent
    ranked = (
        sa.select(ev.subscription_id, ev.customer_id, ev.mrr_after_minor, ev.to_version_id,
                  ev.from_version_id,
                  sa.func.row_number().over(partition_by=ev.subscription_id,
                                            order_by=(ev.occurred_on.desc(), ev.id.desc()))
                  .label("rn"))
        .where(ev.occurred_on <= day).subquery())
    rows = session.execute(
        sa.select(ranked.c.customer_id, ranked.c.subscription_id, ranked.c.mrr_after_minor,
                  ranked.c.to_version_id, ranked.c.from_version_id, Customer.currency)
        .join(Customer, Customer.id == ranked.c.customer_id)
        .where(ranked.c.rn == 1, ranked.c.mrr_after_minor > 0)
        .order_by(ranked.c.customer_id, ranked.c.subscription_id)).all()
    out: dict[int, tuple[int, str, int | None]] = {}
    lead: dict[int, int] = {}
    for cid, _sid, mrr, to_v, from_v, currency in rows:
        total, _, vid = out.get(cid, (0, currency, None))
        if mrr > lead.get(cid, 0):
            lead[cid], vid = mrr, to_v or from_v
        out[cid] = (total + int(mrr), currency, vid)
    return out


def sync_month(session: Session, month: date) -> int:
    """Make a month of the ledger what the subscription events say: each customer's MRR after
    the month's last day's events (no row at 0). Rows already right are left as they are
    (their plan version included), so running it again changes nothing.

    Every change of MRR writes a subscription event with the MRR it leaves, so this is the
    month's MRR whoever moved it (a plan migration or rollout that did not write the ledger, a
    renewal, a month nobody wrote yet).

    Args:
        session: the unit of work.
        month: any day of the month.

    Returns:
        How many customers' rows were written or removed.
    """
    month = month.replace(day=1)
    expected = _mrr_after_events(session, add_months(month, 1) - timedelta(days=1))
    existing = {cid: (mrr, cur) for cid, mrr, cur in session.execute(
        sa.select(MrrMonthly.customer_id, MrrMonthly.mrr_minor, MrrMonthly.currency)
        .where(MrrMonthly.month == month))}
    stale = [cid for cid, row in existing.items() if expected.get(cid, (None, None))[:2] != row]
    missing = [cid for cid, row in expected.items() if existing.get(cid) != row[:2]]
    for start in range(0, len(stale), 500):
        session.execute(sa.delete(MrrMonthly).where(
            MrrMonthly.month == month, MrrMonthly.customer_id.in_(stale[start:start + 500]))
            .execution_options(synchronize_session=False))
    if missing:
        session.execute(sa.insert(MrrMonthly.__table__), [
            {"customer_id": cid, "month": month, "mrr_minor": expected[cid][0],
             "currency": expected[cid][1], "plan_version_id": expected[cid][2],
             "unchanged": False} for cid in missing])
    if stale or missing:
        session.execute(sa.text(_MARK_MONTHS[session.get_bind().dialect.name]),
                        {"m1": month, "m2": add_months(month, 1)})
    return len(set(stale) | set(missing))


def latest_ledger_month(session: Session) -> date | None:
    """The newest month the ledger has rows for (None: empty)."""
    return session.execute(sa.select(sa.func.max(MrrMonthly.month))).scalar_one_or_none()
