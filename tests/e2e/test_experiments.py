"""Experiments and rollouts in Chromium: a monetization lead defines an experiment on a demo
plan and asks to start it (the revenue simulation runs first); the author cannot approve; a
second lead approves and results appear per arm. A rollout then advances two stages, a forced
guardrail breach (disputes among moved customers) pauses it, and the rollback returns every
moved customer to the previous version (checked in the database)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from console.experiments.domain import in_rollout_stage
from models import Dispute
from models.db import make_engine, unit_of_work
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import query, sign_in

pytestmark = pytest.mark.e2e

EXPERIMENT_KEY = "e2e-team-seats"
ROLLOUT_KEY = "e2e-team-v3"


@pytest.fixture(scope="module")
def app(servers):
    return servers.get("local")


def _id_of(url: str) -> int:
    return int(url.split("?")[0].rstrip("/").rsplit("/", 1)[-1])


def _sign_out(page: Page) -> None:
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/signin**")


def _team_versions(app) -> tuple[int, int]:
    rows = query(app.db_url, "SELECT v.number, v.id FROM plan_version v JOIN plan p ON "
                 "p.id = v.plan_id WHERE p.code = 'team' AND v.status = 'published' "
                 "ORDER BY v.number")
    published = dict(rows)
    return published[2], published[3]


def _stage_members(app, from_version: int, percent: int) -> set[int]:
    rows = query(app.db_url, "SELECT id, customer_id FROM subscription WHERE plan_version_id = :v "
                 "AND status IN ('trialing', 'active', 'past_due') AND grandfathered = 0",
                 v=from_version)
    return {sid for sid, cid in rows if in_rollout_stage(ROLLOUT_KEY, str(cid), percent)}


def test_experiment_start_needs_a_second_person_and_shows_results(page: Page, app) -> None:
    control, variant = _team_versions(app)
    sign_in(page, app.url, "lead@demo.test", next_path="/experiments")
    expect(page.get_by_test_id("page-title")).to_have_text("Experiments")
    expect(page.get_by_test_id("experiment-row")).to_have_count(
        query(app.db_url, "SELECT count(*) FROM experiment")[0][0])
    expect(page.get_by_test_id("rollout-row")).to_have_count(
        query(app.db_url, "SELECT count(*) FROM rollout")[0][0])
    screenshot(page, "experiments-overview")

    page.get_by_test_id("new-experiment").click()
    form = page.get_by_test_id("experiment-form")
    expect(form).to_be_visible()
    page.get_by_test_id("exp-key").fill(EXPERIMENT_KEY)
    page.get_by_test_id("exp-name").fill("Team: fewer seats, higher fee (e2e)")
    page.get_by_test_id("exp-hypothesis").fill("Team v3 keeps conversion at a higher ARPA.")
    page.get_by_test_id("exp-control").select_option(str(control))
    page.get_by_test_id("exp-variant").select_option(str(variant))
    page.get_by_test_id("exp-audience").select_option("existing")
    page.get_by_test_id("exp-metric").select_option("arpa")
    page.get_by_test_id("exp-min-sample").fill("3")
    screenshot(page, "experiments-new-form")
    page.get_by_test_id("exp-create").click()
    page.wait_for_url(re.compile(r".*/experiments/\d+/?$"))
    experiment_id = _id_of(page.url)
    expect(page.get_by_test_id("experiment-status")).to_have_text("Draft")
    expect(page.get_by_test_id("arm-row")).to_have_count(2)
    assert query(app.db_url, "SELECT status, key FROM experiment WHERE id = :e",
                 e=experiment_id) == [("draft", EXPERIMENT_KEY)]

    # ask to start: the simulation runs in the background and goes with the request
    page.get_by_test_id("start-reason").fill("Simulation reviewed; ready to learn")
    page.get_by_test_id("request-start").click()
    expect(page.get_by_test_id("pending-request")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("approve-blocked")).to_contain_text("someone else")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    expect(page.get_by_test_id("sim-row").first).to_be_visible()
    screenshot(page, "experiment-pending-author")
    (kind, status, payload), = query(
        app.db_url, "SELECT kind, status, payload FROM approval_request WHERE "
        "subject_type = 'experiment' AND subject_id = :e", e=experiment_id)
    assert (kind, status) == ("experiment_start", "pending") and "simulation" in payload
    _sign_out(page)

    # a second monetization lead approves on the server-checked form
    sign_in(page, app.url, "lead2@demo.test", next_path=f"/experiments/{experiment_id}")
    expect(page.get_by_test_id("pending-request")).to_be_visible()
    expect(page.get_by_test_id("approve-blocked")).to_have_count(0)
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("experiment-status")).to_have_text("Running")
    assert query(app.db_url, "SELECT status FROM experiment WHERE id = :e",
                 e=experiment_id) == [("running",)]
    assert query(app.db_url, "SELECT a.decision, u.email FROM approval a JOIN app_user u ON "
                 "u.id = a.approver_id JOIN approval_request r ON r.id = a.subject_id AND "
                 "a.subject_type = 'approval_request' WHERE r.subject_id = :e",
                 e=experiment_id) == [("approve", "lead2@demo.test")]

    # results per arm (customers enrolled by the refresh, counted per arm)
    page.get_by_test_id("refresh-results").click()
    expect(page.get_by_test_id("result-row")).to_have_count(2, timeout=60_000)
    expect(page.get_by_test_id("comparison-row").first).to_be_visible()
    expect(page.get_by_test_id("result-charts").locator(".js-plotly-plot").first).to_be_visible(
        timeout=30_000)
    expect(page.get_by_test_id("sample-badge")).to_be_visible()
    assigned = query(app.db_url, "SELECT r.name, count(*) FROM experiment_assignment a JOIN "
                     "experiment_arm r ON r.id = a.arm_id WHERE a.experiment_id = :e "
                     "GROUP BY r.name ORDER BY r.name", e=experiment_id)
    assert [name for name, _n in assigned] == ["control", "variant"]
    for name, n in assigned:
        expect(page.get_by_test_id("result-row").filter(has_text=name).first).to_contain_text(
            str(n))
    # nobody is in two running experiments on the Team plan
    assert query(app.db_url, "SELECT count(*) FROM (SELECT a.customer_id FROM "
                 "experiment_assignment a JOIN experiment e ON e.id = a.experiment_id WHERE "
                 "e.plan_id = (SELECT plan_id FROM experiment WHERE id = :e) AND e.status IN "
                 "('running', 'paused') GROUP BY a.customer_id HAVING count(*) > 1) t",
                 e=experiment_id) == [(0,)]
    expect(page.get_by_test_id("timeline-row")).to_have_count(
        query(app.db_url, "SELECT count(*) FROM audit_event WHERE (object_type = 'experiment' "
              "AND object_id = :e) OR (object_type = 'approval_request' AND object_id IN "
              "(SELECT CAST(id AS TEXT) FROM approval_request WHERE subject_type = 'experiment' "
              "AND subject_id = :i))", e=str(experiment_id), i=experiment_id)[0][0])
    page.wait_for_timeout(500)
    screenshot(page, "experiment-running-results")
    _sign_out(page)


def test_rollout_two_stages_guardrail_pause_and_rollback(page: Page, app) -> None:
    source, target = _team_versions(app)
    sign_in(page, app.url, "lead@demo.test", next_path="/experiments")
    page.get_by_test_id("new-rollout").click()
    expect(page.get_by_test_id("rollout-form")).to_be_visible()
    page.get_by_test_id("ro-key").fill(ROLLOUT_KEY)
    page.get_by_test_id("ro-name").fill("Team v2 customers to v3 (e2e)")
    page.get_by_test_id("ro-from").select_option(str(source))
    page.get_by_test_id("ro-to").select_option(str(target))
    page.get_by_test_id("ro-stages").fill("25, 50, 100")
    page.get_by_test_id("ro-timing").select_option("date")
    page.get_by_test_id("ro-guard-dispute").fill("3")
    page.get_by_test_id("ro-create").click()
    page.wait_for_url(re.compile(r".*/rollouts/\d+/?$"))
    rollout_id = _id_of(page.url)
    expect(page.get_by_test_id("rollout-status")).to_have_text("Draft")
    expect(page.get_by_test_id("stage-row")).to_have_count(3)

    expected = {1: _stage_members(app, source, 25), 2: _stage_members(app, source, 50)}
    for position in (1, 2):
        page.get_by_test_id("preview-stage").click()
        expect(page.get_by_test_id("stage-preview")).to_be_visible()
        new = expected[position] - (expected[1] if position == 2 else set())
        expect(page.get_by_test_id("preview-line")).to_have_count(len(new))
        screenshot(page, f"rollout-preview-stage{position}")
        page.get_by_test_id("confirm-stage").click()
        expect(page.get_by_test_id("stage-row").nth(position - 1)).to_contain_text(
            "Completed", timeout=60_000)
        expect(page.get_by_test_id("moved-count")).to_have_text(str(len(expected[position])))
    expect(page.get_by_test_id("rollout-status")).to_have_text("Running")
    moved = {sid for (sid,) in query(app.db_url, "SELECT subscription_id FROM rollout_member "
                                     "WHERE rollout_id = :r", r=rollout_id)}
    assert moved == expected[2] and moved
    assert {v for (v,) in query(app.db_url, "SELECT DISTINCT s.plan_version_id FROM "
                                "subscription s JOIN rollout_member m ON m.subscription_id "
                                "= s.id WHERE m.rollout_id = :r", r=rollout_id)} == {target}
    expect(page.get_by_test_id("member-row")).to_have_count(len(moved))
    expect(page.get_by_test_id("guardrail-charts").locator(".js-plotly-plot").first
           ).to_be_visible(timeout=30_000)
    screenshot(page, "rollout-two-stages")

    # force a breach: disputes opened by customers who moved
    customers = [cid for (cid,) in query(
        app.db_url, "SELECT customer_id FROM rollout_member WHERE rollout_id = :r "
        "ORDER BY id", r=rollout_id)]
    now = datetime.now(UTC)
    engine = make_engine(app.db_url)
    try:
        with unit_of_work(engine) as s:
            for cid in customers[:2]:
                s.add(Dispute(customer_id=cid, reason="price_plan_mismatch",
                              description="Charged the new price (e2e)", currency="USD",
                              opened_at=now, response_due_at=now + timedelta(days=2)))
    finally:
        engine.dispose()
    page.get_by_test_id("check-guardrails").click()
    expect(page.get_by_test_id("rollout-paused")).to_contain_text("Dispute rate",
                                                                  timeout=60_000)
    expect(page.get_by_test_id("rollout-status")).to_have_text("Paused")
    expect(page.get_by_test_id("preview-stage")).to_have_count(0)
    (status, reason), = query(app.db_url, "SELECT status, paused_reason FROM rollout "
                              "WHERE id = :r", r=rollout_id)
    assert status == "paused" and reason.startswith("Guardrail breached after stage 2")
    assert query(app.db_url, "SELECT count(*) FROM audit_event WHERE action = "
                 "'rollout.paused_by_guardrail' AND object_id = :r",
                 r=str(rollout_id)) == [(1,)]
    screenshot(page, "rollout-paused-by-guardrail")

    # roll back: every moved customer returns to the version it came from, in one step
    page.get_by_test_id("rollback-reason").fill("Disputes up among moved customers")
    page.get_by_test_id("rollback").click()
    expect(page.get_by_test_id("rollout-status")).to_have_text("Rolled back", timeout=60_000)
    expect(page.get_by_test_id("rolled-back-count")).to_have_text(str(len(moved)))
    rows = query(app.db_url, "SELECT s.plan_version_id, m.from_version_id, m.rolled_back_on "
                 "FROM rollout_member m JOIN subscription s ON s.id = m.subscription_id "
                 "WHERE m.rollout_id = :r", r=rollout_id)
    assert len(rows) == len(moved)
    assert all(v == frm == source and back is not None for v, frm, back in rows)
    back_events = query(app.db_url, "SELECT count(*) FROM subscription_event WHERE kind = "
                        "'migrate' AND from_version_id = :t AND to_version_id = :s AND "
                        "note LIKE 'rollback%'", t=target, s=source)
    assert back_events == [(len(moved),)]
    screenshot(page, "rollout-rolled-back")
    _sign_out(page)

    # a viewer sees the rollout but none of its buttons (and the server would refuse anyway)
    sign_in(page, app.url, "viewer@demo.test", next_path=f"/rollouts/{rollout_id}")
    expect(page.get_by_test_id("rollout-name")).to_be_visible()
    expect(page.get_by_test_id("rollout-actions")).to_have_count(0)
    expect(page.get_by_test_id("timeline-row").first).to_be_visible()
    screenshot(page, "rollout-viewer")
    _sign_out(page)
