"""Jobs in Chromium against the real prod build with the scheduler embedded: the server's own
tick runs every job; an admin sees each job's schedule in words, last outcome and next run,
runs one now and changes a schedule (a bad one is refused and changes nothing); finance reads
the page without the buttons. The operator endpoints answer on the same server."""

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from playwright.sync_api import Page, expect
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import query, sign_in
from tests.integration.conftest import alembic_config

pytestmark = pytest.mark.e2e
JOBS = {"dunning": "Payment retries and reminders",
        "experiments-due": "Experiment starts and rollout moves",
        "renewals": "Subscription renewals", "plan-migrations": "Scheduled plan migrations",
        "mrr-ledger": "MRR ledger months", "deliver-webhooks": "Webhook delivery",
        "deliver-messages": "E-mail outbox", "job-history": "Job history upkeep"}


@pytest.fixture(scope="module")
def app(servers):
    return servers.get("local", CONSOLE_SCHEDULER="on", CONSOLE_SCHEDULER_TICK_SECONDS="3")


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _ran(app) -> set[str]:
    return {job for (job,) in query(app.db_url, "SELECT DISTINCT job FROM job_run WHERE "
                                                "status = 'succeeded'")}


def _row(page: Page, job: str):
    return page.locator(f"[data-testid='job-row'][data-job='{job}']")


def _next_daily(hour: int, minute: int) -> str:
    now = datetime.now(UTC)
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= now:
        at += timedelta(days=1)
    return at.strftime("%Y-%m-%d %H:%M UTC")


def test_operator_endpoints_answer_on_the_real_server(app) -> None:
    assert _get(f"{app.url}/health") == (200, json.dumps({"status": "ok"}, separators=(",", ":")))
    status, body = _get(f"{app.url}/ready")
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert status == 200 and json.loads(body)["reason"] == f"database at revision {head}"
    status, body = _get(f"{app.url}/metrics")
    assert status == 200
    names = {f.name for f in text_string_to_metric_families(body)}
    assert {"console_http_requests", "console_job_runs", "console_event_handler_seconds"} <= names


def test_admin_runs_a_job_and_changes_a_schedule_finance_reads(page: Page, app) -> None:
    # The server's embedded tick runs every job once, on its own.
    deadline = time.monotonic() + 120
    while _ran(app) != set(JOBS) and time.monotonic() < deadline:
        time.sleep(1)
    assert _ran(app) == set(JOBS)
    assert query(app.db_url, "SELECT count(*) FROM job_run WHERE trigger = 'schedule'")[0][0] >= 6
    admin_id = query(app.db_url, "SELECT id FROM app_user WHERE email = 'admin@demo.test'")[0][0]

    sign_in(page, app.url, "admin@demo.test", next_path="/jobs")
    expect(page.get_by_test_id("page-title")).to_have_text("Jobs")
    expect(page.get_by_test_id("job-row")).to_have_count(len(JOBS))
    for job, title in JOBS.items():
        expect(_row(page, job).get_by_test_id("job-title")).to_have_text(title)
        expect(_row(page, job).get_by_test_id("job-outcome")).to_have_text("Succeeded")
    dunning = _row(page, "dunning")
    expect(dunning.get_by_test_id("job-schedule")).to_have_text("every day at 02:00 UTC")
    expect(dunning.get_by_test_id("job-next")).to_have_text(_next_daily(2, 0))
    expect(dunning.get_by_test_id("job-last-meta")).to_contain_text("on schedule")
    expect(_row(page, "deliver-webhooks").get_by_test_id("job-schedule")).to_have_text(
        "every minute")

    # Run one now: a background event; the page shows the result in plain words.
    migrations = _row(page, "plan-migrations")
    migrations.get_by_test_id("job-run-now").click()
    result = page.get_by_test_id("job-result")
    expect(result).to_contain_text("Scheduled plan migrations ran in ")
    expect(result).to_contain_text("subscription(s) moved")
    expect(migrations.get_by_test_id("job-last-meta")).to_contain_text(
        "run by admin@demo.test")
    manual = query(app.db_url, "SELECT status, requested_by, summary FROM job_run "
                               "WHERE job = 'plan-migrations' AND trigger = 'manual'")
    assert len(manual) == 1 and manual[0][:2] == ("succeeded", admin_id)
    assert "migration(s) looked at" in manual[0][2]

    # A schedule that cannot be read is refused and changes nothing.
    job_audits = "SELECT count(*) FROM audit_event WHERE action LIKE 'job.%'"
    assert query(app.db_url, job_audits) == [(0,)]
    dunning.get_by_test_id("job-edit-schedule").click()
    page.get_by_test_id("schedule-input").fill("0 6 * * 1")
    page.get_by_test_id("schedule-save").click()
    expect(page.get_by_test_id("schedule-error")).to_contain_text(
        "write weekdays as names (mon, tue, ... sun")
    assert query(app.db_url, "SELECT count(*) FROM job_schedule") == [(0,)]
    assert query(app.db_url, job_audits) == [(0,)]

    page.get_by_test_id("schedule-input").fill("30 4 * * *")
    page.get_by_test_id("schedule-save").click()
    expect(dunning.get_by_test_id("job-schedule")).to_have_text("every day at 04:30 UTC")
    expect(dunning).to_contain_text("changed by an admin")
    expect(dunning.get_by_test_id("job-next")).to_have_text(_next_daily(4, 30))
    assert query(app.db_url, "SELECT job, cron, updated_by FROM job_schedule") == [
        ("dunning", "30 4 * * *", admin_id)]
    changed = query(app.db_url, "SELECT actor_id, before, after FROM audit_event "
                                "WHERE action = 'job.schedule_changed'")
    assert len(changed) == 1 and changed[0][0] == admin_id
    assert json.loads(changed[0][2]) == {"schedule": "30 4 * * *"}
    time.sleep(4)  # a tick later: the new schedule applies from now on, no catch-up run
    assert query(app.db_url, "SELECT count(*) FROM job_run WHERE job = 'dunning'") == [(1,)]
    expect(page.get_by_test_id("job-history")).to_contain_text("run by admin@demo.test")
    screenshot(page, "jobs-admin")

    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/signin**")
    sign_in(page, app.url, "finance@demo.test", next_path="/jobs")
    expect(page.get_by_test_id("job-row")).to_have_count(len(JOBS))
    expect(page.get_by_test_id("job-result")).to_have_count(0)  # the admin's result is gone
    expect(_row(page, "dunning").get_by_test_id("job-schedule")).to_have_text(
        "every day at 04:30 UTC")
    expect(page.get_by_test_id("job-run-now")).to_have_count(0)
    expect(page.get_by_test_id("job-edit-schedule")).to_have_count(0)
    screenshot(page, "jobs-finance")
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/signin**")
    sign_in(page, app.url, "support@demo.test", next_path="/jobs")
    expect(page.get_by_test_id("forbidden")).to_be_visible()


