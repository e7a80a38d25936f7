"""Audit log view."""

import reflex as rx

from pages.audit.state import AuditState
from pages.components.layout import pager


def audit_view() -> rx.Component:
    """Filters, verify, export and the table."""
    s = AuditState
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(name="action", placeholder="Action (e.g. invoice.)", width="170px"),
                rx.input(name="object_type", placeholder="Object type", width="130px"),
                rx.input(name="object_id", placeholder="Object id", width="100px"),
                rx.input(name="actor", placeholder="Actor email", width="170px"),
                rx.input(name="since", placeholder="From YYYY-MM-DD", width="140px"),
                rx.input(name="until", placeholder="Before YYYY-MM-DD", width="140px"),
                rx.button("Apply", type="submit"),
                wrap="wrap", spacing="2",
            ),
            on_submit=s.apply_filters,
        ),
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert")),
        rx.hstack(
            rx.button(rx.icon("shield-check", size=14), "Verify chain", variant="soft",
                      on_click=s.verify, data_testid="verify-chain"),
            rx.button(rx.icon("download", size=14), "Export CSV", variant="soft",
                      on_click=s.export, data_testid="export-audit"),
            rx.text(s.verdict, size="2", data_testid="verify-verdict"),
            align="center", spacing="3",
        ),
        pager(s.page, s.pages, s.total, s.prev_page, s.next_page),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                "#", "When", "Actor", "Action", "Object", "Before", "After", "Reason")])),
            rx.table.body(rx.foreach(s.rows, lambda r: rx.table.row(
                rx.table.cell(r.id), rx.table.cell(r.at), rx.table.cell(r.actor),
                rx.table.cell(rx.code(r.action)),
                rx.table.cell(r.object_type, " ", r.object_id),
                rx.table.cell(r.before, class_name="wrap"), rx.table.cell(r.after,
                                                                          class_name="wrap"),
                rx.table.cell(r.reason), data_testid="audit-row"))),
            width="100%", size="1", variant="surface",
        ),
        width="100%", spacing="3",
    )
