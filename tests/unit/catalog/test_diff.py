"""Diff of two rate cards and the price-decrease measure."""

from decimal import Decimal

import pytest

from console.catalog.domain.diff import diff_rate_cards, price_decrease_pct
from console.catalog.domain.ratecard import EntitlementSpec, PriceSpec


def p(name="API", amount="0.01", currency="USD", *, model="standard", props=None,
      kind="usage", meter="api_calls", minimum=None, region=None):
    return PriceSpec(name=name, kind=kind, charge_model=model,
                     properties=props or {"amount": amount}, currency=currency,
                     meter_code=meter if kind == "usage" else None, minimum_minor=minimum,
                     region=region)


def test_identical_cards_have_no_diff():
    card = [p(), p("Fee", "10", kind="recurring")]
    diff = diff_rate_cards(old_prices=card, new_prices=list(card))
    assert diff.is_empty and diff.summary() == "No changes"
    assert diff.max_decrease_pct == 0


def test_added_removed_changed_and_entitlements():
    old = [p(), p("Fee", "10", kind="recurring"), p("Legacy", "1", kind="recurring")]
    new = [p(amount="0.012"), p("Fee", "10", kind="recurring"),
           p("Fee", "9", currency="EUR", kind="recurring")]
    diff = diff_rate_cards(
        old_prices=old, new_prices=new,
        old_entitlements=[EntitlementSpec("sso"), EntitlementSpec("projects", True, 10)],
        new_entitlements=[EntitlementSpec("projects", True, 20),
                          EntitlementSpec("audit", False)],
    )
    assert [(c.change, c.label) for c in diff.prices] == [
        ("changed", "API (usage: api_calls) · USD"),
        ("added", "Fee (recurring) · EUR"),
        ("removed", "Legacy (recurring) · USD"),
    ]
    assert diff.prices[0].changed_fields == ("properties",)
    assert diff.prices[0].decrease_pct == 0
    assert diff.prices[2].decrease_pct == 100
    assert [(e.change, e.feature_key, e.old and e.old.describe(), e.new and e.new.describe())
            for e in diff.entitlements] == [
        ("added", "audit", None, "off"), ("changed", "projects", "limit 10", "limit 20"),
        ("removed", "sso", "on", None)]
    doc = diff.to_json()
    assert doc["counts"] == {"added": 1, "removed": 1, "changed": 1}
    assert doc["prices"][0]["new"]["properties"] == {"amount": "0.012"}
    assert doc["max_decrease_pct"] == "100.00"


def test_region_rows_are_distinct_and_minimum_changes_are_reported():
    old = [p(), p(amount="0.02", region="emea")]
    new = [p(minimum=500), p(amount="0.02", region="emea")]
    diff = diff_rate_cards(old_prices=old, new_prices=new)
    assert len(diff.prices) == 1 and diff.prices[0].changed_fields == ("minimum_minor",)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (p(amount="0.10"), p(amount="0.09"), Decimal(10)),
        (p(amount="0.10"), p(amount="0.08"), Decimal(20)),
        (p(amount="0.10"), p(amount="0.20"), Decimal(0)),
        (p(amount="0.10"), None, Decimal(100)),
        (p(minimum=1000), p(minimum=500), Decimal(50)),
        # a graduated card cheaper only above 1,000 units: caught at the higher levels
        (p(model="graduated", props={"graduated_ranges": [
            {"from_value": 0, "to_value": 1000, "per_unit_amount": "1"},
            {"from_value": 1001, "to_value": None, "per_unit_amount": "1"}]}),
         p(model="graduated", props={"graduated_ranges": [
             {"from_value": 0, "to_value": 1000, "per_unit_amount": "1"},
             {"from_value": 1001, "to_value": None, "per_unit_amount": "0.5"}]}),
         Decimal("49.95004995004995004995004995004995004995004995004995004995"))
    ],
)
def test_price_decrease_pct(old, new, expected):
    got = price_decrease_pct(old, new)
    assert got.quantize(Decimal("0.0001")) == expected.quantize(Decimal("0.0001"))
