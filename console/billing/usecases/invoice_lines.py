"""Editing a draft invoice's lines: the new amount is retaxed, prepaid credit is drawn again
and the totals follow; the reviewer must give a reason.

Only draft and held invoices take edits (issued invoices never change). Whoever edits an
invoice cannot approve it (:func:`console.billing.usecases.invoices.approve_invoice`).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.billing.domain.lines import LineDraft, LineKind, retax
from console.billing.domain.status import InvoiceAction
from console.billing.usecases.invoices import invoice_json, load_for_action, required_reason
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import InvalidInput, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import round_minor
from console.pricing import draw_down_credits
from models import Customer, Invoice, InvoiceLine


def _line_draft(x: InvoiceLine) -> LineDraft:
    return LineDraft(kind=x.kind, description=x.description, amount_minor=x.amount_minor,
                     quantity=x.quantity, unit_amount=x.unit_amount, tax_rate=x.tax_rate,
                     tax_minor=x.tax_minor)


def _line_json(x: InvoiceLine) -> dict[str, Any]:
    return {"line_id": x.id, "description": x.description, "quantity": x.quantity,
            "amount_minor": x.amount_minor, "tax_minor": x.tax_minor}


def edit_line(session: Session, *, invoice_id: int, version: int, line_id: int, reason: str,
              actor: Actor, amount_minor: int | None = None, quantity: str | None = None,
              description: str | None = None) -> Invoice:
    """Edit a line of a draft or held invoice; tax, prepaid credit and totals are recomputed.

    Changing only the quantity of a line with an exact unit price recomputes its amount
    (``quantity * unit price``, rounded once); otherwise give the amount.

    Args:
        session: an open unit of work.
        invoice_id: the invoice.
        version: the version the reviewer saw.
        line_id: the line to change (not the prepaid credit line).
        reason: why (required; kept on the line and in the audit log).
        actor: who edits (needs review_invoices; they may not approve it afterwards).
        amount_minor: the new amount before tax, minor units.
        quantity: the new quantity (decimal text).
        description: the new description (1 to 500 characters).

    Returns:
        The invoice with its new totals.

    Raises:
        NotFound: the line is not on this invoice.
        InvalidInput: no reason, nothing to change, bad amount/quantity/description.
        Conflict: stale version, or the invoice is approved/issued (issued never change).
    """
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    text = required_reason(reason, "edit an invoice line")
    inv = load_for_action(session, invoice_id, version, InvoiceAction.EDIT)
    line = session.get(InvoiceLine, line_id)
    if line is None or line.invoice_id != inv.id:
        raise NotFound("That line is not on this invoice.")
    if line.kind == LineKind.CREDIT:
        raise InvalidInput("Prepaid credit is recomputed from the other lines; edit those.")
    if amount_minor is None and quantity is None and description is None:
        raise InvalidInput("Change the amount, quantity or description.")
    if amount_minor is not None and (isinstance(amount_minor, bool)
                                     or not isinstance(amount_minor, int)):
        raise InvalidInput("The amount must be a whole number of minor units.")
    new_qty = line.quantity
    if quantity is not None:
        try:
            q = Decimal(str(quantity).strip())
        except InvalidOperation:
            raise InvalidInput(f"{quantity!r} is not a quantity.") from None
        if not q.is_finite() or q < 0:
            raise InvalidInput("The quantity must be a number, not negative.")
        new_qty = format(q.normalize(), "f")
        if amount_minor is None:
            amount_minor = _amount_at_unit_price(line, q, inv.currency)
    new_desc = line.description
    if description is not None:
        new_desc = description.strip()
        if not new_desc or len(new_desc) > 500:
            raise InvalidInput("The description must have 1 to 500 characters.")
    before = {"invoice": invoice_json(inv), "line": _line_json(line)}
    edited = retax(replace(_line_draft(line), amount_minor=(
        line.amount_minor if amount_minor is None else amount_minor)), inv.currency)
    line.quantity, line.description = new_qty, new_desc
    line.amount_minor, line.tax_minor, line.edit_reason = (edited.amount_minor,
                                                           edited.tax_minor, text)
    session.flush()
    _recompute(session, inv)
    lines = session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                            ).scalars().all()
    subtotal = sum(x.amount_minor for x in lines)
    tax = sum(x.tax_minor for x in lines)
    conditional_update(session, inv, expect_version=version, subtotal_minor=subtotal, tax_minor=tax,
                       total_minor=subtotal + tax)
    record(session, actor=actor, action="invoice.edit_line", object_type="invoice",
           object_id=inv.id, before=before,
           after={"invoice": invoice_json(inv), "line": _line_json(line)}, reason=text)
    return inv


def _amount_at_unit_price(line: InvoiceLine, quantity: Decimal, currency: str) -> int:
    """``quantity * unit price`` rounded once, when the line is priced linearly.

    A line is linear when its current amount equals its quantity times its unit price
    (standard prices); prorated, tiered or minimum lines are not, and need an amount.
    """
    try:
        unit = Decimal(line.unit_amount)
        old = Decimal(line.quantity)
    except InvalidOperation:
        unit = old = None
    if unit is None or old is None or round_minor(old * unit, currency) != line.amount_minor:
        raise InvalidInput("This line has no single unit price: give the new amount too.")
    return round_minor(quantity * unit, currency)


def _recompute(session: Session, inv: Invoice) -> None:
    """Re-apply prepaid credit after an edit: the credit line never exceeds what is due."""
    lines = session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                            .order_by(InvoiceLine.position)).scalars().all()
    credit = next((x for x in lines if x.kind == LineKind.CREDIT), None)
    if credit is None:
        return
    cust = session.get(Customer, inv.customer_id)
    available = cust.credit_balance_minor - credit.amount_minor  # credit lines are negative
    due = sum(x.amount_minor + x.tax_minor for x in lines if x is not credit)
    left, balance = draw_down_credits(charge_minor=max(0, due), credit_balance_minor=available)
    applied = max(0, due) - left
    credit.amount_minor = -applied
    cust.credit_balance_minor = balance
    session.flush()



# --- page-facing


def edit_line_view(invoice_id: int, version: int, line_id: int, reason: str, *, user_id: int,
                   amount_minor: int | None = None, quantity: str | None = None,
                   description: str | None = None) -> Outcome:
    """Page-facing :func:`edit_line` (parse typed amounts with console.money.parse_major)."""
    return act(user_id, edit_line, done="Line updated; tax and totals recomputed.",
               object_id=invoice_id, invoice_id=invoice_id, version=version, line_id=line_id,
               reason=reason, amount_minor=amount_minor, quantity=quantity, description=description)
