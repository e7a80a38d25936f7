"""How rates and money changes read on the experiment and rollout pages."""

from __future__ import annotations

import math
from typing import Any

#: Shown where there is no value yet.
DASH = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: float | None, digits: int = 1) -> str:
    """Return a rate as ``12.5%`` (``—`` for no data: None or NaN)."""
    if _missing(value):
        return DASH
    return f"{value * 100:.{digits}f}%"


def pts(value: float | None) -> str:
    """Return a signed rate difference in percentage points, ``+1.2 pts`` (``—`` for no data)."""
    if _missing(value):
        return DASH
    return f"{value * 100:+.1f} pts"


def chart_value(value: Any) -> float:
    """Return a finite float for a chart (0 for missing or NaN: JSON has no NaN)."""
    if isinstance(value, int | float) and not math.isnan(value):
        return float(value)
    return 0.0
