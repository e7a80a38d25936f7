"""Collections: the worklist of open receivables by aging bucket, notes and promises to pay,
write-offs with a second finance user's approval, and the CSV export.

* Open receivables are issued invoices with ``total - credited - paid > 0``, aged by days past
  their due date at an as-of day (buckets of :mod:`console.collections.domain.aging`). The worklist
  groups them per customer and currency in SQL (``CASE`` on due-date thresholds, so SQLite and
  PostgreSQL agree) and pages on the server.
* A write-off asks for an ``approval_request`` (kind ``write_off``, subject the invoice,
  required role finance). Another finance user approves it; the requester never can (checked
  on the server inside the approving transaction, which updates the request conditionally on
  its status and version so two racing approvers make one decision). Approval marks the
  invoice ``uncollectible`` through :func:`console.billing.usecases.invoices.mark_uncollectible` and
  cancels its scheduled retries.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console import billing as inv_svc
from console.audit import record
from console.billing import InvoiceStatus
from console.collections.domain import (
    AGING_BUCKETS,
    CollectionsError,
    aging_bucket,
    bucket_label,
    bucket_thresholds,
    check_promise,
    check_write_off_decider,
    days_past_due,
)
from console.collections.usecases.payments import MessageRow, customer_messages
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import conditional_update, stale_message
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require, roles_of
from console.kernel.roles import Permission, Role
from console.money import MoneyError, format_minor, major_text, parse_major
from models import (
    Approval,
    ApprovalRequest,
    CollectionNote,
    Customer,
    Invoice,
    PaymentAttempt,
    User,
)
from models.db import read_session
from models.types import utcnow

PAGE_SIZE = 50
SORTS = ("oldest", "total", "customer")


def _open_expr() -> Any:
    return Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor


def _open_conditions() -> list[Any]:
    return [Invoice.status == InvoiceStatus.ISSUED.value, _open_expr() > 0,
            Invoice.due_date.is_not(None)]


def _bucket_case(as_of: date) -> Any:
    whens = [(Invoice.due_date >= earliest, bucket) for bucket, earliest in
             bucket_thresholds(as_of)]
    return sa.case(*whens, else_="90+")


# ----------------------------------------------------------------------------- worklist


@dataclass(frozen=True)
class WorklistFilter:
    """What the worklist shows.

    Attributes:
        bucket: only customers with a balance in this bucket (empty: any).
        currency: one currency (empty: any).
        text: customer name or code.
        sort: ``oldest`` (most overdue first), ``total`` or ``customer``.
    """

    bucket: str = ""
    currency: str = ""
    text: str = ""
    sort: str = "oldest"


@dataclass(frozen=True)
class WorklistRow:
    """A customer's open receivables in one currency (preformatted; ints for sorting)."""

    customer_id: int
    customer_code: str
    customer_name: str
    customer_status: str
    currency: str
    invoices: int
    total: str
    total_minor: int
    current: str
    d1_30: str
    d31_60: str
    d61_90: str
    d90_plus: str
    oldest_due: str
    days_past_due: int
    last_note: str
    promise: str


@dataclass(frozen=True)
class BucketTotal:
    """The open balance of one bucket in one currency."""

    currency: str
    bucket: str
    label: str
    amount: str
    amount_minor: int


@dataclass(frozen=True)
class AgingRow:
    """The open receivables of one currency by bucket (one row of the summary table)."""

    currency: str
    current: str
    d1_30: str
    d31_60: str
    d61_90: str
    d90_plus: str
    total: str


@dataclass(frozen=True)
class WorklistPage:
    """A page of the worklist and the totals by bucket."""

    rows: list[WorklistRow]
    total: int
    page: int
    pages: int
    totals: list[BucketTotal]
    as_of: str
    aging: list[AgingRow]


def aging_rows(totals: list[BucketTotal]) -> list[AgingRow]:
    """The bucket totals as one row per currency."""
    out = []
    for cur in sorted({t.currency for t in totals}):
        amounts = {t.bucket: t.amount_minor for t in totals if t.currency == cur}
        texts = [format_minor(amounts.get(b, 0), cur) for b in AGING_BUCKETS]
        out.append(AgingRow(cur, *texts, format_minor(sum(amounts.values()), cur)))
    return out


