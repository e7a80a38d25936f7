"""Deterministic arm assignment and staged-rollout buckets from a hash of key and customer.

No random state: the same key and customer always give the same answer, on any machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from console.kernel.buckets import BASIS_POINTS, bucket_bp, stable_hash64

__all__ = ["BASIS_POINTS", "assign_arm", "bucket_bp", "in_rollout_stage"]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def assign_arm(experiment_key: str, customer_id: str, weights: Mapping[str, int]) -> str:
    """Return the arm a customer lands in, deterministically and in proportion to weights.

    The first 8 bytes (big-endian) of ``sha256(f"{experiment_key}:{customer_id}")`` modulo
    the weight total pick a slot; arms own consecutive slots in sorted name order, so the
    mapping's order never matters. Arms with weight 0 receive nobody.

    Args:
        experiment_key: the experiment's stable key.
        customer_id: the customer's id.
        weights: arm name -> non-negative integer weight (e.g. ``{"control": 50, "v1": 50}``).

    Returns:
        The arm name.

    Raises:
        ValueError: if there are no arms, a weight is not a non-negative int, or all are 0.
    """
    if not weights:
        raise ValueError("weights must name at least one arm")
    for arm, weight in weights.items():
        if not _is_int(weight) or weight < 0:
            raise ValueError(f"weight of arm {arm!r} must be a non-negative int, got {weight!r}")
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("weights must have a positive sum")
    slot = stable_hash64(experiment_key, customer_id) % total
    for arm in sorted(weights):
        slot -= weights[arm]
        if slot < 0:
            return arm
    raise AssertionError("unreachable: slot is below the weight total")


def in_rollout_stage(rollout_key: str, customer_id: str, percent: Decimal | int) -> bool:
    """Return whether the customer is inside a rollout stage of ``percent`` % of customers.

    A customer is in when its :func:`bucket_bp` is below ``percent * 100``, so stages are
    monotone: everyone in the 10 % stage is also in the 50 % stage of the same key.

    Args:
        rollout_key: the rollout's stable key.
        customer_id: the customer's id.
        percent: the stage size in percent, 0 to 100 (``Decimal("0.5")`` for half a percent).

    Returns:
        True when the customer is in the stage.

    Raises:
        ValueError: if ``percent`` is not an int or Decimal in ``[0, 100]``.
    """
    if not (_is_int(percent) or isinstance(percent, Decimal)):
        raise ValueError(f"percent must be an int or Decimal, got {type(percent).__name__}")
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must be between 0 and 100, got {percent}")
    return bucket_bp(rollout_key, customer_id) < percent * 100
