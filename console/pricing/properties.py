"""Parsing and validation of charge-model properties (Lago's charge-model schema).

Properties arrive as JSON-like mappings whose amounts are decimal strings in major units
(ints and Decimals are accepted too; floats never are). :func:`parse_properties` turns them
into typed, frozen values or raises :class:`PricingValidationError` naming the field path.

Ranges (``graduated_ranges``, ``volume_ranges``, ``graduated_percentage_ranges``) follow one
rule: range ``i`` covers the units above the previous range's ``to_value`` up to its own
``to_value``, i.e. the half-open interval ``(to_value[i-1], to_value[i]]`` with
``to_value[-1] = 0`` (the first range also holds zero itself). The width of range ``i`` is
therefore ``to_value[i] - to_value[i-1]``, and ``from_value`` is only checked for
contiguity: it must equal the previous ``to_value`` (adjacent decimal ranges such as 0-0.1,
0.1-1) or, when that is a whole number, the previous ``to_value + 1`` (Lago's integer ranges
such as 0-10, 11-20, where 0-10 holds 10 units and 11-20 the next 10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from console.pricing.errors import PricingValidationError
from console.pricing.exact import ZERO

STANDARD = "standard"
GRADUATED = "graduated"
VOLUME = "volume"
PACKAGE = "package"
PERCENTAGE = "percentage"
GRADUATED_PERCENTAGE = "graduated_percentage"

#: The charge models the engine knows, in the order the editor lists them.
CHARGE_MODELS: tuple[str, ...] = (
    STANDARD,
    GRADUATED,
    VOLUME,
    PACKAGE,
    PERCENTAGE,
    GRADUATED_PERCENTAGE,
)

# model -> (ranges key, per-range price key)
_RANGE_KEYS: dict[str, tuple[str, str]] = {
    GRADUATED: ("graduated_ranges", "per_unit_amount"),
    VOLUME: ("volume_ranges", "per_unit_amount"),
    GRADUATED_PERCENTAGE: ("graduated_percentage_ranges", "rate"),
}


@dataclass(frozen=True, slots=True)
class Tier:
    """One validated range of a graduated, volume or graduated-percentage charge.

    Attributes:
        lower: exclusive lower bound: the previous range's ``to_value`` (0 for the first).
        from_value: the ``from_value`` as written (used for labels only).
        to_value: inclusive upper bound, ``None`` for the open-ended last range.
        unit_amount: price of one unit in the range (``rate / 100`` for percentage ranges).
        flat_amount: flat fee charged once when the range is entered.
        rate: the percent as written, for graduated-percentage ranges; ``None`` otherwise.
    """

    lower: Decimal
    from_value: Decimal
    to_value: Decimal | None
    unit_amount: Decimal
    flat_amount: Decimal
    rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StandardProperties:
    """``amount`` per unit."""

    amount: Decimal


@dataclass(frozen=True, slots=True)
class TieredProperties:
    """Contiguous ranges of a graduated, volume or graduated-percentage charge."""

    tiers: tuple[Tier, ...]


@dataclass(frozen=True, slots=True)
class PackageProperties:
    """``amount`` per started package of ``package_size`` units after ``free_units``."""

    amount: Decimal
    package_size: Decimal
    free_units: Decimal


@dataclass(frozen=True, slots=True)
class PercentageProperties:
    """Percent of the transacted amount plus an optional fixed fee per event.

    ``free_units_per_events`` and ``free_units_per_total_aggregation`` are ``None`` when not
    set (Lago treats 0 as not set, and so do we).
    """

    rate: Decimal
    fixed_amount: Decimal
    free_units_per_events: int | None
    free_units_per_total_aggregation: Decimal | None
    per_transaction_min_amount: Decimal | None
    per_transaction_max_amount: Decimal | None

    @property
    def has_min_max(self) -> bool:
        """Whether a per-transaction minimum or maximum clamps each event's charge."""
        return (
            self.per_transaction_min_amount is not None
            or self.per_transaction_max_amount is not None
        )


ChargeProperties = StandardProperties | TieredProperties | PackageProperties | PercentageProperties


def validate(model: str, properties: Mapping[str, Any]) -> None:
    """Check a charge model's properties, as when a catalog draft is saved.

    Args:
        model: one of :data:`CHARGE_MODELS`.
        properties: the model's properties in Lago's schema.

    Raises:
        PricingValidationError: for the first problem found, naming the field path.
    """
    parse_properties(model, properties)


