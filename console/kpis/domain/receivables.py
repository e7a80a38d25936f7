"""Receivables KPIs: collections aging buckets and days sales outstanding."""

from __future__ import annotations

from datetime import date

import polars as pl

from console.kpis.domain._frames import ratio, require_columns

#: Aging buckets in display order, by days past due (as-of date minus due date).
AGING_BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "90+")


def aging_bucket_expr(as_of: date) -> pl.Expr:
    """Return an expression naming each row's aging bucket, for drill-down.

    Args:
        as_of: the day the balance is aged at.

    Returns:
        A String expression aliased ``aging_bucket`` over the ``due_date`` column (date or
        datetime): ``current`` for 0 or fewer days past due, then ``1-30``, ``31-60``,
        ``61-90`` and ``90+``; null where ``due_date`` is null.
    """
    days = (pl.lit(as_of, dtype=pl.Date) - pl.col("due_date").cast(pl.Date)).dt.total_days()
    return (
        pl.when(days <= 0)
        .then(pl.lit("current"))
        .when(days <= 30)
        .then(pl.lit("1-30"))
        .when(days <= 60)
        .then(pl.lit("31-60"))
        .when(days <= 90)
        .then(pl.lit("61-90"))
        .when(days > 90)
        .then(pl.lit("90+"))
        .alias("aging_bucket")
    )


def collections_aging(invoices: pl.DataFrame, *, as_of: date) -> dict[str, int]:
    """Return the open balance per aging bucket.

    Args:
        invoices: columns ``due_date`` (date or datetime) and ``open_minor`` (int, minor
            units of one currency). Rows with ``open_minor == 0`` are ignored; a negative
            open amount (an overpayment) nets against its bucket.
        as_of: the day the balance is aged at.

    Returns:
        Every key of :data:`AGING_BUCKETS`, in that order, mapped to its open minor units
        (0 for empty buckets).

    Raises:
        ValueError: if a column is missing or an open row has no due date.
    """
    require_columns(invoices, ("due_date", "open_minor"), frame="invoices")
    open_rows = invoices.filter(pl.col("open_minor") != 0)
    if open_rows["due_date"].null_count():
        raise ValueError("invoices frame has open balances without a due_date")
    sums = (
        open_rows.group_by(aging_bucket_expr(as_of))
        .agg(pl.col("open_minor").cast(pl.Int64).sum())
        .rows()
    )
    found = dict(sums)
    return {bucket: int(found.get(bucket, 0)) for bucket in AGING_BUCKETS}


def days_sales_outstanding(*, receivables_minor: int, credit_sales_minor: int, days: int) -> float:
    """Return DSO: receivables / credit sales * days in the period.

    Args:
        receivables_minor: open receivables at the period's end, in minor units.
        credit_sales_minor: sales on credit (invoiced) during the period, same currency.
        days: days in the period.

    Returns:
        Days of sales outstanding, or NaN when there were no credit sales (undefined, and
        NaN keeps it out of averages).

    Raises:
        ValueError: if ``days`` is not positive.
    """
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    return ratio(receivables_minor * days, credit_sales_minor)


def open_balances(invoices: pl.DataFrame, *, month: date) -> pl.DataFrame:
    """The rows of ``invoices`` open at the end of ``month``.

    An invoice is open from its issue month until the month it is paid or voided; credits
    and partial payments that did not close it count from issue (their timing is not kept
    per invoice); uncollectible invoices are written off and never count (the queries leave
    them out, see :meth:`console.kpis.queries.sql.KpiSql.open_rows`).

    Args:
        invoices: ``issued_month`` and ``closed_month`` (first days; null while open)
            columns; rows may be single invoices or sums of them.
        month: the month (first day) at whose end the balances are taken.
    """
    return invoices.filter(
        (pl.col("issued_month") <= month)
        & (pl.col("closed_month").is_null() | (pl.col("closed_month") > month)))
