"""Seat and billing-interval changes split a period like a version change does."""

from __future__ import annotations

from datetime import date

import pytest

from console.billing.domain.charges import PriceTerm, SubscriptionTerms, build_lines, select_prices
from console.billing.domain.periods import VersionChange, month_period, version_spans

MARCH = month_period(2026, 3)


def price(pid: int, amount: str, *, kind: str = "recurring", interval: str = "month",
          advance: bool = True, name: str = "Fee") -> PriceTerm:
    return PriceTerm(id=pid, name=name, kind=kind, charge_model="standard",
                     properties={"amount": amount}, currency="USD", billing_interval=interval,
                     pay_in_advance=advance)


def lines(t: SubscriptionTerms, prices: dict[int, list[PriceTerm]]) -> list[tuple[str, int, str]]:
    out = build_lines(t, period=MARCH, prices_by_version=prices, meters={}, usage={})
    return [(x.kind, x.amount_minor, x.quantity) for x in out.lines]


def terms(*, seats: int, interval: str = "month", changes: tuple[VersionChange, ...] = (),
          started: date = date(2025, 6, 1)) -> SubscriptionTerms:
    return SubscriptionTerms(subscription_id=1, currency="USD", region="na", segment="smb",
                             seats=seats, started_on=started, canceled_on=None,
                             current_version_id=1, changes=changes, interval=interval)


def test_seat_change_credits_the_old_seats_and_charges_the_new() -> None:
    # 3.10 a seat a month: 0.10 a seat a day. 5 seats until the 20th, 8 from the 21st.
    change = VersionChange(date(2026, 3, 21), 1, 1, seats_before=5, seats_after=8)
    got = lines(terms(seats=8, changes=(change,)), {1: [price(1, "3.10", kind="seat")]})
    assert got == [("seat", 1550, "5"), ("proration_credit", -550, "5"),
                   ("proration_charge", 880, "8")]


def test_a_change_that_changes_nothing_does_not_split() -> None:
    same = VersionChange(date(2026, 3, 21), 1, 1, seats_before=5, seats_after=5)
    legacy = VersionChange(date(2026, 3, 11), 1, 1)  # a seat change that recorded no seats
    assert lines(terms(seats=5, changes=(same, legacy)), {1: [price(1, "3.10", kind="seat")]}) \
        == [("seat", 1550, "5")]


def test_interval_change_month_to_year() -> None:
    # The version prices its fee per month (31.00) and per year (365.00).
    prices = {1: [price(1, "31.00"), price(2, "365.00", interval="year")]}
    change = VersionChange(date(2026, 3, 21), 1, 1, interval_before="month",
                           interval_after="year")
    got = lines(terms(seats=1, interval="year", changes=(change,)), prices)
    # March's monthly fee, the unused 11 days credited, then the rest of the subscription
    # year (2025-06-01 .. 2026-05-31: 72 of 365 days from the 21st) at the yearly price.
    assert got == [("recurring", 3100, "1"), ("proration_credit", -1100, "1"),
                   ("proration_charge", 7200, "1")]


def test_interval_change_year_to_month() -> None:
    prices = {1: [price(1, "31.00"), price(2, "365.00", interval="year")]}
    change = VersionChange(date(2026, 3, 21), 1, 1, interval_before="year",
                           interval_after="month")
    got = lines(terms(seats=1, interval="month", changes=(change,)), prices)
    # The year was paid in June: its unused 72 days are credited, the month charged from the 21st.
    assert got == [("proration_credit", -7200, "1"), ("proration_charge", 1100, "1")]


def test_prices_follow_the_subscription_interval() -> None:
    rows = [price(1, "31.00"), price(2, "365.00", interval="year")]
    assert [p.id for p in select_prices(rows, currency="USD", region="na", segment="smb",
                                        interval="year")[0]] == [2]
    assert [p.id for p in select_prices(rows, currency="USD", region="na", segment="smb",
                                        interval="month")[0]] == [1]


@pytest.mark.parametrize("on", [date(2026, 3, 1), date(2026, 2, 10)])
def test_terms_changed_on_or_before_the_period_start_apply_from_it(on: date) -> None:
    change = VersionChange(on, 1, 2, seats_before=2, seats_after=4)
    spans = version_spans(MARCH, started_on=date(2025, 1, 1), canceled_on=None,
                          current_version_id=2, changes=[change], current_seats=9)
    assert [(s.version_id, s.seats, s.start, s.end) for s in spans] == [
        (2, 4, date(2026, 3, 1), date(2026, 3, 31))]
