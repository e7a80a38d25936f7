"""The demo accounts of a dev console (CONSOLE_ENV=dev only): one per role, one password."""

from __future__ import annotations

from console.kernel.roles import Role

#: The shared password of every demo account.
DEMO_PASSWORD = "Demo-Console-2026"  # noqa: S105 - documented dev-only password

#: Demo accounts: key, email, name, roles.
DEMO_USERS: tuple[tuple[str, str, str, tuple[Role, ...]], ...] = (
    ("admin", "admin@demo.test", "Ada Admin", (Role.ADMIN,)),
    ("monetization_lead", "lead@demo.test", "Mona Lead", (Role.MONETIZATION_LEAD,)),
    ("monetization_lead2", "lead2@demo.test", "Milo Pricing", (Role.MONETIZATION_LEAD,)),
    ("finance", "finance@demo.test", "Fin Ance", (Role.FINANCE,)),
    ("finance2", "finance2@demo.test", "Fiona Controller", (Role.FINANCE,)),
    ("support", "support@demo.test", "Sam Support", (Role.SUPPORT,)),
    ("support2", "support2@demo.test", "Sue Helpdesk", (Role.SUPPORT,)),
    ("viewer", "viewer@demo.test", "Vic Auditor", (Role.VIEWER,)),
)
