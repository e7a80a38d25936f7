"""NRR, GRR, logo churn, billing-driven churn share and ARPA."""

import math
from datetime import date

import polars as pl
import pytest

from console.kpis.domain import (
    arpa,
    arpa_minor,
    billing_driven_churn_share,
    gross_revenue_retention,
    logo_churn,
    net_revenue_retention,
)

JAN, FEB, MAR, APR = (date(2024, m, 1) for m in range(1, 5))


def frame(rows: list[tuple[str, date, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"customer_id": pl.String, "month": pl.Date, "mrr_minor": pl.Int64},
        orient="row",
    )


# a expands 100 -> 130; b churns in FEB and returns in APR at 60 (start 80);
# c contracts 200 -> 150; d churns for good (start 20); e is new in FEB (ignored).
WINDOW = frame(
    [
        ("a", JAN, 100), ("a", FEB, 110), ("a", APR, 130),
        ("b", JAN, 80), ("b", APR, 60),
        ("c", JAN, 200), ("c", MAR, 180), ("c", APR, 150),
        ("d", JAN, 20),
        ("e", FEB, 500), ("e", APR, 500),
    ]
)  # fmt: skip


def test_nrr_counts_end_month_mrr_of_start_customers() -> None:
    # start 400; end 130 + 60 + 150 + 0 = 340
    assert net_revenue_retention(WINDOW, start=JAN, end=APR) == pytest.approx(340 / 400)


def test_grr_caps_each_customer_at_its_start_mrr() -> None:
    # min: a 100, b 60, c 150, d 0 = 310
    assert gross_revenue_retention(WINDOW, start=JAN, end=APR) == pytest.approx(310 / 400)


def test_churn_and_return_inside_window_counts_by_end_month() -> None:
    df = frame([("b", JAN, 80), ("b", MAR, 100)])
    assert net_revenue_retention(df, start=JAN, end=MAR) == pytest.approx(1.25)
    assert gross_revenue_retention(df, start=JAN, end=MAR) == pytest.approx(1.0)
    assert net_revenue_retention(df, start=JAN, end=FEB) == 0.0


def test_same_start_and_end_month_is_one() -> None:
    assert net_revenue_retention(WINDOW, start=JAN, end=JAN) == 1.0
    assert gross_revenue_retention(WINDOW, start=JAN, end=JAN) == 1.0


def test_any_day_names_its_month() -> None:
    assert net_revenue_retention(WINDOW, start=date(2024, 1, 31), end=date(2024, 4, 15)) == (
        pytest.approx(340 / 400)
    )


def test_zero_start_mrr_is_nan() -> None:
    assert math.isnan(net_revenue_retention(WINDOW, start=date(2023, 12, 1), end=APR))
    assert math.isnan(gross_revenue_retention(frame([]), start=JAN, end=APR))


def test_end_before_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="before"):
        net_revenue_retention(WINDOW, start=APR, end=JAN)


def test_single_customer_expansion() -> None:
    df = frame([("a", JAN, 100), ("a", FEB, 150)])
    assert net_revenue_retention(df, start=JAN, end=FEB) == pytest.approx(1.5)
    assert gross_revenue_retention(df, start=JAN, end=FEB) == pytest.approx(1.0)


def test_logo_churn_counts_customers_lost_from_previous_month() -> None:
    # JAN payers a, b, c, d; in FEB only a pays (e is new and does not offset).
    assert logo_churn(WINDOW, month=FEB) == pytest.approx(3 / 4)
    # FEB payers a, e; both pay in APR but not MAR.
    assert logo_churn(WINDOW, month=MAR) == pytest.approx(1.0)
    assert logo_churn(WINDOW, month=APR) == pytest.approx(0.0)


def test_logo_churn_without_start_customers_is_nan() -> None:
    assert math.isnan(logo_churn(WINDOW, month=JAN))


def test_logo_churn_across_year_boundary() -> None:
    df = frame([("a", date(2023, 12, 1), 10), ("b", date(2023, 12, 1), 10), ("a", JAN, 10)])
    assert logo_churn(df, month=JAN) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("month", "expected"),
    [(JAN, 100), (FEB, 305), (MAR, 180), (APR, 210)],
)
def test_arpa(month: date, expected: int) -> None:
    # JAN 400/4; FEB (110 + 500)/2 = 305; MAR 180; APR 840/4 = 210
    assert arpa(WINDOW, month=month) == expected


def test_arpa_rounds_half_up() -> None:
    df = frame([("a", JAN, 1), ("b", JAN, 2)])  # 1.5 -> 2
    assert arpa(df, month=JAN) == 2
    df = frame([("a", JAN, 1), ("b", JAN, 1), ("c", JAN, 2)])  # 1.33 -> 1
    assert arpa(df, month=JAN) == 1


def test_arpa_without_payers_is_zero() -> None:
    assert arpa(WINDOW, month=date(2025, 1, 1)) == 0


def churn_events(rows: list[tuple[str, date, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"customer_id": pl.String, "month": pl.Date, "reason": pl.String},
        orient="row",
    )


def test_billing_driven_churn_share() -> None:
    events = churn_events(
        [
            ("a", FEB, "involuntary"),
            ("b", FEB, "voluntary"),
            ("c", FEB, "voluntary"),
            ("d", FEB, "involuntary"),
            ("e", MAR, "involuntary"),
        ]
    )
    assert billing_driven_churn_share(events, month=FEB) == pytest.approx(0.5)
    assert billing_driven_churn_share(events, month=MAR) == pytest.approx(1.0)
    assert math.isnan(billing_driven_churn_share(events, month=APR))


def test_billing_driven_share_counts_each_customer_once() -> None:
    events = churn_events(
        [("a", FEB, "involuntary"), ("a", FEB, "involuntary"), ("b", FEB, "voluntary")]
    )
    assert billing_driven_churn_share(events, month=FEB) == pytest.approx(0.5)


def test_billing_driven_share_with_custom_reasons() -> None:
    events = churn_events([("a", FEB, "payment_failed"), ("b", FEB, "voluntary")])
    share = billing_driven_churn_share(
        events, month=FEB, involuntary_reasons={"payment_failed", "dunning_exhausted"}
    )
    assert share == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("total", "customers", "expected"),
    [(0, 0, 0), (1_000, 0, 0), (1_000, 3, 333), (1_001, 2, 501), (1_003, 2, 502), (5, 10, 1),
     (4, 10, 0)],
)
def test_arpa_minor_rounds_half_up(total: int, customers: int, expected: int) -> None:
    assert arpa_minor(total_minor=total, customers=customers) == expected

