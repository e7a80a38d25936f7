"""Tax per invoice line: each line's tax is rounded on its own, and totals are integer sums."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

from console.money import round_minor, to_major

_WIDE = 60


def parse_rate(rate: str | Decimal | int) -> Decimal:
    """Parse a tax rate in percent (``"8.875"``), refusing floats, negatives and junk.

    Raises:
        ValueError: when the rate is not a finite number between 0 and 100.
    """
    if isinstance(rate, float):
        raise ValueError("tax rates are never floats; pass decimal text")
    try:
        value = Decimal(str(rate).strip()) if not isinstance(rate, Decimal) else rate
    except InvalidOperation:
        raise ValueError(f"{rate!r} is not a tax rate") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError(f"tax rate must be between 0 and 100 percent, got {rate!r}")
    return value


def line_tax_minor(amount_minor: int, rate: str | Decimal | int, currency: str) -> int:
    """Tax on one line: ``amount * rate / 100`` rounded once, half-up, at the currency exponent.

    Negative lines (proration credits) get negative tax of the same size as the positive line
    would (half-up rounds away from zero).

    Args:
        amount_minor: the line's amount in minor units.
        rate: the tax rate in percent, e.g. ``"20"`` or ``"8.875"``.
        currency: ISO 4217 code.

    Returns:
        The line's tax in minor units.
    """
    value = parse_rate(rate)
    if not value or not amount_minor:
        return 0
    with localcontext(prec=_WIDE):
        major = to_major(amount_minor, currency) * value / 100
    return round_minor(major, currency)


def rate_text(rate: str | Decimal | int) -> str:
    """A tax rate as stored on a line: plain decimal text without trailing zeros."""
    value = parse_rate(rate)
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text
