"""The case page: the dispute, what it is about, and the actions to work and resolve it."""

import reflex as rx

from console.disputes import MAX_EVIDENCE_BYTES
from pages.components.layout import pager, stat
from pages.disputes.case_state import FULL, LINES, CaseState
from pages.disputes.views import header_row, sla_badge, status_badge
from pages.session import SessionState

WORK = SessionState.permissions.contains("work_disputes")
APPROVE = SessionState.permissions.contains("approve_credits")
ACTIVE = (CaseState.status == "open") | (CaseState.status == "investigating") | (
    CaseState.status == "awaiting_customer")


def _section(title: str, *children: rx.Component, testid: str = "") -> rx.Component:
    return rx.vstack(rx.heading(title, size="3"), *children, width="100%", spacing="2",
                     padding_top="0.8em", data_testid=testid or None)


def _card(title: str, *children: rx.Component, testid: str = "") -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="3"), *children, spacing="2",
                             width="100%"), width="100%", data_testid=testid or None)


def _small(text: rx.Var | str) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray")


def _header() -> rx.Component:
    s = CaseState
    return rx.vstack(
        rx.hstack(
            rx.heading("#", s.dispute_id.to_string(), " · ", s.reason_label, size="5",
                       data_testid="case-title"),
            rx.box(status_badge(s.status, s.status_label), data_testid="case-status"),
            sla_badge(s.sla_state, s.sla_text, "case-sla"),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), "Refresh", variant="ghost",
                      on_click=s.refresh),
            align="center", spacing="3", width="100%"),
        rx.hstack(
            rx.link(s.customer_name, " (", s.customer_code, ")",
                    href="/customers/" + s.customer_id.to_string(), data_testid="case-customer"),
            rx.text("·", color_scheme="gray"),
            rx.cond(s.invoice_id > 0,
                    rx.hstack(rx.text("Invoice", size="2"),
                              rx.link(s.invoice_number, href="/invoices/"
                                      + s.invoice_id.to_string(), size="2",
                                      data_testid="case-invoice"),
                              rx.text(s.invoice_period, size="2"), spacing="1"),
                    rx.text("No invoice", size="2")),
            rx.text("·", color_scheme="gray"),
            rx.text("Owner: ", s.owner, size="2", data_testid="case-owner"),
            rx.text("·", color_scheme="gray"),
            rx.text("Due ", s.due, size="2"),
            spacing="2", align="center", wrap="wrap"),
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert",
                                          data_testid="case-error", width="100%")),
        width="100%", spacing="2")


def _summary() -> rx.Component:
    s = CaseState
    return rx.vstack(
        rx.card(rx.vstack(
            rx.text(s.description, size="2", white_space="pre-wrap",
                    data_testid="case-description"),
            _small(rx.text("Opened ", s.opened, " by ", s.opened_by,
                           rx.cond(s.reopened_count > 0,
                                   rx.text(" · reopened ", s.reopened_count.to_string(), "×",
                                           as_="span")), as_="span")),
            rx.cond(s.resolved != "", rx.callout(
                rx.text("Resolved ", s.resolved, ": ", s.resolution_note),
                color_scheme="gray", icon="circle-check", size="1",
                data_testid="case-resolution")),
            spacing="2", width="100%"), width="100%"),
        rx.hstack(stat("Disputed", s.amount, "case-amount"),
                  stat("Invoice total", s.invoice_total), stat("Credited", s.invoice_credited,
                                                               "invoice-credited"),
                  stat("Paid", s.invoice_paid), stat("Balance", s.invoice_balance,
                                                     "invoice-balance"),
                  spacing="2", wrap="wrap"),
        width="100%", spacing="2")


