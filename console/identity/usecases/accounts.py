"""Accounts, sign-in and server-side sessions (local accounts and OIDC identities)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.identity.domain.passwords import (
    after_failed_login,
    hash_password,
    password_problem,
    verify_password,
)
from console.identity.domain.tokens import new_token, token_digest
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, InvalidInput, NotFound
from console.kernel.permissions import roles_of
from console.kernel.roles import Role, parse_roles
from models import Invitation, LoginTicket, User, UserRole, UserSession
from models.types import utcnow

LOGIN_TICKET_TTL = timedelta(seconds=60)
INVITATION_TTL = timedelta(days=7)

#: Demo accounts (CONSOLE_ENV=dev only): key, email, name, roles. One shared demo password.
DEMO_PASSWORD = "Demo-Console-2026"  # noqa: S105 - documented dev-only password
DEMO_USERS: tuple[tuple[str, str, str, tuple[Role, ...]], ...] = (
    ("admin", "admin@demo.test", "Ada Admin", (Role.ADMIN,)),
    ("monetization_lead", "lead@demo.test", "Mona Lead", (Role.MONETIZATION_LEAD,)),
    ("monetization_lead2", "lead2@demo.test", "Milo Pricing", (Role.MONETIZATION_LEAD,)),
    ("finance", "finance@demo.test", "Fin Ance", (Role.FINANCE,)),
    ("finance2", "finance2@demo.test", "Fiona Controller", (Role.FINANCE,)),
    ("support", "support@demo.test", "Sam Support", (Role.SUPPORT,)),
    ("support2", "support2@demo.test", "Sue Helpdesk", (Role.SUPPORT,)),
    ("viewer", "viewer@demo.test", "Vic Auditor", (Role.VIEWER,)),
)


class SignInError(Exception):
    """A sign-in the user must be told about (wrong credentials, locked, disabled)."""


@dataclass(frozen=True)
class Identity:
    """Who is signed in: resolved from the session cookie on the server for every request."""

    user_id: int
    email: str
    name: str
    roles: frozenset[Role]
    session_id: str


def _set_roles(session: Session, user: User, roles: Iterable[Role], *, granted_by: int | None
               ) -> None:
    session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id))
    for role in sorted(set(roles)):
        session.add(UserRole(user_id=user.id, role=role.value, granted_by=granted_by))


def normalize_email(email: str) -> str:
    """Lower-cased, trimmed email; raises InvalidInput when it is not an address."""
    email = (email or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise InvalidInput("Enter a valid email address.")
    return email


def create_local_user(session: Session, *, email: str, name: str, password: str,
                      roles: Sequence[Role], actor: Actor, is_demo: bool = False,
                      check_password: bool = True) -> User:
    """Create a local account with roles (audited)."""
    email = normalize_email(email)
    if not name.strip():
        raise InvalidInput("Name is required.")
    if check_password and (problem := password_problem(password)):
        raise InvalidInput(problem)
    if session.execute(sa.select(User.id).where(User.email == email)).first():
        raise Conflict(f"A user with email {email} already exists.")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password),
                auth_source="local", is_demo=is_demo)
    session.add(user)
    session.flush()
    _set_roles(session, user, roles, granted_by=actor.user_id)
    record(session, actor=actor, action="user.create", object_type="user", object_id=user.id,
           after={"email": email, "roles": sorted(r.value for r in roles), "source": "local"})
    return user


def ensure_demo_users(session: Session) -> dict[str, int]:
    """Create the demo accounts if missing; returns role key -> user id (dev only)."""
    ids: dict[str, int] = {}
    system = Actor.system("system:seed")
    for key, email, name, roles in DEMO_USERS:
        existing = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
        if existing is None:
            existing = create_local_user(session, email=email, name=name, password=DEMO_PASSWORD,
                                         roles=roles, actor=system, is_demo=True)
        ids[key] = existing.id
    return ids


def remove_demo_users(session: Session) -> int:
    """Disable demo accounts (outside dev they must not be usable). Returns how many."""
    users = session.execute(sa.select(User).where(User.is_demo, User.is_active)).scalars().all()
    for user in users:
        user.is_active = False
        user.password_hash = None
        session.execute(sa.update(UserSession).where(UserSession.user_id == user.id,
                                                     UserSession.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))
        record(session, actor=Actor.system("system:startup"), action="user.disable_demo",
               object_type="user", object_id=user.id, before={"active": True},
               after={"active": False}, reason="demo accounts exist only in CONSOLE_ENV=dev")
    return len(users)


def authenticate_local(session: Session, *, email: str, password: str,
                       now: datetime | None = None) -> User:
    """Check a local sign-in, counting failures and locking the account after too many.

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
    """Trade a login ticket for a new session; returns the session token for the cookie.

    Raises:
        SignInError: for an unknown, used or expired ticket.
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


def start_session(session: Session, *, user: User, method: str, session_hours: int,
                  user_agent: str = "") -> str:
    """Create a server-side session for ``user`` (audited); returns the cookie token."""
    now = utcnow()
    token = new_token()
    session.add(UserSession(id=token_digest(token), user_id=user.id, auth_method=method,
                            expires_at=now + timedelta(hours=session_hours), last_seen_at=now,
                            user_agent=user_agent[:300] or None))
    user.last_login_at = now
    record(session, actor=Actor(user.id, user.email), action="session.sign_in",
           object_type="user", object_id=user.id, after={"method": method}, at=now)
    return token


def resolve_session(session: Session, token: str | None) -> Identity | None:
    """The identity behind a session cookie, or None when missing, expired, revoked or disabled."""
    if not token:
        return None
    sid = token_digest(token)
    row = session.get(UserSession, sid)
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return Identity(user_id=user.id, email=user.email, name=user.name,
                    roles=roles_of(session, user.id), session_id=sid)


def end_session(session: Session, token: str | None) -> None:
    """Revoke the session behind ``token`` (sign-out); unknown tokens are ignored."""
    if not token:
        return
    row = session.get(UserSession, token_digest(token))
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    user = session.get(User, row.user_id)
    record(session, actor=Actor(row.user_id, user.email if user else str(row.user_id)),
           action="session.sign_out", object_type="user", object_id=row.user_id)


def provision_oidc_user(session: Session, *, issuer: str, subject: str, email: str, name: str,
                        roles: frozenset[Role]) -> User:
    """Find or create the user for an OIDC identity and sync roles from the IdP (audited).

    Raises:
        SignInError: when the IdP grants no console role.
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
        _set_roles(session, user, roles, granted_by=None)
        record(session, actor=actor, action="user.create", object_type="user", object_id=user.id,
               after={"email": email, "roles": sorted(r.value for r in roles), "source": "oidc"})
        return user
    if not user.is_active:
        raise SignInError("This account is disabled. Ask an admin.")
    current = roles_of(session, user.id)
    if current != roles:
        _set_roles(session, user, roles, granted_by=None)
        record(session, actor=actor, action="user.roles", object_type="user", object_id=user.id,
               before={"roles": sorted(r.value for r in current)},
               after={"roles": sorted(r.value for r in roles)}, reason="synced from IdP groups")
    return user


