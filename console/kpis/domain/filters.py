"""What a dashboard shows: the filter set, and the month window it resolves to.

The filters carry only values from fixed lists, integers and ``YYYY-MM`` months once
:meth:`KpiFilters.validated` has passed, which is what lets the queries build their SQL from
literals. The window is resolved against what the database holds (:class:`DataState`, read by
:func:`console.kpis.queries.frames.data_state`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from console.kernel.errors import InvalidInput
from console.kernel.months import add_months, month_end, parse_month

#: Reporting currencies offered (amounts in other currencies are converted via ``fx_rate``).
REPORTING_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")
SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
REGIONS: tuple[str, ...] = ("na", "emea", "apac", "latam")
#: How many months the dashboard shows when no start month is chosen.
DEFAULT_MONTHS = 12


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


def resolve_window(filters: KpiFilters, state: DataState) -> Window:
    """The months ``filters`` cover given what the database holds.

    Args:
        filters: validated filters.
        state: what the database holds (its latest month and last active day).

    Returns:
        The window: at most 120 months, :data:`DEFAULT_MONTHS` when no start is chosen.

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
