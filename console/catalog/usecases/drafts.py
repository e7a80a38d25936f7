"""Drafts of plan versions: starting one, its notes, discarding it, and the check that a
draft may be edited.

Published versions are immutable: editing one means :func:`create_draft_from`, which copies
its prices and entitlements into a new draft (number = max + 1, ``based_on_id`` set). A plan
has at most one open version (draft, pending approval or approved) at a time. Every change
checks the editor's permission on the server, bumps the draft's row version (so an edit that
races a submit fails cleanly) and writes one audit event. The rate card's rows are edited by
:mod:`console.catalog.usecases.rate_card_edits`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.status import VersionStatus, version_label
from console.catalog.queries.loaders import get_plan, get_version, published_version
from console.catalog.queries.rate_cards import version_prices
from console.catalog.usecases.lifecycle import move_version, refuse_second_open_version
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import check_version, conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.pricing import PricingValidationError, validate
from models import Entitlement, PlanVersion, Price
from models.db import unit_of_work


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
    check_version(version, expected_version)
    conditional_update(session, version)  # claims it: a racing writer gets Conflict
    return version


def _next_draft(session: Session, *, plan_id: int, actor: Actor, notes: str,
                based_on_id: int | None = None) -> PlanVersion:
    number = session.execute(
        sa.select(sa.func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan_id)
    ).scalar_one()
    draft = PlanVersion(plan_id=plan_id, number=(number or 0) + 1,
                        status=VersionStatus.DRAFT.value, based_on_id=based_on_id,
                        notes=notes, created_by=actor.user_id)
    session.add(draft)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone else started a draft of this plan at the same time; reload."
                       ) from None
    return draft


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
    draft = _next_draft(session, plan_id=source.plan_id, actor=actor, based_on_id=source.id,
                        notes=notes)
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
        NotAllowed: without edit permission.
        NotFound: when there is no such plan.
        Conflict: when the plan has a published version (copy it instead) or an open one.
    """
    require(session, actor, Permission.EDIT_CATALOG)
    plan = get_plan(session, plan_id)
    refuse_second_open_version(session, plan.id)
    current = published_version(session, plan.id)
    if current is not None:
        raise Conflict(f"{plan.name} has a published version v{current.number}; create a draft "
                       "from it instead.")
    draft = _next_draft(session, plan_id=plan.id, actor=actor, notes=notes)
    record(session, actor=actor, action="catalog.version.create_draft",
           object_type="plan_version", object_id=draft.id,
           after={"plan_id": plan.id, "number": draft.number, "status": draft.status,
                  "based_on_id": None})
    return draft


def set_notes(session: Session, *, version_id: int, notes: str, actor: Actor,
              expected_version: int | None = None) -> None:
    """Change a draft's release notes.

    Raises:
        NotAllowed: without edit permission, or when the version is not a draft.
        Conflict: when ``expected_version`` is stale or a concurrent change won.
    """
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


# --- page-facing


def start_draft(*, user_id: int, version_id: int) -> int:
    """Start a draft from a published version, as the signed-in user.

    Returns:
        The draft's id.

    Raises:
        NotAllowed: without edit permission.
        Conflict: when the plan already has an open version, or the source is not published
            or retired.
    """
    with unit_of_work() as s:
        return create_draft_from(s, version_id=version_id, actor=actor_for(s, user_id)).id


def start_empty_draft(*, user_id: int, plan_id: int) -> int:
    """Start the first (empty) draft of a plan that was never published, as the signed-in user.

    Returns:
        The draft's id.

    Raises:
        NotAllowed: without edit permission.
        Conflict: when the plan has a published or an open version.
    """
    with unit_of_work() as s:
        return create_first_draft(s, plan_id=plan_id, actor=actor_for(s, user_id)).id


def save_notes(*, user_id: int, version_id: int, notes: str,
               expected_version: int | None = None) -> None:
    """Change a draft's notes, as the signed-in user.

    Raises:
        NotAllowed: without edit permission, or when the version is not a draft.
        Conflict: when ``expected_version`` is stale.
    """
    with unit_of_work() as s:
        set_notes(s, version_id=version_id, notes=notes, actor=actor_for(s, user_id),
                  expected_version=expected_version)


def discard(*, user_id: int, version_id: int, reason: str = "") -> None:
    """Abandon a draft, as the signed-in user.

    Raises:
        NotAllowed: without edit permission, or when the version is not a draft.
    """
    with unit_of_work() as s:
        discard_draft(s, version_id=version_id, actor=actor_for(s, user_id), reason=reason)
