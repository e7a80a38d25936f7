"""Commitments: minimum-spend true-ups and prepaid credits, in integer minor units.

All amounts are integer minor units of one currency; nothing here rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CreditAllocation:
    """Prepaid credit applied across invoice lines, in line order.

    Attributes:
        applied_minor: credit applied to each line.
        due_minor: what is still to charge on each line after the credit.
        remaining_credit_minor: credit left on the balance afterwards.
    """

    applied_minor: tuple[int, ...]
    due_minor: tuple[int, ...]
    remaining_credit_minor: int

    @property
    def total_applied_minor(self) -> int:
        """Credit applied over all lines."""
        return sum(self.applied_minor)


def true_up(*, charged_minor: int, minimum_minor: int) -> int:
    """Return the true-up line that lifts a period's charges to the committed minimum.

    Args:
        charged_minor: what the period's charges came to.
        minimum_minor: the committed minimum spend (not negative).

    Returns:
        ``max(0, minimum - charged)``: 0 when the minimum is already met.

    Raises:
        TypeError: if an amount is not an int.
        ValueError: if the minimum is negative.
    """
    _require_int(charged_minor=charged_minor, minimum_minor=minimum_minor)
    if minimum_minor < 0:
        raise ValueError(f"minimum_minor must not be negative (got {minimum_minor})")
    return max(0, minimum_minor - charged_minor)


def draw_down_credits(*, charge_minor: int, credit_balance_minor: int) -> tuple[int, int]:
    """Pay a charge from a prepaid credit balance as far as the balance goes.

    A zero or negative charge (a refund line) draws nothing and adds nothing to the balance.

    Args:
        charge_minor: the charge to pay.
        credit_balance_minor: prepaid credit available (not negative).

    Returns:
        ``(amount still to charge, remaining credit balance)``.

    Raises:
        TypeError: if an amount is not an int.
        ValueError: if the credit balance is negative.
    """
    _require_int(charge_minor=charge_minor, credit_balance_minor=credit_balance_minor)
    if credit_balance_minor < 0:
        raise ValueError(f"credit_balance_minor must not be negative (got {credit_balance_minor})")
    applied = min(max(charge_minor, 0), credit_balance_minor)
    return charge_minor - applied, credit_balance_minor - applied


def apply_prepaid_credits(
    *, line_amounts_minor: Sequence[int], credit_balance_minor: int
) -> CreditAllocation:
    """Apply a prepaid credit balance across invoice lines, first line first.

    Args:
        line_amounts_minor: the lines' amounts, in the order credit is applied.
        credit_balance_minor: prepaid credit available (not negative).

    Returns:
        The credit applied to and still due on each line, and the balance left.

    Raises:
        TypeError: if an amount is not an int.
        ValueError: if the credit balance is negative.
    """
    applied: list[int] = []
    due: list[int] = []
    balance = credit_balance_minor
    for line in line_amounts_minor:
        still_due, left = draw_down_credits(charge_minor=line, credit_balance_minor=balance)
        applied.append(balance - left)
        due.append(still_due)
        balance = left
    if not line_amounts_minor:
        draw_down_credits(charge_minor=0, credit_balance_minor=balance)  # same argument checks
    return CreditAllocation(
        applied_minor=tuple(applied), due_minor=tuple(due), remaining_credit_minor=balance
    )


def _require_int(**amounts: int) -> None:
    for name, value in amounts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
