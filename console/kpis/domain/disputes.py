"""Dispute KPIs: dispute rate by count and amount, time to resolve and SLA compliance."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import polars as pl

from console.kpis.domain._frames import in_month, ratio, require_columns


def _issued_and_opened(
    invoices: pl.DataFrame, disputes: pl.DataFrame, month: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    require_columns(invoices, ("issued_at", "total_minor"), frame="invoices")
    require_columns(disputes, ("opened_at", "amount_minor"), frame="disputes")
    return invoices.filter(in_month("issued_at", month)), disputes.filter(
        in_month("opened_at", month)
    )


def dispute_rate(invoices: pl.DataFrame, disputes: pl.DataFrame, *, month: date) -> float:
    """Return disputes opened in ``month`` per invoice issued in ``month`` (counts).

    Args:
        invoices: columns ``issued_at`` (date or datetime; null for never-issued drafts,
            which do not count) and ``total_minor``.
        disputes: columns ``opened_at`` (date or datetime) and ``amount_minor``.
        month: any day of the month measured.

    Returns:
        The ratio, or NaN when no invoice was issued in the month.

    Raises:
        ValueError: if a column is missing.
    """
    issued, opened = _issued_and_opened(invoices, disputes, month)
    return ratio(opened.height, issued.height)


def dispute_amount_rate(invoices: pl.DataFrame, disputes: pl.DataFrame, *, month: date) -> float:
    """Return the amount disputed in ``month`` over the amount invoiced in ``month``.

    Both frames must be in one currency (see :func:`console.kpis.domain.to_reporting_currency`).

    Args:
        invoices: columns ``issued_at`` and ``total_minor``.
        disputes: columns ``opened_at`` and ``amount_minor``.
        month: any day of the month measured.

    Returns:
        The ratio, or NaN when nothing was invoiced in the month.

    Raises:
        ValueError: if a column is missing.
    """
    issued, opened = _issued_and_opened(invoices, disputes, month)
    invoiced = int(issued["total_minor"].cast(pl.Int64).sum())
    disputed = int(opened["amount_minor"].cast(pl.Int64).sum())
    return ratio(disputed, invoiced)


def _on_or_before(left: pl.DataFrame, late: str, deadline: str) -> pl.Expr:
    # A date-only deadline means "by the end of that day", so compare on dates then.
    if pl.Date in (left.schema[late], left.schema[deadline]):
        return pl.col(late).cast(pl.Date) <= pl.col(deadline).cast(pl.Date)
    return pl.col(late) <= pl.col(deadline)


def dispute_resolution_stats(disputes: pl.DataFrame, *, month: date) -> dict[str, Any]:
    """Return time-to-resolve and SLA figures for the disputes opened in ``month``.

    The cohort is the disputes opened in the month, so a dispute still open counts against
    the SLA share instead of silently dropping out; figures for a recent month are
    provisional until its disputes are resolved.

    Args:
        disputes: columns ``opened_at``, ``resolved_at`` (null while unresolved) and
            ``due_at`` (the response-due date; a date means by the end of that day).
        month: any day of the month the disputes were opened in.

    Returns:
        ``opened``, ``resolved`` and ``unresolved`` (counts); ``median_hours_to_resolve``
        and ``median_days_to_resolve`` over the resolved ones (NaN if none);
        ``resolved_within_sla`` (count resolved on or before ``due_at``) and
        ``within_sla_share`` (that count / ``opened``, NaN if none opened).

    Raises:
        ValueError: if a column is missing.
    """
    require_columns(disputes, ("opened_at", "resolved_at", "due_at"), frame="disputes")
    cohort = disputes.filter(in_month("opened_at", month))
    opened_type = cohort.schema["opened_at"]
    # An all-null column arrives typed Null; give it the opened_at type so arithmetic works.
    cohort = cohort.with_columns(
        pl.col(c).cast(opened_type)
        for c in ("resolved_at", "due_at")
        if cohort.schema[c] == pl.Null
    )
    resolved = pl.col("resolved_at").is_not_null()
    hours = (pl.col("resolved_at") - pl.col("opened_at")).dt.total_seconds() / 3600
    stats = cohort.select(
        opened=pl.len(),
        resolved=resolved.sum(),
        median_hours=hours.filter(resolved).median(),
        within_sla=(resolved & _on_or_before(cohort, "resolved_at", "due_at")).sum(),
    ).row(0, named=True)
    opened, done, within = int(stats["opened"]), int(stats["resolved"]), int(stats["within_sla"])
    median_hours = math.nan if stats["median_hours"] is None else float(stats["median_hours"])
    return {
        "opened": opened,
        "resolved": done,
        "unresolved": opened - done,
        "median_hours_to_resolve": median_hours,
        "median_days_to_resolve": median_hours / 24,
        "resolved_within_sla": within,
        "within_sla_share": ratio(within, opened),
    }
