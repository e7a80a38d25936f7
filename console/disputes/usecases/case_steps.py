"""The steps dispute writes share: checked text, the audit snapshot, the timeline entry, the
state-machine and owner checks, the pending-credit guard, and closing a case."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from console.audit import record
from console.disputes.domain.status import (
    DisputeAction,
    DisputeStatus,
    DisputeTransitionError,
    transition,
)
from console.disputes.queries.loaders import pending_credit_note
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, permissions_for
from console.money import format_minor
from models import Dispute, DisputeEvent, User

#: The longest description, note, reason or explanation accepted.
MAX_TEXT = 5000


def checked_text(value: str | None, what: str, *, required: bool = True) -> str:
    """The stripped text.

    Raises:
        InvalidInput: empty when ``required``, or longer than :data:`MAX_TEXT` (the message
            names ``what``).
    """
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{what} is required.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{what} is too long (at most {MAX_TEXT} characters).")
    return text


def snapshot(d: Dispute) -> dict[str, Any]:
    """The fields of a dispute the audit event records before and after a change."""
    return {"status": d.status, "version": d.version, "owner_id": d.owner_id,
            "amount_minor": d.amount_minor, "credited_minor": d.credited_minor,
            "response_due_at": d.response_due_at, "reopened_count": d.reopened_count}


def add_event(session: Session, d: Dispute, *, kind: str, actor: Actor, now: datetime,
              body: str = "", from_status: str | None = None, to_status: str | None = None,
              evidence_id: int | None = None) -> DisputeEvent:
    """Append an entry to the case timeline (flushed, so it has its id)."""
    ev = DisputeEvent(dispute_id=d.id, kind=kind, body=body, from_status=from_status,
                      to_status=to_status, evidence_id=evidence_id, actor_id=actor.user_id,
                      created_at=now)
    session.add(ev)
    session.flush()
    return ev


def checked_transition(status: str, action: DisputeAction) -> DisputeStatus:
    """The status after ``action``.

    Raises:
        Conflict: the action is not allowed from ``status`` (the message says why).
    """
    try:
        return transition(status, action)
    except DisputeTransitionError as exc:
        raise Conflict(str(exc)) from None


def check_owner(session: Session, owner_id: int | None) -> None:
    """Refuse an owner who is not an active user allowed to work disputes (None passes).

    Raises:
        InvalidInput: naming why the owner cannot be chosen.
    """
    if owner_id is None:
        return
    user = session.get(User, owner_id)
    if user is None or not user.is_active:
        raise InvalidInput("That owner is not an active user.")
    if Permission.WORK_DISPUTES not in permissions_for(roles_of(session, owner_id)):
        raise InvalidInput(f"{user.name} cannot work disputes; choose a support user.")


def refuse_if_credit_pending(session: Session, d: Dispute, what: str) -> None:
    """Refuse ``what`` (e.g. "reject the dispute") while a credit of the case waits for finance.

    Raises:
        Conflict: a credit note of the dispute is pending approval.
    """
    pending = pending_credit_note(session, d.id)
    if pending is not None:
        raise Conflict(f"A credit of {format_minor(pending.total_minor, pending.currency)} "
                       f"waits for finance approval; it must be approved or rejected before "
                       f"you can {what}.")


def resolve(session: Session, d: Dispute, version: int, *, target: DisputeStatus, actor: Actor,
            now: datetime, note: str, audit_action: str, credited_minor: int = 0,
            extra: Mapping[str, Any] | None = None) -> None:
    """Close the case in ``target`` (conditional on ``version``), with its timeline entry and
    audit event.

    Args:
        session: the unit of work.
        d: the dispute.
        version: the version the change is conditional on.
        target: the closed status.
        actor: who closes it.
        now: the clock.
        note: the resolution note (timeline body and audit reason).
        audit_action: the audit event's action.
        credited_minor: the credit this resolution adds to the dispute.
        extra: more fields for the audit event's ``after``.

    Raises:
        Conflict: the dispute changed since ``version``.
    """
    before = snapshot(d)
    frm = d.status
    conditional_update(session, d, expect_version=version, status=target.value, resolved_at=now,
                       resolution_note=note, credited_minor=d.credited_minor + credited_minor)
    add_event(session, d, kind="status_change", actor=actor, now=now, from_status=frm,
              to_status=target.value, body=note)
    record(session, actor=actor, action=audit_action, object_type="dispute", object_id=d.id,
           before=before, after={**snapshot(d), **(extra or {})}, reason=note)
