"""The role -> permission table matches ../shared/DOMAIN.md."""

import pytest

from console.kernel.roles import Permission as P
from console.kernel.roles import Role, can, parse_roles, permissions_for

READS = [P.VIEW_CUSTOMERS, P.VIEW_CATALOG, P.VIEW_INVOICES, P.VIEW_DISPUTES,
         P.VIEW_COLLECTIONS, P.VIEW_KPIS, P.VIEW_EXPERIMENTS, P.VIEW_AUDIT]


@pytest.mark.parametrize(("role", "permission", "allowed"), [
    (Role.VIEWER, P.VIEW_AUDIT, True),
    (Role.VIEWER, P.REVIEW_INVOICES, False),
    (Role.VIEWER, P.MANAGE_USERS, False),
    (Role.ADMIN, P.MANAGE_USERS, True),
    (Role.ADMIN, P.APPROVE_CATALOG, False),
    (Role.MONETIZATION_LEAD, P.EDIT_CATALOG, True),
    (Role.MONETIZATION_LEAD, P.APPROVE_CATALOG, True),
    (Role.MONETIZATION_LEAD, P.RUN_EXPERIMENTS, True),
    (Role.MONETIZATION_LEAD, P.VIEW_KPIS, True),
    (Role.MONETIZATION_LEAD, P.REVIEW_INVOICES, False),
    (Role.FINANCE, P.RUN_BILLING, True),
    (Role.FINANCE, P.REVIEW_INVOICES, True),
    (Role.FINANCE, P.ISSUE_CREDIT_NOTES, True),
    (Role.FINANCE, P.APPROVE_CATALOG, True),
    (Role.FINANCE, P.APPROVE_CREDITS, True),
    (Role.FINANCE, P.EDIT_CATALOG, False),
    (Role.FINANCE, P.WORK_DISPUTES, False),
    (Role.SUPPORT, P.WORK_DISPUTES, True),
    (Role.SUPPORT, P.VIEW_INVOICES, True),
    (Role.SUPPORT, P.REVIEW_INVOICES, False),
    (Role.SUPPORT, P.ISSUE_CREDIT_NOTES, False),
    (Role.SUPPORT, P.APPROVE_CREDITS, False),
    (Role.SUPPORT, P.VIEW_KPIS, False),
    (Role.FINANCE, P.MANAGE_CUSTOMERS, True),
    (Role.ADMIN, P.MANAGE_CUSTOMERS, True),
    (Role.SUPPORT, P.MANAGE_CUSTOMERS, False),
    (Role.VIEWER, P.MANAGE_CUSTOMERS, False),
    (Role.FINANCE, P.CHANGE_SUBSCRIPTIONS, True),
    (Role.SUPPORT, P.CHANGE_SUBSCRIPTIONS, True),
    (Role.ADMIN, P.CHANGE_SUBSCRIPTIONS, False),
    (Role.MONETIZATION_LEAD, P.CHANGE_SUBSCRIPTIONS, False),
    (Role.FINANCE, P.APPROVE_SUBSCRIPTION_CHANGES, True),
    (Role.SUPPORT, P.APPROVE_SUBSCRIPTION_CHANGES, False),
])
def test_role_grants(role: Role, permission: P, allowed: bool) -> None:
    assert can([role], permission) is allowed


@pytest.mark.parametrize("permission", READS)
def test_viewer_reads_every_page(permission: P) -> None:
    assert can([Role.VIEWER], permission)


def test_several_roles_combine() -> None:
    assert permissions_for([Role.SUPPORT, Role.FINANCE]) >= {P.WORK_DISPUTES, P.REVIEW_INVOICES}


def test_unknown_role_names_grant_nothing() -> None:
    assert parse_roles(["root", "finance", ""]) == {Role.FINANCE}
    assert not can(["root"], P.VIEW_CUSTOMERS)
