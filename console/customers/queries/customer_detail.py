"""The customer page: the customer, their subscriptions, timeline, invoices, disputes and
recent usage, as view dataclasses with preformatted strings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from console.customers.domain.details import FIELDS, country_name
from console.kernel.errors import NotFound
from console.money import format_minor
from models import (
    Customer,
    Dispute,
    Invoice,
    Meter,
    Plan,
    PlanVersion,
    Subscription,
    SubscriptionEvent,
    UsageDaily,
)
from models.db import read_session
from models.types import micro_to_quantity, utcnow

#: Subscription event kinds in plain words (the timeline).
EVENT_WORDS = {
    "new": "New", "upgrade": "Upgrade", "downgrade": "Downgrade", "renewal": "Renewal",
    "lapse": "Lapsed", "cancel": "Canceled", "reactivate": "Reactivated", "migrate": "Migrated",
    "seat_change": "Seats changed", "interval_change": "Billing interval changed",
    "cancel_scheduled": "Cancellation scheduled", "cancel_undone": "Cancellation undone",
}


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription on the customer page."""

    id: int
    plan: str
    version: str
    status: str
    seats: int
    interval: str
    period: str
    mrr: str
    grandfathered: bool


@dataclass(frozen=True)
class TimelineItem:
    """One subscription event on the customer's timeline."""

    on: str
    kind: str
    detail: str
    mrr_delta: str
    churn_reason: str


@dataclass(frozen=True)
class InvoiceItem:
    """An invoice on the customer page."""

    id: int
    number: str
    period: str
    status: str
    total: str
    balance: str
    due: str


@dataclass(frozen=True)
class DisputeItem:
    """A dispute on the customer page."""

    id: int
    opened: str
    reason: str
    status: str
    amount: str


@dataclass(frozen=True)
class UsagePoint:
    """Daily usage of one meter (the quantity is a float for the chart axis: never money)."""

    day: str
    meter: str
    quantity: float


@dataclass(frozen=True)
class CustomerDetail:
    """Everything the customer page shows."""

    id: int
    code: str
    name: str
    email: str
    segment: str
    region: str
    country: str
    currency: str
    status: str
    payment_terms: str
    legal_name: str
    address: str
    tax_id: str
    #: the billing details as the edit form fills them (field -> text)
    form: dict[str, str]
    mrr: str
    credit_balance: str
    created: str
    payment_terms_days: int
    version: int
    subscriptions: list[SubscriptionView]
    timeline: list[TimelineItem]
    invoices: list[InvoiceItem]
    disputes: list[DisputeItem]
    usage: list[UsagePoint]


def get_customer(session: Session, customer_id: int) -> Customer:
    """The customer with ``customer_id``.

    Raises:
        NotFound: for an unknown customer id.
    """
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"No customer with id {customer_id}.")
    return c


def _plan_labels(session: Session, version_ids: set[int]) -> dict[int, tuple[str, str]]:
    if not version_ids:
        return {}
    rows = session.execute(
        sa.select(PlanVersion.id, PlanVersion.number, Plan.name)
        .join(Plan, Plan.id == PlanVersion.plan_id).where(PlanVersion.id.in_(version_ids))
    ).all()
    return {r.id: (r.name, f"v{r.number}") for r in rows}


