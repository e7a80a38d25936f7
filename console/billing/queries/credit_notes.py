"""Credit-note reads: what is already credited per line, the caps a new credit must keep,
the approval threshold, and the credits waiting for a second finance user.

The caps (:func:`plan_for`) are read here so that a preview shows exactly what creating the
credit (:mod:`console.billing.usecases.credit_notes`) would refuse or issue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.billing.domain.credit_notes import (
    CreditableLine,
    CreditNoteError,
    CreditPlan,
    plan_credit,
)
from console.billing.domain.status import CreditNoteStatus, InvoiceAction, can
from console.kernel.errors import Conflict, InvalidInput, ServiceError
from console.kernel.policy import policy
from console.money import format_minor
from models import CreditNote, CreditNoteLine, Customer, Invoice, InvoiceLine, User
from models.db import read_session

THRESHOLD_DEFAULTS = {"credit_note_minor": 50_000}


def approval_threshold_minor(session: Session) -> int:
    """Credits above this total (minor units) need a second finance user.

    Reads ``policy_setting["approval_thresholds"]["credit_note_minor"]``; a missing or broken
    value falls back to 50,000.
    """
    value = policy(session, "approval_thresholds", THRESHOLD_DEFAULTS).get("credit_note_minor")
    try:
        return int(value)
    except (TypeError, ValueError):
        return THRESHOLD_DEFAULTS["credit_note_minor"]


def credited_per_line(session: Session, invoice_id: int) -> dict[int, tuple[int, int]]:
    """Amount and tax credited (issued or pending credit notes) per invoice line.

    Args:
        session: any session.
        invoice_id: the invoice.

    Returns:
        Invoice line id -> ``(amount_minor, tax_minor)`` credited; lines without credits are
        absent.
    """
    rows = session.execute(
        sa.select(CreditNoteLine.invoice_line_id, sa.func.sum(CreditNoteLine.amount_minor),
                  sa.func.sum(CreditNoteLine.tax_minor))
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(CreditNote.invoice_id == invoice_id,
               CreditNote.status.in_(("issued", "pending_approval")))
        .group_by(CreditNoteLine.invoice_line_id)).all()
    return {lid: (int(a or 0), int(t or 0)) for lid, a, t in rows}


def pending_total_minor(session: Session, invoice_id: int, *, exclude: int | None = None) -> int:
    """The total of an invoice's credits pending approval (they hold their share of the caps).

    Args:
        session: any session.
        invoice_id: the invoice.
        exclude: a credit note to leave out (the one being decided).

    Returns:
        The sum of their totals, minor units of the invoice's currency.
    """
    conds = [CreditNote.invoice_id == invoice_id,
             CreditNote.status == CreditNoteStatus.PENDING_APPROVAL.value]
    if exclude is not None:
        conds.append(CreditNote.id != exclude)
    return int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(CreditNote.total_minor), 0))
                               .where(*conds)).scalar_one())


def creditable_lines(session: Session, inv: Invoice) -> list[CreditableLine]:
    """The invoice's lines in order, each with what issued and pending credits already took."""
    credited = credited_per_line(session, inv.id)
    lines = session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                            .order_by(InvoiceLine.position, InvoiceLine.id)).scalars().all()
    return [CreditableLine(x.id, x.description, x.amount_minor, x.tax_minor,
                           *credited.get(x.id, (0, 0))) for x in lines]


def plan_for(session: Session, inv: Invoice, *, lines: Mapping[int, int] | None, full: bool
             ) -> CreditPlan:
    """Validate a requested credit against every cap.

    Args:
        session: any session.
        inv: the invoice to credit.
        lines: invoice line id -> amount to credit before tax (minor units); None with ``full``.
        full: credit everything still creditable.

    Returns:
        The credit's lines and totals, tax in proportion per line.

    Raises:
        Conflict: the invoice is neither issued nor paid.
        InvalidInput: a cap is broken (the message names it).
    """
    if not can(inv.status, InvoiceAction.CREDIT):
        raise Conflict("Credit notes apply to issued or paid invoices only; this invoice is "
                       f"{inv.status.replace('_', ' ')}.")
    remaining = inv.total_minor - inv.credited_minor - pending_total_minor(session, inv.id)
    try:
        return plan_credit(lines=creditable_lines(session, inv), requested=lines, full=full,
                           invoice_remaining_minor=remaining, currency=inv.currency)
    except CreditNoteError as exc:
        raise InvalidInput(str(exc)) from None


@dataclass(frozen=True)
class CreditPreview:
    """What a requested credit would come to (shown before confirming)."""

    ok: bool
    message: str
    amount: str = ""
    tax: str = ""
    total: str = ""
    total_minor: int = 0
    needs_approval: bool = False


@dataclass(frozen=True)
class PendingCreditRow:
    """A credit waiting for approval."""

    id: int
    version: int
    invoice_id: int
    invoice_number: str
    customer: str
    total: str
    total_minor: int
    reason: str
    requested_by: str
    requested_by_id: int
    created: str


def pending_credits(session: Session, *, limit: int = 100, invoice_id: int | None = None
                    ) -> list[PendingCreditRow]:
    """Credits waiting for approval, oldest first.

    Args:
        session: any session.
        limit: how many at most.
        invoice_id: only this invoice's (None: every invoice's).

    Returns:
        The credits for display, with who requested each.
    """
    conds = [CreditNote.status == CreditNoteStatus.PENDING_APPROVAL.value]
    if invoice_id is not None:
        conds.append(CreditNote.invoice_id == invoice_id)
    rows = session.execute(
        sa.select(CreditNote, Invoice.number, Customer.name, User.email)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .join(Customer, Customer.id == CreditNote.customer_id)
        .join(User, User.id == CreditNote.created_by)
        .where(*conds)
        .order_by(CreditNote.id).limit(limit)).all()
    return [PendingCreditRow(n.id, n.version, n.invoice_id, number or "", cname,
                             format_minor(n.total_minor, n.currency), n.total_minor, n.reason,
                             email, n.created_by, n.created_at.strftime("%Y-%m-%d %H:%M"))
            for n, number, cname, email in rows]


# --- page-facing


def preview_credit(invoice_id: int, *, lines: Mapping[int, int] | None = None,
                   full: bool = False) -> CreditPreview:
    """Page-facing: validate a credit and show its totals without writing anything.

    Args:
        invoice_id: the invoice to credit.
        lines: invoice line id -> amount to credit before tax (minor units).
        full: credit everything still creditable (``lines`` is then ignored).

    Returns:
        The totals and whether a second finance user must approve, or ``ok=False`` with the
        reason the credit would be refused.
    """
    with read_session() as s:
        inv = s.get(Invoice, invoice_id)
        if inv is None:
            return CreditPreview(False, f"No invoice with id {invoice_id}.")
        try:
            plan = plan_for(s, inv, lines=None if full else lines, full=full)
        except ServiceError as exc:
            return CreditPreview(False, str(exc))
        cur = inv.currency
        return CreditPreview(True, "", format_minor(plan.amount_minor, cur),
                             format_minor(plan.tax_minor, cur),
                             format_minor(plan.total_minor, cur), plan.total_minor,
                             plan.total_minor > approval_threshold_minor(s))


def pending_credits_view(limit: int = 100, *, invoice_id: int | None = None
                         ) -> list[PendingCreditRow]:
    """Page-facing :func:`pending_credits`."""
    with read_session() as s:
        return pending_credits(s, limit=limit, invoice_id=invoice_id)
