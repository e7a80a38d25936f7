"""Invoice review: the queue, the invoice detail and the reviewer's actions.

Every action is one transaction with one audit event, and uses optimistic concurrency: the
caller passes the ``version`` it saw, the change is an ``UPDATE ... WHERE id = :id AND version
= :version AND status = :status``, and when nothing matched the action is refused with
:func:`console.kernel.conditional.stale_message` and nothing changes.

Statuses (see :mod:`console.billing.domain.status`): bill runs write ``draft``; *hold* moves an
invoice to ``in_review`` with a reason and *release* returns it to ``draft``; the review queue
shows both. Issuing assigns a gap-free ``INV-YYYY-NNNNNN`` number. Issued invoices never
change: corrections are credit notes (:mod:`console.billing.usecases.credit_notes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

import console.audit as audit_svc
from console.audit import record
from console.billing.domain.anomalies import FLAG_LABELS
from console.billing.domain.lines import LineDraft, LineKind, retax
from console.billing.domain.numbering import INVOICE_SERIES
from console.billing.domain.status import (
    REVIEW_QUEUE_STATUSES,
    InvoiceAction,
    InvoiceStatus,
    TransitionError,
    allowed_actions,
    transition,
)
from console.billing.usecases.numbering import next_number
from console.billing.usecases.usage import DailyPoint, EventRow, daily_usage, usage_events
from console.kernel.actor import Actor
from console.kernel.conditional import check_version, conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import format_minor, round_minor
from console.pricing import draw_down_credits
from models import (
    AuditEvent,
    BillRun,
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    Meter,
    Payment,
    Plan,
    PlanVersion,
    Subscription,
)
from models.db import read_session
from models.types import utcnow

PAGE_SIZE = 50


# ----------------------------------------------------------------------------- review queue


@dataclass(frozen=True)
class ReviewFilter:
    """Filters of the review queue (empty: any).

    Attributes:
        flag: a flag code (see :data:`console.billing.domain.anomalies.FLAG_LABELS`).
        status: one status, ``"all"``, or empty for the queue (draft + in_review).
        customer: text matched against the customer's name and code.
        plan_id: invoices on a version of this plan.
        bill_run_id: invoices of this bill run.
        min_amount_minor: total at least this (minor units of the invoice's currency).
        max_amount_minor: total at most this.
        currency: one currency.
    """

    flag: str = ""
    status: str = ""
    customer: str = ""
    plan_id: int | None = None
    bill_run_id: int | None = None
    min_amount_minor: int | None = None
    max_amount_minor: int | None = None
    currency: str = ""


@dataclass(frozen=True)
class ReviewRow:
    """One invoice in the review queue (preformatted; integers for sorting)."""

    id: int
    number: str
    customer_id: int
    customer_code: str
    customer_name: str
    plan: str
    period: str
    status: str
    currency: str
    total: str
    total_minor: int
    flags: tuple[str, ...]
    flag_codes: tuple[str, ...]
    flag_count: int
    hold_reason: str
    created: str
    version: int


@dataclass(frozen=True)
class ReviewPage:
    """A page of the queue."""

    rows: list[ReviewRow]
    total: int
    page: int
    pages: int


SORTS = ("created", "amount", "customer", "flags")


def _flag_count() -> Any:
    return sa.func.json_array_length(Invoice.flags)


def _conditions(f: ReviewFilter) -> tuple[list[Any], bool, bool]:
    """WHERE conditions, and whether they need the customer / plan-version joins."""
    conds: list[Any] = []
    if f.status == "all":
        pass
    elif f.status:
        conds.append(Invoice.status == f.status)
    else:
        conds.append(Invoice.status.in_([s.value for s in REVIEW_QUEUE_STATUSES]))
    if f.flag:
        code = f.flag.replace('"', "").replace("%", "").replace("_", "\\_")
        conds.append(sa.cast(Invoice.flags, sa.Text).like(f'%"{code}"%', escape="\\"))
    if f.bill_run_id is not None:
        conds.append(Invoice.bill_run_id == f.bill_run_id)
    if f.min_amount_minor is not None:
        conds.append(Invoice.total_minor >= f.min_amount_minor)
    if f.max_amount_minor is not None:
        conds.append(Invoice.total_minor <= f.max_amount_minor)
    if f.currency:
        conds.append(Invoice.currency == f.currency)
    need_customer = False
    text = f.customer.strip().lower()
    if text:
        like = f"%{text}%"
        conds.append(sa.or_(sa.func.lower(Customer.name).like(like),
                            sa.func.lower(Customer.code).like(like)))
        need_customer = True
    need_plan = f.plan_id is not None
    if need_plan:
        conds.append(PlanVersion.plan_id == f.plan_id)
    return conds, need_customer, need_plan


def _flag_texts(flags: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    codes = tuple(f["code"] if isinstance(f, dict) else str(f) for f in flags or [])
    return codes, tuple(FLAG_LABELS.get(c, c.replace("_", " ")) for c in codes)


def review_queue(session: Session, *, filters: ReviewFilter | None = None, sort: str = "created",
                 descending: bool = True, page: int = 0, page_size: int = PAGE_SIZE
                 ) -> tuple[list[ReviewRow], int]:
    """One page of invoices to review and the number matching (server-side pagination).

    Filters use indexed columns (status, bill_run_id, customer); the count query joins only
    what the filters need.

    Args:
        session: any session.
        filters: what to show (default: the queue, draft + in_review).
        sort: ``created``, ``amount``, ``customer`` or ``flags`` (number of flags).
        descending: largest/newest first.
        page: 0-based page.
        page_size: rows per page.

    Returns:
        ``(rows, total)``.
    """
    f = filters or ReviewFilter()
    conds, need_customer, need_plan = _conditions(f)
    count_q = sa.select(sa.func.count()).select_from(Invoice)
    if need_customer:
        count_q = count_q.join(Customer, Customer.id == Invoice.customer_id)
    if need_plan:
        count_q = count_q.join(PlanVersion, PlanVersion.id == Invoice.plan_version_id)
    total = int(session.execute(count_q.where(*conds)).scalar_one())
    order_col = {"amount": Invoice.total_minor, "customer": sa.func.lower(Customer.name),
                 "flags": _flag_count()}.get(sort, Invoice.created_at)
    order = [order_col.desc() if descending else order_col.asc(),
             Invoice.id.desc() if descending else Invoice.id.asc()]
    # Phase 1: the page's ids from the invoice table alone (joins only when a filter or the
    # sort needs them), so the top-N sort never carries joined columns of every row.
    ids_q = sa.select(Invoice.id)
    if need_customer or sort == "customer":
        ids_q = ids_q.join(Customer, Customer.id == Invoice.customer_id)
    if need_plan:
        ids_q = ids_q.join(PlanVersion, PlanVersion.id == Invoice.plan_version_id)
    ids = list(session.execute(ids_q.where(*conds).order_by(*order)
                               .offset(max(page, 0) * page_size).limit(page_size)).scalars())
    if not ids:
        return [], total
    # Phase 2: the display columns of those rows only.
    fetched = {r.id: r for r in session.execute(
        sa.select(Invoice.id, Invoice.number, Invoice.customer_id, Customer.code, Customer.name,
                  Plan.name.label("plan_name"), PlanVersion.number.label("vnum"),
                  Invoice.period_start, Invoice.period_end, Invoice.status, Invoice.currency,
                  Invoice.total_minor, Invoice.flags, Invoice.hold_reason, Invoice.created_at,
                  Invoice.version)
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(PlanVersion, PlanVersion.id == Invoice.plan_version_id)
        .outerjoin(Plan, Plan.id == PlanVersion.plan_id)
        .where(Invoice.id.in_(ids))).all()}
    rows = [fetched[i] for i in ids if i in fetched]
    out = []
    for r in rows:
        codes, labels = _flag_texts(r.flags)
        out.append(ReviewRow(
            id=r.id, number=r.number or "(draft)", customer_id=r.customer_id,
            customer_code=r.code, customer_name=r.name,
            plan=f"{r.plan_name} v{r.vnum}" if r.plan_name else "—",
            period=f"{r.period_start:%Y-%m-%d} – {r.period_end:%Y-%m-%d}",
            status=r.status, currency=r.currency,
            total=format_minor(r.total_minor, r.currency), total_minor=r.total_minor,
            flags=labels, flag_codes=codes, flag_count=len(codes),
            hold_reason=r.hold_reason or "", created=r.created_at.strftime("%Y-%m-%d %H:%M"),
            version=r.version))
    return out, total


def review_page(filters: ReviewFilter | None = None, *, sort: str = "created",
                descending: bool = True, page: int = 0, page_size: int = PAGE_SIZE
                ) -> ReviewPage:
    """Page-facing :func:`review_queue` in its own read session."""
    with read_session() as s:
        rows, total = review_queue(s, filters=filters, sort=sort, descending=descending,
                                   page=page, page_size=page_size)
    pages = max(1, -(-total // page_size))
    return ReviewPage(rows, total, min(max(page, 0), pages - 1), pages)


@dataclass(frozen=True)
class Choice:
    """One option of a filter (value as text, as forms send it)."""

    value: str
    label: str


@dataclass(frozen=True)
class ReviewChoices:
    """The options of the review queue's filters."""

    flags: list[Choice]
    plans: list[Choice]
    runs: list[Choice]
    currencies: list[str]


def review_choices(*, runs: int = 24) -> ReviewChoices:
    """Page-facing: flags, plans, the latest bill runs and the invoiced currencies."""
    with read_session() as s:
        plans = s.execute(sa.select(Plan.id, Plan.name).order_by(Plan.position, Plan.name)).all()
        latest = s.execute(sa.select(BillRun.id, BillRun.period_start, BillRun.period_end)
                           .order_by(BillRun.period_start.desc(), BillRun.id.desc())
                           .limit(runs)).all()
        # Invoices bill in their subscription's currency; subscriptions are far fewer.
        currencies = s.execute(sa.select(Subscription.currency).distinct()
                               .order_by(Subscription.currency)).scalars().all()
    return ReviewChoices(
        flags=[Choice(code, label) for code, label in FLAG_LABELS.items()],
        plans=[Choice(str(pid), name) for pid, name in plans],
        runs=[Choice(str(rid), f"#{rid} · {start:%Y-%m-%d} – {end:%Y-%m-%d}")
              for rid, start, end in latest],
        currencies=list(currencies))


# ----------------------------------------------------------------------------- detail


@dataclass(frozen=True)
class FlagView:
    """A review flag on the detail page."""

    code: str
    label: str
    detail: str


@dataclass(frozen=True)
class LineView:
    """One invoice line (preformatted)."""

    id: int
    position: int
    kind: str
    description: str
    quantity: str
    unit_amount: str
    amount: str
    amount_minor: int
    tax_rate: str
    tax: str
    tax_minor: int
    breakdown: tuple[str, ...]
    meter_id: int | None
    usage_from: str
    usage_to: str
    edit_reason: str
    credited: str
    creditable_minor: int


@dataclass(frozen=True)
class UsageView:
    """The usage behind one usage line: a daily series and the first page of events."""

    line_id: int
    meter: str
    daily: tuple[DailyPoint, ...]
    events: tuple[EventRow, ...]
    events_total: int


@dataclass(frozen=True)
class InvoiceSummary:
    """An earlier invoice, for side-by-side comparison."""

    id: int
    number: str
    period: str
    status: str
    total: str
    total_minor: int
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CreditNoteRow:
    """A credit note of the invoice."""

    id: int
    number: str
    status: str
    total: str
    total_minor: int
    reason: str
    created: str
    version: int


@dataclass(frozen=True)
class InvoiceDetail:
    """Everything the invoice page shows."""

    id: int
    number: str
    status: str
    version: int
    customer_id: int
    customer_code: str
    customer_name: str
    plan: str
    period: str
    currency: str
    subtotal: str
    tax: str
    total: str
    credited: str
    paid: str
    balance: str
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    credited_minor: int
    paid_minor: int
    balance_minor: int
    flags: tuple[FlagView, ...]
    hold_reason: str
    created: str
    issued: str
    due: str
    bill_run_id: int | None
    lines: tuple[LineView, ...]
    usage: tuple[UsageView, ...]
    previous: tuple[InvoiceSummary, ...]
    history: tuple[audit_svc.AuditRow, ...]
    credit_notes: tuple[CreditNoteRow, ...]
    actions: tuple[str, ...]


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def credited_per_line(session: Session, invoice_id: int) -> dict[int, tuple[int, int]]:
    """Amount and tax credited (issued or pending credit notes) per invoice line."""
    rows = session.execute(
        sa.select(CreditNoteLine.invoice_line_id, sa.func.sum(CreditNoteLine.amount_minor),
                  sa.func.sum(CreditNoteLine.tax_minor))
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(CreditNote.invoice_id == invoice_id,
               CreditNote.status.in_(("issued", "pending_approval")))
        .group_by(CreditNoteLine.invoice_line_id)).all()
    return {lid: (int(a or 0), int(t or 0)) for lid, a, t in rows}


def _plan_label(session: Session, version_id: int | None) -> str:
    if not version_id:
        return "—"
    row = session.execute(sa.select(Plan.name, PlanVersion.number)
                          .join(PlanVersion, PlanVersion.plan_id == Plan.id)
                          .where(PlanVersion.id == version_id)).first()
    return f"{row[0]} v{row[1]}" if row else "—"


def invoice_detail(session: Session, invoice_id: int, *, events_page_size: int = 20
                   ) -> InvoiceDetail:
    """The invoice page's data.

    Raises:
        NotFound: for an unknown invoice.
    """
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    cur = inv.currency
    cust = session.get(Customer, inv.customer_id)
    lines = session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                            .order_by(InvoiceLine.position, InvoiceLine.id)).scalars().all()
    credited = credited_per_line(session, inv.id)
    line_views = tuple(LineView(
        id=x.id, position=x.position, kind=x.kind, description=x.description,
        quantity=x.quantity, unit_amount=x.unit_amount,
        amount=format_minor(x.amount_minor, cur), amount_minor=x.amount_minor,
        tax_rate=f"{x.tax_rate}%", tax=format_minor(x.tax_minor, cur), tax_minor=x.tax_minor,
        breakdown=tuple(str(b) for b in x.breakdown or ()), meter_id=x.meter_id,
        usage_from=_ts(x.usage_from), usage_to=_ts(x.usage_to), edit_reason=x.edit_reason or "",
        credited=format_minor(credited.get(x.id, (0, 0))[0], cur),
        creditable_minor=max(0, x.amount_minor - credited.get(x.id, (0, 0))[0]))
        for x in lines)
    meters = {m.id: m.name for m in session.execute(sa.select(Meter)).scalars()}
    usage = []
    for x in lines:
        if x.kind != LineKind.USAGE or x.meter_id is None:
            continue
        start = x.usage_from or datetime.combine(inv.period_start, datetime.min.time(),
                                                 tzinfo=utcnow().tzinfo)
        end = x.usage_to or datetime.combine(inv.period_end, datetime.max.time(),
                                             tzinfo=utcnow().tzinfo)
        events, n = usage_events(session, customer_id=inv.customer_id, meter_id=x.meter_id,
                                 start_at=start, end_at=end, page=0,
                                 page_size=events_page_size)
        usage.append(UsageView(x.id, meters.get(x.meter_id, ""), tuple(daily_usage(
            session, customer_id=inv.customer_id, meter_id=x.meter_id, start=inv.period_start,
            end=inv.period_end)), tuple(events), n))
    prev = session.execute(
        sa.select(Invoice).where(Invoice.customer_id == inv.customer_id, Invoice.id != inv.id,
                                 Invoice.period_start < inv.period_start,
                                 Invoice.status != "void")
        .order_by(Invoice.period_start.desc(), Invoice.id.desc()).limit(3)).scalars().all()
    previous = []
    for p in prev:
        plines = session.execute(sa.select(InvoiceLine.description, InvoiceLine.amount_minor)
                                 .where(InvoiceLine.invoice_id == p.id)
                                 .order_by(InvoiceLine.position)).all()
        previous.append(InvoiceSummary(
            p.id, p.number or "(draft)", f"{p.period_start:%Y-%m-%d} – {p.period_end:%Y-%m-%d}",
            p.status, format_minor(p.total_minor, p.currency), p.total_minor,
            tuple((d, format_minor(a, p.currency)) for d, a in plines)))
    history, _ = audit_svc.search(session, audit_svc.AuditFilter(object_type="invoice",
                                                                 object_id=str(inv.id)),
                                  page=0, page_size=200)
    notes = session.execute(sa.select(CreditNote).where(CreditNote.invoice_id == inv.id)
                            .order_by(CreditNote.id)).scalars().all()
    codes_flags = [FlagView(f.get("code", ""), FLAG_LABELS.get(f.get("code", ""), ""),
                            f.get("detail", "")) if isinstance(f, dict)
                   else FlagView(str(f), FLAG_LABELS.get(str(f), str(f)), "")
                   for f in inv.flags or []]
    balance = inv.total_minor - inv.credited_minor - inv.paid_minor
    return InvoiceDetail(
        id=inv.id, number=inv.number or "(draft)", status=inv.status, version=inv.version,
        customer_id=cust.id, customer_code=cust.code, customer_name=cust.name,
        plan=_plan_label(session, inv.plan_version_id),
        period=f"{inv.period_start:%Y-%m-%d} – {inv.period_end:%Y-%m-%d}", currency=cur,
        subtotal=format_minor(inv.subtotal_minor, cur), tax=format_minor(inv.tax_minor, cur),
        total=format_minor(inv.total_minor, cur), credited=format_minor(inv.credited_minor, cur),
        paid=format_minor(inv.paid_minor, cur), balance=format_minor(balance, cur),
        subtotal_minor=inv.subtotal_minor, tax_minor=inv.tax_minor, total_minor=inv.total_minor,
        credited_minor=inv.credited_minor, paid_minor=inv.paid_minor, balance_minor=balance,
        flags=tuple(codes_flags), hold_reason=inv.hold_reason or "",
        created=_ts(inv.created_at), issued=_ts(inv.issued_at),
        due=inv.due_date.isoformat() if inv.due_date else "", bill_run_id=inv.bill_run_id,
        lines=line_views, usage=tuple(usage), previous=tuple(previous), history=tuple(history),
        credit_notes=tuple(CreditNoteRow(n.id, n.number or "(pending)", n.status,
                                         format_minor(n.total_minor, n.currency), n.total_minor,
                                         n.reason, n.created_at.strftime("%Y-%m-%d"), n.version)
                           for n in notes),
        actions=tuple(a.value for a in allowed_actions(inv.status)))


