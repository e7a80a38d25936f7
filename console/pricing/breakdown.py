"""Line-by-line explanation of a charge, for invoices and the rate-card editor preview.

Every row holds ``amount == units * unit_amount + flat_amount`` exactly, and the rows' amounts
add up exactly to :func:`console.pricing.rate`. Labels show amounts at the currency's exponent
(through :func:`console.money.round_minor`, display only) and unit prices with at least that
many decimals but never fewer than they have, so a 0.0015 price is not shown as 0.00.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from console.money import exponent, round_minor, to_major
from console.pricing.exact import ZERO, exact
from console.pricing.models import (
    graduated_split,
    package_count,
    percentage_outcome,
    volume_tier,
)
from console.pricing.properties import (
    VOLUME,
    PackageProperties,
    PercentageProperties,
    StandardProperties,
    Tier,
    TieredProperties,
    parse_event_units,
    parse_properties,
    parse_units,
)


@dataclass(frozen=True, slots=True)
class RangeCharge:
    """One row of a charge's breakdown.

    Attributes:
        label: human-readable row, e.g. ``"units 11-20 at 5.00 = 50.00"``.
        units: units priced in this row (for package: started packages; for a percentage
            fixed-fee row: paid events; for a percentage row: the amount the rate applies to).
        unit_amount: price of one of those units (for a percentage row: ``rate / 100``).
        flat_amount: flat fee (or per-transaction min/max adjustment) in this row.
        amount: ``units * unit_amount + flat_amount``, unrounded.
    """

    label: str
    units: Decimal
    unit_amount: Decimal
    flat_amount: Decimal
    amount: Decimal


def breakdown(
    model: str,
    properties: Mapping[str, Any],
    units: Decimal,
    *,
    event_units: Sequence[Decimal] | None = None,
    currency: str,
) -> list[RangeCharge]:
    """Explain :func:`console.pricing.rate` row by row.

    Args:
        model: one of :data:`console.pricing.CHARGE_MODELS`.
        properties: the model's properties in Lago's schema.
        units: the period's aggregated units (for percentage: the total amount transacted).
        event_units: percentage only: each event's amount (see :func:`console.pricing.rate`).
        currency: ISO 4217 code, used to format the labels.

    Returns:
        The rows, whose amounts add up exactly to the rated charge.

    Raises:
        PricingValidationError: if the properties or units are not valid.
        TypeError: if ``units`` is not a Decimal or int.
    """
    exponent(currency)  # unknown currency fails before any work
    amount = parse_units(units)
    parsed = parse_properties(model, properties)
    if isinstance(parsed, StandardProperties):
        return [_row(f"units {_num(amount)}", amount, parsed.amount, ZERO, currency)]
    if isinstance(parsed, PackageProperties):
        return [_package_row(parsed, amount, currency)]
    if isinstance(parsed, PercentageProperties):
        return _percentage_rows(parsed, parse_event_units(event_units, amount), currency)
    if model == VOLUME:
        tier = volume_tier(parsed, amount)
        head = f"units {_num(amount)} (range {_range_text(tier)})"
        return [_row(head, amount, tier.unit_amount, tier.flat_amount, currency, tier.rate)]
    return _graduated_rows(parsed, amount, currency)


def _graduated_rows(parsed: TieredProperties, units: Decimal, currency: str) -> list[RangeCharge]:
    rows = []
    for tier, units_in in graduated_split(parsed, units):
        if tier.to_value is not None and units >= tier.to_value:
            start, end = tier.from_value, tier.to_value
        else:
            # A fractional total just past an integer boundary (10.5 with 0-10, 11-20)
            # sits below the range's from_value: show it from the previous to_value.
            start, end = (tier.from_value if units >= tier.from_value else tier.lower), units
        span = _num(start) if start == end else f"{_num(start)}-{_num(end)}"
        rows.append(
            _row(f"units {span}", units_in, tier.unit_amount, tier.flat_amount, currency, tier.rate)
        )
    return rows


def _package_row(parsed: PackageProperties, units: Decimal, currency: str) -> RangeCharge:
    count = package_count(parsed, units)
    free = f" - {_num(parsed.free_units)} free" if parsed.free_units else ""
    noun = "package" if count == 1 else "packages"
    head = f"units {_num(units)}{free} = {_num(count)} {noun} of {_num(parsed.package_size)}"
    return _row(head, count, parsed.amount, ZERO, currency)


def _percentage_rows(
    parsed: PercentageProperties, events: Sequence[Decimal], currency: str
) -> list[RangeCharge]:
    outcome = percentage_outcome(parsed, events)
    rows = []
    if outcome.free_units or outcome.free_events:
        label = (
            f"free {_num(outcome.free_units)} over {outcome.free_events} "
            f"{'event' if outcome.free_events == 1 else 'events'} = {_money(ZERO, currency)}"
        )
        rows.append(RangeCharge(label, outcome.free_units, ZERO, ZERO, ZERO))
    with exact():
        percent = parsed.rate.scaleb(-2)
    rows.append(
        RangeCharge(
            label=f"{_num(parsed.rate)}% of {_num(outcome.paid_units)} = "
            f"{_money(outcome.rate_amount, currency)}",
            units=outcome.paid_units,
            unit_amount=percent,
            flat_amount=ZERO,
            amount=outcome.rate_amount,
        )
    )
    if parsed.fixed_amount:
        events_text = f"{outcome.paid_events} {'event' if outcome.paid_events == 1 else 'events'}"
        rows.append(
            RangeCharge(
                label=f"{events_text} at {_price(parsed.fixed_amount, currency)} fixed = "
                f"{_money(outcome.fixed_amount, currency)}",
                units=Decimal(outcome.paid_events),
                unit_amount=parsed.fixed_amount,
                flat_amount=ZERO,
                amount=outcome.fixed_amount,
            )
        )
    adjustment = outcome.min_max_adjustment
    if parsed.has_min_max and adjustment:
        rows.append(
            RangeCharge(
                label=f"per-transaction min/max adjustment = {_money(adjustment, currency)}",
                units=ZERO,
                unit_amount=ZERO,
                flat_amount=adjustment,
                amount=adjustment,
            )
        )
    return rows


def _row(
    head: str,
    units: Decimal,
    unit_amount: Decimal,
    flat_amount: Decimal,
    currency: str,
    rate: Decimal | None = None,
) -> RangeCharge:
    with exact():
        amount = units * unit_amount + flat_amount
    price = f"{_num(rate)}%" if rate is not None else _price(unit_amount, currency)
    flat = f" + flat {_money(flat_amount, currency)}" if flat_amount else ""
    label = f"{head} at {price}{flat} = {_money(amount, currency)}"
    return RangeCharge(label, units, unit_amount, flat_amount, amount)


def _range_text(tier: Tier) -> str:
    if tier.to_value is None:
        return f"{_num(tier.from_value)}+"
    return f"{_num(tier.from_value)}-{_num(tier.to_value)}"


def _num(value: Decimal) -> str:
    """Units without trailing zeros or exponent notation (``10.500`` -> ``10.5``)."""
    with exact():
        text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _money(amount: Decimal, currency: str) -> str:
    """An amount at the currency's exponent, half-up (``12.345`` USD -> ``12.35``)."""
    exp = exponent(currency)
    return f"{to_major(round_minor(amount, currency), currency):.{exp}f}"


def _price(amount: Decimal, currency: str) -> str:
    """A unit price padded to the currency's exponent, keeping any further decimals."""
    exp = exponent(currency)
    text = _num(amount)
    decimals = len(text.partition(".")[2])
    return text if decimals >= exp else f"{amount:.{exp}f}"
