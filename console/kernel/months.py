"""Month arithmetic (pure): the first day of a month stands for the month."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_start(day: date) -> date:
    """The first day of the month containing ``day`` (a ``datetime`` counts by its date)."""
    if isinstance(day, datetime):
        day = day.date()
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s month (negative: before)."""
    total = month.year * 12 + month.month - 1 + count
    return date(total // 12, total % 12 + 1, 1)


def previous_month(month: date) -> date:
    """The first day of the month before ``month``'s month."""
    return add_months(month, -1)


def month_end(month: date) -> date:
    """The last day of ``month``'s month."""
    return add_months(month, 1) - timedelta(days=1)


def parse_month(text: str) -> date | None:
    """``"2026-03"`` -> ``date(2026, 3, 1)``; None when the text is not a month from 1900 on."""
    match = _MONTH_RE.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1900:
        return None
    return date(year, month, 1)


def month_key(month: date) -> str:
    """``date(2026, 3, 1)`` -> ``"2026-03"``."""
    return f"{month.year:04d}-{month.month:02d}"
