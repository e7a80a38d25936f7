"""MRR of a subscription on a plan version and price selection per subscriber."""

import pytest

from console.catalog.domain.mrr import subscription_mrr_minor
from console.catalog.domain.ratecard import PriceSpec, select_prices


def p(name, kind, amount, currency="USD", *, interval="month", region=None, segment=None,
      model="standard", props=None, meter=None):
    return PriceSpec(name=name, kind=kind, charge_model=model,
                     properties=props or {"amount": amount}, currency=currency,
                     billing_interval=interval, region=region, segment=segment,
                     meter_code=meter)


CARD = [
    p("Platform", "recurring", "100"),
    p("Platform", "recurring", "1000", interval="year"),
    p("Platform", "recurring", "150", segment="enterprise"),
    p("Platform", "recurring", "90", "EUR"),
    p("Seats", "seat", "10"),
    p("Seats", "seat", "8", region="emea"),
    p("API", "usage", "0.01", meter="api_calls"),
    p("Setup", "one_time", "500"),
]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"seats": 1, "currency": "USD"}, 100_00 + 10_00),
        ({"seats": 3, "currency": "USD"}, 100_00 + 30_00),
        ({"seats": 0, "currency": "USD"}, 100_00),
        ({"seats": 2, "currency": "USD", "segment": "enterprise"}, 150_00 + 20_00),
        ({"seats": 2, "currency": "USD", "region": "emea"}, 100_00 + 16_00),
        # yearly fee 1000 / 12 = 83.333..., seats 10/month -> 93.33 (rounded once)
        ({"seats": 1, "currency": "USD", "interval": "year"}, 93_33),
        ({"seats": 1, "currency": "EUR"}, 90_00),
        ({"seats": 1, "currency": "JPY"}, 0),
    ],
)
def test_subscription_mrr(kwargs, expected):
    assert subscription_mrr_minor(CARD, **kwargs) == expected


def test_yearly_rows_are_rounded_once():
    card = [p("A", "recurring", "100", interval="year"),
            p("B", "recurring", "100", interval="year")]
    # 8.333.. + 8.333.. = 16.666.. -> 16.67 (two separately rounded halves would give 16.66)
    assert subscription_mrr_minor(card, seats=1, currency="USD", interval="year") == 16_67


def test_graduated_seats_use_the_pricing_engine():
    tiers = {"graduated_ranges": [
        {"from_value": 0, "to_value": 5, "per_unit_amount": "10", "flat_amount": "0"},
        {"from_value": 6, "to_value": None, "per_unit_amount": "5", "flat_amount": "0"}]}
    card = [p("Seats", "seat", None, model="graduated", props=tiers)]
    assert subscription_mrr_minor(card, seats=8, currency="USD") == 65_00


def test_select_prices_picks_one_row_per_charge():
    chosen = select_prices(CARD, currency="USD", region="emea", segment="enterprise")
    assert [(c.name, c.properties["amount"]) for c in chosen] == [
        ("Platform", "150"), ("Seats", "8"), ("API", "0.01"), ("Setup", "500")]
    yearly = select_prices(CARD, currency="USD", interval="year")
    assert yearly[0].billing_interval == "year"
