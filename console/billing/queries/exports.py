"""Invoice exports: the lines as CSV, and a clean one-page PDF (fpdf2, core fonts)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlalchemy as sa
from fpdf import FPDF
from sqlmodel import Session

from console.kernel.errors import NotFound
from console.money import format_minor, major_text
from models import Customer, Invoice, InvoiceLine
from models.db import read_session

CSV_HEADER = ["invoice", "invoice_id", "customer_code", "period_start", "period_end", "currency",
              "position", "kind", "description", "quantity", "unit_amount", "amount", "tax_rate",
              "tax", "amount_minor", "tax_minor"]


@dataclass(frozen=True)
class ExportFile:
    """A file for download."""

    filename: str
    media_type: str
    content: bytes


def _load(session: Session, invoice_id: int) -> tuple[Invoice, Customer, list[InvoiceLine]]:
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    cust = session.get(Customer, inv.customer_id)
    lines = session.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                            .order_by(InvoiceLine.position, InvoiceLine.id)).scalars().all()
    return inv, cust, list(lines)


def _stem(inv: Invoice) -> str:
    return inv.number or f"draft-{inv.id}"


def invoice_csv(session: Session, invoice_id: int) -> str:
    """The invoice's lines as CSV text (amounts as exact major-unit text and minor units)."""
    inv, cust, lines = _load(session, invoice_id)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_HEADER)
    for x in lines:
        w.writerow([inv.number or "", inv.id, cust.code, inv.period_start.isoformat(),
                    inv.period_end.isoformat(), inv.currency, x.position, x.kind, x.description,
                    x.quantity, x.unit_amount, major_text(x.amount_minor, inv.currency), x.tax_rate,
                    major_text(x.tax_minor, inv.currency), x.amount_minor, x.tax_minor])
    return out.getvalue()


def _latin1(text: str) -> str:
    """Core PDF fonts are Latin-1: replace what they cannot draw."""
    text = (text.replace("–", "-").replace("—", "-").replace("×", "x")
            .replace("’", "'"))
    return text.encode("latin-1", "replace").decode("latin-1")


def invoice_pdf(session: Session, invoice_id: int) -> bytes:
    """A one-page PDF: header, customer, dates, lines with tax, totals."""
    inv, cust, lines = _load(session, invoice_id)
    cur = inv.currency

    def money(minor: int) -> str:
        return _latin1(format_minor(minor, cur, with_code=True))

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    title = f"Invoice {inv.number}" if inv.number else f"Draft invoice #{inv.id}"
    pdf.cell(0, 10, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    meta = [
        ("Customer", f"{cust.name} ({cust.code})"),
        ("Email", cust.email),
        ("Period", f"{inv.period_start.isoformat()} to {inv.period_end.isoformat()}"),
        ("Issued", inv.issued_at.date().isoformat() if inv.issued_at else "not issued"),
        ("Due", inv.due_date.isoformat() if inv.due_date else "-"),
        ("Status", inv.status.replace("_", " ")),
    ]
    for label, value in meta:
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(30, 6, label)
        pdf.set_font("helvetica", "", 10)
        pdf.cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (88, 20, 28, 16, 28)
    heads = ("Description", "Qty", "Amount", "Tax %", "Tax")
    pdf.set_font("helvetica", "B", 9)
    pdf.set_fill_color(235, 238, 242)
    for w, h in zip(widths, heads, strict=True):
        pdf.cell(w, 7, h, border="B", fill=True, align="L" if h == "Description" else "R")
    pdf.ln()
    pdf.set_font("helvetica", "", 8)
    for x in lines:
        desc = _latin1(x.description)
        if pdf.get_string_width(desc) > widths[0] - 2:
            while desc and pdf.get_string_width(desc + "...") > widths[0] - 2:
                desc = desc[:-1]
            desc += "..."
        pdf.cell(widths[0], 6, desc)
        pdf.cell(widths[1], 6, _latin1(x.quantity), align="R")
        pdf.cell(widths[2], 6, money(x.amount_minor), align="R")
        pdf.cell(widths[3], 6, _latin1(x.tax_rate), align="R")
        pdf.cell(widths[4], 6, money(x.tax_minor), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("helvetica", "", 10)
    rows = [("Subtotal", inv.subtotal_minor), ("Tax", inv.tax_minor), ("Total", inv.total_minor)]
    if inv.credited_minor:
        rows.append(("Credited", -inv.credited_minor))
    if inv.paid_minor:
        rows.append(("Paid", -inv.paid_minor))
    if inv.credited_minor or inv.paid_minor:
        rows.append(("Balance due", inv.total_minor - inv.credited_minor - inv.paid_minor))
    for label, amount in rows:
        pdf.set_font("helvetica", "B" if label in ("Total", "Balance due") else "", 10)
        pdf.cell(sum(widths) - 40, 6, label, align="R")
        pdf.cell(40, 6, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- page-facing


def invoice_csv_file(invoice_id: int) -> ExportFile:
    """Page-facing: the CSV export for download."""
    with read_session() as s:
        text = invoice_csv(s, invoice_id)
        name = _stem(s.get(Invoice, invoice_id))
    return ExportFile(f"{name}.csv", "text/csv", text.encode("utf-8"))


def invoice_pdf_file(invoice_id: int) -> ExportFile:
    """Page-facing: the PDF export for download."""
    with read_session() as s:
        data = invoice_pdf(s, invoice_id)
        name = _stem(s.get(Invoice, invoice_id))
    return ExportFile(f"{name}.pdf", "application/pdf", data)
