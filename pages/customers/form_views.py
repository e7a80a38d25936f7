"""The billing-details form (new customer page, edit dialog)."""

import reflex as rx

from console.customers import ALLOWED_TERMS, REGION_LABELS, REGIONS, SEGMENT_LABELS, SEGMENTS
from console.money import CURRENCY_EXPONENTS
from pages.components.widgets import error_callout
from pages.customers.form_state import CustomerFormState as F

_LABELS = {
    "name": "Name", "legal_name": "Legal name (on invoices; empty: the name)",
    "email": "Billing e-mail", "address_line1": "Address", "address_line2": "Address (2nd line)",
    "postal_code": "Postal code", "city": "City", "country": "Country (ISO code, e.g. US, DE)",
    "tax_id": "Tax id (VAT number)", "currency": "Currency",
    "payment_terms_days": "Payment terms", "region": "Region", "segment": "Segment",
}


def _error(key: str) -> rx.Component:
    return rx.cond(F.errors.contains(key), rx.text(F.errors[key], color_scheme="red", size="1",
                                                   data_testid=f"error-{key}"))


def _input(key: str, width: str = "100%") -> rx.Component:
    return rx.vstack(
        rx.text(_LABELS[key], size="1", color_scheme="gray"),
        rx.input(name=key, default_value=F.values[key], width=width,
                 key=F.values[key] + key, data_testid=f"field-{key}"),
        _error(key), spacing="1", width="100%")


def _select(key: str, options: list[tuple[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(_LABELS[key], size="1", color_scheme="gray"),
        rx.el.select(*[rx.el.option(label, value=value) for value, label in options], name=key,
                     default_value=F.values[key], key=F.values[key] + key,
                     class_name="native-select", data_testid=f"field-{key}"),
        _error(key), spacing="1", width="100%")


def details_form(submit_label: str, *extra: rx.Component) -> rx.Component:
    """The fields, their errors and the submit button."""
    return rx.form(rx.vstack(
        rx.grid(
            _input("name"), _input("legal_name"), _input("email"), _input("tax_id"),
            _input("address_line1"), _input("address_line2"), _input("postal_code"),
            _input("city"), _input("country"),
            _select("currency", [(c, c) for c in sorted(CURRENCY_EXPONENTS)]),
            _select("payment_terms_days", [(str(d), f"Net {d}") for d in ALLOWED_TERMS]),
            _select("region", [(r, REGION_LABELS[r]) for r in REGIONS]),
            _select("segment", [(s, SEGMENT_LABELS[s]) for s in SEGMENTS]),
            columns="2", spacing="3", width="100%"),
        error_callout(F.message, "customer-form-error"),
        rx.hstack(*extra, rx.button(submit_label, type="submit", data_testid="customer-save"),
                  justify="end", width="100%"),
        spacing="3", width="100%"), on_submit=F.save, reset_on_submit=False, width="100%")


def new_customer_view() -> rx.Component:
    """The new-customer page."""
    return rx.vstack(
        rx.text("Billing details of the new customer. The code is made for you "
                "(CUS-…) unless you give one.", size="2", color_scheme="gray"),
        details_form("Create customer"), width="100%", max_width="900px", spacing="3")


def edit_dialog() -> rx.Component:
    """The edit dialog of the customer page."""
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title("Billing details"),
        details_form("Save details", rx.dialog.close(rx.button(
            "Cancel", type="button", variant="soft", color_scheme="gray"))),
        max_width="860px", data_testid="dialog-edit-customer"),
        open=F.open, on_open_change=F.open_changed)
