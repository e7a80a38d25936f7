"""The disputes queue and the new-dispute form."""

import reflex as rx

from console.disputes import VIEW_LABELS, reason_choices
from pages.components.layout import pager
from pages.disputes.state import DisputesState, NewDisputeState
from pages.session import SessionState

STATUS_COLORS = {"open": "blue", "investigating": "amber", "awaiting_customer": "orange",
                 "resolved_credited": "green", "resolved_rejected": "gray",
                 "withdrawn": "gray"}
SLA_COLORS = {"overdue": "red", "due_soon": "amber", "on_track": "green", "met": "gray",
              "missed": "red"}
TABS = ("mine", "unassigned", "due_soon", "overdue", "active", "closed", "all")


def status_badge(status: rx.Var, label: rx.Var) -> rx.Component:
    """A colored badge for a dispute status."""
    return rx.match(status, *[(k, rx.badge(label, color_scheme=c))
                              for k, c in STATUS_COLORS.items()], rx.badge(label))


def sla_badge(state: rx.Var, text: rx.Var, testid: str = "sla") -> rx.Component:
    """The SLA countdown ("due in 5 h", "overdue by 2 d") colored by urgency."""
    return rx.match(state, *[(k, rx.badge(rx.icon("clock", size=12), text, color_scheme=c,
                                          variant="soft", data_testid=testid))
                             for k, c in SLA_COLORS.items()],
                    rx.badge(text, data_testid=testid))


def header_row(*headers: str) -> rx.Component:
    """A table header row."""
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers]))


def _count(view: str) -> rx.Var | str:
    s = DisputesState
    return {"mine": s.count_mine, "unassigned": s.count_unassigned, "due_soon": s.count_due_soon,
            "overdue": s.count_overdue, "active": s.count_active}.get(view, "")


def _tab(view: str) -> rx.Component:
    count = _count(view)
    label = [VIEW_LABELS[view]] + ([" (", count.to_string(), ")"] if not isinstance(count, str)
                                   else [])
    return rx.button(*label, size="2",
                     variant=rx.cond(DisputesState.view == view, "solid", "soft"),
                     color_scheme="red" if view == "overdue" else None,
                     on_click=DisputesState.set_view(view), data_testid=f"tab-{view}")


def _filters() -> rx.Component:
    s = DisputesState
    return rx.form(rx.hstack(
        rx.el.select(rx.el.option("Any reason", value=""),
                     *[rx.el.option(label, value=value) for value, label in reason_choices()],
                     name="reason", class_name="native-select", data_testid="filter-reason"),
        rx.input(name="text", placeholder="Customer name, code or #id", width="240px",
                 default_value=s.text, data_testid="filter-text"),
        rx.button("Apply", type="submit", variant="soft", data_testid="apply-filters"),
        rx.spacer(),
        rx.text("Countdowns as of ", s.refreshed, size="1", color_scheme="gray"),
        rx.button(rx.icon("refresh-cw", size=14), "Refresh", variant="ghost",
                  on_click=s.refresh, type="button", data_testid="refresh"),
        spacing="2", align="center", width="100%"), on_submit=s.apply_filters, width="100%")


def _bulk() -> rx.Component:
    s = DisputesState
    return rx.cond(SessionState.permissions.contains("work_disputes"), rx.form(rx.hstack(
        rx.text(s.selected.length().to_string(), " selected", size="2",
                data_testid="selected-count"),
        rx.el.select(rx.el.option("Assign to me", value="me"),
                     rx.foreach(s.owners, lambda o: rx.el.option(o.name,
                                                                 value=o.id.to_string())),
                     rx.el.option("Unassigned", value=""),
                     name="owner", class_name="native-select", data_testid="bulk-owner"),
        rx.button(rx.icon("user-check", size=14), "Assign selected", type="submit",
                  variant="soft", disabled=s.selected.length() == 0, data_testid="bulk-assign"),
        spacing="2", align="center"), on_submit=s.bulk_assign))


