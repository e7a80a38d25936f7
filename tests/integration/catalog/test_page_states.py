"""The catalog pages' event handlers, called like the browser would with a real session:
the author's Approve is hidden *and* refused on the server; a second user approves."""

import asyncio

import pytest
import reflex as rx
import sqlalchemy as sa

import console.app  # noqa: F401  (registers every page and state)
from console import catalog as svc
from console.identity.usecases import signin
from console.identity.usecases.accounts import DEMO_PASSWORD
from models import Approval, AuditEvent, ChangeRequest, PlanVersion
from models.db import read_session
from pages.catalog.change_state import ChangeState
from pages.catalog.state import PlanState
from pages.catalog.version_state import VersionState
from tests.integration.catalog_fixtures import AS_OF, build_catalog, make_v2
from tests.integration.page_states import state_for

pytestmark = pytest.mark.integration


def _token(email: str) -> str:
    return signin.redeem_ticket(signin.local_sign_in(email, DEMO_PASSWORD))


def _loaded(cls: type[rx.State], token: str, path: str) -> rx.State:
    state = state_for(cls, token, path)
    state.load()
    return state


def _approvals(engine, cr_id: int) -> int:
    with read_session(engine) as s:
        return s.execute(sa.select(sa.func.count()).select_from(Approval)
                         .where(Approval.subject_id == cr_id)).scalar_one()


def _submitted(engine, users) -> int:
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    from console.catalog.usecases.submissions import submit_change_request
    from models.db import unit_of_work
    from tests.integration.catalog_fixtures import actor

    with unit_of_work(engine) as s:
        return submit_change_request(s, version_id=v2, reason="Raise list prices",
                                     actor=actor(users, "monetization_lead"), as_of=AS_OF).id


def test_author_sees_no_approve_and_the_server_refuses_it(engine, users):
    cr_id = _submitted(engine, users)
    lead = _token("lead@demo.test")
    page = _loaded(ChangeState, lead, f"/catalog/changes/{cr_id}")
    assert page.found and page.change_id == cr_id and page.status == "pending"
    assert page.can_approve is False and "someone else" in page.approve_blocked
    assert page.can_withdraw is True and page.has_simulation
    result = page.approve({"comment": "looks good to me"})
    assert "someone else" in repr(result) and "someone else" in page.error
    assert _approvals(engine, cr_id) == 0
    with read_session(engine) as s:
        assert s.get(ChangeRequest, cr_id).status == "pending"
        assert not s.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "catalog.change_request.approve")).first()

    reviewer = _loaded(ChangeState, _token("lead2@demo.test"), f"/catalog/changes/{cr_id}")
    assert reviewer.can_approve and reviewer.can_review and not reviewer.can_withdraw
    reviewer.approve({"comment": "ok"})
    assert reviewer.error == "" and reviewer.status == "approved" and reviewer.can_publish
    assert _approvals(engine, cr_id) == 1


def test_reject_needs_a_comment_and_support_is_refused(engine, users):
    cr_id = _submitted(engine, users)
    reviewer = _loaded(ChangeState, _token("finance@demo.test"), f"/catalog/changes/{cr_id}")
    reviewer.reject({"comment": "  "})
    assert "comment" in reviewer.error.lower() and reviewer.status == "pending"
    support = _loaded(ChangeState, _token("support@demo.test"), f"/catalog/changes/{cr_id}")
    assert not support.can_approve and not support.can_review
    support.change_id = cr_id
    assert "not allowed" in repr(support.approve({})).lower()
    assert _approvals(engine, cr_id) == 0


def test_editor_validates_as_you_type_and_saves_a_price(engine, users):
    cat = build_catalog(engine)
    lead = _token("lead@demo.test")
    plan = _loaded(PlanState, lead, f"/catalog/plans/{cat.plan_id}")
    assert plan.found and plan.can_start_draft and plan.prices
    result = plan.start_draft()
    with read_session(engine) as s:
        draft = s.execute(sa.select(PlanVersion.id).where(PlanVersion.status == "draft")
                          ).scalar_one()
    assert f"/catalog/versions/{draft}" in repr(result)
    page = _loaded(VersionState, lead, f"/catalog/versions/{draft}")
    assert page.editable
    fee = next(p for p in page.prices if p.kind == "recurring" and p.currency == "USD")
    page.edit_price(fee.id)
    assert page.editing and page.problem == "" and page.preview
    page.live("props", '{"amount": "-5"}')
    assert page.problem.startswith("properties.amount") and page.preview == []
    page.live("props", '{"amount": "12.50"}')
    assert page.problem == "" and page.preview[1].amount == "$12.50"
    page.save_price({"name": fee.name, "kind": fee.kind, "meter_id": "",
                     "billing_interval": fee.billing_interval, "timing": "advance",
                     "region": "", "segment": "", "minimum": "", "commit": ""})
    assert page.editor_error == "" and not page.editing
    saved = next(p for p in page.prices if p.id == fee.id)
    assert "12.50" in saved.summary or "12.5" in saved.properties_json
    # a finance user sees the draft read-only and cannot change it
    finance = _loaded(VersionState, _token("finance@demo.test"), f"/catalog/versions/{draft}")
    assert not finance.editable
    assert "not allowed" in repr(finance.delete_price(fee.id)).lower()
    assert svc.version(draft).prices == page.prices


def test_submit_runs_as_a_background_task_and_opens_the_change_request(engine, users):
    cat = build_catalog(engine)
    lead = _token("lead@demo.test")
    draft = make_v2(engine, cat, users)
    page = _loaded(VersionState, lead, f"/catalog/versions/{draft}")

    async def drain(form: dict) -> list:
        handler = VersionState.event_handlers["submit_for_approval"].fn
        return [e async for e in handler(page, form)]

    asyncio.run(drain({"reason": "", "months": "3"}))
    assert "reason" in page.submit_error.lower()
    with read_session(engine) as s:
        assert s.get(PlanVersion, draft).status == "draft"
    events = asyncio.run(drain({"reason": "Raise list prices", "months": "6"}))
    assert page.submit_error == "" and not page.submitting and page.submit_progress == 100
    with read_session(engine) as s:
        cr = s.execute(sa.select(ChangeRequest).where(ChangeRequest.plan_version_id == draft)
                       ).scalar_one()
        assert cr.simulation["months"] == 6 and cr.status == "pending"
    assert f"/catalog/changes/{cr.id}" in repr(events)


def test_plan_page_lists_migrations_with_a_scalar_filter(engine, users):
    """A stored filter value that is not a list (as the demo writes) still renders."""
    from models import PlanMigration
    from models.db import unit_of_work

    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    with unit_of_work(engine) as s:
        s.add(PlanMigration(from_version_id=cat.v1_id, to_version_id=v2,
                            customer_filter={"grandfathered": True},
                            preview={"subscriptions": 0}, created_by=users["admin"]))
    plan = _loaded(PlanState, _token("viewer@demo.test"), f"/catalog/plans/{cat.plan_id}")
    assert plan.found and [m.customer_filter for m in plan.migrations] == ["grandfathered: True"]
    assert "not allowed" in repr(plan.start_draft()).lower()
