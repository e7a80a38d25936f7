"""Result statistics per arm: conversion lift and mean (ARPA) differences with 95 % intervals.

Intervals use the normal approximation (Wald for proportions, Welch standard errors for
means), which is adequate at the sample sizes where :func:`minimum_sample_reached` is true.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

#: Two-sided 95 % standard normal quantile.
Z_95 = 1.959963984540054


def _check_count(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got {value!r}")
    return value


def _proportion(name: str, arm: tuple[int, int]) -> tuple[float, int]:
    if len(arm) != 2:
        raise ValueError(f"{name} must be (conversions, customers), got {arm!r}")
    conversions = _check_count(f"{name} conversions", arm[0])
    customers = _check_count(f"{name} customers", arm[1])
    if customers <= 0:
        raise ValueError(f"{name} customers must be positive, got {customers}")
    if not 0 <= conversions <= customers:
        raise ValueError(f"{name} conversions must be in [0, {customers}], got {conversions}")
    return conversions / customers, customers


def conversion_lift(
    control: tuple[int, int], variant: tuple[int, int]
) -> tuple[float, float, float]:
    """Return the variant's conversion rate minus control's, with its 95 % Wald interval.

    Args:
        control: ``(conversions, customers)`` of the control arm.
        variant: ``(conversions, customers)`` of the variant arm.

    Returns:
        ``(difference, lower, upper)`` in absolute rate (0.02 = two percentage points).
        With both rates at 0 or 1 the standard error is 0 and the interval collapses.

    Raises:
        ValueError: if customers is not positive or conversions is outside ``[0, customers]``.
    """
    p_c, n_c = _proportion("control", control)
    p_v, n_v = _proportion("variant", variant)
    diff = p_v - p_c
    se = math.sqrt(p_c * (1 - p_c) / n_c + p_v * (1 - p_v) / n_v)
    return diff, diff - Z_95 * se, diff + Z_95 * se


@dataclass(frozen=True, slots=True)
class SampleStats:
    """Size, mean and sample variance (ddof 1) of one arm's values, e.g. MRR per account.

    Build it with :meth:`from_values`, or directly from a polars ``group_by`` aggregate
    (``pl.len()``, ``mean()``, ``var()``) to compare arms without materializing values.
    """

    n: int
    mean: float
    variance: float

    def __post_init__(self) -> None:
        if self.n < 2:
            raise ValueError(f"an interval needs at least 2 values, got {self.n}")
        if not self.variance >= 0:
            raise ValueError(f"variance must be non-negative, got {self.variance}")

    @classmethod
    def from_values(cls, values: Sequence[int] | Sequence[float] | pl.Series) -> SampleStats:
        """Summarize values (nulls ignored) in polars.

        Raises:
            ValueError: if fewer than 2 non-null values are given.
        """
        series = pl.Series(values, dtype=pl.Float64).drop_nulls()
        if series.len() < 2:
            raise ValueError(f"an interval needs at least 2 values, got {series.len()}")
        return cls(n=series.len(), mean=float(series.mean()), variance=float(series.var()))

    @property
    def standard_error(self) -> float:
        """Standard error of the mean."""
        return math.sqrt(self.variance / self.n)


def _stats(values: Sequence[int] | Sequence[float] | pl.Series | SampleStats) -> SampleStats:
    return values if isinstance(values, SampleStats) else SampleStats.from_values(values)


def mean_interval(
    values: Sequence[int] | Sequence[float] | pl.Series | SampleStats,
) -> tuple[float, float, float]:
    """Return the mean of ``values`` with its 95 % normal-approximation interval.

    Args:
        values: the arm's values (e.g. MRR minor units per account) or their :class:`SampleStats`.

    Returns:
        ``(mean, lower, upper)``.

    Raises:
        ValueError: if fewer than 2 values are given.
    """
    stats = _stats(values)
    half = Z_95 * stats.standard_error
    return stats.mean, stats.mean - half, stats.mean + half


def mean_difference(
    control: Sequence[int] | Sequence[float] | pl.Series | SampleStats,
    variant: Sequence[int] | Sequence[float] | pl.Series | SampleStats,
) -> tuple[float, float, float]:
    """Return variant mean minus control mean with a 95 % Welch (normal) interval, e.g. for ARPA.

    Args:
        control: control arm values or their :class:`SampleStats`.
        variant: variant arm values or their :class:`SampleStats`.

    Returns:
        ``(difference, lower, upper)`` in the values' unit.

    Raises:
        ValueError: if an arm has fewer than 2 values.
    """
    c, v = _stats(control), _stats(variant)
    diff = v.mean - c.mean
    half = Z_95 * math.hypot(c.standard_error, v.standard_error)
    return diff, diff - half, diff + half


def minimum_sample_reached(counts: Mapping[str, int], minimum: int) -> bool:
    """Return whether every arm has at least ``minimum`` customers.

    Args:
        counts: arm name -> customers assigned (or exposed).
        minimum: the pre-registered minimum sample per arm.

    Returns:
        True when there is at least one arm and none is below the minimum.

    Raises:
        ValueError: if ``minimum`` is negative.
    """
    if minimum < 0:
        raise ValueError(f"minimum must not be negative, got {minimum}")
    return bool(counts) and all(count >= minimum for count in counts.values())
