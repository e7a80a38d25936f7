"""Deciding a change request: approve, reject, request changes, and the author's withdrawal
(maker-checker with conditional updates; every step audited).

Racing reviewers: each decision first *claims* the change request with
``UPDATE change_request SET version = version + 1 WHERE id = ? AND status = 'pending' AND
version = ?``; only one of two concurrent decisions matches, the other gets
:class:`~console.kernel.errors.Conflict` and records nothing. The unique constraint on
``approval (subject_type, subject_id, approver_id)`` backs it up for a double click.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.catalog.domain.policy import (
    ApprovalRequirement,
    Vote,
    approval_refusal,
    is_satisfied,
    review_refusal,
)
from console.catalog.domain.status import (
    ChangeRequestStatus,
    VersionStatus,
    change_request_label,
)
from console.catalog.queries.loaders import draft_editors, get_change_request, get_version
from console.catalog.usecases.lifecycle import (
    SUBJECT,
    move_change_request,
    move_version,
    require_reason,
)
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, NotAllowed
from console.kernel.permissions import roles_of
from models import Approval, ChangeRequest
from models.db import unit_of_work
from models.types import utcnow


def _votes(session: Session, cr_id: int) -> list[Vote]:
    rows = session.execute(
        sa.select(Approval.approver_id, Approval.approver_roles)
        .where(Approval.subject_type == SUBJECT, Approval.subject_id == cr_id,
               Approval.decision == "approve")
        .order_by(Approval.id)
    ).all()
    return [Vote(approver_id, frozenset(roles or ())) for approver_id, roles in rows]


def _pending(cr: ChangeRequest, verb: str) -> None:
    if cr.status != ChangeRequestStatus.PENDING:
        raise Conflict(f"This change request is {change_request_label(cr.status).lower()}; "
                       f"only a pending one can be {verb}.")


def _record_decision(session: Session, cr: ChangeRequest, actor: Actor, roles: frozenset[str],
                     decision: str, comment: str) -> Approval:
    conditional_update(session, cr)  # claims it: a racing writer gets Conflict
    row = Approval(subject_type=SUBJECT, subject_id=cr.id, approver_id=actor.user_id,
                   approver_roles=sorted(roles), decision=decision, comment=comment)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("You already recorded a decision on this change request.") from None
    return row


def approve(session: Session, *, change_request_id: int, actor: Actor,
            comment: str = "") -> ChangeRequest:
    """Approve a pending change request; the last required approval approves the version.

    Raises:
        NotAllowed: the author or an editor of the draft, a user without approve permission,
            a repeated approval, or a
            non-finance approval where finance must complete the count.
        Conflict: not pending, or another reviewer decided at the same time.
    """
    cr = get_change_request(session, change_request_id)
    _pending(cr, "approved")
    roles = roles_of(session, actor.user_id)
    votes = _votes(session, cr.id)
    requirement = ApprovalRequirement(cr.required_approvals, cr.requires_finance)
    refusal = approval_refusal(requirement, author_id=cr.author_id, approver_id=actor.user_id,
                               approver_roles=roles, approvals=votes,
                               editor_ids=draft_editors(session, cr.plan_version_id))
    if refusal:
        raise NotAllowed(refusal)
    _record_decision(session, cr, actor, roles, "approve", (comment or "").strip())
    votes.append(Vote(actor.user_id or 0, roles))
    done = is_satisfied(requirement, votes)
    before = {"status": cr.status, "approvals": len(votes) - 1}
    if done:
        move_change_request(session, cr, ChangeRequestStatus.APPROVED, decided_at=utcnow())
        version = get_version(session, cr.plan_version_id)
        move_version(session, version, VersionStatus.APPROVED)
        record(session, actor=actor, action="catalog.version.approve",
               object_type="plan_version", object_id=version.id,
               before={"status": VersionStatus.PENDING_APPROVAL.value},
               after={"status": version.status, "change_request_id": cr.id})
    record(session, actor=actor, action="catalog.change_request.approve", object_type=SUBJECT,
           object_id=cr.id, before=before,
           after={"status": cr.status, "approvals": len(votes),
                  "required_approvals": cr.required_approvals,
                  "approver_roles": sorted(roles)}, reason=comment or "")
    return cr


def _send_back(session: Session, *, change_request_id: int, actor: Actor, comment: str,
               decision: str, target: ChangeRequestStatus) -> ChangeRequest:
    cr = get_change_request(session, change_request_id)
    _pending(cr, "rejected" if decision == "reject" else "sent back")
    comment = require_reason(comment, "A comment")
    roles = roles_of(session, actor.user_id)
    refusal = review_refusal(author_id=cr.author_id, reviewer_id=actor.user_id,
                             reviewer_roles=roles)
    if refusal:
        raise NotAllowed(refusal)
    _record_decision(session, cr, actor, roles, decision, comment)
    move_change_request(session, cr, target, decided_at=utcnow())
    version = get_version(session, cr.plan_version_id)
    before_status = version.status
    move_version(session, version, VersionStatus.DRAFT)
    record(session, actor=actor, action=f"catalog.change_request.{decision}",
           object_type=SUBJECT, object_id=cr.id, before={"status": "pending"},
           after={"status": cr.status}, reason=comment)
    record(session, actor=actor, action="catalog.version.reopen", object_type="plan_version",
           object_id=version.id, before={"status": before_status},
           after={"status": version.status, "change_request_id": cr.id}, reason=comment)
    return cr


def reject(session: Session, *, change_request_id: int, actor: Actor,
           comment: str) -> ChangeRequest:
    """Reject a pending change request (comment required); the version returns to draft.

    Raises:
        InvalidInput: no comment.
        NotAllowed: the author, or a user without approve permission.
        Conflict: not pending, or another reviewer decided at the same time.
    """
    return _send_back(session, change_request_id=change_request_id, actor=actor,
                      comment=comment, decision="reject", target=ChangeRequestStatus.REJECTED)


def request_changes(session: Session, *, change_request_id: int, actor: Actor,
                    comment: str) -> ChangeRequest:
    """Send a pending change request back to its author with a comment (version -> draft).

    Raises:
        InvalidInput: no comment.
        NotAllowed: the author, or a user without approve permission.
        Conflict: not pending, or another reviewer decided at the same time.
    """
    return _send_back(session, change_request_id=change_request_id, actor=actor,
                      comment=comment, decision="request_changes",
                      target=ChangeRequestStatus.CHANGES_REQUESTED)


def withdraw(session: Session, *, change_request_id: int, actor: Actor,
             comment: str = "") -> ChangeRequest:
    """The author takes back a pending or approved (not yet published) change request.

    Raises:
        NotAllowed: the actor is not the author.
        Conflict: the change request is neither pending nor approved.
    """
    cr = get_change_request(session, change_request_id)
    if actor.user_id is None or actor.user_id != cr.author_id:
        raise NotAllowed("Only the author can withdraw a change request.")
    if cr.status not in (ChangeRequestStatus.PENDING, ChangeRequestStatus.APPROVED):
        raise Conflict(f"This change request is {change_request_label(cr.status).lower()} "
                       "and cannot be withdrawn.")
    before = cr.status
    move_change_request(session, cr, ChangeRequestStatus.WITHDRAWN, decided_at=utcnow())
    version = get_version(session, cr.plan_version_id)
    version_before = version.status
    move_version(session, version, VersionStatus.DRAFT)
    record(session, actor=actor, action="catalog.change_request.withdraw", object_type=SUBJECT,
           object_id=cr.id, before={"status": before}, after={"status": cr.status},
           reason=comment or "")
    record(session, actor=actor, action="catalog.version.reopen", object_type="plan_version",
           object_id=version.id, before={"status": version_before},
           after={"status": version.status, "change_request_id": cr.id}, reason=comment or "")
    return cr


# --- page-facing


def approve_change(*, user_id: int, change_request_id: int, comment: str = "") -> str:
    """Approve, as the signed-in user.

    Returns:
        The change request's status label afterwards (approved once the count is met).

    Raises:
        NotAllowed: maker-checker or the policy refuses this approver.
        Conflict: not pending, or another reviewer decided at the same time.
    """
    with unit_of_work() as s:
        cr = approve(s, change_request_id=change_request_id, actor=actor_for(s, user_id),
                     comment=comment)
        return change_request_label(cr.status)


def reject_change(*, user_id: int, change_request_id: int, comment: str) -> None:
    """Reject (comment required), as the signed-in user; the version returns to draft.

    Raises:
        InvalidInput: no comment.
        NotAllowed: the author, or a user without approve permission.
        Conflict: not pending, or another reviewer decided at the same time.
    """
    with unit_of_work() as s:
        reject(s, change_request_id=change_request_id, actor=actor_for(s, user_id),
               comment=comment)


def ask_for_changes(*, user_id: int, change_request_id: int, comment: str) -> None:
    """Send back to the author with a comment, as the signed-in user; the version returns to
    draft.

    Raises:
        InvalidInput: no comment.
        NotAllowed: the author, or a user without approve permission.
        Conflict: not pending, or another reviewer decided at the same time.
    """
    with unit_of_work() as s:
        request_changes(s, change_request_id=change_request_id, actor=actor_for(s, user_id),
                        comment=comment)


def withdraw_change(*, user_id: int, change_request_id: int, comment: str = "") -> None:
    """The author withdraws a pending or approved change request.

    Raises:
        NotAllowed: the user is not the author.
        Conflict: the change request is neither pending nor approved.
    """
    with unit_of_work() as s:
        withdraw(s, change_request_id=change_request_id, actor=actor_for(s, user_id),
                 comment=comment)
