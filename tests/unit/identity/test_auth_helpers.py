"""Cookie parsing, IdP claims to roles, redirects after sign-in, lockout and password rules."""

from datetime import UTC, datetime

import pytest

from console.identity.domain.claims import groups_from_claims, roles_from_groups
from console.identity.domain.passwords import (
    MAX_FAILED_LOGINS,
    after_failed_login,
    hash_password,
    password_problem,
    verify_password,
)
from console.identity.domain.tokens import cookie_value, new_token, token_digest
from console.kernel.roles import Role
from console.kernel.settings import _role_map
from console.web.auth_routes import safe_next


def test_cookie_value() -> None:
    assert cookie_value("a=1; console_session=tok; b=2") == "tok"
    assert cookie_value("a=1") is None
    assert cookie_value("") is None


def test_tokens_are_random_and_stored_hashed() -> None:
    t1, t2 = new_token(), new_token()
    assert t1 != t2 and len(t1) >= 43
    assert token_digest(t1) != t1 and len(token_digest(t1)) == 64


@pytest.mark.parametrize(("claims", "expected"), [
    ({"groups": ["console-finance", "other"]}, {Role.FINANCE}),
    ({"groups": "console-admins console-finance"}, {Role.ADMIN, Role.FINANCE}),
    ({"groups": []}, set()),
    ({}, set()),
])
def test_roles_from_groups(claims: dict, expected: set) -> None:
    mapping = {"console-finance": ["finance"], "console-admins": ["admin", "bogus"]}
    assert roles_from_groups(groups_from_claims(claims, "groups"), mapping) == expected


def test_role_map_formats() -> None:
    assert _role_map('{"g1": "finance", "g2": ["admin", "viewer"]}') == {
        "g1": ["finance"], "g2": ["admin", "viewer"]}
    assert _role_map("g1=finance, g1=viewer") == {"g1": ["finance", "viewer"]}
    assert _role_map("") == {}


@pytest.mark.parametrize(("target", "expected"), [
    ("/customers", "/customers"), ("//evil.example", "/"), ("https://evil.example", "/"),
    ("/signin?next=/x", "/"), (None, "/"), ("/\\evil", "/"), ("/auth/logout", "/")])
def test_safe_next_refuses_open_redirects(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_lockout_after_max_failures() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    d = after_failed_login(MAX_FAILED_LOGINS - 2, now=now)
    assert d.locked_until is None
    d = after_failed_login(MAX_FAILED_LOGINS - 1, now=now)
    assert d.locked_until is not None and d.locked_until > now


def test_password_hashing_and_rules() -> None:
    h = hash_password("Correct-Horse-1")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "Correct-Horse-1")
    assert not verify_password(h, "correct-horse-1")
    assert not verify_password(None, "x")
    assert password_problem("short") is not None
    assert password_problem("alllowercase-long") is not None
    assert password_problem("Mixed-Case-Long") is None
