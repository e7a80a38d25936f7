# ruff: noqa: S608 - queries are built from validated literals only (see KpiFilters.validated)
"""SQL behind the KPI dashboards: MRR movements and open balances classified and summed in
the database, so a cold dashboard reads a few hundred aggregate rows, not the ledger.

Amounts are converted to the reporting currency inside SQL, row by row (see
:mod:`console.kpis.queries.sql_terms`, which holds the literals, the conversion and the filter
conditions the queries are built from).

The same row queries serve the figures (wrapped in a GROUP BY) and the drill-downs (one month,
read on demand), so what is summed and what is listed cannot drift apart.

What cannot contribute is not read: the movements skip the ledger rows marked ``unchanged``
(:mod:`console.customers.usecases.ledger`), the receivables read only the invoices that can be
open at a month end, and the sales are summed per month and currency along an index, each
through a partial or covering index (see ``models`` and migration 0003). Every literal comes
from validated filters, the resolved window, the rate table or currency codes read back and
checked, so no parameters are needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl
import sqlalchemy as sa

from console.kernel.errors import InvalidInput
from console.kernel.frames import read_frame
from console.kernel.months import add_months
from console.kpis.domain import convert_minor
from console.kpis.domain.filters import Window
from console.kpis.queries.sql_terms import SqlTerms

_CURRENCY = re.compile(r"[A-Z]{3}")

#: Columns of the movement rows (drill-down and sums); churn rows have the same columns.
MOVEMENT_COLUMNS = ("customer_id", "month", "kind", "previous_mrr_minor", "mrr_minor",
                    "amount_minor")


def _kpi_fx(amount: int | None, currency: str, numerator: int | None,
            denominator: int | None) -> int | None:
    """SQLite's ``kpi_fx``: :func:`convert_minor`, refusing an amount without a rate."""
    if amount is None:
        return None
    if numerator is None or denominator is None:
        raise ValueError(f"no rate for {currency}")
    return convert_minor(int(amount), int(numerator), int(denominator))


def prepare_connection(conn: sa.Connection) -> None:
    """Make ``conn`` able to run the KPI queries (registers ``kpi_fx`` on SQLite; on
    PostgreSQL, for this transaction, no JIT and room to group in memory)."""
    if conn.dialect.name == "postgresql":
        # The long conversion CASEs cost the JIT ~1.8 s to compile for a ~1 s query.
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
    if conn.dialect.name == "sqlite":
        conn.connection.dbapi_connection.create_function(  # type: ignore[union-attr]
            "kpi_fx", 4, _kpi_fx, deterministic=True)