def invoice_detail_view(invoice_id: int) -> InvoiceDetail:
    """Page-facing :func:`invoice_detail` in its own read session."""
    with read_session() as s:
        return invoice_detail(s, invoice_id)


def line_events_view(invoice_line_id: int, page: int = 0, page_size: int = 50
                     ) -> tuple[list[EventRow], int]:
    """Page-facing: one page of the usage events behind a usage line, and their count.

    Raises:
        NotFound: for an unknown line or a line with no meter.
    """
    with read_session() as s:
        line = s.get(InvoiceLine, invoice_line_id)
        if line is None or line.meter_id is None:
            raise NotFound("No usage line with that id.")
        inv = s.get(Invoice, line.invoice_id)
        tz = utcnow().tzinfo
        start = line.usage_from or datetime.combine(inv.period_start, datetime.min.time(), tz)
        end = line.usage_to or datetime.combine(inv.period_end, datetime.max.time(), tz)
        return usage_events(s, customer_id=inv.customer_id, meter_id=line.meter_id,
                            start_at=start, end_at=end, page=page, page_size=page_size)


# ----------------------------------------------------------------------------- actions


def _snapshot(inv: Invoice) -> dict[str, Any]:
    return {"status": inv.status, "version": inv.version, "number": inv.number,
            "subtotal_minor": inv.subtotal_minor, "tax_minor": inv.tax_minor,
            "total_minor": inv.total_minor, "credited_minor": inv.credited_minor,
            "paid_minor": inv.paid_minor, "hold_reason": inv.hold_reason}


