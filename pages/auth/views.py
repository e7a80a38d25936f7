"""Sign-in and invitation views."""

import reflex as rx

from pages.auth.state import InviteState, SignInState


def _demo_table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Demo accounts", size="3"),
            rx.text("Development only. Password for all: ",
                    rx.code(SignInState.demo_password, data_testid="demo-password"), size="2"),
            rx.table.root(
                rx.table.body(rx.foreach(SignInState.demo, lambda d: rx.table.row(
                    rx.table.cell(d.role),
                    rx.table.cell(rx.code(d.email)),
                    rx.table.cell(rx.button("Sign in", size="1", variant="soft",
                                            on_click=SignInState.demo_sign_in(d.email))),
                ))),
                size="1", width="100%",
            ),
            spacing="2", width="100%",
        ),
        width="100%", data_testid="demo-accounts",
    )


def signin_view() -> rx.Component:
    """The sign-in card."""
    return rx.center(
        rx.vstack(
            rx.hstack(rx.image(src="/logo.svg", width="36px"),
                      rx.heading("Monetization console", size="6"), align="center"),
            rx.cond(SignInState.notice != "",
                    rx.callout(SignInState.notice, icon="info", color_scheme="green")),
            rx.cond(SignInState.error != "",
                    rx.callout(SignInState.error, icon="triangle-alert", color_scheme="red",
                               data_testid="signin-error")),
            rx.cond(
                SignInState.local_enabled,
                rx.form(
                    rx.vstack(
                        rx.text("Email", size="2", weight="medium"),
                        rx.input(name="email", type="email", placeholder="you@company.com",
                                 auto_complete="username", width="100%", data_testid="email"),
                        rx.text("Password", size="2", weight="medium"),
                        rx.input(name="password", type="password", width="100%",
                                 auto_complete="current-password", data_testid="password"),
                        rx.button("Sign in", type="submit", width="100%", loading=SignInState.busy,
                                  data_testid="signin-submit"),
                        spacing="2", width="100%",
                    ),
                    on_submit=SignInState.submit, width="100%",
                ),
            ),
            rx.cond(
                SignInState.oidc_enabled,
                rx.button("Sign in with your company account", width="100%", size="3",
                          on_click=SignInState.start_oidc, data_testid="oidc-signin"),
            ),
            rx.cond(SignInState.demo.length() > 0, _demo_table()),
            spacing="4", width="440px", padding="2em",
        ),
        min_height="100vh",
    )


def invite_view() -> rx.Component:
    """Choose a password for an invited account."""
    return rx.center(
        rx.vstack(
            rx.heading("Welcome to the monetization console", size="5"),
            rx.text("Choose a password (at least 12 characters, upper and lower case).",
                    size="2"),
            rx.cond(InviteState.error != "",
                    rx.callout(InviteState.error, icon="triangle-alert", color_scheme="red",
                               data_testid="invite-error")),
            rx.form(
                rx.vstack(
                    rx.input(name="password", type="password", placeholder="Password",
                             width="100%"),
                    rx.input(name="confirm", type="password", placeholder="Repeat password",
                             width="100%"),
                    rx.button("Create account", type="submit", width="100%"),
                    width="100%",
                ),
                on_submit=InviteState.accept, width="100%",
            ),
            width="400px", spacing="3",
        ),
        min_height="100vh",
    )
