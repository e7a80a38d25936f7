"""The demo sign-ins the sign-in page lists in a dev console (nothing outside CONSOLE_ENV=dev)."""

from __future__ import annotations

from dataclasses import dataclass

from console.identity.domain.demo_users import DEMO_PASSWORD, DEMO_USERS
from console.kernel.roles import ROLE_LABELS
from console.kernel.settings import settings


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in shown on the sign-in page in dev."""

    email: str
    name: str
    role: str


# --- page-facing

def demo_accounts() -> list[DemoAccount]:
    """Demo accounts to list on the sign-in page (only in CONSOLE_ENV=dev; else none)."""
    if not settings().is_dev:
        return []
    return [DemoAccount(email, name, ", ".join(ROLE_LABELS[r] for r in roles))
            for _key, email, name, roles in DEMO_USERS]


def demo_password() -> str:
    """The shared demo password (dev only; empty otherwise)."""
    return DEMO_PASSWORD if settings().is_dev else ""
