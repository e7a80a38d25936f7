"""Day-based proration of a period's amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from console.money import round_minor

# round_minor rounds at a currency's exponent; a currency with exponent 0 makes it round to
# whole units, which is what an amount already in minor units needs.
_WHOLE_UNITS_CURRENCY = "JPY"


def prorate(
    amount_minor: int,
    *,
    period_start: date,
    period_end: date,
    active_from: date,
    active_to: date,
) -> int:
    """Prorate a period's amount to the days the subscription was active in it.

    Day-based, both ends inclusive: ``amount * billed_days / days_in_period``, where
    ``billed_days`` is the overlap of ``[active_from, active_to]`` with
    ``[period_start, period_end]`` (0 when they do not overlap). The quotient is exact and
    rounded once, half away from zero (half-up for negative amounts too), to a minor unit.

    Args:
        amount_minor: the full period's amount in minor units (may be negative, e.g. a credit).
        period_start: first day of the billing period.
        period_end: last day of the billing period.
        active_from: first day the price applies.
        active_to: last day the price applies.

    Returns:
        The prorated amount in minor units.

    Raises:
        TypeError: if ``amount_minor`` is not an int.
        ValueError: if ``period_end`` is before ``period_start``.
    """
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError(f"amount_minor must be an int, got {type(amount_minor).__name__}")
    if period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
    days_in_period = (period_end - period_start).days + 1
    first, last = max(period_start, active_from), min(period_end, active_to)
    billed_days = max(0, (last - first).days + 1)
    share = Fraction(amount_minor * billed_days, days_in_period)
    # The fraction's distance from a .5 tie is at least 1 / (2 * days_in_period), so a
    # quotient carrying that many more digits than the numerator rounds exactly as the
    # fraction would; an exact tie is represented exactly.
    digits = len(str(abs(share.numerator))) + len(str(share.denominator)) + 10
    with localcontext(prec=digits):
        quotient = Decimal(share.numerator) / Decimal(share.denominator)
    return round_minor(quotient, _WHOLE_UNITS_CURRENCY)
