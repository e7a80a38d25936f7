"""Editing plan versions: new drafts, rate-card rows and entitlements (drafts only).

Published versions are immutable: editing one means :func:`create_draft_from`, which copies
its prices and entitlements into a new draft (number = max + 1, ``based_on_id`` set). A plan
has at most one open version (draft, pending approval or approved) at a time. Every change
checks the editor's permission on the server, bumps the draft's row version (so an edit that
races a submit fails cleanly) and writes one audit event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.diff import price_json
from console.catalog.domain.ratecard import (
    REGIONS,
    SEGMENTS,
    Interval,
    PriceKind,
    canonical_json,
    plain_json,
)
from console.catalog.domain.status import VersionStatus, version_label
from console.catalog.usecases.common import (
    get_plan,
    get_version,
    meter_codes,
    move_version,
    published_version,
    refuse_second_open_version,
    spec_of,
    version_prices,
)
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, FieldError, InvalidInput, NotAllowed, NotFound
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import MoneyError, exponent, format_minor, parse_major
from console.pricing import CHARGE_MODELS, PricingValidationError, sample_prices, validate
from models import Entitlement, Feature, Meter, PlanVersion, Price

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


def price_problem(model: str, properties: Mapping[str, Any] | str) -> str:
    """Validate-as-you-type: the first problem as ``field: message``, or ``""`` when valid."""
    try:
        check_properties(model, properties)
    except FieldError as exc:
        return str(exc)
    return ""


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


def preview_price(
    model: str,
    properties: Mapping[str, Any] | str,
    currency: str,
    levels: Sequence[Decimal | int | str] = DEFAULT_PREVIEW_LEVELS,
) -> list[SamplePrice]:
    """What a sample customer would pay at a few usage levels (rounded like an invoice line).

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


def editable_draft(
    session: Session, version_id: int, actor: Actor, expected_version: int | None = None
) -> PlanVersion:
    """Load a draft for editing: permission, draft status, optimistic version, row bumped.

    Raises:
        NotAllowed: without edit permission, or when the version is not a draft.
        Conflict: when ``expected_version`` is stale or a concurrent change won.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    version = get_version(session, version_id)
    if version.status != VersionStatus.DRAFT:
        if version.status in (VersionStatus.PUBLISHED, VersionStatus.RETIRED):
            raise NotAllowed(
                f"v{version.number} is {version_label(version.status).lower()} and cannot be "
                "changed; create a draft from it to edit."
            )
        raise NotAllowed(
            f"v{version.number} is {version_label(version.status).lower()}; withdraw its "
            "change request to edit it again."
        )
    if expected_version is not None and expected_version != version.version:
        raise Conflict("This draft changed since you opened it; reload and try again.")
    conditional_update(session, version)  # claims it: a racing writer gets Conflict
    return version


def _refuse_duplicate(session: Session, version_id: int, values: Mapping[str, Any],
                      exclude_id: int | None = None) -> None:
    meters = meter_codes(session)
    candidate = spec_of(Price(plan_version_id=version_id, **values), meters)
    for other in version_prices(session, version_id):
        if other.id != exclude_id and spec_of(other, meters).match_key == candidate.match_key:
            raise FieldError(
                "name",
                "this version already has a price with this name, meter, currency, region, "
                "segment and interval",
            )


def _price_audit(price: Price, session: Session) -> dict[str, Any]:
    return {"price_id": price.id, **price_json(spec_of(price, meter_codes(session)))}


def create_draft_from(session: Session, *, version_id: int, actor: Actor,
                      notes: str = "") -> PlanVersion:
    """Start a new draft that copies a published (or retired) version's prices and entitlements.

    Raises:
        NotAllowed: without edit permission.
        Conflict: when the plan already has an open version, or the source is not published
            or retired.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    source = get_version(session, version_id)
    if source.status not in (VersionStatus.PUBLISHED, VersionStatus.RETIRED):
        raise Conflict(
            f"v{source.number} is {version_label(source.status).lower()}; edit it directly "
            "(only published or retired versions are copied into a new draft)."
        )
    refuse_second_open_version(session, source.plan_id)
    number = session.execute(
        sa.select(sa.func.max(PlanVersion.number)).where(PlanVersion.plan_id == source.plan_id)
    ).scalar_one()
    draft = PlanVersion(plan_id=source.plan_id, number=(number or 0) + 1,
                        status=VersionStatus.DRAFT.value, based_on_id=source.id,
                        notes=notes, created_by=actor.user_id)
    session.add(draft)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone else started a draft of this plan at the same time; reload."
                       ) from None
    for position, price in enumerate(version_prices(session, source.id)):
        session.add(Price(
            plan_version_id=draft.id, meter_id=price.meter_id, name=price.name, kind=price.kind,
            charge_model=price.charge_model, properties=dict(price.properties),
            currency=price.currency, region=price.region, segment=price.segment,
            billing_interval=price.billing_interval, pay_in_advance=price.pay_in_advance,
            minimum_minor=price.minimum_minor, commit_minor=price.commit_minor,
            position=position,
        ))
    for ent in session.execute(
        sa.select(Entitlement).where(Entitlement.plan_version_id == source.id)
    ).scalars():
        session.add(Entitlement(plan_version_id=draft.id, feature_id=ent.feature_id,
                                enabled=ent.enabled, limit_value=ent.limit_value))
    session.flush()
    record(session, actor=actor, action="catalog.version.create_draft",
           object_type="plan_version", object_id=draft.id,
           after={"plan_id": draft.plan_id, "number": draft.number, "status": draft.status,
                  "based_on_id": source.id, "based_on_number": source.number})
    return draft


