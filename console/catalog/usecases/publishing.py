"""Publishing an approved change request: the version takes effect from a date, the one before
it retires, and existing subscribers are grandfathered on their version."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.status import (
    ChangeRequestStatus,
    VersionStatus,
    change_request_label,
)
from console.catalog.queries.loaders import get_change_request, get_version, published_version
from console.catalog.queries.page_text import parse_day
from console.catalog.usecases.lifecycle import SUBJECT, move_change_request, move_version
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import PlanVersion, Subscription
from models.db import unit_of_work
from models.types import utcnow

#: Subscriptions that are grandfathered on publish (everyone not yet canceled).
LIVE_SUBSCRIPTION_STATUSES = ("trialing", "active", "past_due")


def _today() -> date:
    return datetime.now(UTC).date()


def _version_audit(version: PlanVersion) -> dict[str, Any]:
    return {"status": version.status, "number": version.number,
            "effective_from": version.effective_from, "effective_to": version.effective_to}


def publish(session: Session, *, change_request_id: int, effective_from: date, actor: Actor,
            today: date | None = None) -> PlanVersion:
    """Publish an approved change request's version from ``effective_from``.

    The previously published version is retired with ``effective_to = effective_from - 1``;
    new subscriptions take the new version from its effective date (see
    :func:`console.catalog.queries.loaders.version_for_new_subscription`); existing
    subscribers stay on their version and are marked ``grandfathered`` unless a migration
    moves them.

    Returns:
        The published version.

    Raises:
        NotAllowed: without edit or approve permission.
        Conflict: not approved, or the date is not after the current version's start.
        InvalidInput: an effective date in the past.
    """
    require(session, actor, Permission.EDIT_CATALOG, Permission.APPROVE_CATALOG)
    cr = get_change_request(session, change_request_id)
    if cr.status != ChangeRequestStatus.APPROVED:
        raise Conflict(f"This change request is {change_request_label(cr.status).lower()}; "
                       "only an approved one can be published.")
    today = today or _today()
    if effective_from < today:
        raise InvalidInput("The effective date cannot be in the past.")
    version = get_version(session, cr.plan_version_id)
    previous = published_version(session, version.plan_id)
    if previous is not None and previous.effective_from and \
            effective_from <= previous.effective_from:
        raise Conflict(f"The effective date must be after v{previous.number}'s "
                       f"({previous.effective_from.isoformat()}).")
    if previous is not None:
        before = _version_audit(previous)
        move_version(session, previous, VersionStatus.RETIRED,
                     effective_to=effective_from - timedelta(days=1))
        record(session, actor=actor, action="catalog.version.retire",
               object_type="plan_version", object_id=previous.id, before=before,
               after=_version_audit(previous), reason=f"replaced by v{version.number}")
    before = _version_audit(version)
    move_version(session, version, VersionStatus.PUBLISHED, effective_from=effective_from,
                 effective_to=None, published_at=utcnow(), published_by=actor.user_id)
    move_change_request(session, cr, ChangeRequestStatus.PUBLISHED, effective_from=effective_from)
    record(session, actor=actor, action="catalog.version.publish", object_type="plan_version",
           object_id=version.id, before=before, after=_version_audit(version),
           reason=cr.reason)
    record(session, actor=actor, action="catalog.change_request.publish", object_type=SUBJECT,
           object_id=cr.id, before={"status": ChangeRequestStatus.APPROVED.value},
           after={"status": cr.status, "effective_from": effective_from})
    grandfathered = session.execute(
        sa.update(Subscription)
        .where(Subscription.plan_id == version.plan_id,
               Subscription.plan_version_id != version.id,
               Subscription.status.in_(LIVE_SUBSCRIPTION_STATUSES),
               Subscription.grandfathered.is_(False))
        .values(grandfathered=True, version=Subscription.version + 1)
    ).rowcount
    if grandfathered:
        record(session, actor=actor, action="catalog.subscriptions.grandfather",
               object_type="plan_version", object_id=version.id,
               after={"subscriptions": grandfathered, "grandfathered": True},
               reason=f"stay on their version after v{version.number} was published")
    return version


# --- page-facing


def publish_change(*, user_id: int, change_request_id: int, effective_from: date | str) -> None:
    """Publish an approved change request from ``effective_from``, as the signed-in user.

    Args:
        user_id: the signed-in user.
        change_request_id: the approved change request.
        effective_from: a date or YYYY-MM-DD.

    Raises:
        InvalidInput: not a date, or a date in the past.
        NotAllowed: without edit or approve permission.
        Conflict: not approved, or the date is not after the current version's start.
    """
    day = parse_day(effective_from, "effective_from")
    with unit_of_work() as s:
        publish(s, change_request_id=change_request_id, effective_from=day,
                actor=actor_for(s, user_id))
