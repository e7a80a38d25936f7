"""Review flags: each rule, table-driven, and the policy thresholds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.billing.domain.anomalies import AnomalyPolicy, InvoiceFacts, flag_invoice

D = Decimal


def codes(facts: InvoiceFacts, policy: AnomalyPolicy | None = None) -> list[str]:
    return [f.code for f in flag_invoice(facts, policy)]


@pytest.mark.parametrize(
    ("total", "previous", "expected"),
    [
        (13001, [10000], ["change_vs_previous"]),  # +30.01 %: above 30 %
        (13000, [10000], []),  # +30 % exactly: not above the limit
        (7000, [10000], []),  # -30 % exactly: not above the limit
        (6999, [10000], ["change_vs_previous"]),
        (100, [0], ["change_vs_previous"]),  # anything from zero
        (10000, [], []),  # no history, no change rule
        (15000, [10000, 10000, 10000], ["change_vs_previous", "change_vs_median"]),
        (10500, [20000, 10000, 10000], ["change_vs_previous"]),  # median 10000: +5 %
        (10500, [10000, 20000, 30000], ["change_vs_median"]),  # median 20000: -47.5 %
        (10000, [10000, 10000], []),  # two periods: no median rule yet
    ],
)
def test_total_change_rules(total: int, previous: list[int], expected: list[str]) -> None:
    assert codes(InvoiceFacts(total_minor=total, previous_totals_minor=previous)) == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [(0, ["zero_total"]), (-1, ["negative_total"]), (1, [])],
)
def test_zero_and_negative_totals(total: int, expected: list[str]) -> None:
    assert codes(InvoiceFacts(total_minor=total)) == expected


@pytest.mark.parametrize(
    ("units", "average", "factor", "expected"),
    [
        (D(301), D(100), None, ["usage_spike"]),
        (D(300), D(100), None, []),  # exactly 3x is not more than 3x
        (D(250), D(100), 2, ["usage_spike"]),
        (D(1000), D(0), None, []),  # no trailing usage: no baseline
        (D("0.31"), D("0.1"), None, ["usage_spike"]),
    ],
)
def test_usage_spike(units: Decimal, average: Decimal, factor: int | None,
                     expected: list[str]) -> None:
    policy = AnomalyPolicy.from_setting({"spike_factor": factor} if factor else None)
    facts = InvoiceFacts(total_minor=100, meter_units={"API calls": units},
                         trailing_average_units={"API calls": average})
    assert codes(facts, policy) == expected


def test_other_flags_and_order() -> None:
    facts = InvoiceFacts(total_minor=0, first_on_version=True, missing_tax=True,
                         missing_prices=["Seats"], previous_totals_minor=[5000])
    assert codes(facts) == ["change_vs_previous", "zero_total", "first_on_version",
                            "missing_tax", "missing_price"]
    detail = {f.code: f.detail for f in flag_invoice(facts)}
    assert "Seats" in detail["missing_price"]


@pytest.mark.parametrize(
    ("setting", "pct", "factor"),
    [
        (None, D(30), D(3)),
        ({"change_pct": 50, "spike_factor": "2.5"}, D(50), D("2.5")),
        ({"change_pct": -1, "spike_factor": "x"}, D(30), D(3)),  # bad values: defaults
        ({"change_pct": True}, D(30), D(3)),
    ],
)
def test_policy_from_setting(setting: dict | None, pct: Decimal, factor: Decimal) -> None:
    policy = AnomalyPolicy.from_setting(setting)
    assert (policy.change_pct, policy.spike_factor) == (pct, factor)


def test_change_threshold_comes_from_policy() -> None:
    facts = InvoiceFacts(total_minor=14000, previous_totals_minor=[10000])
    assert codes(facts) == ["change_vs_previous"]
    assert codes(facts, AnomalyPolicy.from_setting({"change_pct": 50})) == []
