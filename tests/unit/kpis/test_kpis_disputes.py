"""Dispute rate, disputed amount rate, resolution stats and support load."""

import math
from datetime import date, datetime

import polars as pl
import pytest

from console.kpis.domain import (
    dispute_amount_rate,
    dispute_rate,
    dispute_resolution_stats,
    support_load,
)

MAY = date(2024, 5, 1)

INVOICES = pl.DataFrame(
    {
        "issued_at": [
            datetime(2024, 5, 1, 0, 0),
            datetime(2024, 5, 15, 12, 0),
            datetime(2024, 5, 31, 23, 59),
            datetime(2024, 5, 20),
            datetime(2024, 6, 1, 0, 0),
            None,  # draft, never issued
        ],
        "total_minor": [10_000, 20_000, 30_000, 40_000, 99_000, 5_000],
    }
)

DISPUTES = pl.DataFrame(
    {
        "opened_at": [date(2024, 5, 3), date(2024, 5, 30), date(2024, 4, 30)],
        "amount_minor": [5_000, 15_000, 1_000],
    }
)


def test_dispute_rate_counts_in_month() -> None:
    assert dispute_rate(INVOICES, DISPUTES, month=MAY) == pytest.approx(2 / 4)


def test_dispute_amount_rate() -> None:
    assert dispute_amount_rate(INVOICES, DISPUTES, month=MAY) == pytest.approx(20_000 / 100_000)


def test_dispute_rates_without_invoices_are_nan() -> None:
    month = date(2024, 1, 1)
    assert math.isnan(dispute_rate(INVOICES, DISPUTES, month=month))
    assert math.isnan(dispute_amount_rate(INVOICES, DISPUTES, month=month))


def test_dispute_rate_requires_columns() -> None:
    with pytest.raises(ValueError, match="issued_at"):
        dispute_rate(INVOICES.drop("issued_at"), DISPUTES, month=MAY)


RESOLUTION = pl.DataFrame(
    {
        "opened_at": [
            datetime(2024, 5, 1, 9),
            datetime(2024, 5, 2, 9),
            datetime(2024, 5, 3, 9),
            datetime(2024, 5, 4, 9),
            datetime(2024, 4, 30, 9),
        ],
        "resolved_at": [
            datetime(2024, 5, 1, 21),  # 12 h, within SLA
            datetime(2024, 5, 4, 9),  # 48 h, within SLA
            datetime(2024, 5, 13, 9),  # 240 h, late
            None,  # still open
            datetime(2024, 5, 1, 9),  # opened in April: not in the cohort
        ],
        "due_at": [
            datetime(2024, 5, 8, 9),
            datetime(2024, 5, 9, 9),
            datetime(2024, 5, 10, 9),
            datetime(2024, 5, 11, 9),
            datetime(2024, 5, 7, 9),
        ],
    }
)


def test_resolution_stats() -> None:
    got = dispute_resolution_stats(RESOLUTION, month=MAY)
    assert got == {
        "opened": 4,
        "resolved": 3,
        "unresolved": 1,
        "median_hours_to_resolve": pytest.approx(48.0),
        "median_days_to_resolve": pytest.approx(2.0),
        "resolved_within_sla": 2,
        "within_sla_share": pytest.approx(0.5),
    }


def test_resolution_on_the_due_day_counts_for_date_deadlines() -> None:
    df = pl.DataFrame(
        {
            "opened_at": [datetime(2024, 5, 1, 9)],
            "resolved_at": [datetime(2024, 5, 8, 17)],
            "due_at": [date(2024, 5, 8)],
        }
    )
    assert dispute_resolution_stats(df, month=MAY)["within_sla_share"] == 1.0


def test_resolution_stats_without_resolutions() -> None:
    df = pl.DataFrame(
        {"opened_at": [datetime(2024, 5, 1)], "resolved_at": [None], "due_at": [None]}
    )
    got = dispute_resolution_stats(df, month=MAY)
    assert got["opened"] == 1
    assert got["resolved_within_sla"] == 0
    assert math.isnan(got["median_hours_to_resolve"])
    assert got["within_sla_share"] == 0.0


def test_resolution_stats_empty_month() -> None:
    got = dispute_resolution_stats(RESOLUTION, month=date(2024, 1, 1))
    assert got["opened"] == 0
    assert math.isnan(got["within_sla_share"])
    assert math.isnan(got["median_days_to_resolve"])


def test_support_load_per_hundred_customers() -> None:
    assert support_load(disputes_opened=3, tickets_opened=7, active_customers=250) == pytest.approx(
        4.0
    )


def test_support_load_without_customers_is_nan() -> None:
    assert math.isnan(support_load(disputes_opened=1, tickets_opened=0, active_customers=0))


def test_support_load_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="tickets_opened"):
        support_load(disputes_opened=1, tickets_opened=-1, active_customers=5)
