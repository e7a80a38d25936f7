"""Invoice actions: approve, hold and release, void, issue, mark paid or uncollectible
(editing a draft's lines is :mod:`console.billing.usecases.invoice_lines`).

Every action is one transaction with one audit event, and uses optimistic concurrency: the
caller passes the ``version`` it saw, the change is an ``UPDATE ... WHERE id = :id AND version
= :version AND status = :status``, and when nothing matched the action is refused with
:func:`console.kernel.conditional.stale_message` and nothing changes.

Statuses (see :mod:`console.billing.domain.status`): bill runs write ``draft``; *hold* moves an
invoice to ``in_review`` with a reason and *release* returns it to ``draft``. Issuing assigns a
gap-free ``INV-YYYY-NNNNNN`` number. Issued invoices never change: corrections are credit notes
(:mod:`console.billing.usecases.credit_notes`). The queue and the invoice page read through
:mod:`console.billing.queries.review_queue` and :mod:`console.billing.queries.invoice_detail`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.billing.domain.lines import LineKind
from console.billing.domain.numbering import INVOICE_SERIES
from console.billing.domain.status import (
    InvoiceAction,
    InvoiceStatus,
    TransitionError,
    transition,
)
from console.billing.usecases.numbering import next_number
from console.kernel.actor import Actor
from console.kernel.conditional import check_version, conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import AuditEvent, Customer, Invoice, InvoiceLine, Payment
from models.types import utcnow


def invoice_json(inv: Invoice) -> dict[str, Any]:
    """The invoice's state as its audit events record it (before/after)."""
    return {"status": inv.status, "version": inv.version, "number": inv.number,
            "subtotal_minor": inv.subtotal_minor, "tax_minor": inv.tax_minor,
            "total_minor": inv.total_minor, "credited_minor": inv.credited_minor,
            "paid_minor": inv.paid_minor, "hold_reason": inv.hold_reason}


def load_for_action(session: Session, invoice_id: int, version: int, action: InvoiceAction
                    ) -> Invoice:
    """The invoice, freshly read, if the reviewer saw its current version and its status allows
    ``action``.

    Raises:
        NotFound: for an unknown invoice.
        Conflict: stale version, or a status that does not allow the action.
    """
    inv = session.execute(sa.select(Invoice).where(Invoice.id == invoice_id)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    check_version(inv, version)
    try:
        transition(inv.status, action)
    except TransitionError as exc:
        raise Conflict(str(exc)) from None
    return inv


def required_reason(reason: str | None, what: str) -> str:
    """The reason, stripped.

    Raises:
        InvalidInput: ``A reason is required to {what}.`` when it is empty.
    """
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(f"A reason is required to {what}.")
    return text


def approve_invoice(session: Session, *, invoice_id: int, version: int, actor: Actor) -> Invoice:
    """Approve a draft (maker-checker: whoever edited its lines cannot approve it).

    Raises:
        Conflict: stale version or not a draft. NotAllowed: no permission, or the approver
            edited the invoice.
    """
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    inv = load_for_action(session, invoice_id, version, InvoiceAction.APPROVE)
    if actor.user_id is not None and session.execute(
            sa.select(AuditEvent.id).where(AuditEvent.object_type == "invoice",
                                           AuditEvent.object_id == str(inv.id),
                                           AuditEvent.action == "invoice.edit_line",
                                           AuditEvent.actor_id == actor.user_id).limit(1)
    ).first():
        raise NotAllowed("You edited this invoice; another reviewer must approve it.")
    before = invoice_json(inv)
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.APPROVED.value,
                       approved_by=actor.user_id)
    record(session, actor=actor, action="invoice.approve", object_type="invoice",
           object_id=inv.id, before=before, after=invoice_json(inv))
    return inv


def hold_invoice(session: Session, *, invoice_id: int, version: int, reason: str, actor: Actor
                 ) -> Invoice:
    """Put a draft or approved invoice on hold (status in_review) with a required reason.

    Args:
        session: an open unit of work.
        invoice_id: the invoice.
        version: the version the reviewer saw.
        reason: why it is held (required; shown in the queue).
        actor: who holds it (needs review_invoices).

    Returns:
        The invoice, now ``in_review``.

    Raises:
        InvalidInput: no reason.
        Conflict: stale version, or a status that cannot be held.
    """
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    text = required_reason(reason, "put an invoice on hold")
    inv = load_for_action(session, invoice_id, version, InvoiceAction.HOLD)
    before = invoice_json(inv)
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.IN_REVIEW.value,
                       hold_reason=text, approved_by=None)
    record(session, actor=actor, action="invoice.hold", object_type="invoice",
           object_id=inv.id, before=before, after=invoice_json(inv), reason=text)
    return inv