def _lines() -> rx.Component:
    s = CaseState
    return _section("Invoice lines", rx.table.root(
        header_row("Line", "Qty", "Unit price", "Amount", "Tax", "Price breakdown", "Disputed",
                   "Creditable"),
        rx.table.body(rx.foreach(s.lines, lambda x: rx.table.row(
            rx.table.cell(rx.text(x.description, size="2"),
                          rx.cond(x.is_disputed, rx.badge("disputed", color_scheme="red")),
                          class_name="wrap"),
            rx.table.cell(x.quantity, class_name="num"),
            rx.table.cell(x.unit_amount, class_name="num"),
            rx.table.cell(x.amount, class_name="num"),
            rx.table.cell(x.tax, class_name="num"),
            rx.table.cell(rx.el.pre(x.breakdown, font_size="11px", margin="0",
                                    white_space="pre-wrap")),
            rx.table.cell(x.disputed, class_name="num"),
            rx.table.cell(x.creditable, class_name="num"),
            data_testid="case-line"))),
        width="100%", size="1", variant="surface"), testid="case-lines")


def _usage() -> rx.Component:
    s = CaseState
    return rx.cond(s.usage_lines.length() > 0, _section(
        "Usage behind the usage lines",
        rx.hstack(
            rx.el.select(rx.foreach(s.usage_lines, lambda u: rx.el.option(
                u.label, value=u.line_id.to_string())),
                value=s.usage_line_id.to_string(), on_change=s.choose_usage_line,
                class_name="native-select", data_testid="usage-line"),
            _small(s.usage_label), align="center", spacing="2"),
        rx.plotly(data=s.usage_chart, width="100%", height="240px"),
        rx.form(rx.hstack(
            rx.text("Events from", size="2"),
            rx.input(name="day_from", placeholder="YYYY-MM-DD", width="130px",
                     default_value=s.day_from, data_testid="events-from"),
            rx.text("to", size="2"),
            rx.input(name="day_to", placeholder="YYYY-MM-DD", width="130px",
                     default_value=s.day_to, data_testid="events-to"),
            rx.button("Filter", type="submit", variant="soft", data_testid="events-filter"),
            align="center", spacing="2"), on_submit=s.filter_events),
        pager(s.events_page, s.events_pages, s.events_total, s.prev_events, s.next_events),
        rx.cond(s.events_total == 0, _small("No raw events are stored for this line and range; "
                                            "the chart shows the daily totals.")),
        rx.table.root(
            header_row("When", "Quantity", "Idempotency key", "Properties"),
            rx.table.body(rx.foreach(s.events, lambda e: rx.table.row(
                rx.table.cell(e.occurred_at), rx.table.cell(e.quantity, class_name="num"),
                rx.table.cell(e.idempotency_key, class_name="wrap"),
                rx.table.cell(e.properties, class_name="wrap"), data_testid="usage-event"))),
            width="100%", size="1", variant="surface"),
        testid="case-usage"))


def _plan() -> rx.Component:
    s = CaseState
    return _section(
        "Plan version",
        rx.hstack(rx.cond(s.plan_id > 0, rx.link(s.plan_label,
                                                 href="/catalog/plans/" + s.plan_id.to_string()),
                          rx.text(s.plan_label)), align="center"),
        rx.table.root(
            header_row("Price", "Model", "Terms", "Currency", "Billed"),
            rx.table.body(rx.foreach(s.plan_prices, lambda p: rx.table.row(
                rx.table.cell(p.name), rx.table.cell(p.model),
                rx.table.cell(p.summary, class_name="wrap"), rx.table.cell(p.currency),
                rx.table.cell(p.timing)))),
            width="100%", size="1", variant="surface"),
        _small("Change history of this plan"),
        rx.table.root(
            header_row("Change", "Version", "Kind", "Status", "Reason", "Author", "Opened",
                       "Decided"),
            rx.table.body(rx.foreach(s.plan_changes, lambda c: rx.table.row(
                rx.table.cell(rx.link("#" + c.id.to_string(),
                                      href="/catalog/changes/" + c.id.to_string())),
                rx.table.cell(c.version_label), rx.table.cell(c.kind_label),
                rx.table.cell(c.status_label), rx.table.cell(c.reason, class_name="wrap"),
                rx.table.cell(c.author), rx.table.cell(c.created), rx.table.cell(c.decided),
                data_testid="plan-change"))),
            width="100%", size="1", variant="surface"),
        testid="case-plan")


