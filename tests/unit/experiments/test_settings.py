"""Experiment and rollout settings at the service boundary (no database): guardrail thresholds,
eligibility filters, display text, and the guardrail report's wording."""

import math
from datetime import date
from decimal import Decimal

import pytest

from console.catalog import REGIONS, SEGMENTS
from console.experiments.domain.eligibility import eligibility_text, normalize_eligibility
from console.experiments.domain.formatting import pct, pts
from console.experiments.domain.guardrail_report import GuardrailReport, GuardrailRow
from console.experiments.domain.guardrails import (
    GuardrailBreach,
    audit_safe,
    guardrails_from_form,
    guardrails_text,
    normalize_guardrails,
    thresholds,
)
from console.experiments.domain.inputs import check_key
from console.kernel.errors import InvalidInput


@pytest.mark.parametrize(("raw", "expected"), [
    ({}, {}),
    ({"max_dispute_rate": "0.02"}, {"max_dispute_rate": 0.02}),
    ({"max_churn_delta": 0, "max_support_rate": 1}, {"max_churn_delta": 0.0,
                                                     "max_support_rate": 1.0}),
])
def test_guardrails_are_rates_between_zero_and_one(raw, expected):
    assert normalize_guardrails(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ({"max_vibes": 0.1}, "unknown guardrail"),
    ({"max_dispute_rate": "lots"}, "not a number"),
    ({"max_dispute_rate": -0.01}, "between 0 and 1"),
    ({"max_dispute_rate": 1.5}, "between 0 and 1"),
    ({"max_dispute_rate": float("nan")}, "between 0 and 1"),
])
def test_bad_guardrails_are_refused(raw, message):
    with pytest.raises(InvalidInput, match=message):
        normalize_guardrails(raw)


def test_thresholds_map_settings_to_the_rates_check_guardrails_compares():
    assert thresholds({"max_dispute_rate": 0.02, "max_churn_delta": "0.01", "other": 3}) == {
        "dispute_rate": 0.02, "churn_rate": 0.01}


def test_form_guardrails_are_percentage_points():
    assert guardrails_from_form({"max_dispute_rate": "3", "max_churn_delta": "",
                                 "max_payment_failure_rate": "0.5"}) == {
        "max_dispute_rate": 0.03, "max_payment_failure_rate": 0.005}
    with pytest.raises(InvalidInput):
        guardrails_from_form({"max_dispute_rate": "three"})


def test_eligibility_is_normalized_and_described():
    elig = normalize_eligibility({"segments": ["smb", "smb"], "regions": "emea",
                                  "currencies": ["usd"], "new_customers_only": False},
                                 segments=SEGMENTS, regions=REGIONS)
    assert elig == {"segments": ["smb"], "regions": ["emea"], "currencies": ["USD"],
                    "new_customers_only": False}
    assert eligibility_text(elig) == ("smb · emea · USD · new customers and existing ones at "
                                      "renewal")
    assert eligibility_text({}) == "any segment · any region · any currency · new customers only"
    for bad in ({"segments": ["huge"]}, {"currencies": ["XXX"]}, {"colour": "red"}):
        with pytest.raises(InvalidInput):
            normalize_eligibility(bad, segments=SEGMENTS, regions=REGIONS)


@pytest.mark.parametrize(("key", "ok"), [("team-fee-2027", True), ("a_b", True), ("A", False),
                                          ("-lead", False), ("has space", False),
                                          ("x" * 65, False)])
def test_keys_are_stable_slugs(key, ok):
    if ok:
        assert check_key(f" {key.upper()} ") == key
    else:
        with pytest.raises(InvalidInput):
            check_key(key)


def test_texts_and_audit_values():
    assert guardrails_text({"max_dispute_rate": 0.02, "max_churn_delta": 0.015}) == (
        "Dispute rate +2.0 pts · Churn +1.5 pts")
    assert (pct(0.125), pct(math.nan), pts(-0.012), pts(None)) == ("12.5%", "—", "-1.2 pts",
                                                                   "—")
    assert audit_safe({"a": 0.1, "b": [math.nan, 2], "c": "x"}) == {
        "a": Decimal("0.1"), "b": [None, 2], "c": "x"}
    assert str(audit_safe(0.1)) == "0.1"


def test_the_guardrail_report_tells_the_owner_what_breached():
    breach = GuardrailBreach("dispute_rate", 0.25, 0.05, 0.03)
    rows = (GuardrailRow("dispute_rate", "Dispute rate", 0.25, 0.05, 0.03, True),
            GuardrailRow("churn_rate", "Churn", math.nan, 0.0, None, False))
    report = GuardrailReport(2, date(2026, 11, 21), 8, 12, rows, (breach,))
    assert not report.passed
    assert report.describe() == ("Guardrail breached after stage 2: Dispute rate 25.0% among "
                                 "moved customers vs 5.0% not moved (tolerated rise +3.0 pts).")
    doc = report.to_json()
    assert doc["passed"] is False and doc["dispute_rate"] == 0.25 and doc["churn_rate"] is None
    assert doc["rates"]["churn_rate"] == {"moved": None, "baseline": 0.0, "threshold": None}
    assert (rows[1].moved_text, rows[1].threshold_text) == ("—", "—")
    assert GuardrailReport(1, date(2026, 11, 21), 0, 3, (), ()).describe() == (
        "All guardrails hold.")
