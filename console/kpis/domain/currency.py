"""Conversion of minor-unit amounts into one reporting currency for KPIs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import polars as pl

from console.kernel.errors import InvalidInput
from console.kpis.domain._frames import require_columns
from console.money import MoneyError, exponent

# Keeps amount * numerator * 2 inside Int128 for any Int64 amount.
_MAX_FRACTION_PART = 2**62


def conversion_factor(rate: Decimal | str, source: str, reporting: str) -> tuple[int, int]:
    """Return the exact fraction ``(numerator, denominator)`` that turns minor units of
    ``source`` into minor units of ``reporting`` at ``rate`` (before rounding).

    Args:
        rate: reporting-currency major units per 1 major unit of ``source``.
        source: ISO 4217 code of the amounts.
        reporting: ISO 4217 code to report in.

    Raises:
        ValueError: if the rate is not positive or has too many digits.
        console.money.MoneyError: for an unknown currency or a float rate.
    """
    if isinstance(rate, float):
        raise MoneyError(f"rate for {source} is a float; pass a Decimal or decimal string")
    value = Decimal(rate)
    if not value.is_finite() or value <= 0:
        raise ValueError(f"rate for {source} must be a positive number, got {rate!r}")
    numerator, denominator = (
        value.scaleb(exponent(reporting) - exponent(source))
    ).as_integer_ratio()
    if numerator > _MAX_FRACTION_PART or denominator > _MAX_FRACTION_PART:
        raise ValueError(f"rate for {source} has too many digits: {rate!r}")
    return numerator, denominator


def convert_minor(amount: int, numerator: int, denominator: int) -> int:
    """Convert one minor-unit amount by an exact fraction from :func:`conversion_factor`,
    rounding half-up (ties away from zero), exactly as :func:`to_reporting_currency` does.

    SQL aggregations that must add up to the same cents as the frames use this (SQLite) or
    the same integer formula (PostgreSQL numeric).
    """
    scaled = amount * numerator
    rounded = (abs(scaled) * 2 + denominator) // (denominator * 2)
    return -rounded if scaled < 0 else rounded


def to_reporting_currency(
    df: pl.DataFrame,
    *,
    amount_cols: Sequence[str],
    currency_col: str,
    rates: Mapping[str, Decimal | str],
    reporting: str,
) -> pl.DataFrame:
    """Convert Int64 minor-unit amounts of mixed currencies into the reporting currency.

    Each amount is converted exactly (minor units -> major units of its currency -> times
    the rate -> minor units of ``reporting``) and rounded once, half-up (ties away from
    zero, as :func:`console.money.round_minor`). Converted figures are approximations for
    reporting only, at whatever rates were supplied; never bill or credit with them.

    Args:
        df: the frame to convert.
        amount_cols: Int64 minor-unit columns to convert in place (nulls stay null).
        currency_col: the ISO 4217 code of each row; set to ``reporting`` in the result.
        rates: reporting-currency major units per 1 major unit of each source currency
            (``{"EUR": "1.08"}`` with ``reporting="USD"``). The reporting currency itself
            defaults to rate 1.
        reporting: the ISO 4217 code to report in.

    Returns:
        A copy of ``df`` with converted amount columns and the currency column replaced.

    Raises:
        ValueError: if a column is missing, a currency is null or has no rate, a rate is
            not positive, or a converted amount overflows Int64.
        console.money.MoneyError: for an unknown currency or a float rate.
    """
    require_columns(df, [*amount_cols, currency_col], frame="amounts")
    if df[currency_col].null_count():
        raise ValueError(f"column {currency_col} has null currencies")
    present = sorted(df[currency_col].unique().to_list())
    all_rates: dict[str, Decimal | str] = {reporting: Decimal(1), **rates}
    missing = [c for c in present if c not in all_rates]
    if missing:
        raise ValueError(f"no rate to {reporting} for {', '.join(missing)}")
    fractions = {c: conversion_factor(all_rates[c], c, reporting) for c in present}
    numerator = pl.col(currency_col).replace_strict(
        {c: n for c, (n, _) in fractions.items()}, return_dtype=pl.Int128
    )
    denominator = pl.col(currency_col).replace_strict(
        {c: d for c, (_, d) in fractions.items()}, return_dtype=pl.Int128
    )

    def convert(col: str) -> pl.Expr:
        scaled = pl.col(col).cast(pl.Int128) * numerator
        rounded = (scaled.abs() * 2 + denominator) // (denominator * 2)
        # Int128 has no negation in polars; the sign goes back on after the Int64 cast.
        magnitude = rounded.cast(pl.Int64, strict=True)
        return pl.when(scaled < 0).then(-magnitude).otherwise(magnitude).alias(col)

    try:
        return df.with_columns(
            *(convert(col) for col in amount_cols),
            pl.lit(reporting, dtype=pl.String).alias(currency_col),
        )
    except pl.exceptions.InvalidOperationError as exc:
        raise ValueError(f"converted amount does not fit Int64: {exc}") from None


def conversion_factors(rates: Mapping[str, str], *, reporting: str
                       ) -> tuple[tuple[str, int, int], ...]:
    """Exact conversion fractions into ``reporting`` for every currency with a usable rate.

    Args:
        rates: currency -> decimal text (reporting units per one unit of the currency).
        reporting: the ISO 4217 code to report in (not listed in the result).

    Returns:
        ``(currency, numerator, denominator)`` per currency, sorted by code (see
        :func:`conversion_factor`). An unusable rate is left out, as a missing rate is.
    """
    out = []
    for currency, rate in sorted(rates.items()):
        if currency == reporting:
            continue
        try:
            numerator, denominator = conversion_factor(rate, currency, reporting)
        except ValueError:
            continue  # an unusable rate is a missing rate: amounts in it are refused
        out.append((currency, numerator, denominator))
    return tuple(out)


def convert_frame(df: pl.DataFrame, *, amount_cols: list[str], rates: dict[str, str],
                  reporting: str) -> pl.DataFrame:
    """Convert ``amount_cols`` to ``reporting`` with :func:`to_reporting_currency`.

    Rows already in ``reporting`` are left as they are (the library would multiply by one);
    row order is not kept.

    Args:
        df: rows with a ``currency`` column.
        amount_cols: the Int64 minor-unit columns to convert.
        rates: currency -> decimal text (reporting units per one unit of the currency).
        reporting: the ISO 4217 code to report in.

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
