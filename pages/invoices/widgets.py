"""Small building blocks of the invoice and billing views."""

import reflex as rx

from pages.components.widgets import (  # noqa: F401 - the area's views import them from here
    can,
    error_callout,
    header_table,
    native_select,
    progress_bar,
    section,
)

STATUS_COLORS = {
    "draft": "gray", "in_review": "amber", "approved": "green", "issued": "blue",
    "paid": "grass", "void": "red", "uncollectible": "tomato", "pending_approval": "amber",
    "rejected": "red", "pending": "gray", "running": "blue", "paused": "amber",
    "completed": "green", "failed": "red", "accepted": "green",
}


def status_badge(status: rx.Var, testid: str = "") -> rx.Component:
    """A colored badge for an invoice, credit note, bill run or import status."""
    label = status.to(str).replace("_", " ")
    return rx.match(
        status,
        *[(key, rx.badge(label, color_scheme=color, data_testid=testid or None))
          for key, color in STATUS_COLORS.items()],
        rx.badge(label, data_testid=testid or None),
    )


def flag_badges(labels: rx.Var) -> rx.Component:
    """The review flags of an invoice as amber badges."""
    return rx.flex(rx.foreach(labels, lambda f: rx.badge(f, color_scheme="amber", variant="soft",
                                                          data_testid="flag-badge")),
                   wrap="wrap", gap="1")


def choice_select(name: str, placeholder: str, choices: rx.Var, value: rx.Var,
                  testid: str) -> rx.Component:
    """A plain select over state-held ``Choice`` rows with an "any" option first."""
    return rx.el.select(
        rx.el.option(placeholder, value=""),
        rx.foreach(choices, lambda c: rx.el.option(c.label, value=c.value)),
        name=name, default_value=value, key=value, class_name="native-select",
        data_testid=testid)
