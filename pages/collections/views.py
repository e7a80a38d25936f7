"""The collections worklist and a customer's receivables."""

import reflex as rx

from console.collections import AGING_BUCKETS, SORTS, bucket_label
from pages.collections.state import (
    CURRENCIES,
    NOTE,
    PROMISE,
    CollectionsState,
    CustomerCollectionsState,
)
from pages.components.layout import pager, stat
from pages.session import SessionState

MANAGE = SessionState.permissions.contains("manage_collections")
SORT_LABELS = {"oldest": "Most overdue first", "total": "Largest balance first",
               "customer": "Customer name"}


def _header(*headers: str) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers]))


def _section(title: str, *children: rx.Component, testid: str = "") -> rx.Component:
    return rx.vstack(rx.heading(title, size="4"), *children, width="100%", spacing="2",
                     padding_top="1em", data_testid=testid or None)


def _small(text: rx.Var | str) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray")


def _select(name: str, options: list[tuple[str, str]], testid: str, **props) -> rx.Component:
    return rx.el.select(*[rx.el.option(label, value=value) for value, label in options],
                        name=name, class_name="native-select", data_testid=testid, **props)


def _bucket_header(bucket: str) -> rx.Component:
    s = CollectionsState
    return rx.table.column_header_cell(rx.button(
        bucket_label(bucket), size="1",
        variant=rx.cond(s.bucket == bucket, "solid", "ghost"),
        on_click=s.show_bucket(bucket), data_testid=f"bucket-{bucket}"), class_name="num")


def _totals() -> rx.Component:
    s = CollectionsState
    return rx.table.root(
        rx.table.header(rx.table.row(rx.table.column_header_cell("Open receivables"),
                                     *[_bucket_header(b) for b in AGING_BUCKETS],
                                     rx.table.column_header_cell("Total", class_name="num"))),
        rx.table.body(rx.foreach(s.aging, lambda a: rx.table.row(
            rx.table.cell(rx.text(a.currency, weight="bold")),
            rx.table.cell(a.current, class_name="num"), rx.table.cell(a.d1_30, class_name="num"),
            rx.table.cell(a.d31_60, class_name="num"), rx.table.cell(a.d61_90, class_name="num"),
            rx.table.cell(a.d90_plus, class_name="num"),
            rx.table.cell(rx.text(a.total, weight="bold"), class_name="num"),
            data_testid="bucket-total"))),
        size="1", variant="surface", max_width="760px")


def _filters() -> rx.Component:
    s = CollectionsState
    return rx.form(rx.hstack(
        rx.text("As of", size="2"),
        rx.input(name="as_of", default_value=s.as_of, key=s.as_of, width="120px",
                 data_testid="as-of"),
        _select("bucket", [("", "Any bucket")] + [(b, bucket_label(b)) for b in AGING_BUCKETS],
                "filter-bucket", default_value=s.bucket, key=s.bucket),
        _select("currency", [("", "Any currency")] + [(c, c) for c in CURRENCIES],
                "filter-currency"),
        rx.input(name="text", placeholder="Customer name or code", width="200px",
                 default_value=s.text, data_testid="filter-text"),
        _select("sort", [(k, SORT_LABELS[k]) for k in SORTS], "filter-sort"),
        rx.button("Apply", type="submit", variant="soft", data_testid="apply-filters"),
        rx.spacer(),
        rx.button(rx.icon("download", size=14), "Export CSV", type="button", variant="outline",
                  on_click=s.export_csv, loading=s.exporting, data_testid="export-csv"),
        spacing="2", align="center", wrap="wrap", width="100%"),
        on_submit=s.apply_filters, width="100%")


