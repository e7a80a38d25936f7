"""Collections notes and promises to pay on a customer's open receivables."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.collections.domain import CollectionsError, check_promise
from console.collections.queries.receivables import open_conditions, open_expr, open_minor
from console.kernel.actor import Actor
from console.kernel.errors import InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import MoneyError, parse_major
from models import CollectionNote, Customer, Invoice
from models.db import read_session
from models.types import utcnow


def add_note(session: Session, *, customer_id: int, body: str, actor: Actor,
             kind: str = "note", invoice_id: int | None = None,
             promised_on: date | None = None, promised_minor: int | None = None,
             today: date | None = None) -> CollectionNote:
    """A collections note, or a promise to pay (date and amount within the open balance).

    Args:
        session: the open unit of work.
        customer_id: the customer.
        body: the note's text.
        actor: the finance user writing it.
        kind: ``note`` or ``promise_to_pay``.
        invoice_id: the invoice it is about (optional); a promise is then checked against
            that invoice's open balance, else against the customer's in their currency.
        promised_on: the day the customer promised to pay.
        promised_minor: the amount promised (minor units).
        today: the clock's day.

    Returns:
        The note.

    Raises:
        InvalidInput: empty text, unknown kind, or a promise that breaks a rule.
        NotAllowed: a system actor (notes record their author).
        NotFound: unknown customer, or an invoice not theirs.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    if actor.user_id is None:
        raise NotAllowed("Collections notes record their author: a person must write them.")
    text = (body or "").strip()
    if not text:
        raise InvalidInput("Write the note.")
    if len(text) > 5000:
        raise InvalidInput("The note is too long (at most 5000 characters).")
    if kind not in ("note", "promise_to_pay"):
        raise InvalidInput("A collections note is a note or a promise to pay.")
    cust = session.get(Customer, customer_id)
    if cust is None:
        raise NotFound(f"No customer with id {customer_id}.")
    inv = None
    if invoice_id is not None:
        inv = session.get(Invoice, invoice_id)
        if inv is None or inv.customer_id != cust.id:
            raise NotFound("That invoice is not one of this customer's invoices.")
    if kind == "promise_to_pay":
        balance = open_minor(inv) if inv else int(
            session.execute(sa.select(sa.func.coalesce(sa.func.sum(open_expr()), 0)).where(
                Invoice.customer_id == cust.id, Invoice.currency == cust.currency,
                *open_conditions())).scalar_one())
        try:
            check_promise(promised_on=promised_on, amount_minor=promised_minor,
                          open_minor=balance, today=today or utcnow().date())
        except CollectionsError as exc:
            raise InvalidInput(str(exc)) from None
    else:
        promised_on = promised_minor = None
    note = CollectionNote(customer_id=cust.id, invoice_id=inv.id if inv else None, kind=kind,
                          body=text, promised_on=promised_on, promised_minor=promised_minor,
                          author_id=actor.user_id)
    session.add(note)
    session.flush()
    record(session, actor=actor, action=f"collections.{kind}", object_type="customer",
           object_id=cust.id, after={"note_id": note.id, "invoice_id": note.invoice_id,
                                     "promised_on": promised_on,
                                     "promised_minor": promised_minor}, reason=text[:500])
    return note


# --- page-facing


def add_note_view(customer_id: int, body: str, *, user_id: int, kind: str = "note",
                  invoice_id: int | None = None, promised_on: str = "",
                  promised_amount: str = "") -> Outcome:
    """Page-facing :func:`add_note` (date and amount as typed).

    The amount is read in the invoice's currency (else the customer's).
    """
    day = None
    amount = None
    if kind == "promise_to_pay":
        try:
            day = date.fromisoformat(promised_on.strip()) if promised_on.strip() else None
        except ValueError:
            return Outcome(False, f"{promised_on!r} is not a date like 2026-12-01.")
        with read_session() as s:
            cust = s.get(Customer, customer_id)
            currency = cust.currency if cust else "USD"
            if invoice_id:
                inv = s.get(Invoice, invoice_id)
                currency = inv.currency if inv else currency
        try:
            amount = parse_major(promised_amount, currency) if promised_amount.strip() else None
        except MoneyError:
            return Outcome(False, f"{promised_amount!r} is not an amount in {currency}.")
    done = "Promise to pay recorded." if kind == "promise_to_pay" else "Note added."
    return act(user_id, add_note, done=done, customer_id=customer_id, body=body, kind=kind,
               invoice_id=invoice_id, promised_on=day, promised_minor=amount)
