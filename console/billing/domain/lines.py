"""Invoice lines: one rounding per line, tax per line, totals as integer sums.

A :class:`LineDraft` carries a line's amount already rounded once (``amount_minor``, through
:func:`console.money.round_minor` or :func:`console.pricing.prorate`). :func:`finalize` adds
each line's tax, and :func:`totals` adds integers only, so the shown total always equals the
sum of the shown parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from console.billing.domain.tax import line_tax_minor, rate_text
from console.pricing import apply_prepaid_credits


class LineKind:
    """The kinds of invoice line (``invoice_line.kind``)."""

    RECURRING = "recurring"
    SEAT = "seat"
    USAGE = "usage"
    ONE_TIME = "one_time"
    PRORATION_CREDIT = "proration_credit"
    PRORATION_CHARGE = "proration_charge"
    TRUE_UP = "true_up"
    CREDIT = "credit"
    ADJUSTMENT = "adjustment"


#: Line kinds that are never taxed (prepaid credit works like a payment).
UNTAXED_KINDS = frozenset({LineKind.CREDIT})


@dataclass(frozen=True, slots=True)
class LineDraft:
    """One invoice line before tax.

    Attributes:
        kind: see :class:`LineKind`.
        description: what the customer reads.
        amount_minor: the line amount, rounded once.
        quantity: exact decimal quantity as text.
        unit_amount: exact unit price in major units as text.
        breakdown: human-readable rows explaining the amount.
        price_id: the rate-card row behind the line, if any.
        meter_id: the meter behind a usage line, if any.
        usage_from: first usage event behind the line.
        usage_to: last usage event behind the line.
        tax_rate: tax percent as text (set by :func:`finalize`).
        tax_minor: the line's tax, rounded once (set by :func:`finalize`).
    """

    kind: str
    description: str
    amount_minor: int
    quantity: str = "1"
    unit_amount: str = "0"
    breakdown: tuple[str, ...] = field(default_factory=tuple)
    price_id: int | None = None
    meter_id: int | None = None
    usage_from: datetime | None = None
    usage_to: datetime | None = None
    tax_rate: str = "0"
    tax_minor: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise TypeError("amount_minor must be an int (round once with round_minor)")

    @property
    def gross_minor(self) -> int:
        """Amount plus tax."""
        return self.amount_minor + self.tax_minor


@dataclass(frozen=True, slots=True)
class Totals:
    """An invoice's integer totals."""

    subtotal_minor: int
    tax_minor: int
    total_minor: int


def finalize(lines: Sequence[LineDraft], *, tax_rate: str | Decimal | None, currency: str
             ) -> list[LineDraft]:
    """Tax every line on its own (``None`` or ``"0"``: no tax) and return the taxed lines."""
    rate = rate_text(tax_rate if tax_rate is not None else "0")
    out = []
    for line in lines:
        untaxed = line.kind in UNTAXED_KINDS
        out.append(LineDraft(
            kind=line.kind, description=line.description, amount_minor=line.amount_minor,
            quantity=line.quantity, unit_amount=line.unit_amount, breakdown=line.breakdown,
            price_id=line.price_id, meter_id=line.meter_id, usage_from=line.usage_from,
            usage_to=line.usage_to, tax_rate="0" if untaxed else rate,
            tax_minor=0 if untaxed else line_tax_minor(line.amount_minor, rate, currency)))
    return out


def retax(line: LineDraft, currency: str) -> LineDraft:
    """Recompute one line's tax at its own stored rate (after an edit)."""
    if line.kind in UNTAXED_KINDS:
        return replace(line, tax_minor=0)
    return replace(line, tax_minor=line_tax_minor(line.amount_minor, line.tax_rate, currency))


def totals(lines: Sequence[LineDraft]) -> Totals:
    """Integer sums of the lines: subtotal, tax and total (= subtotal + tax)."""
    subtotal = sum(line.amount_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    return Totals(subtotal, tax, subtotal + tax)


def prepaid_credit_line(lines: Sequence[LineDraft], *, credit_balance_minor: int
                        ) -> tuple[LineDraft | None, int]:
    """Draw prepaid credit against the taxed lines, first line first.

    Credit pays lines including their tax (it works like a payment, so it does not lower the
    tax base). Lines with a negative gross amount draw nothing, and the credit applied never
    exceeds the invoice's positive total.

    Args:
        lines: the taxed lines (see :func:`finalize`), without any credit line.
        credit_balance_minor: the customer's prepaid balance.

    Returns:
        ``(credit line or None, remaining balance)``.
    """
    positive_total = max(0, totals(lines).total_minor)
    allocation = apply_prepaid_credits(
        line_amounts_minor=[line.gross_minor for line in lines],
        credit_balance_minor=max(0, credit_balance_minor),
    )
    applied = min(allocation.total_applied_minor, positive_total)
    if applied <= 0:
        return None, credit_balance_minor
    rows = tuple(
        f"{line.description}: {amount}" for line, amount in
        zip(lines, allocation.applied_minor, strict=True) if amount
    )
    line = LineDraft(
        kind=LineKind.CREDIT,
        description="Prepaid credit applied",
        amount_minor=-applied,
        quantity="1",
        unit_amount="0",
        breakdown=("credit applied (minor units) per line:", *rows),
    )
    return line, credit_balance_minor - applied


def quantity_text(value: Decimal | int) -> str:
    """Exact decimal text without exponent or trailing zeros (``Decimal("10.500")`` -> 10.5)."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text == "-0" else text