def _dunning() -> rx.Component:
    s = CollectionsState
    return rx.cond(MANAGE, rx.card(rx.vstack(
        rx.heading("Dunning", size="3"),
        _small("Charges issued invoices not yet attempted, runs the retries due (days 1, 3, 5, "
               "7 after a failure by default) and cancels past-due subscriptions whose grace "
               "has run out. Choose the day to simulate the clock."),
        rx.form(rx.hstack(
            rx.text("Run up to the end of", size="2"),
            rx.input(name="day", default_value=s.dunning_day, key=s.dunning_day,
                     width="130px", data_testid="dunning-day"),
            rx.button(rx.icon("play", size=14), "Run dunning", type="submit",
                      loading=s.dunning_running, data_testid="dunning-run"),
            rx.cond(s.dunning_running, rx.hstack(rx.spinner(size="2"),
                                                 rx.text("Running…", size="2"))),
            spacing="2", align="center"), on_submit=s.run_dunning),
        rx.cond(s.dunning_result != "", rx.text(s.dunning_result, size="2",
                                                data_testid="dunning-result")),
        spacing="2", width="100%"), width="100%"))


def _write_offs() -> rx.Component:
    s = CollectionsState
    return rx.cond(s.write_offs.length() > 0, _section(
        "Write-offs awaiting approval",
        rx.table.root(
            _header("Invoice", "Customer", "Amount", "Reason", "Requested by", "Requested", ""),
            rx.table.body(rx.foreach(s.write_offs, lambda w: rx.table.row(
                rx.table.cell(w.invoice_number),
                rx.table.cell(rx.link(w.customer, href="/collections/customers/"
                                      + w.customer_id.to_string())),
                rx.table.cell(w.amount, class_name="num"),
                rx.table.cell(w.reason, class_name="wrap"),
                rx.table.cell(w.requested_by), rx.table.cell(w.requested),
                rx.table.cell(rx.cond(
                    MANAGE & s.decidable.contains(w.id),
                    rx.hstack(
                        rx.button("Approve", size="1", color_scheme="green",
                                  on_click=s.approve_write_off(w.id, w.version),
                                  data_testid="approve-write-off"),
                        rx.form(rx.hstack(
                            rx.el.input(type="hidden", name="request_id",
                                        value=w.id.to_string()),
                            rx.el.input(type="hidden", name="version",
                                        value=w.version.to_string()),
                            rx.input(name="comment", placeholder="Why not", size="1",
                                     width="120px"),
                            rx.button("Reject", size="1", variant="soft", color_scheme="red",
                                      type="submit"), spacing="1"),
                            on_submit=s.reject_write_off),
                        spacing="2", align="center"),
                    _small(rx.cond(MANAGE, "Another finance user must approve this",
                                   "Finance approves write-offs")))),
                data_testid="write-off-row"))),
            width="100%", size="1", variant="surface"),
        testid="write-offs"))


def collections_view() -> rx.Component:
    """Open receivables by aging bucket per customer, with the tools around them."""
    s = CollectionsState
    return rx.vstack(
        _totals(),
        _filters(),
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert")),
        pager(s.page, s.pages, s.total, s.prev_page, s.next_page),
        rx.table.root(
            _header("Customer", "Status", "Cur.", "Invoices", "Current", "1-30", "31-60",
                    "61-90", "90+", "Open total", "Oldest due", "Last note / promise"),
            rx.table.body(rx.foreach(s.rows, lambda r: rx.table.row(
                rx.table.cell(rx.link(r.customer_name, href="/collections/customers/"
                                      + r.customer_id.to_string(), data_testid="worklist-link"),
                              _small(r.customer_code)),
                rx.table.cell(rx.badge(r.customer_status)),
                rx.table.cell(r.currency),
                rx.table.cell(r.invoices, class_name="num"),
                rx.table.cell(r.current, class_name="num"),
                rx.table.cell(r.d1_30, class_name="num"),
                rx.table.cell(r.d31_60, class_name="num"),
                rx.table.cell(r.d61_90, class_name="num"),
                rx.table.cell(r.d90_plus, class_name="num"),
                rx.table.cell(rx.text(r.total, weight="bold"), class_name="num"),
                rx.table.cell(r.oldest_due, rx.cond(r.days_past_due > 0, _small(
                    r.days_past_due.to_string() + " days past due"))),
                rx.table.cell(rx.cond(r.promise != "", rx.badge("promise: " + r.promise,
                                                                color_scheme="green")),
                              _small(r.last_note), class_name="wrap"),
                data_testid="worklist-row"))),
            width="100%", size="1", variant="surface"),
        _write_offs(),
        _dunning(),
        width="100%", spacing="3",
    )