# --- administration ---------------------------------------------------------------------------

@dataclass(frozen=True)
class UserRow:
    """A user as the admin page shows it."""

    id: int
    email: str
    name: str
    roles: str
    source: str
    status: str
    last_login: str


def list_users(session: Session) -> list[UserRow]:
    """Every user with roles and status, by email."""
    users = session.execute(sa.select(User).order_by(User.email)).scalars().all()
    rows = []
    now = utcnow()
    for u in users:
        status = "active" if u.is_active else "disabled"
        if u.is_active and u.locked_until and u.locked_until > now:
            status = "locked"
        rows.append(UserRow(u.id, u.email, u.name,
                            ", ".join(sorted(r.value for r in roles_of(session, u.id))),
                            u.auth_source, status,
                            u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "—"))
    return rows


def set_user_roles(session: Session, *, user_id: int, roles: Sequence[Role], actor: Actor,
                   reason: str = "") -> None:
    """Replace a user's roles (audited). An admin cannot remove their own admin role."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    new = frozenset(roles)
    if user_id == actor.user_id and Role.ADMIN not in new:
        raise Conflict("You cannot remove your own admin role; ask another admin.")
    before = roles_of(session, user_id)
    if before == new:
        return
    _set_roles(session, user, new, granted_by=actor.user_id)
    user.version += 1
    record(session, actor=actor, action="user.roles", object_type="user", object_id=user_id,
           before={"roles": sorted(r.value for r in before)},
           after={"roles": sorted(r.value for r in new)}, reason=reason)


def set_user_active(session: Session, *, user_id: int, active: bool, actor: Actor) -> None:
    """Enable or disable a user; disabling revokes their sessions (audited)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user_id == actor.user_id and not active:
        raise Conflict("You cannot disable your own account.")
    if user.is_active == active:
        return
    user.is_active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    else:
        session.execute(sa.update(UserSession).where(UserSession.user_id == user_id,
                                                     UserSession.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))
    record(session, actor=actor, action="user.enable" if active else "user.disable",
           object_type="user", object_id=user_id, before={"active": not active},
           after={"active": active})


def unlock_user(session: Session, *, user_id: int, actor: Actor) -> None:
    """Clear a lockout (audited)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    user.failed_logins, user.locked_until = 0, None
    record(session, actor=actor, action="user.unlock", object_type="user", object_id=user_id)


def invite_user(session: Session, *, email: str, name: str, roles: Sequence[Role], actor: Actor
                ) -> str:
    """Invite a local user with roles; returns the one-time token for the invitation link."""
    email = normalize_email(email)
    if not roles:
        raise InvalidInput("Choose at least one role.")
    if not name.strip():
        raise InvalidInput("Name is required.")
    if session.execute(sa.select(User.id).where(User.email == email)).first():
        raise Conflict(f"A user with email {email} already exists.")
    token = new_token()
    inv = Invitation(email=email, name=name.strip(), roles=sorted(r.value for r in roles),
                     token_hash=token_digest(token), invited_by=actor.user_id,
                     expires_at=utcnow() + INVITATION_TTL)
    session.add(inv)
    session.flush()
    record(session, actor=actor, action="user.invite", object_type="invitation",
           object_id=inv.id, after={"email": email, "roles": inv.roles})
    return token


def accept_invitation(session: Session, *, token: str, password: str) -> User:
    """Create the invited account with the chosen password (audited)."""
    inv = session.execute(sa.select(Invitation).where(Invitation.token_hash == token_digest(token))
                          ).scalar_one_or_none()
    if inv is None or inv.accepted_at or inv.revoked_at or inv.expires_at < utcnow():
        raise InvalidInput("This invitation is not valid any more; ask an admin for a new one.")
    inv.accepted_at = utcnow()
    return create_local_user(session, email=inv.email, name=inv.name, password=password,
                             roles=parse_roles(inv.roles), actor=Actor.system("system:invite"))
