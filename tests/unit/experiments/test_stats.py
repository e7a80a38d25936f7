"""Conversion lift, mean intervals and minimum sample."""

import math

import polars as pl
import pytest

from console.experiments.domain import (
    Z_95,
    SampleStats,
    conversion_lift,
    mean_difference,
    mean_interval,
    minimum_sample_reached,
)


def test_conversion_lift_hand_computed() -> None:
    # control 100/1000 = 0.10, variant 150/1000 = 0.15
    # se = sqrt(0.1*0.9/1000 + 0.15*0.85/1000) = sqrt(0.0002175) = 0.0147479...
    diff, lo, hi = conversion_lift((100, 1000), (150, 1000))
    se = math.sqrt(0.0002175)
    assert diff == pytest.approx(0.05)
    assert lo == pytest.approx(0.05 - 1.959963984540054 * se)
    assert hi == pytest.approx(0.05 + 1.959963984540054 * se)
    assert lo == pytest.approx(0.021095, abs=1e-6)
    assert hi == pytest.approx(0.078905, abs=1e-6)


def test_conversion_lift_unequal_arms_and_negative_difference() -> None:
    diff, lo, hi = conversion_lift((50, 200), (20, 100))
    se = math.sqrt(0.25 * 0.75 / 200 + 0.2 * 0.8 / 100)
    assert diff == pytest.approx(-0.05)
    assert (lo, hi) == pytest.approx((-0.05 - Z_95 * se, -0.05 + Z_95 * se))


def test_conversion_lift_degenerate_rates_collapse_interval() -> None:
    assert conversion_lift((0, 10), (0, 20)) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("control", "variant"),
    [
        ((1, 0), (1, 10)),
        ((0, -5), (1, 10)),
        ((11, 10), (1, 10)),
        ((-1, 10), (1, 10)),
        ((1, 10), (1.5, 10)),
        ((1, 10), (1, 10, 3)),
        ((True, 10), (1, 10)),
    ],
)
def test_conversion_lift_validates(control: tuple, variant: tuple) -> None:
    with pytest.raises(ValueError, match=r"control|variant"):
        conversion_lift(control, variant)


def test_mean_interval_hand_computed() -> None:
    # values 2, 4, 6, 8: mean 5, sample variance 20/3, se = sqrt(20/3/4)
    mean, lo, hi = mean_interval([2, 4, 6, 8])
    half = Z_95 * math.sqrt(20 / 3 / 4)
    assert (mean, lo, hi) == pytest.approx((5.0, 5 - half, 5 + half))


def test_mean_difference_welch() -> None:
    control = [100, 200, 300]  # mean 200, var 10000
    variant = [250, 260, 270, 280]  # mean 265, var 500/3
    diff, lo, hi = mean_difference(control, variant)
    half = Z_95 * math.sqrt(10000 / 3 + (500 / 3) / 4)
    assert (diff, lo, hi) == pytest.approx((65.0, 65 - half, 65 + half))


def test_mean_difference_from_aggregated_stats_matches_values() -> None:
    df = pl.DataFrame(
        {"arm": ["c", "c", "c", "v", "v", "v", "v"], "arpa": [100, 200, 300, 250, 260, 270, 280]}
    )
    agg = df.group_by("arm").agg(n=pl.len(), mean=pl.col("arpa").mean(), var=pl.col("arpa").var())
    stats = {r["arm"]: SampleStats(r["n"], r["mean"], r["var"]) for r in agg.iter_rows(named=True)}
    expected = mean_difference([100, 200, 300], pl.Series([250, 260, 270, 280]))
    assert mean_difference(stats["c"], stats["v"]) == pytest.approx(expected)


@pytest.mark.parametrize("values", [[], [5], [None, 3]])
def test_mean_interval_needs_two_values(values: list) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        mean_interval(values)


def test_sample_stats_validation() -> None:
    with pytest.raises(ValueError, match="variance"):
        SampleStats(n=10, mean=1.0, variance=-1.0)
    with pytest.raises(ValueError, match="at least 2"):
        SampleStats(n=1, mean=1.0, variance=0.0)


@pytest.mark.parametrize(
    ("counts", "minimum", "expected"),
    [
        ({"control": 500, "v1": 500}, 500, True),
        ({"control": 500, "v1": 499}, 500, False),
        ({"control": 10}, 0, True),
        ({}, 0, False),
    ],
)
def test_minimum_sample_reached(counts: dict, minimum: int, expected: bool) -> None:
    assert minimum_sample_reached(counts, minimum) is expected


def test_minimum_sample_rejects_negative_minimum() -> None:
    with pytest.raises(ValueError, match="minimum"):
        minimum_sample_reached({"a": 1}, -1)
