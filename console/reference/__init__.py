"""Reference data the other areas read: FX rates (and, with the set-up pages, tax rates and
policy thresholds)."""

from console.reference.queries import fx_rates

__all__ = ["fx_rates"]
