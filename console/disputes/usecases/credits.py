"""Resolving a case with a credit note: proposing it, a finance user approving or rejecting it,
and recording a credit approved elsewhere (e.g. from the invoice page)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from console import billing
from console.audit import record
from console.billing import CreditNoteStatus
from console.disputes.domain.status import DisputeAction, DisputeStatus, is_active
from console.disputes.queries.loaders import dispute_credit_note, get_dispute
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
from console.money import format_minor
from models import CreditNote, Dispute
from models.types import utcnow


def propose_credit(session: Session, *, dispute_id: int, version: int, actor: Actor,
                   reason: str, lines: Mapping[int, int] | None = None, full: bool = False,
                   now: datetime | None = None) -> CreditNote:
    """Resolve with a credit note, full or per line, capped at the invoice's remaining balance.

    At or below the approval threshold the note is issued at once and the dispute becomes
    ``resolved_credited``; above it the note waits for a finance approval and the dispute keeps
    its working status with a ``credit_proposed`` timeline entry.

    Args:
        session: an open unit of work.
        dispute_id: the case.
        version: the version the page showed.
        actor: who proposes it (``work_disputes``).
        reason: why the customer is credited (required).
        lines: invoice line id -> amount to credit before tax (minor units), unless ``full``.
        full: credit the whole remaining invoice.
        now: the clock (defaults to now).

    Returns:
        The credit note (issued, or pending approval).

    Raises:
        InvalidInput: no reason, nothing to credit or a broken cap (message from the credit
            note rules). Conflict: stale, closed, no invoice, or a credit already pending.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    text = checked_text(reason, "A reason for the credit")
    d = get_dispute(session, dispute_id, version)
    checked_transition(d.status, DisputeAction.CREDIT)
    if d.invoice_id is None:
        raise Conflict("This dispute names no invoice; a credit note needs an invoice.")
    refuse_if_credit_pending(session, d, "propose another credit")
    note = billing.create_credit_note(session, invoice_id=d.invoice_id, reason=text,
                                      actor=actor, lines=lines, full=full, dispute_id=d.id)
    total = format_minor(note.total_minor, note.currency)
    if note.status == CreditNoteStatus.ISSUED.value:
        resolve(session, d, version, target=DisputeStatus.RESOLVED_CREDITED, actor=actor,
                now=now, note=f"Credited {total} with credit note {note.number}. {text}",
                audit_action="dispute.resolve_credit", credited_minor=note.total_minor,
                extra={"credit_note_id": note.id, "credit_note": note.number})
        return note
    before = snapshot(d)
    conditional_update(session, d, expect_version=version)
    add_event(session, d, kind="credit_proposed", actor=actor, now=now,
              body=f"Proposed a credit of {total}; it waits for a finance approval. {text}")
    record(session, actor=actor, action="dispute.credit_propose", object_type="dispute",
           object_id=d.id, before=before,
           after={**snapshot(d), "credit_note_id": note.id, "total_minor": note.total_minor},
           reason=text)
    return note


def approve_credit(session: Session, *, dispute_id: int, credit_note_id: int,
                   credit_note_version: int, actor: Actor, comment: str = "",
                   now: datetime | None = None) -> Dispute:
    """A finance user approves the dispute's pending credit; the note is issued and the
    dispute resolved as credited.

    The proposer is refused by :func:`console.billing.approve_credit_note` (maker-checker) in
    this same transaction, as is anyone without ``approve_credits``.

    Raises:
        NotAllowed: the proposer, or a user who may not approve credits.
        NotFound: the credit note is not this dispute's.
        Conflict: stale credit note or dispute, or the caps no longer hold.
    """
    require(session, actor, Permission.APPROVE_CREDITS, system=True)
    now = now or utcnow()
    d = get_dispute(session, dispute_id)
    dispute_credit_note(session, d, credit_note_id)
    note = billing.approve_credit_note(session, credit_note_id=credit_note_id,
                                       version=credit_note_version, actor=actor,
                                       comment=comment)
    total = format_minor(note.total_minor, note.currency)
    add_event(session, d, kind="credit_approved", actor=actor, now=now,
              body=f"Credit of {total} approved; credit note {note.number} issued."
              + (f" {comment.strip()}" if comment.strip() else ""))
    if is_active(d.status):
        resolve(session, d, d.version, target=DisputeStatus.RESOLVED_CREDITED, actor=actor,
                now=now, note=f"Credited {total} with credit note {note.number}.",
                audit_action="dispute.resolve_credit", credited_minor=note.total_minor,
                extra={"credit_note_id": note.id, "credit_note": note.number})
    else:
        before = snapshot(d)
        conditional_update(session, d, expect_version=d.version,
                           credited_minor=d.credited_minor + note.total_minor)
        record(session, actor=actor, action="dispute.credit_issued", object_type="dispute",
               object_id=d.id, before=before, after=snapshot(d))
    return d


def reject_credit(session: Session, *, dispute_id: int, credit_note_id: int,
                  credit_note_version: int, actor: Actor, reason: str,
                  now: datetime | None = None) -> Dispute:
    """A finance user rejects the pending credit; the dispute stays open for more work.

    Raises:
        NotAllowed: the proposer or a user who may not approve credits.
        InvalidInput: no reason.
        NotFound: the credit note is not this dispute's.
    """
    require(session, actor, Permission.APPROVE_CREDITS, system=True)
    now = now or utcnow()
    text = checked_text(reason, "A reason")
    d = get_dispute(session, dispute_id)
    dispute_credit_note(session, d, credit_note_id)
    note = billing.reject_credit_note(session, credit_note_id=credit_note_id,
                                      version=credit_note_version, actor=actor, reason=text)
    before = snapshot(d)
    conditional_update(session, d, expect_version=d.version)
    add_event(session, d, kind="credit_rejected", actor=actor, now=now,
              body=f"Credit of {format_minor(note.total_minor, note.currency)} rejected: {text}")
    record(session, actor=actor, action="dispute.credit_reject", object_type="dispute",
           object_id=d.id, before=before, after={**snapshot(d), "credit_note_id": note.id},
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
    d = get_dispute(session, dispute_id, version)
    checked_transition(d.status, DisputeAction.CREDIT)
    issued = session.execute(sa.select(CreditNote).where(
        CreditNote.dispute_id == d.id, CreditNote.status == CreditNoteStatus.ISSUED.value)
    ).scalars().all()
    uncounted = sum(n.total_minor for n in issued) - d.credited_minor
    if uncounted <= 0:
        raise Conflict("No issued credit note of this dispute is waiting to be recorded.")
    numbers = ", ".join(n.number or "" for n in issued)
    resolve(session, d, version, target=DisputeStatus.RESOLVED_CREDITED, actor=actor, now=now,
            note=f"Credited {format_minor(uncounted, d.currency)} ({numbers}).",
            audit_action="dispute.resolve_credit", credited_minor=uncounted,
            extra={"credit_notes": numbers})
    return d


# --- page-facing


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
