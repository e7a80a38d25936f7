"""Customer search with filters, sorting and server-side pagination; the detail view."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from console.customers.queries.customer_detail import customer_detail
from console.customers.queries.customer_search import CustomerFilter, search_customers
from console.kernel.errors import NotFound
from models import (
    Customer,
    Dispute,
    Invoice,
    Meter,
    Plan,
    PlanVersion,
    Product,
    Subscription,
    SubscriptionEvent,
    UsageDaily,
)
from models.db import read_session, unit_of_work

pytestmark = pytest.mark.integration


def _customers(engine, n: int) -> None:
    rows = [{"code": f"CUS-{i:06d}", "name": f"Company {i:03d}", "email": f"b{i}@c{i}.test",
             "segment": ["smb", "mid_market", "enterprise"][i % 3],
             "region": ["na", "emea"][i % 2], "country": "US", "currency": ["USD", "EUR"][i % 2],
             "payment_terms_days": 30, "status": "active", "credit_balance_minor": 0,
             "mrr_minor": i * 100, "tax_exempt": False, "version": 1,
             "created_at": datetime(2025, 1, 1 + i % 28, tzinfo=UTC)} for i in range(n)]
    with unit_of_work(engine) as s:
        s.execute(sa.insert(Customer), rows)


def test_filters_sort_and_pages(engine) -> None:
    _customers(engine, 130)
    with read_session(engine) as s:
        first = search_customers(s, CustomerFilter(), page=0, page_size=50)
        assert (first.total, first.pages, len(first.rows)) == (130, 3, 50)
        last = search_customers(s, CustomerFilter(), page=2, page_size=50)
        assert len(last.rows) == 30 and last.rows[-1].name == "Company 129"
        clamped = search_customers(s, CustomerFilter(), page=99, page_size=50)
        assert clamped.page == 2
        ent = search_customers(s, CustomerFilter(segment="enterprise", region="emea"), page=0)
        # i % 3 == 2 and i % 2 == 1  ->  i % 6 == 5: 5, 11, ..., 125
        assert ent.total == 21 and {r.segment for r in ent.rows} == {"enterprise"}
        found = search_customers(s, CustomerFilter(text="cus-000042"), page=0)
        assert [r.code for r in found.rows] == ["CUS-000042"]
        top = search_customers(s, CustomerFilter(sort="mrr", descending=True), page=0)
        assert top.rows[0].code == "CUS-000129" and top.rows[0].mrr == "€129.00"


def test_detail_brings_everything_together(engine) -> None:
    _customers(engine, 1)
    with unit_of_work(engine) as s:
        c = s.execute(sa.select(Customer)).scalar_one()
        prod = Product(code="p", name="P")
        s.add(prod)
        s.flush()
        plan = Plan(product_id=prod.id, code="team", name="Team")
        s.add(plan)
        s.flush()
        v = PlanVersion(plan_id=plan.id, number=2, status="published")
        meter = Meter(code="api", name="API calls", event_type="api_call", aggregation="sum")
        s.add_all([v, meter])
        s.flush()
        sub = Subscription(customer_id=c.id, plan_id=plan.id, plan_version_id=v.id,
                           status="active", currency="USD", seats=3, started_on=date(2026, 1, 1),
                           current_period_start=date(2026, 11, 1),
                           current_period_end=date(2026, 11, 30), mrr_minor=9900)
        s.add(sub)
        s.flush()
        s.add(SubscriptionEvent(subscription_id=sub.id, customer_id=c.id, kind="new",
                                occurred_on=date(2026, 1, 1), to_version_id=v.id,
                                currency="USD", mrr_after_minor=9900, mrr_delta_minor=9900))
        s.add(Invoice(customer_id=c.id, subscription_id=sub.id, period_start=date(2026, 10, 1),
                      period_end=date(2026, 10, 31), currency="USD", status="issued",
                      number="INV-2026-000001", total_minor=12000, paid_minor=2000))
        s.add(Dispute(customer_id=c.id, reason="usage_disagreement", description="too many",
                      amount_minor=500, currency="USD", opened_at=datetime(2026, 11, 2,
                                                                           tzinfo=UTC),
                      response_due_at=datetime(2026, 11, 5, tzinfo=UTC)))
        s.add(UsageDaily(customer_id=c.id, meter_id=meter.id, day=date(2026, 11, 20),
                         quantity_micro=1_500_000, max_micro=1_500_000, events=2))
        cid = c.id
    with read_session(engine) as s:
        d = customer_detail(s, cid, today=date(2026, 11, 21))
        assert d.subscriptions[0].version == "Team v2" and d.subscriptions[0].seats == 3
        assert d.timeline[0].kind == "New" and d.timeline[0].mrr_delta == "+$99.00"
        assert d.invoices[0].balance == "$100.00"
        assert d.disputes[0].reason == "usage disagreement"
        assert d.usage[0].quantity == 1.5 and d.usage[0].meter == "API calls"
        with pytest.raises(NotFound):
            customer_detail(s, 999_999)


def test_payment_terms_change_is_checked_versioned_and_audited(engine, users) -> None:
    from console.customers.usecases.payment_terms import update_payment_terms
    from console.kernel.errors import Conflict, InvalidInput, NotAllowed
    from models import AuditEvent

    _customers(engine, 1)
    with read_session(engine) as s:
        c = s.execute(sa.select(Customer)).scalar_one()
    with pytest.raises(NotAllowed):
        update_payment_terms(users["support"], customer_id=c.id, days=60, reason="asked",
                             expected_version=c.version)
    with pytest.raises(InvalidInput):
        update_payment_terms(users["finance"], customer_id=c.id, days=61, reason="x",
                             expected_version=c.version)
    update_payment_terms(users["finance"], customer_id=c.id, days=60, reason="enterprise deal",
                         expected_version=c.version)
    with pytest.raises(Conflict, match="changed by someone else"):
        update_payment_terms(users["finance2"], customer_id=c.id, days=15, reason="late",
                             expected_version=c.version)
    with read_session(engine) as s:
        assert s.get(Customer, c.id).payment_terms_days == 60
        ev = s.execute(sa.select(AuditEvent).where(AuditEvent.action == "customer.payment_terms")
                       ).scalars().all()
        assert len(ev) == 1 and ev[0].before == {"payment_terms_days": 30}
        assert ev[0].actor_id == users["finance"] and ev[0].reason == "enterprise deal"
