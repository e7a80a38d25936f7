# ruff: noqa: S608 - queries are built from validated literals only (see KpiFilters.validated)
"""The terms every KPI query is built from: literals, the currency conversion, month
expressions and the filter conditions, for SQLite and PostgreSQL.

Amounts are converted to the reporting currency row by row inside SQL with the exact integer
formula of :func:`console.kpis.domain.convert_minor` (half-up, one rounding per amount): integer
arithmetic while it cannot overflow, else a deterministic function ``kpi_fx`` registered on the
connection (SQLite, see :func:`console.kpis.queries.sql.prepare_connection`) or ``numeric``
arithmetic (PostgreSQL). A figure is therefore the sum of the converted rows its drill-down
lists, to the cent, and both dialects agree with
:func:`console.kpis.domain.to_reporting_currency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from console.kpis.domain.filters import KpiFilters


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


@dataclass(frozen=True)
class SqlTerms:
    """Literals, expressions and filter conditions for one filter set and dialect.

    Attributes:
        filters: validated filters.
        dialect: ``sqlite`` or ``postgresql``.
        factors: currency -> exact conversion fraction into ``filters.reporting`` (see
            :func:`console.kpis.domain.conversion_factors`); the reporting currency itself is
            not listed.
    """

    filters: KpiFilters
    dialect: str
    factors: tuple[tuple[str, int, int], ...]

    # -- literals and expressions ---------------------------------------------------------

    def day(self, day: date) -> str:
        """A date literal comparable with DATE columns."""
        text = f"'{day.isoformat()}'"
        return f"DATE {text}" if self.dialect == "postgresql" else text

    def ts(self, day: date) -> str:
        """A timestamp literal at UTC midnight, comparable with the DATETIME columns."""
        if self.dialect == "postgresql":
            return f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"
        # SQLite keeps naive UTC text; a bare date sorts before every time of that day.
        return f"'{day.isoformat()}'"

    def conv(self, amount: str, currency: str) -> str:
        """``amount`` (minor units of ``currency``) in minor units of the reporting currency.

        Integer SQL while ``|amount| * 2 * numerator + denominator`` fits a BIGINT (SQLite
        would silently turn an overflow into a float); beyond that the exact fallback: the
        ``kpi_fx`` function on SQLite, ``numeric`` on PostgreSQL. An amount in a currency
        without a rate fails the query (the caller reports it).
        """
        rep = self.filters.reporting
        a = f"({amount})"
        whens = []
        for cur, n, d in self.factors:
            limit = (2**63 - 1 - d) // (2 * n)
            inline = (f"(CASE WHEN {a} >= 0 THEN ({a} * {2 * n} + {d}) / {2 * d} "
                      f"ELSE -((-{a} * {2 * n} + {d}) / {2 * d}) END)")
            if self.dialect == "postgresql":
                exact = (f"(sign({a}::numeric) * div(abs({a}::numeric) * {2 * n} + {d}, "
                         f"{2 * d}))::bigint")
            else:
                exact = f"kpi_fx({a}, '{cur}', {n}, {d})"
            whens.append(f" WHEN '{cur}' THEN (CASE WHEN abs({a}) <= {limit} THEN {inline} "
                         f"ELSE {exact} END)")
        if self.dialect == "postgresql":
            missing = f"('no rate to {rep} for ' || {currency})::bigint"
        else:
            missing = f"kpi_fx({a}, {currency}, NULL, NULL)"
        return f"(CASE {currency} WHEN '{rep}' THEN {a}{''.join(whens)} ELSE {missing} END)"

    def month_of(self, ts_col: str) -> str:
        """The first day of the month of a timestamp column (NULL stays NULL)."""
        if self.dialect == "postgresql":
            return f"date_trunc('month', {ts_col} AT TIME ZONE 'UTC')::date"
        return f"(substr({ts_col}, 1, 7) || '-01')"

    def total(self, expr: str) -> str:
        """``sum(expr)`` as a BIGINT (0 over no rows) on both dialects."""
        return f"CAST(coalesce(sum({expr}), 0) AS BIGINT)"

    def fence(self, *, parallel: bool = False) -> str:
        """Appended to a subquery so it is computed once per row, not inlined into the
        outer query (which would evaluate its long conversion expressions at every use).

        Args:
            parallel: keep PostgreSQL free to scan in parallel workers (its ``OFFSET 0``
                fence would rule that out): for a scan that is cheaper in parallel than its
                repeated expressions cost.
        """
        if self.dialect == "postgresql":
            return "" if parallel else " OFFSET 0"
        return " LIMIT -1"

    def least(self, a: str, b: str) -> str:
        """The smaller of two expressions."""
        return f"LEAST({a}, {b})" if self.dialect == "postgresql" else f"min({a}, {b})"

    def month_of_day(self, col: str) -> str:
        """The first day of the month of a DATE column."""
        if self.dialect == "postgresql":
            return f"date_trunc('month', {col})::date"
        return f"(substr({col}, 1, 7) || '-01')"

    # -- filters ------------------------------------------------------------------------------

    def customer_join(self, alias: str) -> tuple[str, list[str]]:
        """The customer join and conditions for the segment/region filters."""
        return customer_join(self.filters, alias)

    def plan_conds(self, column: str) -> list[str]:
        """Conditions for the plan and plan-version filters on ``column``."""
        return plan_conds(self.filters, column)

    def currency_conds(self, column: str) -> list[str]:
        """The single-currency condition on ``column``."""
        return currency_conds(self.filters, column)
