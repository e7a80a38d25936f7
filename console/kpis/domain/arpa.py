"""ARPA: average revenue (MRR) per paying account."""

from __future__ import annotations

from datetime import date

import polars as pl

from console.kernel.months import month_start
from console.kpis.domain._frames import normalized_mrr


def arpa(mrr: pl.DataFrame, *, month: date) -> int:
    """Return the month's MRR divided by its paying customers, in minor units.

    Args:
        mrr: MRR frame (``customer_id``, ``month``, ``mrr_minor``).
        month: any day of the month measured.

    Returns:
        The average rounded half-up to an integer, or 0 when nobody paid in the month
        (an int cannot be NaN; no paying customers means no revenue per account).
    """
    in_month = normalized_mrr(mrr, months=[month_start(month)])
    customers = in_month.height
    if customers == 0:
        return 0
    return arpa_minor(total_minor=int(in_month["mrr_minor"].sum()), customers=customers)


def arpa_minor(*, total_minor: int, customers: int) -> int:
    """Return ``total_minor / customers`` rounded half-up, or 0 without paying customers.

    Args:
        total_minor: the month's MRR (positive or 0), minor units.
        customers: the month's paying customers.
    """
    if customers == 0:
        return 0
    # Integer half-up on an exact numerator; the total is positive, so floor is safe.
    return (2 * total_minor + customers) // (2 * customers)
