"""Customers, their subscriptions, subscription events and the monthly MRR ledger."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, minor, pk, ts, utcnow


def _text(length: int) -> sa.Column:
    """A required text column that is empty by default (also for rows made before it)."""
    # No column default: bulk writers (the demo's) insert only the columns they name.
    return sa.Column(sa.String(length), nullable=False, server_default="")


class Customer(SQLModel, table=True):
    """A paying (or free) account."""

    __tablename__ = "customer"
    __table_args__ = (sa.Index("ix_customer_filters", "segment", "region", "currency"),)

    id: int | None = Field(default=None, sa_column=pk())
    code: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, index=True))
    #: the billing e-mail (invoices, dunning reminders and notices go here)
    email: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    #: the name invoices are addressed to (empty: ``name``)
    legal_name: str = Field(default="", sa_column=_text(200))
    address_line1: str = Field(default="", sa_column=_text(200))
    address_line2: str = Field(default="", sa_column=_text(200))
    postal_code: str = Field(default="", sa_column=_text(20))
    city: str = Field(default="", sa_column=_text(100))
    tax_id: str = Field(default="", sa_column=_text(32))
    #: smb | mid_market | enterprise
    segment: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    #: na | emea | apac | latam
    region: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    country: str = Field(sa_column=sa.Column(sa.String(2), nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    payment_terms_days: int = Field(default=30, sa_column=sa.Column(sa.Integer, nullable=False))
    #: active | past_due | churned | free
    status: str = Field(default="active", sa_column=sa.Column(sa.String(16), nullable=False,
                                                                index=True))
    #: payment method token for the payment provider (simulated: tok_success, tok_insufficient...)
    payment_token: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    credit_balance_minor: int = Field(default=0, sa_column=minor())
    mrr_minor: int = Field(default=0, sa_column=minor())
    tax_exempt: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False,
                                                                     index=True))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class Subscription(SQLModel, table=True):
    """A customer's subscription to a plan version."""

    __tablename__ = "subscription"
    __table_args__ = (
        # The renewals job reads the live subscriptions whose period has ended.
        sa.Index("ix_subscription_renewal", "status", "current_period_end"),
    )

    id: int | None = Field(default=None, sa_column=pk())
    customer_id: int = Field(sa_column=fk("customer.id"))
    plan_id: int = Field(sa_column=fk("plan.id"))
    plan_version_id: int = Field(sa_column=fk("plan_version.id"))
    #: trialing | active | past_due | canceled
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    seats: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    #: month | year
    billing_interval: str = Field(default="month", sa_column=sa.Column(sa.String(8),
                                                                         nullable=False))
    started_on: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    current_period_start: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    current_period_end: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    canceled_on: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    #: voluntary | involuntary
    churn_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    #: ends (status canceled) when the current period ends, unless undone before then
    cancel_at_period_end: bool = Field(default=False, sa_column=sa.Column(
        sa.Boolean, nullable=False, server_default=sa.false()))
    mrr_minor: int = Field(default=0, sa_column=minor())
    grandfathered: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class SubscriptionEvent(SQLModel, table=True):
    """A change in a subscription's life, with its effect on MRR."""

    __tablename__ = "subscription_event"
    __table_args__ = (sa.Index("ix_subscription_event_customer", "customer_id", "occurred_on"),)

    id: int | None = Field(default=None, sa_column=pk())
    subscription_id: int = Field(sa_column=fk("subscription.id"))
    customer_id: int = Field(sa_column=fk("customer.id", index=False))
    #: new | upgrade | downgrade | renewal | lapse | cancel | reactivate | migrate | seat_change
    #: | interval_change
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    occurred_on: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    from_version_id: int | None = Field(default=None, sa_column=fk("plan_version.id",
                                                                     nullable=True, index=False))
    to_version_id: int | None = Field(default=None, sa_column=fk("plan_version.id",
                                                                   nullable=True, index=False))
    #: seats and billing interval before and after the event (None: not recorded, unchanged)
    seats_before: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    seats_after: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    interval_before: str | None = Field(default=None, sa_column=sa.Column(sa.String(8)))
    interval_after: str | None = Field(default=None, sa_column=sa.Column(sa.String(8)))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    mrr_before_minor: int = Field(default=0, sa_column=minor())
    mrr_after_minor: int = Field(default=0, sa_column=minor())
    mrr_delta_minor: int = Field(default=0, sa_column=minor())
    #: voluntary | involuntary (cancel and lapse only)
    churn_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    actor_id: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                              index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class MrrMonthly(SQLModel, table=True):
    """The MRR ledger: one row per customer and month with MRR > 0 (feeds every MRR KPI)."""

    __tablename__ = "mrr_monthly"
    __table_args__ = (
        # Covers the KPI reads of a month range (no table lookups: kpis_sql).
        sa.Index("ix_mrr_monthly_month_kpi", "month", "customer_id", "mrr_minor", "currency",
                 "plan_version_id"),
        # Only the rows that can move: the KPI movements skip the unchanged ones (kpis_sql).
        sa.Index("ix_mrr_monthly_moves", "month", "customer_id", "mrr_minor", "currency",
                 "plan_version_id", "unchanged", sqlite_where=sa.text("NOT unchanged"),
                 postgresql_where=sa.text("NOT unchanged")),
    )

    customer_id: int = Field(sa_column=sa.Column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("customer.id"), primary_key=True))
    month: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    mrr_minor: int = Field(sa_column=minor())
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    plan_version_id: int | None = Field(default=None, sa_column=fk("plan_version.id",
                                                                     nullable=True, index=False))
    #: True only when the customer's row of the month before has the same MRR, currency and
    #: plan version (such a row is no MRR movement under any filter). False is always safe:
    #: it only makes the KPI movements look at the row (console.customers.usecases.ledger).
    unchanged: bool = Field(default=False, sa_column=sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()))


class SupportTicket(SQLModel, table=True):
    """A billing support ticket (counts towards support load)."""

    __tablename__ = "support_ticket"

    id: int | None = Field(default=None, sa_column=pk())
    customer_id: int = Field(sa_column=fk("customer.id"))
    category: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    opened_at: datetime = Field(sa_column=ts(nullable=False, index=True))
    closed_at: datetime | None = Field(default=None, sa_column=ts())
