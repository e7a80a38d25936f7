"""Editing a draft's rate card: its price rows and the features it grants.

Every edit goes through :func:`console.catalog.usecases.drafts.editable_draft` (permission,
draft status, optimistic row version) and writes one audit event on the plan version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.diff import price_json
from console.catalog.domain.ratecard import canonical_json
from console.catalog.queries.rate_cards import meter_codes, spec_of, version_prices
from console.catalog.usecases.drafts import editable_draft
from console.catalog.usecases.price_input import PriceInput, price_values
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import FieldError, InvalidInput, NotFound
from models import Entitlement, Feature, PlanVersion, Price
from models.db import unit_of_work


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


# --- page-facing


def add_price_row(*, user_id: int, version_id: int, price: PriceInput,
                  expected_version: int | None = None) -> int:
    """Add a row to a draft, as the signed-in user.

    Returns:
        The new row's id.

    Raises:
        FieldError: naming the invalid field; nothing is saved.
        NotAllowed: without edit permission, or when the version is not a draft.
        Conflict: when ``expected_version`` is stale.
    """
    with unit_of_work() as s:
        return add_price(s, version_id=version_id, price=price, actor=actor_for(s, user_id),
                         expected_version=expected_version).id


def save_price(*, user_id: int, price_id: int, price: PriceInput,
               expected_version: int | None = None) -> None:
    """Replace a draft row with the editor's values, as the signed-in user.

    Raises:
        FieldError: naming the invalid field; nothing is saved.
        NotAllowed: without edit permission, or when the version is not a draft.
        Conflict: when ``expected_version`` is stale.
    """
    with unit_of_work() as s:
        update_price(s, price_id=price_id, price=price, actor=actor_for(s, user_id),
                     expected_version=expected_version)


def delete_price(*, user_id: int, price_id: int, expected_version: int | None = None) -> None:
    """Remove a draft row, as the signed-in user.

    Raises:
        NotFound: when there is no such row.
        NotAllowed: without edit permission, or when the version is not a draft.
        Conflict: when ``expected_version`` is stale.
    """
    with unit_of_work() as s:
        remove_price(s, price_id=price_id, actor=actor_for(s, user_id),
                     expected_version=expected_version)


def _limit(text: str | int | None) -> int | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        return int(str(text).strip().replace(",", ""))
    except ValueError:
        raise InvalidInput("limit_value: enter a whole number or leave it empty.") from None


def save_entitlement(*, user_id: int, version_id: int, feature_id: int, enabled: bool,
                     limit: str | int | None = None,
                     expected_version: int | None = None) -> None:
    """Grant or change a feature on a draft, as the signed-in user.

    Args:
        user_id: the signed-in user.
        version_id: the draft.
        feature_id: the feature.
        enabled: on or off.
        limit: the limit as typed ("" or None for none).
        expected_version: the draft's row version the page showed.

    Raises:
        InvalidInput: when the limit is not a whole number (``FieldError`` when it is
            negative or the feature takes none).
        NotAllowed: without edit permission, or when the version is not a draft.
    """
    value = _limit(limit)
    with unit_of_work() as s:
        set_entitlement(s, version_id=version_id, feature_id=feature_id, enabled=enabled,
                        limit_value=value, actor=actor_for(s, user_id),
                        expected_version=expected_version)


def delete_entitlement(*, user_id: int, version_id: int, feature_id: int,
                       expected_version: int | None = None) -> None:
    """Stop granting a feature on a draft, as the signed-in user.

    Raises:
        NotFound: when the draft does not grant the feature.
        NotAllowed: without edit permission, or when the version is not a draft.
    """
    with unit_of_work() as s:
        remove_entitlement(s, version_id=version_id, feature_id=feature_id,
                           actor=actor_for(s, user_id), expected_version=expected_version)