def parse_properties(model: str, properties: Mapping[str, Any]) -> ChargeProperties:
    """Validate ``properties`` for ``model`` and return them as typed values.

    Args:
        model: one of :data:`CHARGE_MODELS`.
        properties: the model's properties in Lago's schema.

    Returns:
        The parsed properties of the model.

    Raises:
        PricingValidationError: for the first problem found, naming the field path.
    """
    if model not in CHARGE_MODELS:
        raise PricingValidationError(
            "model", f"unknown charge model {model!r} (expected one of {', '.join(CHARGE_MODELS)})"
        )
    if not isinstance(properties, Mapping):
        raise PricingValidationError("properties", "must be an object")
    if model == STANDARD:
        return StandardProperties(amount=_required(properties, "amount", "amount"))
    if model == PACKAGE:
        return _parse_package(properties)
    if model == PERCENTAGE:
        return _parse_percentage(properties)
    return _parse_tiers(model, properties)


def parse_units(units: Any, field: str = "units") -> Decimal:
    """Return ``units`` as a finite, non-negative Decimal.

    Raises:
        TypeError: if ``units`` is not a Decimal or int (a float in particular).
        PricingValidationError: if it is not finite or is negative.
    """
    if isinstance(units, bool) or not isinstance(units, Decimal | int):
        raise TypeError(f"{field} must be a Decimal or int, got {type(units).__name__}")
    value = Decimal(units)
    if not value.is_finite():
        raise PricingValidationError(field, "must be a finite number")
    if value < 0:
        raise PricingValidationError(field, f"must not be negative (got {value})")
    return value


def parse_event_units(event_units: Sequence[Any] | None, units: Decimal) -> tuple[Decimal, ...]:
    """Return each event's amount for a percentage charge, checked against the total.

    Args:
        event_units: each event's amount in order, or ``None`` for one event of ``units``.
        units: the period's total, which the events must add up to.

    Returns:
        The events' amounts; empty when ``units`` is zero and no events were given.

    Raises:
        TypeError: if ``event_units`` is not a sequence of Decimals or ints.
        PricingValidationError: if an event is negative or the events do not add up to ``units``.
    """
    if event_units is None:
        return (units,) if units else ()
    if isinstance(event_units, str | bytes) or not isinstance(event_units, Sequence):
        raise TypeError("event_units must be a sequence of Decimal or int")
    values = tuple(parse_units(value, f"event_units[{i}]") for i, value in enumerate(event_units))
    total = sum(values, ZERO)
    if total != units:
        raise PricingValidationError(
            "event_units", f"events add up to {total}, not to the period's units {units}"
        )
    return values


def _parse_package(properties: Mapping[str, Any]) -> PackageProperties:
    amount = _required(properties, "amount", "amount")
    package_size = _required(properties, "package_size", "package_size")
    if package_size <= 0:
        raise PricingValidationError("package_size", f"must be greater than 0 (got {package_size})")
    free_units = _optional(properties, "free_units", "free_units")
    return PackageProperties(
        amount=amount, package_size=package_size, free_units=free_units or ZERO
    )


def _parse_percentage(properties: Mapping[str, Any]) -> PercentageProperties:
    rate = _required(properties, "rate", "rate")
    fixed_amount = _optional(properties, "fixed_amount", "fixed_amount")
    free_events = _optional(properties, "free_units_per_events", "free_units_per_events")
    if free_events is not None and free_events != free_events.to_integral_value():
        raise PricingValidationError(
            "free_units_per_events", f"must be a whole number of events (got {free_events})"
        )
    free_total = _optional(
        properties, "free_units_per_total_aggregation", "free_units_per_total_aggregation"
    )
    minimum = _optional(properties, "per_transaction_min_amount", "per_transaction_min_amount")
    maximum = _optional(properties, "per_transaction_max_amount", "per_transaction_max_amount")
    if minimum is not None and maximum is not None and minimum > maximum:
        # Lago reports this on the maximum too.
        raise PricingValidationError(
            "per_transaction_max_amount",
            f"must not be below per_transaction_min_amount ({maximum} < {minimum})",
        )
    return PercentageProperties(
        rate=rate,
        fixed_amount=fixed_amount or ZERO,
        free_units_per_events=int(free_events) if free_events else None,
        free_units_per_total_aggregation=free_total or None,
        per_transaction_min_amount=minimum,
        per_transaction_max_amount=maximum,
    )


