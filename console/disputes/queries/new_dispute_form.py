"""The new-dispute form: the customer, their disputable invoices and the chosen invoice's
lines."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.disputes.domain.lines import DISPUTABLE_INVOICE_STATUSES
from console.disputes.queries.loaders import active_dispute_on
from console.kernel.errors import NotFound
from console.money import format_minor
from models import Customer, Invoice, InvoiceLine
from models.db import read_session


@dataclass(frozen=True)
class InvoiceChoice:
    """An invoice the customer may dispute."""

    id: int
    label: str


@dataclass(frozen=True)
class FormLine:
    """A line of the chosen invoice on the new-dispute form."""

    id: int
    description: str
    kind: str
    amount: str
    amount_minor: int
    disputable: bool


@dataclass(frozen=True)
class NewDisputeForm:
    """What the new-dispute form needs."""

    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    invoices: list[InvoiceChoice]
    invoice_id: int
    invoice_label: str
    lines: list[FormLine]
    busy_dispute_id: int


def new_dispute_form(session: Session, *, customer_id: int | None = None,
                     invoice_id: int | None = None) -> NewDisputeForm:
    """The customer, their disputable invoices and the chosen invoice's lines.

    Args:
        session: an open session.
        customer_id: the customer (ignored when ``invoice_id`` names one of theirs).
        invoice_id: the invoice chosen on the form, if any.

    Returns:
        The form's data; ``busy_dispute_id`` names a dispute already worked on the invoice
        (0 when none).

    Raises:
        NotFound: unknown customer or invoice.
    """
    inv = session.get(Invoice, invoice_id) if invoice_id else None
    if invoice_id and inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    cid = inv.customer_id if inv is not None else customer_id
    cust = session.get(Customer, cid) if cid else None
    if cust is None:
        raise NotFound("Choose a customer (open the dispute from the customer's page).")
    invoices = session.execute(
        sa.select(Invoice).where(Invoice.customer_id == cust.id,
                                 Invoice.status.in_(DISPUTABLE_INVOICE_STATUSES))
        .order_by(Invoice.period_start.desc(), Invoice.id.desc()).limit(50)).scalars().all()
    choices = [InvoiceChoice(i.id, f"{i.number} · {i.period_start:%Y-%m-%d} – "
                                   f"{i.period_end:%Y-%m-%d} · "
                                   f"{format_minor(i.total_minor, i.currency)} · {i.status}")
               for i in invoices]
    lines: list[FormLine] = []
    label, busy = "", 0
    if inv is not None:
        label = next((c.label for c in choices if c.id == inv.id), inv.number or "")
        rows = session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                               .order_by(InvoiceLine.position, InvoiceLine.id)).scalars().all()
        lines = [FormLine(x.id, x.description, x.kind, format_minor(x.amount_minor, inv.currency),
                          x.amount_minor, x.amount_minor > 0) for x in rows]
        busy = active_dispute_on(session, inv.id) or 0
    return NewDisputeForm(cust.id, cust.code, cust.name, inv.currency if inv else cust.currency,
                          choices, inv.id if inv else 0, label, lines, busy)


# --- page-facing


def new_dispute_form_view(*, customer_id: int | None = None, invoice_id: int | None = None
                          ) -> NewDisputeForm:
    """Page-facing :func:`new_dispute_form`."""
    with read_session() as s:
        return new_dispute_form(s, customer_id=customer_id, invoice_id=invoice_id)
