"""Small hand-built catalog data for the catalog integration tests (plain functions).

The plan "pro" has a published v1 (USD and EUR rows) and five customers; usage covers
January-March 2025, so a 3-month simulation as of 2025-04-15 uses exactly that window.
Expected figures are worked out by hand in test_catalog_simulation.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from console.kernel.actor import Actor
from models import (
    Customer,
    Entitlement,
    Feature,
    FxRate,
    Meter,
    Plan,
    PlanVersion,
    PolicySetting,
    Price,
    Product,
    Subscription,
    UsageDaily,
)
from models.db import unit_of_work

AS_OF = date(2025, 4, 15)
MICRO = 1_000_000

GRADUATED_V1 = {"graduated_ranges": [
    {"from_value": 0, "to_value": 1000, "per_unit_amount": "0", "flat_amount": "0"},
    {"from_value": 1001, "to_value": None, "per_unit_amount": "0.01", "flat_amount": "0"},
]}
GRADUATED_V2 = {"graduated_ranges": [
    {"from_value": 0, "to_value": 1000, "per_unit_amount": "0", "flat_amount": "0"},
    {"from_value": 1001, "to_value": None, "per_unit_amount": "0.02", "flat_amount": "0"},
]}


@dataclass(frozen=True)
class Catalog:
    """Ids of the hand-built catalog."""

    product_id: int
    plan_id: int
    v1_id: int
    meters: dict[str, int]
    features: dict[str, int]
    customers: dict[str, int]
    subscriptions: dict[str, int]


def actor(users: dict[str, int], key: str) -> Actor:
    """The audit actor of a demo user."""
    return Actor(users[key], f"{key}@demo.test")


def _price(version_id: int, name: str, kind: str, model: str, props: dict, currency: str,
           position: int, meter_id: int | None = None, **extra) -> Price:
    return Price(plan_version_id=version_id, meter_id=meter_id, name=name, kind=kind,
                 charge_model=model, properties=props, currency=currency, position=position,
                 **extra)


def build_catalog(engine: sa.Engine, *, eur_rate: str | None = "1.10") -> Catalog:
    """Product, meters, features, plan "pro" with published v1, customers, usage."""
    with unit_of_work(engine) as s:
        product = Product(code="platform", name="Platform")
        s.add(product)
        s.flush()
        meters = {
            "api_calls": Meter(code="api_calls", name="API calls", event_type="api_call",
                               aggregation="sum", unit="call"),
            "storage_gb": Meter(code="storage_gb", name="Storage", event_type="storage",
                                aggregation="max", unit="GB"),
            "exports": Meter(code="exports", name="Exports", event_type="export",
                             aggregation="count", unit="export"),
        }
        s.add_all(meters.values())
        s.flush()
        features = {
            "sso": Feature(product_id=product.id, key="sso", name="SSO", kind="boolean"),
            "projects": Feature(product_id=product.id, key="projects", name="Projects",
                                kind="limit"),
            "api_access": Feature(product_id=product.id, key="api_access", name="API",
                                  kind="metered", meter_id=meters["api_calls"].id),
        }
        s.add_all(features.values())
        plan = Plan(product_id=product.id, code="pro", name="Pro", interval="month")
        s.add(plan)
        s.flush()
        v1 = PlanVersion(plan_id=plan.id, number=1, status="published",
                         effective_from=date(2024, 1, 1),
                         published_at=datetime(2024, 1, 1, tzinfo=UTC))
        s.add(v1)
        s.flush()
        api, storage = meters["api_calls"].id, meters["storage_gb"].id
        s.add_all([
            _price(v1.id, "Platform fee", "recurring", "standard", {"amount": "100"}, "USD", 0),
            _price(v1.id, "Seats", "seat", "standard", {"amount": "10"}, "USD", 1),
            _price(v1.id, "API calls", "usage", "graduated", GRADUATED_V1, "USD", 2, api,
                   pay_in_advance=False),
            _price(v1.id, "Storage", "usage", "standard", {"amount": "0.5"}, "USD", 3, storage,
                   pay_in_advance=False),
            _price(v1.id, "Platform fee", "recurring", "standard", {"amount": "90"}, "EUR", 4),
            _price(v1.id, "API calls", "usage", "standard", {"amount": "0.009"}, "EUR", 5, api,
                   pay_in_advance=False),
        ])
        s.add_all([
            Entitlement(plan_version_id=v1.id, feature_id=features["sso"].id, enabled=True),
            Entitlement(plan_version_id=v1.id, feature_id=features["projects"].id,
                        enabled=True, limit_value=10),
        ])
        if eur_rate is not None:
            s.add(FxRate(currency="EUR", reporting_currency="USD", rate=eur_rate))
        customers: dict[str, Customer] = {}
        subs: dict[str, Subscription] = {}
        spec = [
            # key, currency, region, segment, seats, status, started_on
            ("c1", "USD", "na", "smb", 2, "active", date(2024, 6, 1)),
            ("c2", "USD", "emea", "enterprise", 5, "active", date(2024, 3, 1)),
            ("c3", "EUR", "emea", "mid_market", 1, "past_due", date(2024, 9, 1)),
            ("c4", "USD", "na", "smb", 1, "canceled", date(2024, 1, 1)),
            ("c5", "USD", "apac", "smb", 1, "active", date(2025, 3, 10)),
        ]
        for key, cur, region, segment, seats, status, started in spec:
            c = Customer(code=key.upper(), name=f"Customer {key}", email=f"{key}@x.test",
                         segment=segment, region=region, country="US", currency=cur)
            s.add(c)
            s.flush()
            sub = Subscription(customer_id=c.id, plan_id=plan.id, plan_version_id=v1.id,
                               status=status, currency=cur, seats=seats, started_on=started,
                               current_period_start=date(2025, 4, 1),
                               current_period_end=date(2025, 4, 30))
            s.add(sub)
            s.flush()
            customers[key], subs[key] = c, sub

        def use(key: str, meter: str, day: date, qty: int, mx: int | None = None) -> None:
            s.add(UsageDaily(customer_id=customers[key].id, meter_id=meters[meter].id, day=day,
                             quantity_micro=qty * MICRO, max_micro=(mx or qty) * MICRO,
                             events=1))

        use("c1", "api_calls", date(2025, 1, 3), 2000)
        use("c1", "api_calls", date(2025, 1, 20), 3000)
        use("c1", "api_calls", date(2025, 2, 7), 500)
        use("c1", "storage_gb", date(2025, 1, 5), 10)
        use("c1", "storage_gb", date(2025, 1, 6), 20)
        use("c1", "storage_gb", date(2025, 2, 1), 5)
        use("c2", "api_calls", date(2025, 1, 31), 1000)
        use("c2", "api_calls", date(2025, 2, 14), 2500)
        use("c2", "api_calls", date(2025, 3, 1), 10000)
        use("c3", "api_calls", date(2025, 1, 10), 100000)
        use("c3", "api_calls", date(2025, 3, 10), 50000)
        use("c4", "api_calls", date(2025, 2, 10), 999999)
        use("c5", "api_calls", date(2025, 3, 11), 3000)
        # outside the window: ignored
        use("c1", "api_calls", date(2024, 12, 31), 77777)
        use("c1", "api_calls", date(2025, 4, 1), 88888)
        return Catalog(
            product_id=product.id, plan_id=plan.id, v1_id=v1.id,
            meters={k: m.id for k, m in meters.items()},
            features={k: f.id for k, f in features.items()},
            customers={k: c.id for k, c in customers.items()},
            subscriptions={k: sub.id for k, sub in subs.items()},
        )


def set_policy(engine: sa.Engine, value: dict) -> None:
    """Store the approval_thresholds policy setting."""
    with unit_of_work(engine) as s:
        row = s.get(PolicySetting, "approval_thresholds")
        if row is None:
            s.add(PolicySetting(key="approval_thresholds", value=value))
        else:
            row.value = value


def price_id(engine: sa.Engine, version_id: int, name: str, currency: str) -> int:
    """The id of a version's row by name and currency."""
    with unit_of_work(engine) as s:
        return s.execute(sa.select(Price.id).where(
            Price.plan_version_id == version_id, Price.name == name,
            Price.currency == currency)).scalar_one()


