"""Routes of the sign-in area."""

import reflex as rx

from pages.auth.state import SignInState
from pages.auth.views import invite_view, signin_view


def register(app: rx.App) -> None:
    """Add the public sign-in pages."""
    app.add_page(signin_view, route="/signin", title="Sign in · Monetization console",
                 on_load=SignInState.load)
    app.add_page(invite_view, route="/invite/[token]", title="Accept invitation")
