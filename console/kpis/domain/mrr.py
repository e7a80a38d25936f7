"""MRR movements: the monthly waterfall (new, expansion, contraction, churn, reactivation).

Input everywhere is an MRR frame with one row per customer and month with MRR > 0:
``customer_id`` (str), ``month`` (date, first day of the month) and ``mrr_minor`` (int,
minor units of one currency; convert first with :func:`console.kpis.domain.to_reporting_currency`).
"""

from __future__ import annotations

import polars as pl

from console.kpis.domain._frames import normalized_mrr

#: Movement kinds in waterfall order.
MOVEMENT_KINDS: tuple[str, ...] = ("new", "expansion", "contraction", "churn", "reactivation")

_ROWS_SCHEMA = {
    "month": pl.Date,
    "customer_id": pl.String,
    "kind": pl.String,
    "amount_minor": pl.Int64,
    "previous_mrr_minor": pl.Int64,
    "mrr_minor": pl.Int64,
}

_MOVEMENTS_SCHEMA = {
    "month": pl.Date,
    "mrr": pl.Int64,
    "new": pl.Int64,
    "expansion": pl.Int64,
    "contraction": pl.Int64,
    "churn": pl.Int64,
    "reactivation": pl.Int64,
    "customers": pl.Int64,
}


def _index_to_month(idx: pl.Expr) -> pl.Expr:
    return pl.date(idx // 12, idx % 12 + 1, 1)


def mrr_movement_rows(mrr: pl.DataFrame) -> pl.DataFrame:
    """Return each customer's MRR movement per month, for drill-down.

    A customer's month ``m`` is compared with ``m - 1``: ``new`` is the first month it ever
    has MRR; ``reactivation`` is MRR in ``m`` after none in ``m - 1`` but some earlier
    (amount = full MRR in ``m``); ``expansion``/``contraction`` are the increase/decrease
    (positive amounts); ``churn`` is MRR in ``m - 1`` and none in ``m`` (amount = MRR of
    ``m - 1``). Churn is only reported up to the last month present in the frame, and a
    month with unchanged MRR yields no row.

    Args:
        mrr: MRR frame (``customer_id``, ``month``, ``mrr_minor``); rows of the same
            customer and month are summed, non-positive totals ignored.

    Returns:
        Columns ``month``, ``customer_id``, ``kind`` (one of :data:`MOVEMENT_KINDS`),
        ``amount_minor`` (Int64, positive), ``previous_mrr_minor`` and ``mrr_minor`` (the
        customer's MRR in ``m - 1`` and ``m``), sorted by month, kind and customer.

    Raises:
        ValueError: if a column is missing or ``customer_id``/``month`` hold nulls.
    """
    return _movement_rows(normalized_mrr(mrr))


def _movement_rows(df: pl.DataFrame) -> pl.DataFrame:
    if df.is_empty():
        return pl.DataFrame(schema=_ROWS_SCHEMA)
    last_idx = df["idx"].max()
    # Rows are sorted by customer and month, so neighbours of the same customer are adjacent.
    same_before = pl.col("customer_id").shift(1) == pl.col("customer_id")
    same_after = pl.col("customer_id").shift(-1) == pl.col("customer_id")
    df = df.with_columns(
        prev_idx=pl.when(same_before).then(pl.col("idx").shift(1)),
        prev_mrr=pl.when(same_before).then(pl.col("mrr_minor").shift(1)),
        next_idx=pl.when(same_after).then(pl.col("idx").shift(-1)),
    )
    consecutive = pl.col("prev_idx") == pl.col("idx") - 1
    change = pl.col("mrr_minor") - pl.col("prev_mrr")
    present = df.select(
        "month",
        "customer_id",
        kind=pl.when(pl.col("prev_idx").is_null())
        .then(pl.lit("new"))
        .when(~consecutive)
        .then(pl.lit("reactivation"))
        .when(change > 0)
        .then(pl.lit("expansion"))
        .when(change < 0)
        .then(pl.lit("contraction")),
        amount_minor=pl.when(consecutive).then(change.abs()).otherwise(pl.col("mrr_minor")),
        previous_mrr_minor=pl.when(consecutive).then(pl.col("prev_mrr")).otherwise(0),
        mrr_minor="mrr_minor",
    ).filter(pl.col("kind").is_not_null())
    gap_follows = pl.col("next_idx").is_null() | (pl.col("next_idx") != pl.col("idx") + 1)
    churned = df.filter(gap_follows & (pl.col("idx") < last_idx)).select(
        month=_index_to_month(pl.col("idx") + 1),
        customer_id="customer_id",
        kind=pl.lit("churn"),
        amount_minor="mrr_minor",
        previous_mrr_minor="mrr_minor",
        mrr_minor=pl.lit(0, dtype=pl.Int64),
    )
    kind_order = pl.col("kind").replace_strict(
        {k: i for i, k in enumerate(MOVEMENT_KINDS)}, return_dtype=pl.Int8
    )
    return (
        pl.concat([present, churned])
        .cast({k: v for k, v in _ROWS_SCHEMA.items() if k != "customer_id"})
        .sort(pl.col("month"), kind_order, pl.col("customer_id"))
    )


def mrr_movements(mrr: pl.DataFrame) -> pl.DataFrame:
    """Return the monthly MRR waterfall.

    Every month from the first to the last month present gets a row, empty months
    included, and ``mrr[m] == mrr[m-1] + new + expansion + reactivation - contraction -
    churn`` holds for each month (the first month's ``mrr[m-1]`` being 0). Movement
    definitions are those of :func:`mrr_movement_rows`.

    Args:
        mrr: MRR frame (``customer_id``, ``month``, ``mrr_minor``).

    Returns:
        Columns ``month``, ``mrr``, ``new``, ``expansion``, ``contraction``, ``churn``,
        ``reactivation`` (Int64 minor units; contraction and churn positive) and
        ``customers`` (count with MRR > 0), one row per month in order. Empty input gives
        an empty frame with these columns.

    Raises:
        ValueError: if a column is missing or ``customer_id``/``month`` hold nulls.
    """
    df = normalized_mrr(mrr)
    if df.is_empty():
        return pl.DataFrame(schema=_MOVEMENTS_SCHEMA)
    months = pl.DataFrame(
        {"month": pl.date_range(df["month"].min(), df["month"].max(), "1mo", eager=True)}
    )
    totals = df.group_by("month").agg(mrr=pl.col("mrr_minor").sum(), customers=pl.len())
    movements = (
        _movement_rows(df)
        .group_by("month")
        .agg(
            pl.col("amount_minor").filter(pl.col("kind") == kind).sum().alias(kind)
            for kind in MOVEMENT_KINDS
        )
    )
    return (
        months.join(totals, on="month", how="left")
        .join(movements, on="month", how="left")
        .select(list(_MOVEMENTS_SCHEMA))
        .fill_null(0)
        .cast(_MOVEMENTS_SCHEMA)
        .sort("month")
    )
