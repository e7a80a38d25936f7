"""People for the jobs and delivery tests (no passwords: hashing makes tests slow)."""

from console.kernel.actor import Actor
from models import User, UserRole
from models.db import unit_of_work

PEOPLE = (("admin", "admin"), ("finance", "finance"), ("viewer", "viewer"),
          ("lead", "monetization_lead"))


def people(engine) -> dict[str, Actor]:
    """Actors by key: admin, finance, viewer, lead."""
    out = {}
    with unit_of_work(engine) as s:
        for key, role in PEOPLE:
            user = User(email=f"{key}@platform.test", name=key.title(), auth_source="local")
            s.add(user)
            s.flush()
            s.add(UserRole(user_id=user.id, role=role))
            out[key] = Actor(user.id, user.email)
    return out
