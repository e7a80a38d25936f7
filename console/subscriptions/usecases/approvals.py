"""Maker-checker on subscription changes above the approval threshold.

A finance user other than the change's author approves (the change is worked out again and
applied as of the approval, in the same transaction as the decision: a change that no longer
fits, e.g. its day now lies in an invoiced period, refuses the approval and nothing changes)
or rejects it with a comment. The request moves with a conditional update, so two racing
approvers produce one decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.subscriptions.queries.resolve import ChangeSpec, resolve
from console.subscriptions.usecases.changes import APPROVAL_KIND, apply_resolved
from models import Approval, ApprovalRequest, User
from models.types import utcnow


@dataclass(frozen=True)
class Decided:
    """The decided request (``id``, ``version``, ``status`` for the page's outcome)."""

    id: int
    version: int
    status: str


def _load(session: Session, request_id: int) -> ApprovalRequest:
    req = session.execute(sa.select(ApprovalRequest).where(ApprovalRequest.id == request_id)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if req is None or req.kind != APPROVAL_KIND:
        raise NotFound("No such subscription change request.")
    if req.status != "pending":
        raise Conflict(f"This change request is already {req.status}. Nothing was changed.")
    return req


def _decide(session: Session, req: ApprovalRequest, actor: Actor, roles: frozenset,
            decision: str, comment: str) -> None:
    if actor.user_id == req.requested_by:
        raise NotAllowed("You proposed this change; another finance user must approve or "
                         "reject it. Nothing was changed.")
    conditional_update(session, req, status="approved" if decision == "approve" else "rejected",
                       decided_at=utcnow())
    session.add(Approval(subject_type="approval_request", subject_id=req.id,
                         approver_id=actor.user_id, approver_roles=sorted(roles),
                         decision=decision, comment=comment))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("You already recorded a decision on this request.") from None


def approve_change(session: Session, *, request_id: int, actor: Actor, comment: str = "",
                   on: date | None = None) -> Decided:
    """Approve a waiting change and apply it (never by its author).

    Raises:
        NotAllowed: without ``approve_subscription_changes``, or the author approving.
        Conflict: the request is decided already, or the change no longer fits.
        FieldErrors: the change's day can no longer be used.
    """
    roles = require(session, actor, Permission.APPROVE_SUBSCRIPTION_CHANGES)
    req = _load(session, request_id)
    comment = (comment or "").strip()[:2000]
    _decide(session, req, actor, roles, "approve", comment)
    spec = ChangeSpec.from_json(req.payload["spec"])
    author = session.get(User, req.requested_by)
    r = resolve(session, spec, on=on, store=True)
    sub = apply_resolved(session, r, actor=actor,
                         note=(f"{req.reason} (proposed by {author.email if author else '?'}, "
                               f"approved with change request {req.id})").strip())
    record(session, actor=actor, action="approval_request.approve",
           object_type="approval_request", object_id=req.id, before={"status": "pending"},
           after={"status": req.status, "kind": req.kind, "subscription_id": sub.id},
           reason=comment)
    return Decided(req.id, req.version, req.status)


def reject_change(session: Session, *, request_id: int, actor: Actor, comment: str) -> Decided:
    """Reject a waiting change with a comment (nothing else changes).

    Raises:
        NotAllowed: without the permission, or the author rejecting.
        InvalidInput: no comment.
        Conflict: the request is decided already.
    """
    roles = require(session, actor, Permission.APPROVE_SUBSCRIPTION_CHANGES)
    comment = (comment or "").strip()[:2000]
    if not comment:
        raise InvalidInput("comment: say why the change is rejected.")
    req = _load(session, request_id)
    _decide(session, req, actor, roles, "reject", comment)
    record(session, actor=actor, action="approval_request.reject",
           object_type="approval_request", object_id=req.id, before={"status": "pending"},
           after={"status": req.status, "kind": req.kind}, reason=comment)
    return Decided(req.id, req.version, req.status)


# --- page-facing

def approve_view(user_id: int, request_id: int, comment: str = "") -> Outcome:
    """Page-facing :func:`approve_change`."""
    return act(user_id, approve_change, done="Approved: the change took effect.",
               object_id=request_id, request_id=request_id, comment=comment)


def reject_view(user_id: int, request_id: int, comment: str) -> Outcome:
    """Page-facing :func:`reject_change`."""
    return act(user_id, reject_change, done="Rejected: nothing changed.", object_id=request_id,
               request_id=request_id, comment=comment)
