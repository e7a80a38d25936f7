"""Customers list and detail views."""

import reflex as rx

from console.customers import ALLOWED_TERMS, FILTER_CHOICES
from pages.components.layout import pager, stat
from pages.customers.form_state import CustomerFormState
from pages.customers.form_views import edit_dialog
from pages.customers.state import CustomerDetailState, CustomersState
from pages.customers.subscription_views import subscriptions_section
from pages.session import SessionState


def _select(name: str, placeholder: str) -> rx.Component:
    return rx.el.select(
        rx.el.option(placeholder, value=""),
        *[rx.el.option(v.replace("_", " "), value=v) for v in FILTER_CHOICES[name]],
        name=name, class_name="native-select", data_testid=f"filter-{name}",
    )


def _sortable(label: str, column: str) -> rx.Component:
    return rx.table.column_header_cell(
        rx.button(label, variant="ghost", size="1", on_click=CustomersState.sort_by(column),
                  data_testid=f"sort-{column}"))


def customers_view() -> rx.Component:
    """Search, filters and one page of customers."""
    return rx.vstack(
        rx.cond(SessionState.permissions.contains("manage_customers"), rx.link(
            rx.button(rx.icon("user-plus", size=14), "New customer", variant="soft"),
            href="/customers/new", data_testid="customer-new")),
        rx.form(
            rx.hstack(
                rx.input(name="text", placeholder="Search name, code or email",
                         default_value=CustomersState.text, width="280px",
                         data_testid="customer-search"),
                _select("segment", "Any segment"),
                _select("region", "Any region"),
                _select("currency", "Any currency"),
                _select("status", "Any status"),
                rx.button("Apply", type="submit", data_testid="apply-filters"),
                spacing="2", wrap="wrap", align="center",
            ),
            on_submit=CustomersState.apply_filters,
        ),
        pager(CustomersState.page, CustomersState.pages, CustomersState.total,
              CustomersState.prev_page, CustomersState.next_page),
        rx.table.root(
            rx.table.header(rx.table.row(
                _sortable("Code", "code"), _sortable("Name", "name"),
                rx.table.column_header_cell("Segment"), rx.table.column_header_cell("Region"),
                rx.table.column_header_cell("Status"), _sortable("MRR", "mrr"),
                _sortable("Since", "created"),
            )),
            rx.table.body(rx.foreach(CustomersState.rows, lambda r: rx.table.row(
                rx.table.cell(rx.link(r.code, href="/customers/" + r.id.to_string())),
                rx.table.cell(r.name),
                rx.table.cell(r.segment),
                rx.table.cell(r.region),
                rx.table.cell(rx.badge(r.status)),
                rx.table.cell(r.mrr, class_name="num"),
                rx.table.cell(r.created),
                data_testid="customer-row",
            ))),
            width="100%", size="1", variant="surface",
        ),
        width="100%", spacing="3",
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4"), *children, width="100%", spacing="2",
                     padding_top="1em")


def _terms_form() -> rx.Component:
    s = CustomerDetailState
    return rx.form(rx.hstack(
        rx.text("Payment terms", size="2", weight="medium"),
        rx.el.select(*[rx.el.option(f"Net {d}", value=str(d)) for d in ALLOWED_TERMS],
                     name="days", default_value=s.payment_terms_days.to_string(),
                     key=s.payment_terms_days.to_string(), class_name="native-select",
                     data_testid="terms-days"),
        rx.input(name="reason", placeholder="Reason (required)", width="260px",
                 data_testid="terms-reason"),
        rx.button("Save terms", type="submit", variant="soft", data_testid="terms-save"),
        rx.cond(s.terms_error != "", rx.text(s.terms_error, color_scheme="red", size="2",
                                             data_testid="terms-error")),
        align="center", spacing="2"), on_submit=s.save_terms, reset_on_submit=True)


