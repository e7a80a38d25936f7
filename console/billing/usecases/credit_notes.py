"""Credit notes: partial (by line) or full corrections of issued invoices, with maker-checker.

Rules:

* Only ``issued`` or ``paid`` invoices take credit notes. A credit never exceeds a line's
  remaining creditable amount (its amount minus what issued *and pending* notes already give
  back) nor the invoice's remaining balance (total minus credited minus pending), tax included.
  Tax is credited in proportion per line, rounded per line
  (:mod:`console.billing.domain.credit_notes`).
* A credit whose total is above ``policy_setting["approval_thresholds"]["credit_note_minor"]``
  (default 50,000 minor units, in the invoice's currency) waits in ``pending_approval`` with an
  ``approval_request`` (kind ``credit_note``, required role ``finance``). Another finance user
  approves or rejects it; the creator never can (checked here, in the same transaction as the
  conditional status update, so two racing approvers produce one approval).
* Issuing assigns ``CN-YYYY-NNNNNN`` (series ``CN``), adds the total to
  ``invoice.credited_minor`` and bumps the invoice's version. When the invoice's open balance
  (total - credited - paid) reaches 0, an ``issued`` invoice becomes ``paid`` (settled). Any
  part of the credit that exceeds what was still open (the invoice was already paid) becomes
  prepaid credit on the customer's balance, used by the next bill run.
* Disputes call :func:`create_credit_note` with ``dispute_id``; support users may create
  credits for disputes (finance approval still applies above the threshold). The pages'
  approve/reject decisions go through :mod:`console.disputes.usecases.credit_decisions`
  (a dispute's credit is decided through its case).

The caps, the threshold and the pending list are reads
(:mod:`console.billing.queries.credit_notes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.billing.domain.numbering import CREDIT_NOTE_SERIES
from console.billing.domain.status import CreditNoteStatus, InvoiceAction, InvoiceStatus, can
from console.billing.queries.credit_notes import (
    approval_threshold_minor,
    pending_total_minor,
    plan_for,
)
from console.billing.usecases.numbering import next_number
from console.kernel.actor import Actor
from console.kernel.conditional import check_version, conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require, roles_of
from console.kernel.roles import Permission, Role
from console.money import format_minor
from models import (
    Approval,
    ApprovalRequest,
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
)
from models.types import utcnow


def _note_json(note: CreditNote) -> dict[str, Any]:
    return {"number": note.number, "invoice_id": note.invoice_id, "status": note.status,
            "amount_minor": note.amount_minor, "tax_minor": note.tax_minor,
            "total_minor": note.total_minor, "currency": note.currency,
            "dispute_id": note.dispute_id}


def create_credit_note(session: Session, *, invoice_id: int, reason: str, actor: Actor,
                       lines: Mapping[int, int] | None = None, full: bool = False,
                       dispute_id: int | None = None) -> CreditNote:
    """Create a credit note, issued at once or pending a second finance user's approval.

    Args:
        session: an open unit of work.
        invoice_id: the issued or paid invoice.
        reason: why (required; shown on the note and in the audit log).
        actor: who asks (finance; support too when ``dispute_id`` is given).
        lines: invoice line id -> amount to credit before tax (minor units).
        full: credit everything still creditable (``lines`` is then ignored).
        dispute_id: the dispute this credit resolves, if any.

    Returns:
        The credit note (``issued`` or ``pending_approval``).

    Raises:
        InvalidInput: no reason or a broken cap (the message names it).
        Conflict: the invoice is not issued/paid or changed meanwhile.
        NotAllowed: no permission, or a system actor (a credit note records its creator).
    """
    if dispute_id is not None:
        require(session, actor, Permission.ISSUE_CREDIT_NOTES, Permission.WORK_DISPUTES,
                system=True)
    else:
        require(session, actor, Permission.ISSUE_CREDIT_NOTES, system=True)
    if actor.user_id is None:
        raise NotAllowed("Credit notes record who made them: a person must create them.")
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("A reason is required for a credit note.")
    inv = session.execute(sa.select(Invoice).where(Invoice.id == invoice_id)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    plan = plan_for(session, inv, lines=None if full else lines, full=full)
    needs_approval = plan.total_minor > approval_threshold_minor(session)
    note = CreditNote(invoice_id=inv.id, customer_id=inv.customer_id, dispute_id=dispute_id,
                      currency=inv.currency,
                      status=(CreditNoteStatus.PENDING_APPROVAL if needs_approval
                              else CreditNoteStatus.ISSUED).value,
                      reason=text, amount_minor=plan.amount_minor, tax_minor=plan.tax_minor,
                      total_minor=plan.total_minor, created_by=actor.user_id)
    session.add(note)
    session.flush()
    session.execute(sa.insert(CreditNoteLine.__table__), [
        {"credit_note_id": note.id, "invoice_line_id": c.line_id, "amount_minor": c.amount_minor,
         "tax_minor": c.tax_minor} for c in plan.lines])
    if needs_approval:
        conditional_update(session, inv, expect_status=None)  # reserves it against racing credits
        request = ApprovalRequest(
            kind="credit_note", subject_type="credit_note", subject_id=note.id,
            status="pending", requested_by=actor.user_id, required_role=Role.FINANCE.value,
            payload={"invoice_id": inv.id, "total_minor": plan.total_minor,
                     "currency": inv.currency, "dispute_id": dispute_id},
            reason=text)
        session.add(request)
        session.flush()
        record(session, actor=actor, action="credit_note.request", object_type="credit_note",
               object_id=note.id, after={**_note_json(note), "approval_request_id": request.id},
               reason=text)
        return note
    _issue(session, note, inv, actor=actor, reason=text)
    return note


def _issue(session: Session, note: CreditNote, inv: Invoice, *, actor: Actor, reason: str
           ) -> None:
    """Number the note, credit the invoice (settling it or crediting the customer)."""
    now = utcnow()
    number = next_number(session, series=CREDIT_NOTE_SERIES, year=now.year)
    note.number, note.issued_at = number, now
    note.status = CreditNoteStatus.ISSUED.value
    session.flush()
    open_before = inv.total_minor - inv.credited_minor - inv.paid_minor
    open_after = open_before - note.total_minor
    to_customer = max(0, -open_after) - max(0, -open_before)
    before = {"status": inv.status, "credited_minor": inv.credited_minor,
              "version": inv.version}
    values: dict[str, Any] = {"credited_minor": inv.credited_minor + note.total_minor}
    if open_after <= 0 and inv.status == InvoiceStatus.ISSUED.value:
        values.update(status=InvoiceStatus.PAID.value, paid_at=now)
    conditional_update(session, inv, expect_status=None, **values)
    if to_customer:
        cust = session.get(Customer, inv.customer_id)
        cust.credit_balance_minor += to_customer
        cust.version += 1
    record(session, actor=actor, action="credit_note.issue", object_type="credit_note",
           object_id=note.id, after=_note_json(note), reason=reason)
    record(session, actor=actor, action="invoice.credit", object_type="invoice",
           object_id=inv.id, before=before,
           after={"status": inv.status, "credited_minor": inv.credited_minor,
                  "version": inv.version, "credit_note": number,
                  "customer_credit_minor": to_customer}, reason=reason)


def _decide(session: Session, *, credit_note_id: int, version: int, actor: Actor,
            decision: str) -> tuple[CreditNote, ApprovalRequest]:
    require(session, actor, Permission.APPROVE_CREDITS, system=True)
    note = session.execute(sa.select(CreditNote).where(CreditNote.id == credit_note_id)
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    if note is None:
        raise NotFound(f"No credit note with id {credit_note_id}.")
    check_version(note, version)
    if note.status != CreditNoteStatus.PENDING_APPROVAL.value:
        raise Conflict(f"This credit note is {note.status.replace('_', ' ')}, not pending "
                       "approval.")
    if actor.user_id is None:
        raise NotAllowed("Approvals are made by people.")
    if actor.user_id == note.created_by:
        raise NotAllowed("You requested this credit; another finance user must decide on it.")
    request = session.execute(sa.select(ApprovalRequest).where(
        ApprovalRequest.subject_type == "credit_note", ApprovalRequest.subject_id == note.id,
        ApprovalRequest.status == "pending")).scalar_one_or_none()
    roles = roles_of(session, actor.user_id)
    required = request.required_role if request else Role.FINANCE.value
    if required not in {r.value for r in roles}:
        raise NotAllowed(f"Only a {required} user may decide on this credit.")
    target = (CreditNoteStatus.ISSUED if decision == "approve"
              else CreditNoteStatus.REJECTED).value
    conditional_update(session, note, expect_version=version,
                       expect_status=CreditNoteStatus.PENDING_APPROVAL.value, status=target,
                       approved_by=actor.user_id)
    if request is not None:
        request.status = "approved" if decision == "approve" else "rejected"
        request.decided_at = utcnow()
        request.version += 1
        session.add(Approval(subject_type="approval_request", subject_id=request.id,
                             approver_id=actor.user_id,
                             approver_roles=sorted(r.value for r in roles), decision=decision))
        session.flush()
    return note, request


def approve_credit_note(session: Session, *, credit_note_id: int, version: int, actor: Actor,
                        comment: str = "") -> CreditNote:
    """Approve a pending credit (a finance user other than its creator) and issue it.

    The caps are checked again: the invoice may have been credited or voided meanwhile.

    Raises:
        NotAllowed: the creator, a non-finance user, or a system actor.
        Conflict: stale version, not pending, or the caps no longer hold.
    """
    note, _ = _decide(session, credit_note_id=credit_note_id, version=version, actor=actor,
                      decision="approve")
    inv = session.execute(sa.select(Invoice).where(Invoice.id == note.invoice_id)
                          .execution_options(populate_existing=True)).scalar_one()
    if not can(inv.status, InvoiceAction.CREDIT):
        raise Conflict(f"The invoice is {inv.status}; this credit can no longer be issued.")
    room = inv.total_minor - inv.credited_minor - pending_total_minor(session, inv.id,
                                                                 exclude=note.id)
    if note.total_minor > room:
        raise Conflict(f"The invoice has only {format_minor(max(0, room), inv.currency)} left "
                       "to credit; this credit can no longer be issued.")
    _issue(session, note, inv, actor=actor, reason=comment.strip() or note.reason)
    return note


def reject_credit_note(session: Session, *, credit_note_id: int, version: int, actor: Actor,
                       reason: str) -> CreditNote:
    """Reject a pending credit (another finance user; reason required).

    Args:
        session: an open unit of work.
        credit_note_id: the pending credit note.
        version: the version the user saw.
        actor: who rejects it (finance, not its creator).
        reason: why (required).

    Returns:
        The credit note, now ``rejected``.

    Raises:
        InvalidInput: no reason.
        NotAllowed: the creator, a non-finance user, or a system actor.
        Conflict: stale version, or the credit is not pending.
    """
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("A reason is required to reject a credit.")
    note, _ = _decide(session, credit_note_id=credit_note_id, version=version, actor=actor,
                      decision="reject")
    record(session, actor=actor, action="credit_note.reject", object_type="credit_note",
           object_id=note.id, after=_note_json(note), reason=text)
    return note


# --- page-facing


def create_credit_note_view(invoice_id: int, *, user_id: int, reason: str,
                            lines: Mapping[int, int] | None = None, full: bool = False,
                            dispute_id: int | None = None) -> Outcome:
    """Page-facing :func:`create_credit_note`.

    Returns:
        The outcome; its message says whether the note was issued or waits for approval.
    """
    def done(note: CreditNote) -> str:
        return (f"Credit note {note.number} issued." if note.number
                else "Credit note waits for a second finance user's approval.")
    return act(user_id, create_credit_note, done=done, invoice_id=invoice_id, reason=reason,
               lines=lines, full=full, dispute_id=dispute_id)
