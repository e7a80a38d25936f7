"""Disputes: open a case, work it (owner, notes, evidence, status), resolve it.

Rules (the state machine is :mod:`console.disputes.domain.status`):

* Support users (``work_disputes``) open and work disputes. A dispute names a customer and,
  usually, an issued/paid/uncollectible invoice with the disputed lines and amounts; an
  invoice has at most one dispute being worked at a time.
* The response is due ``policy_setting["dispute_sla_hours"][reason]`` hours after opening
  (or reopening).
* Every status change, assignment, note, evidence file, contact and credit decision writes a
  timeline entry *and* one audit event in the same transaction. Status changes and
  assignments are conditional updates on ``(id, version, status)``: a stale page is refused
  and nothing changes.
* Crediting goes through :func:`console.billing.usecases.credit_notes.create_credit_note` with the
  dispute's id (never a second mechanism). A credit at or below the approval threshold is
  issued at once and resolves the dispute; above it, the credit note waits in
  ``pending_approval`` with its ``approval_request`` and the dispute stays in its working
  state until a finance user other than the proposer approves it
  (:func:`approve_credit`, which calls ``approve_credit_note``: the proposer is refused there,
  on the server, in the approving transaction). While a credit is pending, the dispute can be
  neither rejected nor withdrawn nor credited again.
* A resolved or withdrawn dispute can be reopened within ``policy_setting
  ["dispute_reopen_days"]["days"]`` days (default 30).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console import billing as cn_svc
from console.audit import record
from console.billing import CreditNoteStatus
from console.disputes.domain import (
    REASONS,
    DisputeAction,
    DisputedLine,
    DisputeLineError,
    DisputeStatus,
    DisputeTransitionError,
    EvidenceError,
    check_evidence,
    check_reopen,
    is_active,
    response_due,
    transition,
    validate_lines,
)
from console.disputes.domain.status import REOPEN_DAYS
from console.kernel.actor import Actor
from console.kernel.conditional import check_version, conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require, roles_of
from console.kernel.policy import policy
from console.kernel.roles import Permission, permissions_for
from console.money import format_minor
from models import (
    CreditNote,
    Customer,
    Dispute,
    DisputeEvent,
    DisputeEvidence,
    DisputeLine,
    Invoice,
    InvoiceLine,
    User,
)
from models.db import read_session
from models.types import utcnow

DISPUTABLE_INVOICE_STATUSES = ("issued", "paid", "uncollectible")
MAX_TEXT = 5000

#: The working-state moves a support user makes by hand (resolutions have their own calls).
WORK_ACTIONS = (DisputeAction.START, DisputeAction.AWAIT_CUSTOMER, DisputeAction.RESUME)


# ----------------------------------------------------------------------------- helpers


def sla_policy(session: Session) -> dict[str, Any]:
    """``policy_setting["dispute_sla_hours"]`` (reason -> hours)."""
    return policy(session, "dispute_sla_hours", {})


def reopen_window_days(session: Session) -> int:
    """Days after a resolution during which a dispute may be reopened."""
    value = policy(session, "dispute_reopen_days", {"days": REOPEN_DAYS}).get("days")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return REOPEN_DAYS
    return value


def _text(value: str | None, what: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{what} is required.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{what} is too long (at most {MAX_TEXT} characters).")
    return text


def _load(session: Session, dispute_id: int, version: int | None = None) -> Dispute:
    d = session.execute(sa.select(Dispute).where(Dispute.id == dispute_id)
                        .execution_options(populate_existing=True)).scalar_one_or_none()
    if d is None:
        raise NotFound(f"No dispute with id {dispute_id}.")
    check_version(d, version)
    return d


def _snapshot(d: Dispute) -> dict[str, Any]:
    return {"status": d.status, "version": d.version, "owner_id": d.owner_id,
            "amount_minor": d.amount_minor, "credited_minor": d.credited_minor,
            "response_due_at": d.response_due_at, "reopened_count": d.reopened_count}


def _event(session: Session, d: Dispute, *, kind: str, actor: Actor, now: datetime,
           body: str = "", from_status: str | None = None, to_status: str | None = None,
           evidence_id: int | None = None) -> DisputeEvent:
    ev = DisputeEvent(dispute_id=d.id, kind=kind, body=body, from_status=from_status,
                      to_status=to_status, evidence_id=evidence_id, actor_id=actor.user_id,
                      created_at=now)
    session.add(ev)
    session.flush()
    return ev


def _pending_credit(session: Session, dispute_id: int) -> CreditNote | None:
    return session.execute(
        sa.select(CreditNote).where(CreditNote.dispute_id == dispute_id,
                                    CreditNote.status == CreditNoteStatus.PENDING_APPROVAL.value)
        .order_by(CreditNote.id.desc()).limit(1)).scalar_one_or_none()


def _no_pending_credit(session: Session, d: Dispute, what: str) -> None:
    pending = _pending_credit(session, d.id)
    if pending is not None:
        raise Conflict(f"A credit of {format_minor(pending.total_minor, pending.currency)} "
                       f"waits for finance approval; it must be approved or rejected before "
                       f"you can {what}.")


def _check_transition(status: str, action: DisputeAction) -> DisputeStatus:
    try:
        return transition(status, action)
    except DisputeTransitionError as exc:
        raise Conflict(str(exc)) from None


def _check_owner(session: Session, owner_id: int | None) -> None:
    if owner_id is None:
        return
    user = session.get(User, owner_id)
    if user is None or not user.is_active:
        raise InvalidInput("That owner is not an active user.")
    if Permission.WORK_DISPUTES not in permissions_for(roles_of(session, owner_id)):
        raise InvalidInput(f"{user.name} cannot work disputes; choose a support user.")


# ----------------------------------------------------------------------------- open


def open_dispute(session: Session, *, customer_id: int, reason: str, description: str,
                 actor: Actor, invoice_id: int | None = None,
                 lines: Mapping[int, int] | None = None, amount_minor: int | None = None,
                 owner_id: int | None = None, now: datetime | None = None) -> Dispute:
    """Open a dispute on an invoice (with its disputed lines) or on a customer.

    Args:
        session: an open unit of work.
        customer_id: the customer.
        reason: one of :data:`console.disputes.REASONS`.
        description: what the customer disputes (required).
        actor: who opens it (``work_disputes``).
        invoice_id: the disputed invoice (issued, paid or uncollectible), if any.
        lines: invoice line id -> disputed amount before tax (minor units); required with an
            invoice.
        amount_minor: the disputed amount when no invoice is named.
        owner_id: who works the case (a user who may work disputes), or None (unassigned).
        now: the clock (defaults to now).

    Returns:
        The new dispute (status ``open``).

    Raises:
        InvalidInput: a missing/unknown field or a disputed amount that breaks a rule.
        Conflict: the invoice cannot be disputed or already has a dispute being worked.
        NotFound: unknown customer or invoice.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    if reason not in REASONS:
        raise InvalidInput("Choose the reason of the dispute.")
    text = _text(description, "A description")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.")
    _check_owner(session, owner_id)
    chosen: dict[int, int] = {}
    if invoice_id is not None:
        inv = session.get(Invoice, invoice_id)
        if inv is None or inv.customer_id != customer.id:
            raise NotFound("That invoice is not one of this customer's invoices.")
        if inv.status not in DISPUTABLE_INVOICE_STATUSES:
            raise Conflict(f"Only issued, paid or uncollectible invoices can be disputed; this "
                           f"invoice is {inv.status.replace('_', ' ')}.")
        busy = session.execute(sa.select(Dispute.id).where(
            Dispute.invoice_id == inv.id,
            Dispute.status.in_([s.value for s in DisputeStatus if is_active(s)])).limit(1)
        ).scalar_one_or_none()
        if busy is not None:
            raise Conflict(f"Invoice {inv.number} already has dispute #{busy} being worked; "
                           "add to that case instead.")
        rows = session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                               ).scalars().all()
        try:
            chosen = validate_lines([DisputedLine(x.id, x.description, x.amount_minor)
                                     for x in rows], dict(lines or {}))
        except DisputeLineError as exc:
            raise InvalidInput(str(exc)) from None
        amount, currency = sum(chosen.values()), inv.currency
    else:
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) \
                or amount_minor <= 0:
            raise InvalidInput("Give the disputed amount.")
        amount, currency = amount_minor, customer.currency
    d = Dispute(customer_id=customer.id, invoice_id=invoice_id, status=DisputeStatus.OPEN.value,
                reason=reason, description=text, amount_minor=amount, currency=currency,
                owner_id=owner_id, opened_by=actor.user_id, opened_at=now,
                response_due_at=response_due(now, reason, sla_policy(session)))
    session.add(d)
    session.flush()
    if chosen:
        session.execute(sa.insert(DisputeLine.__table__), [
            {"dispute_id": d.id, "invoice_line_id": lid, "amount_minor": amt}
            for lid, amt in chosen.items()])
    _event(session, d, kind="status_change", actor=actor, now=now, to_status=d.status,
           body=f"Dispute opened ({reason.replace('_', ' ')}).")
    if owner_id is not None:
        _event(session, d, kind="assignment", actor=actor, now=now,
               body=f"Assigned to {_user_name(session, owner_id)}.")
    record(session, actor=actor, action="dispute.open", object_type="dispute", object_id=d.id,
           after={**_snapshot(d), "customer_id": d.customer_id, "invoice_id": d.invoice_id,
                  "reason": reason, "currency": currency, "lines": chosen},
           reason=text[:500])
    return d


