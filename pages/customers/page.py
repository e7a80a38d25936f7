"""Routes of the customers area."""

import reflex as rx

from pages.components.layout import shell
from pages.customers.state import CustomerDetailState, CustomersState
from pages.customers.views import customer_detail_view, customers_view
from pages.session import SessionState


def customers_page() -> rx.Component:
    """/customers."""
    return shell("Customers", customers_view())


def customer_page() -> rx.Component:
    """/customers/[customer_id]."""
    return shell("Customer", customer_detail_view())


def register(app: rx.App) -> None:
    """Add the customer pages."""
    app.add_page(customers_page, route="/customers", title="Customers",
                 on_load=[SessionState.guard_page, CustomersState.load])
    app.add_page(customer_page, route="/customers/[customer_id]", title="Customer",
                 on_load=[SessionState.guard_page, CustomerDetailState.load])
