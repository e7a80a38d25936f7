"""Roles and what each may do (../shared/DOMAIN.md "Roles"); checked on the server everywhere.

Pages declare the permission needed to open them, event handlers the permission needed to run;
this module is the single table both consult.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    """A role a user may hold (several at once)."""

    ADMIN = "admin"
    MONETIZATION_LEAD = "monetization_lead"
    FINANCE = "finance"
    SUPPORT = "support"
    VIEWER = "viewer"


class Permission(StrEnum):
    """One thing a user may see or do."""

    VIEW_CUSTOMERS = "view_customers"
    VIEW_CATALOG = "view_catalog"
    VIEW_INVOICES = "view_invoices"
    VIEW_DISPUTES = "view_disputes"
    VIEW_COLLECTIONS = "view_collections"
    VIEW_KPIS = "view_kpis"
    VIEW_EXPERIMENTS = "view_experiments"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"
    EDIT_CATALOG = "edit_catalog"
    APPROVE_CATALOG = "approve_catalog"
    RUN_EXPERIMENTS = "run_experiments"
    APPROVE_EXPERIMENTS = "approve_experiments"
    RUN_BILLING = "run_billing"
    REVIEW_INVOICES = "review_invoices"
    ISSUE_CREDIT_NOTES = "issue_credit_notes"
    APPROVE_CREDITS = "approve_credits"
    MANAGE_COLLECTIONS = "manage_collections"
    WORK_DISPUTES = "work_disputes"
    IMPORT_USAGE = "import_usage"
    VIEW_JOBS = "view_jobs"
    RUN_JOBS = "run_jobs"
    MANAGE_WEBHOOKS = "manage_webhooks"
    MANAGE_CUSTOMERS = "manage_customers"
    CHANGE_SUBSCRIPTIONS = "change_subscriptions"
    APPROVE_SUBSCRIPTION_CHANGES = "approve_subscription_changes"


_READ_ALL = frozenset(
    {
        Permission.VIEW_CUSTOMERS,
        Permission.VIEW_CATALOG,
        Permission.VIEW_INVOICES,
        Permission.VIEW_DISPUTES,
        Permission.VIEW_COLLECTIONS,
        Permission.VIEW_KPIS,
        Permission.VIEW_EXPERIMENTS,
        Permission.VIEW_AUDIT,
        Permission.VIEW_JOBS,
    }
)

#: The role -> permission table. Viewers (auditors) read every page; admin adds user management.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _READ_ALL,
    Role.ADMIN: _READ_ALL | {Permission.MANAGE_USERS, Permission.RUN_JOBS,
                             Permission.MANAGE_WEBHOOKS, Permission.MANAGE_CUSTOMERS},
    Role.MONETIZATION_LEAD: frozenset(
        {
            Permission.VIEW_CUSTOMERS,
            Permission.VIEW_CATALOG,
            Permission.VIEW_INVOICES,
            Permission.VIEW_KPIS,
            Permission.VIEW_EXPERIMENTS,
            Permission.EDIT_CATALOG,
            Permission.APPROVE_CATALOG,
            Permission.RUN_EXPERIMENTS,
            Permission.APPROVE_EXPERIMENTS,
        }
    ),
    Role.FINANCE: _READ_ALL
    | {
        Permission.APPROVE_CATALOG,
        Permission.APPROVE_EXPERIMENTS,
        Permission.RUN_BILLING,
        Permission.REVIEW_INVOICES,
        Permission.ISSUE_CREDIT_NOTES,
        Permission.APPROVE_CREDITS,
        Permission.MANAGE_COLLECTIONS,
        Permission.IMPORT_USAGE,
        Permission.MANAGE_CUSTOMERS,
        Permission.CHANGE_SUBSCRIPTIONS,
        Permission.APPROVE_SUBSCRIPTION_CHANGES,
    },
    Role.SUPPORT: frozenset(
        {
            Permission.VIEW_CUSTOMERS,
            Permission.VIEW_CATALOG,
            Permission.VIEW_INVOICES,
            Permission.VIEW_DISPUTES,
            Permission.WORK_DISPUTES,
            Permission.CHANGE_SUBSCRIPTIONS,
        }
    ),
}

ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Admin",
    Role.MONETIZATION_LEAD: "Monetization lead",
    Role.FINANCE: "Finance",
    Role.SUPPORT: "Support",
    Role.VIEWER: "Viewer",
}


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Turn role names into roles, ignoring names that are not roles (e.g. from an IdP)."""
    valid = {r.value for r in Role}
    return frozenset(Role(n) for n in names if n in valid)


def permissions_for(roles: Iterable[Role | str]) -> frozenset[Permission]:
    """Every permission granted by any of ``roles``."""
    granted: set[Permission] = set()
    for role in parse_roles(str(r) for r in roles):
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def can(roles: Iterable[Role | str], permission: Permission) -> bool:
    """Whether a user holding ``roles`` has ``permission``."""
    return permission in permissions_for(roles)
