"""Change requests: submit, maker-checker approval, decisions, publish, audit trail."""

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.catalog.queries.loaders import version_for_new_subscription
from console.catalog.usecases.decisions import approve, reject, request_changes, withdraw
from console.catalog.usecases.publishing import publish
from console.catalog.usecases.rate_card_edits import update_price
from console.catalog.usecases.submissions import submit_change_request
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import Approval, AuditEvent, ChangeRequest, PlanVersion, Subscription
from models.db import read_session, unit_of_work
from tests.integration.catalog_fixtures import (
    AS_OF,
    actor,
    build_catalog,
    edit_input,
    make_v2,
    price_id,
    set_policy,
)

pytestmark = pytest.mark.integration


def _submit(engine, users, version_id, key="monetization_lead", reason="Raise list prices"):
    with unit_of_work(engine) as s:
        return submit_change_request(s, version_id=version_id, reason=reason,
                                     actor=actor(users, key), as_of=AS_OF).id


def _state(engine, cr_id):
    with read_session(engine) as s:
        cr = s.get(ChangeRequest, cr_id)
        version = s.get(PlanVersion, cr.plan_version_id)
        approvals = s.execute(sa.select(Approval).where(Approval.subject_id == cr_id)
                              ).scalars().all()
        return cr.status, version.status, len(approvals), cr.version


def _actions(engine):
    with read_session(engine) as s:
        return s.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()


def test_submit_stores_diff_simulation_and_requirement(engine, users):
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    with pytest.raises(InvalidInput, match="reason"), unit_of_work(engine) as s:
        submit_change_request(s, version_id=v2, reason="  ", as_of=AS_OF,
                              actor=actor(users, "monetization_lead"))
    cr_id = _submit(engine, users, v2)
    with read_session(engine) as s:
        cr = s.get(ChangeRequest, cr_id)
        assert (cr.status, cr.kind, cr.author_id) == ("pending", "price_change",
                                                      users["monetization_lead"])
        assert (cr.required_approvals, cr.requires_finance) == (1, False)
        assert cr.diff["counts"] == {"added": 0, "removed": 0, "changed": 3}
        changed = {p["label"]: p for p in cr.diff["prices"]}
        eur = next(p for label, p in changed.items() if "EUR" in label)
        assert eur["old"]["properties"] == {"amount": "0.009"}
        assert eur["new"]["properties"] == {"amount": "0.0081"}
        assert eur["decrease_pct"] == "10.00"
        assert cr.diff["baseline"] == {"version_id": cat.v1_id, "number": 1}
        assert cr.simulation["totals"][1]["change"] == "+$305.00"
        assert cr.simulation["revenue_change_reporting_minor"] == 45350
        assert s.get(PlanVersion, v2).status == "pending_approval"
    with pytest.raises(NotAllowed, match="pending approval"), unit_of_work(engine) as s:
        pid = price_id(engine, v2, "Seats", "USD")
        update_price(s, price_id=pid, price=edit_input(engine, pid),
                     actor=actor(users, "monetization_lead"))


def test_author_cannot_approve_and_nothing_changes(engine, users):
    cat = build_catalog(engine)
    cr_id = _submit(engine, users, make_v2(engine, cat, users))
    before = _state(engine, cr_id)
    events = len(_actions(engine))
    with pytest.raises(NotAllowed, match="someone else"), unit_of_work(engine) as s:
        approve(s, change_request_id=cr_id, actor=actor(users, "monetization_lead"))
    assert _state(engine, cr_id) == before == ("pending", "pending_approval", 0, 1)
    assert len(_actions(engine)) == events
    for key in ("support", "viewer", "admin"):
        with pytest.raises(NotAllowed), unit_of_work(engine) as s:
            approve(s, change_request_id=cr_id, actor=actor(users, key))
    assert _state(engine, cr_id) == before