def edit_input(engine: sa.Engine, pid: int, **changes):
    """A PriceInput with a stored row's values, with ``changes`` applied."""
    from console.catalog.usecases.price_input import PriceInput

    with unit_of_work(engine) as s:
        p = s.get(Price, pid)
        values = {
            "name": p.name, "kind": p.kind, "charge_model": p.charge_model,
            "properties": dict(p.properties), "currency": p.currency, "meter_id": p.meter_id,
            "region": p.region, "segment": p.segment, "billing_interval": p.billing_interval,
            "pay_in_advance": p.pay_in_advance,
        }
    values.update(changes)
    return PriceInput(**values)


def make_v2(engine: sa.Engine, cat: Catalog, users: dict[str, int]) -> int:
    """Draft v2 by the lead: USD platform fee 120, paid API tier 0.02, EUR API 0.0081."""
    from console.catalog.usecases.drafts import create_draft_from
    from console.catalog.usecases.rate_card_edits import update_price

    lead = actor(users, "monetization_lead")
    with unit_of_work(engine) as s:
        draft = create_draft_from(s, version_id=cat.v1_id, actor=lead)
        draft_id = draft.id
    changes = [
        ("Platform fee", "USD", {"properties": {"amount": "120"}}),
        ("API calls", "USD", {"properties": GRADUATED_V2}),
        ("API calls", "EUR", {"properties": {"amount": "0.0081"}}),
    ]
    for name, cur, change in changes:
        pid = price_id(engine, draft_id, name, cur)
        inp = edit_input(engine, pid, **change)
        with unit_of_work(engine) as s:
            update_price(s, price_id=pid, price=inp, actor=lead)
    return draft_id
