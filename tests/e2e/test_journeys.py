"""Golden journeys per role in Chromium against the prod build: what a person sees, and what
the database holds afterwards."""

import pytest
from playwright.sync_api import Page, expect

from console.identity.domain.tokens import token_digest
from console.kernel.roles import Role, can
from pages.registry import PAGES
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import query, sign_in, wait_until_live

pytestmark = pytest.mark.e2e

ROLE_EMAILS = {Role.ADMIN: "admin@demo.test", Role.MONETIZATION_LEAD: "lead@demo.test",
               Role.FINANCE: "finance@demo.test", Role.SUPPORT: "support@demo.test",
               Role.VIEWER: "viewer@demo.test"}


@pytest.fixture(scope="module")
def app(servers):
    return servers.get("local")


def _first_customer(app) -> int:
    return query(app.db_url, "SELECT min(id) FROM customer")[0][0]


@pytest.mark.parametrize("role", list(ROLE_EMAILS), ids=lambda r: r.value)
def test_each_role_sees_exactly_its_pages(page: Page, app, role: Role) -> None:
    sign_in(page, app.url, ROLE_EMAILS[role])
    expect(page.get_by_test_id("user-roles")).to_contain_text(
        {"admin": "Admin", "monetization_lead": "Monetization lead", "finance": "Finance",
         "support": "Support", "viewer": "Viewer"}[role.value])
    cid = _first_customer(app)
    for spec in PAGES:
        path = spec.route.replace("[customer_id]", str(cid))
        page.goto(f"{app.url}{path}")
        allowed = spec.permission is None or can([role], spec.permission)
        if allowed:
            expect(page.get_by_test_id("page-title")).to_have_text(
                spec.label if spec.route != "/customers/[customer_id]" else "Customer")
            expect(page.get_by_test_id("forbidden")).to_have_count(0)
        else:
            expect(page.get_by_test_id("forbidden")).to_be_visible()
        nav = page.get_by_test_id(f"nav-{spec.route.strip('/') or 'home'}")
        if spec.in_nav:
            expect(nav).to_have_count(1 if allowed else 0)
        slug = spec.route.strip("/").replace("/", "_").replace("[", "").replace("]", "")
        screenshot(page, f"{role.value}-{slug or 'home'}")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "console_session")
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/signin**")
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "console_session"]
    revoked = query(app.db_url, "SELECT revoked_at IS NOT NULL FROM user_session WHERE id = :i",
                    i=token_digest(token))
    assert revoked == [(1,)] or revoked == [(True,)]


def test_session_cookie_is_httponly_and_identity_stays_on_the_server(page: Page, app) -> None:
    sign_in(page, app.url, "finance@demo.test", next_path="/customers")
    cookie = next(c for c in page.context.cookies() if c["name"] == "console_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("console_session") == -1
    html = page.content()
    assert cookie["value"] not in html


def test_wrong_password_is_refused_and_creates_no_session(page: Page, app) -> None:
    before = query(app.db_url, "SELECT count(*) FROM user_session")
    page.goto(f"{app.url}/signin")
    wait_until_live(page)
    page.get_by_test_id("email").fill("finance@demo.test")
    page.get_by_test_id("password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_have_text("Email or password is incorrect.")
    assert query(app.db_url, "SELECT count(*) FROM user_session") == before
    page.goto(f"{app.url}/customers")
    page.wait_for_url("**/signin**")


def test_customers_search_and_detail(page: Page, app) -> None:
    sign_in(page, app.url, "support@demo.test", next_path="/customers")
    rows = page.get_by_test_id("customer-row")
    expect(rows.first).to_be_visible()
    total = query(app.db_url, "SELECT count(*) FROM customer")[0][0]
    expect(page.get_by_test_id("total-rows")).to_have_text(f"{total} rows")
    code, name = query(app.db_url, "SELECT code, name FROM customer ORDER BY id LIMIT 1")[0]
    page.get_by_test_id("customer-search").fill(code)
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("total-rows")).to_have_text("1 rows")
    page.get_by_role("link", name=code).click()
    expect(page.get_by_test_id("customer-name")).to_have_text(name)
    n_events = query(app.db_url, "SELECT count(*) FROM subscription_event e JOIN customer c ON "
                     "c.id = e.customer_id WHERE c.code = :c", c=code)[0][0]
    expect(page.get_by_test_id("timeline-row")).to_have_count(min(n_events, 200))
    screenshot(page, "support-customer-detail")


def test_finance_changes_payment_terms_and_it_is_audited(page: Page, app) -> None:
    cid = _first_customer(app)
    sign_in(page, app.url, "finance@demo.test", next_path=f"/customers/{cid}")
    page.get_by_test_id("terms-days").select_option("90")
    page.get_by_test_id("terms-reason").fill("Strategic account, CFO approved")
    page.get_by_test_id("terms-save").click()
    expect(page.get_by_text("Payment terms changed.")).to_be_visible()
    assert query(app.db_url, "SELECT payment_terms_days FROM customer WHERE id = :i",
                 i=cid) == [(90,)]
    audit = query(app.db_url, "SELECT a.reason, u.email FROM audit_event a JOIN app_user u ON "
                  "u.id = a.actor_id WHERE a.action = 'customer.payment_terms' "
                  "AND a.object_id = :i", i=str(cid))
    assert audit == [("Strategic account, CFO approved", "finance@demo.test")]


def test_support_is_refused_finance_pages_and_actions(page: Page, app) -> None:
    cid = _first_customer(app)
    before = query(app.db_url, "SELECT payment_terms_days, version FROM customer WHERE id = :i",
                   i=cid)
    audits = query(app.db_url, "SELECT count(*) FROM audit_event WHERE action NOT LIKE 'session.%'")
    sign_in(page, app.url, "support@demo.test", next_path="/collections")
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_test_id("nav-collections")).to_have_count(0)
    page.goto(f"{app.url}/customers/{cid}")
    expect(page.get_by_test_id("customer-name")).to_be_visible()
    expect(page.get_by_test_id("terms-save")).to_have_count(0)
    page.goto(f"{app.url}/admin/users")
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    screenshot(page, "support-403")
    assert query(app.db_url, "SELECT payment_terms_days, version FROM customer WHERE id = :i",
                 i=cid) == before
    assert query(app.db_url,
                 "SELECT count(*) FROM audit_event WHERE action NOT LIKE 'session.%'") == audits


def test_unknown_route_shows_404(page: Page, app) -> None:
    sign_in(page, app.url, "viewer@demo.test")
    page.goto(f"{app.url}/no-such-page")
    expect(page.get_by_test_id("not-found")).to_be_visible()


def test_audit_log_shows_the_changes(page: Page, app) -> None:
    sign_in(page, app.url, "viewer@demo.test", next_path="/audit")
    expect(page.get_by_test_id("audit-row").first).to_be_visible()
    page.get_by_test_id("verify-chain").click()
    expect(page.get_by_test_id("verify-verdict")).to_contain_text("chain intact")
    with page.expect_download() as dl:
        page.get_by_test_id("export-audit").click()
    text = open(dl.value.path(), encoding="utf-8").read()
    assert text.startswith("id,occurred_at,actor,action")
    n = query(app.db_url, "SELECT count(*) FROM audit_event")[0][0]
    assert len(text.strip().splitlines()) == n + 1
    screenshot(page, "viewer-audit")
