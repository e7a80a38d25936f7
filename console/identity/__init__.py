"""Identity: accounts, sign-in, server-side sessions, invitations and role assignments."""

from console.identity.domain.claims import (
    groups_from_claims,
    roles_from_groups,
)
from console.identity.domain.demo_users import DEMO_USERS
from console.identity.domain.tokens import (
    SESSION_COOKIE,
    cookie_value,
)
from console.identity.queries.demo_accounts import (
    DemoAccount,
    demo_accounts,
    demo_password,
)
from console.identity.queries.sessions import Identity, identity_for_token
from console.identity.queries.users import UserRow, users
from console.identity.usecases.accounts import (
    create_local_user,
    ensure_demo_users,
    remove_demo_users,
)
from console.identity.usecases.sessions import end_session, start_session
from console.identity.usecases.signin import (
    SignInError,
    local_sign_in,
    provision_oidc_user,
    redeem_ticket,
)
from console.identity.usecases.user_admin import (
    accept_invitation,
    invite,
    set_active,
    set_roles,
    unlock,
)
from console.kernel.permissions import roles_of

__all__ = [
    "DEMO_USERS",
    "SESSION_COOKIE",
    "DemoAccount",
    "Identity",
    "SignInError",
    "UserRow",
    "accept_invitation",
    "cookie_value",
    "create_local_user",
    "demo_accounts",
    "demo_password",
    "end_session",
    "ensure_demo_users",
    "groups_from_claims",
    "identity_for_token",
    "invite",
    "local_sign_in",
    "provision_oidc_user",
    "redeem_ticket",
    "remove_demo_users",
    "roles_from_groups",
    "roles_of",
    "set_active",
    "set_roles",
    "start_session",
    "unlock",
    "users",
]
