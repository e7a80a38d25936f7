"""Routes of the disputes area."""

import reflex as rx

from pages.components.layout import shell
from pages.disputes.case_state import CaseState
from pages.disputes.case_views import case_view
from pages.disputes.state import DisputesState, NewDisputeState
from pages.disputes.views import new_dispute_view, queue_view
from pages.session import SessionState


def disputes_page() -> rx.Component:
    """/disputes."""
    return shell("Disputes", queue_view())


def new_dispute_page() -> rx.Component:
    """/disputes/new?customer_id=...&invoice_id=..."""
    return shell("Open a dispute", new_dispute_view())


def case_page() -> rx.Component:
    """/disputes/[dispute_id]."""
    return shell("Dispute", case_view())


def register(app: rx.App) -> None:
    """Add the disputes pages."""
    app.add_page(disputes_page, route="/disputes", title="Disputes",
                 on_load=[SessionState.guard_page, DisputesState.load])
    app.add_page(new_dispute_page, route="/disputes/new", title="Open a dispute",
                 on_load=[SessionState.guard_page, NewDisputeState.load])
    app.add_page(case_page, route="/disputes/[dispute_id]", title="Dispute",
                 on_load=[SessionState.guard_page, CaseState.load])
