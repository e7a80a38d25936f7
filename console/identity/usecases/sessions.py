"""Server-side sessions: starting one for a signed-in user, and ending them (sign-out,
disabled accounts). The browser holds the token; the database holds only its digest."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.identity.domain.tokens import new_token, token_digest
from console.kernel.actor import Actor
from models import User, UserSession
from models.db import unit_of_work
from models.types import utcnow


def start_session(session: Session, *, user: User, method: str, session_hours: int,
                  user_agent: str = "") -> str:
    """Create a server-side session for ``user`` (audited).

    Args:
        session: the open unit of work.
        user: the user who signed in.
        method: how they signed in (``local``, ``oidc``), kept on the session and audited.
        session_hours: how long the session lives.
        user_agent: the browser's User-Agent (kept, cut to 300 characters).

    Returns:
        The token for the HttpOnly session cookie.
    """
    now = utcnow()
    token = new_token()
    session.add(UserSession(id=token_digest(token), user_id=user.id, auth_method=method,
                            expires_at=now + timedelta(hours=session_hours), last_seen_at=now,
                            user_agent=user_agent[:300] or None))
    user.last_login_at = now
    record(session, actor=Actor(user.id, user.email), action="session.sign_in",
           object_type="user", object_id=user.id, after={"method": method}, at=now)
    return token


def revoke_session(session: Session, token: str | None) -> None:
    """Revoke the session behind ``token`` (sign-out, audited); unknown tokens are ignored."""
    if not token:
        return
    row = session.get(UserSession, token_digest(token))
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    user = session.get(User, row.user_id)
    record(session, actor=Actor(row.user_id, user.email if user else str(row.user_id)),
           action="session.sign_out", object_type="user", object_id=row.user_id)


def revoke_user_sessions(session: Session, user_id: int) -> None:
    """Revoke every live session of a user (not audited here: the caller audits why)."""
    session.execute(sa.update(UserSession).where(UserSession.user_id == user_id,
                                                 UserSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


# --- page-facing

def end_session(token: str | None) -> None:
    """Sign out: revoke the session behind ``token`` in its own transaction (audited)."""
    if token:
        with unit_of_work() as s:
            revoke_session(s, token)
