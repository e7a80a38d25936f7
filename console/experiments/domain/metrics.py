"""The metrics an experiment is judged on, and when its results may name a winner."""

from __future__ import annotations

from collections.abc import Mapping

from console.experiments.domain.stats import minimum_sample_reached

#: Primary metrics an experiment may be judged on, with their labels.
PRIMARY_METRICS: dict[str, str] = {
    "conversion": "Conversion to paid",
    "arpa": "ARPA",
    "expansion": "Expansion",
    "churn": "Churn",
}

#: Metric -> (GroupOutcome count attribute, label); compared as rates with conversion_lift.
RATE_METRICS: dict[str, tuple[str, str]] = {
    "conversion": ("converted", "Conversion to paid"),
    "expansion": ("expanded", "Expansion"),
    "churn": ("churned", "Churn"),
    "dispute_rate": ("disputed", "Dispute rate"),
    "payment_failure_rate": ("payment_failed", "Payment failure rate"),
}


def verdict(*, lower: float, upper: float) -> str:
    """Return what a variant-minus-control 95 % interval says.

    Returns:
        ``higher than control`` when the interval is above 0, ``lower than control`` when it
        is below, ``no clear difference`` when it contains 0.
    """
    if lower > 0:
        return "higher than control"
    if upper < 0:
        return "lower than control"
    return "no clear difference"


def sample_refusal(counts: Mapping[str, int], *, minimum: int) -> str:
    """Return why no winner can be declared yet (empty once every arm has ``minimum``).

    Args:
        counts: arm name -> customers assigned.
        minimum: the pre-registered minimum sample per arm.
    """
    if minimum_sample_reached(counts, minimum):
        return ""
    got = ", ".join(f"{arm} {n}" for arm, n in counts.items())
    return (f"The minimum sample ({minimum} customers per arm) is not reached yet "
            f"({got}); no winner can be declared. Keep it running, or roll it back.")
