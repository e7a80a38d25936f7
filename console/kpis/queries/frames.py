# ruff: noqa: S608 - queries are built from validated literals only (see KpiFilters.validated)
"""Filters, the month window, the data version, and the small frames of the KPI dashboards.

The big figures (MRR movements, open balances) are classified and summed in SQL by
:mod:`console.kpis.queries.sql`; this module resolves what a filter set covers and reads the
few small per-row frames the dashboards keep (churn events, disputes, billing tickets): through
connectorx on PostgreSQL (:func:`console.kernel.frames.read_frame` converts the
SQLAlchemy URL), and through the connection's DB-API cursor on SQLite (connectorx's bundled
SQLite would drop the app's file locks and misses commits still in the WAL). SQL carries only
validated literals (choices from fixed lists, integers, ISO dates), so no parameters are
needed. Callers always get ``Date`` and naive-UTC ``Datetime`` columns, whichever driver read
them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import polars as pl
import sqlalchemy as sa

from console import reference
from console.kernel.errors import InvalidInput
from console.kernel.frames import read_frame
from console.kernel.months import add_months, month_end, parse_month
from console.kpis.domain import to_reporting_currency

#: Reporting currencies offered (amounts in other currencies are converted via ``fx_rate``).
REPORTING_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")
SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
REGIONS: tuple[str, ...] = ("na", "emea", "apac", "latam")
#: How many months the dashboard shows when no start month is chosen.
DEFAULT_MONTHS = 12
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KpiFilters:
    """What the dashboards show (empty string or 0: no filter).

    Attributes:
        start_month: first month shown, ``YYYY-MM`` (default: 11 months before the end, or
            the ledger's first month when it is later).
        end_month: last month shown, ``YYYY-MM`` (default: the latest month of the MRR ledger).
        reporting: the currency figures are shown in (USD, EUR or GBP).
        single_currency: only amounts booked in ``reporting`` count (no conversion) instead of
            converting every currency through ``fx_rate``.
        segment: customer segment.
        region: customer region.
        plan_id: only MRR, invoices and disputes of this plan's versions.
        plan_version_id: only MRR, invoices and disputes of this plan version.
    """

    start_month: str = ""
    end_month: str = ""
    reporting: str = "USD"
    single_currency: bool = False
    segment: str = ""
    region: str = ""
    plan_id: int = 0
    plan_version_id: int = 0

    def validated(self) -> KpiFilters:
        """Return the filters if every value is allowed.

        Raises:
            InvalidInput: naming the first value that is not.
        """
        for label, value in (("start month", self.start_month), ("end month", self.end_month)):
            if value and parse_month(value) is None:
                raise InvalidInput(f"The {label} must look like 2026-03, not {value!r}.")
        checks = (("reporting currency", self.reporting, REPORTING_CURRENCIES),
                  ("segment", self.segment, ("", *SEGMENTS)),
                  ("region", self.region, ("", *REGIONS)))
        for label, value, allowed in checks:
            if value not in allowed:
                raise InvalidInput(f"Unknown {label}: {value!r}.")
        for label, number in (("plan", self.plan_id), ("plan version", self.plan_version_id)):
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise InvalidInput(f"Unknown {label}: {number!r}.")
        return self


@dataclass(frozen=True)
class Window:
    """The months a dashboard covers, resolved against the data.

    Attributes:
        start: first month shown (first day).
        end: last month shown (first day).
        as_of: the day open balances are aged at: the end month's last day, or the last day
            with activity when the end month is still running.
        months: every month shown, in order.
    """

    start: date
    end: date
    as_of: date
    months: tuple[date, ...]

    @property
    def read_from(self) -> date:
        """The first month read for period figures (one before the window, for changes)."""
        return add_months(self.start, -1)


@dataclass(frozen=True)
class DataState:
    """What the database holds right now, cheaply: the latest month and a version key.

    Attributes:
        latest_month: the newest month of the MRR ledger (None when it is empty).
        latest_day: the last day with billing activity (None without any).
        version: changes whenever invoices, payments, credit notes, disputes, subscription
            events, tickets, the MRR ledger or the audit trail gain rows.
        first_month: the oldest month of the MRR ledger.
    """

    latest_month: date | None
    latest_day: date | None
    version: tuple
    first_month: date | None = None


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


def resolve_window(filters: KpiFilters, state: DataState) -> Window:
    """The months ``filters`` cover given what the database holds.

    Raises:
        InvalidInput: if the start month is after the end month.
    """
    latest = state.latest_month or date.today().replace(day=1)  # noqa: DTZ011 - empty database
    end = parse_month(filters.end_month) or latest
    start = parse_month(filters.start_month)
    if start is None:
        start = add_months(end, 1 - DEFAULT_MONTHS)
        if state.first_month is not None and state.first_month <= end:
            start = max(start, state.first_month)
    if start > end:
        raise InvalidInput("The start month must not be after the end month.")
    if (end.year - start.year) * 12 + end.month - start.month >= 120:
        start = add_months(end, -119)
    months = []
    month = start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    as_of = month_end(end)
    if state.latest_day is not None and state.latest_day < as_of and state.latest_day >= end:
        as_of = state.latest_day
    return Window(start=start, end=end, as_of=as_of, months=tuple(months))


# -- SQL -----------------------------------------------------------------------------------


def _date_lit(day: date) -> str:
    return f"'{day.isoformat()}'"


def _ts_lit(day: date, dialect: str) -> str:
    # SQLite keeps naive UTC text ("2026-03-01 08:00:00.000000"); a bare date sorts before
    # every time of that day. PostgreSQL compares a timestamptz literal at UTC midnight.
    if dialect == "postgresql":
        return f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"
    return _date_lit(day)


def customer_join(f: KpiFilters, alias: str) -> tuple[str, list[str]]:
    """The customer join and conditions for the segment/region filters on ``alias``."""
    conds = []
    if f.segment:
        conds.append(f"c.segment = '{f.segment}'")
    if f.region:
        conds.append(f"c.region = '{f.region}'")
    if not conds:
        return "", []
    return f" JOIN customer c ON c.id = {alias}.customer_id", conds


def plan_conds(f: KpiFilters, column: str) -> list[str]:
    """Conditions for the plan and plan-version filters on ``column``."""
    if f.plan_version_id:
        return [f"{column} = {int(f.plan_version_id)}"]
    if f.plan_id:
        return [f"{column} IN (SELECT id FROM plan_version WHERE plan_id = {int(f.plan_id)})"]
    return []


def currency_conds(f: KpiFilters, column: str) -> list[str]:
    """The single-currency condition on ``column``."""
    return [f"{column} = '{f.reporting}'"] if f.single_currency else []


def _where(conds: list[str]) -> str:
    return " WHERE " + " AND ".join(conds) if conds else ""


def queries(f: KpiFilters, w: Window, dialect: str) -> dict[str, str]:
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


# -- reading -------------------------------------------------------------------------------

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
    """Read the small per-row frames (see :func:`queries`) for ``filters`` over ``window``."""
    return {name: read_frame(engine, sql, _SCHEMAS[name])
            for name, sql in queries(filters, window, engine.dialect.name).items()}


# -- currency ------------------------------------------------------------------------------


def fx_rates(engine: sa.Engine, reporting: str) -> dict[str, str]:
    """Rates into ``reporting`` per currency (see :func:`console.reference.fx_rates`).

    Returns:
        currency -> decimal text (reporting units per one unit of the currency).
    """
    with engine.connect() as conn:
        return {cur: str(rate) for cur, rate in reference.fx_rates(conn, reporting).items()}


def convert(df: pl.DataFrame, amount_cols: list[str], rates: dict[str, str],
            reporting: str) -> pl.DataFrame:
    """Convert ``amount_cols`` to ``reporting`` with :func:`console.kpis.to_reporting_currency`.

    Rows already in ``reporting`` are left as they are (the library would multiply by one);
    row order is not kept.

    Raises:
        InvalidInput: if a currency present has no rate.
    """
    foreign = df.filter(pl.col("currency") != reporting)
    if foreign.is_empty():
        return df
    try:
        converted = to_reporting_currency(foreign, amount_cols=amount_cols,
                                          currency_col="currency", rates=rates,
                                          reporting=reporting)
    except ValueError as exc:
        raise InvalidInput(f"Cannot report in {reporting}: {exc}.") from None
    return pl.concat([df.filter(pl.col("currency") == reporting), converted])