def _history() -> rx.Component:
    s = CaseState
    return _section(
        "Customer history",
        _small("Other invoices"),
        rx.table.root(
            header_row("Invoice", "Period", "Status", "Total", "Balance"),
            rx.table.body(rx.foreach(s.invoices, lambda i: rx.table.row(
                rx.table.cell(i.number), rx.table.cell(i.period), rx.table.cell(i.status),
                rx.table.cell(i.total, class_name="num"),
                rx.table.cell(i.balance, class_name="num")))),
            width="100%", size="1", variant="surface"),
        _small("Other disputes"),
        rx.table.root(
            header_row("#", "Opened", "Invoice", "Reason", "Status", "Amount"),
            rx.table.body(rx.foreach(s.disputes, lambda d: rx.table.row(
                rx.table.cell(rx.link("#" + d.id.to_string(),
                                      href="/disputes/" + d.id.to_string())),
                rx.table.cell(d.opened), rx.table.cell(d.invoice_number),
                rx.table.cell(d.reason_label), rx.table.cell(d.status_label),
                rx.table.cell(d.amount, class_name="num")))),
            width="100%", size="1", variant="surface"),
        _small("Payments"),
        rx.table.root(
            header_row("Received", "Invoice", "Amount", "Method", "Status", "Reference"),
            rx.table.body(rx.foreach(s.payments, lambda p: rx.table.row(
                rx.table.cell(p.received), rx.table.cell(p.invoice_number),
                rx.table.cell(p.amount, class_name="num"), rx.table.cell(p.method),
                rx.table.cell(p.status), rx.table.cell(p.reference)))),
            width="100%", size="1", variant="surface"),
        rx.cond(s.attempts.length() > 0, rx.vstack(
            _small("Charge attempts on the disputed invoice"),
            rx.table.root(
                header_row("#", "Scheduled", "Attempted", "Status", "Failure", "Amount"),
                rx.table.body(rx.foreach(s.attempts, lambda a: rx.table.row(
                    rx.table.cell(a.attempt_no), rx.table.cell(a.scheduled),
                    rx.table.cell(a.attempted), rx.table.cell(a.status),
                    rx.table.cell(a.failure_code), rx.table.cell(a.amount, class_name="num")))),
                width="100%", size="1", variant="surface"), width="100%")),
        testid="case-history")


def _work() -> rx.Component:
    s = CaseState
    return rx.cond(WORK & ACTIVE, _card(
        "Work the case",
        rx.hstack(
            rx.cond(s.actions.contains("start"),
                    rx.button("Start investigation", on_click=s.change_status("start"),
                              data_testid="action-start")),
            rx.cond(s.actions.contains("await_customer"),
                    rx.button("Wait for customer", variant="soft",
                              on_click=s.change_status("await_customer"),
                              data_testid="action-await_customer")),
            rx.cond(s.actions.contains("resume"),
                    rx.button("Resume investigation", on_click=s.change_status("resume"),
                              data_testid="action-resume")),
            rx.button(rx.icon("user-check", size=14), "Take it", variant="outline",
                      on_click=s.take, data_testid="take-case"),
            spacing="2", wrap="wrap"),
        rx.form(rx.hstack(
            rx.el.select(rx.el.option("Unassigned", value=""),
                         rx.foreach(s.owners, lambda o: rx.el.option(o.name,
                                                                     value=o.id.to_string())),
                         name="owner", class_name="native-select",
                         default_value=s.owner_id.to_string(), key=s.version.to_string(),
                         data_testid="assign-owner"),
            rx.button("Assign", type="submit", variant="soft", data_testid="assign"),
            spacing="2", align="center"), on_submit=s.assign),
        rx.form(rx.vstack(
            rx.hstack(rx.el.select(rx.el.option("Note", value="note"),
                                   rx.el.option("Customer contact", value="customer_contact"),
                                   name="kind", class_name="native-select",
                                   data_testid="note-kind"),
                      rx.button(rx.icon("message-square-plus", size=14), "Add to timeline",
                                type="submit", variant="soft", data_testid="note-submit"),
                      spacing="2"),
            rx.text_area(name="body", placeholder="What did you find or hear?", rows="3",
                         width="100%", data_testid="note-body"),
            width="100%", spacing="2"), on_submit=s.add_note, reset_on_submit=True,
            width="100%"),
        rx.upload(
            rx.vstack(rx.hstack(rx.icon("paperclip", size=14),
                                rx.text("Drop a file here or click to choose", size="2")),
                      rx.foreach(rx.selected_files("evidence"),
                                 lambda f: rx.text(f, size="1", weight="medium")),
                      _small(s.evidence_hint), spacing="1", align="center"),
            id="evidence", multiple=False, max_files=1, max_size=MAX_EVIDENCE_BYTES + 1,
            border="1px dashed var(--gray-7)", padding="0.8em", border_radius="6px",
            width="100%", data_testid="evidence-drop"),
        rx.button(rx.icon("upload", size=14), "Attach evidence", variant="soft",
                  on_click=s.upload_evidence(rx.upload_files(upload_id="evidence")),
                  data_testid="evidence-submit"),
        testid="work-card"))


