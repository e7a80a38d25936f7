"""Loading the catalog's records: plans, versions, change requests, the approval policy.

Shared by the reads and the writes of the area: each loader either returns the row or raises
:class:`~console.kernel.errors.NotFound` with a message a page can show.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.policy import SETTING_KEY, ApprovalPolicy
from console.catalog.domain.status import OPEN_VERSION_STATUSES, VersionStatus
from console.kernel.errors import InvalidInput, NotFound
from console.kernel.policy import policy
from models import AuditEvent, ChangeRequest, Plan, PlanVersion

#: Audit actions that change a draft's content: whoever did one is a maker of the draft.
EDIT_ACTIONS = (
    "catalog.version.create_draft", "catalog.version.import", "catalog.version.notes",
    "catalog.price.add", "catalog.price.update", "catalog.price.remove",
    "catalog.entitlement.set", "catalog.entitlement.remove",
)


def get_plan(session: Session, plan_id: int) -> Plan:
    """The plan.

    Raises:
        NotFound: when there is no such plan.
    """
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("No such plan.")
    return plan


def get_version(session: Session, version_id: int) -> PlanVersion:
    """The plan version.

    Raises:
        NotFound: when there is no such version.
    """
    version = session.get(PlanVersion, version_id)
    if version is None:
        raise NotFound(f"No plan version with id {version_id}.")
    return version


def get_change_request(session: Session, change_request_id: int) -> ChangeRequest:
    """The change request.

    Raises:
        NotFound: when there is no such change request.
    """
    cr = session.get(ChangeRequest, change_request_id)
    if cr is None:
        raise NotFound("No such change request.")
    return cr


def published_version(session: Session, plan_id: int) -> PlanVersion | None:
    """The plan's current published version (None before the first publish)."""
    return session.execute(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id, PlanVersion.status == VersionStatus.PUBLISHED)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def open_version(session: Session, plan_id: int) -> PlanVersion | None:
    """The plan's version still being worked on (draft, pending approval or approved)."""
    return session.execute(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id,
               PlanVersion.status.in_([s.value for s in OPEN_VERSION_STATUSES]))
        .order_by(PlanVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def previous_published_version(session: Session, plan_id: int) -> PlanVersion | None:
    """The version that was published before the current one (a rollback's target)."""
    current = published_version(session, plan_id)
    if current is None:
        return None
    return session.execute(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id, PlanVersion.status == VersionStatus.RETIRED,
               PlanVersion.published_at.is_not(None), PlanVersion.id != current.id)
        .order_by(PlanVersion.effective_from.desc(), PlanVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def version_for_new_subscription(session: Session, *, plan_id: int,
                                 on: date) -> PlanVersion | None:
    """The version a subscription starting on ``on`` takes (by effective dates)."""
    return session.execute(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id,
               PlanVersion.status.in_([VersionStatus.PUBLISHED.value,
                                       VersionStatus.RETIRED.value]),
               PlanVersion.effective_from.is_not(None), PlanVersion.effective_from <= on,
               sa.or_(PlanVersion.effective_to.is_(None), PlanVersion.effective_to >= on))
        .order_by(PlanVersion.effective_from.desc(), PlanVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def load_policy(session: Session) -> ApprovalPolicy:
    """The approval policy from ``policy_setting`` (defaults when the key is missing).

    Raises:
        InvalidInput: when a value of the setting is not usable.
    """
    try:
        return ApprovalPolicy.from_setting(policy(session, SETTING_KEY, {}))
    except ValueError as exc:
        raise InvalidInput(f"The approval_thresholds policy setting is not valid: {exc}") from None


def draft_editors(session: Session, version_id: int) -> frozenset[int]:
    """Everyone who created or edited a version's content (from the audit trail).

    Raises:
        NotFound: when there is no such version.
    """
    version = get_version(session, version_id)
    editors = session.execute(
        sa.select(AuditEvent.actor_id).distinct()
        .where(AuditEvent.object_type == "plan_version",
               AuditEvent.object_id == str(version_id),
               AuditEvent.action.in_(EDIT_ACTIONS), AuditEvent.actor_id.is_not(None))
    ).scalars().all()
    makers = set(editors)
    if version.created_by is not None:
        makers.add(version.created_by)
    return frozenset(makers)
