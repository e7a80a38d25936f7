"""Collections aging and DSO."""

import math
from datetime import date

import polars as pl
import pytest

from console.kpis.domain import (
    AGING_BUCKETS,
    aging_bucket_expr,
    collections_aging,
    days_sales_outstanding,
)

AS_OF = date(2024, 6, 30)


def invoices(rows: list[tuple[date, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"due_date": pl.Date, "open_minor": pl.Int64}, orient="row")


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        (date(2024, 7, 15), "current"),
        (date(2024, 6, 30), "current"),  # 0 days past due
        (date(2024, 6, 29), "1-30"),  # 1
        (date(2024, 5, 31), "1-30"),  # 30
        (date(2024, 5, 30), "31-60"),  # 31
        (date(2024, 5, 1), "31-60"),  # 60
        (date(2024, 4, 30), "61-90"),  # 61
        (date(2024, 4, 1), "61-90"),  # 90
        (date(2024, 3, 31), "90+"),  # 91
        (date(2020, 1, 1), "90+"),
    ],
)
def test_bucket_boundaries(due: date, bucket: str) -> None:
    got = invoices([(due, 1)]).select(aging_bucket_expr(AS_OF))
    assert got["aging_bucket"].to_list() == [bucket]


def test_aging_sums_open_balance_per_bucket() -> None:
    df = invoices(
        [
            (date(2024, 7, 1), 1000),
            (date(2024, 6, 30), 500),
            (date(2024, 6, 1), 250),
            (date(2024, 5, 15), 100),
            (date(2024, 1, 1), 7),
            (date(2024, 1, 1), 0),
        ]
    )
    assert collections_aging(df, as_of=AS_OF) == {
        "current": 1500,
        "1-30": 250,
        "31-60": 100,
        "61-90": 0,
        "90+": 7,
    }


def test_all_buckets_present_for_empty_input() -> None:
    got = collections_aging(invoices([]), as_of=AS_OF)
    assert list(got) == list(AGING_BUCKETS)
    assert set(got.values()) == {0}


def test_zero_open_rows_are_ignored_even_without_due_date() -> None:
    df = invoices([(None, 0), (date(2024, 6, 1), 5)])  # type: ignore[list-item]
    assert collections_aging(df, as_of=AS_OF)["1-30"] == 5


def test_open_balance_without_due_date_is_rejected() -> None:
    with pytest.raises(ValueError, match="due_date"):
        collections_aging(invoices([(None, 5)]), as_of=AS_OF)  # type: ignore[list-item]


def test_drill_down_with_bucket_expression() -> None:
    df = invoices([(date(2024, 6, 1), 250), (date(2024, 7, 1), 1000)]).with_columns(
        invoice=pl.Series(["INV-1", "INV-2"])
    )
    late = df.filter(aging_bucket_expr(AS_OF) == "1-30")
    assert late["invoice"].to_list() == ["INV-1"]


def test_dso() -> None:
    assert days_sales_outstanding(
        receivables_minor=50_000, credit_sales_minor=150_000, days=30
    ) == pytest.approx(10.0)


def test_dso_without_credit_sales_is_nan() -> None:
    assert math.isnan(days_sales_outstanding(receivables_minor=5, credit_sales_minor=0, days=30))


def test_dso_needs_positive_days() -> None:
    with pytest.raises(ValueError, match="days"):
        days_sales_outstanding(receivables_minor=5, credit_sales_minor=10, days=0)
