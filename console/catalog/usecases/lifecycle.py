"""Moving versions and change requests through their lifecycles, and the guards every catalog
write shares (one open version per plan, a reason for a decision)."""

from __future__ import annotations

from sqlmodel import Session

from console.catalog.domain.status import (
    ChangeRequestStatus,
    VersionStatus,
    check_change_request_transition,
    check_version_transition,
    version_label,
)
from console.catalog.queries.loaders import open_version
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput
from models import ChangeRequest, PlanVersion

#: A change request's audit object type and approval subject type.
SUBJECT = "change_request"


def refuse_second_open_version(session: Session, plan_id: int) -> None:
    """Refuse to open a version while the plan has one open (one at a time).

    Raises:
        Conflict: when the plan already has a draft, pending or approved version.
    """
    existing = open_version(session, plan_id)
    if existing is not None:
        raise Conflict(
            f"This plan already has an open version v{existing.number} "
            f"({version_label(existing.status).lower()}); finish, withdraw or discard it first."
        )


def move_version(
    session: Session,
    version: PlanVersion,
    target: VersionStatus,
    **values: object,
) -> None:
    """Change a version's status with a conditional UPDATE (status and row version must match).

    Args:
        session: the unit of work.
        version: the version as read.
        target: its new status.
        **values: further columns to set with the status.

    Raises:
        Conflict: if the lifecycle forbids it or someone changed the version first.
    """
    current = version.status
    try:
        check_version_transition(current, target)
    except ValueError as exc:
        raise Conflict(str(exc)) from None
    conditional_update(session, version, status=target.value, **values)


def move_change_request(
    session: Session, cr: ChangeRequest, target: ChangeRequestStatus, **values: object
) -> None:
    """Change a change request's status with a conditional UPDATE.

    Raises:
        Conflict: if the lifecycle forbids it or someone decided first.
    """
    try:
        check_change_request_transition(cr.status, target)
    except ValueError as exc:
        raise Conflict(str(exc)) from None
    conditional_update(session, cr, status=target.value, **values)


def require_reason(text: str, what: str = "A reason") -> str:
    """The trimmed text.

    Raises:
        InvalidInput: ``"<what> is required."`` when the text is empty.
    """
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required.")
    return text
