"""Collections rules: aging buckets, the dunning schedule, payment-provider outcomes, promises
to pay and write-offs. Pure Python (no database, no UI, no polars)."""

from console.collections.domain.aging import (
    AGING_BUCKETS,
    aging_bucket,
    bucket_label,
    bucket_thresholds,
    days_past_due,
)
from console.collections.domain.dunning import (
    DEFAULT_CANCEL_AFTER_DAYS,
    DEFAULT_SCHEDULE,
    DunningConfigError,
    DunningStep,
    StepKind,
    after_attempt,
    cancel_after_days,
    cancel_due,
    max_attempts,
    parse_schedule,
    retry_at,
    schedule_or_default,
)
from console.collections.domain.provider import (
    ChargeResult,
    ChargeStatus,
    IdempotencyError,
    PaymentProvider,
    SimulatedProvider,
    simulated_outcome,
)
from console.collections.domain.rules import (
    CollectionsError,
    check_promise,
    check_write_off_decider,
)

__all__ = [
    "AGING_BUCKETS", "DEFAULT_CANCEL_AFTER_DAYS", "DEFAULT_SCHEDULE", "ChargeResult",
    "ChargeStatus", "CollectionsError", "DunningConfigError", "DunningStep", "IdempotencyError",
    "PaymentProvider", "SimulatedProvider", "StepKind", "after_attempt", "aging_bucket",
    "bucket_label", "bucket_thresholds", "cancel_after_days", "cancel_due",
    "check_promise", "check_write_off_decider", "days_past_due", "max_attempts",
    "parse_schedule", "retry_at", "schedule_or_default", "simulated_outcome",
]
