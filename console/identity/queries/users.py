"""The users as the admin page lists them, and the one user loader."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.kernel.errors import NotFound
from console.kernel.permissions import roles_of
from models import User
from models.db import read_session
from models.types import utcnow


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


def get_user(session: Session, user_id: int) -> User:
    """The user with ``user_id``.

    Raises:
        NotFound: for an unknown id.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def list_users(session: Session) -> list[UserRow]:
    """Every user with roles and status (active, locked or disabled), by email."""
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


# --- page-facing

def users() -> list[UserRow]:
    """Every user for the admin table (the admin page checks ``manage_users`` on load)."""
    with read_session() as s:
        return list_users(s)
