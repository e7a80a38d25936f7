"""One customer's receivables for the collections page: open invoices (aged), notes and
promises to pay, charge attempts, emails and write-off requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from console.collections.domain import aging_bucket, bucket_label, days_past_due
from console.collections.queries.messages import MessageRow, customer_messages
from console.collections.queries.receivables import minute_text, open_conditions, open_minor
from console.collections.queries.write_offs import WriteOffRow, write_off_rows
from console.kernel.errors import NotFound
from console.money import format_minor
from models import ApprovalRequest, CollectionNote, Customer, Invoice, PaymentAttempt, User
from models.db import read_session
from models.types import utcnow


@dataclass(frozen=True)
class OpenInvoiceRow:
    """An open invoice of the customer."""

    id: int
    version: int
    number: str
    currency: str
    due: str
    days_past_due: int
    bucket: str
    total: str
    open: str
    open_minor: int
    last_attempt: str
    next_retry: str
    write_off_pending: bool


@dataclass(frozen=True)
class NoteRow:
    """A collections note or promise to pay."""

    id: int
    at: str
    kind: str
    body: str
    invoice_number: str
    promise: str
    author: str


@dataclass(frozen=True)
class AttemptRow:
    """A charge attempt of the customer."""

    id: int
    invoice_number: str
    attempt_no: int
    scheduled: str
    attempted: str
    status: str
    failure_code: str
    amount: str
    idempotency_key: str


@dataclass(frozen=True)
class CustomerCollections:
    """Everything the customer's collections page shows."""

    customer_id: int
    code: str
    name: str
    email: str
    status: str
    currency: str
    payment_token: str
    payment_terms: str
    open_total: str
    as_of: str
    invoices: list[OpenInvoiceRow]
    notes: list[NoteRow]
    attempts: list[AttemptRow]
    messages: list[MessageRow]
    write_offs: list[WriteOffRow]


def _note_rows(session: Session, c: Customer) -> list[NoteRow]:
    authors = dict(session.execute(sa.select(User.id, User.name)).all())
    numbers = dict(session.execute(sa.select(Invoice.id, Invoice.number)
                                   .where(Invoice.customer_id == c.id)).all())
    notes = session.execute(sa.select(CollectionNote).where(CollectionNote.customer_id == c.id)
                            .order_by(CollectionNote.created_at.desc(), CollectionNote.id.desc())
                            .limit(100)).scalars().all()
    return [NoteRow(n.id, minute_text(n.created_at), n.kind.replace("_", " "), n.body,
                    numbers.get(n.invoice_id, "") or "",
                    (f"{format_minor(n.promised_minor or 0, c.currency)} by "
                     f"{n.promised_on.isoformat()}") if n.promised_on else "",
                    authors.get(n.author_id, "")) for n in notes]


def customer_collections(session: Session, customer_id: int, *, as_of: date
                         ) -> CustomerCollections:
    """A customer's open invoices (aged), notes, attempts, emails and write-offs.

    Args:
        session: an open session.
        customer_id: the customer.
        as_of: the day balances are aged at.

    Returns:
        The page's data, preformatted.

    Raises:
        NotFound: unknown customer.
    """
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"No customer with id {customer_id}.")
    invs = session.execute(sa.select(Invoice).where(Invoice.customer_id == c.id,
                                                    *open_conditions())
                           .order_by(Invoice.due_date, Invoice.id)).scalars().all()
    ids = [i.id for i in invs]
    attempts_all = session.execute(
        sa.select(PaymentAttempt, Invoice.number)
        .join(Invoice, Invoice.id == PaymentAttempt.invoice_id)
        .where(Invoice.customer_id == c.id)
        .order_by(PaymentAttempt.scheduled_at.desc(), PaymentAttempt.id.desc()).limit(100)).all()
    last: dict[int, PaymentAttempt] = {}
    nxt: dict[int, PaymentAttempt] = {}
    for a, _ in attempts_all:
        if a.status == "scheduled":
            nxt.setdefault(a.invoice_id, a)
        elif a.invoice_id not in last:
            last[a.invoice_id] = a
    pending = set(session.execute(sa.select(ApprovalRequest.subject_id).where(
        ApprovalRequest.kind == "write_off", ApprovalRequest.subject_type == "invoice",
        ApprovalRequest.status == "pending", ApprovalRequest.subject_id.in_(ids))).scalars()
                  ) if ids else set()
    rows = []
    total = 0
    for i in invs:
        balance = open_minor(i)
        total += balance if i.currency == c.currency else 0
        la = last.get(i.id)
        rows.append(OpenInvoiceRow(
            i.id, i.version, i.number or "", i.currency, i.due_date.isoformat(),
            max(0, days_past_due(i.due_date, as_of)),
            bucket_label(aging_bucket(i.due_date, as_of)),
            format_minor(i.total_minor, i.currency), format_minor(balance, i.currency),
            balance,
            f"#{la.attempt_no} {la.status}" + (f" ({la.failure_code})" if la.failure_code else "")
            if la else "",
            minute_text(nxt[i.id].scheduled_at) if i.id in nxt else "", i.id in pending))
    attempt_rows = [AttemptRow(a.id, num or "", a.attempt_no, minute_text(a.scheduled_at),
                               minute_text(a.attempted_at), a.status, a.failure_code or "",
                               format_minor(a.amount_minor, a.currency), a.idempotency_key)
                    for a, num in attempts_all]
    return CustomerCollections(
        customer_id=c.id, code=c.code, name=c.name, email=c.email, status=c.status,
        currency=c.currency, payment_token=c.payment_token or "(none)",
        payment_terms=f"Net {c.payment_terms_days}", open_total=format_minor(total, c.currency),
        as_of=as_of.isoformat(), invoices=rows, notes=_note_rows(session, c),
        attempts=attempt_rows, messages=customer_messages(session, c.id),
        write_offs=write_off_rows(session, [Customer.id == c.id], limit=50))


# --- page-facing


def customer_collections_view(customer_id: int, *, as_of: date | None = None
                              ) -> CustomerCollections:
    """Page-facing :func:`customer_collections`."""
    with read_session() as s:
        return customer_collections(s, customer_id, as_of=as_of or utcnow().date())
