"""The 404 page."""

import reflex as rx


def not_found() -> rx.Component:
    """Shown for unknown routes."""
    return rx.center(rx.vstack(
        rx.heading("404 — Page not found", size="7", data_testid="not-found"),
        rx.text("There is no page at this address."),
        rx.link("Back to home", href="/"), align="center", spacing="3"), padding="4em")
