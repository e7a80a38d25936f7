"""What a dispute may name: an invoice in a disputable status, its lines and the amount
disputed on each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Invoice statuses a dispute may name: invoices the customer was sent (not drafts or void).
DISPUTABLE_INVOICE_STATUSES: tuple[str, ...] = ("issued", "paid", "uncollectible")


class DisputeLineError(ValueError):
    """A disputed amount is not valid (message for the user)."""


@dataclass(frozen=True, slots=True)
class DisputedLine:
    """An invoice line that may be disputed.

    Attributes:
        line_id: the invoice line.
        description: for messages.
        amount_minor: the line's amount before tax.
    """

    line_id: int
    description: str
    amount_minor: int


def validate_lines(lines: Sequence[DisputedLine], requested: Mapping[int, int]
                   ) -> dict[int, int]:
    """Check the disputed amounts per line.

    Each amount must be a positive whole number of minor units, at most the line's amount,
    on a line of the invoice. Zero amounts are dropped; at least one line must remain.

    Returns:
        line id -> disputed minor units.

    Raises:
        DisputeLineError: naming the first line that breaks a rule.
    """
    by_id = {x.line_id: x for x in lines}
    out: dict[int, int] = {}
    for line_id, amount in requested.items():
        line = by_id.get(line_id)
        if line is None:
            raise DisputeLineError(f"Line {line_id} is not on this invoice.")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise DisputeLineError(f"{line.description}: the amount must be a whole number "
                                   "of minor units.")
        if amount < 0:
            raise DisputeLineError(f"{line.description}: the disputed amount cannot be "
                                   "negative.")
        if amount == 0:
            continue
        if line.amount_minor <= 0:
            raise DisputeLineError(f"{line.description}: a credit line cannot be disputed.")
        if amount > line.amount_minor:
            raise DisputeLineError(f"{line.description}: the disputed amount is more than "
                                   "the line's amount.")
        out[line_id] = amount
    if not out:
        raise DisputeLineError("Choose at least one line and the amount you dispute on it.")
    return out
