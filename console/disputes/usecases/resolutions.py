"""Closing a case without a credit (rejecting it, or recording that the customer withdrew it)
and reopening a closed case within the window. Crediting is :mod:`.credits`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from console.audit import record
from console.disputes.domain.sla import response_due
from console.disputes.domain.status import DisputeAction, DisputeTransitionError, check_reopen
from console.disputes.queries.loaders import get_dispute
from console.disputes.queries.settings import reopen_window_days, sla_policy
from console.disputes.usecases.case_steps import (
    add_event,
    checked_text,
    checked_transition,
    refuse_if_credit_pending,
    resolve,
    snapshot,
)
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Dispute
from models.types import utcnow


def _close(session: Session, *, dispute_id: int, version: int, action: DisputeAction,
           actor: Actor, text: str, refused: str, audit_action: str, now: datetime) -> Dispute:
    """Resolve without a credit: allowed from the working states while no credit is pending."""
    d = get_dispute(session, dispute_id, version)
    target = checked_transition(d.status, action)
    refuse_if_credit_pending(session, d, refused)
    resolve(session, d, version, target=target, actor=actor, now=now, note=text,
            audit_action=audit_action)
    return d


def reject(session: Session, *, dispute_id: int, version: int, actor: Actor, explanation: str,
           now: datetime | None = None) -> Dispute:
    """Resolve by upholding the charges, with an explanation for the customer (required).

    Raises:
        InvalidInput: no explanation.
        Conflict: stale or closed case, or a credit waiting for finance approval.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    text = checked_text(explanation, "An explanation")
    return _close(session, dispute_id=dispute_id, version=version, action=DisputeAction.REJECT,
                  actor=actor, text=text, refused="reject the dispute",
                  audit_action="dispute.reject", now=now)


def withdraw(session: Session, *, dispute_id: int, version: int, actor: Actor, note: str,
             now: datetime | None = None) -> Dispute:
    """The customer withdrew the dispute (a note saying how you learned it is required).

    Raises:
        InvalidInput: no note.
        Conflict: stale or closed case, or a credit waiting for finance approval.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    text = checked_text(note, "A note")
    return _close(session, dispute_id=dispute_id, version=version,
                  action=DisputeAction.WITHDRAW, actor=actor, text=text,
                  refused="withdraw the dispute", audit_action="dispute.withdraw", now=now)


def reopen(session: Session, *, dispute_id: int, version: int, actor: Actor, reason: str,
           now: datetime | None = None) -> Dispute:
    """Reopen a closed dispute within the window; it returns to investigating with a new
    response-due date.

    Raises:
        InvalidInput: no reason.
        Conflict: stale, not closed, or the reopen window has passed.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    text = checked_text(reason, "A reason")
    d = get_dispute(session, dispute_id, version)
    try:
        target = check_reopen(d.status, d.resolved_at, now=now,
                              window_days=reopen_window_days(session))
    except DisputeTransitionError as exc:
        raise Conflict(str(exc)) from None
    before = snapshot(d)
    frm = d.status
    conditional_update(session, d, expect_version=version, status=target.value, resolved_at=None,
                       reopened_count=d.reopened_count + 1,
                       response_due_at=response_due(now, d.reason, sla_policy(session)))
    add_event(session, d, kind="status_change", actor=actor, now=now, from_status=frm,
              to_status=target.value, body=f"Reopened: {text}")
    record(session, actor=actor, action="dispute.reopen", object_type="dispute",
           object_id=d.id, before=before, after=snapshot(d), reason=text)
    return d


# --- page-facing


def reject_view(dispute_id: int, version: int, explanation: str, *, user_id: int
                ) -> Outcome:
    """Page-facing :func:`reject`."""
    return act(user_id, reject, done="Dispute rejected.", object_id=dispute_id,
               dispute_id=dispute_id, version=version, explanation=explanation)


def withdraw_view(dispute_id: int, version: int, note: str, *, user_id: int) -> Outcome:
    """Page-facing :func:`withdraw`."""
    return act(user_id, withdraw, done="Dispute withdrawn.", object_id=dispute_id,
               dispute_id=dispute_id, version=version, note=note)


def reopen_view(dispute_id: int, version: int, reason: str, *, user_id: int) -> Outcome:
    """Page-facing :func:`reopen`."""
    return act(user_id, reopen, done="Dispute reopened.", object_id=dispute_id,
               dispute_id=dispute_id, version=version, reason=reason)
