"""Rate-card rows as plain values, and which of a version's prices apply to a subscriber.

A plan version's prices may exist per currency and optionally per region and/or segment, and
per billing interval. :func:`select_prices` resolves them for one subscriber: a price applies
when its currency matches and its region/segment are unset or equal to the subscriber's; among
the prices of one *charge* (same kind, meter and name) the one at the subscriber's billing
interval wins, then the most specific (segment and region > segment > region > neither).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class PriceKind(StrEnum):
    """What a rate-card row charges for."""

    RECURRING = "recurring"
    SEAT = "seat"
    USAGE = "usage"
    ONE_TIME = "one_time"


class Interval(StrEnum):
    """Billing interval of a plan, price or subscription."""

    MONTH = "month"
    YEAR = "year"


#: Region and segment values a price may be limited to (``None``: every region/segment).
REGIONS: tuple[str, ...] = ("na", "emea", "apac", "latam")
SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")


def canonical_json(value: Any) -> str:
    """Stable JSON text of a properties document (sorted keys), for comparing and hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class PriceSpec:
    """One rate-card row, independent of storage.

    Attributes:
        name: display name (also part of the charge identity, see :attr:`match_key`).
        kind: one of :class:`PriceKind`.
        charge_model: one of :data:`console.pricing.CHARGE_MODELS`.
        properties: the model's properties in Lago's schema (amounts as decimal strings).
        currency: ISO 4217 code.
        meter_code: the meter of a usage price (``None`` otherwise).
        region: limit to one region, or ``None``.
        segment: limit to one segment, or ``None``.
        billing_interval: ``month`` or ``year``.
        pay_in_advance: billed at the start (True) or the end of the period.
        minimum_minor: minimum charge per period for this row, in minor units.
        commit_minor: committed spend for this row, in minor units (informational here).
        price_id: the stored row's id when it came from the database (ignored in comparisons).
        meter_id: the stored meter id (ignored in comparisons).
    """

    name: str
    kind: str
    charge_model: str
    properties: Mapping[str, Any]
    currency: str
    meter_code: str | None = None
    region: str | None = None
    segment: str | None = None
    billing_interval: str = Interval.MONTH
    pay_in_advance: bool = True
    minimum_minor: int | None = None
    commit_minor: int | None = None
    price_id: int | None = field(default=None, compare=False)
    meter_id: int | None = field(default=None, compare=False)

    @property
    def match_key(self) -> tuple[str, str, str, str, str, str, str]:
        """What identifies "the same price" across two versions (for diffs)."""
        return (
            self.kind,
            self.meter_code or "",
            self.name,
            self.currency,
            self.region or "",
            self.segment or "",
            self.billing_interval,
        )

    @property
    def charge_key(self) -> tuple[str, str, str]:
        """The charge this row prices (several rows may price it per currency/region/...)."""
        return (self.kind, self.meter_code or "", self.name)

    @property
    def terms_key(self) -> tuple[str, str]:
        """Charge model and properties: two rows with equal terms charge the same for any units."""
        return (self.charge_model, canonical_json(self.properties))

    def terms(self) -> dict[str, Any]:
        """The comparable terms of the row (what a diff reports as changed)."""
        return {
            "charge_model": self.charge_model,
            "properties": self.properties,
            "pay_in_advance": self.pay_in_advance,
            "minimum_minor": self.minimum_minor,
            "commit_minor": self.commit_minor,
        }

    def label(self) -> str:
        """Human label of the row's identity: ``API calls (usage: api_calls) · USD · emea``."""
        what = self.kind if not self.meter_code else f"{self.kind}: {self.meter_code}"
        parts = [f"{self.name} ({what})", self.currency]
        if self.region:
            parts.append(self.region)
        if self.segment:
            parts.append(self.segment)
        if self.billing_interval != Interval.MONTH:
            parts.append(f"per {self.billing_interval}")
        return " · ".join(parts)


@dataclass(frozen=True)
class EntitlementSpec:
    """What a version grants for one feature."""

    feature_key: str
    enabled: bool = True
    limit_value: int | None = None

    def describe(self) -> str:
        """Display text: ``on``, ``off``, or ``limit 1,000``."""
        if not self.enabled:
            return "off"
        if self.limit_value is not None:
            return f"limit {self.limit_value:,}"
        return "on"


def _specificity(price: PriceSpec) -> int:
    return (2 if price.segment else 0) + (1 if price.region else 0)


def select_prices(
    prices: Iterable[PriceSpec],
    *,
    currency: str,
    region: str | None = None,
    segment: str | None = None,
    interval: str = Interval.MONTH,
) -> list[PriceSpec]:
    """Return the prices that apply to one subscriber, one per charge, in the given order.

    Args:
        prices: a version's rate-card rows.
        currency: the subscription's currency.
        region: the customer's region (``None``: only prices for every region apply).
        segment: the customer's segment (``None``: only prices for every segment apply).
        interval: the subscription's billing interval.

    Returns:
        The applicable rows, keeping the order of ``prices``.
    """
    best: dict[tuple[str, str, str], tuple[tuple[int, int], int, PriceSpec]] = {}
    for order, price in enumerate(prices):
        if price.currency != currency:
            continue
        if price.region is not None and price.region != region:
            continue
        if price.segment is not None and price.segment != segment:
            continue
        score = (1 if price.billing_interval == interval else 0, _specificity(price))
        current = best.get(price.charge_key)
        if current is None or score > current[0]:
            best[price.charge_key] = (score, order, price)
    return [price for _score, _order, price in sorted(best.values(), key=lambda t: t[1])]


def _amount(value: Any) -> str:
    return "" if value is None else str(value)


def describe_terms(price: PriceSpec, *, unit: str = "unit") -> str:
    """A one-line summary of a row's charge, e.g. ``0.002 USD per call`` (no arithmetic).

    Args:
        price: the row.
        unit: the meter's unit name, for usage prices.
    """
    props = price.properties
    cur = price.currency
    per = {"recurring": f"per {price.billing_interval}", "seat": "per seat"}.get(
        price.kind, f"per {unit}"
    )
    model = price.charge_model
    if model == "standard":
        if price.kind == PriceKind.SEAT:
            return f"{_amount(props.get('amount'))} {cur} per seat per {price.billing_interval}"
        return f"{_amount(props.get('amount'))} {cur} {per}"
    if model == "package":
        free = props.get("free_units")
        text = (f"{_amount(props.get('amount'))} {cur} per {_amount(props.get('package_size'))} "
                f"{unit}s")
        return f"{text}, first {free} free" if free not in (None, "", 0, "0") else text
    if model == "percentage":
        text = f"{_amount(props.get('rate'))}%"
        fixed = props.get("fixed_amount")
        if fixed not in (None, "", 0, "0"):
            text += f" + {fixed} {cur} per transaction"
        return text
    ranges = props.get(
        {"graduated": "graduated_ranges", "volume": "volume_ranges"}.get(
            model, "graduated_percentage_ranges"
        )
    )
    count = len(ranges) if isinstance(ranges, Sequence) and not isinstance(ranges, str) else 0
    return f"{model.replace('_', ' ')}, {count} range{'s' if count != 1 else ''} ({cur})"


def plain_json(value: Any) -> Any:
    """A properties document as plain JSON: Decimals become decimal text, tuples lists."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value