def fetch(engine: sa.Engine, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run one KPI query (see :func:`console.kernel.frames.read_frame`) typed by ``schema``.

    Raises:
        InvalidInput: if an amount is booked in a currency without a rate.
    """
    try:
        return read_frame(engine, sql, schema, prepare=prepare_connection)
    except Exception as exc:  # the driver's error for a missing rate (see KpiSql.conv)
        if "no rate" in str(exc) or "user-defined function raised" in str(exc):
            raise InvalidInput("Some amounts are booked in a currency without an "
                               "exchange rate to the reporting currency.") from None
        raise


_I, _S, _D = pl.Int64(), pl.String(), pl.Date()
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "totals": {"month": _D, "mrr_minor": _I, "customers": _I},
    "movements": {"month": _D, "kind": _S, "amount_minor": _I, "customers": _I},
    "movement_rows": {"customer_id": _I, "month": _D, "kind": _S, "previous_mrr_minor": _I,
                      "mrr_minor": _I, "amount_minor": _I},
    "churn_events": {"customer_id": _I, "month": _D, "involuntary": _I},
    "retention": {"customers": _I, "start_minor": _I, "end_minor": _I, "kept_minor": _I},
    "retention_rows": {"customer_id": _I, "start_minor": _I, "end_minor": _I},
    "month_rows": {"customer_id": _I, "mrr_minor": _I},
    "currencies": {"currency": _S},
    "invoice_sales": {"issued_month": _D, "currency": _S, "issued": _I, "total_minor": _I,
                      "sales_minor": _I},
    "open_groups": {"issued_month": _D, "closed_month": _D, "due_date": _D, "open_minor": _I,
                    "open_invoices": _I},
    "open_rows": {"id": _I, "customer_id": _I, "issued_month": _D, "due_date": _D,
                  "open_minor": _I},
}


@dataclass(frozen=True)
class KpiSql(SqlTerms):
    """Builds the dashboard's queries for one filter set (see :class:`SqlTerms` for its
    attributes)."""

    # -- ledger conditions ----------------------------------------------------------------

    def ledger_conds(self, alias: str) -> list[str]:
        """What a ledger row of ``alias`` must meet to count (MRR > 0, plan, currency)."""
        return [f"{alias}.mrr_minor > 0", *self.plan_conds(f"{alias}.plan_version_id"),
                *self.currency_conds(f"{alias}.currency")]

    def _and(self, alias: str) -> str:
        return "".join(f" AND {c}" for c in self.ledger_conds(alias))

    def _pairs(self, months: Iterable[date]) -> str:
        rows = ", ".join(f"({self.day(m)}, {self.day(add_months(m, -1))})" for m in months)
        return f"WITH mm(month, prev) AS (VALUES {rows}) "

    def _span(self, alias: str, months: Iterable[date], shift: int = 0) -> str:
        """`` AND`` the month range of ``months`` (shifted) on ``alias``: lets the planner
        read only those months of the ledger (the join with ``mm`` alone does not)."""
        listed = [add_months(m, shift) for m in months]
        return (f" AND {alias}.month >= {self.day(min(listed))} "
                f"AND {alias}.month <= {self.day(max(listed))}")

    # -- the MRR ledger -----------------------------------------------------------------------

    def totals(self, months: Iterable[date]) -> str:
        """MRR and paying customers per month (``month``, ``mrr_minor``, ``customers``)."""
        join, cconds = self.customer_join("m")
        listed = ", ".join(self.day(m) for m in sorted(set(months)))
        where = " AND ".join([f"m.month IN ({listed})", *self.ledger_conds("m"), *cconds])
        return (f"SELECT m.month, {self.total(self.conv('m.mrr_minor', 'm.currency'))} AS "
                f"mrr_minor, count(*) AS customers FROM mrr_monthly m{join} WHERE {where} "
                "GROUP BY m.month")

    def _movements(self, months: list[date]) -> str:
        """The movement rows of ``months`` (joined as ``mm``, see :meth:`movement_rows`)."""
        join, cconds = self.customer_join("m")
        v, pv = self.conv("m.mrr_minor", "m.currency"), self.conv("p.mrr_minor", "p.currency")
        earlier = ("EXISTS (SELECT 1 FROM mrr_monthly e WHERE e.customer_id = "
                   f"m.customer_id AND e.month < mm.prev{self._and('e')})")
        inner = (
            f"SELECT m.customer_id, mm.month, {v} AS v, "
            f"CASE WHEN p.customer_id IS NULL THEN NULL ELSE {pv} END AS pv, "
            f"CASE WHEN p.customer_id IS NULL AND {earlier} THEN 1 ELSE 0 END AS earlier "
            f"FROM mm JOIN mrr_monthly m ON m.month = mm.month{self._span('m', months)}{join} "
            "LEFT JOIN mrr_monthly p ON p.customer_id = m.customer_id AND p.month = mm.prev"
            f"{self._span('p', months, -1)}{self._and('p')} WHERE " + " AND ".join(
                ["NOT m.unchanged", *self.ledger_conds("m"), *cconds,
                 "(p.customer_id IS NULL OR p.mrr_minor <> m.mrr_minor "
                 "OR p.currency <> m.currency)"]))
        classified = (
            "SELECT x.customer_id, x.month, CASE WHEN x.pv IS NULL THEN "
            "(CASE WHEN x.earlier = 1 THEN 'reactivation' ELSE 'new' END) "
            "WHEN x.v > x.pv THEN 'expansion' WHEN x.v < x.pv THEN 'contraction' END AS kind, "
            "coalesce(x.pv, 0) AS previous_mrr_minor, x.v AS mrr_minor, "
            "CASE WHEN x.pv IS NULL THEN x.v WHEN x.v > x.pv THEN x.v - x.pv "
            f"ELSE x.pv - x.v END AS amount_minor FROM ({inner}{self.fence()}) x")
        return (f"SELECT {', '.join(MOVEMENT_COLUMNS)} FROM ({classified}) y "
                "WHERE kind IS NOT NULL")

    def movement_rows(self, months: Iterable[date]) -> str:
        """Every customer's new, expansion, contraction and reactivation per month of
        ``months`` (columns :data:`MOVEMENT_COLUMNS`), compared with the month before.

        Rows marked ``unchanged`` (the same as the month before) are not read; booked
        amounts prefilter the other unchanged rows; the kind and amount come from the
        converted ones (a change that rounds away is no movement), as
        :func:`console.kpis.domain.mrr_movement_rows` over converted rows would find. A customer
        without MRR the month before is new unless it paid at any earlier time.
        """
        months = list(months)
        return self._pairs(months) + self._movements(months)

    def movement_sums(self, months: Iterable[date]) -> str:
        """Per month and kind: ``amount_minor`` and ``customers`` (churn excluded)."""
        months = list(months)
        return (self._pairs(months) + f"SELECT month, kind, {self.total('amount_minor')} AS "
                f"amount_minor, count(*) AS customers FROM ({self._movements(months)}) r "
                "GROUP BY month, kind")

    def churn_rows(self, months: Iterable[date]) -> str:
        """Customers paying the month before and nothing in the month, per month of
        ``months`` (columns :data:`MOVEMENT_COLUMNS`, ``amount_minor`` = the lost MRR)."""
        months = list(months)
        join, cconds = self.customer_join("p")
        pv = self.conv("p.mrr_minor", "p.currency")
        where = " AND ".join([*self.ledger_conds("p"), *cconds,
                              "NOT EXISTS (SELECT 1 FROM mrr_monthly n WHERE "
                              "n.customer_id = p.customer_id AND n.month = mm.month"
                              f"{self._and('n')})"])
        return (self._pairs(months)
                + f"SELECT p.customer_id, mm.month, 'churn' AS kind, {pv} AS "
                f"previous_mrr_minor, 0 AS mrr_minor, {pv} AS amount_minor "
                f"FROM mm JOIN mrr_monthly p ON p.month = mm.prev{self._span('p', months, -1)}"
                f"{join} WHERE {where}")

    def month_rows(self, month: date) -> str:
        """Each paying customer's MRR in ``month`` (``customer_id``, ``mrr_minor``)."""
        join, cconds = self.customer_join("m")
        where = " AND ".join([f"m.month = {self.day(month)}", *self.ledger_conds("m"), *cconds])
        return (f"SELECT m.customer_id, {self.conv('m.mrr_minor', 'm.currency')} AS mrr_minor "
                f"FROM mrr_monthly m{join} WHERE {where}")

    def retention_rows(self, start: date, end: date) -> str:
        """The customers paying in ``start`` with their MRR then and in ``end``
        (``customer_id``, ``start_minor``, ``end_minor``; 0 when they pay nothing)."""
        join, cconds = self.customer_join("s")
        where = " AND ".join([f"s.month = {self.day(start)}", *self.ledger_conds("s"), *cconds])
        ev = self.conv("e.mrr_minor", "e.currency")
        return (f"SELECT s.customer_id, {self.conv('s.mrr_minor', 's.currency')} AS start_minor, "
                f"CASE WHEN e.customer_id IS NULL THEN 0 ELSE {ev} END AS end_minor "
                f"FROM mrr_monthly s{join} LEFT JOIN mrr_monthly e ON e.customer_id = "
                f"s.customer_id AND e.month = {self.day(end)}{self._and('e')} WHERE {where}")

    def retention_sums(self, start: date, end: date) -> str:
        """NRR/GRR sums: ``customers``, ``start_minor``, ``end_minor``, ``kept_minor``."""
        kept = self.least("r.start_minor", "r.end_minor")
        return (f"SELECT count(*) AS customers, {self.total('r.start_minor')} AS start_minor, "
                f"{self.total('r.end_minor')} AS end_minor, {self.total(kept)} AS kept_minor "
                f"FROM ({self.retention_rows(start, end)}) r")

    # -- invoices -----------------------------------------------------------------------------

    def _open(self) -> str:
        return ("(i.total_minor - i.credited_minor - CASE WHEN i.paid_at IS NULL "
                "THEN i.paid_minor ELSE 0 END)")

    def _open_conds(self) -> str:
        """An invoice that can be open at some month end: not written off, something open,
        not closed in its issue month."""
        closed_at = "coalesce(i.paid_at, i.voided_at)"
        return (f"(i.status <> 'uncollectible' AND {self._open()} <> 0 AND ({closed_at} IS NULL "
                f"OR {self.month_of(closed_at)} > {self.month_of('i.issued_at')}))")

    def _invoice_where(self, w: Window) -> tuple[str, str]:
        """The join and conditions of the invoices issued by the window's end and not
        closed before its first month's previous month (the others play no part)."""
        join, cconds = self.customer_join("i")
        start, nxt = self.ts(w.read_from), self.ts(add_months(w.end, 1))
        closed_at = "coalesce(i.paid_at, i.voided_at)"
        conds = [f"i.issued_at < {nxt}",
                 f"(i.issued_at >= {start} OR {closed_at} IS NULL OR {closed_at} >= {start})",
                 *cconds, *self.plan_conds("i.plan_version_id"),
                 *self.currency_conds("i.currency")]
        return join, " AND ".join(conds)

    @staticmethod
    def invoice_currencies() -> str:
        """The currencies invoices are booked in (``currency``): one index seek each, by
        stepping through ``ix_invoice_sales_kpi``."""
        return ("WITH RECURSIVE c(currency) AS (SELECT min(currency) FROM invoice UNION ALL "
                "SELECT (SELECT min(i.currency) FROM invoice i WHERE i.currency > c.currency) "
                "FROM c WHERE c.currency IS NOT NULL) "
                "SELECT currency FROM c WHERE currency IS NOT NULL")

    def invoice_sales(self, w: Window, currencies: Iterable[str]) -> str:
        """Per issue month from the month before the window and booked currency (of
        ``currencies``, see :meth:`invoice_currencies`): ``issued`` (void invoices included),
        ``total_minor`` and ``sales_minor`` (void ones excluded), in the booked currency
        (converted once per month and currency by the caller).

        One range of ``ix_invoice_sales_kpi`` per month and currency: no row is sorted (SQLite
        would sort every invoice of the window to group them by month).
        """
        join, cconds = self.customer_join("i")
        common = [*cconds, *self.plan_conds("i.plan_version_id"),
                  *self.currency_conds("i.currency")]
        sales = "CASE WHEN i.status <> 'void' THEN i.total_minor ELSE 0 END"
        currencies = sorted(set(currencies))
        if any(not _CURRENCY.fullmatch(c) for c in currencies):  # read back, then quoted
            raise InvalidInput("An invoice is booked in a currency that is not an ISO code.")
        parts = []
        for month in (w.read_from, *w.months):
            for currency in currencies:
                conds = [f"i.currency = '{currency}'", f"i.issued_at >= {self.ts(month)}",
                         f"i.issued_at < {self.ts(add_months(month, 1))}", *common]
                parts.append(
                    f"SELECT {self.day(month)} AS issued_month, '{currency}' AS currency, "
                    f"count(*) AS issued, {self.total('i.total_minor')} AS total_minor, "
                    f"{self.total(sales)} AS sales_minor FROM invoice i{join} "
                    f"WHERE {' AND '.join(conds)}")
        if not parts:
            return ("SELECT NULL AS issued_month, NULL AS currency, 0 AS issued, "
                    "0 AS total_minor, 0 AS sales_minor WHERE 1 = 0")
        return " UNION ALL ".join(parts)

    def open_groups(self, w: Window) -> str:
        """The converted open amounts of the invoices that can be open at a month end of the
        window (see :meth:`open_rows`), summed per ``issued_month``, ``closed_month`` (NULL
        while open) and ``due_date``: ``open_minor`` and ``open_invoices``.

        Its conditions repeat the predicate of the partial index ``ix_invoice_open_kpi``
        (``models.billing.OPEN_AT_MONTH_END``), so only those invoices are read.
        """
        join, where = self._invoice_where(w)
        closed_at = "coalesce(i.paid_at, i.voided_at)"
        inner = (f"SELECT {self.month_of('i.issued_at')} AS im, {self.month_of(closed_at)} AS cm, "
                 f"i.due_date AS due, {self.conv(self._open(), 'i.currency')} AS o "
                 f"FROM invoice i{join} WHERE {where} AND {self._open_conds()}"
                 f"{self.fence(parallel=True)}")
        return (f"SELECT x.im AS issued_month, x.cm AS closed_month, x.due AS due_date, "
                f"{self.total('x.o')} AS open_minor, count(*) AS open_invoices "
                f"FROM ({inner}) x GROUP BY 1, 2, 3")

    def open_rows(self, w: Window, at: date) -> str:
        """The invoices open at the end of month ``at`` (``id``, ``customer_id``,
        ``issued_month``, ``due_date``, converted ``open_minor``)."""
        join, where = self._invoice_where(w)
        issued = self.month_of("i.issued_at")
        closed_at = "coalesce(i.paid_at, i.voided_at)"
        conds = [where, self._open_conds(), f"{issued} <= {self.day(at)}",
                 f"({closed_at} IS NULL OR {self.month_of(closed_at)} > {self.day(at)})"]
        return (f"SELECT i.id, i.customer_id, {issued} AS issued_month, i.due_date, "
                f"{self.conv(self._open(), 'i.currency')} AS open_minor "
                f"FROM invoice i{join} WHERE {' AND '.join(conds)}")

    # -- churn reasons ------------------------------------------------------------------------

    def churn_events(self, months: Iterable[date]) -> str:
        """The customers with a cancel or lapse event in a month of ``months`` who churned
        that month (paid the month before, nothing in it): ``customer_id``, ``month``,
        ``involuntary`` (1 when any of the month's events was involuntary)."""
        months = list(months)
        first, nxt = min(months), add_months(max(months), 1)
        join, cconds = self.customer_join("ev")
        month = self.month_of_day("e.occurred_on")
        events = (f"SELECT e.customer_id, {month} AS month, max(CASE WHEN e.churn_reason = "
                  "'involuntary' THEN 1 ELSE 0 END) AS involuntary FROM subscription_event e "
                  f"WHERE e.kind IN ('cancel', 'lapse') AND e.occurred_on >= {self.day(first)} "
                  f"AND e.occurred_on < {self.day(nxt)} GROUP BY 1, 2")
        conds = [*cconds,
                 "EXISTS (SELECT 1 FROM mrr_monthly p WHERE p.customer_id = ev.customer_id "
                 f"AND p.month = mm.prev{self._and('p')})",
                 "NOT EXISTS (SELECT 1 FROM mrr_monthly n WHERE n.customer_id = ev.customer_id "
                 f"AND n.month = mm.month{self._and('n')})"]
        return (self._pairs(months) + "SELECT ev.customer_id, mm.month, ev.involuntary "
                f"FROM ({events}) ev JOIN mm ON mm.month = ev.month{join} "
                f"WHERE {' AND '.join(conds)}")
