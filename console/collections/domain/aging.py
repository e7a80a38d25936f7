"""Aging of open receivables by days past due (as-of date minus due date).

Buckets follow ``DOMAIN.md``: current (0 or fewer days), 1-30, 31-60, 61-90, 90+; the same
thresholds as :func:`console.kpis.aging_bucket_expr`.
"""

from __future__ import annotations

from datetime import date, timedelta

#: Aging buckets in display order.
AGING_BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "90+")

#: (bucket, largest days past due in it); the last bucket is open-ended.
_UPPER: tuple[tuple[str, int], ...] = (("current", 0), ("1-30", 30), ("31-60", 60),
                                       ("61-90", 90))


def days_past_due(due_date: date, as_of: date) -> int:
    """Days from the due date to ``as_of`` (negative before it is due)."""
    return (as_of - due_date).days


def aging_bucket(due_date: date, as_of: date) -> str:
    """The bucket of an open balance due on ``due_date``, aged at ``as_of``."""
    days = days_past_due(due_date, as_of)
    for bucket, upper in _UPPER:
        if days <= upper:
            return bucket
    return "90+"


def bucket_thresholds(as_of: date) -> tuple[tuple[str, date], ...]:
    """For SQL: ``(bucket, earliest due date in it)`` for every bucket but ``90+``.

    A balance falls in the first bucket whose date its due date is on or after; otherwise it
    is ``90+``. Comparing dates keeps the query the same on SQLite and PostgreSQL.
    """
    return tuple((bucket, as_of - timedelta(days=upper)) for bucket, upper in _UPPER)


def bucket_label(bucket: str) -> str:
    """How the worklist names a bucket."""
    return "Current" if bucket == "current" else f"{bucket} days"
