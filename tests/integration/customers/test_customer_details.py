"""Creating customers and editing their billing details: refused field by field with nothing
written, audited, the currency fixed once something was billed in it."""

import pytest
import sqlalchemy as sa

from console import customers
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, FieldErrors, NotAllowed
from models import AuditEvent, Customer
from models.db import read_session, unit_of_work
from tests.integration.subscriptions_fixtures import DETAILS

pytestmark = pytest.mark.integration


def test_create_edit_and_refusals(engine, users) -> None:
    finance = Actor(users["finance"], "finance")
    with pytest.raises(FieldErrors) as err, unit_of_work(engine) as s:
        customers.create_customer(s, details={**DETAILS, "email": "x", "country": "ZZ"},
                                  actor=finance)
    assert set(err.value.errors) == {"email", "country"}
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        customers.create_customer(s, details=DETAILS, actor=Actor(users["support"], "s"))
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one() == 0
    out = customers.create_customer_view(users["admin"], DETAILS, code="acme-1")
    assert out.ok and out.message == "Customer acme-1 created."
    dup = customers.create_customer_view(users["finance"], DETAILS, code="ACME-1")
    assert not dup.ok and "code" in dup.errors
    auto = customers.create_customer_view(users["finance"], {**DETAILS, "name": "Other"})
    with read_session(engine) as s:
        assert s.get(Customer, auto.object_id).code == "CUS-000001"
        version = s.get(Customer, out.object_id).version
    edit = customers.update_customer_view(users["finance"], out.object_id,
                                          {**DETAILS, "city": "Hamburg", "tax_id": ""}, version)
    assert edit.ok
    stale = customers.update_customer_view(users["finance"], out.object_id,
                                           {**DETAILS, "city": "Köln"}, version)
    assert not stale.ok and "changed by someone else" in stale.message
    with read_session(engine) as s:
        c = s.get(Customer, out.object_id)
        assert (c.city, c.legal_name) == ("Hamburg", "Acme GmbH")
        audit = s.execute(sa.select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
                          .where(AuditEvent.object_id == str(c.id),
                                 AuditEvent.object_type == "customer")
                          .order_by(AuditEvent.id)).all()
        assert [a for a, _b, _c in audit] == ["customer.create", "customer.update"]
        assert audit[1][1] == {"city": "Berlin"} and audit[1][2] == {"city": "Hamburg"}


def test_currency_stays_once_billed(engine, users) -> None:
    from datetime import date

    from console import subscriptions
    from console.subscriptions import ChangeKind, ChangeSpec
    from tests.integration.subscriptions_fixtures import world

    with unit_of_work(engine) as s:
        w = world(s)
    with unit_of_work(engine) as s:
        subscriptions.propose_change(s, spec=ChangeSpec(
            ChangeKind.NEW, w.customer, plan_id=w.team, seats=1, interval="month"),
            actor=Actor.system("t"), on=date(2026, 3, 1))
    with pytest.raises((FieldErrors, Conflict)) as err, unit_of_work(engine) as s:
        c = s.get(Customer, w.customer)
        customers.update_customer(s, customer_id=c.id, details={**DETAILS, "currency": "EUR"},
                                  expected_version=c.version, actor=Actor(users["finance"], "f"))
    assert "currency" in str(err.value)
