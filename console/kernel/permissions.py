"""The one server-side permission check: every use-case that changes data calls :func:`require`.

Roles are read from the database inside the caller's transaction, never taken from the UI.
System actors (CLI, scheduled jobs, the demo generator) pass only where the caller says so
with ``system=True``: a use-case a person must start refuses them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from console.kernel.actor import Actor
from console.kernel.errors import NotAllowed
from console.kernel.roles import Permission, Role, parse_roles, permissions_for
from models import UserRole

#: What each permission lets a person do, for the refusal message.
PERMISSION_TEXT: dict[Permission, str] = {
    Permission.VIEW_CUSTOMERS: "view customers",
    Permission.VIEW_CATALOG: "view the catalog",
    Permission.VIEW_INVOICES: "view invoices",
    Permission.VIEW_DISPUTES: "view disputes",
    Permission.VIEW_COLLECTIONS: "view collections",
    Permission.VIEW_KPIS: "view the KPI dashboards",
    Permission.VIEW_EXPERIMENTS: "view experiments",
    Permission.VIEW_AUDIT: "view the audit log",
    Permission.MANAGE_USERS: "manage users (admin)",
    Permission.EDIT_CATALOG: "edit the catalog (monetization lead)",
    Permission.APPROVE_CATALOG: "approve catalog changes (monetization lead or finance)",
    Permission.RUN_EXPERIMENTS: "run experiments and rollouts (monetization lead)",
    Permission.APPROVE_EXPERIMENTS: "approve experiments and rollouts (monetization lead or "
                                    "finance)",
    Permission.RUN_BILLING: "run bill runs (finance)",
    Permission.REVIEW_INVOICES: "review invoices (finance)",
    Permission.ISSUE_CREDIT_NOTES: "issue credit notes (finance)",
    Permission.APPROVE_CREDITS: "approve credits (finance)",
    Permission.MANAGE_COLLECTIONS: "manage collections (finance)",
    Permission.WORK_DISPUTES: "work disputes (support)",
    Permission.IMPORT_USAGE: "import usage (finance)",
    Permission.VIEW_JOBS: "view scheduled jobs and webhook deliveries",
    Permission.RUN_JOBS: "run or reschedule jobs (admin)",
    Permission.MANAGE_WEBHOOKS: "manage webhook endpoints (admin)",
    Permission.MANAGE_CUSTOMERS: "create customers or edit their billing details (finance or "
                                 "admin)",
    Permission.CHANGE_SUBSCRIPTIONS: "change subscriptions (finance or support)",
    Permission.APPROVE_SUBSCRIPTION_CHANGES: "approve subscription changes (finance)",
}


def roles_of(session: Session, user_id: int | None) -> frozenset[Role]:
    """The roles a user holds now, read in the caller's transaction (none for the system)."""
    if user_id is None:
        return frozenset()
    names = session.execute(sa.select(UserRole.role).where(UserRole.user_id == user_id)).scalars()
    return parse_roles(names)


def require(session: Session, actor: Actor, *permissions: Permission,
            system: bool = False) -> frozenset[Role]:
    """Refuse unless ``actor`` holds at least one of ``permissions``; returns their roles.

    Args:
        session: the caller's unit of work (roles are read inside it).
        actor: who acts.
        permissions: any one of these is enough.
        system: whether a system actor (no person) may do this too.

    Raises:
        NotAllowed: for a person without any of the permissions, and for the system unless
            ``system`` is true. Nothing was changed.
    """
    if actor.user_id is None:
        if system:
            return frozenset()
        raise NotAllowed("You are not allowed to do this without signing in. Nothing was changed.")
    roles = roles_of(session, actor.user_id)
    granted = permissions_for(roles)
    if not any(p in granted for p in permissions):
        what = PERMISSION_TEXT.get(permissions[0], "do this") if permissions else "do this"
        raise NotAllowed(f"You are not allowed to {what}. Nothing was changed.")
    return roles
