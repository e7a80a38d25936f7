"""Routes of the catalog and pricing area."""

import reflex as rx

from pages.catalog.change_state import ChangeState
from pages.catalog.change_views import change_view
from pages.catalog.state import CatalogState, PlanState
from pages.catalog.version_state import VersionState
from pages.catalog.version_views import version_view
from pages.catalog.views import catalog_view, plan_view
from pages.components.layout import shell
from pages.session import SessionState


def catalog_page() -> rx.Component:
    """/catalog."""
    return shell("Catalog & pricing", catalog_view())


def plan_page() -> rx.Component:
    """/catalog/plans/[plan_id]."""
    return shell("Plan", plan_view())


def version_page() -> rx.Component:
    """/catalog/versions/[version_id]."""
    return shell("Plan version", version_view())


def change_page() -> rx.Component:
    """/catalog/changes/[change_id]."""
    return shell("Change request", change_view())


def register(app: rx.App) -> None:
    """Add the catalog pages."""
    app.add_page(catalog_page, route="/catalog", title="Catalog & pricing",
                 on_load=[SessionState.guard_page, CatalogState.load])
    app.add_page(plan_page, route="/catalog/plans/[plan_id]", title="Plan",
                 on_load=[SessionState.guard_page, PlanState.load])
    app.add_page(version_page, route="/catalog/versions/[version_id]", title="Plan version",
                 on_load=[SessionState.guard_page, VersionState.load])
    app.add_page(change_page, route="/catalog/changes/[change_id]", title="Change request",
                 on_load=[SessionState.guard_page, ChangeState.load])