# ----------------------------------------------------------------------------- customer


def _invoice_options() -> rx.Component:
    s = CustomerCollectionsState
    return rx.foreach(s.invoices, lambda i: rx.el.option(i.number + " · " + i.open,
                                                         value=i.id.to_string()))


def _actions() -> rx.Component:
    s = CustomerCollectionsState
    return rx.cond(MANAGE, rx.grid(
        rx.card(rx.vstack(
            rx.heading("Note or promise to pay", size="3"),
            rx.radio([NOTE, PROMISE], value=rx.cond(s.note_kind == "note", NOTE, PROMISE),
                     on_change=s.set_note_kind, direction="row", data_testid="note-kind"),
            rx.form(rx.vstack(
                rx.el.select(rx.el.option("Whole account", value=""), _invoice_options(),
                             name="invoice_id", class_name="native-select"),
                rx.cond(s.note_kind == "promise_to_pay", rx.hstack(
                    rx.input(name="promised_on", placeholder="Promised date YYYY-MM-DD",
                             width="180px", data_testid="promise-date"),
                    rx.input(name="promised_amount", placeholder="Amount", width="120px",
                             data_testid="promise-amount"), spacing="2")),
                rx.text_area(name="body", placeholder="What was said", rows="2", width="100%",
                             data_testid="collections-note"),
                rx.button("Save", type="submit", variant="soft", data_testid="note-save"),
                width="100%", spacing="2"), on_submit=s.add_note, reset_on_submit=True,
                width="100%"),
            width="100%", spacing="2")),
        rx.card(rx.vstack(
            rx.heading("Record a payment", size="3"),
            rx.form(rx.vstack(
                rx.el.select(_invoice_options(), name="invoice_id", class_name="native-select"),
                rx.hstack(rx.input(name="amount", placeholder="Amount", width="120px",
                                   data_testid="payment-amount"),
                          rx.el.select(rx.el.option("Bank transfer", value="bank_transfer"),
                                       rx.el.option("Cheque", value="cheque"),
                                       name="method", class_name="native-select"),
                          spacing="2"),
                rx.input(name="reference", placeholder="Reference", width="100%"),
                rx.button("Record payment", type="submit", variant="soft",
                          data_testid="payment-save"),
                width="100%", spacing="2"), on_submit=s.record_payment, reset_on_submit=True,
                width="100%"),
            rx.heading("Payment method", size="3"),
            rx.form(rx.hstack(
                rx.input(name="token", placeholder="tok_success", width="150px",
                         data_testid="token-input"),
                rx.input(name="reason", placeholder="Why", width="100%"),
                rx.button("Update", type="submit", variant="soft", data_testid="token-save"),
                spacing="2", width="100%"), on_submit=s.update_token, reset_on_submit=True,
                width="100%"),
            width="100%", spacing="2")),
        rx.card(rx.vstack(
            rx.heading("Write off", size="3"),
            _small("Marks the invoice uncollectible once another finance user approves."),
            rx.form(rx.vstack(
                rx.el.select(_invoice_options(), name="invoice_id", class_name="native-select"),
                rx.input(name="reason", placeholder="Reason (required)", width="100%",
                         data_testid="write-off-reason"),
                rx.button("Request write-off", type="submit", color_scheme="red",
                          variant="soft", data_testid="write-off-request"),
                width="100%", spacing="2"), on_submit=s.request_write_off,
                reset_on_submit=True, width="100%"),
            width="100%", spacing="2")),
        columns="3", spacing="3", width="100%"))