def _grouped(session: Session, as_of: date, f: WorklistFilter) -> Any:
    bucket = _bucket_case(as_of)
    open_ = _open_expr()
    sums = [sa.func.coalesce(sa.func.sum(sa.case((bucket == b, open_), else_=0)), 0).label(
        f"b{i}") for i, b in enumerate(AGING_BUCKETS)]
    conds = _open_conditions()
    if f.currency:
        conds.append(Invoice.currency == f.currency)
    text = f.text.strip().lower()
    if text:
        like = f"%{text}%"
        conds.append(sa.or_(sa.func.lower(Customer.name).like(like),
                            sa.func.lower(Customer.code).like(like)))
    query = (sa.select(Invoice.customer_id, Invoice.currency, Customer.code, Customer.name,
                       Customer.status, sa.func.count(Invoice.id).label("n"),
                       sa.func.sum(open_).label("total"),
                       sa.func.min(Invoice.due_date).label("oldest"), *sums)
             .join(Customer, Customer.id == Invoice.customer_id).where(*conds)
             .group_by(Invoice.customer_id, Invoice.currency, Customer.code, Customer.name,
                       Customer.status))
    if f.bucket in AGING_BUCKETS:
        query = query.having(sa.func.sum(sa.case((bucket == f.bucket, open_), else_=0)) > 0)
    return query


def worklist(session: Session, f: WorklistFilter, *, as_of: date, page: int = 0,
             page_size: int = PAGE_SIZE) -> tuple[list[WorklistRow], int]:
    """One page of customers with open receivables, and how many match."""
    grouped = _grouped(session, as_of, f).subquery()
    total = int(session.execute(sa.select(sa.func.count()).select_from(grouped)).scalar_one())
    order = {"total": [grouped.c.total.desc()],
             "customer": [sa.func.lower(grouped.c.name)]}.get(
        f.sort, [grouped.c.oldest.asc(), grouped.c.total.desc()])
    found = session.execute(sa.select(grouped).order_by(*order, grouped.c.customer_id,
                                                        grouped.c.currency)
                            .offset(max(page, 0) * page_size).limit(page_size)).all()
    ids = [r.customer_id for r in found]
    notes: dict[int, CollectionNote] = {}
    if ids:
        latest = (sa.select(CollectionNote.customer_id, sa.func.max(CollectionNote.id).label("i"))
                  .where(CollectionNote.customer_id.in_(ids))
                  .group_by(CollectionNote.customer_id).subquery())
        for n in session.execute(sa.select(CollectionNote).join(
                latest, latest.c.i == CollectionNote.id)).scalars():
            notes[n.customer_id] = n
    rows = []
    for r in found:
        cur = r.currency
        amounts = [int(getattr(r, f"b{i}")) for i in range(len(AGING_BUCKETS))]
        note = notes.get(r.customer_id)
        promise = ""
        if note is not None and note.kind == "promise_to_pay" and note.promised_on:
            promise = (f"{format_minor(note.promised_minor or 0, cur)} by "
                       f"{note.promised_on.isoformat()}")
        oldest = r.oldest if isinstance(r.oldest, date) else date.fromisoformat(str(r.oldest))
        rows.append(WorklistRow(
            customer_id=r.customer_id, customer_code=r.code, customer_name=r.name,
            customer_status=r.status, currency=cur, invoices=int(r.n),
            total=format_minor(int(r.total), cur), total_minor=int(r.total),
            current=format_minor(amounts[0], cur), d1_30=format_minor(amounts[1], cur),
            d31_60=format_minor(amounts[2], cur), d61_90=format_minor(amounts[3], cur),
            d90_plus=format_minor(amounts[4], cur), oldest_due=oldest.isoformat(),
            days_past_due=max(0, days_past_due(oldest, as_of)),
            last_note=(note.body[:120] if note else ""), promise=promise))
    return rows, total


def bucket_totals(session: Session, *, as_of: date, currency: str = "") -> list[BucketTotal]:
    """Open receivables per currency and bucket (every bucket, zeros included)."""
    bucket = _bucket_case(as_of).label("bucket")
    conds = _open_conditions()
    if currency:
        conds.append(Invoice.currency == currency)
    found = session.execute(sa.select(Invoice.currency, bucket, sa.func.sum(_open_expr()))
                            .where(*conds).group_by(Invoice.currency, bucket)).all()
    sums = {(c, b): int(v) for c, b, v in found}
    out = []
    for cur in sorted({c for c, _ in sums}):
        out.extend(BucketTotal(cur, b, bucket_label(b), format_minor(sums.get((cur, b), 0), cur),
                               sums.get((cur, b), 0)) for b in AGING_BUCKETS)
    return out


