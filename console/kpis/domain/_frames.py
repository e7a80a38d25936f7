"""Shared helpers for the KPI functions: input checks, month arithmetic and MRR normalization."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

import polars as pl

MRR_COLUMNS = ("customer_id", "month", "mrr_minor")


def require_columns(df: pl.DataFrame, columns: Iterable[str], *, frame: str) -> None:
    """Raise ``ValueError`` naming the columns of ``columns`` missing from ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{frame} frame lacks column(s) {', '.join(missing)}")


def in_month(column: str, month: date) -> pl.Expr:
    """Expression: the date or datetime ``column`` falls in the calendar month of ``month``."""
    col = pl.col(column)
    return (col.dt.year() == month.year) & (col.dt.month() == month.month)


def month_index(column: str = "month") -> pl.Expr:
    """Expression: months since year 0, so consecutive months differ by exactly 1."""
    col = pl.col(column)
    return col.dt.year().cast(pl.Int32) * 12 + col.dt.month().cast(pl.Int32) - 1


def ratio(numerator: float, denominator: float) -> float:
    """Return ``numerator / denominator``, or NaN when the denominator is zero."""
    if denominator == 0:
        return math.nan
    return numerator / denominator


def normalized_mrr(mrr: pl.DataFrame, *, months: Iterable[date] | None = None) -> pl.DataFrame:
    """Return the MRR frame with one row per customer and month with MRR > 0.

    Integer ``customer_id`` stays Int64, anything else becomes String. Months are truncated
    to their first day, amounts summed per customer and month and
    rows whose total is not positive dropped. Adds ``idx`` (see :func:`month_index`);
    sorted by customer and month. ``months`` (first days) keeps only those months, which
    is much cheaper than aggregating every month for a KPI that needs one or two.

    Raises:
        ValueError: if a column is missing or ``customer_id``/``month`` hold nulls.
    """
    require_columns(mrr, MRR_COLUMNS, frame="mrr")
    # Integer ids stay integers (joins and sorts on them are several times cheaper).
    id_type = pl.Int64 if mrr.schema["customer_id"].is_integer() else pl.String
    df = mrr.select(
        pl.col("customer_id").cast(id_type),
        pl.col("month").cast(pl.Date).dt.month_start(),
        pl.col("mrr_minor").cast(pl.Int64),
    )
    if df["customer_id"].null_count() or df["month"].null_count():
        raise ValueError("mrr frame has null customer_id or month")
    if months is not None:
        df = df.filter(pl.col("month").is_in(pl.Series(list(months), dtype=pl.Date).implode()))
    return (
        df.group_by("customer_id", "month")
        .agg(pl.col("mrr_minor").sum())
        .filter(pl.col("mrr_minor") > 0)
        .with_columns(idx=month_index())
        .sort("customer_id", "idx")
    )
