"""Experiments and staged rollouts: deterministic assignment, result statistics, lifecycles,
guardrail and eligibility settings, form inputs and how rates read.

Pure: the standard library, polars, ``console.money`` and the kernel's errors and buckets. The
modules are imported directly inside the area; this package re-exports the core rules.
"""

from console.experiments.domain.assignment import (
    BASIS_POINTS,
    assign_arm,
    bucket_bp,
    in_rollout_stage,
)
from console.experiments.domain.guardrails import GuardrailBreach, check_guardrails
from console.experiments.domain.lifecycle import (
    ALLOWED_TRANSITIONS,
    ROLLOUT_TRANSITIONS,
    ExperimentStatus,
    RolloutStatus,
    TransitionError,
    can_transition,
    check_transition,
)
from console.experiments.domain.stats import (
    Z_95,
    SampleStats,
    conversion_lift,
    mean_difference,
    mean_interval,
    minimum_sample_reached,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "BASIS_POINTS",
    "ROLLOUT_TRANSITIONS",
    "Z_95",
    "ExperimentStatus",
    "GuardrailBreach",
    "RolloutStatus",
    "SampleStats",
    "TransitionError",
    "assign_arm",
    "bucket_bp",
    "can_transition",
    "check_guardrails",
    "check_transition",
    "conversion_lift",
    "in_rollout_stage",
    "mean_difference",
    "mean_interval",
    "minimum_sample_reached",
]
