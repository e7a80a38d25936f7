"""Billing periods of a subscription (pure): calendar months for monthly subscriptions (bill
runs bill calendar months), subscription years (anniversary to the day before the next) for
annual ones."""

from __future__ import annotations

from datetime import date, timedelta

from console.billing.domain.periods import subscription_year
from console.kernel.months import month_end

ONE_DAY = timedelta(days=1)


def period_containing(day: date, *, interval: str, started_on: date) -> tuple[date, date]:
    """The billing period of a subscription that contains ``day``.

    A monthly period is the calendar month (from the start day in the first month); a yearly
    one is the subscription year.
    """
    if interval == "year":
        year = subscription_year(started_on, day)
        return year.start, year.end
    return max(day.replace(day=1), started_on), month_end(day)


def next_period(period_end: date, *, interval: str, started_on: date) -> tuple[date, date]:
    """The period after the one that ends on ``period_end`` (a renewal)."""
    return period_containing(period_end + ONE_DAY, interval=interval, started_on=started_on)
