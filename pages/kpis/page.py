"""Route of the KPI dashboards."""

import reflex as rx

from pages.components.layout import shell
from pages.kpis.state import KpisState
from pages.kpis.views import kpis_view
from pages.session import SessionState


def kpis_page() -> rx.Component:
    """/kpis."""
    return shell("KPI dashboards", kpis_view())


def register(app: rx.App) -> None:
    """Add the KPI dashboards page."""
    app.add_page(kpis_page, route="/kpis", title="KPI dashboards",
                 on_load=[SessionState.guard_page, KpisState.load])
