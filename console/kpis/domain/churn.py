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
#: Churn reasons shown in the dashboard's churn split, in stacking order.
CHURN_REASONS: tuple[str, ...] = ("voluntary", "involuntary", "other")


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


def churn_reasons(churn_rows: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Label each churn row with the reason of the customer's cancel/lapse event that month.

    A customer with an involuntary event in the month counts as involuntary, else voluntary
    with a voluntary event; without any such event (e.g. the MRR moved to a plan outside the
    filter) the reason is ``other``. The dashboard counts the same way in SQL
    (:meth:`console.kpis.queries.sql.KpiSql.churn_events`); drill-downs label their rows
    with this.

    Args:
        churn_rows: columns ``customer_id`` and ``month`` (first day), one row per customer
            lost in that month.
        events: cancel and lapse events (``customer_id``, ``occurred_on``, ``churn_reason``).

    Returns:
        ``churn_rows`` with a ``reason`` column (one of :data:`CHURN_REASONS`).
    """
    reasons = (
        events.with_columns(month=pl.col("occurred_on").dt.month_start())
        .group_by("customer_id", "month")
        .agg(involuntary=(pl.col("churn_reason") == "involuntary").any(), any_event=pl.len() > 0)
    )
    return churn_rows.join(reasons, on=["customer_id", "month"], how="left").with_columns(
        reason=pl.when(pl.col("involuntary")).then(pl.lit("involuntary"))
        .when(pl.col("any_event")).then(pl.lit("voluntary"))
        .otherwise(pl.lit("other"))
    ).drop("involuntary", "any_event")
