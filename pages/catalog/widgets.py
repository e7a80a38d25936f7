"""Small building blocks of the catalog views."""

import reflex as rx

from pages.catalog.common import MONTHS

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


def section(title: str, *children: rx.Component, testid: str = "") -> rx.Component:
    """A titled block of a page."""
    return rx.vstack(rx.heading(title, size="4"), *children, width="100%", spacing="2",
                     padding_top="1em", data_testid=testid or None)


def header_table(*headers: str) -> rx.Component:
    """A table header row."""
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers]))


def error_callout(message: rx.Var, testid: str) -> rx.Component:
    """A red message shown when ``message`` is not empty."""
    return rx.cond(message != "", rx.callout(message, color_scheme="red", icon="triangle-alert",
                                             data_testid=testid, width="100%"))


def json_block(text: rx.Var) -> rx.Component:
    """Pretty-printed JSON in a small monospace block."""
    return rx.el.pre(text, font_size="11px", white_space="pre-wrap", margin="0",
                     padding="4px 6px", border_radius="4px", background="var(--gray-3)",
                     max_height="220px", overflow="auto")


def native_select(name: str, options: list[tuple[str, str]], testid: str,
                  **props) -> rx.Component:
    """A plain HTML select (easy to drive and to read in forms)."""
    return rx.el.select(*[rx.el.option(label, value=value) for value, label in options],
                        name=name, class_name="native-select", data_testid=testid, **props)


def months_select(testid: str) -> rx.Component:
    """The simulation window: 3, 6 or 12 months."""
    return native_select("months", [(m, f"{m} months") for m in MONTHS], testid)


def progress_bar(running: rx.Var, value: rx.Var, label: str, testid: str) -> rx.Component:
    """A progress bar with a label, shown while background work runs."""
    return rx.cond(running, rx.hstack(
        rx.spinner(size="2"), rx.text(label, size="2"),
        rx.progress(value=value, max=100, width="240px"),
        rx.text(value.to_string() + "%", size="1", color_scheme="gray"),
        align="center", spacing="2", data_testid=testid))


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
