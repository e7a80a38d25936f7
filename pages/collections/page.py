"""Routes of the collections area."""

import reflex as rx

from pages.collections.state import CollectionsState, CustomerCollectionsState
from pages.collections.views import collections_view, customer_collections_view
from pages.components.layout import shell
from pages.session import SessionState


def collections_page() -> rx.Component:
    """/collections."""
    return shell("Collections", collections_view())


def customer_collections_page() -> rx.Component:
    """/collections/customers/[customer_id]."""
    return shell("Customer collections", customer_collections_view())


def register(app: rx.App) -> None:
    """Add the collections pages."""
    app.add_page(collections_page, route="/collections", title="Collections",
                 on_load=[SessionState.guard_page, CollectionsState.load])
    app.add_page(customer_collections_page, route="/collections/customers/[customer_id]",
                 title="Customer collections",
                 on_load=[SessionState.guard_page, CustomerCollectionsState.load])
