"""Deciding a pending credit note, from the invoice page or the approvals inbox.

A credit that belongs to a dispute is decided through the case (:func:`approve_credit`,
:func:`reject_credit`), which also resolves or updates the dispute; any other credit goes
straight to billing. This lives with disputes because disputes build on billing, never the
other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from console.billing import approve_credit_note, reject_credit_note
from console.disputes.queries.loaders import dispute_of_credit_note
from console.disputes.usecases.credits import approve_credit, reject_credit
from console.kernel.actor import Actor
from console.kernel.outcome import Outcome, act
from models import CreditNote, Dispute


@dataclass(frozen=True)
class CreditDecision:
    """The decided credit note, and what to tell the person who decided."""

    id: int
    version: int
    status: str
    number: str
    message: str


def decide_credit_note(session: Session, *, credit_note_id: int, version: int, actor: Actor,
                       approve: bool, text: str = "") -> CreditDecision:
    """Approve (with an optional comment) or reject (with a reason) a pending credit note.

    Args:
        session: an open unit of work.
        credit_note_id: the pending credit note.
        version: the credit note's version the page showed.
        actor: the finance user deciding.
        approve: True to approve, False to reject.
        text: the approval comment, or the rejection reason.

    Returns:
        The decided note and the message for the page.

    Raises:
        NotAllowed: the requester, or a user who may not approve credits (maker-checker).
        Conflict: the note or the dispute changed since the page was loaded.
    """
    dispute_id = dispute_of_credit_note(session, credit_note_id)
    dispute: Dispute | None = None
    if dispute_id is None and approve:
        approve_credit_note(session, credit_note_id=credit_note_id, version=version,
                            actor=actor, comment=text)
    elif dispute_id is None:
        reject_credit_note(session, credit_note_id=credit_note_id, version=version,
                           actor=actor, reason=text)
    elif approve:
        dispute = approve_credit(session, dispute_id=dispute_id, credit_note_id=credit_note_id,
                                 credit_note_version=version, actor=actor, comment=text)
    else:
        reject_credit(session, dispute_id=dispute_id, credit_note_id=credit_note_id,
                      credit_note_version=version, actor=actor, reason=text)
    note = session.get(CreditNote, credit_note_id)
    assert note is not None
    if not approve:
        message = "Credit rejected."
    elif dispute is None:
        message = f"Credit note {note.number} issued."
    else:
        message = (f"Credit note {note.number} issued; dispute #{dispute.id} is "
                   f"{dispute.status.replace('_', ' ')}.")
    return CreditDecision(note.id, note.version, note.status, note.number or "", message)


# --- page-facing


def approve_credit_note_view(credit_note_id: int, version: int, *, user_id: int,
                             comment: str = "") -> Outcome:
    """Page-facing approval of a pending credit note (a dispute's is resolved with it)."""
    return act(user_id, decide_credit_note, done=lambda d: d.message, object_id=credit_note_id,
               credit_note_id=credit_note_id, version=version, approve=True, text=comment)


def reject_credit_note_view(credit_note_id: int, version: int, reason: str, *, user_id: int
                            ) -> Outcome:
    """Page-facing rejection of a pending credit note (a dispute's case records it)."""
    return act(user_id, decide_credit_note, done=lambda d: d.message, object_id=credit_note_id,
               credit_note_id=credit_note_id, version=version, approve=False, text=reason)
