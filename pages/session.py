"""Who is signed in, checked on the server for every page load and every event handler.

Identity lives only in backend vars, resolved from the HttpOnly session cookie (which Reflex
does not serialise to the browser). ``requires`` wraps every data-reading or data-changing
handler: it re-resolves the session from the database (so a revoked session or a removed role
takes effect at once) and refuses with a clear toast, changing nothing. It also times the
handler for ``/metrics`` (``console_event_handler_seconds``, by handler).
"""

import functools
import inspect
import logging
import time
from collections.abc import Callable
from urllib.parse import quote

import reflex as rx
from reflex.istate.proxy import StateProxy

from console import identity as signin
from console.identity import Identity, cookie_value
from console.kernel.metrics import EVENT_SECONDS
from console.kernel.roles import ROLE_LABELS, Permission, Role, can, permissions_for
from pages.registry import PAGES, page_for

log = logging.getLogger(__name__)

PERMISSION_ATTR = "_console_permission"
PUBLIC_ATTR = "_console_public"

REFUSED = "You are not allowed to do this. Nothing was changed."
SIGNED_OUT = "Your session has ended. Please sign in again."


def requires(permission: Permission, *, quiet: bool = False) -> Callable:
    """Guard an event handler: run it only for a live session holding ``permission``.

    Args:
        permission: what the handler needs.
        quiet: refuse without a toast (for on_load data loaders behind a page guard).
    """

    def decorate(fn: Callable) -> Callable:
        def refusal(self: "SessionState"):
            ident = self._identity()
            if ident is None:
                # Page loaders stay quiet: the page guard already sends the user to sign in.
                return None if quiet else [rx.toast.error(SIGNED_OUT), self._to_signin()]
            log.warning("refused %s to user %s (needs %s)", fn.__qualname__, ident.email,
                        permission)
            return None if quiet else rx.toast.error(REFUSED)

        async def check_async(self) -> tuple[bool, object]:
            # A background task gets a StateProxy that may only change state (the identity
            # backend vars included) while holding the lock: check inside ``async with``.
            if isinstance(self, StateProxy) and not self._is_mutable():
                async with self:
                    allowed = self._allowed(permission)
                    return allowed, None if allowed else refusal(self)
            allowed = self._allowed(permission)
            return allowed, None if allowed else refusal(self)

        seconds = EVENT_SECONDS.labels(handler=fn.__qualname__)

        if inspect.isasyncgenfunction(fn):
            @functools.wraps(fn)
            async def agen_wrapper(self, *args, **kwargs):
                started = time.perf_counter()
                try:
                    allowed, refused = await check_async(self)
                    if not allowed:
                        yield refused
                        return
                    async for item in fn(self, *args, **kwargs):
                        yield item
                finally:
                    seconds.observe(time.perf_counter() - started)
            wrapper = agen_wrapper
        elif inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def co_wrapper(self, *args, **kwargs):
                started = time.perf_counter()
                try:
                    allowed, refused = await check_async(self)
                    if not allowed:
                        return refused
                    return await fn(self, *args, **kwargs)
                finally:
                    seconds.observe(time.perf_counter() - started)
            wrapper = co_wrapper
        elif inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(self, *args, **kwargs):
                started = time.perf_counter()
                try:
                    if not self._allowed(permission):
                        yield refusal(self)
                        return
                    yield from fn(self, *args, **kwargs)
                finally:
                    seconds.observe(time.perf_counter() - started)
            wrapper = gen_wrapper
        else:
            @functools.wraps(fn)
            def wrapper(self, *args, **kwargs):
                started = time.perf_counter()
                try:
                    if not self._allowed(permission):
                        return refusal(self)
                    return fn(self, *args, **kwargs)
                finally:
                    seconds.observe(time.perf_counter() - started)
        setattr(wrapper, PERMISSION_ATTR, permission)
        return wrapper

    return decorate


def public(fn: Callable) -> Callable:
    """Mark a handler that needs no sign-in (the sign-in form itself); the role test checks it."""
    setattr(fn, PUBLIC_ATTR, True)
    return fn


class SessionState(rx.State):
    """The signed-in user (backend only) and what the shell shows of them."""

    _user_id: int = 0
    _roles: list[str] = []
    user_name: str = ""
    user_email: str = ""
    role_label: str = ""
    nav_routes: list[str] = []
    #: What the UI may offer (display only: handlers re-check on the server).
    permissions: list[str] = []
    denied: bool = False
    ready: bool = False

    def _token(self) -> str | None:
        return cookie_value(self.router.headers.cookie)

    def _identity(self) -> Identity | None:
        ident = signin.identity_for_token(self._token())
        if ident is None:
            self._user_id, self._roles = 0, []
            return None
        self._user_id, self._roles = ident.user_id, sorted(r.value for r in ident.roles)
        return ident

    def _allowed(self, permission: Permission) -> bool:
        ident = self._identity()
        return ident is not None and can(ident.roles, permission)

    def _to_signin(self):
        path = self.router.url.path or "/"
        return rx.redirect(f"/signin?next={quote(path)}")

    def _actor_id(self) -> int:
        """The current user id (only valid inside a handler that passed ``requires``)."""
        return self._user_id

    @public
    def guard_page(self):
        """on_load of every page: sign-in required, then the page's permission (else 403)."""
        self.ready = False
        ident = self._identity()
        if ident is None:
            return self._to_signin()
        self.user_name = ident.name
        self.user_email = ident.email
        self.role_label = ", ".join(ROLE_LABELS[Role(r)] for r in sorted(ident.roles))
        self.nav_routes = [p.route for p in PAGES
                           if p.in_nav and (p.permission is None or can(ident.roles, p.permission))]
        self.permissions = sorted(p.value for p in permissions_for(ident.roles))
        spec = page_for(self.router.route_id or self.router.url.path)
        self.denied = bool(spec and spec.permission and not can(ident.roles, spec.permission))
        self.ready = True
        return None

    @public
    def sign_out(self):
        """Revoke the session on the server, then clear the cookie with a full page load."""
        signin.end_session(self._token())
        self._user_id, self._roles = 0, []
        self.user_name = self.user_email = self.role_label = ""
        self.nav_routes = []
        self.permissions = []
        return rx.call_script("window.location.assign('/auth/logout')")