def _resolve() -> rx.Component:
    s = CaseState
    credit_form = rx.form(rx.vstack(
        rx.hstack(
            rx.radio([LINES, FULL], value=rx.cond(s.credit_mode == "full", FULL, LINES),
                     on_change=s.set_credit_mode, direction="row", data_testid="credit-mode"),
            _small("Full credit: everything still creditable, up to the balance."),
            spacing="3", align="center"),
        rx.cond(s.credit_mode == "lines", rx.table.root(
            header_row("Line", "Creditable", "Credit (before tax)"),
            rx.table.body(rx.foreach(s.lines, lambda x: rx.cond(
                x.creditable_minor > 0, rx.table.row(
                    rx.table.cell(x.description, class_name="wrap"),
                    rx.table.cell(x.creditable, class_name="num"),
                    rx.table.cell(rx.input(name="credit_" + x.id.to_string(),
                                           placeholder="0.00", width="110px",
                                           data_testid="credit-line")))))),
            width="100%", size="1")),
        rx.input(name="reason", placeholder="Reason shown on the credit note", width="100%",
                 data_testid="credit-reason"),
        _small(rx.text("Tax is credited in proportion. Credits above ", s.threshold,
                       " wait for a finance user's approval.", as_="span")),
        rx.button(rx.icon("badge-percent", size=14), "Propose credit", type="submit",
                  color_scheme="green", data_testid="credit-submit"),
        width="100%", spacing="2"), on_submit=s.propose_credit, width="100%")
    return rx.cond(WORK & ACTIVE & (s.pending_credit_id == 0), _card(
        "Resolve",
        rx.cond(s.invoice_id > 0, credit_form,
                _small("No invoice on this dispute: it can be rejected or withdrawn.")),
        rx.cond(s.uncounted_credit, rx.button(
            "Close as credited (credit note issued)", variant="soft", on_click=s.close_as_credited,
            data_testid="close-credited")),
        rx.divider(),
        rx.form(rx.vstack(
            rx.text_area(name="explanation", placeholder="Why the charges are correct",
                         rows="2", width="100%", data_testid="reject-explanation"),
            rx.button("Reject dispute", type="submit", color_scheme="red", variant="soft",
                      data_testid="reject-submit"),
            width="100%", spacing="2"), on_submit=s.reject_dispute, width="100%"),
        rx.form(rx.hstack(
            rx.input(name="note", placeholder="How the customer withdrew", width="100%",
                     data_testid="withdraw-note"),
            rx.button("Withdraw", type="submit", variant="outline", data_testid="withdraw-submit"),
            width="100%", spacing="2"), on_submit=s.withdraw, width="100%"),
        testid="resolve-card"))


