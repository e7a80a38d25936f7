"""The app shell: sidebar with only the pages the role may open, header with user and role."""

import reflex as rx

from pages.registry import PAGES
from pages.session import SessionState


def _nav_link(route: str, label: str, icon: str) -> rx.Component:
    active = (SessionState.router.url.path == route) | (
        (route != "/") & SessionState.router.url.path.startswith(route + "/"))
    return rx.cond(
        SessionState.nav_routes.contains(route),
        rx.link(
            rx.hstack(rx.icon(icon, size=16), rx.text(label, size="2"), spacing="2",
                      align="center"),
            href=route,
            underline="none",
            class_name=rx.cond(active, "nav-link nav-link-active", "nav-link"),
            data_testid=f"nav-{route.strip('/') or 'home'}",
        ),
    )


def sidebar() -> rx.Component:
    """Navigation filtered by the server-computed list of routes the user may open."""
    return rx.vstack(
        rx.hstack(rx.image(src="/logo.svg", width="28px", height="28px"),
                  rx.heading("Monetization", size="4"), align="center", spacing="2",
                  padding_bottom="1em"),
        *[_nav_link(p.route, p.label, p.icon) for p in PAGES if p.in_nav],
        class_name="sidebar",
        spacing="1",
        align="stretch",
    )


def header(title: str) -> rx.Component:
    """Page title, the signed-in user with their roles, and sign-out."""
    return rx.hstack(
        rx.heading(title, size="6", data_testid="page-title"),
        rx.spacer(),
        rx.vstack(
            rx.text(SessionState.user_name, weight="medium", size="2", data_testid="user-name"),
            rx.text(SessionState.role_label, size="1", color_scheme="gray",
                    data_testid="user-roles"),
            spacing="0", align="end",
        ),
        rx.button(rx.icon("log-out", size=14), "Sign out", variant="soft", size="2",
                  on_click=SessionState.sign_out, data_testid="sign-out"),
        align="center", width="100%", class_name="page-header",
    )


def forbidden() -> rx.Component:
    """The 403 view: shown instead of a page the role may not open."""
    return rx.center(
        rx.vstack(
            rx.heading("403 — Not allowed", size="7", data_testid="forbidden"),
            rx.text("Your role does not give access to this page. Ask an admin if you need it."),
            rx.link("Back to home", href="/"),
            align="center", spacing="3",
        ),
        padding="4em",
    )


def shell(title: str, *content: rx.Component) -> rx.Component:
    """Wrap a page's content in the shell; the content renders only when access is granted."""
    return rx.hstack(
        sidebar(),
        rx.box(
            header(title),
            rx.cond(
                SessionState.ready,
                rx.cond(SessionState.denied, forbidden(), rx.box(*content, width="100%")),
                rx.center(rx.spinner(size="3"), padding="4em"),
            ),
            class_name="main",
        ),
        align="start", spacing="0", width="100%",
    )


def pager(page: rx.Var, pages: rx.Var, total: rx.Var, on_prev: rx.EventHandler,
          on_next: rx.EventHandler) -> rx.Component:
    """Previous/next controls with the page position and the total row count."""
    return rx.hstack(
        rx.text(total.to_string() + " rows", size="2", color_scheme="gray",
                data_testid="total-rows"),
        rx.spacer(),
        rx.button("Previous", on_click=on_prev, disabled=page <= 0, variant="soft", size="1",
                  data_testid="prev-page"),
        rx.text("Page ", (page + 1).to_string(), " of ", pages.to_string(), size="2",
                data_testid="page-position"),
        rx.button("Next", on_click=on_next, disabled=page + 1 >= pages, variant="soft",
                  size="1", data_testid="next-page"),
        align="center", width="100%", padding_y="0.5em",
    )


def stat(label: str, value: rx.Var | str, testid: str = "") -> rx.Component:
    """A small label/value card."""
    return rx.card(rx.vstack(rx.text(label, size="1", color_scheme="gray"),
                             rx.text(value, size="4", weight="bold"), spacing="1"),
                   data_testid=testid or None)
