"""A rate-card row as the editor submits it: parsing and validation at save time, the
validate-as-you-type check and the sample-price preview (the last two touch no database)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from console.catalog.domain.ratecard import REGIONS, SEGMENTS, Interval, PriceKind, plain_json
from console.kernel.errors import FieldError
from console.money import MoneyError, exponent, format_minor, parse_major
from console.pricing import CHARGE_MODELS, PricingValidationError, sample_prices, validate
from models import Meter

#: Usage levels the editor previews when none are given.
DEFAULT_PREVIEW_LEVELS: tuple[int, ...] = (0, 1, 10, 100, 1_000, 10_000, 100_000)


@dataclass(frozen=True)
class PriceInput:
    """A rate-card row as the editor submits it (text fields as typed).

    Attributes:
        name: display name.
        kind: recurring | seat | usage | one_time.
        charge_model: one of the pricing engine's charge models.
        properties: the model's properties, as a mapping or as JSON text from the editor.
        currency: ISO 4217 code.
        meter_id: the meter of a usage row (must be empty otherwise).
        region: one region or ``None``/"" for every region.
        segment: one segment or ``None``/"" for every segment.
        billing_interval: month | year.
        pay_in_advance: billed at the start (True) or the end of the period.
        minimum: minimum charge per period in major units as typed ("" for none).
        commit: committed spend in major units as typed ("" for none).
    """

    name: str
    kind: str
    charge_model: str
    properties: Mapping[str, Any] | str
    currency: str
    meter_id: int | None = None
    region: str | None = None
    segment: str | None = None
    billing_interval: str = Interval.MONTH
    pay_in_advance: bool = True
    minimum: str = ""
    commit: str = ""


@dataclass(frozen=True)
class SamplePrice:
    """What a sample customer would pay at one usage level (preformatted)."""

    units: str
    amount: str
    amount_minor: int


def parse_properties_text(value: Mapping[str, Any] | str) -> dict[str, Any]:
    """Properties from the editor as a plain JSON object (numbers with fractions as text).

    Raises:
        FieldError: on ``properties`` when the text is not a JSON object.
    """
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise FieldError("properties", f"is not valid JSON ({exc.msg}, line {exc.lineno})"
                             ) from None
    if not isinstance(value, Mapping):
        raise FieldError("properties", "must be a JSON object")
    return plain_json(value)


def check_properties(model: str, properties: Mapping[str, Any] | str) -> dict[str, Any]:
    """Parse and validate properties with the pricing engine.

    Raises:
        FieldError: naming the path, e.g. ``properties.graduated_ranges[1].from_value``.
    """
    if model not in CHARGE_MODELS:
        raise FieldError("charge_model", f"must be one of {', '.join(CHARGE_MODELS)}")
    props = parse_properties_text(properties)
    try:
        validate(model, props)
    except PricingValidationError as exc:
        raise FieldError(f"properties.{exc.field}", exc.message) from None
    return props


def _level(value: Decimal | int | str, index: int) -> Decimal:
    if isinstance(value, float | bool):
        raise FieldError(f"levels[{index}]", "must be a whole or decimal number")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise FieldError(f"levels[{index}]", f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise FieldError(f"levels[{index}]", "must be a number of at least 0")
    return number


def _optional_choice(value: str | None, allowed: Sequence[str], field: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and value not in allowed:
        raise FieldError(field, f"must be one of {', '.join(allowed)} or empty for all")
    return value


def _minor_amount(text: str, currency: str, field: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = parse_major(text, currency)
    except MoneyError as exc:
        raise FieldError(field, str(exc)) from None
    if value < 0:
        raise FieldError(field, "must not be negative")
    return value


def price_values(session: Session, price: PriceInput) -> dict[str, Any]:
    """Validate an editor's row and return the column values to store.

    Raises:
        FieldError: for the first invalid field.
    """
    name = (price.name or "").strip()
    if not name:
        raise FieldError("name", "is required")
    if len(name) > 200:
        raise FieldError("name", "must be at most 200 characters")
    if price.kind not in {k.value for k in PriceKind}:
        raise FieldError("kind", f"must be one of {', '.join(k.value for k in PriceKind)}")
    try:
        exponent(price.currency)
    except MoneyError as exc:
        raise FieldError("currency", str(exc)) from None
    if price.billing_interval not in {i.value for i in Interval}:
        raise FieldError("billing_interval", "must be month or year")
    if price.kind == PriceKind.USAGE:
        if price.meter_id is None:
            raise FieldError("meter_id", "a usage price needs a meter")
        if session.get(Meter, price.meter_id) is None:
            raise FieldError("meter_id", "no such meter")
    elif price.meter_id is not None:
        raise FieldError("meter_id", f"a {price.kind} price has no meter")
    properties = check_properties(price.charge_model, price.properties)
    return {
        "name": name,
        "kind": price.kind,
        "charge_model": price.charge_model,
        "properties": properties,
        "currency": price.currency,
        "meter_id": price.meter_id,
        "region": _optional_choice(price.region, REGIONS, "region"),
        "segment": _optional_choice(price.segment, SEGMENTS, "segment"),
        "billing_interval": price.billing_interval,
        "pay_in_advance": bool(price.pay_in_advance),
        "minimum_minor": _minor_amount(price.minimum, price.currency, "minimum"),
        "commit_minor": _minor_amount(price.commit, price.currency, "commit"),
    }


# --- page-facing


def price_problem(model: str, properties: Mapping[str, Any] | str) -> str:
    """Validate-as-you-type: the first problem as ``field: message``, or ``""`` when valid."""
    try:
        check_properties(model, properties)
    except FieldError as exc:
        return str(exc)
    return ""


def price_preview(
    model: str,
    properties: Mapping[str, Any] | str,
    currency: str,
    levels: Sequence[Decimal | int | str] = DEFAULT_PREVIEW_LEVELS,
) -> list[SamplePrice]:
    """What a sample customer would pay at a few usage levels (rounded like an invoice line).

    Args:
        model: the charge model.
        properties: its properties, as a mapping or as JSON text from the editor.
        currency: ISO 4217 code.
        levels: the usage levels to price.

    Returns:
        One sample per level, formatted like an invoice line.

    Raises:
        FieldError: for invalid properties, currency or levels.
    """
    props = check_properties(model, properties)
    try:
        exponent(currency)
    except MoneyError as exc:
        raise FieldError("currency", str(exc)) from None
    parsed = [_level(v, i) for i, v in enumerate(levels)]
    try:
        rows = sample_prices(model, props, parsed, currency)
    except PricingValidationError as exc:
        raise FieldError(exc.field, exc.message) from None
    return [SamplePrice(f"{units.normalize():,f}", format_minor(minor, currency), minor)
            for units, minor in rows]
