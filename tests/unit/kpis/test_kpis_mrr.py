"""MRR waterfall and per-customer movement rows."""

from datetime import date, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.kpis.domain import MOVEMENT_KINDS, mrr_movement_rows, mrr_movements


def frame(rows: list[tuple[str, date, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"customer_id": pl.String, "month": pl.Date, "mrr_minor": pl.Int64},
        orient="row",
    )


JAN, FEB, MAR, APR, MAY = (date(2024, m, 1) for m in range(1, 6))

SAMPLE = frame(
    [
        ("a", JAN, 100),
        ("a", FEB, 150),  # expansion 50
        ("a", APR, 120),  # churn in MAR (150), reactivation in APR
        ("b", JAN, 50),
        ("b", FEB, 30),  # contraction 20, churn in MAR (30)
        ("c", MAR, 70),  # new in MAR; nothing in APR: churn 70
        ("d", APR, 40),  # new in APR, unchanged in MAY
        ("d", MAY, 40),
    ]
)


def test_waterfall_hand_computed() -> None:
    got = mrr_movements(SAMPLE)
    expected = pl.DataFrame(
        {
            "month": [JAN, FEB, MAR, APR, MAY],
            "mrr": [150, 180, 70, 160, 40],
            "new": [150, 0, 70, 40, 0],
            "expansion": [0, 50, 0, 0, 0],
            "contraction": [0, 20, 0, 0, 0],
            "churn": [0, 0, 180, 70, 120],
            "reactivation": [0, 0, 0, 120, 0],
            "customers": [2, 2, 1, 2, 1],
        },
    )
    assert got.equals(expected)


def test_empty_months_in_between_are_present_with_zeros() -> None:
    got = mrr_movements(frame([("a", JAN, 100), ("a", APR, 100)]))
    assert got["month"].to_list() == [JAN, FEB, MAR, APR]
    assert got["mrr"].to_list() == [100, 0, 0, 100]
    assert got["churn"].to_list() == [0, 100, 0, 0]
    assert got["reactivation"].to_list() == [0, 0, 0, 100]
    assert got["customers"].to_list() == [1, 0, 0, 1]


def test_single_customer_single_month() -> None:
    got = mrr_movements(frame([("a", MAR, 999)]))
    assert got.rows() == [(MAR, 999, 999, 0, 0, 0, 0, 1)]


def test_empty_input_gives_empty_frame_with_columns() -> None:
    got = mrr_movements(frame([]))
    assert got.is_empty()
    assert got.columns == [
        "month",
        "mrr",
        "new",
        "expansion",
        "contraction",
        "churn",
        "reactivation",
        "customers",
    ]
    assert mrr_movement_rows(frame([])).is_empty()


def test_rows_drill_down_lists_who_moved() -> None:
    rows = mrr_movement_rows(SAMPLE)
    churned_in_march = rows.filter((pl.col("month") == MAR) & (pl.col("kind") == "churn"))
    assert churned_in_march.select("customer_id", "amount_minor").rows() == [("a", 150), ("b", 30)]
    assert rows.filter(pl.col("customer_id") == "a").select(
        "month", "kind", "amount_minor"
    ).rows() == [
        (JAN, "new", 100),
        (FEB, "expansion", 50),
        (MAR, "churn", 150),
        (APR, "reactivation", 120),
        (MAY, "churn", 120),
    ]
    # d is unchanged in MAY: no row.
    assert rows.filter(pl.col("customer_id") == "d")["kind"].to_list() == ["new"]
    assert set(rows["kind"]) <= set(MOVEMENT_KINDS)


def test_rows_carry_previous_and_current_mrr() -> None:
    rows = mrr_movement_rows(SAMPLE).filter(pl.col("customer_id") == "b")
    assert rows.select("kind", "previous_mrr_minor", "mrr_minor").rows() == [
        ("new", 0, 50),
        ("contraction", 50, 30),
        ("churn", 30, 0),
    ]


def test_no_churn_after_the_last_month_present() -> None:
    rows = mrr_movement_rows(frame([("a", JAN, 10), ("b", JAN, 10), ("b", FEB, 10)]))
    assert rows.filter(pl.col("kind") == "churn").select("month", "customer_id").rows() == [
        (FEB, "a")
    ]


def test_duplicate_rows_are_summed_and_non_positive_ignored() -> None:
    df = frame([("a", JAN, 60), ("a", JAN, 40), ("b", JAN, 0), ("a", FEB, 100)])
    got = mrr_movements(df)
    assert got["mrr"].to_list() == [100, 100]
    assert got["customers"].to_list() == [1, 1]


def test_mid_month_dates_and_datetimes_count_by_their_month() -> None:
    dates = [date(2024, 1, 15), date(2024, 2, 28)]
    for months in (dates, [datetime(d.year, d.month, d.day, 13) for d in dates]):
        df = pl.DataFrame({"customer_id": ["a", "a"], "month": months, "mrr_minor": [10, 20]})
        assert mrr_movements(df)["month"].to_list() == [JAN, FEB]


def test_missing_column_is_rejected() -> None:
    with pytest.raises(ValueError, match="mrr_minor"):
        mrr_movements(pl.DataFrame({"customer_id": ["a"], "month": [JAN]}))


def test_null_customer_is_rejected() -> None:
    with pytest.raises(ValueError, match="null"):
        mrr_movements(frame([(None, JAN, 1)]))  # type: ignore[list-item]


def test_year_boundary_is_consecutive() -> None:
    df = frame([("a", date(2023, 12, 1), 10), ("a", date(2024, 1, 1), 15)])
    assert mrr_movement_rows(df)["kind"].to_list() == ["new", "expansion"]


MONTHS = [date(2023 + (m // 12), m % 12 + 1, 1) for m in range(10, 26)]


@st.composite
def mrr_frames(draw: st.DrawFn) -> pl.DataFrame:
    customers = draw(st.integers(min_value=1, max_value=8))
    rows = []
    for c in range(customers):
        months = draw(st.sets(st.sampled_from(MONTHS), max_size=len(MONTHS)))
        rows += [(f"c{c}", m, draw(st.integers(1, 10_000))) for m in months]
    return frame(rows)


@settings(max_examples=100, deadline=None)
@given(mrr_frames())
def test_waterfall_identity_holds(df: pl.DataFrame) -> None:
    got = mrr_movements(df)
    previous = got["mrr"].shift(1, fill_value=0)
    rebuilt = (
        previous
        + got["new"]
        + got["expansion"]
        + got["reactivation"]
        - got["contraction"]
        - got["churn"]
    )
    assert rebuilt.to_list() == got["mrr"].to_list()
    for kind in MOVEMENT_KINDS:
        assert (got[kind] >= 0).all()
    if not df.is_empty():
        assert got["mrr"].sum() == df["mrr_minor"].sum()
        span = (got["month"].max().year * 12 + got["month"].max().month) - (
            got["month"].min().year * 12 + got["month"].min().month
        )
        assert got.height == span + 1


def test_integer_ids_give_the_same_movements_and_stay_integers() -> None:
    ids = {"a": 1, "b": 2, "c": 3, "d": 4}
    numeric = SAMPLE.with_columns(pl.col("customer_id").replace_strict(ids, return_dtype=pl.Int64))
    rows = mrr_movement_rows(numeric)
    assert rows.schema["customer_id"] == pl.Int64
    as_text = rows.with_columns(pl.col("customer_id").replace_strict(
        {v: k for k, v in ids.items()}, return_dtype=pl.String))
    assert as_text.equals(mrr_movement_rows(SAMPLE))
    assert mrr_movements(numeric).equals(mrr_movements(SAMPLE))
