"""Plan versions as JSON documents with Lago-compatible charges (export and import).

Document shape (keys Lago knows keep Lago's names; ``kind``, ``amount_currency``, ``region``,
``segment``, ``billing_interval`` and ``commit_amount_cents`` are the console's additions
because one console version holds several currencies and recurring/seat rows as charges)::

    {
      "plan": {"code": "pro", "name": "Pro", "description": "", "interval": "monthly",
               "product_code": "platform"},
      "charges": [
        {"billable_metric_code": "api_calls", "charge_model": "graduated",
         "properties": {"graduated_ranges": [...]}, "invoice_display_name": "API calls",
         "pay_in_advance": false, "min_amount_cents": null, "kind": "usage",
         "amount_currency": "USD", "region": null, "segment": null,
         "billing_interval": "monthly", "commit_amount_cents": null}
      ],
      "entitlements": [{"feature_code": "sso", "enabled": true, "limit": null}]
    }

Version numbers, statuses and dates are deliberately not part of the document, so exporting
an imported document gives the identical document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from console.catalog.domain.ratecard import (
    REGIONS,
    SEGMENTS,
    EntitlementSpec,
    Interval,
    PriceKind,
    PriceSpec,
    plain_json,
)
from console.money import MoneyError, exponent
from console.pricing import CHARGE_MODELS, PricingValidationError, validate

_LAGO_INTERVALS = {Interval.MONTH: "monthly", Interval.YEAR: "yearly"}
_FROM_LAGO = {v: k for k, v in _LAGO_INTERVALS.items()}


class DocumentError(ValueError):
    """An import document is not valid; ``field`` is the path of the problem."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PlanHeader:
    """The plan a document belongs to."""

    code: str
    name: str
    description: str = ""
    interval: str = Interval.MONTH
    product_code: str = ""


@dataclass(frozen=True)
class PlanDocument:
    """A parsed, validated import document."""

    plan: PlanHeader
    prices: tuple[PriceSpec, ...]
    entitlements: tuple[EntitlementSpec, ...]


def charge_json(price: PriceSpec) -> dict[str, Any]:
    """One rate-card row as a Lago-compatible charge."""
    return {
        "billable_metric_code": price.meter_code,
        "charge_model": price.charge_model,
        "properties": dict(price.properties),
        "invoice_display_name": price.name,
        "pay_in_advance": price.pay_in_advance,
        "min_amount_cents": price.minimum_minor,
        "kind": price.kind,
        "amount_currency": price.currency,
        "region": price.region,
        "segment": price.segment,
        "billing_interval": _LAGO_INTERVALS.get(Interval(price.billing_interval), "monthly"),
        "commit_amount_cents": price.commit_minor,
    }


def export_document(
    plan: PlanHeader, prices: Sequence[PriceSpec], entitlements: Sequence[EntitlementSpec]
) -> dict[str, Any]:
    """The document for a plan version (rows in rate-card order, entitlements by key)."""
    return {
        "plan": {
            "code": plan.code,
            "name": plan.name,
            "description": plan.description,
            "interval": _LAGO_INTERVALS.get(Interval(plan.interval), "monthly"),
            "product_code": plan.product_code,
        },
        "charges": [charge_json(p) for p in prices],
        "entitlements": [
            {"feature_code": e.feature_key, "enabled": e.enabled, "limit": e.limit_value}
            for e in sorted(entitlements, key=lambda e: e.feature_key)
        ],
    }


