"""Guardrail checks that pause a rollout when a metric worsens beyond its threshold."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GuardrailBreach:
    """A metric that rose more than its threshold above the baseline."""

    metric: str
    moved: float
    baseline: float
    threshold: float

    @property
    def excess(self) -> float:
        """How far the rise went past the threshold."""
        return self.moved - self.baseline - self.threshold


def check_guardrails(
    moved: Mapping[str, float],
    baseline: Mapping[str, float],
    thresholds: Mapping[str, float],
) -> list[GuardrailBreach]:
    """Return the guardrail metrics of the moved cohort that breach their thresholds.

    A breach is ``moved[m] - baseline[m] > thresholds[m]``: an absolute rise in a rate where
    higher is worse (dispute rate, payment failures, churn). Only metrics in ``thresholds``
    are checked; a NaN rate (no data yet) is not a breach.

    Args:
        moved: metric -> rate among customers moved to the new version.
        baseline: metric -> rate among control (or the pre-rollout baseline).
        thresholds: metric -> largest tolerated rise (non-negative).

    Returns:
        Breaches in ``thresholds`` order; empty when all guardrails hold.

    Raises:
        ValueError: if a threshold is negative or NaN, or a guarded metric is missing from
            ``moved`` or ``baseline``.
    """
    breaches = []
    for metric, threshold in thresholds.items():
        if not threshold >= 0:
            raise ValueError(f"threshold of {metric!r} must be non-negative, got {threshold}")
        missing = [
            name
            for name, rates in (("moved", moved), ("baseline", baseline))
            if metric not in rates
        ]
        if missing:
            raise ValueError(f"guardrail {metric!r} has no value in {' and '.join(missing)}")
        rise = moved[metric] - baseline[metric]
        if not math.isnan(rise) and rise > threshold:
            breaches.append(GuardrailBreach(metric, moved[metric], baseline[metric], threshold))
    return breaches
