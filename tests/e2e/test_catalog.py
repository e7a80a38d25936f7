"""Catalog and pricing in Chromium: a monetization lead changes a published price (new draft,
validation as you type, sample prices), submits it; the author cannot approve; finance reviews
the diff and the simulation, approves and publishes with an effective date."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import query, sign_in

pytestmark = pytest.mark.e2e

REASON = "Charge a small platform fee on Free (e2e)"


@pytest.fixture(scope="module")
def app(servers):
    return servers.get("local")


def _id_of(url: str) -> int:
    return int(url.split("?")[0].rstrip("/").rsplit("/", 1)[-1])


def _properties(page: Page):
    box = page.get_by_test_id("price-properties")
    inner = box.locator("textarea")
    return inner if inner.count() else box


def _sign_out(page: Page) -> None:
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/signin**")


def test_lead_changes_a_price_and_finance_approves_and_publishes(page: Page, app) -> None:
    sign_in(page, app.url, "lead@demo.test", next_path="/catalog")
    expect(page.get_by_test_id("page-title")).to_have_text("Catalog & pricing")
    plans = query(app.db_url, "SELECT count(*) FROM plan")[0][0]
    expect(page.get_by_test_id("plan-row")).to_have_count(plans)
    expect(page.get_by_test_id("pending-row")).to_have_count(
        query(app.db_url, "SELECT count(*) FROM change_request WHERE status = 'pending'")[0][0])
    expect(page.get_by_test_id("import-card")).to_be_visible()
    screenshot(page, "catalog-overview")

    # the plan page: versions, rate card, actions
    page.get_by_test_id("plan-link").filter(has_text="Free").click()
    page.wait_for_url("**/catalog/plans/*")
    expect(page.get_by_test_id("plan-name")).to_have_text("Free")
    published = query(app.db_url, "SELECT v.id FROM plan_version v JOIN plan p ON p.id = "
                      "v.plan_id WHERE p.code = 'free' AND v.status = 'published'")[0][0]
    rows = query(app.db_url, "SELECT count(*) FROM price WHERE plan_version_id = :v",
                 v=published)[0][0]
    expect(page.get_by_test_id("price-row")).to_have_count(rows)
    expect(page.get_by_test_id("version-row")).to_have_count(2)
    page.get_by_test_id("currency-filter").select_option("USD")
    expect(page.get_by_test_id("price-row")).to_have_count(rows // 3)
    screenshot(page, "catalog-plan")
    with page.expect_download() as download:
        page.get_by_test_id("export-json").click()
    exported = json.loads(open(download.value.path()).read())
    assert exported["plan"]["code"] == "free"

    # Edit (new draft) -> the draft editor
    page.get_by_test_id("start-draft").click()
    page.wait_for_url("**/catalog/versions/*")
    draft = _id_of(page.url)
    expect(page.get_by_test_id("version-status")).to_contain_text("Draft")
    fee = page.get_by_test_id("price-row").filter(has_text="Free platform fee").filter(
        has_text="USD")
    fee.get_by_test_id("edit-price").click()
    expect(page.get_by_test_id("price-editor")).to_be_visible()
    expect(page.get_by_test_id("price-valid")).to_be_visible()
    props = _properties(page)
    props.fill('{"amount": "-5"}')
    expect(page.get_by_test_id("price-problem")).to_contain_text(
        "properties.amount: must not be negative")
    expect(page.get_by_test_id("preview-row")).to_have_count(0)
    screenshot(page, "catalog-version-invalid")
    props.fill('{"amount": "5"}')
    expect(page.get_by_test_id("price-valid")).to_be_visible()
    expect(page.get_by_test_id("preview-row").nth(1)).to_contain_text("$5.00")
    expect(page.get_by_test_id("preview-row").nth(2)).to_contain_text("$50.00")
    screenshot(page, "catalog-version-editor")
    page.get_by_test_id("save-price").click()
    expect(page.get_by_test_id("price-editor")).to_have_count(0)
    expect(fee).to_contain_text("5 USD per month")
    saved = query(app.db_url, "SELECT properties FROM price WHERE plan_version_id = :v AND "
                  "name = 'Free platform fee' AND currency = 'USD'", v=draft)[0][0]
    assert json.loads(saved) == {"amount": "5"}

    # submit with a reason; the simulation runs in the background with a progress bar
    page.get_by_test_id("submit-reason").fill(REASON)
    page.get_by_test_id("submit-months").select_option("6")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/catalog/changes/*", timeout=120_000)
    cr = _id_of(page.url)
    expect(page.get_by_test_id("change-status")).to_contain_text("Pending")
    expect(page.get_by_test_id("change-reason")).to_have_text(REASON)
    expect(page.get_by_test_id("approve-blocked")).to_contain_text("someone else")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    expect(page.get_by_test_id("withdraw")).to_be_visible()
    expect(page.get_by_test_id("sim-note")).to_contain_text("6 months")
    expect(page.get_by_test_id("sim-histogram").locator(".js-plotly-plot")).to_be_visible()
    screenshot(page, "catalog-change-author")
    assert query(app.db_url, "SELECT status, author_id FROM change_request WHERE id = :c",
                 c=cr) == [("pending", query(app.db_url, "SELECT id FROM app_user WHERE "
                                                         "email = 'lead@demo.test'")[0][0])]
    _sign_out(page)

    # finance: the review queue -> diff, simulation, policy -> approve -> publish
    sign_in(page, app.url, "finance@demo.test", next_path="/catalog")
    page.get_by_test_id("pending-row").filter(has_text=REASON).get_by_test_id(
        "change-link").click()
    page.wait_for_url(f"**/catalog/changes/{cr}")
    expect(page.get_by_test_id("diff-row")).to_have_count(1)
    expect(page.get_by_test_id("diff-row")).to_contain_text("Free platform fee")
    expect(page.get_by_test_id("diff-row")).to_contain_text("5 USD per month")
    expect(page.get_by_test_id("sim-total-row").first).to_be_visible()
    expect(page.get_by_test_id("sim-top-row").first).to_be_visible()
    expect(page.get_by_test_id("sim-histogram").locator(".js-plotly-plot")).to_be_visible()
    expect(page.get_by_test_id("requirement")).to_contain_text("1 approval")
    expect(page.get_by_test_id("withdraw")).to_have_count(0)
    screenshot(page, "catalog-change-review")
    page.get_by_test_id("rerun-months").select_option("3")
    page.get_by_test_id("rerun").click()
    expect(page.get_by_test_id("sim-note")).to_contain_text("Re-run just now over 3 months",
                                                             timeout=60_000)
    page.get_by_test_id("approve-comment").fill("Small change, fine for finance")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("change-status")).to_contain_text("Approved")
    expect(page.get_by_test_id("approval-row")).to_contain_text("Small change")
    effective = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    page.get_by_test_id("publish-date").fill(effective)
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("change-status")).to_contain_text("Published")
    screenshot(page, "catalog-change-published")

    assert query(app.db_url, "SELECT status, effective_from FROM plan_version WHERE id = :v",
                 v=draft) == [("published", effective)]
    assert query(app.db_url, "SELECT status FROM plan_version WHERE id = :v",
                 v=published) == [("retired",)]
    actions = {a for (a,) in query(
        app.db_url, "SELECT action FROM audit_event WHERE object_type = 'change_request' AND "
        "object_id = :c", c=str(cr))}
    assert {"catalog.change_request.submit", "catalog.change_request.approve",
            "catalog.change_request.publish"} <= actions
    actors = dict(query(app.db_url, "SELECT action, actor_label FROM audit_event WHERE "
                        "object_type = 'change_request' AND object_id = :c", c=str(cr)))
    assert actors["catalog.change_request.submit"] == "lead@demo.test"
    assert actors["catalog.change_request.approve"] == "finance@demo.test"

    # the plan page shows the new published version; the draft is read-only now
    page.goto(f"{app.url}/catalog/versions/{draft}")
    expect(page.get_by_test_id("version-status")).to_contain_text("Published")
    expect(page.get_by_test_id("edit-price")).to_have_count(0)
    page.get_by_test_id("plan-crumb").click()
    page.wait_for_url("**/catalog/plans/*")
    expect(page.get_by_test_id("version-row").first).to_contain_text("Published")
    expect(page.get_by_test_id("shown-version")).to_contain_text("v3 (Published)")
    expect(page.get_by_test_id("start-draft")).to_have_count(0)
    screenshot(page, "catalog-plan-after-publish")


def test_lead_migrates_imports_and_sees_clear_refusals(page: Page, app) -> None:
    team = query(app.db_url, "SELECT id FROM plan WHERE code = 'team'")[0][0]
    old = query(app.db_url, "SELECT id FROM plan_version WHERE plan_id = :p AND number = 2",
                p=team)[0][0]
    sign_in(page, app.url, "lead@demo.test", next_path=f"/catalog/plans/{team}")
    expect(page.get_by_test_id("plan-name")).to_have_text("Team")
    # a plan with a version in review: no new draft, and a rollback is refused with the reason
    expect(page.get_by_test_id("start-draft")).to_have_count(0)
    page.get_by_test_id("rollback-reason").fill("Back to the old tiers")
    page.get_by_test_id("rollback").click()
    expect(page.get_by_test_id("plan-error")).to_contain_text("already has an open version v4")

    # scheduled migration: preview who moves and the MRR change, confirm, then cancel
    page.get_by_test_id("mig-from").select_option(str(old))
    page.get_by_test_id("mig-preview").click()
    expect(page.get_by_test_id("mig-summary")).to_contain_text(
        "move from v2 to v3 at each subscription's next renewal")
    movable = query(app.db_url, "SELECT count(*) FROM subscription WHERE plan_version_id = :v "
                    "AND status IN ('trialing', 'active', 'past_due')", v=old)[0][0]
    expect(page.get_by_test_id("mig-line")).to_have_count(min(movable, 50))
    expect(page.get_by_test_id("mig-total-row").first).to_be_visible()
    screenshot(page, "catalog-plan-migration-preview")
    page.get_by_test_id("mig-confirm").click()
    expect(page.get_by_test_id("migration-row")).to_have_count(1)
    expect(page.get_by_test_id("migration-row")).to_contain_text("scheduled")
    assert query(app.db_url, "SELECT status FROM plan_migration WHERE from_version_id = :v",
                 v=old) == [("scheduled",)]
    page.get_by_test_id("mig-cancel").click()
    expect(page.get_by_test_id("migration-row")).to_contain_text("canceled")
    assert query(app.db_url, "SELECT status FROM plan_migration WHERE from_version_id = :v",
                 v=old) == [("canceled",)]

    # export a plan, change one price, import it: diff first, then a change request
    ent = query(app.db_url, "SELECT id FROM plan WHERE code = 'enterprise'")[0][0]
    page.goto(f"{app.url}/catalog/plans/{ent}")
    expect(page.get_by_test_id("plan-name")).to_have_text("Enterprise")
    with page.expect_download() as download:
        page.get_by_test_id("export-json").click()
    doc = json.loads(open(download.value.path()).read())
    seats = next(c for c in doc["charges"] if c["kind"] == "seat"
                 and c["amount_currency"] == "USD")
    seats["properties"]["amount"] = str(int(seats["properties"]["amount"]) + 10)
    page.goto(f"{app.url}/catalog")
    page.get_by_test_id("import-document").fill(json.dumps(doc))
    page.get_by_test_id("import-preview").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("enterprise")
    expect(page.get_by_test_id("import-diff-row")).to_have_count(1)
    expect(page.get_by_test_id("import-diff-row")).to_contain_text("Enterprise seats")
    screenshot(page, "catalog-import-preview")
    page.get_by_test_id("import-reason").fill("List price +10 per seat (import)")
    page.get_by_test_id("import-open").click()
    page.wait_for_url("**/catalog/changes/*", timeout=120_000)
    expect(page.get_by_test_id("change-title")).to_contain_text("Import: Enterprise")
    expect(page.get_by_test_id("approve-blocked")).to_contain_text("someone else")
    assert query(app.db_url, "SELECT kind, status FROM change_request WHERE id = :c",
                 c=_id_of(page.url)) == [("import", "pending")]
