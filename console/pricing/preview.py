"""Sample prices for the rate-card editor's preview."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from console.money import exponent, round_minor
from console.pricing.models import rate
from console.pricing.properties import validate


def sample_prices(
    model: str,
    properties: Mapping[str, Any],
    levels: Sequence[Decimal],
    currency: str,
) -> list[tuple[Decimal, int]]:
    """Price a few usage levels, rounded as an invoice line would be.

    Args:
        model: one of :data:`console.pricing.CHARGE_MODELS`.
        properties: the model's properties in Lago's schema.
        levels: usage levels to price (for percentage: one transaction of that amount each).
        currency: ISO 4217 code.

    Returns:
        ``(units, charge in minor units)`` for each level, in the given order.

    Raises:
        PricingValidationError: if the properties or a level are not valid.
        MoneyError: if the currency is unknown.
    """
    exponent(currency)
    validate(model, properties)
    return [(level, round_minor(rate(model, properties, level), currency)) for level in levels]