def test_approve_publish_flow_with_audit_trail(engine, users):
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    cr_id = _submit(engine, users, v2)
    with unit_of_work(engine) as s:
        approve(s, change_request_id=cr_id, actor=actor(users, "monetization_lead2"),
                comment="looks right")
    assert _state(engine, cr_id)[:3] == ("approved", "approved", 1)
    with pytest.raises(InvalidInput, match="past"), unit_of_work(engine) as s:
        publish(s, change_request_id=cr_id, effective_from=date(2025, 4, 1),
                actor=actor(users, "monetization_lead"), today=AS_OF)
    with unit_of_work(engine) as s:
        publish(s, change_request_id=cr_id, effective_from=date(2025, 5, 1),
                actor=actor(users, "monetization_lead"), today=AS_OF)
    with read_session(engine) as s:
        new, old = s.get(PlanVersion, v2), s.get(PlanVersion, cat.v1_id)
        assert (new.status, new.effective_from, new.published_by) == (
            "published", date(2025, 5, 1), users["monetization_lead"])
        assert (old.status, old.effective_to) == ("retired", date(2025, 4, 30))
        assert s.get(ChangeRequest, cr_id).status == "published"
        subs = s.execute(sa.select(Subscription)).scalars().all()
        assert {sub.grandfathered for sub in subs if sub.status != "canceled"} == {True}
        assert all(sub.plan_version_id == cat.v1_id for sub in subs)
        assert version_for_new_subscription(s, plan_id=cat.plan_id, on=date(2025, 4, 20)
                                            ).id == cat.v1_id
        assert version_for_new_subscription(s, plan_id=cat.plan_id, on=date(2025, 5, 1)
                                            ).id == v2
        checked, broken = verify(s)
        assert broken is None and checked >= 10
    actions = _actions(engine)
    for action in ("catalog.version.create_draft", "catalog.price.update",
                   "catalog.version.submit", "catalog.change_request.submit",
                   "catalog.change_request.approve", "catalog.version.approve",
                   "catalog.version.retire", "catalog.version.publish",
                   "catalog.change_request.publish", "catalog.subscriptions.grandfather"):
        assert action in actions, action
    assert actions.count("catalog.price.update") == 3


def test_large_change_needs_two_approvals_one_from_finance(engine, users):
    cat = build_catalog(engine)
    set_policy(engine, {"catalog_revenue_change_minor": 10_000})  # $100.00
    cr_id = _submit(engine, users, make_v2(engine, cat, users))
    with read_session(engine) as s:
        cr = s.get(ChangeRequest, cr_id)
        assert (cr.required_approvals, cr.requires_finance) == (2, True)
        assert "threshold" in cr.diff["approval"]["reasons"][0]
    with unit_of_work(engine) as s:
        approve(s, change_request_id=cr_id, actor=actor(users, "monetization_lead2"))
    assert _state(engine, cr_id)[:3] == ("pending", "pending_approval", 1)
    with pytest.raises(NotAllowed, match="already approved"), unit_of_work(engine) as s:
        approve(s, change_request_id=cr_id, actor=actor(users, "monetization_lead2"))
    with unit_of_work(engine) as s:
        approve(s, change_request_id=cr_id, actor=actor(users, "finance"))
    assert _state(engine, cr_id)[:3] == ("approved", "approved", 2)


def test_price_cut_over_ten_percent_needs_finance(engine, users):
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    pid = price_id(engine, v2, "Storage", "USD")
    with unit_of_work(engine) as s:
        update_price(s, price_id=pid, price=edit_input(engine, pid, properties={"amount": "0.4"}),
                     actor=actor(users, "monetization_lead"))
    cr_id = _submit(engine, users, v2)
    with read_session(engine) as s:
        cr = s.get(ChangeRequest, cr_id)
        assert (cr.required_approvals, cr.requires_finance) == (2, True)
        assert any("decreases by more than 10%" in r for r in cr.diff["approval"]["reasons"])


def test_reject_request_changes_and_withdraw_return_to_draft(engine, users):
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    cr1 = _submit(engine, users, v2)
    with pytest.raises(InvalidInput, match="comment"), unit_of_work(engine) as s:
        reject(s, change_request_id=cr1, actor=actor(users, "finance"), comment="")
    with pytest.raises(NotAllowed, match="withdraw"), unit_of_work(engine) as s:
        reject(s, change_request_id=cr1, actor=actor(users, "monetization_lead"), comment="x")
    with unit_of_work(engine) as s:
        reject(s, change_request_id=cr1, actor=actor(users, "finance"), comment="Too steep")
    assert _state(engine, cr1)[:3] == ("rejected", "draft", 1)
    cr2 = _submit(engine, users, v2, reason="Second try")
    with unit_of_work(engine) as s:
        request_changes(s, change_request_id=cr2, actor=actor(users, "monetization_lead2"),
                        comment="Keep EUR as is")
    assert _state(engine, cr2)[:3] == ("changes_requested", "draft", 1)
    with read_session(engine) as s:
        row = s.execute(sa.select(Approval).where(Approval.subject_id == cr2)).scalar_one()
        assert (row.decision, row.comment) == ("request_changes", "Keep EUR as is")
    cr3 = _submit(engine, users, v2, reason="Third try")
    with pytest.raises(NotAllowed, match="author"), unit_of_work(engine) as s:
        withdraw(s, change_request_id=cr3, actor=actor(users, "monetization_lead2"))
    with unit_of_work(engine) as s:
        withdraw(s, change_request_id=cr3, actor=actor(users, "monetization_lead"))
    assert _state(engine, cr3)[:3] == ("withdrawn", "draft", 0)
    with pytest.raises(Conflict), unit_of_work(engine) as s:
        approve(s, change_request_id=cr3, actor=actor(users, "finance"))
    actions = _actions(engine)
    assert {"catalog.change_request.reject", "catalog.change_request.request_changes",
            "catalog.change_request.withdraw"} <= set(actions)
    assert actions.count("catalog.version.reopen") == 3
    with read_session(engine) as s:
        assert verify(s)[1] is None


