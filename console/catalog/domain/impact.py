"""Revenue-impact arithmetic on already-rated totals: windows, % change, histogram bins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from console.kernel.months import add_months

#: Window lengths the simulation offers.
WINDOW_MONTHS: tuple[int, ...] = (3, 6, 12)
MAX_WINDOW_MONTHS = 24

#: (label, lower, upper) of the % change bins; the bounds are percent, lower exclusive for
#: increases and upper exclusive for decreases (see :func:`histogram_bin`).
_DECREASE_EDGES: tuple[int, ...] = (-50, -20, -10, -5, 0)
_INCREASE_EDGES: tuple[int, ...] = (0, 5, 10, 20, 50)

HISTOGRAM_LABELS: tuple[str, ...] = (
    "below -50%",
    "-50% to -20%",
    "-20% to -10%",
    "-10% to -5%",
    "-5% to 0%",
    "unchanged",
    "0% to +5%",
    "+5% to +10%",
    "+10% to +20%",
    "+20% to +50%",
    "above +50%",
    "new revenue (was zero)",
)
UNCHANGED_BIN = 5
NEW_REVENUE_BIN = 11


def usage_window(*, as_of: date, months: int) -> tuple[date, ...]:
    """The ``months`` complete calendar months before ``as_of``'s month (first days, oldest first).

    Raises:
        ValueError: if ``months`` is not between 1 and :data:`MAX_WINDOW_MONTHS`.
    """
    if isinstance(months, bool) or not isinstance(months, int) or not (
        1 <= months <= MAX_WINDOW_MONTHS
    ):
        raise ValueError(f"months must be between 1 and {MAX_WINDOW_MONTHS}")
    current = as_of.replace(day=1)
    return tuple(add_months(current, -k) for k in range(months, 0, -1))


def classify(change_minor: int) -> str:
    """``increase``, ``decrease`` or ``unchanged``."""
    if change_minor > 0:
        return "increase"
    if change_minor < 0:
        return "decrease"
    return "unchanged"


def pct_change(old_minor: int, new_minor: int) -> Fraction | None:
    """Exact change in percent of the old amount; ``None`` when the old amount is zero.

    Both zero is 0 (unchanged). A negative old amount (a credit) is compared by magnitude.
    """
    if old_minor == 0:
        return Fraction(0) if new_minor == 0 else None
    return Fraction((new_minor - old_minor) * 100, abs(old_minor))


def pct_text(old_minor: int, new_minor: int) -> str:
    """Display text of the change: ``+12.5%``, ``-3.0%``, ``0.0%`` or ``new``."""
    pct = pct_change(old_minor, new_minor)
    if pct is None:
        return "new"
    value = (Decimal(pct.numerator) / Decimal(pct.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return f"+{value}%" if value > 0 else f"{value}%"


def histogram_bin(old_minor: int, new_minor: int) -> int:
    """Index into :data:`HISTOGRAM_LABELS` for one customer's change.

    A decrease of exactly 10% falls in "-10% to -5%"; an increase of exactly 10% in
    "+5% to +10%" (the bound nearer zero is inclusive).
    """
    if new_minor == old_minor:
        return UNCHANGED_BIN
    pct = pct_change(old_minor, new_minor)
    if pct is None:
        return NEW_REVENUE_BIN
    if pct < 0:
        for index, edge in enumerate(_DECREASE_EDGES[:-1]):
            if pct < edge:
                return index
        return len(_DECREASE_EDGES) - 1
    for index, edge in enumerate(_INCREASE_EDGES[1:]):
        if pct <= edge:
            return UNCHANGED_BIN + 1 + index
    return UNCHANGED_BIN + len(_INCREASE_EDGES)


@dataclass(frozen=True)
class HistogramBin:
    """One bar of the % change histogram."""

    label: str
    count: int


def histogram(pairs: Iterable[tuple[int, int]]) -> tuple[HistogramBin, ...]:
    """Count customers per % change bin from ``(old_minor, new_minor)`` pairs."""
    counts = [0] * len(HISTOGRAM_LABELS)
    for old, new in pairs:
        counts[histogram_bin(old, new)] += 1
    return tuple(HistogramBin(label, n) for label, n in zip(HISTOGRAM_LABELS, counts,
                                                            strict=True))