def _user_name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "nobody"
    user = session.get(User, user_id)
    return user.name if user else f"user {user_id}"


# ----------------------------------------------------------------------------- work


def assign(session: Session, *, dispute_id: int, owner_id: int | None, actor: Actor,
           version: int | None = None, now: datetime | None = None) -> Dispute:
    """Give a case to an owner (None: unassign). ``version`` None takes the current one
    (bulk assignment), still conditional on it.

    Raises:
        InvalidInput: the owner cannot work disputes. Conflict: stale or closed case.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    d = _load(session, dispute_id, version)
    if not is_active(d.status):
        raise Conflict(f"Dispute #{d.id} is closed; reopen it before assigning it.")
    _check_owner(session, owner_id)
    if d.owner_id == owner_id:
        return d
    before = _snapshot(d)
    conditional_update(session, d, expect_version=d.version, owner_id=owner_id)
    _event(session, d, kind="assignment", actor=actor, now=now,
           body=f"Assigned to {_user_name(session, owner_id)}." if owner_id
           else "Unassigned.")
    record(session, actor=actor, action="dispute.assign", object_type="dispute", object_id=d.id,
           before=before, after=_snapshot(d))
    return d


def change_status(session: Session, *, dispute_id: int, version: int, action: DisputeAction,
                  actor: Actor, note: str = "", now: datetime | None = None) -> Dispute:
    """Move a case between its working states (start, wait for the customer, resume).

    Raises:
        InvalidInput: an action that is not a working-state move.
        Conflict: stale version or not allowed from the current status.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    try:
        action = DisputeAction(action)
    except ValueError:
        raise InvalidInput(f"{action!r} is not a dispute action.") from None
    if action not in WORK_ACTIONS:
        raise InvalidInput("Resolve, reject, withdraw and reopen have their own actions.")
    text = _text(note, "A note", required=False)
    d = _load(session, dispute_id, version)
    target = _check_transition(d.status, action)
    before = _snapshot(d)
    frm = d.status
    conditional_update(session, d, expect_version=version, status=target.value)
    _event(session, d, kind="status_change", actor=actor, now=now, from_status=frm,
           to_status=target.value, body=text)
    record(session, actor=actor, action=f"dispute.{action.value}", object_type="dispute",
           object_id=d.id, before=before, after=_snapshot(d), reason=text)
    return d


