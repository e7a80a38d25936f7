"""Logo churn and the share of churn that billing (failed payments, dunning) caused."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import polars as pl

from console.kernel.months import month_start, previous_month
from console.kpis.domain._frames import (
    in_month,
    normalized_mrr,
    ratio,
    require_columns,
)

#: Churn reasons that count as billing-driven (involuntary) churn by default.
INVOLUNTARY_REASONS: frozenset[str] = frozenset({"involuntary"})


def logo_churn(mrr: pl.DataFrame, *, month: date) -> float:
    """Return the share of customers paying in the previous month who pay nothing in ``month``.

    New and reactivated customers of ``month`` do not offset the loss.

    Args:
        mrr: MRR frame (``customer_id``, ``month``, ``mrr_minor``).
        month: any day of the month measured.

    Returns:
        Customers lost / customers at the month's start, or NaN when nobody paid in the
        previous month.
    """
    start, current = previous_month(month), month_start(month)
    df = normalized_mrr(mrr, months=(start, current))
    before = df.filter(pl.col("month") == start).select("customer_id")
    after = df.filter(pl.col("month") == current).select("customer_id")
    lost = before.join(after, on="customer_id", how="anti").height
    return ratio(lost, before.height)


def billing_driven_churn_share(
    churn_events: pl.DataFrame,
    *,
    month: date,
    involuntary_reasons: Collection[str] = INVOLUNTARY_REASONS,
) -> float:
    """Return the share of the month's churned customers whose churn was involuntary.

    Args:
        churn_events: columns ``customer_id``, ``month`` (date or datetime) and ``reason``
            (``"voluntary"``, ``"involuntary"``, ...).
        month: any day of the month measured.
        involuntary_reasons: reasons that count as billing-driven.

    Returns:
        Distinct involuntarily churned customers / distinct churned customers in the month
        (a customer with several events counts once, as involuntary if any event is), or
        NaN when nobody churned.

    Raises:
        ValueError: if a column is missing.
    """
    require_columns(churn_events, ("customer_id", "month", "reason"), frame="churn_events")
    counts = churn_events.filter(in_month("month", month)).select(
        churned=pl.col("customer_id").n_unique(),
        involuntary=pl.col("customer_id")
        .filter(pl.col("reason").is_in(list(involuntary_reasons)))
        .n_unique(),
    )
    return ratio(counts["involuntary"].item(), counts["churned"].item())