def queue_view() -> rx.Component:
    """Tabs, filters, bulk assignment and one page of cases with their SLA countdowns."""
    s = DisputesState
    work = SessionState.permissions.contains("work_disputes")
    return rx.vstack(
        rx.hstack(*[_tab(v) for v in TABS], spacing="2", wrap="wrap"),
        _filters(),
        rx.hstack(_bulk(), rx.spacer(),
                  rx.cond(work, rx.link(rx.button(rx.icon("plus", size=14), "Open a dispute",
                                                  variant="outline", white_space="nowrap"),
                                        href="/customers", data_testid="open-from-customer")),
                  width="100%", align="center"),
        pager(s.page, s.pages, s.total, s.prev_page, s.next_page),
        rx.table.root(
            header_row("", "#", "Customer", "Invoice", "Reason", "Status", "Owner", "Amount",
                       "Opened", "Response due", "SLA"),
            rx.table.body(rx.foreach(s.rows, lambda r: rx.table.row(
                rx.table.cell(rx.cond(work, rx.checkbox(
                    checked=s.selected.contains(r.id), on_change=lambda _: s.toggle(r.id),
                    data_testid="select-case"))),
                rx.table.cell(rx.link("#" + r.id.to_string(),
                                      href="/disputes/" + r.id.to_string(),
                                      data_testid="case-link")),
                rx.table.cell(rx.link(r.customer_name,
                                      href="/customers/" + r.customer_id.to_string()),
                              rx.text(r.customer_code, size="1", color_scheme="gray")),
                rx.table.cell(rx.cond(r.invoice_id > 0, rx.link(
                    r.invoice_number, href="/invoices/" + r.invoice_id.to_string()), "—")),
                rx.table.cell(r.reason_label),
                rx.table.cell(status_badge(r.status, r.status_label),
                              rx.cond(r.credit_pending,
                                      rx.badge("credit awaiting approval", color_scheme="amber",
                                               ml="1"))),
                rx.table.cell(r.owner),
                rx.table.cell(r.amount, class_name="num"),
                rx.table.cell(r.opened),
                rx.table.cell(r.due),
                rx.table.cell(sla_badge(r.sla_state, r.sla_text)),
                data_testid="case-row"))),
            width="100%", size="1", variant="surface"),
        rx.cond(s.total == 0, rx.text("No cases here.", color_scheme="gray", size="2",
                                      data_testid="queue-empty")),
        width="100%", spacing="3",
    )


def new_dispute_view() -> rx.Component:
    """The form to open a dispute on one of the customer's invoices (or on the customer)."""
    s = NewDisputeState
    return rx.cond(s.found, rx.vstack(
        rx.hstack(rx.heading(s.customer_name, size="5"), rx.badge(s.customer_code),
                  rx.link("Back to the customer", href="/customers/" + s.customer_id.to_string(),
                          size="2"), align="center", spacing="3"),
        rx.hstack(
            rx.text("Invoice", size="2", weight="medium"),
            rx.el.select(rx.el.option("No invoice (dispute on the account)", value=""),
                         rx.foreach(s.invoices, lambda i: rx.el.option(
                             i.label, value=i.id.to_string())),
                         value=rx.cond(s.invoice_id > 0, s.invoice_id.to_string(), ""),
                         on_change=s.choose_invoice, class_name="native-select",
                         data_testid="choose-invoice"),
            align="center", spacing="2"),
        rx.cond(s.busy_dispute_id > 0, rx.callout(
            rx.text("This invoice already has a dispute being worked: ",
                    rx.link("#" + s.busy_dispute_id.to_string(),
                            href="/disputes/" + s.busy_dispute_id.to_string())),
            color_scheme="amber", icon="info", data_testid="busy-dispute")),
        rx.form(rx.vstack(
            rx.cond(s.invoice_id > 0, rx.vstack(
                rx.text("Disputed lines: type the amount disputed on each (before tax).",
                        size="2", color_scheme="gray"),
                rx.table.root(
                    header_row("Line", "Kind", "Amount", "Disputed amount"),
                    rx.table.body(rx.foreach(s.lines, lambda x: rx.table.row(
                        rx.table.cell(x.description, class_name="wrap"),
                        rx.table.cell(x.kind), rx.table.cell(x.amount, class_name="num"),
                        rx.table.cell(rx.cond(x.disputable, rx.input(
                            name="line_" + x.id.to_string(), placeholder="0.00",
                            width="120px", data_testid="line-amount"),
                            rx.text("—", color_scheme="gray"))),
                        data_testid="form-line"))),
                    width="100%", size="1", variant="surface"),
                width="100%"),
                rx.hstack(rx.text("Disputed amount (", s.currency, ")", size="2"),
                          rx.input(name="amount", placeholder="0.00", width="140px",
                                   data_testid="dispute-amount"), align="center")),
            rx.hstack(
                rx.text("Reason", size="2", weight="medium"),
                rx.el.select(*[rx.el.option(label, value=value)
                               for value, label in reason_choices()],
                             name="reason", class_name="native-select",
                             data_testid="dispute-reason"),
                rx.text("Owner", size="2", weight="medium"),
                rx.el.select(rx.el.option("Me", value="me"),
                             rx.el.option("Unassigned", value=""),
                             name="owner", class_name="native-select",
                             data_testid="dispute-owner"),
                align="center", spacing="2"),
            rx.text_area(name="description", placeholder="What does the customer dispute?",
                         width="100%", rows="4", data_testid="dispute-description"),
            rx.cond(s.error != "", rx.callout(s.error, color_scheme="red",
                                              icon="triangle-alert",
                                              data_testid="dispute-error")),
            rx.button(rx.icon("file-plus", size=14), "Open dispute", type="submit",
                      data_testid="dispute-submit"),
            width="100%", spacing="3"), on_submit=s.submit, width="100%"),
        width="100%", spacing="3", max_width="980px"),
        rx.callout(s.message, icon="search-x", color_scheme="gray",
                   data_testid="new-dispute-missing"))