def _load(session: Session, invoice_id: int, version: int, action: InvoiceAction) -> Invoice:
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


def _reason(reason: str | None, what: str) -> str:
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
    inv = _load(session, invoice_id, version, InvoiceAction.APPROVE)
    if actor.user_id is not None and session.execute(
            sa.select(AuditEvent.id).where(AuditEvent.object_type == "invoice",
                                           AuditEvent.object_id == str(inv.id),
                                           AuditEvent.action == "invoice.edit_line",
                                           AuditEvent.actor_id == actor.user_id).limit(1)
    ).first():
        raise NotAllowed("You edited this invoice; another reviewer must approve it.")
    before = _snapshot(inv)
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.APPROVED.value,
                       approved_by=actor.user_id)
    record(session, actor=actor, action="invoice.approve", object_type="invoice",
           object_id=inv.id, before=before, after=_snapshot(inv))
    return inv


def hold_invoice(session: Session, *, invoice_id: int, version: int, reason: str, actor: Actor
                 ) -> Invoice:
    """Put a draft or approved invoice on hold (status in_review) with a required reason."""
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    text = _reason(reason, "put an invoice on hold")
    inv = _load(session, invoice_id, version, InvoiceAction.HOLD)
    before = _snapshot(inv)
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.IN_REVIEW.value,
                       hold_reason=text, approved_by=None)
    record(session, actor=actor, action="invoice.hold", object_type="invoice",
           object_id=inv.id, before=before, after=_snapshot(inv), reason=text)
    return inv


