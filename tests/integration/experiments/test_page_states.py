"""The experiment and rollout pages' event handlers, called like the browser would with a real
session: the author's Approve is refused on the server even if someone crafts the event; a
second lead approves; rollout buttons are re-checked on the server for a viewer."""

import pytest
import reflex as rx
import sqlalchemy as sa

import console.app  # noqa: F401  (registers every page and state)
from console.experiments.usecases.experiment_approvals import request_start
from console.identity.usecases import signin
from console.identity.usecases.accounts import DEMO_PASSWORD
from models import Approval, Experiment, Rollout, RolloutMember
from models.db import read_session, unit_of_work
from pages.experiments.rollout_state import RolloutState
from pages.experiments.state import ExperimentsState, ExperimentState
from pages.session import REFUSED
from tests.integration.experiments.test_experiments import actor, build_world, make_experiment
from tests.integration.page_states import state_for

pytestmark = pytest.mark.integration


def _token(email: str) -> str:
    return signin.redeem_ticket(signin.local_sign_in(email, DEMO_PASSWORD))


def _loaded(cls: type[rx.State], token: str, path: str) -> rx.State:
    state = state_for(cls, token, path)
    state.load()
    return state


def test_the_server_refuses_the_authors_approval_and_accepts_a_second_lead(engine, users):
    world = build_world(engine, customers=6)
    experiment_id = make_experiment(engine, users, world)
    with unit_of_work(engine) as s:
        request_start(s, experiment_id=experiment_id, actor=actor(users, "monetization_lead"),
                      reason="Go")
    author = _loaded(ExperimentState, _token("lead@demo.test"), f"/experiments/{experiment_id}")
    assert author.found and author.status == "draft" and author.has_pending
    assert "someone else" in author.pending_blocked
    result = author.approve({"comment": "mine"})
    assert "someone else" in repr(result) and "someone else" in author.error
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Approval)).scalar() == 0
        assert s.get(Experiment, experiment_id).status == "draft"

    support = state_for(ExperimentState, _token("support@demo.test"),
                         f"/experiments/{experiment_id}")
    assert REFUSED in repr(support.approve({"comment": ""}))

    reviewer = _loaded(ExperimentState, _token("lead2@demo.test"),
                       f"/experiments/{experiment_id}")
    assert reviewer.pending_blocked == ""
    reviewer.approve({"comment": "ok"})
    assert reviewer.error == "" and reviewer.status == "running" and not reviewer.has_pending
    assert [t.action for t in reviewer.timeline][-1] == "experiment.start_approved"


def test_forms_create_drafts_and_rollout_actions_are_rechecked(engine, users):
    world = build_world(engine, customers=20)
    lead = _token("lead@demo.test")
    overview = _loaded(ExperimentsState, lead, "/experiments")
    assert {v.id for v in overview.published} >= {world.v1, world.v2}
    assert world.v1 in {v.id for v in overview.sources}
    bad = overview.create_rollout({"key": "r1", "name": "R", "from_version": str(world.v1),
                                   "to_version": str(world.v2), "stages": "50, 10"})
    assert bad is None and "larger" in overview.rollout_error
    done = overview.create_rollout({"key": "r1", "name": "R", "from_version": str(world.v1),
                                    "to_version": str(world.v2), "stages": "50%, 100",
                                    "timing": "date", "max_dispute_rate": "2"})
    assert "/rollouts/" in repr(done)
    with read_session(engine) as s:
        rollout = s.execute(sa.select(Rollout)).scalar_one()
        assert rollout.guardrails == {"max_dispute_rate": 0.02}

    viewer = _loaded(RolloutState, _token("viewer@demo.test"), f"/rollouts/{rollout.id}")
    assert viewer.found and viewer.status == "draft" and viewer.next_percent == 50
    assert REFUSED in repr(viewer.preview_next({"move_date": ""}))
    assert REFUSED in repr(viewer.pause({"reason": "x"}))

    page = _loaded(RolloutState, lead, f"/rollouts/{rollout.id}")
    page.preview_next({"move_date": page.move_date})
    assert page.preview_shown and page.preview_count == len(page.preview_lines) > 0
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(RolloutMember)).scalar() == 0

    created = overview.create_experiment({
        "key": "form-exp", "name": "From the form", "hypothesis": "h",
        "control_version": str(world.v1), "variant_version": str(world.v2),
        "variant2_version": "", "control_weight": "50", "variant_weight": "50",
        "segment": "smb", "region": "", "currency": "", "audience": "existing",
        "primary_metric": "arpa", "planned_days": "14", "min_sample": "50",
        "max_dispute_rate": "2", "max_churn_delta": ""})
    assert "/experiments/" in repr(created), overview.experiment_error
    with read_session(engine) as s:
        exp = s.execute(sa.select(Experiment).where(Experiment.key == "form-exp")).scalar_one()
    assert (exp.primary_metric, exp.planned_days, exp.min_sample) == ("arpa", 14, 50)
    assert exp.eligibility["segments"] == ["smb"] and not exp.eligibility["new_customers_only"]
    assert exp.guardrails == {"max_dispute_rate": 0.02}


def test_pause_resume_and_withdraw_from_the_experiment_page(engine, users):
    """The page's simple actions: a refusal shows the service's message and changes nothing;
    a success shows the new status, with its audit event."""
    world = build_world(engine, customers=6)
    experiment_id = make_experiment(engine, users, world)
    lead, lead2 = _token("lead@demo.test"), _token("lead2@demo.test")
    with unit_of_work(engine) as s:
        request_start(s, experiment_id=experiment_id, actor=actor(users, "monetization_lead"),
                      reason="Go")
    author = _loaded(ExperimentState, lead, f"/experiments/{experiment_id}")
    assert "withdrawn" in repr(author.withdraw()) and not author.has_pending
    with unit_of_work(engine) as s:
        request_start(s, experiment_id=experiment_id, actor=actor(users, "monetization_lead"),
                      reason="Go again")
    _loaded(ExperimentState, lead2, f"/experiments/{experiment_id}").approve({"comment": "ok"})

    page = _loaded(ExperimentState, lead, f"/experiments/{experiment_id}")
    assert page.status == "running"
    refused = page.pause({"reason": ""})
    assert page.error and page.error in repr(refused)
    with read_session(engine) as s:
        assert s.get(Experiment, experiment_id).status == "running"
    assert "paused" in repr(page.pause({"reason": "Dispute spike"}))
    assert page.error == "" and page.status == "paused"
    assert [t.action for t in page.timeline][-1] == "experiment.pause"
    assert "resumed" in repr(page.resume({"reason": "Spike explained"}))
    with read_session(engine) as s:
        assert s.get(Experiment, experiment_id).status == "running"
