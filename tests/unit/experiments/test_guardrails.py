"""Guardrail breaches."""

import math

import pytest

from console.experiments.domain import GuardrailBreach, check_guardrails

BASELINE = {"dispute_rate": 0.010, "payment_failure_rate": 0.030, "churn": 0.020}
THRESHOLDS = {"dispute_rate": 0.005, "payment_failure_rate": 0.010, "churn": 0.010}


def test_no_breach_within_thresholds() -> None:
    moved = {"dispute_rate": 0.014, "payment_failure_rate": 0.020, "churn": 0.030}
    assert check_guardrails(moved, BASELINE, THRESHOLDS) == []


def test_breaches_are_reported_in_threshold_order() -> None:
    moved = {"dispute_rate": 0.020, "payment_failure_rate": 0.035, "churn": 0.040}
    got = check_guardrails(moved, BASELINE, THRESHOLDS)
    assert got == [
        GuardrailBreach("dispute_rate", 0.020, 0.010, 0.005),
        GuardrailBreach("churn", 0.040, 0.020, 0.010),
    ]
    assert got[0].excess == pytest.approx(0.005)


def test_equal_to_threshold_is_not_a_breach() -> None:
    assert check_guardrails({"x": 0.5}, {"x": 0.25}, {"x": 0.25}) == []


def test_improvement_is_never_a_breach() -> None:
    assert check_guardrails({"x": 0.0}, {"x": 0.9}, {"x": 0.0}) == []


def test_unguarded_metrics_are_ignored() -> None:
    assert check_guardrails({"x": 1.0, "y": 1.0}, {"x": 0.0, "y": 0.0}, {"y": 2.0}) == []


def test_nan_is_not_a_breach() -> None:
    assert check_guardrails({"x": math.nan}, {"x": 0.1}, {"x": 0.0}) == []


def test_missing_metric_is_rejected() -> None:
    with pytest.raises(ValueError, match="baseline"):
        check_guardrails({"x": 0.1}, {}, {"x": 0.0})


@pytest.mark.parametrize("threshold", [-0.1, math.nan])
def test_bad_threshold_is_rejected(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        check_guardrails({"x": 0.1}, {"x": 0.1}, {"x": threshold})


def test_breach_is_frozen() -> None:
    breach = GuardrailBreach("x", 1.0, 0.0, 0.5)
    with pytest.raises(AttributeError):
        breach.metric = "y"  # type: ignore[misc]