def customer_detail_view() -> rx.Component:
    """Everything about one customer."""
    s = CustomerDetailState
    return rx.cond(
        s.found,
        rx.vstack(
            rx.hstack(rx.heading(s.name, size="5", data_testid="customer-name"),
                      rx.badge(s.code), rx.badge(s.status, color_scheme="blue"),
                      rx.spacer(),
                      rx.cond(SessionState.permissions.contains("work_disputes"), rx.link(
                          rx.button(rx.icon("message-square-warning", size=14), "Open dispute",
                                    variant="soft"),
                          href="/disputes/new?customer_id=" + s.customer_id.to_string(),
                          data_testid="open-dispute")),
                      rx.cond(SessionState.permissions.contains("view_collections"), rx.link(
                          rx.button(rx.icon("hand-coins", size=14), "Collections",
                                    variant="outline"),
                          href="/collections/customers/" + s.customer_id.to_string(),
                          data_testid="customer-collections")),
                      align="center", width="100%"),
            rx.text(s.email, " · ", s.segment, " · ", s.region, " (", s.country, ") · ",
                    s.currency, " · ", s.payment_terms, size="2", color_scheme="gray"),
            rx.hstack(rx.text("Bills ", rx.text.strong(s.legal_name), " · ", s.address,
                              " · tax id ", s.tax_id, size="2", color_scheme="gray",
                              data_testid="customer-billing"),
                      rx.cond(SessionState.permissions.contains("manage_customers"), rx.button(
                          rx.icon("pencil", size=12), "Edit billing details", size="1",
                          variant="ghost", on_click=CustomerFormState.open_edit,
                          data_testid="customer-edit")),
                      align="center", spacing="2"),
            edit_dialog(),
            rx.hstack(stat("MRR", s.mrr, "customer-mrr"), stat("Credit balance", s.credit_balance),
                      stat("Customer since", s.created), spacing="3"),
            rx.cond(SessionState.permissions.contains("manage_collections"), _terms_form()),
            subscriptions_section(),
            _section("Usage (last 90 days)", rx.plotly(data=s.usage_figure, width="100%")),
            _section("Timeline", rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Date", "Event", "Detail", "MRR change", "Churn reason")])),
                rx.table.body(rx.foreach(s.timeline, lambda e: rx.table.row(
                    rx.table.cell(e.on), rx.table.cell(rx.badge(e.kind)), rx.table.cell(e.detail),
                    rx.table.cell(e.mrr_delta, class_name="num"), rx.table.cell(e.churn_reason),
                    data_testid="timeline-row"))),
                width="100%", size="1")),
            rx.cond(s.messages.length() > 0, _section("Emails (dunning and notices)",
                                                      rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Written", "Kind", "Subject", "Sent")])),
                rx.table.body(rx.foreach(s.messages, lambda m: rx.table.row(
                    rx.table.cell(m.at), rx.table.cell(rx.badge(m.kind)),
                    rx.table.cell(m.subject), rx.table.cell(m.sent),
                    data_testid="message-row"))),
                width="100%", size="1"))),
            _section("Invoices", rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Number", "Period", "Status", "Total", "Balance", "Due")])),
                rx.table.body(rx.foreach(s.invoices, lambda i: rx.table.row(
                    rx.table.cell(i.number), rx.table.cell(i.period),
                    rx.table.cell(rx.badge(i.status)), rx.table.cell(i.total, class_name="num"),
                    rx.table.cell(i.balance, class_name="num"), rx.table.cell(i.due),
                    data_testid="invoice-row"))),
                width="100%", size="1")),
            _section("Disputes", rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Opened", "Reason", "Status", "Amount")])),
                rx.table.body(rx.foreach(s.disputes, lambda d: rx.table.row(
                    rx.table.cell(d.opened), rx.table.cell(d.reason),
                    rx.table.cell(rx.badge(d.status)), rx.table.cell(d.amount, class_name="num")
                ))),
                width="100%", size="1")),
            width="100%", spacing="2",
        ),
        rx.callout(s.message, icon="search-x", color_scheme="gray"),
    )