NOTE_KINDS = {"note": "dispute.note", "customer_contact": "dispute.customer_contact"}


def add_note(session: Session, *, dispute_id: int, body: str, actor: Actor, kind: str = "note",
             now: datetime | None = None) -> DisputeEvent:
    """Add a note or a record of customer contact to the timeline (audited).

    Raises:
        InvalidInput: empty text or an unknown kind. NotFound: unknown dispute.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    if kind not in NOTE_KINDS:
        raise InvalidInput("A timeline entry is a note or a customer contact.")
    now = now or utcnow()
    text = _text(body, "The text")
    d = _load(session, dispute_id)
    ev = _event(session, d, kind=kind, actor=actor, now=now, body=text)
    record(session, actor=actor, action=NOTE_KINDS[kind], object_type="dispute",
           object_id=d.id, after={"event_id": ev.id, "kind": kind, "status": d.status},
           reason=text[:500])
    return ev


def add_evidence(session: Session, *, dispute_id: int, filename: str, content: bytes,
                 actor: Actor, now: datetime | None = None) -> DisputeEvidence:
    """Attach an evidence file after checking its type and size.

    Raises:
        InvalidInput: the file is refused (the message names the rule).
        NotAllowed: a system actor (evidence records who uploaded it).
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    if actor.user_id is None:
        raise NotAllowed("Evidence records who uploaded it: a person must upload it.")
    now = now or utcnow()
    try:
        checked = check_evidence(filename, content)
    except EvidenceError as exc:
        raise InvalidInput(str(exc)) from None
    d = _load(session, dispute_id)
    digest = hashlib.sha256(content).hexdigest()
    ev = DisputeEvidence(dispute_id=d.id, filename=checked.filename,
                         content_type=checked.content_type, size_bytes=checked.size_bytes,
                         sha256=digest, content=content, uploaded_by=actor.user_id,
                         created_at=now)
    session.add(ev)
    session.flush()
    _event(session, d, kind="evidence", actor=actor, now=now, evidence_id=ev.id,
           body=f"Attached {checked.filename}.")
    record(session, actor=actor, action="dispute.evidence", object_type="dispute",
           object_id=d.id, after={"evidence_id": ev.id, "filename": checked.filename,
                                  "content_type": checked.content_type,
                                  "size_bytes": checked.size_bytes, "sha256": digest})
    return ev


