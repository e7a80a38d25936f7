"""Who acts: a signed-in person, or the system (CLI, seeding, scheduled jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models import User


@dataclass(frozen=True)
class Actor:
    """The author of a change: ``user_id`` is None for the system."""

    user_id: int | None
    label: str

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        """An actor for work no person started (e.g. ``system:cli``)."""
        return cls(None, what)

    @property
    def is_system(self) -> bool:
        """Whether no person started this work."""
        return self.user_id is None


def actor_for(session: Session, user_id: int) -> Actor:
    """The audit actor for a user id (label = e-mail)."""
    user = session.get(User, user_id)
    return Actor(user_id, user.email if user else f"user:{user_id}")
