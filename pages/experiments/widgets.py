"""Small building blocks of the experiment and rollout views."""

import reflex as rx

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


def native_select(name: str, options: list[tuple[str, str]], testid: str,
                  **props) -> rx.Component:
    """A plain HTML select (easy to drive and to read in forms)."""
    return rx.el.select(*[rx.el.option(label, value=value) for value, label in options],
                        name=name, class_name="native-select", data_testid=testid, **props)


def field(label: str, control: rx.Component) -> rx.Component:
    """A labelled form control."""
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), control, spacing="1")


def info(label: str, value: rx.Var | str, testid: str = "") -> rx.Component:
    """A label/value line of a detail page."""
    return rx.hstack(rx.text(label, size="2", color_scheme="gray", min_width="150px"),
                     rx.text(value, size="2", data_testid=testid or None), spacing="3",
                     align="start")


def progress_bar(running: rx.Var, value: rx.Var, label: str, testid: str) -> rx.Component:
    """A progress bar with a label, shown while background work runs."""
    return rx.cond(running, rx.hstack(
        rx.spinner(size="2"), rx.text(label, size="2"),
        rx.progress(value=value, max=100, width="240px"),
        rx.text(value.to_string() + "%", size="1", color_scheme="gray"),
        align="center", spacing="2", data_testid=testid))


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
