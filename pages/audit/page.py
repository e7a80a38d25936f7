"""Route of the audit log."""

import reflex as rx

from pages.audit.state import AuditState
from pages.audit.views import audit_view
from pages.components.layout import shell
from pages.session import SessionState


def audit_page() -> rx.Component:
    """/audit."""
    return shell("Audit log", audit_view())


def register(app: rx.App) -> None:
    """Add the audit page."""
    app.add_page(audit_page, route="/audit", title="Audit log",
                 on_load=[SessionState.guard_page, AuditState.load])