def release_hold(session: Session, *, invoice_id: int, version: int, actor: Actor,
                 reason: str = "") -> Invoice:
    """Release a hold: the invoice returns to draft."""
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    inv = _load(session, invoice_id, version, InvoiceAction.RELEASE_HOLD)
    before = _snapshot(inv)
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.DRAFT.value,
                       hold_reason=None)
    record(session, actor=actor, action="invoice.release_hold", object_type="invoice",
           object_id=inv.id, before=before, after=_snapshot(inv), reason=reason.strip())
    return inv


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

    Raises:
        InvalidInput: no reason, nothing to change, bad amount/quantity/description.
        Conflict: stale version, or the invoice is approved/issued (issued never change).
    """
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    text = _reason(reason, "edit an invoice line")
    inv = _load(session, invoice_id, version, InvoiceAction.EDIT)
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
    before = {"invoice": _snapshot(inv), "line": _line_json(line)}
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
           after={"invoice": _snapshot(inv), "line": _line_json(line)}, reason=text)
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


def void_invoice(session: Session, *, invoice_id: int, version: int, reason: str, actor: Actor
                 ) -> Invoice:
    """Void an invoice that nobody has paid or credited; prepaid credit it drew goes back."""
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    text = _reason(reason, "void an invoice")
    inv = _load(session, invoice_id, version, InvoiceAction.VOID)
    if inv.paid_minor or inv.credited_minor:
        raise Conflict("This invoice has payments or credit notes; it cannot be voided. "
                       "Use a credit note instead.")
    before = _snapshot(inv)
    drawn = -sum(session.execute(sa.select(InvoiceLine.amount_minor).where(
        InvoiceLine.invoice_id == inv.id, InvoiceLine.kind == LineKind.CREDIT)).scalars())
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.VOID.value,
                       voided_at=utcnow())
    if drawn:
        cust = session.get(Customer, inv.customer_id)
        cust.credit_balance_minor += drawn
        cust.version += 1
    record(session, actor=actor, action="invoice.void", object_type="invoice", object_id=inv.id,
           before=before, after={**_snapshot(inv), "credit_returned_minor": drawn}, reason=text)
    return inv


def issue_invoice(session: Session, *, invoice_id: int, version: int, actor: Actor,
                  now: datetime | None = None) -> Invoice:
    """Issue an approved invoice: gap-free number ``INV-YYYY-NNNNNN``, issue and due dates.

    The number is taken under the sequence lock inside this transaction; a refused issue
    rolls back and gives the number back.
    """
    require(session, actor, Permission.REVIEW_INVOICES, system=True)
    inv = _load(session, invoice_id, version, InvoiceAction.ISSUE)
    when = now or utcnow()
    number = next_number(session, series=INVOICE_SERIES, year=when.year)
    cust = session.get(Customer, inv.customer_id)
    before = _snapshot(inv)
    conditional_update(session, inv, expect_version=version, status=InvoiceStatus.ISSUED.value,
                       number=number, issued_at=when,
                       due_date=when.date() + timedelta(days=cust.payment_terms_days))
    record(session, actor=actor, action="invoice.issue", object_type="invoice",
           object_id=inv.id, before=before,
           after={**_snapshot(inv), "issued_at": when, "due_date": inv.due_date})
    return inv


def mark_paid(session: Session, *, invoice_id: int, version: int, actor: Actor,
              method: str = "manual", reference: str | None = None) -> Invoice:
    """Record a payment of the open balance and mark the invoice paid."""
    require(session, actor, Permission.REVIEW_INVOICES, Permission.MANAGE_COLLECTIONS, system=True)
    inv = _load(session, invoice_id, version, InvoiceAction.MARK_PAID)
    before = _snapshot(inv)
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
           after={**_snapshot(inv), "payment_minor": max(0, balance)})
    return inv


def mark_uncollectible(session: Session, *, invoice_id: int, version: int, reason: str,
                       actor: Actor) -> Invoice:
    """Mark an issued invoice uncollectible (with a reason)."""
    require(session, actor, Permission.REVIEW_INVOICES, Permission.MANAGE_COLLECTIONS, system=True)
    text = _reason(reason, "mark an invoice uncollectible")
    inv = _load(session, invoice_id, version, InvoiceAction.MARK_UNCOLLECTIBLE)
    before = _snapshot(inv)
    conditional_update(session, inv, expect_version=version,
                       status=InvoiceStatus.UNCOLLECTIBLE.value)
    record(session, actor=actor, action="invoice.mark_uncollectible", object_type="invoice",
           object_id=inv.id, before=before, after=_snapshot(inv), reason=text)
    return inv


# ----------------------------------------------------------------------------- page-facing


def approve_view(invoice_id: int, version: int, *, user_id: int) -> Outcome:
    """Page-facing :func:`approve_invoice`."""
    return act(user_id, approve_invoice, done="Invoice approved.", object_id=invoice_id,
               invoice_id=invoice_id, version=version)


def approve_many_view(items: Sequence[tuple[int, int]], *, user_id: int) -> list[Outcome]:
    """Bulk approve ``[(invoice_id, version), ...]``: one transaction each, outcome per invoice."""
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


def edit_line_view(invoice_id: int, version: int, line_id: int, reason: str, *, user_id: int,
                   amount_minor: int | None = None, quantity: str | None = None,
                   description: str | None = None) -> Outcome:
    """Page-facing :func:`edit_line` (parse typed amounts with console.money.parse_major)."""
    return act(user_id, edit_line, done="Line updated; tax and totals recomputed.",
               object_id=invoice_id, invoice_id=invoice_id, version=version, line_id=line_id,
               reason=reason, amount_minor=amount_minor, quantity=quantity, description=description)


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
