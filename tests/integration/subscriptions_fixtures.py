"""A small catalog for subscription tests: Team and Business (monthly), Flex (priced per month
and per year), a tax rate, and a customer made through the customers use-case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from console.customers import create_customer
from console.kernel.actor import Actor
from models import Entitlement, Feature, PolicySetting, TaxRate
from tests.integration import billing_fixtures as bf

SYSTEM = Actor.system("system:test")
DETAILS = {"name": "Acme GmbH", "email": "billing@acme.test", "address_line1": "Hauptstr. 1",
           "postal_code": "10115", "city": "Berlin", "country": "US", "tax_id": "",
           "currency": "USD", "payment_terms_days": "30", "region": "na", "segment": "smb"}


@dataclass
class World:
    team: int
    business: int
    flex: int
    team_v: int
    business_v: int
    flex_v: int
    customer: int


def world(session: Session, *, threshold_minor: int | None = None) -> World:
    """Build the catalog and one customer (flushes; the caller's unit of work commits)."""
    prod = bf.product(session)
    plans = {}
    for code, fee, seat in (("team", "31.00", "3.10"), ("business", "62.00", "6.20")):
        pl = bf.plan(session, prod, code)
        ver = bf.version(session, pl)
        bf.price(session, ver, name=f"{code} fee", kind="recurring", properties={"amount": fee})
        bf.price(session, ver, name=f"{code} seats", kind="seat", properties={"amount": seat},
                 position=1)
        plans[code] = (pl.id, ver.id)
    flex = bf.plan(session, prod, "flex")
    flex_v = bf.version(session, flex)
    bf.price(session, flex_v, name="flex fee", kind="recurring", properties={"amount": "31.00"})
    bf.price(session, flex_v, name="flex fee", kind="recurring", properties={"amount": "365.00"},
             interval="year")
    sso = Feature(product_id=prod.id, key="sso", name="SSO", kind="boolean")
    seats = Feature(product_id=prod.id, key="seats", name="Seats", kind="limit")
    session.add_all([sso, seats])
    session.flush()
    session.add_all([Entitlement(plan_version_id=plans["team"][1], feature_id=seats.id,
                                 limit_value=10),
                     Entitlement(plan_version_id=plans["business"][1], feature_id=seats.id,
                                 limit_value=50),
                     Entitlement(plan_version_id=plans["business"][1], feature_id=sso.id)])
    session.add(TaxRate(region="na", name="Sales tax", rate="10"))
    if threshold_minor is not None:
        session.add(PolicySetting(key="approval_thresholds",
                                  value={"subscription_mrr_change_minor": threshold_minor}))
    customer = create_customer(session, details=DETAILS, actor=SYSTEM)
    session.flush()
    return World(plans["team"][0], plans["business"][0], flex.id, plans["team"][1],
                 plans["business"][1], flex_v.id, customer.id)


MARCH_1, MARCH_21, MARCH_25 = date(2026, 3, 1), date(2026, 3, 21), date(2026, 3, 25)