def test_admin_adds_a_webhook_endpoint_and_a_signed_test_event_arrives(page: Page, app) -> None:
    from tests.integration.delivery.receiver import receiver

    with receiver() as r:
        sign_in(page, app.url, "admin@demo.test", next_path="/webhooks")
        expect(page.get_by_test_id("page-title")).to_have_text("Webhooks")
        page.get_by_test_id("endpoint-url").fill("ftp://files.example.com/in")
        page.get_by_test_id("endpoint-add").click()
        expect(page.get_by_test_id("endpoint-error")).to_have_text(
            "url: must start with https:// (or http://)")
        assert query(app.db_url, "SELECT count(*) FROM webhook_endpoint") == [(0,)]

        page.get_by_test_id("endpoint-url").fill(r.url)
        page.get_by_test_id("endpoint-description").fill("provisioning")
        page.get_by_test_id("endpoint-add").click()
        secret = page.get_by_test_id("endpoint-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        r.secret = secret
        assert query(app.db_url, "SELECT url, description, enabled FROM webhook_endpoint") in (
            [(r.url, "provisioning", 1)], [(r.url, "provisioning", True)])
        page.get_by_test_id("endpoint-secret-done").click()
        expect(page.get_by_test_id("endpoint-secret")).to_have_count(0)

        page.get_by_test_id("endpoint-test").click()
        expect(page.get_by_text("Test event delivered.")).to_be_visible()
        expect(page.get_by_test_id("delivery-status").first).to_have_text("Delivered")
        expect(page.get_by_test_id("delivery-result").first).to_have_text("HTTP 200")
        [req] = r.requests
        assert req.verified and req.json["type"] == "webhook.test"
        assert query(app.db_url, "SELECT uid FROM webhook_event") == [(req.msg_id,)]

        page.reload()
        expect(page.get_by_test_id("endpoint-row")).to_have_count(1)
        assert secret not in page.content()
        screenshot(page, "webhooks-admin")
    audit = query(app.db_url, "SELECT action, after FROM audit_event WHERE action LIKE "
                              "'webhook.%' ORDER BY id")
    assert [a for a, _ in audit] == ["webhook.endpoint_created", "webhook.test_sent"]
    assert all(secret not in (after or "") for _, after in audit)