def worklist_view(f: WorklistFilter, *, as_of: date | None = None, page: int = 0,
                  page_size: int = PAGE_SIZE) -> WorklistPage:
    """Page-facing :func:`worklist` with the bucket totals, in one read session."""
    as_of = as_of or utcnow().date()
    with read_session() as s:
        rows, total = worklist(s, f, as_of=as_of, page=page, page_size=page_size)
        totals = bucket_totals(s, as_of=as_of, currency=f.currency)
    pages = max(1, -(-total // page_size))
    return WorklistPage(rows, total, min(max(page, 0), pages - 1), pages, totals,
                        as_of.isoformat(), aging_rows(totals))


def export_csv(session: Session, f: WorklistFilter, *, as_of: date) -> str:
    """Every open invoice matching the filter as CSV (amounts in major units, no symbols)."""
    bucket = _bucket_case(as_of).label("bucket")
    conds = _open_conditions()
    if f.currency:
        conds.append(Invoice.currency == f.currency)
    text = f.text.strip().lower()
    if text:
        like = f"%{text}%"
        conds.append(sa.or_(sa.func.lower(Customer.name).like(like),
                            sa.func.lower(Customer.code).like(like)))
    if f.bucket in AGING_BUCKETS:
        conds.append(_bucket_case(as_of) == f.bucket)
    rows = session.execute(
        sa.select(Customer.code, Customer.name, Invoice.number, Invoice.currency,
                  Invoice.issued_at, Invoice.due_date, Invoice.total_minor,
                  _open_expr().label("open"), bucket)
        .join(Customer, Customer.id == Invoice.customer_id).where(*conds)
        .order_by(Customer.code, Invoice.due_date, Invoice.id)).all()
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["customer_code", "customer_name", "invoice", "currency", "issued", "due_date",
                "days_past_due", "bucket", "total", "open"])
    for r in rows:
        due = r.due_date if isinstance(r.due_date, date) else date.fromisoformat(str(r.due_date))
        w.writerow([r.code, r.name, r.number, r.currency,
                    r.issued_at.date().isoformat() if r.issued_at else "", due.isoformat(),
                    days_past_due(due, as_of), r.bucket, major_text(int(r.total_minor), r.currency),
                    major_text(int(r.open), r.currency)])
    return out.getvalue()


def export_csv_view(f: WorklistFilter, *, user_id: int, as_of: date | None = None) -> str:
    """Page-facing :func:`export_csv` (re-checks that the user may read collections).

    Raises:
        NotAllowed: the user may not view collections.
    """
    as_of = as_of or utcnow().date()
    with read_session() as s:
        require(s, actor_for(s, user_id), Permission.VIEW_COLLECTIONS, system=True)
        return export_csv(s, f, as_of=as_of)


# ----------------------------------------------------------------------------- customer


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
class WriteOffRow:
    """A write-off request."""

    id: int
    version: int
    invoice_id: int
    invoice_number: str
    customer_id: int
    customer: str
    amount: str
    reason: str
    requested_by_id: int
    requested_by: str
    requested: str
    status: str


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


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _write_off_rows(session: Session, conds: list[Any], *, limit: int = 100
                    ) -> list[WriteOffRow]:
    rows = session.execute(
        sa.select(ApprovalRequest, Invoice.number, Invoice.currency, Customer.id, Customer.name,
                  User.name)
        .join(Invoice, Invoice.id == ApprovalRequest.subject_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .join(User, User.id == ApprovalRequest.requested_by)
        .where(ApprovalRequest.kind == "write_off", ApprovalRequest.subject_type == "invoice",
               *conds)
        .order_by(ApprovalRequest.id.desc()).limit(limit)).all()
    return [WriteOffRow(r.id, r.version, r.subject_id, number or "", cid, cname,
                        format_minor(int((r.payload or {}).get("amount_minor", 0)), cur),
                        r.reason, r.requested_by, uname, _ts(r.created_at), r.status)
            for r, number, cur, cid, cname, uname in rows]


def customer_collections(session: Session, customer_id: int, *, as_of: date
                         ) -> CustomerCollections:
    """A customer's open invoices (aged), notes, attempts, emails and write-offs.

    Raises:
        NotFound: unknown customer.
    """
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"No customer with id {customer_id}.")
    invs = session.execute(sa.select(Invoice).where(Invoice.customer_id == c.id,
                                                    *_open_conditions())
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
        open_minor = i.total_minor - i.credited_minor - i.paid_minor
        total += open_minor if i.currency == c.currency else 0
        la = last.get(i.id)
        rows.append(OpenInvoiceRow(
            i.id, i.version, i.number or "", i.currency, i.due_date.isoformat(),
            max(0, days_past_due(i.due_date, as_of)), bucket_label(aging_bucket(i.due_date,
                                                                               as_of)),
            format_minor(i.total_minor, i.currency), format_minor(open_minor, i.currency),
            open_minor,
            f"#{la.attempt_no} {la.status}" + (f" ({la.failure_code})" if la.failure_code else "")
            if la else "",
            _ts(nxt[i.id].scheduled_at) if i.id in nxt else "", i.id in pending))
    authors = dict(session.execute(sa.select(User.id, User.name)).all())
    numbers = dict(session.execute(sa.select(Invoice.id, Invoice.number)
                                   .where(Invoice.customer_id == c.id)).all())
    notes = session.execute(sa.select(CollectionNote).where(CollectionNote.customer_id == c.id)
                            .order_by(CollectionNote.created_at.desc(), CollectionNote.id.desc())
                            .limit(100)).scalars().all()
    note_rows = [NoteRow(n.id, _ts(n.created_at), n.kind.replace("_", " "), n.body,
                         numbers.get(n.invoice_id, "") or "",
                         (f"{format_minor(n.promised_minor or 0, c.currency)} by "
                          f"{n.promised_on.isoformat()}") if n.promised_on else "",
                         authors.get(n.author_id, "")) for n in notes]
    attempt_rows = [AttemptRow(a.id, num or "", a.attempt_no, _ts(a.scheduled_at),
                               _ts(a.attempted_at), a.status, a.failure_code or "",
                               format_minor(a.amount_minor, a.currency), a.idempotency_key)
                    for a, num in attempts_all]
    return CustomerCollections(
        customer_id=c.id, code=c.code, name=c.name, email=c.email, status=c.status,
        currency=c.currency, payment_token=c.payment_token or "(none)",
        payment_terms=f"Net {c.payment_terms_days}", open_total=format_minor(total, c.currency),
        as_of=as_of.isoformat(), invoices=rows, notes=note_rows, attempts=attempt_rows,
        messages=customer_messages(session, c.id),
        write_offs=_write_off_rows(session, [Customer.id == c.id], limit=50))


def customer_collections_view(customer_id: int, *, as_of: date | None = None
                              ) -> CustomerCollections:
    """Page-facing :func:`customer_collections`."""
    with read_session() as s:
        return customer_collections(s, customer_id, as_of=as_of or utcnow().date())


# ----------------------------------------------------------------------------- notes


def add_note(session: Session, *, customer_id: int, body: str, actor: Actor,
             kind: str = "note", invoice_id: int | None = None,
             promised_on: date | None = None, promised_minor: int | None = None,
             today: date | None = None) -> CollectionNote:
    """A collections note, or a promise to pay (date and amount within the open balance).

    Raises:
        InvalidInput: empty text, unknown kind, or a promise that breaks a rule.
        NotAllowed: a system actor (notes record their author).
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
        open_minor = (inv.total_minor - inv.credited_minor - inv.paid_minor) if inv else int(
            session.execute(sa.select(sa.func.coalesce(sa.func.sum(_open_expr()), 0)).where(
                Invoice.customer_id == cust.id, Invoice.currency == cust.currency,
                *_open_conditions())).scalar_one())
        try:
            check_promise(promised_on=promised_on, amount_minor=promised_minor,
                          open_minor=open_minor, today=today or utcnow().date())
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


# ----------------------------------------------------------------------------- write-offs


def request_write_off(session: Session, *, invoice_id: int, reason: str, actor: Actor
                      ) -> ApprovalRequest:
    """Ask a second finance user to write an issued invoice's open balance off.

    Raises:
        InvalidInput: no reason. Conflict: not issued, nothing open, or already requested.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    if actor.user_id is None:
        raise NotAllowed("Write-offs are requested by people.")
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("A reason is required for a write-off.")
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    open_minor = inv.total_minor - inv.credited_minor - inv.paid_minor
    if inv.status != InvoiceStatus.ISSUED.value or open_minor <= 0:
        raise Conflict("Only issued invoices with an open balance can be written off.")
    if session.execute(sa.select(ApprovalRequest.id).where(
            ApprovalRequest.kind == "write_off", ApprovalRequest.subject_type == "invoice",
            ApprovalRequest.subject_id == inv.id, ApprovalRequest.status == "pending")).first():
        raise Conflict("A write-off of this invoice already waits for approval.")
    req = ApprovalRequest(kind="write_off", subject_type="invoice", subject_id=inv.id,
                          status="pending", requested_by=actor.user_id,
                          required_role=Role.FINANCE.value,
                          payload={"amount_minor": open_minor, "currency": inv.currency,
                                   "invoice_version": inv.version, "number": inv.number},
                          reason=text)
    session.add(req)
    session.flush()
    record(session, actor=actor, action="write_off.request", object_type="invoice",
           object_id=inv.id, after={"approval_request_id": req.id, "amount_minor": open_minor,
                                    "currency": inv.currency}, reason=text)
    return req


def decide_write_off(session: Session, *, request_id: int, version: int, actor: Actor,
                     approve: bool, comment: str = "") -> ApprovalRequest:
    """Approve (the invoice becomes uncollectible) or reject a write-off request.

    Raises:
        NotAllowed: the requester, a non-finance user or a system actor.
        Conflict: stale or already decided, or the invoice changed (e.g. paid meanwhile).
        InvalidInput: a rejection without a comment.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    req = session.execute(sa.select(ApprovalRequest).where(ApprovalRequest.id == request_id)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if req is None or req.kind != "write_off":
        raise NotFound(f"No write-off request with id {request_id}.")
    try:
        check_write_off_decider(requested_by=req.requested_by, decider=actor.user_id)
    except CollectionsError as exc:
        raise NotAllowed(str(exc)) from None
    roles = roles_of(session, actor.user_id)
    if req.required_role not in {r.value for r in roles}:
        raise NotAllowed(f"Only a {req.required_role} user may decide on this write-off.")
    text = (comment or "").strip()
    if not approve and not text:
        raise InvalidInput("Say why the write-off is rejected.")
    if req.status != "pending":
        raise Conflict(stale_message(req))
    decision = "approve" if approve else "reject"
    conditional_update(session, req, expect_version=version,
                       status="approved" if approve else "rejected", decided_at=utcnow())
    session.add(Approval(subject_type="approval_request", subject_id=req.id,
                         approver_id=actor.user_id, approver_roles=sorted(r.value for r in roles),
                         decision=decision, comment=text))
    session.flush()
    record(session, actor=actor, action=f"write_off.{decision}", object_type="invoice",
           object_id=req.subject_id, after={"approval_request_id": req.id,
                                            "status": req.status}, reason=text or req.reason)
    if approve:
        inv = session.execute(sa.select(Invoice).where(Invoice.id == req.subject_id)
                              .execution_options(populate_existing=True)).scalar_one()
        if inv.total_minor - inv.credited_minor - inv.paid_minor <= 0:
            raise Conflict("The invoice has been settled meanwhile; nothing to write off.")
        inv_svc.mark_uncollectible(session, invoice_id=inv.id, version=inv.version,
                                   reason=f"Write-off approved: {req.reason}", actor=actor)
        session.execute(sa.update(PaymentAttempt).where(
            PaymentAttempt.invoice_id == inv.id, PaymentAttempt.status == "scheduled")
            .values(status="canceled").execution_options(synchronize_session=False))
    return req


def pending_write_offs(session: Session, *, limit: int = 100) -> list[WriteOffRow]:
    """Write-offs waiting for a decision, newest first."""
    return _write_off_rows(session, [ApprovalRequest.status == "pending"], limit=limit)


def pending_write_offs_view(limit: int = 100) -> list[WriteOffRow]:
    """Page-facing :func:`pending_write_offs`."""
    with read_session() as s:
        return pending_write_offs(s, limit=limit)


# ----------------------------------------------------------------------------- page-facing


def add_note_view(customer_id: int, body: str, *, user_id: int, kind: str = "note",
                  invoice_id: int | None = None, promised_on: str = "",
                  promised_amount: str = "") -> Outcome:
    """Page-facing :func:`add_note` (date and amount as typed)."""
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
            return Outcome(False, f"{promised_amount!r} is not an amount in "
                                             f"{currency}.")
    done = "Promise to pay recorded." if kind == "promise_to_pay" else "Note added."
    return act(user_id, add_note, done=done, customer_id=customer_id, body=body, kind=kind,
               invoice_id=invoice_id, promised_on=day, promised_minor=amount)


def request_write_off_view(invoice_id: int, reason: str, *, user_id: int) -> Outcome:
    """Page-facing :func:`request_write_off`."""
    return act(user_id, request_write_off,
               done="Write-off requested; another finance user must approve it.",
               invoice_id=invoice_id, reason=reason)


def decide_write_off_view(request_id: int, version: int, *, user_id: int, approve: bool,
                          comment: str = "") -> Outcome:
    """Page-facing :func:`decide_write_off`."""
    done = "Write-off approved; the invoice is uncollectible." if approve else \
        "Write-off rejected."
    return act(user_id, decide_write_off, done=done, request_id=request_id, version=version,
               approve=approve, comment=comment)
