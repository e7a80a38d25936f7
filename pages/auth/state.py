"""Sign-in and invitation acceptance (the only handlers that run without a session)."""

from urllib.parse import parse_qsl, quote, urlsplit

import reflex as rx

from console import identity as admin
from console import identity as signin
from console.identity import DemoAccount, SignInError
from console.kernel.errors import ServiceError
from console.kernel.settings import settings
from pages.components.scripts import post_ticket
from pages.session import SessionState, public


class SignInState(SessionState):
    """The sign-in form."""

    error: str = ""
    notice: str = ""
    busy: bool = False
    oidc_enabled: bool = False
    local_enabled: bool = True
    demo: list[DemoAccount] = []
    demo_password: str = ""
    _next: str = "/"

    def _query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(str(self.router.url)).query))

    @public
    def load(self):
        """Read ?error / ?next, and list the demo accounts in dev."""
        q = self._query()
        self.error = q.get("error", "")
        self.notice = "You have been signed out." if q.get("signed_out") else ""
        self._next = q.get("next", "/") or "/"
        cfg = settings()
        self.oidc_enabled = cfg.auth_mode == "oidc"
        self.local_enabled = cfg.auth_mode == "local"
        self.demo = signin.demo_accounts() if self.local_enabled else []
        self.demo_password = signin.demo_password()
        self.busy = False
        if self._identity() is not None and not self.error:
            return rx.redirect(self._next if self._next.startswith("/") else "/")
        return None

    @public
    def submit(self, form_data: dict):
        """Check the password on the server, then trade a one-time ticket for the cookie."""
        email = str(form_data.get("email", "")).strip()
        password = str(form_data.get("password", ""))
        if not email or not password:
            self.error = "Enter your email and password."
            return None
        try:
            ticket = signin.local_sign_in(email, password)
        except SignInError as exc:
            self.error = str(exc)
            return None
        self.error = ""
        self.busy = True
        return rx.call_script(post_ticket(ticket, self._next))

    @public
    def start_oidc(self):
        """Leave for the identity provider with a full page load (the server sets the cookie)."""
        target = quote(self._next if self._next.startswith("/") else "/")
        return rx.call_script(f"window.location.assign('/auth/oidc/login?next={target}')")

    @public
    def demo_sign_in(self, email: str):
        """One-click sign-in as a demo account (dev only: the password is public there)."""
        if not settings().is_dev:
            self.error = "Demo accounts exist only in development."
            return None
        return self.submit({"email": email, "password": signin.demo_password()})


class InviteState(SessionState):
    """Accepting an invitation: choose a password, then sign in."""

    error: str = ""

    @public
    def accept(self, form_data: dict):
        """Create the invited account with the chosen password."""
        token = str(self.router.url).rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        password = str(form_data.get("password", ""))
        if password != str(form_data.get("confirm", "")):
            self.error = "The two passwords differ."
            return None
        try:
            ticket = admin.accept_invitation(token, password)
        except ServiceError as exc:
            self.error = str(exc)
            return None
        return rx.call_script(post_ticket(ticket, "/"))