def release_hold(session: Session, *, invoice_id: int, version: int, actor: Actor,
                 reason: str = "") -> Invoice:
    """Release a hold: the invoice returns to draft.

    Args:
        session: an open unit of work.
        invoice_id: the held invoice.
        version: the version the reviewer saw.
        actor: who releases it (needs review_invoices).
        reason: an optional note for the audit log.

    Returns:
        The invoice, now ``draft``.

    Raises:
        Conflict: stale version, or the invoice is not held.
    """
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    inv = load_for_action(session, invoice_id, version, InvoiceAction.RELEASE_HOLD)
    before = invoice_json(inv)
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.DRAFT.value,
                       hold_reason=None)
    record(session, actor=actor, action="invoice.release_hold", object_type="invoice",
           object_id=inv.id, before=before, after=invoice_json(inv), reason=reason.strip())
    return inv


def void_invoice(session: Session, *, invoice_id: int, version: int, reason: str, actor: Actor
                 ) -> Invoice:
    """Void an invoice that nobody has paid or credited; prepaid credit it drew goes back.

    Args:
        session: an open unit of work.
        invoice_id: the invoice.
        version: the version the reviewer saw.
        reason: why (required).
        actor: who voids it (needs review_invoices).

    Returns:
        The invoice, now ``void``.

    Raises:
        InvalidInput: no reason.
        Conflict: stale version, a status that cannot be voided, or payments or credit notes.
    """
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    text = required_reason(reason, "void an invoice")
    inv = load_for_action(session, invoice_id, version, InvoiceAction.VOID)
    if inv.paid_minor or inv.credited_minor:
        raise Conflict("This invoice has payments or credit notes; it cannot be voided. "
                       "Use a credit note instead.")
    before = invoice_json(inv)
    drawn = -sum(session.execute(sa.select(InvoiceLine.amount_minor).where(
        InvoiceLine.invoice_id == inv.id, InvoiceLine.kind == LineKind.CREDIT)).scalars())
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.VOID.value,
                       voided_at=utcnow())
    if drawn:
        cust = session.get(Customer, inv.customer_id)
        cust.credit_balance_minor += drawn
        cust.version += 1
    record(session, actor=actor, action="invoice.void", object_type="invoice", object_id=inv.id,
           before=before, after={**invoice_json(inv), "credit_returned_minor": drawn}, reason=text)
    return inv


def issue_invoice(session: Session, *, invoice_id: int, version: int, actor: Actor,
                  now: datetime | None = None) -> Invoice:
    """Issue an approved invoice: gap-free number ``INV-YYYY-NNNNNN``, issue and due dates.

    The number is taken under the sequence lock inside this transaction; a refused issue
    rolls back and gives the number back.

    Args:
        session: an open unit of work.
        invoice_id: the approved invoice.
        version: the version the reviewer saw.
        actor: who issues it (needs review_invoices).
        now: the issue time (default: now); the due date adds the customer's payment terms.

    Returns:
        The issued invoice.

    Raises:
        Conflict: stale version, or the invoice is not approved.
    """
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    inv = load_for_action(session, invoice_id, version, InvoiceAction.ISSUE)
    when = now or utcnow()
    number = next_number(session, series=INVOICE_SERIES, year=when.year)
    cust = session.get(Customer, inv.customer_id)
    before = invoice_json(inv)
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.ISSUED.value,
                       number=number, issued_at=when,
                       due_date=when.date() + timedelta(days=cust.payment_terms_days))
    record(session, actor=actor, action="invoice.issue", object_type="invoice",
           object_id=inv.id, before=before,
           after={**invoice_json(inv), "issued_at": when, "due_date": inv.due_date})
    return inv


