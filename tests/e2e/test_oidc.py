"""Sign-in through a real OIDC provider on loopback (code + PKCE, state, nonce), in Chromium."""

import pytest
from oidc_provider_mock import User, run_server_in_thread
from playwright.sync_api import Page, expect

from tests.e2e.conftest import free_port, screenshot
from tests.e2e.helpers import query

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def idp():
    users = [User(sub="oidc-fin-1", claims={"email": "olivia@corp.test", "name": "Olivia OIDC",
                                             "groups": ["console-finance", "staff"]}),
             User(sub="oidc-none", claims={"email": "nora@corp.test", "name": "Nora",
                                           "groups": ["staff"]})]
    with run_server_in_thread(port=free_port(), require_nonce=True, user_claims=users) as srv:
        yield f"http://127.0.0.1:{srv.server_port}"


@pytest.fixture(scope="module")
def app(servers, idp):
    return servers.get("oidc", CONSOLE_OIDC_ISSUER=idp, CONSOLE_OIDC_CLIENT_ID="console",
                       CONSOLE_OIDC_CLIENT_SECRET="s3cret",
                       CONSOLE_OIDC_ROLE_MAP='{"console-finance": "finance"}')


def test_oidc_sign_in_maps_groups_to_roles(page: Page, app) -> None:
    page.goto(f"{app.url}/customers")
    page.wait_for_url("**/signin**")
    expect(page.get_by_test_id("email")).to_have_count(0)  # no passwords in OIDC mode
    expect(page.get_by_test_id("demo-accounts")).to_have_count(0)  # demo logins are local
    page.get_by_test_id("oidc-signin").click()
    page.get_by_role("button", name="oidc-fin-1").click()
    expect(page.get_by_test_id("user-name")).to_have_text("Olivia OIDC", timeout=30_000)
    expect(page.get_by_test_id("user-roles")).to_have_text("Finance")
    expect(page.get_by_test_id("nav-collections")).to_have_count(1)
    screenshot(page, "oidc-finance-home")
    rows = query(app.db_url, "SELECT auth_source, oidc_subject FROM app_user WHERE email = :e",
                 e="olivia@corp.test")
    assert rows == [("oidc", "oidc-fin-1")]
    roles = query(app.db_url, "SELECT r.role FROM user_role r JOIN app_user u ON u.id = r.user_id"
                  " WHERE u.email = :e", e="olivia@corp.test")
    assert roles == [("finance",)]
    sessions = query(app.db_url, "SELECT s.auth_method FROM user_session s JOIN app_user u ON "
                     "u.id = s.user_id WHERE u.email = :e AND s.revoked_at IS NULL",
                     e="olivia@corp.test")
    assert sessions == [("oidc",)]


def test_oidc_user_without_a_console_group_is_refused(page: Page, app) -> None:
    page.goto(f"{app.url}/signin")
    page.get_by_test_id("oidc-signin").click()
    page.get_by_role("button", name="oidc-none").click()
    expect(page.get_by_test_id("signin-error")).to_contain_text("no role in the console")
    assert query(app.db_url, "SELECT count(*) FROM app_user WHERE email = :e",
                 e="nora@corp.test") == [(0,)]
