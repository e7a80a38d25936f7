"""User administration for the admin page: invitations, roles, enable/disable, unlock.

Each entry point re-checks that the actor holds ``manage_users`` inside its own transaction,
so the rule holds even if a page forgot its guard.
"""

from __future__ import annotations

from collections.abc import Sequence

from console.identity.usecases import accounts as identity
from console.identity.usecases.accounts import UserRow
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission, Role, parse_roles
from console.kernel.settings import settings
from models.db import read_session, unit_of_work


def _check_admin(session, actor_id: int) -> Actor:
    actor = actor_for(session, actor_id)
    require(session, actor, Permission.MANAGE_USERS)
    return actor


def users() -> list[UserRow]:
    """Every user for the admin table."""
    with read_session() as s:
        return identity.list_users(s)


def _roles(names: Sequence[str]) -> list[Role]:
    roles = parse_roles(names)
    if len(roles) != len(set(names)):
        raise InvalidInput("Unknown role.")
    return sorted(roles)


def invite(actor_id: int, *, email: str, name: str, roles: Sequence[str]) -> str:
    """Invite a user; returns the invitation link to hand over."""
    with unit_of_work() as s:
        actor = _check_admin(s, actor_id)
        token = identity.invite_user(s, email=email, name=name, roles=_roles(roles), actor=actor)
    return f"{settings().public_url}/invite/{token}"


def set_roles(actor_id: int, *, user_id: int, roles: Sequence[str], reason: str = "") -> None:
    """Replace a user's roles (audited)."""
    with unit_of_work() as s:
        actor = _check_admin(s, actor_id)
        identity.set_user_roles(s, user_id=user_id, roles=_roles(roles), actor=actor,
                                reason=reason)


def set_active(actor_id: int, *, user_id: int, active: bool) -> None:
    """Enable or disable a user (audited)."""
    with unit_of_work() as s:
        actor = _check_admin(s, actor_id)
        identity.set_user_active(s, user_id=user_id, active=active, actor=actor)


def unlock(actor_id: int, *, user_id: int) -> None:
    """Clear a lockout (audited)."""
    with unit_of_work() as s:
        actor = _check_admin(s, actor_id)
        identity.unlock_user(s, user_id=user_id, actor=actor)


def accept_invitation(token: str, password: str) -> str:
    """Create the invited account and return a login ticket to sign straight in."""
    with unit_of_work() as s:
        user = identity.accept_invitation(s, token=token, password=password)
        return identity.issue_login_ticket(s, user=user, method="local")