def customer_collections_view() -> rx.Component:
    """One customer's receivables, attempts, emails, notes and write-offs."""
    s = CustomerCollectionsState
    return rx.cond(s.found, rx.vstack(
        rx.hstack(rx.heading(s.name, size="5", data_testid="collections-customer"),
                  rx.badge(s.code), rx.badge(s.status, color_scheme="blue"),
                  rx.link("Customer page", href="/customers/" + s.customer_id.to_string(),
                          size="2"),
                  align="center", spacing="3"),
        rx.hstack(stat("Open (" + s.currency + ")", s.open_total, "open-total"),
                  stat("Terms", s.payment_terms), stat("Payment method", s.payment_token,
                                                       "payment-token"),
                  stat("Aged as of", s.as_of), spacing="3", wrap="wrap"),
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert",
                                          data_testid="collections-error")),
        _section("Open invoices", rx.table.root(
            _header("Invoice", "Due", "Days past due", "Bucket", "Total", "Open",
                    "Last attempt", "Next retry", ""),
            rx.table.body(rx.foreach(s.invoices, lambda i: rx.table.row(
                rx.table.cell(i.number), rx.table.cell(i.due),
                rx.table.cell(i.days_past_due, class_name="num"), rx.table.cell(i.bucket),
                rx.table.cell(i.total, class_name="num"),
                rx.table.cell(i.open, class_name="num"),
                rx.table.cell(i.last_attempt), rx.table.cell(i.next_retry),
                rx.table.cell(rx.hstack(
                    rx.cond(i.write_off_pending, rx.badge("write-off pending",
                                                          color_scheme="amber")),
                    rx.cond(MANAGE, rx.button("Charge card now", size="1", variant="soft",
                                              on_click=s.charge(i.id),
                                              data_testid="charge-now")), spacing="2")),
                data_testid="open-invoice"))),
            width="100%", size="1", variant="surface"), testid="open-invoices"),
        _actions(),
        _section("Notes and promises", rx.table.root(
            _header("When", "Kind", "Invoice", "Promise", "Note", "By"),
            rx.table.body(rx.foreach(s.notes, lambda n: rx.table.row(
                rx.table.cell(n.at), rx.table.cell(n.kind), rx.table.cell(n.invoice_number),
                rx.table.cell(n.promise), rx.table.cell(n.body, class_name="wrap"),
                rx.table.cell(n.author), data_testid="note-row"))),
            width="100%", size="1", variant="surface")),
        _section("Charge attempts", rx.table.root(
            _header("Invoice", "#", "Scheduled", "Attempted", "Status", "Failure", "Amount",
                    "Idempotency key"),
            rx.table.body(rx.foreach(s.attempts, lambda a: rx.table.row(
                rx.table.cell(a.invoice_number), rx.table.cell(a.attempt_no),
                rx.table.cell(a.scheduled), rx.table.cell(a.attempted),
                rx.table.cell(rx.badge(a.status)), rx.table.cell(a.failure_code),
                rx.table.cell(a.amount, class_name="num"),
                rx.table.cell(a.idempotency_key, class_name="wrap"),
                data_testid="attempt-row"))),
            width="100%", size="1", variant="surface")),
        _section("Emails to the customer", rx.table.root(
            _header("Written", "Kind", "Subject", "Message", "Sent"),
            rx.table.body(rx.foreach(s.messages, lambda m: rx.table.row(
                rx.table.cell(m.at), rx.table.cell(rx.badge(m.kind)), rx.table.cell(m.subject),
                rx.table.cell(m.body, class_name="wrap"), rx.table.cell(m.sent),
                data_testid="message-row"))),
            width="100%", size="1", variant="surface")),
        rx.cond(s.write_offs.length() > 0, _section("Write-offs", rx.table.root(
            _header("Invoice", "Amount", "Reason", "Requested by", "Requested", "Status"),
            rx.table.body(rx.foreach(s.write_offs, lambda w: rx.table.row(
                rx.table.cell(w.invoice_number), rx.table.cell(w.amount, class_name="num"),
                rx.table.cell(w.reason, class_name="wrap"), rx.table.cell(w.requested_by),
                rx.table.cell(w.requested), rx.table.cell(rx.badge(w.status))))),
            width="100%", size="1", variant="surface"))),
        width="100%", spacing="3"),
        rx.callout(s.message, icon="search-x", color_scheme="gray"))
