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
    """A change of a subscription's terms effective on a day (the new terms apply from ``on``).

    An upgrade or downgrade changes the plan version; a seat change the seats; an interval
    change the billing interval (a plan version may price the same fee per month and per
    year). ``None`` means "not changed by this event" (or, for the ``*_before`` fields, not
    recorded).
    """

    on: date
    from_version_id: int | None
    to_version_id: int | None
    seats_before: int | None = None
    seats_after: int | None = None
    interval_before: str | None = None
    interval_after: str | None = None


@dataclass(frozen=True, slots=True)
class VersionSpan:
    """The days of a period during which one set of terms applied.

    Attributes:
        version_id: the plan version.
        start: first day (inclusive).
        end: last day (inclusive).
        begins_by: ``period`` (applied from the period start), ``start`` (the subscription
            started that day) or ``change`` (a change of version, seats or interval took
            effect).
        ends_by: ``period``, ``cancel`` (last day of a canceled subscription, possibly the
            period's last day) or ``change``.
        seats: the seats in force (None: the subscription's seats).
        interval: the billing interval in force (None: the subscription's interval).
    """

    version_id: int
    start: date
    end: date
    begins_by: str
    ends_by: str
    seats: int | None = None
    interval: str | None = None

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


def _first_known(values: Sequence[object | None]) -> object | None:
    return next((v for v in values if v is not None), None)


def version_spans(
    period: Period,
    *,
    started_on: date,
    canceled_on: date | None,
    current_version_id: int,
    changes: Sequence[VersionChange] = (),
    current_seats: int | None = None,
    current_interval: str | None = None,
) -> list[VersionSpan]:
    """Split the active days of ``period`` by the terms in force (version, seats, interval).

    The terms at the window's start are those left by the last change on or before it;
    what no such change records comes from the first change inside the window (its
    ``*_before``), and otherwise from the subscription as it is now (``current_*``). A change
    that leaves all terms as they were does not split the period.

    Args:
        period: the billing period.
        started_on: the subscription's first day.
        canceled_on: its last day when canceled (inclusive), else None.
        current_version_id: the version it is on now (used when no change says otherwise).
        changes: changes of version, seats or interval (any order); each applies from its
            ``on`` day.
        current_seats: its seats now (None: spans carry no seats).
        current_interval: its billing interval now (None: spans carry no interval).

    Returns:
        Consecutive spans covering the active days, empty when it was not active.
    """
    window = active_window(period, started_on=started_on, canceled_on=canceled_on)
    if window is None:
        return []
    ordered = sorted(changes, key=lambda c: c.on)
    before = [c for c in ordered if c.on <= window.start]
    inside = [c for c in ordered if window.start < c.on <= window.end]
    version = _first_known([c.to_version_id for c in reversed(before)]
                           + [c.from_version_id for c in inside]) or current_version_id
    seats = _first_known([c.seats_after for c in reversed(before)]
                         + [c.seats_before for c in inside] + [current_seats])
    interval = _first_known([c.interval_after for c in reversed(before)]
                            + [c.interval_before for c in inside] + [current_interval])
    begins_by = Boundary.START if started_on > period.start else Boundary.PERIOD
    spans: list[VersionSpan] = []
    start = window.start
    for change in inside:
        after = (change.to_version_id or version,
                 seats if change.seats_after is None else change.seats_after,
                 interval if change.interval_after is None else change.interval_after)
        if after == (version, seats, interval):
            continue
        spans.append(VersionSpan(version, start, change.on - ONE_DAY, begins_by, Boundary.CHANGE,
                                 seats, interval))
        (version, seats, interval), start, begins_by = after, change.on, Boundary.CHANGE
    ends_by = Boundary.CANCEL if canceled_on and canceled_on <= period.end else Boundary.PERIOD
    spans.append(VersionSpan(version, start, window.end, begins_by, ends_by, seats, interval))
    return spans
