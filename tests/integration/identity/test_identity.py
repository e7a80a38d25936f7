"""Local sign-in, lockout, sessions, OIDC provisioning and user admin on a real database."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.identity.domain.demo_users import DEMO_PASSWORD
from console.identity.domain.passwords import MAX_FAILED_LOGINS
from console.identity.queries.sessions import identity_for_token
from console.identity.usecases import accounts, signin
from console.identity.usecases import user_admin as admin
from console.identity.usecases.sessions import end_session
from console.identity.usecases.signin import SignInError
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from console.kernel.permissions import roles_of
from console.kernel.roles import Role
from models import AuditEvent, User, UserSession
from models.db import read_session, unit_of_work
from models.types import utcnow

pytestmark = pytest.mark.integration


def _audit_actions(engine) -> list[str]:
    with read_session(engine) as s:
        return list(s.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_local_sign_in_ticket_session_and_sign_out(engine, users) -> None:
    ticket = signin.local_sign_in("Finance@demo.test ", DEMO_PASSWORD)
    token = signin.redeem_ticket(ticket, "pytest")
    ident = identity_for_token(token)
    assert ident is not None and ident.email == "finance@demo.test"
    assert ident.roles == {Role.FINANCE}
    with pytest.raises(SignInError, match=r"already used|no longer valid"):
        signin.redeem_ticket(ticket)
    with read_session(engine) as s:
        row = s.get(UserSession, ident.session_id)
        assert row.user_id == users["finance"] and row.revoked_at is None
    end_session(token)
    assert identity_for_token(token) is None
    assert "session.sign_in" in _audit_actions(engine)
    assert "session.sign_out" in _audit_actions(engine)


def test_wrong_password_is_generic_and_locks_after_limit(engine, users) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(SignInError, match="incorrect"):
            signin.local_sign_in("support@demo.test", "wrong-password")
    with pytest.raises(SignInError, match="locked"):
        signin.local_sign_in("support@demo.test", DEMO_PASSWORD)
    with pytest.raises(SignInError, match="incorrect"):
        signin.local_sign_in("nobody@demo.test", DEMO_PASSWORD)
    admin.unlock(users["admin"], user_id=users["support"])
    assert signin.local_sign_in("support@demo.test", DEMO_PASSWORD)
    assert "user.lock" in _audit_actions(engine) and "user.unlock" in _audit_actions(engine)


def test_expired_and_revoked_sessions_resolve_to_nobody(engine, users) -> None:
    token = signin.redeem_ticket(signin.local_sign_in("viewer@demo.test", DEMO_PASSWORD))
    with unit_of_work(engine) as s:
        row = s.execute(sa.select(UserSession)).scalars().first()
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert identity_for_token(token) is None
    token2 = signin.redeem_ticket(signin.local_sign_in("viewer@demo.test", DEMO_PASSWORD))
    admin.set_active(users["admin"], user_id=users["viewer"], active=False)
    assert identity_for_token(token2) is None
    with pytest.raises(SignInError, match="disabled"):
        signin.local_sign_in("viewer@demo.test", DEMO_PASSWORD)


def test_role_change_takes_effect_on_the_next_request(engine, users) -> None:
    token = signin.redeem_ticket(signin.local_sign_in("support@demo.test", DEMO_PASSWORD))
    admin.set_roles(users["admin"], user_id=users["support"], roles=["support", "finance"],
                    reason="covering month end")
    assert identity_for_token(token).roles == {Role.SUPPORT, Role.FINANCE}
    with read_session(engine) as s:
        ev = s.execute(sa.select(AuditEvent).where(AuditEvent.action == "user.roles")).scalar_one()
        assert ev.before == {"roles": ["support"]}
        assert ev.after == {"roles": ["finance", "support"]}
        assert ev.reason == "covering month end" and ev.actor_id == users["admin"]


def test_admin_actions_refused_for_non_admins(engine, users) -> None:
    before = _audit_actions(engine)
    with pytest.raises(NotAllowed):
        admin.set_roles(users["finance"], user_id=users["support"], roles=["admin"])
    with pytest.raises(NotAllowed):
        admin.invite(users["support"], email="x@corp.test", name="X", roles=["viewer"])
    assert _audit_actions(engine) == before
    with pytest.raises(Conflict, match="own admin"):
        admin.set_roles(users["admin"], user_id=users["admin"], roles=["viewer"])


def test_invitation_round_trip(engine, users) -> None:
    link = admin.invite(users["admin"], email="new.analyst@corp.test", name="New Analyst",
                        roles=["viewer", "finance"])
    token = link.rsplit("/", 1)[-1]
    with pytest.raises(InvalidInput, match="12 characters"):
        admin.accept_invitation(token, "short")
    ticket = admin.accept_invitation(token, "Long-Enough-Pass")
    ident = identity_for_token(signin.redeem_ticket(ticket))
    assert ident.email == "new.analyst@corp.test"
    assert ident.roles == {Role.VIEWER, Role.FINANCE}
    with pytest.raises(InvalidInput, match="not valid"):
        admin.accept_invitation(token, "Long-Enough-Pass")


def test_oidc_provisioning_syncs_roles(engine) -> None:
    with unit_of_work(engine) as s:
        u = signin.provision_oidc_user(s, issuer="http://idp", subject="abc",
                                       email="Ops@Corp.test", name="Ops",
                                       roles=frozenset({Role.FINANCE}))
        uid = u.id
    with unit_of_work(engine) as s:
        signin.provision_oidc_user(s, issuer="http://idp", subject="abc", email="ops@corp.test",
                                   name="Ops", roles=frozenset({Role.VIEWER}))
    with read_session(engine) as s:
        assert roles_of(s, uid) == {Role.VIEWER}
        assert s.get(User, uid).email == "ops@corp.test"
    with unit_of_work(engine) as s, pytest.raises(SignInError, match="no role"):
        signin.provision_oidc_user(s, issuer="http://idp", subject="zzz", email="z@corp.test",
                                   name="Z", roles=frozenset())


def test_demo_users_are_disabled_outside_dev(engine, users) -> None:
    with unit_of_work(engine) as s:
        assert accounts.remove_demo_users(s) == len(users)
    with pytest.raises(SignInError):
        signin.local_sign_in("admin@demo.test", DEMO_PASSWORD)
    with read_session(engine) as s:
        assert verify(s)[1] is None


def test_password_policy_for_new_accounts(engine) -> None:
    with unit_of_work(engine) as s, pytest.raises(InvalidInput):
        accounts.create_local_user(s, email="a@corp.test", name="A", password="weak",
                                   roles=[Role.VIEWER], actor=Actor.system())
