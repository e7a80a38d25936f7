"""Small building blocks of the catalog views."""

import reflex as rx

from pages.catalog.common import MONTHS
from pages.components.widgets import (  # noqa: F401 - the area's views import them from here
    error_callout,
    header_table,
    native_select,
    progress_bar,
    section,
)

STATUS_COLORS = {
    "draft": "gray", "pending_approval": "amber", "approved": "green", "published": "blue",
    "retired": "gray", "pending": "amber", "rejected": "red", "changes_requested": "orange",
    "withdrawn": "gray", "scheduled": "amber", "running": "blue", "completed": "green",
    "canceled": "gray",
}


def status_badge(status: rx.Var, label: rx.Var) -> rx.Component:
    """A colored badge for a version, change request or migration status."""
    return rx.match(
        status,
        *[(key, rx.badge(label, color_scheme=color)) for key, color in STATUS_COLORS.items()],
        rx.badge(label),
    )


def json_block(text: rx.Var) -> rx.Component:
    """Pretty-printed JSON in a small monospace block."""
    return rx.el.pre(text, font_size="11px", white_space="pre-wrap", margin="0",
                     padding="4px 6px", border_radius="4px", background="var(--gray-3)",
                     max_height="220px", overflow="auto")


def months_select(testid: str) -> rx.Component:
    """The simulation window: 3, 6 or 12 months."""
    return native_select("months", [(m, f"{m} months") for m in MONTHS], testid)


def change_rows(rows: rx.Var, testid: str) -> rx.Component:
    """A table of change requests linking to their pages."""
    return rx.table.root(
        header_table("#", "Plan", "Version", "Kind", "Status", "Reason", "Author", "Opened",
                     "Approvals", "Revenue change (sim.)"),
        rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
            rx.table.cell(rx.link("#" + r.id.to_string(),
                                  href="/catalog/changes/" + r.id.to_string(),
                                  data_testid="change-link")),
            rx.table.cell(rx.link(r.plan_name, href="/catalog/plans/" + r.plan_id.to_string())),
            rx.table.cell(rx.link(r.version_label,
                                  href="/catalog/versions/" + r.version_id.to_string())),
            rx.table.cell(r.kind_label),
            rx.table.cell(status_badge(r.status, r.status_label)),
            rx.table.cell(r.reason, class_name="wrap"),
            rx.table.cell(r.author),
            rx.table.cell(r.created_at),
            rx.table.cell(r.approvals, " · ", r.requirement),
            rx.table.cell(r.revenue_change, class_name="num"),
            data_testid=testid))),
        width="100%", size="1", variant="surface",
    )
