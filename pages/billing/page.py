"""Routes of the billing area: bill runs and usage imports."""

import reflex as rx

from pages.billing.state import BillRunsState, UsageState
from pages.billing.views import bill_runs_view, usage_view
from pages.components.layout import shell
from pages.session import SessionState


def bill_runs_page() -> rx.Component:
    """/bill-runs."""
    return shell("Bill runs", bill_runs_view())


def usage_page() -> rx.Component:
    """/usage."""
    return shell("Usage imports", usage_view())


def register(app: rx.App) -> None:
    """Add the billing pages."""
    app.add_page(bill_runs_page, route="/bill-runs", title="Bill runs",
                 on_load=[SessionState.guard_page, BillRunsState.load])
    app.add_page(usage_page, route="/usage", title="Usage imports",
                 on_load=[SessionState.guard_page, UsageState.load])
