"""Errors raised by the pricing engine."""

from __future__ import annotations


class PricingValidationError(ValueError):
    """A charge model's properties (or the units given to it) are not valid.

    Attributes:
        field: path of the offending field, e.g. ``"graduated_ranges[1].from_value"``.
        message: what is wrong with it, readable by the person editing the rate card.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
