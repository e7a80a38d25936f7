"""Month arithmetic for the generator: window months, month starts/ends and UTC timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def at(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """Return ``day`` at the given time as a timezone-aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def month_abs(day: date) -> int:
    """Return months since year 0 of ``day`` (consecutive months differ by 1)."""
    return day.year * 12 + day.month - 1


def month_from_abs(index: int) -> date:
    """Return the first day of the month with absolute index ``index``."""
    return date(index // 12, index % 12 + 1, 1)


class Calendar:
    """The data window: ``months`` calendar months ending with the (partial) month of ``as_of``.

    Month ``k`` is window-relative: 0 is the first month, ``months - 1`` the current one;
    negative ``k`` are months before the window (customers older than the window).
    """

    def __init__(self, as_of: date, months: int) -> None:
        self.as_of = as_of
        self.months = months
        self.current = months - 1
        self.base_abs = month_abs(as_of) - (months - 1)
        self._starts: dict[int, date] = {}
        self._ends: dict[int, date] = {}
        self._labels: dict[int, str] = {}

    def ms(self, k: int) -> date:
        """First day of month ``k``."""
        start = self._starts.get(k)
        if start is None:
            start = self._starts[k] = month_from_abs(self.base_abs + k)
        return start

    def me(self, k: int) -> date:
        """Last day of month ``k``."""
        end = self._ends.get(k)
        if end is None:
            end = self._ends[k] = self.ms(k + 1) - timedelta(days=1)
        return end

    def last_day(self, k: int) -> date:
        """Last day of month ``k`` that has data (``as_of`` for the current month)."""
        return min(self.me(k), self.as_of)

    def days(self, k: int) -> int:
        """Number of days in month ``k``."""
        return self.me(k).day

    def k_of(self, day: date) -> int:
        """Window-relative month index of ``day``."""
        return month_abs(day) - self.base_abs

    def abs_of(self, k: int) -> int:
        """Absolute month index of window month ``k``."""
        return self.base_abs + k

    def label(self, k: int) -> str:
        """``"Mar 2026"`` for month ``k``."""
        text = self._labels.get(k)
        if text is None:
            text = self._labels[k] = self.ms(k).strftime("%b %Y")
        return text
