"""Plan-version documents with Lago-compatible charges."""

import pytest

from console.catalog.domain.lago import (
    DocumentError,
    PlanHeader,
    dumps,
    export_document,
    loads,
    parse_document,
)
from console.catalog.domain.ratecard import EntitlementSpec, PriceSpec

PRICES = (
    PriceSpec(name="Platform fee", kind="recurring", charge_model="standard",
              properties={"amount": "100"}, currency="USD"),
    PriceSpec(name="API calls", kind="usage", charge_model="graduated",
              properties={"graduated_ranges": [
                  {"from_value": 0, "to_value": 10, "per_unit_amount": "0",
                   "flat_amount": "0"},
                  {"from_value": 11, "to_value": None, "per_unit_amount": "0.5",
                   "flat_amount": "1"}]},
              currency="EUR", meter_code="api_calls", region="emea", segment="smb",
              billing_interval="year", pay_in_advance=False, minimum_minor=500,
              commit_minor=1000),
)
ENTS = (EntitlementSpec("sso"), EntitlementSpec("projects", True, 10))
HEADER = PlanHeader("pro", "Pro", "Best plan", "month", "platform")


def test_export_parse_export_is_identical():
    doc = export_document(HEADER, PRICES, ENTS)
    assert doc["charges"][1]["billable_metric_code"] == "api_calls"
    assert doc["charges"][1]["billing_interval"] == "yearly"
    assert doc["plan"]["interval"] == "monthly"
    text = dumps(doc)
    parsed = parse_document(loads(text))
    assert parsed.prices == PRICES
    assert dumps(export_document(parsed.plan, parsed.prices, parsed.entitlements)) == text


def test_fractions_become_decimal_text():
    doc = export_document(HEADER, PRICES[:1], ())
    text = dumps(doc).replace('"100"', "99.5")
    assert parse_document(loads(text)).prices[0].properties == {"amount": "99.5"}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["charges"][0]["properties"].update(amount="-1"),
         "charges[0].properties.amount"),
        (lambda d: d["charges"][1]["properties"]["graduated_ranges"][1].update(from_value=5),
         "charges[1].properties.graduated_ranges[1].from_value"),
        (lambda d: d["charges"][1].update(billable_metric_code=None),
         "charges[1].billable_metric_code"),
        (lambda d: d["charges"][0].update(billable_metric_code="x"),
         "charges[0].billable_metric_code"),
        (lambda d: d["charges"][0].update(amount_currency="XXX"), "charges[0].amount_currency"),
        (lambda d: d["charges"][0].update(region="mars"), "charges[0].region"),
        (lambda d: d["charges"][0].update(charge_model="tiered"), "charges[0].charge_model"),
        (lambda d: d["charges"][0].update(min_amount_cents=1.5), "charges[0].min_amount_cents"),
        (lambda d: d["plan"].pop("code"), "plan.code"),
        (lambda d: d.update(entitlements=[{"feature_code": "a"}, {"feature_code": "a"}]),
         "entitlements[1].feature_code"),
    ],
)
def test_invalid_documents_name_the_field(mutate, field):
    doc = loads(dumps(export_document(HEADER, PRICES, ENTS)))
    mutate(doc)
    with pytest.raises(DocumentError) as info:
        parse_document(doc)
    assert info.value.field == field


def test_not_json():
    with pytest.raises(DocumentError, match="not valid JSON"):
        loads("{nope")
