"""After publishing: scheduled migrations, rollback, export/import round trip."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.catalog.queries.documents import export_version, export_version_json
from console.catalog.queries.migrations import preview_migration
from console.catalog.usecases.decisions import approve
from console.catalog.usecases.imports import import_version
from console.catalog.usecases.migrations import run_due_migrations, schedule_migration
from console.catalog.usecases.publishing import publish
from console.catalog.usecases.submissions import request_rollback
from console.kernel.errors import Conflict, InvalidInput
from models import AuditEvent, ChangeRequest, PlanMigration, PlanVersion, Subscription
from models import SubscriptionEvent as Event
from models.db import read_session, unit_of_work
from tests.integration.catalog.test_review import _submit
from tests.integration.catalog_fixtures import AS_OF, actor, build_catalog, make_v2

pytestmark = pytest.mark.integration


def _published_v2(engine, users):
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    cr_id = _submit(engine, users, v2)
    with unit_of_work(engine) as s:
        approve(s, change_request_id=cr_id, actor=actor(users, "finance"))
    with unit_of_work(engine) as s:
        publish(s, change_request_id=cr_id, effective_from=date(2025, 5, 1),
                actor=actor(users, "monetization_lead"), today=AS_OF)
    return cat, v2


def test_migration_preview_schedule_and_run(engine, users):
    cat, v2 = _published_v2(engine, users)
    lead = actor(users, "monetization_lead")
    with read_session(engine) as s:
        preview = preview_migration(s, from_version_id=cat.v1_id, to_version_id=v2,
                                    customer_filter={"currency": "USD"}, timing="date",
                                    effective_date=date(2025, 5, 1), today=AS_OF)
    assert [(ln.customer_code, ln.mrr_before_minor, ln.mrr_after_minor)
            for ln in preview.lines] == [("C1", 12000, 14000), ("C2", 15000, 17000),
                                         ("C5", 11000, 13000)]
    assert [(t.currency, t.change) for t in preview.totals] == [("USD", "+$60.00")]
    with read_session(engine) as s:
        enterprise = preview_migration(s, from_version_id=cat.v1_id, to_version_id=v2,
                                       customer_filter={"segment": ["enterprise"]},
                                       today=AS_OF)
        assert [ln.customer_code for ln in enterprise.lines] == ["C2"]
        assert enterprise.lines[0].move_on == date(2025, 5, 1)  # day after the period end
        with pytest.raises(InvalidInput, match="unknown key"):
            preview_migration(s, from_version_id=cat.v1_id, to_version_id=v2,
                              customer_filter={"plan": 1}, today=AS_OF)
        with pytest.raises(Conflict, match="published"):
            preview_migration(s, from_version_id=v2, to_version_id=cat.v1_id, today=AS_OF)
    with unit_of_work(engine) as s:
        migration_id = schedule_migration(
            s, from_version_id=cat.v1_id, to_version_id=v2, actor=lead,
            customer_filter={"currency": "USD"}, timing="date",
            effective_date=date(2025, 5, 1), today=AS_OF).id
    with unit_of_work(engine) as s:
        early = run_due_migrations(s, today=date(2025, 4, 30), actor=lead)
    assert early.moved == 0
    from console.kernel.actor import Actor

    with unit_of_work(engine) as s:
        run = run_due_migrations(s, today=date(2025, 5, 1), actor=Actor.system("system:cli"))
    assert (run.migrations, run.moved, run.completed) == (1, 3, 1)
    with unit_of_work(engine) as s:
        assert run_due_migrations(s, today=date(2025, 5, 2), actor=lead).moved == 0
    with read_session(engine) as s:
        assert s.get(PlanMigration, migration_id).status == "completed"
        subs = {sub.id: sub for sub in s.execute(sa.select(Subscription)).scalars()}
        moved = [subs[cat.subscriptions[k]] for k in ("c1", "c2", "c5")]
        assert {(m.plan_version_id, m.grandfathered) for m in moved} == {(v2, False)}
        assert [m.mrr_minor for m in moved] == [14000, 17000, 13000]
        eur = subs[cat.subscriptions["c3"]]
        assert (eur.plan_version_id, eur.grandfathered) == (cat.v1_id, True)
        events = s.execute(sa.select(Event).where(Event.kind == "migrate")
                           .order_by(Event.subscription_id)).scalars().all()
        assert [(e.mrr_before_minor, e.mrr_after_minor, e.mrr_delta_minor, e.occurred_on)
                for e in events] == [(12000, 14000, 2000, date(2025, 5, 1)),
                                     (15000, 17000, 2000, date(2025, 5, 1)),
                                     (11000, 13000, 2000, date(2025, 5, 1))]
        n = s.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "subscription.migrate")).scalar()
        assert n == 3
        assert verify(s)[1] is None


def test_rollback_creates_a_rollback_change_request(engine, users):
    cat, _v2 = _published_v2(engine, users)
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        request_rollback(s, plan_id=cat.plan_id, reason="",
                         actor=actor(users, "monetization_lead"))
    with unit_of_work(engine) as s:
        cr = request_rollback(s, plan_id=cat.plan_id, reason="Conversion dropped",
                              actor=actor(users, "monetization_lead"), as_of=AS_OF)
        cr_id, v3 = cr.id, cr.plan_version_id
    with read_session(engine) as s:
        cr = s.get(ChangeRequest, cr_id)
        version = s.get(PlanVersion, v3)
        assert (cr.kind, cr.status, version.status, version.number, version.based_on_id) == (
            "rollback", "pending", "pending_approval", 3, cat.v1_id)
        assert cr.diff["baseline"]["number"] == 2 and cr.diff["counts"]["changed"] == 3
        # rolling back cuts the USD platform fee 120 -> 100 (-16.7%): finance must approve
        assert cr.requires_finance
    with read_session(engine) as s:
        assert export_version(s, version_id=v3)["charges"] == export_version(
            s, version_id=cat.v1_id)["charges"]
    with pytest.raises(Conflict, match="open version"), unit_of_work(engine) as s:
        request_rollback(s, plan_id=cat.plan_id, reason="again",
                         actor=actor(users, "monetization_lead"))


def test_export_import_round_trip(engine, users):
    cat, v2 = _published_v2(engine, users)
    with read_session(engine) as s:
        text_v1 = export_version_json(s, version_id=cat.v1_id)
    doc = json.loads(text_v1)
    assert doc["plan"] == {"code": "pro", "name": "Pro", "description": "",
                           "interval": "monthly", "product_code": "platform"}
    api = next(c for c in doc["charges"] if c["invoice_display_name"] == "API calls"
               and c["amount_currency"] == "USD")
    assert api["billable_metric_code"] == "api_calls" and api["charge_model"] == "graduated"
    assert doc["entitlements"] == [
        {"feature_code": "projects", "enabled": True, "limit": 10},
        {"feature_code": "sso", "enabled": True, "limit": None}]
    bad = json.loads(text_v1)
    bad["charges"][0]["properties"] = {"amount": "-5"}
    with pytest.raises(InvalidInput, match=r"charges\[0\]\.properties\.amount"), \
            unit_of_work(engine) as s:
        import_version(s, document=bad, reason="x", actor=actor(users, "monetization_lead"))
    with read_session(engine) as s:
        published = export_version_json(s, version_id=v2)
    with pytest.raises(InvalidInput, match="identical"), unit_of_work(engine) as s:
        import_version(s, document=published, reason="x",
                       actor=actor(users, "monetization_lead"))
    with unit_of_work(engine) as s:
        cr = import_version(s, document=text_v1, reason="Restore from file",
                            actor=actor(users, "monetization_lead"), as_of=AS_OF)
        cr_id, v3 = cr.id, cr.plan_version_id
    with read_session(engine) as s:
        cr = s.get(ChangeRequest, cr_id)
        assert (cr.kind, cr.status) == ("import", "pending")
        assert s.get(PlanVersion, v3).status == "pending_approval"
        assert export_version_json(s, version_id=v3) == text_v1
        assert any(e == "catalog.version.import" for e in s.execute(
            sa.select(AuditEvent.action)).scalars())
