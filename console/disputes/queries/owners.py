"""Who may own a dispute: the choices for assigning a case."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.kernel.roles import Permission, permissions_for
from models import User, UserRole
from models.db import read_session


@dataclass(frozen=True)
class OwnerChoice:
    """A user who may own disputes."""

    id: int
    name: str


def owner_choices(session: Session) -> list[OwnerChoice]:
    """Active users whose roles let them work disputes, by name."""
    rows = session.execute(sa.select(User.id, User.name, UserRole.role)
                           .join(UserRole, UserRole.user_id == User.id)
                           .where(User.is_active).order_by(User.name, User.id)).all()
    roles: dict[tuple[int, str], set[str]] = {}
    for uid, name, role in rows:
        roles.setdefault((uid, name), set()).add(role)
    return [OwnerChoice(uid, name) for (uid, name), held in roles.items()
            if Permission.WORK_DISPUTES in permissions_for(held)]


# --- page-facing


def owner_choices_view() -> list[OwnerChoice]:
    """Page-facing :func:`owner_choices`."""
    with read_session() as s:
        return owner_choices(s)
