"""Opening a case and working it: the owner, the working status, notes and customer contacts,
evidence files."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.disputes.domain.evidence import EvidenceError, check_evidence
from console.disputes.domain.lines import (
    DISPUTABLE_INVOICE_STATUSES,
    DisputedLine,
    DisputeLineError,
    validate_lines,
)
from console.disputes.domain.sla import REASONS, response_due
from console.disputes.domain.status import DisputeAction, DisputeStatus, is_active
from console.disputes.queries.loaders import active_dispute_on, get_dispute, user_name
from console.disputes.queries.settings import sla_policy
from console.disputes.usecases.case_steps import (
    add_event,
    check_owner,
    checked_text,
    checked_transition,
    snapshot,
)
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import (
    Customer,
    Dispute,
    DisputeEvent,
    DisputeEvidence,
    DisputeLine,
    Invoice,
    InvoiceLine,
)
from models.types import utcnow

#: The working-state moves a support user makes by hand (resolutions have their own calls).
WORK_ACTIONS = (DisputeAction.START, DisputeAction.AWAIT_CUSTOMER, DisputeAction.RESUME)

#: Timeline entry kind -> its audit action.
NOTE_KINDS = {"note": "dispute.note", "customer_contact": "dispute.customer_contact"}


def open_dispute(session: Session, *, customer_id: int, reason: str, description: str,
                 actor: Actor, invoice_id: int | None = None,
                 lines: Mapping[int, int] | None = None, amount_minor: int | None = None,
                 owner_id: int | None = None, now: datetime | None = None) -> Dispute:
    """Open a dispute on an invoice (with its disputed lines) or on a customer.

    Args:
        session: an open unit of work.
        customer_id: the customer.
        reason: one of :data:`console.disputes.domain.REASONS`.
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
    text = checked_text(description, "A description")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.")
    check_owner(session, owner_id)
    chosen: dict[int, int] = {}
    if invoice_id is not None:
        inv = session.get(Invoice, invoice_id)
        if inv is None or inv.customer_id != customer.id:
            raise NotFound("That invoice is not one of this customer's invoices.")
        if inv.status not in DISPUTABLE_INVOICE_STATUSES:
            raise Conflict(f"Only issued, paid or uncollectible invoices can be disputed; this "
                           f"invoice is {inv.status.replace('_', ' ')}.")
        busy = active_dispute_on(session, inv.id)
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
    add_event(session, d, kind="status_change", actor=actor, now=now, to_status=d.status,
              body=f"Dispute opened ({reason.replace('_', ' ')}).")
    if owner_id is not None:
        add_event(session, d, kind="assignment", actor=actor, now=now,
                  body=f"Assigned to {user_name(session, owner_id)}.")
    record(session, actor=actor, action="dispute.open", object_type="dispute", object_id=d.id,
           after={**snapshot(d), "customer_id": d.customer_id, "invoice_id": d.invoice_id,
                  "reason": reason, "currency": currency, "lines": chosen},
           reason=text[:500])
    return d


def assign(session: Session, *, dispute_id: int, owner_id: int | None, actor: Actor,
           version: int | None = None, now: datetime | None = None) -> Dispute:
    """Give a case to an owner (None: unassign).

    ``version`` None takes the current one (bulk assignment), still conditional on it.

    Raises:
        InvalidInput: the owner cannot work disputes. Conflict: stale or closed case.
    """
    require(session, actor, Permission.WORK_DISPUTES, system=True)
    now = now or utcnow()
    d = get_dispute(session, dispute_id, version)
    if not is_active(d.status):
        raise Conflict(f"Dispute #{d.id} is closed; reopen it before assigning it.")
    check_owner(session, owner_id)
    if d.owner_id == owner_id:
        return d
    before = snapshot(d)
    conditional_update(session, d, expect_version=d.version, owner_id=owner_id)
    add_event(session, d, kind="assignment", actor=actor, now=now,
              body=f"Assigned to {user_name(session, owner_id)}." if owner_id
              else "Unassigned.")
    record(session, actor=actor, action="dispute.assign", object_type="dispute", object_id=d.id,
           before=before, after=snapshot(d))
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
    text = checked_text(note, "A note", required=False)
    d = get_dispute(session, dispute_id, version)
    target = checked_transition(d.status, action)
    before = snapshot(d)
    frm = d.status
    conditional_update(session, d, expect_version=version, status=target.value)
    add_event(session, d, kind="status_change", actor=actor, now=now, from_status=frm,
              to_status=target.value, body=text)
    record(session, actor=actor, action=f"dispute.{action.value}", object_type="dispute",
           object_id=d.id, before=before, after=snapshot(d), reason=text)
    return d


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
    text = checked_text(body, "The text")
    d = get_dispute(session, dispute_id)
    ev = add_event(session, d, kind=kind, actor=actor, now=now, body=text)
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
    d = get_dispute(session, dispute_id)
    digest = hashlib.sha256(content).hexdigest()
    ev = DisputeEvidence(dispute_id=d.id, filename=checked.filename,
                         content_type=checked.content_type, size_bytes=checked.size_bytes,
                         sha256=digest, content=content, uploaded_by=actor.user_id,
                         created_at=now)
    session.add(ev)
    session.flush()
    add_event(session, d, kind="evidence", actor=actor, now=now, evidence_id=ev.id,
              body=f"Attached {checked.filename}.")
    record(session, actor=actor, action="dispute.evidence", object_type="dispute",
           object_id=d.id, after={"evidence_id": ev.id, "filename": checked.filename,
                                  "content_type": checked.content_type,
                                  "size_bytes": checked.size_bytes, "sha256": digest})
    return ev


# --- page-facing


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
