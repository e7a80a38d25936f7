"""Who is signed in: the identity behind a session cookie, resolved on every request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from console.identity.domain.tokens import token_digest
from console.kernel.permissions import roles_of
from console.kernel.roles import Role
from models import User, UserSession
from models.db import read_session
from models.types import utcnow


@dataclass(frozen=True)
class Identity:
    """Who is signed in: resolved from the session cookie on the server for every request."""

    user_id: int
    email: str
    name: str
    roles: frozenset[Role]
    session_id: str


def resolve_session(session: Session, token: str | None) -> Identity | None:
    """The identity behind a session cookie.

    Roles are read now, so a role change takes effect on the user's next request.

    Args:
        session: an open session (read or unit of work).
        token: the cookie's session token.

    Returns:
        The identity, or None when the token is missing or its session is unknown, expired or
        revoked, or the user is disabled.
    """
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


# --- page-facing

def identity_for_token(token: str | None) -> Identity | None:
    """The live identity behind a session cookie token, or None (see :func:`resolve_session`)."""
    if not token:
        return None
    with read_session() as s:
        return resolve_session(s, token)