def _parse_tiers(model: str, properties: Mapping[str, Any]) -> TieredProperties:
    key, price_key = _RANGE_KEYS[model]
    ranges = properties.get(key)
    if _is_blank(ranges):
        raise PricingValidationError(key, "at least one range is required")
    if isinstance(ranges, str | bytes | Mapping) or not isinstance(ranges, Sequence):
        raise PricingValidationError(key, "must be a list of ranges")
    if not ranges:
        raise PricingValidationError(key, "at least one range is required")
    tiers: list[Tier] = []
    last = len(ranges) - 1
    for index, raw in enumerate(ranges):
        path = f"{key}[{index}]"
        if not isinstance(raw, Mapping):
            raise PricingValidationError(path, "must be an object")
        from_value = _required(raw, "from_value", f"{path}.from_value")
        to_value = _optional(raw, "to_value", f"{path}.to_value")
        price = _required(raw, price_key, f"{path}.{price_key}")
        flat_amount = _optional(raw, "flat_amount", f"{path}.flat_amount") or ZERO
        lower = ZERO if not tiers else tiers[-1].to_value
        assert lower is not None  # an open range that is not last was refused below
        _check_from_value(from_value, lower, first=not tiers, path=f"{path}.from_value")
        _check_to_value(from_value, to_value, last=index == last, path=f"{path}.to_value")
        is_rate = price_key == "rate"
        tiers.append(
            Tier(
                lower=lower,
                from_value=from_value,
                to_value=to_value,
                unit_amount=price.scaleb(-2) if is_rate else price,
                flat_amount=flat_amount,
                rate=price if is_rate else None,
            )
        )
    return TieredProperties(tiers=tuple(tiers))


def _check_from_value(from_value: Decimal, lower: Decimal, *, first: bool, path: str) -> None:
    if first:
        if from_value != 0:
            raise PricingValidationError(
                path, f"the first range must start at 0 (got {from_value})"
            )
        return
    if from_value < lower:
        raise PricingValidationError(
            path, f"ranges overlap: {from_value} is below the previous to_value {lower}"
        )
    integer_style = lower == lower.to_integral_value() and from_value == lower + 1
    if from_value != lower and not integer_style:
        expected = f"{lower} or {lower + 1}" if lower == lower.to_integral_value() else f"{lower}"
        raise PricingValidationError(
            path,
            f"ranges leave a gap: {from_value} should be {expected} "
            f"(the previous to_value is {lower})",
        )


def _check_to_value(
    from_value: Decimal, to_value: Decimal | None, *, last: bool, path: str
) -> None:
    if to_value is None:
        if not last:
            raise PricingValidationError(
                path, "only the last range may be open-ended (to_value null)"
            )
        return
    if to_value <= from_value:
        raise PricingValidationError(
            path, f"must be greater than from_value ({to_value} <= {from_value})"
        )
    if last:
        raise PricingValidationError(path, "the last range must be open-ended (to_value null)")


def _required(properties: Mapping[str, Any], key: str, path: str) -> Decimal:
    value = properties.get(key)
    if _is_blank(value):
        raise PricingValidationError(path, "is required")
    return _non_negative(value, path)


def _optional(properties: Mapping[str, Any], key: str, path: str) -> Decimal | None:
    value = properties.get(key)
    if _is_blank(value):
        return None
    return _non_negative(value, path)


def _is_blank(value: Any) -> bool:
    # Lago's editor sends "" for an emptied optional input; treat it like null.
    return value is None or (isinstance(value, str) and not value.strip())


def _non_negative(value: Any, path: str) -> Decimal:
    number = _to_decimal(value, path)
    if number < 0:
        raise PricingValidationError(path, f"must not be negative (got {number})")
    return number


def _to_decimal(value: Any, path: str) -> Decimal:
    if isinstance(value, float):
        raise PricingValidationError(path, f"must be a decimal string, not a float ({value!r})")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PricingValidationError(path, f"must be a decimal string (got {value!r})")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise PricingValidationError(path, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise PricingValidationError(path, f"{value!r} is not a finite number")
    return number
