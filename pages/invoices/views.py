"""The review queue: status tabs, filters, sortable server-side pages, bulk approve/issue."""

import reflex as rx

from pages.components.layout import pager
from pages.invoices.state import STATUS_TABS, ReviewState
from pages.invoices.widgets import (
    can,
    choice_select,
    error_callout,
    flag_badges,
    progress_bar,
    status_badge,
)

S = ReviewState


def _tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(*[rx.tabs.trigger(label, value=value or "queue",
                                       data_testid=f"tab-{value or 'queue'}")
                       for value, label in STATUS_TABS]),
        value=S.tab, on_change=S.set_tab, width="100%",
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="customer", placeholder="Customer name or code",
                     default_value=S.customer, key=S.customer, width="210px",
                     data_testid="filter-customer"),
            choice_select("flag", "Any flag", S.flag_choices, S.flag, "filter-flag"),
            choice_select("plan_id", "Any plan", S.plan_choices, S.plan_id, "filter-plan"),
            choice_select("run_id", "Any bill run", S.run_choices, S.run_id, "filter-run"),
            rx.el.select(rx.el.option("Any currency", value=""),
                         rx.foreach(S.currency_choices, lambda c: rx.el.option(c, value=c)),
                         name="currency", default_value=S.currency, key=S.currency,
                         class_name="native-select", data_testid="filter-currency"),
            rx.input(name="min_amount", placeholder="Total from", default_value=S.min_amount,
                     key=S.min_amount, width="110px", data_testid="filter-min"),
            rx.input(name="max_amount", placeholder="Total to", default_value=S.max_amount,
                     key=S.max_amount, width="110px", data_testid="filter-max"),
            rx.button("Apply", type="submit", data_testid="apply-filters"),
            rx.button("Clear", type="button", variant="soft", color_scheme="gray",
                      on_click=S.clear_filters, data_testid="clear-filters"),
            spacing="2", wrap="wrap", align="center",
        ),
        on_submit=S.apply_filters,
    )


def _sortable(label: str, column: str) -> rx.Component:
    arrow = rx.cond(S.sort == column, rx.cond(S.descending, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.button(label, arrow, variant="ghost", size="1", on_click=S.sort_by(column),
                  data_testid=f"sort-{column}"))


def _bulk_bar() -> rx.Component:
    count = S.selected.length()
    return rx.cond(
        can("review_invoices"),
        rx.vstack(
            rx.hstack(
                rx.text(count.to_string() + " selected", size="2", data_testid="selected-count"),
                rx.button(rx.icon("check-check", size=14), "Approve selected",
                          on_click=S.approve_selected, disabled=(count == 0) | S.bulk_running,
                          color_scheme="green", size="2", data_testid="bulk-approve"),
                rx.button(rx.icon("send", size=14), "Issue selected",
                          on_click=S.issue_selected, disabled=(count == 0) | S.bulk_running,
                          size="2", data_testid="bulk-issue"),
                rx.button("Clear selection", on_click=S.clear_selection, variant="soft",
                          color_scheme="gray", size="2", disabled=count == 0,
                          data_testid="clear-selection"),
                progress_bar(S.bulk_running, S.bulk_progress,
                             rx.cond(S.bulk_action == "approve", "Approving…", "Issuing…"),
                             "bulk-progress"),
                spacing="2", align="center", wrap="wrap",
            ),
            _results(),
            width="100%", spacing="2",
        ),
    )


def _results() -> rx.Component:
    return rx.cond(
        S.bulk_summary != "",
        rx.card(rx.vstack(
            rx.text(S.bulk_summary, weight="medium", size="2", data_testid="bulk-summary"),
            rx.table.root(
                rx.table.body(rx.foreach(S.results, lambda r: rx.table.row(
                    rx.table.cell(rx.link("#" + r.invoice_id.to_string(),
                                          href="/invoices/" + r.invoice_id.to_string())),
                    rx.table.cell(r.label),
                    rx.table.cell(rx.cond(r.ok, rx.badge("ok", color_scheme="green"),
                                          rx.badge("refused", color_scheme="red"))),
                    rx.table.cell(r.message, class_name="wrap"),
                    data_testid="bulk-result"))),
                size="1", width="100%"),
            spacing="2", width="100%"), width="100%"),
    )


def _row(r) -> rx.Component:
    checkbox = rx.cond(
        can("review_invoices") & ((r.status == "draft") | (r.status == "approved")),
        rx.checkbox(checked=S.selected.contains(r.id), on_change=lambda _: S.toggle(r.id),
                    data_testid="row-select"),
    )
    return rx.table.row(
        rx.table.cell(checkbox),
        rx.table.cell(rx.link(rx.cond(r.number == "(draft)", "Draft #" + r.id.to_string(),
                                      r.number),
                              href="/invoices/" + r.id.to_string(), data_testid="invoice-link",
                              white_space="nowrap")),
        rx.table.cell(rx.vstack(rx.text(r.customer_name, size="2"),
                                rx.text(r.customer_code, size="1", color_scheme="gray"),
                                spacing="0")),
        rx.table.cell(r.plan),
        rx.table.cell(r.period),
        rx.table.cell(status_badge(r.status, "row-status")),
        rx.table.cell(r.total, class_name="num", data_testid="row-total"),
        rx.table.cell(flag_badges(r.flags)),
        rx.table.cell(r.created),
        data_testid="invoice-row",
    )


def review_view() -> rx.Component:
    """Tabs, filters, bulk actions and one page of invoices."""
    page_box = rx.cond(
        can("review_invoices"),
        rx.checkbox(checked=S.page_all, on_change=S.select_page, data_testid="select-page"),
    )
    return rx.vstack(
        rx.hstack(
            rx.link(rx.button(rx.icon("play", size=14), "Bill runs", variant="soft"),
                    href="/bill-runs"),
            rx.link(rx.button(rx.icon("upload", size=14), "Usage imports", variant="soft"),
                    href="/usage"),
            spacing="2",
        ),
        _tabs(),
        _filters(),
        error_callout(S.filter_error, "filter-error"),
        _bulk_bar(),
        pager(S.page, S.pages, S.total, S.prev_page, S.next_page),
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell(page_box),
                rx.table.column_header_cell("Invoice"),
                _sortable("Customer", "customer"),
                rx.table.column_header_cell("Plan"),
                rx.table.column_header_cell("Period"),
                rx.table.column_header_cell("Status"),
                _sortable("Total", "amount"),
                _sortable("Flags", "flags"),
                _sortable("Created", "created"),
            )),
            rx.table.body(rx.foreach(S.rows, _row)),
            width="100%", size="1", variant="surface",
        ),
        rx.cond(S.total == 0, rx.callout("No invoices match.", icon="inbox", color_scheme="gray",
                                         data_testid="no-invoices")),
        width="100%", spacing="3",
    )
