"""Steps shared by browser journeys."""

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from console.identity.domain.demo_users import DEMO_PASSWORD
from models.db import make_engine


def sign_in(page: Page, base: str, email: str, *, next_path: str = "/") -> None:
    """Sign in through the form and wait for the target page."""
    page.goto(f"{base}{next_path}")
    page.wait_for_url("**/signin**")
    wait_until_live(page)
    page.get_by_test_id("email").fill(email)
    page.get_by_test_id("password").fill(DEMO_PASSWORD)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("user-name")).not_to_have_text("", timeout=30_000)


def wait_until_live(page: Page) -> None:
    """Wait until the sign-in page's state has loaded from the server (the socket is up), so
    a submit is handled by the app and not by the browser before hydration."""
    expect(page.get_by_test_id("demo-accounts")).to_be_visible()


def query(db_url: str, sql: str, **params: object) -> list[tuple]:
    """Run a read query against the app's database."""
    eng = make_engine(db_url)
    try:
        with eng.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(sql), params)]
    finally:
        eng.dispose()
