"""Home: the areas the signed-in user may open."""

import reflex as rx

from pages.components.layout import shell
from pages.registry import PAGES
from pages.session import SessionState

_BLURBS = {
    "/customers": "Search customers; subscriptions, timeline, invoices, usage.",
    "/catalog": "Plans, versioned rate cards, price changes with approval and simulation.",
    "/experiments": "Pricing experiments and staged rollouts with guardrails.",
    "/invoices": "Bill runs and the invoice review queue.",
    "/disputes": "Dispute cases, evidence and resolutions.",
    "/collections": "Open receivables by aging bucket, dunning, promises to pay.",
    "/kpis": "MRR movements, retention, churn, DSO, dispute rate.",
    "/audit": "Every change, hash-chained and exportable.",
    "/admin/users": "Invite users and assign roles.",
}


def home_page() -> rx.Component:
    """/."""
    cards = [
        rx.cond(SessionState.nav_routes.contains(p.route), rx.link(rx.card(rx.vstack(
            rx.hstack(rx.icon(p.icon, size=18), rx.heading(p.label, size="3"), align="center"),
            rx.text(_BLURBS.get(p.route, ""), size="2", color_scheme="gray"), spacing="2"),
            class_name="home-card"), href=p.route, underline="none"))
        for p in PAGES if p.in_nav and p.route != "/"
    ]
    return shell("Home", rx.vstack(
        rx.text("Signed in as ", SessionState.user_email, ".", size="2", color_scheme="gray"),
        rx.grid(*cards, columns="3", spacing="3", width="100%"),
        width="100%", spacing="3"))


def register(app: rx.App) -> None:
    """Add the home page."""
    app.add_page(home_page, route="/", title="Monetization console",
                 on_load=SessionState.guard_page)
