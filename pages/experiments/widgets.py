"""Small building blocks of the experiment and rollout views."""

import reflex as rx

from pages.components.widgets import (  # noqa: F401 - the area's views import them from here
    error_callout,
    field,
    header_table,
    native_select,
    progress_bar,
    section,
)

STATUS_COLORS = {
    "draft": "gray", "scheduled": "amber", "running": "blue", "paused": "orange",
    "concluded": "green", "rolled_back": "red", "completed": "green", "pending": "gray",
    "breached": "red",
}


def status_badge(status: rx.Var, label: rx.Var, testid: str = "") -> rx.Component:
    """A colored badge for an experiment, rollout or stage status."""
    return rx.match(
        status,
        *[(key, rx.badge(label, color_scheme=color, data_testid=testid or None))
          for key, color in STATUS_COLORS.items()],
        rx.badge(label, data_testid=testid or None),
    )


def info(label: str, value: rx.Var | str, testid: str = "") -> rx.Component:
    """A label/value line of a detail page."""
    return rx.hstack(rx.text(label, size="2", color_scheme="gray", min_width="150px"),
                     rx.text(value, size="2", data_testid=testid or None), spacing="3",
                     align="start")


def reason_form(on_submit, button: str, testid: str, *, color: str = "gray",
                placeholder: str = "Reason (required)") -> rx.Component:
    """A one-line reason and a button."""
    return rx.form(rx.hstack(
        rx.input(name="reason", placeholder=placeholder, width="320px",
                 data_testid=f"{testid}-reason"),
        rx.button(button, type="submit", variant="soft", color_scheme=color,
                  data_testid=testid),
        spacing="2", align="center"), on_submit=on_submit, reset_on_submit=True)


def timeline_table(rows: rx.Var) -> rx.Component:
    """The audit trail of an experiment or rollout."""
    return rx.table.root(
        header_table("When", "Who", "What", "Detail", "Reason"),
        rx.table.body(rx.foreach(rows, lambda e: rx.table.row(
            rx.table.cell(e.at, white_space="nowrap"), rx.table.cell(e.actor),
            rx.table.cell(rx.code(e.action, size="1")), rx.table.cell(e.detail),
            rx.table.cell(e.reason), data_testid="timeline-row"))),
        width="100%", size="1", variant="surface")
