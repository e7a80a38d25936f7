"""Routes of the invoice review area."""

import reflex as rx

from pages.components.layout import shell
from pages.invoices.detail_state import InvoiceState
from pages.invoices.detail_views import invoice_detail_view
from pages.invoices.state import ReviewState
from pages.invoices.views import review_view
from pages.session import SessionState


def review_page() -> rx.Component:
    """/invoices."""
    return shell("Invoice review", review_view())


def invoice_page() -> rx.Component:
    """/invoices/[invoice_id]."""
    return shell("Invoice", invoice_detail_view())


def register(app: rx.App) -> None:
    """Add the invoice pages."""
    app.add_page(review_page, route="/invoices", title="Invoice review",
                 on_load=[SessionState.guard_page, ReviewState.load])
    app.add_page(invoice_page, route="/invoices/[invoice_id]", title="Invoice",
                 on_load=[SessionState.guard_page, InvoiceState.load])