def customer_detail(session: Session, customer_id: int, *, usage_days: int = 90,
                    today: date | None = None) -> CustomerDetail:
    """The customer page's data.

    Args:
        session: an open session.
        customer_id: the customer.
        usage_days: how many days of usage to chart, back from ``today``.
        today: the day the usage ends (defaults to today, UTC).

    Returns:
        The customer with their subscriptions, the latest 200 timeline events and the latest
        100 invoices and disputes.

    Raises:
        NotFound: for an unknown customer id.
    """
    c = get_customer(session, customer_id)
    cur = c.currency
    subs = session.execute(sa.select(Subscription).where(Subscription.customer_id == c.id)
                           .order_by(Subscription.started_on.desc())).scalars().all()
    events = session.execute(
        sa.select(SubscriptionEvent).where(SubscriptionEvent.customer_id == c.id)
        .order_by(SubscriptionEvent.occurred_on.desc(), SubscriptionEvent.id.desc()).limit(200)
    ).scalars().all()
    version_ids = {s.plan_version_id for s in subs}
    for e in events:
        version_ids |= {v for v in (e.from_version_id, e.to_version_id) if v}
    labels = _plan_labels(session, version_ids)

    def label(vid: int | None) -> str:
        if not vid or vid not in labels:
            return "—"
        name, num = labels[vid]
        return f"{name} {num}"

    timeline = []
    for e in events:
        detail = label(e.to_version_id) if e.to_version_id else label(e.from_version_id)
        if e.from_version_id and e.to_version_id and e.from_version_id != e.to_version_id:
            detail = f"{label(e.from_version_id)} → {label(e.to_version_id)}"
        if e.note:
            detail = f"{detail} · {e.note}"
        delta = e.mrr_delta_minor
        timeline.append(TimelineItem(e.occurred_on.isoformat(),
                                     EVENT_WORDS.get(e.kind, e.kind.replace("_", " ")), detail,
                                     ("+" if delta > 0 else "") + format_minor(delta, e.currency),
                                     e.churn_reason or ""))
    invoices = session.execute(sa.select(Invoice).where(Invoice.customer_id == c.id)
                               .order_by(Invoice.period_start.desc(), Invoice.id.desc())
                               .limit(100)).scalars().all()
    disputes = session.execute(sa.select(Dispute).where(Dispute.customer_id == c.id)
                               .order_by(Dispute.opened_at.desc()).limit(100)).scalars().all()
    today = today or utcnow().date()
    since = today - timedelta(days=usage_days)
    usage = session.execute(
        sa.select(UsageDaily.day, Meter.name, UsageDaily.quantity_micro)
        .join(Meter, Meter.id == UsageDaily.meter_id)
        .where(UsageDaily.customer_id == c.id, UsageDaily.day >= since)
        .order_by(UsageDaily.day, Meter.name)
    ).all()
    return CustomerDetail(
        id=c.id, code=c.code, name=c.name, email=c.email, segment=c.segment, region=c.region,
        country=c.country, currency=cur, status=c.status,
        payment_terms=f"Net {c.payment_terms_days}",
        legal_name=c.legal_name or c.name,
        address=", ".join(p for p in (c.address_line1, c.address_line2,
                                      f"{c.postal_code} {c.city}".strip(),
                                      country_name(c.country)) if p),
        tax_id=c.tax_id or "—",
        form={key: str(getattr(c, key)) for key in FIELDS}, mrr=format_minor(c.mrr_minor, cur),
        credit_balance=format_minor(c.credit_balance_minor, cur),
        created=c.created_at.strftime("%Y-%m-%d"), payment_terms_days=c.payment_terms_days,
        version=c.version,
        subscriptions=[SubscriptionView(
            s.id, labels.get(s.plan_version_id, ("—", ""))[0], label(s.plan_version_id),
            s.status, s.seats, s.billing_interval,
            f"{s.current_period_start:%Y-%m-%d} – {s.current_period_end:%Y-%m-%d}",
            format_minor(s.mrr_minor, s.currency), s.grandfathered) for s in subs],
        timeline=timeline,
        invoices=[InvoiceItem(i.id, i.number or "(draft)",
                              f"{i.period_start:%Y-%m-%d} – {i.period_end:%Y-%m-%d}", i.status,
                              format_minor(i.total_minor, i.currency),
                              format_minor(i.total_minor - i.credited_minor - i.paid_minor,
                                           i.currency),
                              i.due_date.isoformat() if i.due_date else "—") for i in invoices],
        disputes=[DisputeItem(d.id, d.opened_at.strftime("%Y-%m-%d"), d.reason.replace("_", " "),
                              d.status.replace("_", " "), format_minor(d.amount_minor, d.currency))
                  for d in disputes],
        # Quantities for a chart axis only: never money, so a float is fine here.
        usage=[UsagePoint(r.day.isoformat(), r.name, float(micro_to_quantity(r.quantity_micro)))
               for r in usage],
    )


# --- page-facing

def customer_detail_view(customer_id: int) -> CustomerDetail:
    """Page-facing :func:`customer_detail` in its own read session."""
    with read_session() as s:
        return customer_detail(s, customer_id)
