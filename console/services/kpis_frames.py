# ruff: noqa: S608 - queries are built from validated literals only (see KpiFilters.validated)
"""Bulk reads for the KPI dashboards: filters, the month window, the data version and frames.

Every frame is read with one generated SQL query per table through connectorx into polars on
PostgreSQL (:func:`console.services.catalog_frames.connectorx_uri` converts the SQLAlchemy URL),
and through the connection's DB-API cursor on SQLite (connectorx's bundled SQLite would drop the
app's file locks and misses commits still in the WAL). SQL carries only validated literals
(choices from fixed lists, integers, ISO dates), so no parameters are needed. Callers always
get ``Date`` and naive-UTC ``Datetime`` columns, whichever driver read them.

Rows cost most on the way into Python, so the reads stay narrow: the ledger only for the
months the figures use plus the set of customers who paid before them (new vs reactivation),
per-customer invoice rows only for invoices that can be open at a month end, and the monthly
invoice sums (sales, counts for the dispute rate) grouped in SQL. Covering indexes (migration
0002) keep both big reads off the tables' rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import polars as pl
import sqlalchemy as sa

from console.kpis import to_reporting_currency
from console.services.catalog_frames import connectorx_uri, connectorx_usable
from console.services.errors import InvalidInput

#: Reporting currencies offered (amounts in other currencies are converted via ``fx_rate``).
REPORTING_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")
SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
REGIONS: tuple[str, ...] = ("na", "emea", "apac", "latam")
#: How many months the dashboard shows when no start month is chosen.
DEFAULT_MONTHS = 12
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
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


def parse_month(text: str) -> date | None:
    """``"2026-03"`` -> ``date(2026, 3, 1)``; None when the text is not a month."""
    match = _MONTH_RE.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1900:
        return None
    return date(year, month, 1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month`` (negative: before)."""
    total = month.year * 12 + month.month - 1 + count
    return date(total // 12, total % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of ``month``'s month."""
    return add_months(month, 1) - timedelta(days=1)


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
        bounds: the largest partition key of the big tables (``mrr``: the ledger's rowid on
            SQLite, customer id on PostgreSQL; ``invoices``: invoice id), for split reads.
    """

    latest_month: date | None
    latest_day: date | None
    version: tuple
    first_month: date | None = None
    bounds: dict[str, int] | None = None


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
        (SELECT min(month) FROM mrr_monthly),
        (SELECT max({key}) FROM mrr_monthly)"""
    key = "customer_id" if engine.dialect.name == "postgresql" else "rowid"
    with engine.connect() as conn:
        row = conn.execute(sa.text(sql.format(key=key))).one()
    latest_month = _scalar_date(row[0])
    days = [d for d in (_scalar_date(v) for v in row[9:12]) if d is not None]
    version = tuple(str(v) for v in row[:12])
    bounds = {"mrr": int(row[13] or 0), "invoices": int(row[2] or 0)}
    return DataState(latest_month=latest_month, latest_day=max(days) if days else None,
                     version=version, first_month=_scalar_date(row[12]), bounds=bounds)


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


def _customer_join(f: KpiFilters, alias: str) -> tuple[str, list[str]]:
    conds = []
    if f.segment:
        conds.append(f"c.segment = '{f.segment}'")
    if f.region:
        conds.append(f"c.region = '{f.region}'")
    if not conds:
        return "", []
    return f" JOIN customer c ON c.id = {alias}.customer_id", conds


def _plan_conds(f: KpiFilters, column: str) -> list[str]:
    if f.plan_version_id:
        return [f"{column} = {int(f.plan_version_id)}"]
    if f.plan_id:
        return [f"{column} IN (SELECT id FROM plan_version WHERE plan_id = {int(f.plan_id)})"]
    return []


def _currency_conds(f: KpiFilters, column: str) -> list[str]:
    return [f"{column} = '{f.reporting}'"] if f.single_currency else []


def _where(conds: list[str]) -> str:
    return " WHERE " + " AND ".join(conds) if conds else ""


#: Partition key of the big tables per dialect (a rowid range is a cheap scan on SQLite).
_SPLIT_KEYS = {"sqlite": {"mrr": "m.rowid", "invoices": "i.id"},
               "postgresql": {"mrr": "m.customer_id", "invoices": "i.id"}}


def split(sql: str, key: str, upper: int, parts: int) -> list[str]:
    """``sql`` (ending in its WHERE clause) as ``parts`` queries over disjoint ``key`` ranges."""
    if parts <= 1 or upper <= parts:
        return [sql]
    step = -(-upper // parts)
    out = []
    for n in range(parts):
        low, high = n * step, (n + 1) * step
        cond = f"{key} > {low}" if n else f"{key} IS NOT NULL"
        if n < parts - 1:
            cond += f" AND {key} <= {high}"
        out.append(f"{sql} AND ({cond})")
    return out


def ledger_months(w: Window) -> tuple[date, date]:
    """The ledger months the figures read: every month from ``first`` to the window's end,
    and the month ``lone`` (the start of the previous period's NRR/GRR comparison).

    The month before the window is compared with the window's first month, and the month
    before that one gives the previous month's logo churn of a one-month window.
    """
    first = add_months(w.read_from, -1)
    lone = add_months(w.read_from, -len(w.months))
    return first, min(first, lone)


def queries(f: KpiFilters, w: Window, dialect: str, bounds: dict[str, int] | None = None,
            parts: int = 1) -> dict[str, list[str]]:
    """The SQL of every frame for ``f`` over ``w``: one query per table, the ledger and the
    invoices split into ``parts`` key ranges (read in parallel) when ``bounds`` are given."""
    nxt = add_months(w.end, 1)
    ts = lambda d: _ts_lit(d, dialect)  # noqa: E731
    join, cconds = _customer_join(f, "m")
    mrr_conds = [*cconds, *_plan_conds(f, "m.plan_version_id"), *_currency_conds(f, "m.currency")]
    # Only the months the figures use (see ledger_months); whether a customer appearing in
    # the window paid before it comes from "prior" (new vs reactivation).
    first, lone = ledger_months(w)
    mrr = ("SELECT m.customer_id, m.month, m.mrr_minor, m.currency FROM mrr_monthly m" + join
           + _where([f"m.month < {_date_lit(nxt)}",
                     f"(m.month >= {_date_lit(first)} OR "
                     f"m.month = {_date_lit(lone)})", *mrr_conds]))
    prior = ("SELECT DISTINCT m.customer_id FROM mrr_monthly m" + join
             + _where([f"m.month < {_date_lit(first)}", "m.mrr_minor > 0", *mrr_conds]))
    join, cconds = _customer_join(f, "e")
    events = ("SELECT e.customer_id, e.occurred_on, e.churn_reason FROM subscription_event e"
              + join + _where(["e.kind IN ('cancel', 'lapse')",
                               f"e.occurred_on >= {_date_lit(w.read_from)}",
                               f"e.occurred_on < {_date_lit(nxt)}", *cconds]))
    join, cconds = _customer_join(f, "i")
    # Invoices issued in the window, and older ones still open when it starts (the others
    # cannot be open at any of its month ends).
    start = ts(w.read_from)
    if dialect == "postgresql":
        issued_month = "to_char(i.issued_at AT TIME ZONE 'UTC', 'YYYY-MM')"
        closed_month = ("coalesce(to_char(coalesce(i.paid_at, i.voided_at) AT TIME ZONE 'UTC', "
                        "'YYYY-MM'), '')")
    else:
        issued_month = "substr(i.issued_at, 1, 7)"
        closed_month = "coalesce(substr(coalesce(i.paid_at, i.voided_at), 1, 7), '')"
    inv_conds = [*cconds, *_plan_conds(f, "i.plan_version_id"), *_currency_conds(f, "i.currency")]
    open_minor = ("i.total_minor - i.credited_minor - CASE WHEN i.paid_at IS NULL "
                  "THEN i.paid_minor ELSE 0 END")
    # Only invoices that can be open at a month end: not written off, something open, not
    # closed in their issue month (most are; the monthly sums come from invoice_months).
    invoices = (
        f"SELECT i.id, i.customer_id, i.currency, i.status, i.total_minor, "
        f"{open_minor} AS open_minor, {issued_month} AS issued_month, "
        f"{closed_month} AS closed_month, i.due_date FROM invoice i" + join
        + _where([f"i.issued_at < {ts(nxt)}",
                  f"(i.issued_at >= {start} OR coalesce(i.paid_at, i.voided_at) IS NULL "
                  f"OR coalesce(i.paid_at, i.voided_at) >= {start})",
                  "i.status <> 'uncollectible'", f"{open_minor} <> 0",
                  f"({closed_month} = '' OR {closed_month} > {issued_month})", *inv_conds]))
    invoice_months = (
        f"SELECT {issued_month} AS issued_month, i.currency, count(*) AS issued, "
        f"sum(i.total_minor) AS total_minor, "
        f"sum(CASE WHEN i.status <> 'void' THEN i.total_minor ELSE 0 END) AS sales_minor "
        f"FROM invoice i" + join
        + _where([f"i.issued_at >= {start}", f"i.issued_at < {ts(nxt)}",
                  *inv_conds]) + " GROUP BY 1, 2")
    join, cconds = _customer_join(f, "d")
    plan = _plan_conds(f, "pi.plan_version_id")
    if plan:
        join += " JOIN invoice pi ON pi.id = d.invoice_id"
    disputes = (
        "SELECT d.id, d.customer_id, d.invoice_id, d.currency, d.amount_minor, d.status, "
        "d.opened_at, d.resolved_at, d.response_due_at FROM dispute d" + join
        + _where([f"d.opened_at >= {start}", f"d.opened_at < {ts(nxt)}", *cconds, *plan,
                  *_currency_conds(f, "d.currency")]))
    join, cconds = _customer_join(f, "t")
    tconds = [f"t.opened_at >= {start}", f"t.opened_at < {ts(nxt)}", *cconds]
    if f.plan_version_id or f.plan_id:
        tconds.append("t.customer_id IN (SELECT s.customer_id FROM subscription s WHERE "
                      + _plan_conds(f, "s.plan_version_id")[0] + ")")
    if f.single_currency:
        tconds.append(f"t.customer_id IN (SELECT id FROM customer WHERE currency = "
                      f"'{f.reporting}')")
    tickets = ("SELECT t.id, t.customer_id, t.category, t.opened_at FROM support_ticket t"
               + join + _where(tconds))
    out = {"mrr": [mrr], "prior": [prior], "events": [events], "invoices": [invoices],
           "invoice_months": [invoice_months], "disputes": [disputes], "tickets": [tickets]}
    for name, key in _SPLIT_KEYS.get(dialect, {}).items():
        if bounds and bounds.get(name):
            out[name] = split(out[name][0], key, bounds[name], parts)
    return out


# -- reading -------------------------------------------------------------------------------

_DATE_COLS = {"month", "occurred_on", "due_date"}
_TS_COLS = {"issued_at", "paid_at", "voided_at", "opened_at", "resolved_at", "response_due_at"}
_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "mrr": {"customer_id": pl.Int64(), "month": pl.Date(), "mrr_minor": pl.Int64(),
            "currency": pl.String()},
    "events": {"customer_id": pl.Int64(), "occurred_on": pl.Date(), "churn_reason": pl.String()},
    "invoices": {"id": pl.Int64(), "customer_id": pl.Int64(), "currency": pl.String(),
                 "status": pl.String(), "total_minor": pl.Int64(), "open_minor": pl.Int64(),
                 "issued_month": pl.String(), "closed_month": pl.String(),
                 "due_date": pl.Date()},
    "disputes": {"id": pl.Int64(), "customer_id": pl.Int64(), "invoice_id": pl.Int64(),
                 "currency": pl.String(), "amount_minor": pl.Int64(), "status": pl.String(),
                 "opened_at": pl.Datetime("us"), "resolved_at": pl.Datetime("us"),
                 "response_due_at": pl.Datetime("us")},
    "tickets": {"id": pl.Int64(), "customer_id": pl.Int64(), "category": pl.String(),
                "opened_at": pl.Datetime("us")},
    "prior": {"customer_id": pl.Int64()},
    "invoice_months": {"issued_month": pl.String(), "currency": pl.String(),
                       "issued": pl.Int64(), "total_minor": pl.Int64(),
                       "sales_minor": pl.Int64()},
}


def _wire_schema(name: str, dialect: str) -> dict[str, pl.DataType]:
    """The dtypes a query's columns arrive in (SQLite: dates and timestamps as text)."""
    out: dict[str, pl.DataType] = {}
    for col, dtype in _SCHEMAS[name].items():
        if dialect == "sqlite" and (col in _DATE_COLS or col in _TS_COLS):
            out[col] = pl.String()
        elif dialect == "postgresql" and col in _TS_COLS:
            out[col] = pl.Datetime("us", "UTC")
        else:
            out[col] = dtype
    return out


def _typed(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """Give a frame its final schema whatever the driver returned.

    connectorx types SQLite columns by their declared type (DATE, DATETIME) and PostgreSQL
    timestamptz as UTC; the DB-API fallback hands SQLite dates and timestamps over as text.
    """
    exprs = []
    for col, dtype in _SCHEMAS[name].items():
        current = df.schema[col]
        expr = pl.col(col)
        if current == pl.String and dtype == pl.Date:
            expr = expr.str.slice(0, 10).str.to_date("%Y-%m-%d")
        elif current == pl.String and isinstance(dtype, pl.Datetime):
            expr = expr.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
        elif isinstance(current, pl.Datetime) and current.time_zone is not None:
            expr = expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        elif current == pl.Null:
            expr = expr.cast(pl.String) if dtype == pl.String else expr
        exprs.append(expr.cast(dtype))
    return df.select(exprs)


def _read_one(engine: sa.Engine, name: str, sql: list[str], *, use_cx: bool = True
              ) -> pl.DataFrame:
    uri = connectorx_uri(engine.url) if use_cx and connectorx_usable() else None
    if uri is not None:
        # Straight to connectorx: typed columns, no pooled connection held while it runs;
        # several queries run on parallel connections and come back as one frame.
        try:
            df = pl.read_database_uri(sql if len(sql) > 1 else sql[0], uri,
                                      engine="connectorx")
        except Exception:
            log.exception("connectorx read of %s failed; using the DB-API cursor", name)
        else:
            if df.width == len(_SCHEMAS[name]):
                return _typed(df.rename(dict(zip(df.columns, _SCHEMAS[name], strict=True))),
                              name)
    schema = _wire_schema(name, engine.dialect.name)
    with engine.connect() as conn:
        return _typed(pl.concat([_cursor_frame(conn, q, schema) for q in sql]), name)


def _cursor_frame(conn: sa.Connection, sql: str, schema: dict[str, pl.DataType]
                  ) -> pl.DataFrame:
    """Rows through the connection's own DB-API cursor (sees every committed write)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pl.DataFrame(rows, schema=schema, orient="row")


def read_raw(engine: sa.Engine, filters: KpiFilters, window: Window,
             progress: Callable[[str], None] | None = None,
             bounds: dict[str, int] | None = None, parts: int = 2) -> dict[str, pl.DataFrame]:
    """Read every frame for ``filters`` over ``window`` in booked currencies.

    The queries run in parallel threads (connectorx releases the GIL while it fetches); the
    two big ones (MRR ledger, invoices) start first, each split into ``parts`` key ranges
    when ``bounds`` (from :func:`data_state`) are given.
    """
    sql = queries(filters, window, engine.dialect.name, bounds, parts)
    say = progress or (lambda _m: None)
    say("Reading the MRR ledger, invoices, disputes and tickets")
    # Never connectorx on SQLite in the app (see catalog_frames.read_frame: its bundled SQLite
    # drops this process's file locks, and it misses commits still in the WAL).
    use_cx = connectorx_usable() and engine.dialect.name != "sqlite"
    if not use_cx:
        log.info("reading KPI frames through the DB-API (SQLite log not fully checkpointed)")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_read_one, engine, name, q, use_cx=use_cx)
                   for name, q in sql.items()}
        return {name: fut.result() for name, fut in futures.items()}


# -- currency ------------------------------------------------------------------------------


def fx_rates(engine: sa.Engine, reporting: str) -> dict[str, str]:
    """Rates into ``reporting`` per currency, from ``fx_rate`` (cross rates through USD).

    Returns:
        currency -> decimal text (reporting units per one unit of the currency).
    """
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT currency, reporting_currency, rate FROM fx_rate")).all()
    table: dict[tuple[str, str], Decimal] = {}
    for cur, rep, rate in rows:
        try:
            table[(cur, rep)] = Decimal(str(rate))
        except InvalidOperation:
            continue
    out: dict[str, str] = {reporting: "1"}
    currencies = {c for c, _ in table} | {r for _, r in table}
    for cur in sorted(currencies - {reporting}):
        direct = table.get((cur, reporting))
        if direct is None and (reporting, cur) in table:
            direct = Decimal(1) / table[(reporting, cur)]
        if direct is None:
            pivots = [p for p in sorted({r for _, r in table})
                      if (cur, p) in table and (reporting, p) in table]
            if pivots:
                direct = table[(cur, pivots[0])] / table[(reporting, pivots[0])]
        if direct is not None and direct > 0:
            out[cur] = str(direct.quantize(Decimal("1e-12")).normalize())
    return out


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


@dataclass(frozen=True)
class KpiFrames:
    """The frames behind one dashboard, amounts in the reporting currency.

    Attributes:
        window: the months covered.
        reporting: the currency of every amount.
        mrr: ``customer_id``, ``month``, ``mrr_minor`` (the ledger up to the end month).
        events: ``customer_id``, ``occurred_on``, ``churn_reason`` (cancel and lapse events).
        invoices: the invoices that can be open at a month end of the window (issued by its
            end, not closed before it starts nor in their issue month, not written off, with
            something open): ``id``, ``customer_id``, ``status``, ``total_minor``,
            ``open_minor`` (total - credited - payments not closing it), ``issued_month``,
            ``closed_month`` (month paid or voided; null while open) and ``due_date``.
        disputes: disputes opened from the month before the window to its end.
        tickets: billing support tickets opened in the same months.
        invoice_months: per issue month from the month before the window: ``issued_month``,
            ``issued`` (invoices issued, void ones too), ``total_minor`` (their total) and
            ``sales_minor`` (the total of those not void).
        prior: ``customer_id`` of every customer with MRR before the ledger months read
            (:func:`ledger_months`), so a return in the window is a reactivation.
    """

    window: Window
    reporting: str
    mrr: pl.DataFrame
    events: pl.DataFrame
    invoices: pl.DataFrame
    disputes: pl.DataFrame
    tickets: pl.DataFrame
    invoice_months: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"issued_month": pl.Date, "issued": pl.Int64, "total_minor": pl.Int64,
                "sales_minor": pl.Int64}))
    prior: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"customer_id": pl.Int64}))


def _month_dates(col: str) -> pl.Expr:
    """``"2026-03"`` text -> the month's first day (empty text -> null)."""
    return pl.when(pl.col(col) != "").then(
        pl.concat_str(pl.col(col), pl.lit("-01")).str.to_date("%Y-%m-%d")).alias(col)


def to_frames(raw: dict[str, pl.DataFrame], filters: KpiFilters, window: Window,
              rates: dict[str, str]) -> KpiFrames:
    """Convert raw frames to the reporting currency and type the invoice months."""
    rep = filters.reporting
    mrr = convert(raw["mrr"], ["mrr_minor"], rates, rep).drop("currency")
    inv = convert(raw["invoices"], ["total_minor", "open_minor"], rates, rep).with_columns(
        _month_dates("issued_month"), _month_dates("closed_month"))
    disputes = convert(raw["disputes"], ["amount_minor"], rates, rep)
    # Monthly sums are converted once per issue month and currency (one rounding each).
    months = (convert(raw["invoice_months"], ["total_minor", "sales_minor"], rates, rep)
              .with_columns(_month_dates("issued_month"))
              .group_by("issued_month").agg(pl.col("issued", "total_minor", "sales_minor").sum())
              .sort("issued_month"))
    return KpiFrames(window=window, reporting=rep, mrr=mrr, events=raw["events"], invoices=inv,
                     disputes=disputes, tickets=raw["tickets"], invoice_months=months,
                     prior=raw["prior"])


def load_frames(engine: sa.Engine, filters: KpiFilters,
                progress: Callable[[str], None] | None = None,
                state: DataState | None = None) -> KpiFrames:
    """Read the frames behind the dashboards for ``filters`` (bulk, typed, converted).

    Args:
        engine: the database.
        filters: validated filters (see :meth:`KpiFilters.validated`).
        progress: optional callback receiving short stage messages.
        state: what :func:`data_state` just returned (read again when not given).

    Raises:
        InvalidInput: for a filter value that is not allowed, or a currency without a rate.
    """
    filters = filters.validated()
    state = state or data_state(engine)
    window = resolve_window(filters, state)
    raw = read_raw(engine, filters, window, progress, bounds=state.bounds)
    rates = fx_rates(engine, filters.reporting)
    return to_frames(raw, filters, window, rates)
