"""Entry points the UI and the auth routes call for sign-in, sessions and sign-out.

Each opens its own transaction; the rules live in :mod:`console.identity.usecases.accounts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.identity.usecases import accounts as identity
from console.identity.usecases.accounts import Identity, SignInError
from console.kernel.roles import ROLE_LABELS
from console.kernel.settings import settings
from models.db import read_session, unit_of_work


def identity_for_token(token: str | None) -> Identity | None:
    """The live identity behind a session cookie token, or None."""
    if not token:
        return None
    with read_session() as s:
        return identity.resolve_session(s, token)


def end_session(token: str | None) -> None:
    """Revoke the session behind ``token`` (audited)."""
    if token:
        with unit_of_work() as s:
            identity.end_session(s, token)


def local_sign_in(email: str, password: str) -> str:
    """Check local credentials and return a one-time login ticket.

    Raises:
        SignInError: with a message for the user (failed attempts are still counted).
    """
    if settings().auth_mode != "local":
        raise SignInError("Sign-in with a password is off; use your company sign-in.")
    # The failure counter must persist even though the sign-in fails: commit, then raise.
    error: SignInError | None = None
    ticket = ""
    with unit_of_work() as s:
        try:
            user = identity.authenticate_local(s, email=email, password=password)
            ticket = identity.issue_login_ticket(s, user=user, method="local")
        except SignInError as exc:
            error = exc
    if error is not None:
        raise error
    return ticket


def redeem_ticket(ticket: str, user_agent: str = "") -> str:
    """Trade a login ticket for a session token (for the HttpOnly cookie)."""
    with unit_of_work() as s:
        return identity.redeem_login_ticket(s, ticket=ticket,
                                            session_hours=settings().session_hours,
                                            user_agent=user_agent)


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in shown on the sign-in page in dev."""

    email: str
    name: str
    role: str


def demo_accounts() -> list[DemoAccount]:
    """Demo accounts to list on the sign-in page (only in CONSOLE_ENV=dev)."""
    if not settings().is_dev:
        return []
    return [DemoAccount(email, name, ", ".join(ROLE_LABELS[r] for r in roles))
            for _key, email, name, roles in identity.DEMO_USERS]


def demo_password() -> str:
    """The shared demo password (dev only; empty otherwise)."""
    return identity.DEMO_PASSWORD if settings().is_dev else ""
