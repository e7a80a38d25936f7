"""Pricing engine: pure charge-model arithmetic in exact Decimals (no I/O, no floats).

Public API:

* :func:`rate`: unrounded charge for a period's units under a charge model.
* :func:`rate_many`: the same for many unit totals of one price (properties parsed once).
* :func:`validate`: check a charge model's properties, naming the bad field.
* :func:`breakdown`: the charge row by row (rows add up exactly to :func:`rate`).
* :func:`sample_prices`: rounded prices at a few usage levels for the editor preview.
* :func:`prorate`: day-based proration of a minor-unit amount.
* :func:`true_up`, :func:`draw_down_credits`, :func:`apply_prepaid_credits`: commitments.
"""

from console.pricing.breakdown import RangeCharge, breakdown
from console.pricing.commitments import (
    CreditAllocation,
    apply_prepaid_credits,
    draw_down_credits,
    true_up,
)
from console.pricing.errors import PricingValidationError
from console.pricing.models import rate, rate_many
from console.pricing.preview import sample_prices
from console.pricing.properties import CHARGE_MODELS, validate
from console.pricing.proration import prorate

__all__ = [
    "CHARGE_MODELS",
    "CreditAllocation",
    "PricingValidationError",
    "RangeCharge",
    "apply_prepaid_credits",
    "breakdown",
    "draw_down_credits",
    "prorate",
    "rate",
    "rate_many",
    "sample_prices",
    "true_up",
    "validate",
]
