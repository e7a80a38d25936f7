"""Guardrails: the settings a lead gives (``max_dispute_rate`` ...), the rates they bound, and
the check that pauses a rollout when a rate rises beyond its threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from console.kernel.errors import InvalidInput

#: Guardrail setting key -> the rate it bounds (a rise above the baseline; higher is worse).
GUARDRAIL_KEYS: dict[str, str] = {
    "max_dispute_rate": "dispute_rate",
    "max_payment_failure_rate": "payment_failure_rate",
    "max_churn_delta": "churn_rate",
    "max_support_rate": "support_rate",
}

#: Rate -> label shown on pages.
RATE_LABELS: dict[str, str] = {
    "dispute_rate": "Dispute rate",
    "payment_failure_rate": "Payment failure rate",
    "churn_rate": "Churn",
    "support_rate": "Support load",
}

#: Defaults offered by the forms (absolute rises in rate: 0.02 = two percentage points).
DEFAULT_GUARDRAILS: dict[str, float] = {
    "max_dispute_rate": 0.02,
    "max_payment_failure_rate": 0.05,
    "max_churn_delta": 0.02,
    "max_support_rate": 0.1,
}


@dataclass(frozen=True, slots=True)
class GuardrailBreach:
    """A metric that rose more than its threshold above the baseline."""

    metric: str
    moved: float
    baseline: float
    threshold: float

    @property
    def excess(self) -> float:
        """How far the rise went past the threshold."""
        return self.moved - self.baseline - self.threshold


def check_guardrails(
    moved: Mapping[str, float],
    baseline: Mapping[str, float],
    thresholds: Mapping[str, float],
) -> list[GuardrailBreach]:
    """Return the guardrail metrics of the moved cohort that breach their thresholds.

    A breach is ``moved[m] - baseline[m] > thresholds[m]``: an absolute rise in a rate where
    higher is worse (dispute rate, payment failures, churn). Only metrics in ``thresholds``
    are checked; a NaN rate (no data yet) is not a breach.

    Args:
        moved: metric -> rate among customers moved to the new version.
        baseline: metric -> rate among control (or the pre-rollout baseline).
        thresholds: metric -> largest tolerated rise (non-negative).

    Returns:
        Breaches in ``thresholds`` order; empty when all guardrails hold.

    Raises:
        ValueError: if a threshold is negative or NaN, or a guarded metric is missing from
            ``moved`` or ``baseline``.
    """
    breaches = []
    for metric, threshold in thresholds.items():
        if not threshold >= 0:
            raise ValueError(f"threshold of {metric!r} must be non-negative, got {threshold}")
        missing = [
            name
            for name, rates in (("moved", moved), ("baseline", baseline))
            if metric not in rates
        ]
        if missing:
            raise ValueError(f"guardrail {metric!r} has no value in {' and '.join(missing)}")
        rise = moved[metric] - baseline[metric]
        if not math.isnan(rise) and rise > threshold:
            breaches.append(GuardrailBreach(metric, moved[metric], baseline[metric], threshold))
    return breaches


def normalize_guardrails(raw: Mapping[str, Any] | None) -> dict[str, float]:
    """Return guardrail thresholds by setting key (``max_dispute_rate`` ...), each in ``[0, 1]``.

    Args:
        raw: setting key -> threshold (a number or its text); None for none.

    Raises:
        InvalidInput: an unknown key, a value that is not a number, or one outside ``[0, 1]``.
    """
    out: dict[str, float] = {}
    for key, value in dict(raw or {}).items():
        if key not in GUARDRAIL_KEYS:
            raise InvalidInput(f"guardrails: unknown guardrail {key!r} (use "
                               f"{', '.join(GUARDRAIL_KEYS)}).")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"guardrails.{key}: {value!r} is not a number.") from None
        if not math.isfinite(number) or not 0 <= number <= 1:
            raise InvalidInput(f"guardrails.{key}: use a rate between 0 and 1 (0.02 = 2 points).")
        out[key] = number
    return out


def guardrails_from_form(form: Mapping[str, Any]) -> dict[str, float]:
    """Return guardrail thresholds typed in percentage points (``2`` = 0.02); blank ones are off.

    Raises:
        InvalidInput: a value that is not a number.
    """
    out: dict[str, float] = {}
    for key in GUARDRAIL_KEYS:
        text = str(form.get(key, "") or "").strip()
        if not text:
            continue
        try:
            out[key] = float(text) / 100
        except ValueError:
            raise InvalidInput(f"{key.replace('_', ' ')}: {text!r} is not a number.") from None
    return out


def thresholds(guardrails: Mapping[str, Any] | None) -> dict[str, float]:
    """Return stored guardrail settings as :func:`check_guardrails` thresholds (rate -> rise).

    Unknown keys and values that are not numbers are left out.
    """
    out: dict[str, float] = {}
    for key, value in dict(guardrails or {}).items():
        metric = GUARDRAIL_KEYS.get(key)
        if metric is not None:
            try:
                out[metric] = float(value)
            except (TypeError, ValueError):
                continue
    return out


def guardrails_text(guardrails: Mapping[str, Any] | None) -> str:
    """Return the settings as a line: ``Dispute rate +2.0 pts · Churn +2.0 pts`` (``none``)."""
    parts = []
    for key, value in dict(guardrails or {}).items():
        metric = GUARDRAIL_KEYS.get(key)
        if metric is not None:
            parts.append(f"{RATE_LABELS[metric]} +{float(value) * 100:.1f} pts")
    return " · ".join(parts) or "none"


def audit_safe(value: Any) -> Any:
    """Return ``value`` with floats as Decimal (the audit trail refuses floats) and NaN as None.

    Guardrail settings and breaches hold float rates; this is how they enter an audit event.
    Mappings, lists and tuples are converted throughout; other values pass unchanged.
    """
    if isinstance(value, float):
        return None if math.isnan(value) else Decimal(repr(round(value, 6)))
    if isinstance(value, Mapping):
        return {k: audit_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [audit_safe(v) for v in value]
    return value
