"""Home: the areas the signed-in user may open."""

import reflex as rx

from pages.registry import PAGES
from pages.session import SessionState


def home_view() -> rx.Component:
    """/: a card per area the user may open."""
    cards = [
        rx.cond(SessionState.nav_routes.contains(p.route), rx.link(rx.card(rx.vstack(
            rx.hstack(rx.icon(p.icon, size=18), rx.heading(p.label, size="3"), align="center"),
            rx.text(p.blurb, size="2", color_scheme="gray"), spacing="2"),
            class_name="home-card"), href=p.route, underline="none"))
        for p in PAGES if p.in_nav and p.route != "/"
    ]
    return rx.vstack(
        rx.text("Signed in as ", SessionState.user_email, ".", size="2", color_scheme="gray"),
        rx.grid(*cards, columns="3", spacing="3", width="100%"),
        width="100%", spacing="3")
