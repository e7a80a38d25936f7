"""User administration for the admin page: roles, enable/disable, unlock and invitations.

Each page-facing entry point re-checks that the actor holds ``manage_users`` inside its own
transaction, so the rule holds even if a page forgot its guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.identity.domain.emails import normalize_email
from console.identity.domain.tokens import new_token, token_digest
from console.identity.queries.users import get_user
from console.identity.usecases.accounts import create_local_user, refuse_taken_email, replace_roles
from console.identity.usecases.sessions import revoke_user_sessions
from console.identity.usecases.signin import issue_login_ticket
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.permissions import require, roles_of
from console.kernel.roles import Permission, Role, parse_roles
from console.kernel.settings import settings
from models import Invitation, User
from models.db import unit_of_work
from models.types import utcnow

INVITATION_TTL = timedelta(days=7)


def set_user_roles(session: Session, *, user_id: int, roles: Sequence[Role], actor: Actor,
                   reason: str = "") -> None:
    """Replace a user's roles (audited; nothing happens when they are the same).

    Raises:
        NotFound: for an unknown user.
        Conflict: when an admin would remove their own admin role.
    """
    user = get_user(session, user_id)
    new = frozenset(roles)
    if user_id == actor.user_id and Role.ADMIN not in new:
        raise Conflict("You cannot remove your own admin role; ask another admin.")
    before = roles_of(session, user_id)
    if before == new:
        return
    replace_roles(session, user, new, granted_by=actor.user_id)
    user.version += 1
    record(session, actor=actor, action="user.roles", object_type="user", object_id=user_id,
           before={"roles": sorted(r.value for r in before)},
           after={"roles": sorted(r.value for r in new)}, reason=reason)


def set_user_active(session: Session, *, user_id: int, active: bool, actor: Actor) -> None:
    """Enable or disable a user; disabling revokes their sessions (audited).

    Raises:
        NotFound: for an unknown user.
        Conflict: when an admin would disable their own account.
    """
    user = get_user(session, user_id)
    if user_id == actor.user_id and not active:
        raise Conflict("You cannot disable your own account.")
    if user.is_active == active:
        return
    user.is_active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    else:
        revoke_user_sessions(session, user_id)
    record(session, actor=actor, action="user.enable" if active else "user.disable",
           object_type="user", object_id=user_id, before={"active": not active},
           after={"active": active})


def unlock_user(session: Session, *, user_id: int, actor: Actor) -> None:
    """Clear a lockout (audited).

    Raises:
        NotFound: for an unknown user.
    """
    user = get_user(session, user_id)
    user.failed_logins, user.locked_until = 0, None
    record(session, actor=actor, action="user.unlock", object_type="user", object_id=user_id)


def invite_user(session: Session, *, email: str, name: str, roles: Sequence[Role], actor: Actor
                ) -> str:
    """Invite a local user with roles (audited).

    Returns:
        The one-time token for the invitation link (valid for seven days).

    Raises:
        InvalidInput: for a bad email, no role or a missing name.
        Conflict: when the email is taken.
    """
    email = normalize_email(email)
    if not roles:
        raise InvalidInput("Choose at least one role.")
    if not name.strip():
        raise InvalidInput("Name is required.")
    refuse_taken_email(session, email)
    token = new_token()
    inv = Invitation(email=email, name=name.strip(), roles=sorted(r.value for r in roles),
                     token_hash=token_digest(token), invited_by=actor.user_id,
                     expires_at=utcnow() + INVITATION_TTL)
    session.add(inv)
    session.flush()
    record(session, actor=actor, action="user.invite", object_type="invitation",
           object_id=inv.id, after={"email": email, "roles": inv.roles})
    return token


def redeem_invitation(session: Session, *, token: str, password: str) -> User:
    """Create the invited account with the chosen password (audited).

    Raises:
        InvalidInput: for an unknown, used, revoked or expired invitation, or a weak password.
    """
    inv = session.execute(sa.select(Invitation).where(Invitation.token_hash == token_digest(token))
                          ).scalar_one_or_none()
    if inv is None or inv.accepted_at or inv.revoked_at or inv.expires_at < utcnow():
        raise InvalidInput("This invitation is not valid any more; ask an admin for a new one.")
    inv.accepted_at = utcnow()
    return create_local_user(session, email=inv.email, name=inv.name, password=password,
                             roles=parse_roles(inv.roles), actor=Actor.system("system:invite"))


# --- page-facing

def _admin(session: Session, actor_id: int) -> Actor:
    actor = actor_for(session, actor_id)
    require(session, actor, Permission.MANAGE_USERS)
    return actor


def _roles(names: Sequence[str]) -> list[Role]:
    roles = parse_roles(names)
    if len(roles) != len(set(names)):
        raise InvalidInput("Unknown role.")
    return sorted(roles)


def invite(actor_id: int, *, email: str, name: str, roles: Sequence[str]) -> str:
    """Invite a user (admin only).

    Returns:
        The invitation link to hand over.

    Raises:
        NotAllowed: when the actor is no admin.
        InvalidInput: for an unknown role or a bad email or name.
        Conflict: when the email is taken.
    """
    with unit_of_work() as s:
        actor = _admin(s, actor_id)
        token = invite_user(s, email=email, name=name, roles=_roles(roles), actor=actor)
    return f"{settings().public_url}/invite/{token}"


def set_roles(actor_id: int, *, user_id: int, roles: Sequence[str], reason: str = "") -> None:
    """Replace a user's roles (admin only; see :func:`set_user_roles`)."""
    with unit_of_work() as s:
        actor = _admin(s, actor_id)
        set_user_roles(s, user_id=user_id, roles=_roles(roles), actor=actor, reason=reason)


def set_active(actor_id: int, *, user_id: int, active: bool) -> None:
    """Enable or disable a user (admin only; see :func:`set_user_active`)."""
    with unit_of_work() as s:
        actor = _admin(s, actor_id)
        set_user_active(s, user_id=user_id, active=active, actor=actor)


def unlock(actor_id: int, *, user_id: int) -> None:
    """Clear a lockout (admin only; see :func:`unlock_user`)."""
    with unit_of_work() as s:
        actor = _admin(s, actor_id)
        unlock_user(s, user_id=user_id, actor=actor)


def accept_invitation(token: str, password: str) -> str:
    """Create the invited account and return a login ticket to sign straight in.

    Raises:
        InvalidInput: for an invitation that is not valid any more, or a weak password.
    """
    with unit_of_work() as s:
        user = redeem_invitation(s, token=token, password=password)
        return issue_login_ticket(s, user=user, method="local")