def create_first_draft(session: Session, *, plan_id: int, actor: Actor,
                       notes: str = "") -> PlanVersion:
    """Start an empty draft for a plan that has never been published.

    Raises:
        Conflict: when the plan has a published version (copy it instead) or an open one.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    plan = get_plan(session, plan_id)
    refuse_second_open_version(session, plan.id)
    current = published_version(session, plan.id)
    if current is not None:
        raise Conflict(f"{plan.name} has a published version v{current.number}; create a draft "
                       "from it instead.")
    number = session.execute(
        sa.select(sa.func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan.id)
    ).scalar_one()
    draft = PlanVersion(plan_id=plan.id, number=(number or 0) + 1,
                        status=VersionStatus.DRAFT.value, notes=notes, created_by=actor.user_id)
    session.add(draft)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone else started a draft of this plan at the same time; reload."
                       ) from None
    record(session, actor=actor, action="catalog.version.create_draft",
           object_type="plan_version", object_id=draft.id,
           after={"plan_id": plan.id, "number": draft.number, "status": draft.status,
                  "based_on_id": None})
    return draft


def add_price(session: Session, *, version_id: int, price: PriceInput, actor: Actor,
              expected_version: int | None = None) -> Price:
    """Add a rate-card row to a draft (validated with the pricing engine).

    Raises:
        FieldError: (an InvalidInput) naming the invalid field; nothing is saved.
        NotAllowed: when the version is not a draft or the user may not edit.
    """
    version = editable_draft(session, version_id, actor, expected_version)
    values = price_values(session, price)
    _refuse_duplicate(session, version.id, values)
    position = session.execute(
        sa.select(sa.func.max(Price.position)).where(Price.plan_version_id == version.id)
    ).scalar_one()
    next_position = 0 if position is None else position + 1
    row = Price(plan_version_id=version.id, position=next_position, **values)
    session.add(row)
    session.flush()
    record(session, actor=actor, action="catalog.price.add", object_type="plan_version",
           object_id=version.id, after=_price_audit(row, session))
    return row


def _draft_price(session: Session, price_id: int, actor: Actor,
                 expected_version: int | None) -> tuple[Price, PlanVersion]:
    row = session.get(Price, price_id)
    if row is None:
        raise NotFound("No such price.")
    version = editable_draft(session, row.plan_version_id, actor, expected_version)
    return row, version


def update_price(session: Session, *, price_id: int, price: PriceInput, actor: Actor,
                 expected_version: int | None = None) -> Price:
    """Replace a draft's rate-card row with the editor's values (validated at save time).

    Raises:
        FieldError: naming the invalid field (e.g. ``properties.amount``); nothing is saved.
        NotAllowed: when the row belongs to a published (immutable) or pending version.
    """
    row, version = _draft_price(session, price_id, actor, expected_version)
    values = price_values(session, price)
    _refuse_duplicate(session, version.id, values, exclude_id=row.id)
    before = _price_audit(row, session)
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    after = _price_audit(row, session)
    if canonical_json(before) == canonical_json(after):
        return row
    record(session, actor=actor, action="catalog.price.update", object_type="plan_version",
           object_id=version.id, before=before, after=after)
    return row


def remove_price(session: Session, *, price_id: int, actor: Actor,
                 expected_version: int | None = None) -> None:
    """Delete a rate-card row from a draft."""
    row, version = _draft_price(session, price_id, actor, expected_version)
    before = _price_audit(row, session)
    session.delete(row)
    session.flush()
    record(session, actor=actor, action="catalog.price.remove", object_type="plan_version",
           object_id=version.id, before=before)


def set_entitlement(session: Session, *, version_id: int, feature_id: int, enabled: bool,
                    actor: Actor, limit_value: int | None = None,
                    expected_version: int | None = None) -> Entitlement:
    """Grant (or change) a feature on a draft: on/off and an optional limit.

    Raises:
        FieldError: when the limit is negative or given for a boolean feature.
    """
    version = editable_draft(session, version_id, actor, expected_version)
    feature = session.get(Feature, feature_id)
    if feature is None:
        raise FieldError("feature_id", "no such feature")
    if limit_value is not None:
        if isinstance(limit_value, bool) or not isinstance(limit_value, int) or limit_value < 0:
            raise FieldError("limit_value", "must be a whole number of at least 0")
        if feature.kind == "boolean":
            raise FieldError("limit_value", f"{feature.key} is on/off and takes no limit")
    ent = session.execute(
        sa.select(Entitlement).where(Entitlement.plan_version_id == version.id,
                                     Entitlement.feature_id == feature_id)
    ).scalar_one_or_none()
    before = None if ent is None else {"feature": feature.key, "enabled": ent.enabled,
                                       "limit_value": ent.limit_value}
    if ent is None:
        ent = Entitlement(plan_version_id=version.id, feature_id=feature_id)
        session.add(ent)
    ent.enabled = bool(enabled)
    ent.limit_value = limit_value
    session.flush()
    record(session, actor=actor, action="catalog.entitlement.set", object_type="plan_version",
           object_id=version.id, before=before,
           after={"feature": feature.key, "enabled": ent.enabled,
                  "limit_value": ent.limit_value})
    return ent


def remove_entitlement(session: Session, *, version_id: int, feature_id: int, actor: Actor,
                       expected_version: int | None = None) -> None:
    """Stop granting a feature on a draft."""
    version = editable_draft(session, version_id, actor, expected_version)
    ent = session.execute(
        sa.select(Entitlement).where(Entitlement.plan_version_id == version.id,
                                     Entitlement.feature_id == feature_id)
    ).scalar_one_or_none()
    if ent is None:
        raise NotFound("This draft does not grant that feature.")
    feature = session.get(Feature, feature_id)
    before = {"feature": feature.key if feature else feature_id, "enabled": ent.enabled,
              "limit_value": ent.limit_value}
    session.delete(ent)
    session.flush()
    record(session, actor=actor, action="catalog.entitlement.remove",
           object_type="plan_version", object_id=version.id, before=before)


def set_notes(session: Session, *, version_id: int, notes: str, actor: Actor,
              expected_version: int | None = None) -> None:
    """Change a draft's release notes."""
    version = editable_draft(session, version_id, actor, expected_version)
    before = version.notes
    version.notes = (notes or "").strip()
    session.flush()
    record(session, actor=actor, action="catalog.version.notes", object_type="plan_version",
           object_id=version.id, before={"notes": before}, after={"notes": version.notes})


def discard_draft(session: Session, *, version_id: int, actor: Actor, reason: str = "",
                  expected_version: int | None = None) -> None:
    """Abandon a draft that was never published.

    The row stays (change requests and the audit trail may point at it) and is marked
    retired without an effective date; views show it as "Discarded".
    """
    version = editable_draft(session, version_id, actor, expected_version)
    move_version(session, version, VersionStatus.RETIRED)
    record(session, actor=actor, action="catalog.version.discard", object_type="plan_version",
           object_id=version.id, before={"status": VersionStatus.DRAFT.value},
           after={"status": version.status}, reason=reason)


def validate_draft(session: Session, version_id: int) -> None:
    """Re-validate every row of a version (e.g. before submitting).

    Raises:
        InvalidInput: naming the row and field of the first problem.
    """
    for row in version_prices(session, version_id):
        try:
            validate(row.charge_model, row.properties)
        except PricingValidationError as exc:
            raise InvalidInput(f"Price {row.name!r}: properties.{exc.field}: {exc.message}"
                               ) from None
