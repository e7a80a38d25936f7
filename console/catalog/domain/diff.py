"""The difference between two rate cards (a draft against the published version).

Prices are matched on :attr:`PriceSpec.match_key` (kind, meter, name, currency, region,
segment, billing interval): a renamed price shows as one removed and one added. Rows with the
same key are paired in order. Entitlements are matched on the feature key.

Each changed or removed price also gets its *largest relative decrease*: both rows are rated
with the pricing engine at a few usage levels (:data:`DECREASE_LEVELS`) and the largest drop,
in percent of the old charge, is kept; a lower per-period minimum counts too, and a removed
price counts as a 100% decrease. The approval policy uses it (see
:mod:`console.catalog.domain.policy`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from console.catalog.domain.ratecard import EntitlementSpec, PriceKind, PriceSpec, describe_terms
from console.pricing import rate

#: Units at which an old and a new row are compared, per kind of row.
DECREASE_LEVELS: Mapping[str, tuple[int, ...]] = {
    PriceKind.USAGE: (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000),
    PriceKind.SEAT: (1, 5, 10, 25, 50, 100, 500),
    PriceKind.RECURRING: (1,),
    PriceKind.ONE_TIME: (1,),
}

_HUNDRED = Decimal(100)
_FIELDS = ("charge_model", "properties", "pay_in_advance", "minimum_minor", "commit_minor")


def price_json(price: PriceSpec) -> dict[str, Any]:
    """A JSON-safe description of a row for diffs and audit entries."""
    return {
        "name": price.name,
        "kind": price.kind,
        "meter_code": price.meter_code,
        "currency": price.currency,
        "region": price.region,
        "segment": price.segment,
        "billing_interval": price.billing_interval,
        "charge_model": price.charge_model,
        "properties": dict(price.properties),
        "pay_in_advance": price.pay_in_advance,
        "minimum_minor": price.minimum_minor,
        "commit_minor": price.commit_minor,
        "summary": describe_terms(price),
    }


def price_decrease_pct(old: PriceSpec, new: PriceSpec | None) -> Decimal:
    """Largest decrease from ``old`` to ``new`` in percent of the old charge (0 if none).

    Args:
        old: the published row.
        new: the draft's row with the same key, or ``None`` when it was removed.

    Returns:
        A percentage between 0 and 100, unrounded.
    """
    levels = DECREASE_LEVELS.get(old.kind, (1,))
    worst = Decimal(0)
    with localcontext(prec=60):
        for level in levels:
            before = rate(old.charge_model, old.properties, Decimal(level))
            if before <= 0:
                continue
            after = (
                Decimal(0) if new is None else rate(new.charge_model, new.properties,
                                                    Decimal(level))
            )
            worst = max(worst, (before - after) * _HUNDRED / before)
        if old.minimum_minor:
            after_min = 0 if new is None else (new.minimum_minor or 0)
            worst = max(worst, Decimal(old.minimum_minor - after_min) * _HUNDRED
                        / old.minimum_minor)
    return worst


def _pct_text(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}%"


@dataclass(frozen=True)
class PriceChange:
    """One added, removed or changed rate-card row."""

    change: str
    old: PriceSpec | None
    new: PriceSpec | None
    changed_fields: tuple[str, ...] = ()
    decrease_pct: Decimal = Decimal(0)

    @property
    def label(self) -> str:
        """The row's identity for display."""
        spec = self.new or self.old
        assert spec is not None
        return spec.label()

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (stored in ``change_request.diff``)."""
        return {
            "change": self.change,
            "label": self.label,
            "changed_fields": list(self.changed_fields),
            "old": price_json(self.old) if self.old else None,
            "new": price_json(self.new) if self.new else None,
            "decrease_pct": str(self.decrease_pct.quantize(Decimal("0.01"))),
            "decrease": _pct_text(self.decrease_pct) if self.decrease_pct else "",
        }


@dataclass(frozen=True)
class EntitlementChange:
    """One added, removed or changed entitlement."""

    change: str
    feature_key: str
    old: EntitlementSpec | None
    new: EntitlementSpec | None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "change": self.change,
            "feature_key": self.feature_key,
            "old": self.old.describe() if self.old else None,
            "new": self.new.describe() if self.new else None,
        }


@dataclass(frozen=True)
class RateCardDiff:
    """Everything that differs between two versions' rate cards."""

    prices: tuple[PriceChange, ...]
    entitlements: tuple[EntitlementChange, ...]

    @property
    def is_empty(self) -> bool:
        """True when the two rate cards are the same."""
        return not self.prices and not self.entitlements

    def count(self, change: str) -> int:
        """How many price rows were ``added``, ``removed`` or ``changed``."""
        return sum(1 for p in self.prices if p.change == change)

    @property
    def max_decrease_pct(self) -> Decimal:
        """The largest decrease of any single price, in percent (0 when none decreases)."""
        return max((p.decrease_pct for p in self.prices), default=Decimal(0))

    def summary(self) -> str:
        """``2 prices changed, 1 added, 0 removed; 1 entitlement changed``."""
        text = (f"{self.count('changed')} price(s) changed, {self.count('added')} added, "
                f"{self.count('removed')} removed")
        if self.entitlements:
            text += f"; {len(self.entitlements)} entitlement change(s)"
        return text if not self.is_empty else "No changes"

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (stored in ``change_request.diff``)."""
        return {
            "summary": self.summary(),
            "prices": [p.to_json() for p in self.prices],
            "entitlements": [e.to_json() for e in self.entitlements],
            "counts": {k: self.count(k) for k in ("added", "removed", "changed")},
            "max_decrease_pct": str(self.max_decrease_pct.quantize(Decimal("0.01"))),
        }


def _changed_fields(old: PriceSpec, new: PriceSpec) -> tuple[str, ...]:
    before, after = old.terms(), new.terms()
    return tuple(
        f for f in _FIELDS
        if (old.terms_key[1] != new.terms_key[1] if f == "properties" else before[f] != after[f])
    )


def diff_prices(old: Sequence[PriceSpec], new: Sequence[PriceSpec]) -> tuple[PriceChange, ...]:
    """Match rows of two rate cards and report what was added, removed or changed."""
    old_by_key: dict[tuple, list[PriceSpec]] = defaultdict(list)
    for price in old:
        old_by_key[price.match_key].append(price)
    changes: list[PriceChange] = []
    for price in new:
        bucket = old_by_key.get(price.match_key)
        if not bucket:
            changes.append(PriceChange("added", None, price))
            continue
        before = bucket.pop(0)
        fields = _changed_fields(before, price)
        if fields:
            changes.append(PriceChange("changed", before, price, fields,
                                       price_decrease_pct(before, price)))
    for bucket in old_by_key.values():
        for before in bucket:
            changes.append(PriceChange("removed", before, None, (),
                                       price_decrease_pct(before, None)))
    return tuple(changes)


def diff_entitlements(
    old: Sequence[EntitlementSpec], new: Sequence[EntitlementSpec]
) -> tuple[EntitlementChange, ...]:
    """Report entitlements added, removed or changed, by feature key."""
    before = {e.feature_key: e for e in old}
    after = {e.feature_key: e for e in new}
    changes: list[EntitlementChange] = []
    for key in sorted(before.keys() | after.keys()):
        o, n = before.get(key), after.get(key)
        if o is None:
            changes.append(EntitlementChange("added", key, None, n))
        elif n is None:
            changes.append(EntitlementChange("removed", key, o, None))
        elif o != n:
            changes.append(EntitlementChange("changed", key, o, n))
    return tuple(changes)


def diff_rate_cards(
    *,
    old_prices: Sequence[PriceSpec],
    new_prices: Sequence[PriceSpec],
    old_entitlements: Sequence[EntitlementSpec] = (),
    new_entitlements: Sequence[EntitlementSpec] = (),
) -> RateCardDiff:
    """The difference between a published rate card (old) and a draft (new)."""
    return RateCardDiff(
        prices=diff_prices(old_prices, new_prices),
        entitlements=diff_entitlements(old_entitlements, new_entitlements),
    )
