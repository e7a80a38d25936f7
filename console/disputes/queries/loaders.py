"""Loading a dispute and what hangs off it (its credit notes, the case being worked on an
invoice, people's names), for the use-cases and the views alike."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from console.billing import CreditNoteStatus
from console.disputes.domain.status import ACTIVE
from console.kernel.conditional import check_version
from console.kernel.errors import NotFound
from models import CreditNote, Dispute, User

#: The statuses of a case being worked, as stored.
ACTIVE_VALUES: tuple[str, ...] = tuple(s.value for s in ACTIVE)


def get_dispute(session: Session, dispute_id: int, version: int | None = None) -> Dispute:
    """The dispute as it is now in the database (fresh, not a cached copy).

    Args:
        session: an open session.
        dispute_id: the dispute.
        version: the version the page showed, or None to take the current one.

    Raises:
        NotFound: no such dispute.
        Conflict: ``version`` is not the current one (the page is stale).
    """
    d = session.execute(sa.select(Dispute).where(Dispute.id == dispute_id)
                        .execution_options(populate_existing=True)).scalar_one_or_none()
    if d is None:
        raise NotFound(f"No dispute with id {dispute_id}.")
    check_version(d, version)
    return d


def active_dispute_on(session: Session, invoice_id: int) -> int | None:
    """The id of a dispute being worked on the invoice, if there is one."""
    return session.execute(sa.select(Dispute.id).where(
        Dispute.invoice_id == invoice_id, Dispute.status.in_(ACTIVE_VALUES)).limit(1)
    ).scalar_one_or_none()


def pending_credit_note(session: Session, dispute_id: int) -> CreditNote | None:
    """The dispute's newest credit note waiting for a finance approval, if any."""
    return session.execute(
        sa.select(CreditNote).where(CreditNote.dispute_id == dispute_id,
                                    CreditNote.status == CreditNoteStatus.PENDING_APPROVAL.value)
        .order_by(CreditNote.id.desc()).limit(1)).scalar_one_or_none()


def dispute_credit_note(session: Session, dispute: Dispute, credit_note_id: int) -> CreditNote:
    """A credit note of this dispute.

    Raises:
        NotFound: no such credit note, or it belongs to something else.
    """
    note = session.get(CreditNote, credit_note_id)
    if note is None or note.dispute_id != dispute.id:
        raise NotFound("That credit note does not belong to this dispute.")
    return note


def dispute_of_credit_note(session: Session, credit_note_id: int) -> int | None:
    """The id of the dispute a credit note belongs to (None: no dispute, or no such note)."""
    return session.execute(sa.select(CreditNote.dispute_id).where(
        CreditNote.id == credit_note_id)).scalar_one_or_none()


def user_name(session: Session, user_id: int | None) -> str:
    """A user's name for a timeline entry (``"nobody"`` for None)."""
    if user_id is None:
        return "nobody"
    user = session.get(User, user_id)
    return user.name if user else f"user {user_id}"


def user_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """user id -> name for the given ids (None and 0 are skipped), in one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.name).where(User.id.in_(wanted))).all())
