"""Billing support load: disputes and billing tickets per 100 active customers."""

from __future__ import annotations

from console.kpis.domain._frames import ratio


def support_load(*, disputes_opened: int, tickets_opened: int, active_customers: int) -> float:
    """Return disputes plus billing tickets opened per 100 active customers.

    Args:
        disputes_opened: disputes opened in the period.
        tickets_opened: billing support tickets opened in the period.
        active_customers: customers active in the period.

    Returns:
        The load, or NaN when there are no active customers.

    Raises:
        ValueError: if a count is negative.
    """
    for name, value in (
        ("disputes_opened", disputes_opened),
        ("tickets_opened", tickets_opened),
        ("active_customers", active_customers),
    ):
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    return ratio(100 * (disputes_opened + tickets_opened), active_customers)