def mark_paid(session: Session, *, invoice_id: int, version: int, actor: Actor,
              method: str = "manual", reference: str | None = None) -> Invoice:
    """Record a payment of the open balance and mark the invoice paid.

    Args:
        session: an open unit of work.
        invoice_id: the issued invoice.
        version: the version the user saw.
        actor: who records it (needs review_invoices or manage_collections).
        method: the payment method recorded on the payment (16 characters at most).
        reference: the provider's reference, if any.

    Returns:
        The invoice, now ``paid``.

    Raises:
        Conflict: stale version, or a status that cannot be paid.
    """
    require(session, actor, Permission.REVIEW_INVOICES, Permission.MANAGE_COLLECTIONS, system=True)
    inv = load_for_action(session, invoice_id, version, InvoiceAction.MARK_PAID)
    before = invoice_json(inv)
    when = utcnow()
    balance = inv.total_minor - inv.credited_minor - inv.paid_minor
    if balance > 0:
        session.add(Payment(invoice_id=inv.id, customer_id=inv.customer_id, amount_minor=balance,
                            currency=inv.currency, status="succeeded", method=method[:16],
                            provider_ref=reference, received_at=when))
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.PAID.value,
                       paid_minor=inv.paid_minor + max(0, balance), paid_at=when)
    record(session, actor=actor, action="invoice.mark_paid", object_type="invoice",
           object_id=inv.id, before=before,
           after={**invoice_json(inv), "payment_minor": max(0, balance)})
    return inv


def mark_uncollectible(session: Session, *, invoice_id: int, version: int, reason: str,
                       actor: Actor) -> Invoice:
    """Mark an issued invoice uncollectible (with a reason).

    Args:
        session: an open unit of work.
        invoice_id: the issued invoice.
        version: the version the user saw.
        reason: why (required).
        actor: who decides (needs review_invoices or manage_collections).

    Returns:
        The invoice, now ``uncollectible``.

    Raises:
        InvalidInput: no reason.
        Conflict: stale version, or a status that cannot be written off.
    """
    require(session, actor, Permission.REVIEW_INVOICES, Permission.MANAGE_COLLECTIONS, system=True)
    text = required_reason(reason, "mark an invoice uncollectible")
    inv = load_for_action(session, invoice_id, version, InvoiceAction.MARK_UNCOLLECTIBLE)
    before = invoice_json(inv)
    conditional_update(session, inv, expect_version=version,
                       status=InvoiceStatus.UNCOLLECTIBLE.value)
    record(session, actor=actor, action="invoice.mark_uncollectible", object_type="invoice",
           object_id=inv.id, before=before, after=invoice_json(inv), reason=text)
    return inv


# --- page-facing


def approve_view(invoice_id: int, version: int, *, user_id: int) -> Outcome:
    """Page-facing :func:`approve_invoice`."""
    return act(user_id, approve_invoice, done="Invoice approved.", object_id=invoice_id,
               invoice_id=invoice_id, version=version)


def approve_many_view(items: Sequence[tuple[int, int]], *, user_id: int) -> list[Outcome]:
    """Bulk approve ``[(invoice_id, version), ...]``: one transaction each, outcome per invoice.

    Args:
        items: the invoices and the versions the reviewer saw.
        user_id: the signed-in user.

    Returns:
        One outcome per item, in order; a refused one does not stop the others.
    """
    return [approve_view(iid, ver, user_id=user_id) for iid, ver in items]


def hold_view(invoice_id: int, version: int, reason: str, *, user_id: int) -> Outcome:
    """Page-facing :func:`hold_invoice`."""
    return act(user_id, hold_invoice, done="Invoice put on hold.", object_id=invoice_id,
               invoice_id=invoice_id, version=version, reason=reason)


def release_hold_view(invoice_id: int, version: int, *, user_id: int, reason: str = ""
                      ) -> Outcome:
    """Page-facing :func:`release_hold`."""
    return act(user_id, release_hold, done="Hold released.", object_id=invoice_id,
               invoice_id=invoice_id, version=version, reason=reason)


def void_view(invoice_id: int, version: int, reason: str, *, user_id: int) -> Outcome:
    """Page-facing :func:`void_invoice`."""
    return act(user_id, void_invoice, done="Invoice voided.", object_id=invoice_id,
               invoice_id=invoice_id, version=version, reason=reason)


def issue_view(invoice_id: int, version: int, *, user_id: int) -> Outcome:
    """Page-facing :func:`issue_invoice`."""
    return act(user_id, issue_invoice, done="Invoice issued.", object_id=invoice_id,
               invoice_id=invoice_id, version=version)


def mark_paid_view(invoice_id: int, version: int, *, user_id: int) -> Outcome:
    """Page-facing :func:`mark_paid`."""
    return act(user_id, mark_paid, done="Invoice marked paid.", object_id=invoice_id,
               invoice_id=invoice_id, version=version)


def mark_uncollectible_view(invoice_id: int, version: int, reason: str, *, user_id: int
                            ) -> Outcome:
    """Page-facing :func:`mark_uncollectible`."""
    return act(user_id, mark_uncollectible, done="Invoice marked uncollectible.",
               object_id=invoice_id, invoice_id=invoice_id, version=version, reason=reason)