def dumps(document: Mapping[str, Any]) -> str:
    """Stable, readable JSON text of a document."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def loads(text: str) -> Any:
    """Parse JSON text; numbers with a fraction become Decimals (never floats).

    Raises:
        DocumentError: if the text is not JSON.
    """
    try:
        return json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, TypeError) as exc:
        raise DocumentError("document", f"is not valid JSON ({exc})") from None


def _text(raw: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DocumentError(f"{path}.{key}", "is required")
        return None
    if not isinstance(value, str):
        raise DocumentError(f"{path}.{key}", "must be text")
    return value


def _minor(raw: Mapping[str, Any], key: str, path: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DocumentError(f"{path}.{key}", "must be a non-negative whole number of cents")
    return value


def _choice(value: str | None, allowed: Sequence[str], path: str) -> str | None:
    if value is not None and value not in allowed:
        raise DocumentError(path, f"must be one of {', '.join(allowed)} (got {value!r})")
    return value


def parse_charge(raw: Any, path: str) -> PriceSpec:
    """Validate one charge of a document into a rate-card row.

    Raises:
        DocumentError: naming the field path, e.g. ``charges[1].properties.amount``.
    """
    if not isinstance(raw, Mapping):
        raise DocumentError(path, "must be an object")
    model = _text(raw, "charge_model", path)
    assert model is not None
    _choice(model, CHARGE_MODELS, f"{path}.charge_model")
    properties = raw.get("properties")
    if not isinstance(properties, Mapping):
        raise DocumentError(f"{path}.properties", "must be an object")
    try:
        validate(model, properties)
    except PricingValidationError as exc:
        raise DocumentError(f"{path}.properties.{exc.field}", exc.message) from None
    kind = _text(raw, "kind", path, required=False) or PriceKind.USAGE
    _choice(kind, [k.value for k in PriceKind], f"{path}.kind")
    meter = _text(raw, "billable_metric_code", path, required=False)
    if kind == PriceKind.USAGE and meter is None:
        raise DocumentError(f"{path}.billable_metric_code", "is required for a usage charge")
    if kind != PriceKind.USAGE and meter is not None:
        raise DocumentError(f"{path}.billable_metric_code", f"must be empty for a {kind} charge")
    name = _text(raw, "invoice_display_name", path)
    currency = _text(raw, "amount_currency", path)
    assert name is not None and currency is not None
    try:
        exponent(currency)
    except MoneyError as exc:
        raise DocumentError(f"{path}.amount_currency", str(exc)) from None
    interval = _text(raw, "billing_interval", path, required=False) or "monthly"
    _choice(interval, list(_FROM_LAGO), f"{path}.billing_interval")
    advance = raw.get("pay_in_advance", True)
    if not isinstance(advance, bool):
        raise DocumentError(f"{path}.pay_in_advance", "must be true or false")
    return PriceSpec(
        name=name,
        kind=kind,
        charge_model=model,
        properties=plain_json(properties),
        currency=currency,
        meter_code=meter,
        region=_choice(_text(raw, "region", path, required=False), REGIONS, f"{path}.region"),
        segment=_choice(_text(raw, "segment", path, required=False), SEGMENTS,
                        f"{path}.segment"),
        billing_interval=_FROM_LAGO[interval],
        pay_in_advance=advance,
        minimum_minor=_minor(raw, "min_amount_cents", path),
        commit_minor=_minor(raw, "commit_amount_cents", path),
    )


def parse_entitlement(raw: Any, path: str) -> EntitlementSpec:
    """Validate one entitlement of a document."""
    if not isinstance(raw, Mapping):
        raise DocumentError(path, "must be an object")
    key = _text(raw, "feature_code", path)
    assert key is not None
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise DocumentError(f"{path}.enabled", "must be true or false")
    return EntitlementSpec(key, enabled, _minor(raw, "limit", path))


def parse_document(document: Any) -> PlanDocument:
    """Validate an import document (a parsed JSON object).

    Raises:
        DocumentError: for the first problem, naming the field path.
    """
    if not isinstance(document, Mapping):
        raise DocumentError("document", "must be a JSON object")
    plan = document.get("plan")
    if not isinstance(plan, Mapping):
        raise DocumentError("plan", "must be an object")
    code = _text(plan, "code", "plan")
    interval = _text(plan, "interval", "plan", required=False) or "monthly"
    _choice(interval, list(_FROM_LAGO), "plan.interval")
    header = PlanHeader(
        code=code or "",
        name=_text(plan, "name", "plan", required=False) or "",
        description=_text(plan, "description", "plan", required=False) or "",
        interval=_FROM_LAGO[interval],
        product_code=_text(plan, "product_code", "plan", required=False) or "",
    )
    charges = document.get("charges")
    if not isinstance(charges, list):
        raise DocumentError("charges", "must be a list")
    prices = tuple(parse_charge(c, f"charges[{i}]") for i, c in enumerate(charges))
    raw_ents = document.get("entitlements", [])
    if not isinstance(raw_ents, list):
        raise DocumentError("entitlements", "must be a list")
    entitlements = tuple(parse_entitlement(e, f"entitlements[{i}]")
                         for i, e in enumerate(raw_ents))
    seen: set[str] = set()
    for i, ent in enumerate(entitlements):
        if ent.feature_key in seen:
            raise DocumentError(f"entitlements[{i}].feature_code",
                                f"{ent.feature_key} is listed twice")
        seen.add(ent.feature_key)
    return PlanDocument(header, prices, entitlements)
