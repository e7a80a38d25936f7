"""Bill runs, invoices and their lines, credit notes, payments, dunning and collections."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, minor, pk, ts, utcnow


class BillRun(SQLModel, table=True):
    """A run that drafts one invoice per billable subscription for a period (idempotent)."""

    __tablename__ = "bill_run"
    __table_args__ = (sa.UniqueConstraint("period_start", "period_end"),)

    id: int | None = Field(default=None, sa_column=pk())
    period_start: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    period_end: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    #: pending | running | paused | completed | failed
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False))
    #: share of customers released so far (waves: 5 then 100)
    released_percent: int = Field(default=100, sa_column=sa.Column(sa.Integer, nullable=False))
    total: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    processed: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    created_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=ts())
    finished_at: datetime | None = Field(default=None, sa_column=ts())
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))

def _month_sqlite(col: str) -> str:
    return f"(substr({col}, 1, 7) || '-01')"


def _month_postgresql(col: str) -> str:
    return f"date_trunc('month', {col} AT TIME ZONE 'UTC')::date"


#: Per dialect, the condition of an invoice that can be open at the end of some month: not
#: written off and not closed (paid or voided) in its issue month. SQLite uses the partial
#: index only when a query repeats these terms word for word (kpis_sql builds them with the
#: same month expression; tests/integration check the plan).
OPEN_AT_MONTH_END = {
    d: (f"status <> 'uncollectible' AND (coalesce(paid_at, voided_at) IS NULL OR "
        f"{m('coalesce(paid_at, voided_at)')} > {m('issued_at')})")
    for d, m in (("sqlite", _month_sqlite), ("postgresql", _month_postgresql))
}


class Invoice(SQLModel, table=True):
    """draft -> in_review -> approved -> issued -> paid | void | uncollectible."""

    __tablename__ = "invoice"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "period_start", "period_end"),
        sa.Index("ix_invoice_status_customer", "status", "customer_id"),
        # Covers the KPI sales of a month in one currency (kpis_sql.KpiSql.invoice_sales).
        sa.Index("ix_invoice_sales_kpi", "currency", "issued_at", "status", "total_minor",
                 "customer_id", "plan_version_id"),
        # Only the invoices that can be open at a month end (not written off, not closed in
        # their issue month): the KPI receivables read these (kpis_sql.KpiSql.open_groups).
        sa.Index("ix_invoice_open_kpi", "issued_at", "currency", "status", "due_date",
                 "total_minor", "credited_minor", "paid_minor", "paid_at", "voided_at",
                 "customer_id", "plan_version_id", "id",
                 sqlite_where=sa.text(OPEN_AT_MONTH_END["sqlite"]),
                 postgresql_where=sa.text(OPEN_AT_MONTH_END["postgresql"])),
    )

    id: int | None = Field(default=None, sa_column=pk())
    number: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), unique=True))
    customer_id: int = Field(sa_column=fk("customer.id"))
    subscription_id: int | None = Field(default=None, sa_column=fk("subscription.id",
                                                                     nullable=True, index=False))
    bill_run_id: int | None = Field(default=None, sa_column=fk("bill_run.id", nullable=True))
    plan_version_id: int | None = Field(default=None, sa_column=fk("plan_version.id",
                                                                     nullable=True, index=False))
    period_start: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    period_end: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    status: str = Field(default="draft", sa_column=sa.Column(sa.String(16), nullable=False,
                                                               index=True))
    subtotal_minor: int = Field(default=0, sa_column=minor())
    tax_minor: int = Field(default=0, sa_column=minor())
    total_minor: int = Field(default=0, sa_column=minor())
    credited_minor: int = Field(default=0, sa_column=minor())
    paid_minor: int = Field(default=0, sa_column=minor())
    flags: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    hold_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    issued_at: datetime | None = Field(default=None, sa_column=ts(index=True))
    due_date: date | None = Field(default=None, sa_column=sa.Column(sa.Date, index=True))
    paid_at: datetime | None = Field(default=None, sa_column=ts())
    voided_at: datetime | None = Field(default=None, sa_column=ts())
    approved_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                 index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))

class InvoiceNumberSequence(SQLModel, table=True):
    """The last invoice/credit-note number used per series and year (gap-free, taken under lock)."""

    __tablename__ = "invoice_number_sequence"

    series: str = Field(sa_column=sa.Column(sa.String(8), primary_key=True))
    year: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True))
    last_number: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))

class InvoiceLine(SQLModel, table=True):
    """One rounded invoice line with the quantity, unit price and range breakdown behind it."""

    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, sa_column=pk())
    invoice_id: int = Field(sa_column=fk("invoice.id", ondelete="CASCADE"))
    price_id: int | None = Field(default=None, sa_column=fk("price.id", nullable=True,
                                                              index=False))
    meter_id: int | None = Field(default=None, sa_column=fk("meter.id", nullable=True,
                                                              index=False))
    #: recurring | seat | usage | proration_credit | proration_charge | true_up | credit
    #: | adjustment
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    description: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    #: exact decimal quantity as text (never a float)
    quantity: str = Field(default="1", sa_column=sa.Column(sa.String(40), nullable=False))
    #: exact unit price in major units as text
    unit_amount: str = Field(default="0", sa_column=sa.Column(sa.String(40), nullable=False))
    amount_minor: int = Field(default=0, sa_column=minor())
    #: tax rate in percent as text, e.g. "8.875"
    tax_rate: str = Field(default="0", sa_column=sa.Column(sa.String(16), nullable=False))
    tax_minor: int = Field(default=0, sa_column=minor())
    breakdown: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    usage_from: datetime | None = Field(default=None, sa_column=ts())
    usage_to: datetime | None = Field(default=None, sa_column=ts())
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    edit_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))

class TaxRate(SQLModel, table=True):
    """The tax rate applied per region (a simple table, good enough for review)."""

    __tablename__ = "tax_rate"

    id: int | None = Field(default=None, sa_column=pk())
    region: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    #: percent as decimal text, e.g. "20" or "8.875"
    rate: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))

class CreditNote(SQLModel, table=True):
    """A correction to an issued invoice; never more than its remaining balance."""

    __tablename__ = "credit_note"

    id: int | None = Field(default=None, sa_column=pk())
    number: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), unique=True))
    invoice_id: int = Field(sa_column=fk("invoice.id"))
    customer_id: int = Field(sa_column=fk("customer.id"))
    dispute_id: int | None = Field(default=None, sa_column=fk("dispute.id", nullable=True))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    #: pending_approval | issued | rejected | void
    status: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, index=True))
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    amount_minor: int = Field(default=0, sa_column=minor())
    tax_minor: int = Field(default=0, sa_column=minor())
    total_minor: int = Field(default=0, sa_column=minor())
    created_by: int = Field(sa_column=fk("app_user.id", index=False))
    approved_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                 index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    issued_at: datetime | None = Field(default=None, sa_column=ts())
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))

class CreditNoteLine(SQLModel, table=True):
    """The part of one invoice line a credit note gives back."""

    __tablename__ = "credit_note_line"

    id: int | None = Field(default=None, sa_column=pk())
    credit_note_id: int = Field(sa_column=fk("credit_note.id", ondelete="CASCADE"))
    invoice_line_id: int = Field(sa_column=fk("invoice_line.id"))
    amount_minor: int = Field(default=0, sa_column=minor())
    tax_minor: int = Field(default=0, sa_column=minor())

class Payment(SQLModel, table=True):
    """Money received against an invoice."""

    __tablename__ = "payment"

    id: int | None = Field(default=None, sa_column=pk())
    invoice_id: int = Field(sa_column=fk("invoice.id"))
    customer_id: int = Field(sa_column=fk("customer.id"))
    amount_minor: int = Field(sa_column=minor())
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    #: succeeded | refunded
    status: str = Field(default="succeeded", sa_column=sa.Column(sa.String(16), nullable=False))
    method: str = Field(default="card", sa_column=sa.Column(sa.String(16), nullable=False))
    provider_ref: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    received_at: datetime = Field(sa_column=ts(nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))

class PaymentAttempt(SQLModel, table=True):
    """One charge attempt (first try or dunning retry); the idempotency key makes it run once."""

    __tablename__ = "payment_attempt"

    id: int | None = Field(default=None, sa_column=pk())
    invoice_id: int = Field(sa_column=fk("invoice.id"))
    attempt_no: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    idempotency_key: str = Field(sa_column=sa.Column(sa.String(96), nullable=False, unique=True))
    amount_minor: int = Field(sa_column=minor())
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    #: scheduled | succeeded | failed | canceled
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    #: insufficient_funds | expired_card | network_error
    failure_code: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    scheduled_at: datetime = Field(sa_column=ts(nullable=False, index=True))
    attempted_at: datetime | None = Field(default=None, sa_column=ts())
    payment_id: int | None = Field(default=None, sa_column=fk("payment.id", nullable=True,
                                                                index=False))

class OutboxMessage(SQLModel, table=True):
    """An email to a customer (dunning reminders, credit notes), written for a mailer to send."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, sa_column=pk())
    customer_id: int = Field(sa_column=fk("customer.id"))
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    related_type: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    related_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=ts())

class CollectionNote(SQLModel, table=True):
    """A collections note or promise to pay on a customer's open receivables."""

    __tablename__ = "collection_note"

    id: int | None = Field(default=None, sa_column=pk())
    customer_id: int = Field(sa_column=fk("customer.id"))
    invoice_id: int | None = Field(default=None, sa_column=fk("invoice.id", nullable=True,
                                                                index=False))
    #: note | promise_to_pay
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    promised_on: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    promised_minor: int | None = Field(default=None, sa_column=minor(nullable=True,
                                                                      default=None))
    author_id: int = Field(sa_column=fk("app_user.id", index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