# ----------------------------------------------------------------------------- resolve


def _resolve(session: Session, d: Dispute, version: int, *, target: DisputeStatus, actor: Actor,
             now: datetime, note: str, audit_action: str, credited_minor: int = 0,
             extra: Mapping[str, Any] | None = None) -> None:
    before = _snapshot(d)
    frm = d.status
    conditional_update(session, d, expect_version=version, status=target.value, resolved_at=now,
                       resolution_note=note, credited_minor=d.credited_minor + credited_minor)
    _event(session, d, kind="status_change", actor=actor, now=now, from_status=frm,
           to_status=target.value, body=note)
    record(session, actor=actor, action=audit_action, object_type="dispute", object_id=d.id,
           before=before, after={**_snapshot(d), **(extra or {})}, reason=note)


def propose_credit(session: Session, *, dispute_id: int, version: int, actor: Actor,
                   reason: str, lines: Mapping[int, int] | None = None, full: bool = False,
                   now: datetime | None = None) -> CreditNote:
    """Resolve with a credit note, full or per line, capped at the invoice's remaining balance.

    At or below the approval threshold the note is issued at once and the dispute becomes
    ``resolved_credited``; above it the note waits for a finance approval and the dispute keeps
    its working status with a ``credit_proposed`` timeline entry.

    Raises:
        InvalidInput: no reason, nothing to credit or a broken cap (message from the credit
            note rules). Conflict: stale, closed, no invoice, or a credit already pending.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    text = _text(reason, "A reason for the credit")
    d = _load(session, dispute_id, version)
    _check_transition(d.status, DisputeAction.CREDIT)
    if d.invoice_id is None:
        raise Conflict("This dispute names no invoice; a credit note needs an invoice.")
    _no_pending_credit(session, d, "propose another credit")
    note = cn_svc.create_credit_note(session, invoice_id=d.invoice_id, reason=text,
                                     actor=actor, lines=lines, full=full, dispute_id=d.id)
    total = format_minor(note.total_minor, note.currency)
    if note.status == CreditNoteStatus.ISSUED.value:
        _resolve(session, d, version, target=DisputeStatus.RESOLVED_CREDITED, actor=actor,
                 now=now, note=f"Credited {total} with credit note {note.number}. {text}",
                 audit_action="dispute.resolve_credit", credited_minor=note.total_minor,
                 extra={"credit_note_id": note.id, "credit_note": note.number})
        return note
    before = _snapshot(d)
    conditional_update(session, d, expect_version=version)
    _event(session, d, kind="credit_proposed", actor=actor, now=now,
           body=f"Proposed a credit of {total}; it waits for a finance approval. {text}")
    record(session, actor=actor, action="dispute.credit_propose", object_type="dispute",
           object_id=d.id, before=before,
           after={**_snapshot(d), "credit_note_id": note.id, "total_minor": note.total_minor},
           reason=text)
    return note


def _pending_for(session: Session, d: Dispute, credit_note_id: int) -> CreditNote:
    note = session.get(CreditNote, credit_note_id)
    if note is None or note.dispute_id != d.id:
        raise NotFound("That credit note does not belong to this dispute.")
    return note


def approve_credit(session: Session, *, dispute_id: int, credit_note_id: int,
                   credit_note_version: int, actor: Actor, comment: str = "",
                   now: datetime | None = None) -> Dispute:
    """A finance user approves the dispute's pending credit; the note is issued and the
    dispute resolved as credited.

    The proposer is refused by :func:`console.billing.usecases.credit_notes.approve_credit_note`
    (maker-checker) in this same transaction, as is anyone without ``approve_credits``.

    Raises:
        NotAllowed: the proposer, or a user who may not approve credits.
        Conflict: stale credit note or dispute, or the caps no longer hold.
    """
    require(session, actor, Permission.APPROVE_CREDITS, system=True)
    now = now or utcnow()
    d = _load(session, dispute_id)
    _pending_for(session, d, credit_note_id)
    note = cn_svc.approve_credit_note(session, credit_note_id=credit_note_id,
                                      version=credit_note_version, actor=actor,
                                      comment=comment)
    total = format_minor(note.total_minor, note.currency)
    _event(session, d, kind="credit_approved", actor=actor, now=now,
           body=f"Credit of {total} approved; credit note {note.number} issued."
           + (f" {comment.strip()}" if comment.strip() else ""))
    if is_active(d.status):
        _resolve(session, d, d.version, target=DisputeStatus.RESOLVED_CREDITED, actor=actor,
                 now=now, note=f"Credited {total} with credit note {note.number}.",
                 audit_action="dispute.resolve_credit", credited_minor=note.total_minor,
                 extra={"credit_note_id": note.id, "credit_note": note.number})
    else:
        before = _snapshot(d)
        conditional_update(session, d, expect_version=d.version,
                           credited_minor=d.credited_minor + note.total_minor)
        record(session, actor=actor, action="dispute.credit_issued", object_type="dispute",
               object_id=d.id, before=before, after=_snapshot(d))
    return d


def reject_credit(session: Session, *, dispute_id: int, credit_note_id: int,
                  credit_note_version: int, actor: Actor, reason: str,
                  now: datetime | None = None) -> Dispute:
    """A finance user rejects the pending credit; the dispute stays open for more work.

    Raises:
        NotAllowed: the proposer or a user who may not approve credits.
        InvalidInput: no reason.
    """
    require(session, actor, Permission.APPROVE_CREDITS, system=True)
    now = now or utcnow()
    text = _text(reason, "A reason")
    d = _load(session, dispute_id)
    _pending_for(session, d, credit_note_id)
    note = cn_svc.reject_credit_note(session, credit_note_id=credit_note_id,
                                     version=credit_note_version, actor=actor, reason=text)
    before = _snapshot(d)
    conditional_update(session, d, expect_version=d.version)
    _event(session, d, kind="credit_rejected", actor=actor, now=now,
           body=f"Credit of {format_minor(note.total_minor, note.currency)} rejected: {text}")
    record(session, actor=actor, action="dispute.credit_reject", object_type="dispute",
           object_id=d.id, before=before, after={**_snapshot(d), "credit_note_id": note.id},
           reason=text)
    return d


def close_as_credited(session: Session, *, dispute_id: int, version: int, actor: Actor,
                      now: datetime | None = None) -> Dispute:
    """Resolve as credited when the dispute's credit note was approved elsewhere (e.g. from
    the invoice page): the issued notes of this dispute not yet counted are recorded.

    Raises:
        Conflict: no issued credit note of this dispute is left to record.
    """
    require(session, actor, Permission.WORK_DISPUTES, Permission.APPROVE_CREDITS, system=True)
    now = now or utcnow()
    d = _load(session, dispute_id, version)
    _check_transition(d.status, DisputeAction.CREDIT)
    issued = session.execute(sa.select(CreditNote).where(
        CreditNote.dispute_id == d.id, CreditNote.status == CreditNoteStatus.ISSUED.value)
    ).scalars().all()
    uncounted = sum(n.total_minor for n in issued) - d.credited_minor
    if uncounted <= 0:
        raise Conflict("No issued credit note of this dispute is waiting to be recorded.")
    cur = d.currency
    numbers = ", ".join(n.number or "" for n in issued)
    _resolve(session, d, version, target=DisputeStatus.RESOLVED_CREDITED, actor=actor, now=now,
             note=f"Credited {format_minor(uncounted, cur)} ({numbers}).",
             audit_action="dispute.resolve_credit", credited_minor=uncounted,
             extra={"credit_notes": numbers})
    return d


def reject(session: Session, *, dispute_id: int, version: int, actor: Actor, explanation: str,
           now: datetime | None = None) -> Dispute:
    """Resolve by upholding the charges, with an explanation for the customer (required)."""
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    text = _text(explanation, "An explanation")
    d = _load(session, dispute_id, version)
    _check_transition(d.status, DisputeAction.REJECT)
    _no_pending_credit(session, d, "reject the dispute")
    _resolve(session, d, version, target=DisputeStatus.RESOLVED_REJECTED, actor=actor, now=now,
             note=text, audit_action="dispute.reject")
    return d


def withdraw(session: Session, *, dispute_id: int, version: int, actor: Actor, note: str,
             now: datetime | None = None) -> Dispute:
    """The customer withdrew the dispute (a note saying how you learned it is required)."""
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    text = _text(note, "A note")
    d = _load(session, dispute_id, version)
    _check_transition(d.status, DisputeAction.WITHDRAW)
    _no_pending_credit(session, d, "withdraw the dispute")
    _resolve(session, d, version, target=DisputeStatus.WITHDRAWN, actor=actor, now=now,
             note=text, audit_action="dispute.withdraw")
    return d


def reopen(session: Session, *, dispute_id: int, version: int, actor: Actor, reason: str,
           now: datetime | None = None) -> Dispute:
    """Reopen a closed dispute within the window; it returns to investigating with a new
    response-due date."""
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    text = _text(reason, "A reason")
    d = _load(session, dispute_id, version)
    try:
        target = check_reopen(d.status, d.resolved_at, now=now,
                              window_days=reopen_window_days(session))
    except DisputeTransitionError as exc:
        raise Conflict(str(exc)) from None
    before = _snapshot(d)
    frm = d.status
    conditional_update(session, d, expect_version=version, status=target.value, resolved_at=None,
                       reopened_count=d.reopened_count + 1,
                       response_due_at=response_due(now, d.reason, sla_policy(session)))
    _event(session, d, kind="status_change", actor=actor, now=now, from_status=frm,
           to_status=target.value, body=f"Reopened: {text}")
    record(session, actor=actor, action="dispute.reopen", object_type="dispute",
           object_id=d.id, before=before, after=_snapshot(d), reason=text)
    return d


# ----------------------------------------------------------------------------- page-facing


def open_dispute_view(*, user_id: int, customer_id: int, reason: str, description: str,
                      invoice_id: int | None = None, lines: Mapping[int, int] | None = None,
                      amount_minor: int | None = None, owner_id: int | None = None
                      ) -> Outcome:
    """Page-facing :func:`open_dispute`."""
    return act(user_id, open_dispute, done=lambda d: f"Dispute #{d.id} opened.",
               customer_id=customer_id, reason=reason, description=description,
               invoice_id=invoice_id, lines=lines, amount_minor=amount_minor, owner_id=owner_id)


def assign_view(dispute_id: int, version: int, owner_id: int | None, *, user_id: int
                ) -> Outcome:
    """Page-facing :func:`assign`."""
    return act(user_id, assign, done="Owner changed.", object_id=dispute_id, dispute_id=dispute_id,
               owner_id=owner_id, version=version)


def bulk_assign_view(dispute_ids: Sequence[int], owner_id: int | None, *, user_id: int
                     ) -> list[Outcome]:
    """Assign many cases: one transaction each, an outcome per case."""
    return [act(user_id, assign, done=lambda d: f"#{d.id} assigned.", object_id=i, dispute_id=i,
                owner_id=owner_id) for i in dispute_ids]


def change_status_view(dispute_id: int, version: int, action: str, *, user_id: int,
                       note: str = "") -> Outcome:
    """Page-facing :func:`change_status`."""
    return act(user_id, change_status, done="Status changed.", object_id=dispute_id,
               dispute_id=dispute_id, version=version, action=action, note=note)


def add_note_view(dispute_id: int, body: str, *, user_id: int, kind: str = "note"
                  ) -> Outcome:
    """Page-facing :func:`add_note`."""
    return act(user_id, add_note, done="Added to the timeline.", object_id=dispute_id,
               dispute_id=dispute_id, body=body, kind=kind)


def add_evidence_view(dispute_id: int, filename: str, content: bytes, *, user_id: int
                      ) -> Outcome:
    """Page-facing :func:`add_evidence`."""
    return act(user_id, add_evidence, done=lambda e: f"{e.filename} attached.",
               object_id=dispute_id, dispute_id=dispute_id, filename=filename, content=content)


def propose_credit_view(dispute_id: int, version: int, reason: str, *, user_id: int,
                        lines: Mapping[int, int] | None = None, full: bool = False
                        ) -> Outcome:
    """Page-facing :func:`propose_credit`."""
    def done(note: CreditNote) -> str:
        if note.status == CreditNoteStatus.ISSUED.value:
            return f"Credit note {note.number} issued; the dispute is resolved."
        return "The credit is above the approval threshold: it waits for a finance approval."
    return act(user_id, propose_credit, done=done, object_id=dispute_id, dispute_id=dispute_id,
               version=version, reason=reason, lines=lines, full=full)


def approve_credit_view(dispute_id: int, credit_note_id: int, credit_note_version: int, *,
                        user_id: int, comment: str = "") -> Outcome:
    """Page-facing :func:`approve_credit`."""
    return act(user_id, approve_credit, done="Credit approved; the dispute is resolved.",
               object_id=dispute_id, dispute_id=dispute_id, credit_note_id=credit_note_id,
               credit_note_version=credit_note_version, comment=comment)


def reject_credit_view(dispute_id: int, credit_note_id: int, credit_note_version: int,
                       reason: str, *, user_id: int) -> Outcome:
    """Page-facing :func:`reject_credit`."""
    return act(user_id, reject_credit, done="Credit rejected.", object_id=dispute_id,
               dispute_id=dispute_id, credit_note_id=credit_note_id,
               credit_note_version=credit_note_version, reason=reason)


def close_as_credited_view(dispute_id: int, version: int, *, user_id: int) -> Outcome:
    """Page-facing :func:`close_as_credited`."""
    return act(user_id, close_as_credited, done="Dispute resolved as credited.",
               object_id=dispute_id, dispute_id=dispute_id, version=version)


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


def evidence_file(dispute_id: int, evidence_id: int) -> tuple[str, str, bytes]:
    """Page-facing: an evidence file's name, content type and bytes (for a download).

    Raises:
        NotFound: the file is not on this dispute.
    """
    with read_session() as s:
        ev = s.get(DisputeEvidence, evidence_id)
        if ev is None or ev.dispute_id != dispute_id:
            raise NotFound("That file is not attached to this dispute.")
        return ev.filename, ev.content_type, bytes(ev.content)
