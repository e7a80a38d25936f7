"""Plain builders for billing tests: product, meters, plan, version, prices, customers,
subscriptions, tax rates and usage. Each takes an open session and flushes (no commit)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from console.billing.usecases.usage_import import ImportReport, ingest
from console.billing.usecases.usage_records import read_batch
from console.kernel.actor import Actor
from models import (
    Customer,
    Meter,
    Plan,
    PlanVersion,
    PolicySetting,
    Price,
    Product,
    Subscription,
    SubscriptionEvent,
    TaxRate,
)

SYSTEM = Actor.system("system:test")


def product(session: Session, code: str = "api") -> Product:
    """A product."""
    row = Product(code=code, name=code.title())
    session.add(row)
    session.flush()
    return row


def meter(session: Session, code: str, *, aggregation: str = "sum",
          field_name: str | None = None, event_type: str | None = None,
          unit: str = "unit") -> Meter:
    """A meter whose event type defaults to its code."""
    row = Meter(code=code, name=code.replace("_", " ").title(), event_type=event_type or code,
                aggregation=aggregation, field_name=field_name, unit=unit)
    session.add(row)
    session.flush()
    return row


def plan(session: Session, prod: Product, code: str = "pro") -> Plan:
    """A plan of ``prod``."""
    row = Plan(product_id=prod.id, code=code, name=code.title())
    session.add(row)
    session.flush()
    return row


def version(session: Session, pl: Plan, number: int = 1, *, status: str = "published"
            ) -> PlanVersion:
    """A plan version (published by default)."""
    row = PlanVersion(plan_id=pl.id, number=number, status=status,
                      effective_from=date(2020, 1, 1))
    session.add(row)
    session.flush()
    return row


def price(session: Session, ver: PlanVersion, *, name: str, kind: str,
          model: str = "standard", properties: dict[str, Any] | None = None,
          currency: str = "USD", meter_row: Meter | None = None, pay_in_advance: bool = True,
          interval: str = "month", minimum_minor: int | None = None,
          commit_minor: int | None = None, region: str | None = None,
          segment: str | None = None, position: int = 0) -> Price:
    """A price row on ``ver``."""
    row = Price(plan_version_id=ver.id, meter_id=meter_row.id if meter_row else None, name=name,
                kind=kind, charge_model=model, properties=properties or {}, currency=currency,
                region=region, segment=segment, billing_interval=interval,
                pay_in_advance=pay_in_advance, minimum_minor=minimum_minor,
                commit_minor=commit_minor, position=position)
    session.add(row)
    session.flush()
    return row


def customer(session: Session, code: str, *, currency: str = "USD", region: str = "na",
             segment: str = "smb", tax_exempt: bool = False, credit_balance_minor: int = 0,
             payment_terms_days: int = 30, name: str | None = None) -> Customer:
    """A customer."""
    row = Customer(code=code, name=name or f"Customer {code}", email=f"{code.lower()}@example.test",
                   segment=segment, region=region, country="US", currency=currency,
                   tax_exempt=tax_exempt, credit_balance_minor=credit_balance_minor,
                   payment_terms_days=payment_terms_days)
    session.add(row)
    session.flush()
    return row


def subscription(session: Session, cust: Customer, ver: PlanVersion, *, started_on: date,
                 seats: int = 1, status: str = "active", canceled_on: date | None = None,
                 period: tuple[date, date] | None = None) -> Subscription:
    """A subscription of ``cust`` to ``ver``."""
    start, end = period or (started_on, started_on)
    row = Subscription(customer_id=cust.id, plan_id=ver.plan_id, plan_version_id=ver.id,
                       status=status, currency=cust.currency, seats=seats, started_on=started_on,
                       current_period_start=start, current_period_end=end,
                       canceled_on=canceled_on)
    session.add(row)
    session.flush()
    return row


def version_change(session: Session, sub: Subscription, *, on: date, from_version: PlanVersion,
                   to_version: PlanVersion, kind: str = "upgrade") -> SubscriptionEvent:
    """An upgrade/downgrade effective on ``on``; moves the subscription to ``to_version``."""
    row = SubscriptionEvent(subscription_id=sub.id, customer_id=sub.customer_id, kind=kind,
                            occurred_on=on, from_version_id=from_version.id,
                            to_version_id=to_version.id, currency=sub.currency)
    sub.plan_version_id = to_version.id
    sub.plan_id = to_version.plan_id
    session.add(row)
    session.flush()
    return row


def tax_rate(session: Session, region: str, rate: str) -> TaxRate:
    """A tax rate for a region."""
    row = TaxRate(region=region, name=f"Tax {region}", rate=rate)
    session.add(row)
    session.flush()
    return row


def set_policy(session: Session, key: str, value: dict[str, Any]) -> None:
    """Set a policy value."""
    row = session.get(PolicySetting, key)
    if row is None:
        session.add(PolicySetting(key=key, value=value))
    else:
        row.value = value
    session.flush()


def usage(session: Session, events: Iterable[Sequence[Any]], *, prefix: str = "ev"
          ) -> ImportReport:
    """Ingest events given as (customer code, event type, quantity, when, properties?)."""
    batch = []
    for i, ev in enumerate(events):
        code, event_type, qty, when = ev[:4]
        props = ev[4] if len(ev) > 4 else None
        stamp = when.isoformat() if isinstance(when, datetime) else str(when)
        batch.append({"customer_code": code, "event_type": event_type, "quantity": str(qty),
                      "timestamp": stamp, "idempotency_key": f"{prefix}-{i}",
                      "properties": props})
    report = ingest(session, read_batch(batch), source="demo", actor=SYSTEM)
    assert report.accepted, report.summary()
    return report


def simple_catalog(session: Session, *, platform: str = "100.00", per_call: str = "0.01",
                   tax: str | None = "10") -> dict[str, Any]:
    """A plan with a monthly platform fee and a standard per-call usage price (USD), and a
    tax rate for region ``na``."""
    prod = product(session, "simple")
    calls = meter(session, "calls")
    pl = plan(session, prod, "basic")
    ver = version(session, pl, 1)
    price(session, ver, name="Platform fee", kind="recurring", properties={"amount": platform},
          position=1)
    price(session, ver, name="Calls", kind="usage", properties={"amount": per_call},
          meter_row=calls, position=2)
    if tax is not None:
        tax_rate(session, "na", tax)
    return {"product": prod, "meter": calls, "plan": pl, "version": ver}


def bill(engine: Any, period: tuple[date, date], *, batch: int = 500) -> int:
    """Start and run the bill run of ``period``; returns its id."""
    from console.billing.usecases import bill_runs as billing
    from models.db import unit_of_work

    with unit_of_work(engine) as s:
        run_id = billing.start_bill_run(s, period_start=period[0], period_end=period[1],
                                        actor=SYSTEM).id
    billing.run_bill_run(engine, bill_run_id=run_id, batch=batch)
    return run_id


STAFF = (("finance", ("finance",)), ("finance2", ("finance",)), ("support", ("support",)),
         ("viewer", ("viewer",)), ("lead", ("monetization_lead",)))


def staff(session: Session) -> dict[str, int]:
    """People by key (finance, finance2, support, viewer, lead) with roles and no password
    (the demo accounts' password hashing makes every test seconds slower)."""
    from models import User, UserRole

    ids: dict[str, int] = {}
    for key, roles in STAFF:
        user = User(email=f"{key}@billing.test", name=key.title(), auth_source="local")
        session.add(user)
        session.flush()
        for role in roles:
            session.add(UserRole(user_id=user.id, role=role))
        ids[key] = user.id
    session.flush()
    return ids


def actor(user_id: int, key: str = "") -> Actor:
    """The audit actor of a staff user."""
    return Actor(user_id, f"{key or user_id}@billing.test")
