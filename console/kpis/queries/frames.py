"""Reading the KPI frames: the data version, and every frame one filter set's dashboard is
computed from.

:func:`data_state` reads, in one round trip, what the cache keys on (the latest month and a
version of the data). :func:`load_frames` resolves the window, reads the rates, and runs the
dashboard's queries (:mod:`console.kpis.queries.sql`: movements and open balances summed in the
database) and the small per-row frames (:mod:`console.kpis.queries.small_frames`) on two
threads.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import polars as pl
import sqlalchemy as sa

from console import reference
from console.kernel.months import add_months
from console.kpis.domain.currency import conversion_factors, convert_frame
from console.kpis.domain.figures import KpiFrames
from console.kpis.domain.filters import DataState, KpiFilters, Window, resolve_window
from console.kpis.queries.small_frames import read_small
from console.kpis.queries.sql import SCHEMAS, KpiSql, fetch


def _scalar_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    text = str(value)
    return date.fromisoformat(text[:10])


def data_state(engine: sa.Engine) -> DataState:
    """Read the latest month, the last active day and the data version in one round trip.

    Max ids are index lookups; the MRR ledger has no id, so its row count and latest month
    stand in. Status changes (an invoice paid, a dispute resolved) write an audit event in
    the same transaction, so the audit trail's max id covers them.

    Args:
        engine: the database.

    Returns:
        The latest month, the last active day, the version key and the first month.
    """
    sql = """SELECT
        (SELECT max(month) FROM mrr_monthly),
        (SELECT count(*) FROM mrr_monthly),
        (SELECT max(id) FROM invoice),
        (SELECT max(id) FROM payment),
        (SELECT max(id) FROM credit_note),
        (SELECT max(id) FROM dispute),
        (SELECT max(id) FROM subscription_event),
        (SELECT max(id) FROM support_ticket),
        (SELECT max(id) FROM audit_event),
        (SELECT max(issued_at) FROM invoice),
        (SELECT max(received_at) FROM payment),
        (SELECT max(opened_at) FROM dispute),
        (SELECT min(month) FROM mrr_monthly)"""
    with engine.connect() as conn:
        row = conn.execute(sa.text(sql)).one()
    latest_month = _scalar_date(row[0])
    days = [d for d in (_scalar_date(v) for v in row[9:12]) if d is not None]
    version = tuple(str(v) for v in row[:12])
    return DataState(latest_month=latest_month, latest_day=max(days) if days else None,
                     version=version, first_month=_scalar_date(row[12]))


def rates_text(engine: sa.Engine, reporting: str) -> dict[str, str]:
    """Rates into ``reporting`` per currency (see :func:`console.reference.fx_rates`).

    Returns:
        currency -> decimal text (reporting units per one unit of the currency).
    """
    with engine.connect() as conn:
        return {cur: str(rate) for cur, rate in reference.fx_rates(conn, reporting).items()}


@dataclass(frozen=True)
class LoadedFrames(KpiFrames):
    """The frames of one filter set (see :class:`console.kpis.domain.figures.KpiFrames`) and
    the query builder they were read with.

    Attributes:
        sql: the query builder (filters, dialect, conversion) the drill-downs reuse, so the
            rows they list are those the figures summed.
    """

    sql: KpiSql


def _months(w: Window) -> tuple[list[date], list[date], list[date]]:
    """(totals months, movement months, churn-event months) the figures need."""
    prev, span = add_months(w.start, -1), len(w.months)
    totals = {add_months(w.start, -2), prev, *w.months, add_months(prev, -span),
              add_months(w.end, -span)}
    # A one-month window compares its logo churn with the month before it.
    movements = [prev, *w.months] if span == 1 else list(w.months)
    return sorted(totals), movements, [prev, *w.months]


def load_frames(engine: sa.Engine, filters: KpiFilters,
                progress: Callable[[str], None] | None = None,
                state: DataState | None = None) -> LoadedFrames:
    """Run the dashboard's queries for ``filters`` (in parallel) and return their frames.

    Args:
        engine: the database.
        filters: what the dashboards show.
        progress: optional callback receiving short stage messages.
        state: what :func:`data_state` just returned (read again when not given).

    Raises:
        InvalidInput: for a filter value that is not allowed, or a currency without a rate.
    """
    filters = filters.validated()
    state = state or data_state(engine)
    w = resolve_window(filters, state)
    rates = rates_text(engine, filters.reporting)
    q = KpiSql(filters, engine.dialect.name,
               conversion_factors(rates, reporting=filters.reporting))
    totals_m, movement_m, churn_m = _months(w)
    prev, span = add_months(w.start, -1), len(w.months)
    currencies = fetch(engine, q.invoice_currencies(), SCHEMAS["currencies"])["currency"]
    jobs = {  # the slowest first; a third thread only contends on a 2-core machine
        "movements": (q.movement_sums(movement_m), "movements"),
        "invoice_sales": (q.invoice_sales(w, currencies), "invoice_sales"),
        "open_groups": (q.open_groups(w), "open_groups"),
        "totals": (q.totals(totals_m), "totals"),
        "churn_events": (q.churn_events(churn_m), "churn_events"),
        "window": (q.retention_sums(prev, w.end), "retention"),
        "previous": (q.retention_sums(add_months(prev, -span), add_months(w.end, -span)),
                     "retention"),
    }
    (progress or (lambda _m: None))("Summing MRR movements and open invoices in the database")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(fetch, engine, sql, SCHEMAS[schema])
                   for name, (sql, schema) in jobs.items()}
        small = pool.submit(read_small, engine, filters, w)
        out = {name: fut.result() for name, fut in futures.items()}
        raw = small.result()
    months = (convert_frame(out["invoice_sales"].filter(pl.col("issued") > 0),
                            amount_cols=["total_minor", "sales_minor"], rates=rates,
                            reporting=filters.reporting)
              .group_by("issued_month").agg(pl.col("issued", "total_minor", "sales_minor").sum())
              .sort("issued_month"))
    return LoadedFrames(
        window=w, reporting=filters.reporting, sql=q, totals=out["totals"],
        movements=out["movements"], churn_events=out["churn_events"],
        retention={k: out[k].to_dicts()[0] for k in ("window", "previous")},
        open_invoices=out["open_groups"], invoice_months=months, events=raw["events"],
        disputes=convert_frame(raw["disputes"], amount_cols=["amount_minor"], rates=rates,
                               reporting=filters.reporting),
        tickets=raw["tickets"])
