"""Conversion of minor-unit amounts into the reporting currency."""

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.kernel.errors import InvalidInput
from console.kpis.domain import (
    conversion_factor,
    conversion_factors,
    convert_frame,
    convert_minor,
    to_reporting_currency,
)
from console.money import MoneyError

RATES = {"EUR": Decimal("1.08"), "JPY": "0.0067", "KWD": "3.25"}


def convert(amounts: list[int | None], currencies: list[str], **kwargs: object) -> list:
    df = pl.DataFrame(
        {"amount_minor": amounts, "currency": currencies},
        schema={"amount_minor": pl.Int64, "currency": pl.String},
    )
    options: dict = {"rates": RATES, "reporting": "USD"} | kwargs
    out = to_reporting_currency(
        df, amount_cols=["amount_minor"], currency_col="currency", **options
    )
    assert set(out["currency"]) <= {options["reporting"]}
    return out["amount_minor"].to_list()


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (10_000, "USD", 10_000),  # reporting currency passes through at rate 1
        (10_000, "EUR", 10_800),  # 100.00 EUR * 1.08
        (1_000, "JPY", 670),  # 1000 JPY (exponent 0) * 0.0067 = 6.70 USD
        (1_234, "KWD", 401),  # 1.234 KWD (exponent 3) * 3.25 = 4.0105 -> 4.01
        (1_250, "EUR", 1_350),  # 13.50 exactly
        (25, "EUR", 27),  # 0.27 exactly
        (-5, "EUR", -5),  # -0.054 -> -0.05
        (None, "EUR", None),
    ],
)
def test_conversion(amount: int | None, currency: str, expected: int | None) -> None:
    assert convert([amount], [currency]) == [expected]


def test_rounds_half_up_away_from_zero() -> None:
    rates = {"EUR": "1.5"}
    assert convert([5, -5, 3, -3], ["EUR"] * 4, rates=rates) == [8, -8, 5, -5]


def test_into_a_zero_exponent_currency() -> None:
    # 1.00 USD = 150.5 JPY -> 151 (half-up)
    assert convert([100], ["USD"], rates={"USD": "150.5"}, reporting="JPY") == [151]


def test_several_columns_and_other_columns_untouched() -> None:
    df = pl.DataFrame({"id": [1, 2], "a": [100, 200], "b": [1, 3], "currency": ["EUR", "USD"]})
    out = to_reporting_currency(
        df, amount_cols=["a", "b"], currency_col="currency", rates={"EUR": "2"}, reporting="USD"
    )
    assert out.rows() == [(1, 200, 2, "USD"), (2, 200, 3, "USD")]
    assert out.schema["a"] == pl.Int64


def test_missing_rate_is_rejected() -> None:
    with pytest.raises(ValueError, match="GBP"):
        convert([1], ["GBP"])


def test_unknown_currency_is_rejected() -> None:
    with pytest.raises(MoneyError):
        convert([1], ["XYZ"], rates={"XYZ": "1"})


def test_float_rate_is_rejected() -> None:
    with pytest.raises(MoneyError):
        convert([1], ["EUR"], rates={"EUR": 1.08})


@pytest.mark.parametrize("rate", ["0", "-1", "NaN"])
def test_non_positive_rate_is_rejected(rate: str) -> None:
    with pytest.raises(ValueError, match="positive"):
        convert([1], ["EUR"], rates={"EUR": rate})


def test_null_currency_is_rejected() -> None:
    df = pl.DataFrame({"a": [1]}).with_columns(currency=pl.lit(None, dtype=pl.String))
    with pytest.raises(ValueError, match="null"):
        to_reporting_currency(
            df, amount_cols=["a"], currency_col="currency", rates=RATES, reporting="USD"
        )


def test_overflow_is_rejected() -> None:
    with pytest.raises(ValueError, match="Int64"):
        convert([2**63 - 1], ["EUR"], rates={"EUR": "2"})


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(min_value=-(10**12), max_value=10**12),
       currency=st.sampled_from(["USD", "EUR", "JPY", "KWD"]),
       rate=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("999"), places=6))
def test_convert_minor_rounds_exactly_like_the_frame_conversion(amount, currency, rate) -> None:
    rates = {"EUR": rate, "JPY": rate, "KWD": rate}
    numerator, denominator = conversion_factor(rates.get(currency, Decimal(1)), currency, "USD")
    assert convert_minor(amount, numerator, denominator) == convert(
        [amount], [currency], rates=rates)[0]


def test_convert_minor_ties_go_away_from_zero() -> None:
    assert conversion_factor("1.08", "EUR", "USD") == (27, 25)
    assert convert_minor(25, 1, 2) == 13 and convert_minor(-25, 1, 2) == -13
    assert convert_minor(24, 1, 2) == 12 and convert_minor(0, 27, 25) == 0


def test_conversion_factors_skip_the_reporting_currency_and_unusable_rates() -> None:
    rates = {"USD": "1", "EUR": "1.08", "JPY": "0.0067", "GBP": "0", "KWD": "nan"}
    assert conversion_factors(rates, reporting="USD") == (
        ("EUR", *conversion_factor("1.08", "EUR", "USD")),
        ("JPY", *conversion_factor("0.0067", "JPY", "USD")),
    )


def test_convert_frame_converts_foreign_rows_only() -> None:
    df = pl.DataFrame({"currency": ["USD", "EUR", "JPY"], "a": [100, 1_250, 1_000],
                       "b": [1, 25, None], "note": ["x", "y", "z"]})
    out = convert_frame(df, amount_cols=["a", "b"], rates={"EUR": "1.08", "JPY": "0.0067"},
                        reporting="USD").sort("note")
    assert out.to_dict(as_series=False) == {"currency": ["USD", "USD", "USD"],
                                            "a": [100, 1_350, 670], "b": [1, 27, None],
                                            "note": ["x", "y", "z"]}
    same = df.filter(pl.col("currency") == "USD")
    assert convert_frame(same, amount_cols=["a"], rates={}, reporting="USD") is same


def test_convert_frame_refuses_a_currency_without_a_rate() -> None:
    df = pl.DataFrame({"currency": ["USD", "CHF"], "a": [1, 2]})
    with pytest.raises(InvalidInput, match="Cannot report in USD: no rate to USD for CHF"):
        convert_frame(df, amount_cols=["a"], rates={"EUR": "1.08"}, reporting="USD")

