"""Line building: advance/arrears fees, proration, version changes, yearly fees, usage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from console.billing.domain.charges import (
    MeterInfo,
    MeterUsage,
    PriceTerm,
    SubscriptionTerms,
    build_lines,
    select_prices,
)
from console.billing.domain.periods import (
    Period,
    VersionChange,
    month_period,
    previous_periods,
    subscription_year,
    version_spans,
)

MARCH = month_period(2026, 3)


def fee(pid: int = 1, amount: str = "31.00", *, advance: bool = True, kind: str = "recurring",
        interval: str = "month", currency: str = "USD", name: str = "Fee", **kw) -> PriceTerm:
    return PriceTerm(id=pid, name=name, kind=kind, charge_model="standard",
                     properties={"amount": amount}, currency=currency,
                     billing_interval=interval, pay_in_advance=advance, **kw)


def terms(*, started: date = date(2025, 1, 1), canceled: date | None = None, seats: int = 1,
          version: int = 1, changes: tuple[VersionChange, ...] = ()) -> SubscriptionTerms:
    return SubscriptionTerms(subscription_id=1, currency="USD", region="na", segment="smb",
                             seats=seats, started_on=started, canceled_on=canceled,
                             current_version_id=version, changes=changes)


def amounts(t: SubscriptionTerms, prices: dict[int, list[PriceTerm]], usage=None,
            period: Period = MARCH) -> list[tuple[str, int]]:
    out = build_lines(t, period=period, prices_by_version=prices,
                      meters={9: MeterInfo(9, "API calls")}, usage=usage or {})
    return [(x.kind, x.amount_minor) for x in out.lines]


@pytest.mark.parametrize(
    ("advance", "started", "canceled", "expected"),
    [
        # 31.00 over 31 days: 1.00 a day makes every proration easy to read.
        (True, date(2025, 1, 1), None, [("recurring", 3100)]),
        (False, date(2025, 1, 1), None, [("recurring", 3100)]),
        (True, date(2026, 3, 11), None, [("proration_charge", 2100)]),
        (False, date(2026, 3, 11), None, [("proration_charge", 2100)]),
        (True, date(2025, 1, 1), date(2026, 3, 20),
         [("recurring", 3100), ("proration_credit", -1100)]),
        (False, date(2025, 1, 1), date(2026, 3, 20), [("proration_charge", 2000)]),
        (True, date(2026, 3, 5), date(2026, 3, 9),
         [("proration_charge", 2700), ("proration_credit", -2200)]),
        (False, date(2026, 3, 31), None, [("proration_charge", 100)]),
        (True, date(2026, 4, 1), None, []),  # not started yet
    ],
)
def test_monthly_fees(advance: bool, started: date, canceled: date | None,
                      expected: list[tuple[str, int]]) -> None:
    t = terms(started=started, canceled=canceled)
    assert amounts(t, {1: [fee(advance=advance)]}) == expected


def test_upgrade_credits_the_old_version_and_charges_the_new() -> None:
    t = terms(version=2, changes=(VersionChange(date(2026, 3, 21), 1, 2),))
    prices = {1: [fee(1, "31.00")], 2: [fee(2, "62.00")]}
    assert amounts(t, prices) == [("recurring", 3100), ("proration_credit", -1100),
                                  ("proration_charge", 2200)]
    arrears = {1: [fee(1, "31.00", advance=False)], 2: [fee(2, "62.00", advance=False)]}
    assert amounts(t, arrears) == [("proration_charge", 2000), ("proration_charge", 2200)]


def test_seats_multiply_and_prorate() -> None:
    t = terms(started=date(2026, 3, 17), seats=3)
    lines = build_lines(t, period=MARCH, prices_by_version={1: [fee(kind="seat", amount="3.10")]},
                        meters={}, usage={}).lines
    # 3 seats * 3.10 = 9.30 for the month; 15 of 31 days = 4.50.
    assert [(x.kind, x.amount_minor, x.quantity) for x in lines] == [
        ("proration_charge", 450, "3")]
    assert lines[0].description.startswith("Fee × 3 seats")


@pytest.mark.parametrize(
    ("started", "period", "advance", "expected"),
    [
        # A yearly fee in advance is charged in the month of each anniversary.
        (date(2025, 3, 10), MARCH, True, [("recurring", 36500)]),
        (date(2025, 4, 10), MARCH, True, []),
        (date(2026, 3, 10), MARCH, True, [("recurring", 36500)]),  # first year
        # In arrears it is charged when the subscription year ends.
        (date(2025, 3, 10), MARCH, False, [("recurring", 36500)]),  # year ended 9 March
        (date(2025, 3, 1), month_period(2026, 2), False, [("recurring", 36500)]),
        (date(2025, 6, 1), MARCH, False, []),
    ],
)
def test_yearly_fees(started: date, period: Period, advance: bool,
                     expected: list[tuple[str, int]]) -> None:
    prices = {1: [fee(amount="365.00", interval="year", advance=advance)]}
    assert amounts(terms(started=started), prices, period=period) == expected


def test_yearly_fee_canceled_mid_year_credits_unused_days() -> None:
    prices = {1: [fee(amount="365.00", interval="year")]}
    t = terms(started=date(2025, 6, 1), canceled=date(2026, 3, 31))
    # Year 2025-06-01 .. 2026-05-31 (365 days); 61 unused days after 31 March.
    assert amounts(t, prices) == [("proration_credit", -6100)]


def test_usage_line_true_up_and_missing_usage() -> None:
    usage_price = PriceTerm(id=5, name="API", kind="usage", charge_model="standard",
                            properties={"amount": "0.01"}, currency="USD", meter_id=9,
                            minimum_minor=3100)
    first = datetime(2026, 3, 2, tzinfo=UTC)
    usage = {9: MeterUsage(9, Decimal("1234.5"), 3, first, first)}
    lines = build_lines(terms(), period=MARCH, prices_by_version={1: [usage_price]},
                        meters={9: MeterInfo(9, "API calls", "call")}, usage=usage).lines
    assert [(x.kind, x.amount_minor) for x in lines] == [("usage", 1235), ("true_up", 1865)]
    assert lines[0].quantity == "1234.5" and lines[0].usage_from == first
    assert lines[0].description == "API calls: 1234.5 call (2026-03-01 – 2026-03-31)"
    # No usage at all: no usage line, and the minimum prorated to the active days (10 days).
    lines = build_lines(terms(started=date(2026, 3, 22)), period=MARCH,
                        prices_by_version={1: [usage_price]}, meters={}, usage={}).lines
    assert [(x.kind, x.amount_minor) for x in lines] == [("true_up", 1000)]


def test_select_prices_by_currency_and_dimensions() -> None:
    rows = [fee(1, "10", name="Fee"), fee(2, "1000", name="Fee", currency="JPY"),
            fee(3, "12", name="Fee", region="emea"),
            fee(4, "13", name="Fee", region="emea", segment="enterprise"),
            fee(5, "5", name="Support", kind="seat", currency="EUR"),
            fee(6, "9", name="Fee in euros", currency="EUR")]
    chosen, missing = select_prices(rows, currency="USD", region="emea", segment="enterprise")
    # "Fee in euros" is not missing: another recurring fee matched the currency (rate cards
    # often name a row per currency); the seat row has no USD price at all.
    assert [p.id for p in chosen] == [4] and missing == ["Support"]
    chosen, _ = select_prices(rows, currency="USD", region="na", segment="smb")
    assert [p.id for p in chosen] == [1]
    chosen, missing = select_prices(rows, currency="JPY", region="na", segment="smb")
    assert [p.id for p in chosen] == [2] and missing == ["Support"]


def test_version_spans_and_periods() -> None:
    spans = version_spans(MARCH, started_on=date(2026, 3, 10), canceled_on=date(2026, 3, 25),
                          current_version_id=3,
                          changes=[VersionChange(date(2026, 3, 20), 2, 3),
                                   VersionChange(date(2026, 3, 15), 1, 2)])
    assert [(s.version_id, s.start.day, s.end.day, s.begins_by, s.ends_by) for s in spans] == [
        (1, 10, 14, "start", "change"), (2, 15, 19, "change", "change"),
        (3, 20, 25, "change", "cancel")]
    assert version_spans(MARCH, started_on=date(2026, 4, 1), canceled_on=None,
                         current_version_id=1) == []
    assert subscription_year(date(2024, 2, 29), date(2025, 3, 1)) == Period(
        date(2025, 2, 28), date(2026, 2, 27))
    assert [p.start for p in previous_periods(MARCH, 3)] == [
        date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1)]
    assert previous_periods(Period(date(2026, 3, 5), date(2026, 3, 14)), 1) == [
        Period(date(2026, 2, 23), date(2026, 3, 4))]


@pytest.mark.parametrize(
    ("model", "props", "units"),
    [
        ("standard", {"amount": "0.0015"}, Decimal("12345.678901")),
        ("graduated", {"graduated_ranges": [
            {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "2"},
            {"from_value": 11, "to_value": None, "per_unit_amount": "0.333", "flat_amount": "1"},
        ]}, Decimal("27.5")),
        ("volume", {"volume_ranges": [
            {"from_value": 0, "to_value": 100, "per_unit_amount": "0.1", "flat_amount": "0"},
            {"from_value": 101, "to_value": None, "per_unit_amount": "0.07", "flat_amount": "5"},
        ]}, Decimal("100.5")),
        ("package", {"amount": "9.99", "package_size": "100", "free_units": "50"}, Decimal(351)),
        ("percentage", {"rate": "2.9", "fixed_amount": "0.30"}, Decimal("1234.56")),
    ],
)
def test_rater_amount_equals_pricing_rate(model: str, props: dict, units: Decimal) -> None:
    from console.billing.domain.charges import Rater
    from console.pricing import rate

    price = PriceTerm(id=1, name="p", kind="usage", charge_model=model, properties=props,
                      currency="USD")
    rater = Rater()
    amount, labels = rater(price, units, "USD")
    assert amount == rate(model, props, units) and labels
    assert rater(price, units, "USD") == (amount, labels)  # memoised
