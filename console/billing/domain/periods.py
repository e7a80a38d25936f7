"""Billing periods, subscription years and the plan-version spans inside a period."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Period:
    """A run of days, both ends inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """Number of days, both ends counted."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside the period."""
        return self.start <= day <= self.end

    def label(self) -> str:
        """``2026-03-01 – 2026-03-31``."""
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def month_period(year: int, month: int) -> Period:
    """The calendar month as a period."""
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last))


def previous_periods(period: Period, count: int) -> list[Period]:
    """The ``count`` periods before ``period``, most recent first.

    Calendar months step by month; any other period steps back by its own length.
    """
    out: list[Period] = []
    current = period
    for _ in range(count):
        if _is_calendar_month(current):
            prev_end = current.start - ONE_DAY
            current = month_period(prev_end.year, prev_end.month)
        else:
            length = timedelta(days=current.days)
            current = Period(current.start - length, current.end - length)
        out.append(current)
    return out


def _is_calendar_month(period: Period) -> bool:
    return (period.start.day == 1 and period.end.year == period.start.year
            and period.end.month == period.start.month
            and period.end.day == calendar.monthrange(period.end.year, period.end.month)[1])


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def subscription_year(started_on: date, on: date) -> Period:
    """The subscription year (anniversary to the day before the next) that contains ``on``."""
    years = max(0, on.year - started_on.year)
    if years and add_years(started_on, years) > on:
        years -= 1
    return Period(add_years(started_on, years), add_years(started_on, years + 1) - ONE_DAY)


class Boundary:
    """Why a version span begins or ends where it does."""

    PERIOD = "period"
    START = "start"
    CANCEL = "cancel"
    CHANGE = "change"


@dataclass(frozen=True, slots=True)
class VersionChange:
    """An upgrade or downgrade effective on a day (the new version applies from ``on``)."""

    on: date
    from_version_id: int | None
    to_version_id: int


@dataclass(frozen=True, slots=True)
class VersionSpan:
    """The days of a period during which one plan version applied.

    Attributes:
        version_id: the plan version.
        start: first day (inclusive).
        end: last day (inclusive).
        begins_by: ``period`` (applied from the period start), ``start`` (the subscription
            started that day) or ``change`` (an upgrade/downgrade took effect).
        ends_by: ``period``, ``cancel`` (last day of a canceled subscription, possibly the
            period's last day) or ``change``.
    """

    version_id: int
    start: date
    end: date
    begins_by: str
    ends_by: str

    @property
    def days(self) -> int:
        """Number of days in the span."""
        return (self.end - self.start).days + 1


def active_window(period: Period, *, started_on: date, canceled_on: date | None
                  ) -> Period | None:
    """The days of ``period`` the subscription was active (``canceled_on`` is its last day)."""
    first = max(period.start, started_on)
    last = min(period.end, canceled_on) if canceled_on else period.end
    return Period(first, last) if first <= last else None


def version_spans(
    period: Period,
    *,
    started_on: date,
    canceled_on: date | None,
    current_version_id: int,
    changes: Sequence[VersionChange] = (),
) -> list[VersionSpan]:
    """Split the active days of ``period`` by plan version.

    Args:
        period: the billing period.
        started_on: the subscription's first day.
        canceled_on: its last day when canceled (inclusive), else None.
        current_version_id: the version it is on now (used when no change says otherwise).
        changes: upgrades/downgrades (any order); each applies from its ``on`` day.

    Returns:
        Consecutive spans covering the active days, empty when it was not active.
    """
    window = active_window(period, started_on=started_on, canceled_on=canceled_on)
    if window is None:
        return []
    ordered = sorted(changes, key=lambda c: c.on)
    before = [c for c in ordered if c.on <= window.start]
    inside = [c for c in ordered if window.start < c.on <= window.end]
    if before:
        version = before[-1].to_version_id
    elif inside and inside[0].from_version_id is not None:
        version = inside[0].from_version_id
    else:
        version = current_version_id
    begins_by = Boundary.START if started_on > period.start else Boundary.PERIOD
    spans: list[VersionSpan] = []
    start = window.start
    for change in inside:
        spans.append(VersionSpan(version, start, change.on - ONE_DAY, begins_by, Boundary.CHANGE))
        version, start, begins_by = change.to_version_id, change.on, Boundary.CHANGE
    ends_by = Boundary.CANCEL if canceled_on and canceled_on <= period.end else Boundary.PERIOD
    spans.append(VersionSpan(version, start, window.end, begins_by, ends_by))
    return spans
