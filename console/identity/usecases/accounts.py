"""Accounts: creating local accounts with their roles, and the demo accounts of a dev console."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.identity.domain.demo_users import DEMO_PASSWORD, DEMO_USERS
from console.identity.domain.emails import normalize_email
from console.identity.domain.passwords import hash_password, password_problem
from console.identity.usecases.sessions import revoke_user_sessions
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.roles import Role
from models import User, UserRole


def replace_roles(session: Session, user: User, roles: Iterable[Role], *,
                  granted_by: int | None) -> None:
    """Replace ``user``'s role rows with ``roles`` (the caller audits the change)."""
    session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id))
    for role in sorted(set(roles)):
        session.add(UserRole(user_id=user.id, role=role.value, granted_by=granted_by))


def refuse_taken_email(session: Session, email: str) -> None:
    """Refuse an email address an account already uses.

    Raises:
        Conflict: when a user has ``email``.
    """
    if session.execute(sa.select(User.id).where(User.email == email)).first():
        raise Conflict(f"A user with email {email} already exists.")


def create_local_user(session: Session, *, email: str, name: str, password: str,
                      roles: Sequence[Role], actor: Actor, is_demo: bool = False,
                      check_password: bool = True) -> User:
    """Create a local account with roles (audited).

    Args:
        session: the open unit of work.
        email: the sign-in address (normalised).
        name: the display name.
        password: the password (hashed with argon2id).
        roles: the roles to grant.
        actor: who creates the account.
        is_demo: whether this is a dev demo account (disabled outside dev).
        check_password: whether to apply the password rules (the CLI may skip them).

    Returns:
        The new user (flushed, with its id).

    Raises:
        InvalidInput: for a bad email, a missing name or a weak password.
        Conflict: when the email is taken.
    """
    email = normalize_email(email)
    if not name.strip():
        raise InvalidInput("Name is required.")
    if check_password and (problem := password_problem(password)):
        raise InvalidInput(problem)
    refuse_taken_email(session, email)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password),
                auth_source="local", is_demo=is_demo)
    session.add(user)
    session.flush()
    replace_roles(session, user, roles, granted_by=actor.user_id)
    record(session, actor=actor, action="user.create", object_type="user", object_id=user.id,
           after={"email": email, "roles": sorted(r.value for r in roles), "source": "local"})
    return user


def ensure_demo_users(session: Session) -> dict[str, int]:
    """Create the demo accounts that are missing (dev only).

    Returns:
        Each demo account's key (e.g. ``finance``) -> its user id.
    """
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
    """Disable the demo accounts and end their sessions (outside dev they must not be usable).

    Returns:
        How many accounts were disabled.
    """
    users = session.execute(sa.select(User).where(User.is_demo, User.is_active)).scalars().all()
    for user in users:
        user.is_active = False
        user.password_hash = None
        revoke_user_sessions(session, user.id)
        record(session, actor=Actor.system("system:startup"), action="user.disable_demo",
               object_type="user", object_id=user.id, before={"active": True},
               after={"active": False}, reason="demo accounts exist only in CONSOLE_ENV=dev")
    return len(users)
