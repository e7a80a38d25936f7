"""Signing in: local passwords with lockout, one-time login tickets, and OIDC identities.

A local sign-in returns a one-time login ticket; the browser trades it (``POST /auth/complete``)
for the HttpOnly session cookie (:mod:`console.identity.usecases.sessions`). A company
sign-in provisions the user from the identity provider's claims and starts the session
directly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.identity.domain.emails import normalize_email
from console.identity.domain.passwords import after_failed_login, verify_password
from console.identity.domain.tokens import new_token, token_digest
from console.identity.usecases.accounts import replace_roles
from console.identity.usecases.sessions import start_session
from console.kernel.actor import Actor
from console.kernel.errors import InvalidInput
from console.kernel.permissions import roles_of
from console.kernel.roles import Role
from console.kernel.settings import settings
from models import LoginTicket, User
from models.db import unit_of_work
from models.types import utcnow

LOGIN_TICKET_TTL = timedelta(seconds=60)


class SignInError(Exception):
    """A sign-in the user must be told about (wrong credentials, locked, disabled)."""


def authenticate_local(session: Session, *, email: str, password: str,
                       now: datetime | None = None) -> User:
    """Check a local sign-in, counting failures and locking the account after too many.

    Args:
        session: the open unit of work (the failure count is written in it).
        email: the address as typed.
        password: the password as typed.
        now: the time of the attempt (defaults to now).

    Returns:
        The signed-in user (failure count cleared).

    Raises:
        SignInError: with a message safe to show (no hint whether the email exists).
    """
    now = now or utcnow()
    generic = SignInError("Email or password is incorrect.")
    try:
        email = normalize_email(email)
    except InvalidInput:
        raise generic from None
    user = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None or user.auth_source != "local":
        raise generic
    if user.locked_until and user.locked_until > now:
        raise SignInError("This account is locked after repeated failed sign-ins. "
                          f"Try again after {user.locked_until:%H:%M} UTC or ask an admin.")
    if not verify_password(user.password_hash, password):
        decision = after_failed_login(user.failed_logins, now=now)
        user.failed_logins = decision.failed_logins
        user.locked_until = decision.locked_until
        if decision.locked_until:
            record(session, actor=Actor.system("system:auth"), action="user.lock",
                   object_type="user", object_id=user.id,
                   after={"locked_until": decision.locked_until},
                   reason=f"{decision.failed_logins} failed sign-ins", at=now)
        raise generic
    if not user.is_active:
        raise SignInError("This account is disabled. Ask an admin.")
    user.failed_logins = 0
    user.locked_until = None
    return user


def issue_login_ticket(session: Session, *, user: User, method: str) -> str:
    """A one-time ticket the browser trades for the HttpOnly session cookie within 60 s."""
    token = new_token()
    session.add(LoginTicket(id=token_digest(token), user_id=user.id, auth_method=method,
                            expires_at=utcnow() + LOGIN_TICKET_TTL))
    return token


def redeem_login_ticket(session: Session, *, ticket: str, session_hours: int,
                        user_agent: str = "") -> str:
    """Trade a login ticket for a new session.

    Returns:
        The session token for the cookie.

    Raises:
        SignInError: for an unknown, used or expired ticket, or a disabled account.
    """
    now = utcnow()
    row = session.get(LoginTicket, token_digest(ticket or ""))
    if row is None or row.used_at is not None or row.expires_at < now:
        raise SignInError("This sign-in link is no longer valid; please sign in again.")
    # Conditional update: two tabs redeeming the same ticket produce one session.
    claimed = session.execute(
        sa.update(LoginTicket).where(LoginTicket.id == row.id, LoginTicket.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise SignInError("This sign-in link was already used; please sign in again.")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise SignInError("This account is disabled. Ask an admin.")
    return start_session(session, user=user, method=row.auth_method, session_hours=session_hours,
                         user_agent=user_agent)


def provision_oidc_user(session: Session, *, issuer: str, subject: str, email: str, name: str,
                        roles: frozenset[Role]) -> User:
    """Find or create the user for an OIDC identity and sync roles from the IdP (audited).

    Args:
        session: the open unit of work.
        issuer: the provider's issuer URL.
        subject: the provider's stable id of the person.
        email: the email claim (a new account without one gets ``subject@issuer-host``).
        name: the name claim.
        roles: the console roles the person's groups map to.

    Returns:
        The user, created or with roles synced.

    Raises:
        SignInError: when the IdP grants no console role, the email belongs to a local
            account, or the user is disabled.
    """
    if not roles:
        raise SignInError("Your account has no role in the console. Ask an admin to add you to "
                          "a console group.")
    user = session.execute(sa.select(User).where(User.oidc_issuer == issuer,
                                                 User.oidc_subject == subject)
                           ).scalar_one_or_none()
    actor = Actor.system("system:oidc")
    if user is None:
        email = normalize_email(email or f"{subject}@{issuer.split('//')[-1]}")
        clash = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
        if clash is not None:
            raise SignInError("A local account already uses this email; ask an admin to link it.")
        user = User(email=email, name=name or email, auth_source="oidc", oidc_issuer=issuer,
                    oidc_subject=subject)
        session.add(user)
        session.flush()
        replace_roles(session, user, roles, granted_by=None)
        record(session, actor=actor, action="user.create", object_type="user", object_id=user.id,
               after={"email": email, "roles": sorted(r.value for r in roles), "source": "oidc"})
        return user
    if not user.is_active:
        raise SignInError("This account is disabled. Ask an admin.")
    current = roles_of(session, user.id)
    if current != roles:
        replace_roles(session, user, roles, granted_by=None)
        record(session, actor=actor, action="user.roles", object_type="user", object_id=user.id,
               before={"roles": sorted(r.value for r in current)},
               after={"roles": sorted(r.value for r in roles)}, reason="synced from IdP groups")
    return user


# --- page-facing

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
            user = authenticate_local(s, email=email, password=password)
            ticket = issue_login_ticket(s, user=user, method="local")
        except SignInError as exc:
            error = exc
    if error is not None:
        raise error
    return ticket


def redeem_ticket(ticket: str, user_agent: str = "") -> str:
    """Trade a login ticket for a session token (for the HttpOnly cookie).

    Raises:
        SignInError: for an unknown, used or expired ticket, or a disabled account.
    """
    with unit_of_work() as s:
        return redeem_login_ticket(s, ticket=ticket, session_hours=settings().session_hours,
                                   user_agent=user_agent)
