"""The dashboard's filter set and the month window it resolves to."""

from datetime import date

import pytest

from console.kernel.errors import InvalidInput
from console.kpis.domain.filters import DEFAULT_MONTHS, DataState, KpiFilters, resolve_window


def state(latest: date | None = date(2026, 4, 1), day: date | None = None,
          first: date | None = None) -> DataState:
    return DataState(latest_month=latest, latest_day=day, version=(), first_month=first)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (KpiFilters(start_month="2026-13"),
         "The start month must look like 2026-03, not '2026-13'."),
        (KpiFilters(end_month="march"), "The end month must look like 2026-03, not 'march'."),
        (KpiFilters(reporting="JPY"), "Unknown reporting currency: 'JPY'."),
        (KpiFilters(segment="huge"), "Unknown segment: 'huge'."),
        (KpiFilters(region="mars"), "Unknown region: 'mars'."),
        (KpiFilters(plan_id=-1), "Unknown plan: -1."),
        (KpiFilters(plan_version_id=True), "Unknown plan version: True."),
        (KpiFilters(plan_id="3"), "Unknown plan: '3'."),  # type: ignore[arg-type]
    ],
)
def test_filters_refuse_what_is_not_offered(filters: KpiFilters, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        filters.validated()
    assert str(err.value) == message


@pytest.mark.parametrize(
    "filters",
    [
        KpiFilters(),
        KpiFilters(start_month="2025-01", end_month="2026-04", reporting="GBP",
                   single_currency=True, segment="mid_market", region="latam", plan_id=3,
                   plan_version_id=7),
    ],
)
def test_allowed_filters_pass_unchanged(filters: KpiFilters) -> None:
    assert filters.validated() is filters


def test_default_window_is_the_last_twelve_months_of_the_ledger() -> None:
    w = resolve_window(KpiFilters(), state())
    assert (w.start, w.end) == (date(2025, 5, 1), date(2026, 4, 1))
    assert len(w.months) == DEFAULT_MONTHS
    assert w.months[0] == w.start and w.months[-1] == w.end
    assert w.read_from == date(2025, 4, 1)
    assert w.as_of == date(2026, 4, 30)


def test_default_start_is_not_before_the_ledger_starts() -> None:
    w = resolve_window(KpiFilters(), state(first=date(2026, 1, 1)))
    assert w.months == (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))


def test_a_running_month_is_aged_at_its_last_active_day() -> None:
    assert resolve_window(KpiFilters(), state(day=date(2026, 4, 12))).as_of == date(2026, 4, 12)
    # Activity before the end month does not move the as-of day.
    assert resolve_window(KpiFilters(), state(day=date(2026, 3, 30))).as_of == date(2026, 4, 30)
    past = resolve_window(KpiFilters(end_month="2026-02"), state(day=date(2026, 4, 12)))
    assert past.as_of == date(2026, 2, 28)


def test_chosen_months_and_the_ten_year_cap() -> None:
    w = resolve_window(KpiFilters(start_month="2026-02", end_month="2026-03"), state())
    assert w.months == (date(2026, 2, 1), date(2026, 3, 1))
    long = resolve_window(KpiFilters(start_month="2000-01"), state())
    assert len(long.months) == 120 and long.start == date(2016, 5, 1)


def test_start_after_end_is_refused() -> None:
    with pytest.raises(InvalidInput, match="must not be after the end month"):
        resolve_window(KpiFilters(start_month="2026-05", end_month="2026-01"), state())


def test_an_empty_ledger_ends_this_month() -> None:
    w = resolve_window(KpiFilters(), state(latest=None))
    assert w.end == date.today().replace(day=1)
