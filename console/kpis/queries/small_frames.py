# ruff: noqa: S608 - queries are built from validated literals only (see KpiFilters.validated)
"""The small per-row frames the dashboards keep: cancel/lapse events, disputes and billing
support tickets of the window (and the month before it).

They are read through :func:`console.kernel.frames.read_frame`: connectorx on PostgreSQL and the
connection's DB-API cursor on SQLite (connectorx's bundled SQLite would drop the app's file
locks and misses commits still in the WAL). SQL carries only validated literals (choices from
fixed lists, integers, ISO dates), so no parameters are needed. Callers always get ``Date``
and naive-UTC ``Datetime`` columns, whichever driver read them.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa

from console.kernel.frames import read_frame
from console.kernel.months import add_months
from console.kpis.domain.filters import KpiFilters, Window
from console.kpis.queries.sql_terms import currency_conds, customer_join, plan_conds


def _date_lit(day: date) -> str:
    return f"'{day.isoformat()}'"


def _ts_lit(day: date, dialect: str) -> str:
    # SQLite keeps naive UTC text ("2026-03-01 08:00:00.000000"); a bare date sorts before
    # every time of that day. PostgreSQL compares a timestamptz literal at UTC midnight.
    if dialect == "postgresql":
        return f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"
    return _date_lit(day)


def _where(conds: list[str]) -> str:
    return " WHERE " + " AND ".join(conds) if conds else ""


def small_queries(f: KpiFilters, w: Window, dialect: str) -> dict[str, str]:
    """The SQL of the small per-row frames for ``f`` over ``w``: cancel/lapse events,
    disputes and billing support tickets from the month before the window to its end."""
    nxt = add_months(w.end, 1)
    ts = lambda d: _ts_lit(d, dialect)  # noqa: E731
    start = ts(w.read_from)
    join, cconds = customer_join(f, "e")
    events = ("SELECT e.customer_id, e.occurred_on, e.churn_reason FROM subscription_event e"
              + join + _where(["e.kind IN ('cancel', 'lapse')",
                               f"e.occurred_on >= {_date_lit(w.read_from)}",
                               f"e.occurred_on < {_date_lit(nxt)}", *cconds]))
    join, cconds = customer_join(f, "d")
    plan = plan_conds(f, "pi.plan_version_id")
    if plan:
        join += " JOIN invoice pi ON pi.id = d.invoice_id"
    disputes = (
        "SELECT d.id, d.customer_id, d.invoice_id, d.currency, d.amount_minor, d.status, "
        "d.opened_at, d.resolved_at, d.response_due_at FROM dispute d" + join
        + _where([f"d.opened_at >= {start}", f"d.opened_at < {ts(nxt)}", *cconds, *plan,
                  *currency_conds(f, "d.currency")]))
    join, cconds = customer_join(f, "t")
    tconds = [f"t.opened_at >= {start}", f"t.opened_at < {ts(nxt)}", *cconds]
    if f.plan_version_id or f.plan_id:
        tconds.append("t.customer_id IN (SELECT s.customer_id FROM subscription s WHERE "
                      + plan_conds(f, "s.plan_version_id")[0] + ")")
    if f.single_currency:
        tconds.append(f"t.customer_id IN (SELECT id FROM customer WHERE currency = "
                      f"'{f.reporting}')")
    tickets = ("SELECT t.id, t.customer_id, t.category, t.opened_at FROM support_ticket t"
               + join + _where(tconds))
    return {"events": events, "disputes": disputes, "tickets": tickets}


_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "events": {"customer_id": pl.Int64(), "occurred_on": pl.Date(), "churn_reason": pl.String()},
    "disputes": {"id": pl.Int64(), "customer_id": pl.Int64(), "invoice_id": pl.Int64(),
                 "currency": pl.String(), "amount_minor": pl.Int64(), "status": pl.String(),
                 "opened_at": pl.Datetime("us"), "resolved_at": pl.Datetime("us"),
                 "response_due_at": pl.Datetime("us")},
    "tickets": {"id": pl.Int64(), "customer_id": pl.Int64(), "category": pl.String(),
                "opened_at": pl.Datetime("us")},
}


def read_small(engine: sa.Engine, filters: KpiFilters, window: Window
               ) -> dict[str, pl.DataFrame]:
    """Read the small per-row frames (see :func:`small_queries`) for ``filters`` over ``window``.

    Returns:
        ``events``, ``disputes`` (amounts in their booked currency) and ``tickets``.
    """
    return {name: read_frame(engine, sql, _SCHEMAS[name])
            for name, sql in small_queries(filters, window, engine.dialect.name).items()}
