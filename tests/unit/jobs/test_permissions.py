"""Who may see and run jobs and manage webhooks (console/kernel/roles.py)."""

import pytest

from console.kernel.roles import Permission as P
from console.kernel.roles import Role, can


@pytest.mark.parametrize(("role", "view", "run", "webhooks"), [
    (Role.ADMIN, True, True, True),
    (Role.FINANCE, True, False, False),
    (Role.VIEWER, True, False, False),
    (Role.MONETIZATION_LEAD, False, False, False),
    (Role.SUPPORT, False, False, False),
])
def test_jobs_and_webhooks_permissions(role: Role, view: bool, run: bool, webhooks: bool) -> None:
    assert can([role], P.VIEW_JOBS) is view
    assert can([role], P.RUN_JOBS) is run
    assert can([role], P.MANAGE_WEBHOOKS) is webhooks
