"""The invoice page's data: totals, lines, the usage behind usage lines, earlier invoices,
the audit history, credit notes and the actions the status allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

import console.audit as audit_svc
from console.billing.domain.anomalies import FLAG_LABELS
from console.billing.domain.lines import LineKind
from console.billing.domain.status import allowed_actions
from console.billing.queries.credit_notes import credited_per_line
from console.billing.queries.usage_events import DailyPoint, EventRow, daily_usage, usage_events
from console.kernel.errors import NotFound
from console.money import format_minor
from models import CreditNote, Customer, Invoice, InvoiceLine, Meter, Plan, PlanVersion
from models.db import read_session


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


def _usage_window(line: InvoiceLine, inv: Invoice) -> tuple[datetime, datetime]:
    """The instants a usage line covers (its own, else the invoice's whole period, UTC)."""
    start = line.usage_from or datetime.combine(inv.period_start, datetime.min.time(), UTC)
    end = line.usage_to or datetime.combine(inv.period_end, datetime.max.time(), UTC)
    return start, end


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

    Args:
        session: any session.
        invoice_id: the invoice.
        events_page_size: usage events shown per usage line.

    Returns:
        Everything the page shows, preformatted.

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
        start, end = _usage_window(x, inv)
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


# --- page-facing


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
        start, end = _usage_window(line, inv)
        return usage_events(s, customer_id=inv.customer_id, meter_id=line.meter_id,
                            start_at=start, end_at=end, page=page, page_size=page_size)
