"""Credit-note caps: never more than a line's remaining amount nor the invoice's balance.

Tax is credited in proportion to the amount credited on each line and rounded per line; the
last credit that empties a line gives back exactly the line's remaining tax, so crediting a
line in several steps never returns more (or less) tax than the line carried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from console.money import format_minor, round_minor, to_major


class CreditNoteError(ValueError):
    """A requested credit breaks a cap or names an unknown line (message for the user)."""


@dataclass(frozen=True, slots=True)
class CreditableLine:
    """An invoice line and what earlier credit notes already gave back on it.

    Attributes:
        line_id: the invoice line.
        description: for messages.
        amount_minor: the line's amount.
        tax_minor: the line's tax.
        credited_amount_minor: amount already credited (issued or pending notes).
        credited_tax_minor: tax already credited.
    """

    line_id: int
    description: str
    amount_minor: int
    tax_minor: int
    credited_amount_minor: int = 0
    credited_tax_minor: int = 0

    @property
    def remaining_minor(self) -> int:
        """Amount still creditable (0 for negative lines such as proration credits)."""
        return max(0, self.amount_minor - self.credited_amount_minor)


@dataclass(frozen=True, slots=True)
class CreditLine:
    """The part of one line a credit note gives back."""

    line_id: int
    amount_minor: int
    tax_minor: int


@dataclass(frozen=True, slots=True)
class CreditPlan:
    """A validated credit: its lines and integer totals."""

    lines: tuple[CreditLine, ...]
    amount_minor: int
    tax_minor: int

    @property
    def total_minor(self) -> int:
        """Amount plus tax."""
        return self.amount_minor + self.tax_minor


def credit_tax_minor(line: CreditableLine, amount_minor: int, currency: str) -> int:
    """Tax given back when ``amount_minor`` of ``line`` is credited (rounded once)."""
    tax_left = line.tax_minor - line.credited_tax_minor
    if amount_minor >= line.remaining_minor:
        return tax_left
    if not line.amount_minor or not line.tax_minor:
        return 0
    with localcontext(prec=60):
        share = to_major(line.tax_minor, currency) * Decimal(amount_minor) / line.amount_minor
    return max(0, min(round_minor(share, currency), tax_left))


def plan_credit(
    *,
    lines: Sequence[CreditableLine],
    requested: Mapping[int, int] | None,
    full: bool,
    invoice_remaining_minor: int,
    currency: str,
) -> CreditPlan:
    """Validate a credit by line (or a full credit) against every cap.

    Args:
        lines: the invoice's lines with what was already credited on each.
        requested: invoice line id -> amount (minor units, before tax) to credit.
        full: credit everything still creditable, line by line, up to the invoice balance
            (when the balance stops it inside a line, that line's tax may take the last
            minor unit of rounding so the invoice settles exactly).
        invoice_remaining_minor: the invoice total minus what was already credited (and
            reserved by pending credit notes).
        currency: the invoice currency.

    Returns:
        The credit plan.

    Raises:
        CreditNoteError: naming the cap that is broken.
    """
    if invoice_remaining_minor <= 0:
        raise CreditNoteError("This invoice has nothing left to credit.")
    by_id = {line.line_id: line for line in lines}
    out: list[CreditLine] = []
    if full:
        room = invoice_remaining_minor
        for line in lines:
            if room <= 0:
                break
            amount = line.remaining_minor
            if amount <= 0:
                continue
            tax = credit_tax_minor(line, amount, currency)
            if amount + tax > room:
                amount = _fit(line, room)
                tax = credit_tax_minor(line, amount, currency)
                while amount > 0 and amount + tax > room:
                    amount -= 1
                    tax = credit_tax_minor(line, amount, currency)
                # Rounding can leave one minor unit of the balance: the tax takes it (never
                # beyond the line's tax), so a full credit settles the invoice exactly.
                residue = room - amount - tax
                if amount > 0 and residue == 1 and tax + 1 <= line.tax_minor - \
                        line.credited_tax_minor:
                    tax += 1
            if amount > 0:
                out.append(CreditLine(line.line_id, amount, tax))
                room -= amount + tax
    else:
        if not requested:
            raise CreditNoteError("Choose at least one line and an amount to credit.")
        for line_id, amount in requested.items():
            line = by_id.get(line_id)
            if line is None:
                raise CreditNoteError(f"Line {line_id} is not on this invoice.")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise CreditNoteError(f"The credit on '{line.description}' must be a positive "
                                      "amount.")
            if amount > line.remaining_minor:
                raise CreditNoteError(
                    f"'{line.description}' has only "
                    f"{format_minor(line.remaining_minor, currency)} left to credit; "
                    f"{format_minor(amount, currency)} was asked.")
            out.append(CreditLine(line_id, amount, credit_tax_minor(line, amount, currency)))
    if not out:
        raise CreditNoteError("Nothing on this invoice is left to credit.")
    plan = CreditPlan(tuple(out), sum(c.amount_minor for c in out),
                      sum(c.tax_minor for c in out))
    if plan.total_minor > invoice_remaining_minor:
        raise CreditNoteError(
            f"A credit of {format_minor(plan.total_minor, currency)} (tax included) is more than "
            f"the invoice's remaining balance of "
            f"{format_minor(invoice_remaining_minor, currency)}.")
    return plan


def _fit(line: CreditableLine, room: int) -> int:
    """The largest amount whose amount + proportional tax is about ``room`` (then adjusted)."""
    if line.amount_minor <= 0:
        return 0
    gross = line.amount_minor + line.tax_minor
    if gross <= 0:
        return min(room, line.remaining_minor)
    return min(line.remaining_minor, room * line.amount_minor // gross)
