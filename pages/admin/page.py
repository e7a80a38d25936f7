"""Route of user administration."""

import reflex as rx

from pages.admin.state import AdminState
from pages.admin.views import admin_view
from pages.components.layout import shell
from pages.session import SessionState


def admin_page() -> rx.Component:
    """/admin/users."""
    return shell("Users & roles", admin_view())


def register(app: rx.App) -> None:
    """Add the admin page."""
    app.add_page(admin_page, route="/admin/users", title="Users & roles",
                 on_load=[SessionState.guard_page, AdminState.load])
