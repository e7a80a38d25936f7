"""Review flags on draft invoices (pure rules, thresholds from policy_setting "anomaly").

Each rule looks at one fact of the draft and returns a :class:`Flag` with a code (stable, for
filtering) and a detail sentence for the reviewer. Flags never block anything by themselves:
every draft waits for a reviewer, and flags tell the reviewer where to look.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

CHANGE_VS_PREVIOUS = "change_vs_previous"
CHANGE_VS_MEDIAN = "change_vs_median"
ZERO_TOTAL = "zero_total"
NEGATIVE_TOTAL = "negative_total"
USAGE_SPIKE = "usage_spike"
FIRST_ON_VERSION = "first_on_version"
MISSING_TAX = "missing_tax"
MISSING_PRICE = "missing_price"

#: Flag codes and their labels, in the order the review queue lists them.
FLAG_LABELS: dict[str, str] = {
    CHANGE_VS_PREVIOUS: "Changed vs previous invoice",
    CHANGE_VS_MEDIAN: "Changed vs 3-period median",
    ZERO_TOTAL: "Zero total",
    NEGATIVE_TOTAL: "Negative total",
    USAGE_SPIKE: "Usage spike",
    FIRST_ON_VERSION: "First invoice on a new plan version",
    MISSING_TAX: "Missing tax rate",
    MISSING_PRICE: "Missing price in currency",
}

#: How many previous invoices the median rule needs.
MEDIAN_PERIODS = 3


DEFAULT_CHANGE_PCT = Decimal(30)
DEFAULT_SPIKE_FACTOR = Decimal(3)


@dataclass(frozen=True, slots=True)
class AnomalyPolicy:
    """Thresholds: percent change that flags a total, and the usage spike factor."""

    change_pct: Decimal = DEFAULT_CHANGE_PCT
    spike_factor: Decimal = DEFAULT_SPIKE_FACTOR

    @classmethod
    def from_setting(cls, value: Mapping[str, Any] | None) -> AnomalyPolicy:
        """Read ``{"change_pct": 30, "spike_factor": 3}``; missing or bad values use defaults."""
        value = value or {}
        return cls(change_pct=_positive(value.get("change_pct"), DEFAULT_CHANGE_PCT),
                   spike_factor=_positive(value.get("spike_factor"), DEFAULT_SPIKE_FACTOR))


def _positive(raw: Any, default: Decimal) -> Decimal:
    if raw is None or isinstance(raw, bool):
        return default
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return default
    return value if value.is_finite() and value > 0 else default


@dataclass(frozen=True, slots=True)
class Flag:
    """One review flag: a stable code and a sentence for the reviewer."""

    code: str
    detail: str

    def as_json(self) -> dict[str, str]:
        """The form stored in ``invoice.flags``."""
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True)
class InvoiceFacts:
    """What the rules look at.

    Attributes:
        total_minor: the draft's total.
        previous_totals_minor: the customer's earlier invoice totals in the same currency,
            most recent first (void invoices excluded).
        meter_units: meter name -> units in this period.
        trailing_average_units: meter name -> average units per period over the trailing
            periods (absent or 0: no history, no spike rule).
        first_on_version: the first invoice on its plan version (for the subscription, or the
            first ever for a new version).
        missing_tax: no tax rate exists for the customer's region (and it is not exempt).
        missing_prices: rate-card rows without a price in the invoice currency.
        format_amount: formats minor units for the detail text.
    """

    total_minor: int
    previous_totals_minor: Sequence[int] = ()
    meter_units: Mapping[str, Decimal] = field(default_factory=dict)
    trailing_average_units: Mapping[str, Decimal] = field(default_factory=dict)
    first_on_version: bool = False
    missing_tax: bool = False
    missing_prices: Sequence[str] = ()
    format_amount: Any = str


def change_percent(total_minor: int, reference_minor: int | Decimal) -> Decimal | None:
    """Percent change of ``total`` vs ``reference`` (None when the reference is 0)."""
    if not reference_minor:
        return None
    return (Decimal(total_minor) - Decimal(reference_minor)) * 100 / abs(Decimal(reference_minor))


def _changed(total: int, reference: int | Decimal, limit: Decimal) -> Decimal | None:
    """The change in percent when it exceeds ``limit`` (a change from 0 always does)."""
    if not reference:
        return Decimal("Infinity") if total else None
    pct = change_percent(total, reference)
    return pct if pct is not None and abs(pct) > limit else None


def _pct_text(pct: Decimal) -> str:
    if pct.is_infinite():
        return "from zero"
    return f"{'+' if pct > 0 else ''}{pct.quantize(Decimal('0.1'))}%"


def flag_invoice(facts: InvoiceFacts, policy: AnomalyPolicy | None = None) -> list[Flag]:
    """Apply every rule to a draft; returns its flags in :data:`FLAG_LABELS` order."""
    policy = policy or AnomalyPolicy()
    fmt = facts.format_amount
    flags: list[Flag] = []
    total = facts.total_minor
    if facts.previous_totals_minor:
        prev = facts.previous_totals_minor[0]
        pct = _changed(total, prev, policy.change_pct)
        if pct is not None:
            flags.append(Flag(CHANGE_VS_PREVIOUS, f"Total {fmt(total)} vs previous {fmt(prev)} "
                                                  f"({_pct_text(pct)}; limit "
                                                  f"{policy.change_pct}%)."))
    if len(facts.previous_totals_minor) >= MEDIAN_PERIODS:
        median = statistics.median(
            Decimal(t) for t in facts.previous_totals_minor[:MEDIAN_PERIODS])
        pct = _changed(total, median, policy.change_pct)
        if pct is not None:
            flags.append(Flag(CHANGE_VS_MEDIAN, f"Total {fmt(total)} vs 3-period median "
                                                f"{fmt(int(median))} ({_pct_text(pct)}; limit "
                                                f"{policy.change_pct}%)."))
    if total == 0:
        flags.append(Flag(ZERO_TOTAL, "The invoice total is zero."))
    elif total < 0:
        flags.append(Flag(NEGATIVE_TOTAL, f"The invoice total is negative ({fmt(total)})."))
    for meter in sorted(facts.meter_units):
        units = facts.meter_units[meter]
        average = facts.trailing_average_units.get(meter, Decimal(0))
        if average > 0 and units > policy.spike_factor * average:
            flags.append(Flag(USAGE_SPIKE, f"{meter}: {_num(units)} units vs trailing average "
                                           f"{_num(average)} (more than {policy.spike_factor}x)."))
    if facts.first_on_version:
        flags.append(Flag(FIRST_ON_VERSION, "First invoice on this plan version: check the new "
                                            "rate card."))
    if facts.missing_tax:
        flags.append(Flag(MISSING_TAX, "No tax rate for the customer's region: no tax charged."))
    if facts.missing_prices:
        flags.append(Flag(MISSING_PRICE, "No price in the invoice currency for: "
                                         f"{', '.join(facts.missing_prices)}."))
    return flags


def _num(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")).normalize(), "f")
    return "0" if text == "-0" else text


def flag_codes(flags: Sequence[Mapping[str, Any] | str]) -> list[str]:
    """The codes of stored flags (dicts with ``code``, or bare strings)."""
    return [f if isinstance(f, str) else str(f.get("code", "")) for f in flags]
