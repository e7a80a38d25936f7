"""Building blocks every area's views use: sections, tables, selects, errors, progress."""

import reflex as rx

from pages.session import SessionState


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


def progress_bar(running: rx.Var, value: rx.Var, label: rx.Var | str,
                 testid: str) -> rx.Component:
    """A progress bar with a label and its percentage, shown while background work runs."""
    return rx.cond(running, rx.hstack(
        rx.spinner(size="2"), rx.text(label, size="2"),
        rx.progress(value=value, max=100, width="240px"),
        rx.text(value.to_string() + "%", size="1", color_scheme="gray",
                data_testid=f"{testid}-pct"),
        align="center", spacing="2", data_testid=testid))


def can(permission: str) -> rx.Var:
    """Whether the UI may offer an action (display only: the server re-checks)."""
    return SessionState.permissions.contains(permission)
