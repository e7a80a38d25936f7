"""Charge models: the unrounded charge, in major units, for a period's aggregated units.

Every model follows Lago's charge-model schema (see :mod:`console.pricing.properties` for the
range rule). Results are unrounded Decimals; rounding happens once per invoice line with
:func:`console.money.round_minor`.

Where this engine knowingly differs from Lago:

* graduated, graduated_percentage and volume charge the first range's flat fee even at zero
  units (Lago charges nothing at zero); the console's domain rules ask for the flat fee.
* units must not be negative.
* percentage: see :func:`percentage_outcome` for how free units and per-transaction limits
  combine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from console.pricing.exact import ZERO, exact
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


def rate(
    model: str,
    properties: Mapping[str, Any],
    units: Decimal,
    *,
    event_units: Sequence[Decimal] | None = None,
) -> Decimal:
    """Return the unrounded charge in major units for a period's aggregated units.

    Args:
        model: one of :data:`console.pricing.CHARGE_MODELS`.
        properties: the model's properties in Lago's schema (amounts as decimal strings).
        units: the period's aggregated units (for percentage: the total amount transacted).
        event_units: percentage only: each event's amount, in order, adding up to ``units``;
            ``None`` means one event of ``units`` (no event at all when ``units`` is zero).
            Other models ignore it.

    Returns:
        The charge as an unrounded Decimal.

    Raises:
        PricingValidationError: if the properties or units are not valid.
        TypeError: if ``units`` (or an event) is not a Decimal or int, e.g. a float.
    """
    return _rate_parsed(model, parse_properties(model, properties), parse_units(units),
                        event_units)


def rate_many(model: str, properties: Mapping[str, Any], units: Sequence[Decimal]
              ) -> list[Decimal]:
    """Rate many unit totals under one price, parsing its properties once.

    Same results as ``[rate(model, properties, u) for u in units]`` (one event per total for
    percentage models), for simulations that rate thousands of totals per price.
    """
    parsed = parse_properties(model, properties)
    return [_rate_parsed(model, parsed, parse_units(u), None) for u in units]


def _rate_parsed(model: str, parsed: Any, amount: Decimal,
                 event_units: Sequence[Decimal] | None) -> Decimal:
    with exact():
        if isinstance(parsed, StandardProperties):
            return amount * parsed.amount
        if isinstance(parsed, PackageProperties):
            return package_count(parsed, amount) * parsed.amount
        if isinstance(parsed, PercentageProperties):
            events = parse_event_units(event_units, amount)
            return percentage_outcome(parsed, events).total
        if model == VOLUME:
            tier = volume_tier(parsed, amount)
            return amount * tier.unit_amount + tier.flat_amount
        split = graduated_split(parsed, amount)
        return sum((n * tier.unit_amount + tier.flat_amount for tier, n in split), ZERO)


def graduated_split(properties: TieredProperties, units: Decimal) -> list[tuple[Tier, Decimal]]:
    """Split ``units`` over the ranges they enter, for graduated pricing.

    The first range is always entered (so its flat fee always applies); range ``i > 0`` is
    entered when ``units`` exceeds its lower bound, the previous range's ``to_value``. The
    units inside a range are ``min(units, to_value) - lower``: with Lago's integer ranges
    0-10 and 11-20, 15 units are 10 in the first and 5 in the second; with adjacent decimal
    ranges 0-0.1 and 0.1-1, 0.5 units are 0.1 and 0.4.

    Returns:
        ``(range, units inside it)`` for every entered range, in order.
    """
    split: list[tuple[Tier, Decimal]] = []
    for tier in properties.tiers:
        if split and units <= tier.lower:
            break
        top = units if tier.to_value is None else min(units, tier.to_value)
        split.append((tier, top - tier.lower))
    return split


def volume_tier(properties: TieredProperties, units: Decimal) -> Tier:
    """Return the range the total falls in, for volume pricing.

    A range holds the totals above the previous range's ``to_value`` up to its own, so a
    fractional total just past a boundary (10.5 with ranges 0-10, 11-20) falls in the range
    above, and zero falls in the first range.
    """
    for tier in properties.tiers:
        if tier.to_value is None or units <= tier.to_value:
            return tier
    raise AssertionError("validated ranges end with an open range")  # pragma: no cover


def package_count(properties: PackageProperties, units: Decimal) -> Decimal:
    """Return the number of started packages billed after the free units (never negative)."""
    billed = units - properties.free_units
    if billed <= 0:
        return ZERO
    whole, rest = divmod(billed, properties.package_size)
    return whole + (1 if rest else 0)


@dataclass(frozen=True, slots=True)
class PercentageOutcome:
    """How a percentage charge came about, for the total and its breakdown.

    Attributes:
        free_units: amount transacted that was free.
        free_events: events that were entirely free (no percentage, no fixed fee).
        paid_units: amount transacted that the rate applies to.
        paid_events: events charged the fixed fee.
        rate_amount: ``paid_units * rate / 100``.
        fixed_amount: ``paid_events * fixed_amount``.
        total: the charge, after per-transaction minimum and maximum.
    """

    free_units: Decimal
    free_events: int
    paid_units: Decimal
    paid_events: int
    rate_amount: Decimal
    fixed_amount: Decimal
    total: Decimal

    @property
    def min_max_adjustment(self) -> Decimal:
        """What the per-transaction minimum and maximum added (or removed)."""
        return self.total - self.rate_amount - self.fixed_amount


def percentage_outcome(
    properties: PercentageProperties, events: Sequence[Decimal]
) -> PercentageOutcome:
    """Walk the period's events in order and price them with the percentage model.

    Semantics (Lago's, made consistent where its two code paths disagree):

    * A period whose events add up to zero costs nothing (Lago: no fixed fee at zero units).
    * Free allowance: while it lasts, events are free. It lasts for the first
      ``free_units_per_events`` events and for the first ``free_units_per_total_aggregation``
      of amount, whichever runs out first when both are set ("the first 3 events or $500").
    * An event that the remaining free amount does not strictly exceed uses it up: only its
      excess is charged the rate, but it pays the fixed fee (as in Lago, an event that uses
      up the free amount exactly still pays the fixed fee).
    * Each charged event costs ``value * rate / 100 + fixed_amount``, then is raised to
      ``per_transaction_min_amount`` or lowered to ``per_transaction_max_amount``; free events
      are not raised to the minimum.

    Args:
        properties: parsed percentage properties.
        events: each event's amount, in order.

    Returns:
        The outcome; ``total`` is the charge.
    """
    with exact():
        if not sum(events, ZERO):
            return PercentageOutcome(ZERO, 0, ZERO, 0, ZERO, ZERO, ZERO)
        percent = properties.rate.scaleb(-2)
        events_left = properties.free_units_per_events
        amount_left = properties.free_units_per_total_aggregation
        in_allowance = events_left is not None or amount_left is not None
        free_units, free_events, paid_units, paid_events, total = ZERO, 0, ZERO, 0, ZERO
        for event in events:
            value = event
            if in_allowance:
                if events_left is not None:
                    events_left -= 1
                if amount_left is None or amount_left > value:
                    if amount_left is not None:
                        amount_left -= value
                    free_units += value
                    free_events += 1
                    in_allowance = events_left != 0
                    continue
                free_units += amount_left
                value -= amount_left
                amount_left = ZERO
                in_allowance = False
            paid_units += value
            paid_events += 1
            total += _clamp(properties, value * percent + properties.fixed_amount)
        return PercentageOutcome(
            free_units=free_units,
            free_events=free_events,
            paid_units=paid_units,
            paid_events=paid_events,
            rate_amount=paid_units * percent,
            fixed_amount=paid_events * properties.fixed_amount,
            total=total,
        )


def _clamp(properties: PercentageProperties, amount: Decimal) -> Decimal:
    minimum = properties.per_transaction_min_amount
    maximum = properties.per_transaction_max_amount
    if minimum is not None and amount < minimum:
        return minimum
    if maximum is not None and amount > maximum:
        return maximum
    return amount