def _approval() -> rx.Component:
    s = CaseState
    return rx.cond(s.pending_credit_id > 0, _card(
        "Credit awaiting approval",
        rx.text("A credit of ", rx.text(s.pending_credit_total, weight="bold", as_="span"),
                " proposed by ", s.pending_credit_by, " waits for a finance approval.",
                size="2", data_testid="pending-credit"),
        rx.cond(APPROVE & s.can_approve_credit, rx.vstack(
            rx.form(rx.hstack(
                rx.input(name="comment", placeholder="Comment (optional)", width="100%"),
                rx.button(rx.icon("check", size=14), "Approve credit", type="submit",
                          color_scheme="green", data_testid="approve-credit"),
                width="100%", spacing="2"), on_submit=s.approve_credit, width="100%"),
            rx.form(rx.hstack(
                rx.input(name="reason", placeholder="Why not (required)", width="100%",
                         data_testid="reject-credit-reason"),
                rx.button("Reject credit", type="submit", color_scheme="red", variant="soft",
                          data_testid="reject-credit"),
                width="100%", spacing="2"), on_submit=s.reject_credit, width="100%"),
            width="100%"),
            rx.text(s.approve_blocked, size="2", color_scheme="amber",
                    data_testid="approve-blocked")),
        testid="approval-card"))


def _reopen() -> rx.Component:
    s = CaseState
    return rx.cond(WORK & s.can_reopen, _card(
        "Reopen",
        _small(rx.text("Closed cases can be reopened until ", s.reopen_until, ".", as_="span")),
        rx.form(rx.hstack(
            rx.input(name="reason", placeholder="Why reopen", width="100%",
                     data_testid="reopen-reason"),
            rx.button("Reopen", type="submit", variant="soft", data_testid="reopen-submit"),
            width="100%", spacing="2"), on_submit=s.reopen, width="100%"),
        testid="reopen-card"))


def _credits_and_files() -> rx.Component:
    s = CaseState
    return rx.vstack(
        rx.cond(s.credits.length() > 0, _section("Credit notes", rx.table.root(
            header_row("Number", "Status", "Total", "Proposed by", "Approved by"),
            rx.table.body(rx.foreach(s.credits, lambda c: rx.table.row(
                rx.table.cell(c.number), rx.table.cell(rx.badge(c.status)),
                rx.table.cell(c.total, class_name="num"), rx.table.cell(c.created_by),
                rx.table.cell(c.approved_by), data_testid="case-credit"))),
            width="100%", size="1", variant="surface"))),
        _section("Evidence", rx.cond(
            s.evidence.length() > 0,
            rx.vstack(rx.foreach(s.evidence, lambda f: rx.hstack(
                rx.icon("file", size=14),
                rx.button(f.filename, variant="ghost", size="1",
                          on_click=s.download_evidence(f.id), data_testid="evidence-file"),
                _small(rx.text(f.content_type, " · ", f.size, " · ", f.uploaded_by, " · ",
                               f.at, as_="span")),
                align="center", spacing="2")), spacing="1", width="100%"),
            _small("No files yet.")), testid="case-evidence"),
        _section("Timeline", rx.vstack(rx.foreach(s.timeline, lambda e: rx.box(
            rx.hstack(rx.badge(e.kind_label, variant="soft"), _small(e.at),
                      _small(e.actor), rx.cond(e.change != "", rx.text(e.change, size="1",
                                                                       weight="medium")),
                      spacing="2", align="center", wrap="wrap"),
            rx.cond(e.body != "", rx.text(e.body, size="2", white_space="pre-wrap")),
            padding_y="0.4em", border_bottom="1px solid var(--gray-4)", width="100%",
            data_testid="timeline-entry")), spacing="0", width="100%"), testid="case-timeline"),
        width="100%", spacing="2")


def case_view() -> rx.Component:
    """Everything about one dispute."""
    s = CaseState
    return rx.cond(s.found, rx.vstack(
        _header(),
        rx.grid(
            rx.vstack(_summary(), _lines(), _usage(), _plan(), _history(), width="100%",
                      spacing="2", min_width="0"),
            rx.vstack(_approval(), _work(), _resolve(), _reopen(), _credits_and_files(),
                      width="100%", spacing="3", min_width="0"),
            columns="3fr 2fr", spacing="4", width="100%"),
        width="100%", spacing="3"),
        rx.callout(s.message, icon="search-x", color_scheme="gray", data_testid="case-missing"))