@pytest.mark.postgres
def test_racing_approvers_record_exactly_one_decision(engine, users):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    cat = build_catalog(engine)
    version_id = make_v2(engine, cat, users)
    for _round in range(3):  # the race is repeated: each round must record one decision
        cr_id = _submit(engine, users, version_id)
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def run(key: str, cr_id: int = cr_id, barrier=barrier, outcomes=outcomes) -> None:
            barrier.wait()
            try:
                with unit_of_work(engine) as s:
                    approve(s, change_request_id=cr_id, actor=actor(users, key))
                outcomes[key] = "ok"
            except Conflict:
                outcomes[key] = "conflict"

        threads = [threading.Thread(target=run, args=(k,))
                   for k in ("monetization_lead2", "finance")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes.values()) == ["conflict", "ok"]
        status, version_status, approvals, _ = _state(engine, cr_id)
        assert (status, version_status, approvals) == ("approved", "approved", 1)
        with read_session(engine) as s:
            n = s.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "catalog.change_request.approve",
                AuditEvent.object_id == str(cr_id))).scalar()
            assert n == 1
            assert verify(s)[1] is None
        with unit_of_work(engine) as s:  # back to draft for the next round
            withdraw(s, change_request_id=cr_id, actor=actor(users, "monetization_lead"))


def test_an_editor_of_the_draft_cannot_approve(engine, users):
    cat = build_catalog(engine)
    v2 = make_v2(engine, cat, users)
    pid = price_id(engine, v2, "Seats", "USD")
    with unit_of_work(engine) as s:
        update_price(s, price_id=pid, price=edit_input(engine, pid, properties={"amount": "11"}),
                     actor=actor(users, "monetization_lead2"))
    cr_id = _submit(engine, users, v2)
    with pytest.raises(NotAllowed, match="You edited this draft"), unit_of_work(engine) as s:
        approve(s, change_request_id=cr_id, actor=actor(users, "monetization_lead2"))
    assert _state(engine, cr_id)[:3] == ("pending", "pending_approval", 0)


def test_first_draft_of_a_new_plan(engine, users):
    from console.catalog.usecases.drafts import create_first_draft
    from console.catalog.usecases.price_input import PriceInput
    from console.catalog.usecases.rate_card_edits import add_price
    from models import Plan

    cat = build_catalog(engine)
    with unit_of_work(engine) as s:
        plan = Plan(product_id=cat.product_id, code="starter", name="Starter")
        s.add(plan)
        s.flush()
        plan_id = plan.id
    lead = actor(users, "monetization_lead")
    with pytest.raises(Conflict, match="published version"), unit_of_work(engine) as s:
        create_first_draft(s, plan_id=cat.plan_id, actor=lead)
    with unit_of_work(engine) as s:
        draft = create_first_draft(s, plan_id=plan_id, actor=lead)
        draft_id = draft.id
        assert (draft.number, draft.based_on_id) == (1, None)
    with unit_of_work(engine) as s:
        add_price(s, version_id=draft_id, actor=lead, price=PriceInput(
            name="Platform fee", kind="recurring", charge_model="standard",
            properties={"amount": "19"}, currency="USD"))
    cr_id = _submit(engine, users, draft_id)
    with read_session(engine) as s:
        cr = s.get(ChangeRequest, cr_id)
        assert cr.diff["baseline"] == {"version_id": None, "number": None}
        assert cr.diff["counts"]["added"] == 1 and cr.simulation["customers"] == 0
