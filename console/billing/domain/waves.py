"""Bill-run waves (pure): which customers a run has released so far.

A customer is released when its stable bucket for the run is below the released share, so
raising the share only ever adds customers (a wave never takes one back).
"""

from __future__ import annotations

from console.kernel.buckets import bucket_bp


def wave_key(bill_run_id: int) -> str:
    """The hash key of a run's waves."""
    return f"billrun:{bill_run_id}"


def released(bill_run_id: int, customer_code: str, percent: int) -> bool:
    """Whether a customer is inside the released share of a run.

    Args:
        bill_run_id: the run.
        customer_code: the customer's stable code.
        percent: the share released, 0-100.

    Returns:
        True when the customer's bucket falls below ``percent`` (in basis points).
    """
    return bucket_bp(wave_key(bill_run_id), customer_code) < percent * 100
