"""Every page and every event handler, for every role: allowed ones run, others are refused.

A handler added later without ``@requires`` (or an explicit, reviewed ``@public``) fails here.
"""

import asyncio
import inspect
from collections.abc import Iterator

import pytest
import reflex as rx
import sqlalchemy as sa

import console.app  # noqa: F401  (registers every page and state)
from console.identity.usecases import signin
from console.identity.usecases.accounts import DEMO_PASSWORD
from console.kernel.roles import Role, can
from models.db import read_session
from pages.registry import PAGES
from pages.session import PERMISSION_ATTR, PUBLIC_ATTR, REFUSED, SessionState
from tests.integration.page_states import state_for

pytestmark = pytest.mark.integration

#: Handlers that run without a session, each for a reason a reviewer accepted.
EXPECTED_PUBLIC = {
    "SessionState.guard_page",  # decides sign-in/403 itself
    "SessionState.sign_out",  # revoking your own session needs no role
    "SignInState.load", "SignInState.submit", "SignInState.demo_sign_in",  # the sign-in form
    "SignInState.start_oidc",
    "InviteState.accept",  # the invited person has no account yet
}
#: Reflex's built-in handler: sets this client's own UI vars only; never trusted for identity.
FRAMEWORK = {"setvar"}

ROLE_USERS = {Role.ADMIN: "admin@demo.test", Role.MONETIZATION_LEAD: "lead@demo.test",
              Role.FINANCE: "finance@demo.test", Role.SUPPORT: "support@demo.test",
              Role.VIEWER: "viewer@demo.test"}


def _states(cls: type[rx.State] = SessionState) -> Iterator[type[rx.State]]:
    yield cls
    for sub in cls.get_substates():
        yield from _states(sub)


def _handlers() -> list[tuple[type[rx.State], str, object]]:
    out = []
    for cls in _states():
        for name, handler in cls.event_handlers.items():
            if name not in FRAMEWORK:
                out.append((cls, name, handler.fn))
    return out


def test_every_handler_declares_its_permission() -> None:
    public, unguarded = set(), []
    for cls, name, fn in _handlers():
        if getattr(fn, PERMISSION_ATTR, None) is not None:
            continue
        if getattr(fn, PUBLIC_ATTR, False):
            public.add(f"{cls.__name__}.{name}")
        else:
            unguarded.append(f"{cls.__name__}.{name}")
    assert unguarded == [], f"handlers without @requires: {unguarded}"
    assert public == EXPECTED_PUBLIC


def _dummy_args(fn) -> list[object]:
    args = []
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        ann = p.annotation
        args.append({int: 1, bool: True, dict: {}, list: []}.get(ann, "1"))
    return args


def _call(fn, state: rx.State) -> object:
    """Call a handler and drain it (generators, coroutines and async generators too)."""
    result = fn(state, *_dummy_args(fn))
    if inspect.isgenerator(result):
        return list(result)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    if inspect.isasyncgen(result):
        async def drain(agen):
            items = [item async for item in agen]
            return None if all(item is None for item in items) else items
        return asyncio.run(drain(result))
    return result


def _row_counts(engine) -> dict[str, int]:
    with read_session(engine) as s:
        names = sa.inspect(s.connection()).get_table_names()
        return {t: s.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in names
                if t not in {"user_session", "login_ticket"}}


def _is_refusal(result: object) -> bool:
    text = repr(result)
    return result is None or REFUSED in text


@pytest.fixture
def tokens(engine, users) -> dict[Role, str]:
    return {role: signin.redeem_ticket(signin.local_sign_in(email, DEMO_PASSWORD))
            for role, email in ROLE_USERS.items()}


def test_refused_handlers_change_nothing(engine, tokens) -> None:
    guarded = [(c, n, f) for c, n, f in _handlers() if getattr(f, PERMISSION_ATTR, None)]
    assert len(guarded) >= 10
    before = _row_counts(engine)
    refused = 0
    for role, token in tokens.items():
        for cls, name, fn in guarded:
            permission = getattr(fn, PERMISSION_ATTR)
            if can([role], permission):
                continue
            result = _call(fn, state_for(cls, token))
            assert _is_refusal(result), f"{role} ran {cls.__name__}.{name}: {result!r}"
            refused += 1
    assert refused > 0
    assert _row_counts(engine) == before


def test_signed_out_callers_are_refused(engine, users) -> None:
    for cls, name, fn in _handlers():
        if getattr(fn, PERMISSION_ATTR, None) is None:
            continue
        result = _call(fn, state_for(cls, None))
        assert result is None or "sign in" in repr(result).lower(), f"{cls.__name__}.{name}"


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_page_guard_matches_the_permission_table(engine, tokens, role) -> None:
    for spec in PAGES:
        state = state_for(SessionState, tokens[role], spec.route)
        state.guard_page()
        expected_denied = spec.permission is not None and not can([role], spec.permission)
        assert state.ready is True
        assert state.denied is expected_denied, f"{role} on {spec.route}"
        visible = set(state.nav_routes)
        assert (spec.route in visible) == (spec.in_nav and not expected_denied)


def test_guard_redirects_signed_out_visitors(engine) -> None:
    state = state_for(SessionState, None, "/customers")
    result = state.guard_page()
    assert "/signin?next=/customers" in repr(result)
    assert state.ready is False
