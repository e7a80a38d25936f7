"""Net and gross revenue retention of the customers paying at a window's start."""

from __future__ import annotations

from datetime import date

import polars as pl

from console.kernel.months import month_start
from console.kpis.domain._frames import normalized_mrr, ratio


def _start_and_end(mrr: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    first, last = month_start(start), month_start(end)
    if last < first:
        raise ValueError(f"end month {last} is before start month {first}")
    df = normalized_mrr(mrr, months=(first, last))
    cohort = df.filter(pl.col("month") == first).select("customer_id", start_minor="mrr_minor")
    at_end = df.filter(pl.col("month") == last).select("customer_id", end_minor="mrr_minor")
    return cohort.join(at_end, on="customer_id", how="left").with_columns(
        pl.col("end_minor").fill_null(0)
    )


def net_revenue_retention(mrr: pl.DataFrame, *, start: date, end: date) -> float:
    """Return NRR: the ``end``-month MRR of the ``start``-month customers over their start MRR.

    Only customers with MRR in the start month count; customers new after it are left out.
    A customer who churns and returns inside the window counts by its end-month MRR
    (equivalently start MRR + expansion + reactivation - contraction - churn).

    Args:
        mrr: MRR frame (``customer_id``, ``month``, ``mrr_minor``).
        start: any day of the window's first month.
        end: any day of the window's last month (``end == start`` gives 1.0).

    Returns:
        The ratio, e.g. ``1.05`` for 105 %, or NaN when no customer had MRR in the start
        month (retention of nothing is undefined, and NaN keeps it out of averages).

    Raises:
        ValueError: if ``end`` is before ``start`` or the frame is malformed.
    """
    sums = _start_and_end(mrr, start, end).select(
        pl.col("start_minor").sum(), pl.col("end_minor").sum()
    )
    return ratio(sums["end_minor"].item(), sums["start_minor"].item())


def gross_revenue_retention(mrr: pl.DataFrame, *, start: date, end: date) -> float:
    """Return GRR: like :func:`net_revenue_retention`, each customer capped at its start MRR.

    Expansion and reactivation above the start MRR do not count, so the result is at most 1.0.

    Args:
        mrr: MRR frame (``customer_id``, ``month``, ``mrr_minor``).
        start: any day of the window's first month.
        end: any day of the window's last month.

    Returns:
        The ratio in ``[0, 1]``, or NaN when no customer had MRR in the start month.

    Raises:
        ValueError: if ``end`` is before ``start`` or the frame is malformed.
    """
    sums = _start_and_end(mrr, start, end).select(
        pl.col("start_minor").sum(),
        pl.min_horizontal("start_minor", "end_minor").sum().alias("kept_minor"),
    )
    return ratio(sums["kept_minor"].item(), sums["start_minor"].item())
