"""The invoice page: header and totals, flags, actions, lines, usage, comparison, credit notes
and history, plus the reason / line-edit / credit-note dialogs."""

import reflex as rx

from pages.components.layout import stat
from pages.invoices.detail_state import InvoiceState
from pages.invoices.widgets import can, error_callout, header_table, section, status_badge

S = InvoiceState


def _has(action: str) -> rx.Var:
    return S.actions.contains(action)


def _action_button(label: str, icon: str, on_click, testid: str, *, color: str = "blue",
                   variant: str = "solid") -> rx.Component:
    return rx.button(rx.icon(icon, size=14), label, on_click=on_click, color_scheme=color,
                     variant=variant, size="2", data_testid=testid)


def _actions() -> rx.Component:
    review = can("review_invoices")
    return rx.hstack(
        rx.cond(review & _has("approve"),
                _action_button("Approve", "check", S.approve, "approve", color="green")),
        rx.cond(review & _has("issue"),
                _action_button("Issue", "send", S.issue, "issue")),
        rx.cond(review & _has("hold"),
                _action_button("Hold", "pause", S.open_dialog("hold"), "hold", color="amber",
                               variant="soft")),
        rx.cond(review & _has("release_hold"),
                _action_button("Release hold", "play", S.release_hold, "release-hold",
                               color="amber")),
        rx.cond(review & _has("mark_paid"),
                _action_button("Mark paid", "banknote", S.mark_paid, "mark-paid",
                               color="grass", variant="soft")),
        rx.cond(review & _has("mark_uncollectible"),
                _action_button("Mark uncollectible", "ban", S.open_dialog("uncollectible"),
                               "mark-uncollectible", color="tomato", variant="soft")),
        rx.cond(review & _has("void"),
                _action_button("Void", "circle-x", S.open_dialog("void"), "void", color="red",
                               variant="soft")),
        rx.cond(can("issue_credit_notes") & _has("credit"),
                _action_button("Credit note", "receipt", S.open_dialog("credit"),
                               "open-credit", color="violet", variant="soft")),
        rx.spacer(),
        rx.button(rx.icon("file-down", size=14), "PDF", on_click=S.download_pdf,
                  variant="outline", size="2", data_testid="download-pdf"),
        rx.button(rx.icon("sheet", size=14), "CSV", on_click=S.download_csv, variant="outline",
                  size="2", data_testid="download-csv"),
        width="100%", spacing="2", align="center", wrap="wrap", data_testid="actions",
    )


def _stale() -> rx.Component:
    return rx.cond(S.action_error != "", rx.callout(
        rx.hstack(rx.text(S.action_error, data_testid="action-error"), rx.spacer(),
                  rx.button("Reload", on_click=S.reload, size="1", variant="soft",
                            data_testid="reload")),
        color_scheme="red", icon="triangle-alert", width="100%"))


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(rx.cond(S.number == "(draft)", "Draft invoice #" + S.invoice_id.to_string(),
                               S.number), size="5", data_testid="invoice-number"),
            status_badge(S.status, "invoice-status"),
            rx.badge("version " + S.version.to_string(), variant="outline",
                     data_testid="invoice-version"),
            rx.spacer(),
            rx.cond(S.bill_run_id > 0,
                    rx.link("Bill run #" + S.bill_run_id.to_string(),
                            href="/invoices?run=" + S.bill_run_id.to_string(), size="2")),
            align="center", width="100%", spacing="2",
        ),
        rx.text(rx.link(S.customer_name, href="/customers/" + S.customer_id.to_string(),
                        data_testid="invoice-customer"),
                " (", S.customer_code, ") · ", S.plan, " · ", S.period, " · ", S.currency,
                size="2", color_scheme="gray"),
        rx.hstack(stat("Subtotal", S.subtotal), stat("Tax", S.tax),
                  stat("Total", S.total, "invoice-total"),
                  stat("Credited", S.credited, "invoice-credited"), stat("Paid", S.paid),
                  stat("Balance", S.balance, "invoice-balance"), spacing="3", wrap="wrap"),
        rx.text("Created ", S.created,
                rx.cond(S.issued != "", rx.fragment(" · issued ", S.issued, " · due ", S.due)),
                size="1", color_scheme="gray"),
        rx.cond(S.hold_reason != "", rx.callout("On hold: " + S.hold_reason, icon="pause",
                                                color_scheme="amber", data_testid="hold-reason")),
        rx.cond(S.flags.length() > 0, rx.vstack(
            rx.foreach(S.flags, lambda f: rx.callout(
                rx.text(rx.text.strong(f.label), " — ", f.detail), icon="flag",
                color_scheme="amber", size="1", data_testid="invoice-flag")),
            width="100%", spacing="1")),
        width="100%", spacing="2",
    )


def _line_row(x) -> rx.Component:
    editable = can("review_invoices") & _has("edit") & (x.kind != "credit")
    return rx.table.row(
        rx.table.cell(x.position),
        rx.table.cell(rx.badge(x.kind, variant="soft")),
        rx.table.cell(rx.vstack(
            rx.text(x.description, size="2"),
            rx.foreach(x.breakdown, lambda b: rx.text(b, size="1", color_scheme="gray",
                                                      data_testid="line-breakdown")),
            rx.cond(x.edit_reason != "", rx.text("Edited: ", x.edit_reason, size="1",
                                                 color_scheme="amber")),
            spacing="0")),
        rx.table.cell(x.quantity, class_name="num"),
        rx.table.cell(x.unit_amount, class_name="num"),
        rx.table.cell(x.amount, class_name="num", data_testid="line-amount"),
        rx.table.cell(x.tax_rate, class_name="num"),
        rx.table.cell(x.tax, class_name="num"),
        rx.table.cell(x.credited, class_name="num"),
        rx.table.cell(rx.cond(editable, rx.button(
            rx.icon("pencil", size=12), "Edit", size="1", variant="ghost",
            on_click=S.open_edit(x.id), data_testid="edit-line"))),
        data_testid="line-row",
    )


def _lines() -> rx.Component:
    return section("Lines", rx.table.root(
        header_table("#", "Kind", "Description and ranges", "Quantity", "Unit price",
                     "Amount", "Tax rate", "Tax", "Credited", ""),
        rx.table.body(rx.foreach(S.lines, _line_row)),
        width="100%", size="1", variant="surface"), testid="lines")


def _usage() -> rx.Component:
    return rx.cond(S.usage_options.length() > 0, section(
        "Usage behind the usage lines",
        rx.hstack(
            rx.text("Line", size="2"),
            rx.el.select(rx.foreach(S.usage_options, lambda o: rx.el.option(
                o.label, value=o.line_id.to_string())),
                value=S.usage_line_id.to_string(), on_change=S.show_usage,
                class_name="native-select", data_testid="usage-line"),
            align="center", spacing="2"),
        rx.plotly(data=S.usage_figure, width="100%", height="240px",
                  data_testid="usage-chart"),
        rx.hstack(
            rx.text(S.events_total.to_string() + " events", size="2", color_scheme="gray",
                    data_testid="events-total"),
            rx.spacer(),
            rx.button("Newer", on_click=S.events_prev, disabled=S.events_page <= 0,
                      variant="soft", size="1", data_testid="events-prev"),
            rx.text("Page ", (S.events_page + 1).to_string(), " of ",
                    S.events_pages.to_string(), size="2"),
            rx.button("Older", on_click=S.events_next,
                      disabled=S.events_page + 1 >= S.events_pages, variant="soft", size="1",
                      data_testid="events-next"),
            width="100%", align="center"),
        rx.table.root(
            header_table("When", "Quantity", "Idempotency key", "Properties"),
            rx.table.body(rx.foreach(S.events, lambda e: rx.table.row(
                rx.table.cell(e.occurred_at), rx.table.cell(e.quantity, class_name="num"),
                rx.table.cell(e.idempotency_key), rx.table.cell(e.properties, class_name="wrap"),
                data_testid="event-row"))),
            width="100%", size="1"),
        testid="usage"))


def _summary_card(title: rx.Var | str, status: rx.Var, total: rx.Var, body: rx.Component,
                  testid: str, href: rx.Var | None = None) -> rx.Component:
    head = rx.link(title, href=href) if href is not None else rx.text(title, weight="bold")
    return rx.card(rx.vstack(
        rx.hstack(head, status_badge(status), spacing="2", align="center"),
        body,
        rx.divider(),
        rx.hstack(rx.text("Total", weight="bold", size="2"), rx.spacer(),
                  rx.text(total, weight="bold", size="2"), width="100%"),
        spacing="2", width="100%"), data_testid=testid, min_width="240px")


def _compare() -> rx.Component:
    current = _summary_card(
        rx.fragment("This invoice · ", S.period), S.status, S.total,
        rx.vstack(rx.foreach(S.lines, lambda x: rx.hstack(
            rx.text(x.description, size="1"), rx.spacer(), rx.text(x.amount, size="1"),
            width="100%")), width="100%", spacing="1"),
        "compare-current")
    return section("Compared with earlier invoices", rx.cond(
        S.previous.length() > 0,
        rx.grid(current, rx.foreach(S.previous, lambda p: _summary_card(
            p.number + " · " + p.period, p.status, p.total,
            rx.vstack(rx.foreach(p.lines, lambda ln: rx.hstack(
                rx.text(ln[0], size="1"), rx.spacer(), rx.text(ln[1], size="1"),
                width="100%")), width="100%", spacing="1"),
            "compare-previous", href="/invoices/" + p.id.to_string())),
            columns="4", spacing="3", width="100%"),
        rx.text("This is the customer's first invoice.", size="2", color_scheme="gray")),
        testid="compare")


def _credit_notes() -> rx.Component:
    decide = can("approve_credits")
    return section(
        "Credit notes",
        rx.table.root(
            header_table("Number", "Status", "Total", "Reason", "Created"),
            rx.table.body(rx.foreach(S.credit_notes, lambda n: rx.table.row(
                rx.table.cell(n.number), rx.table.cell(status_badge(n.status, "credit-status")),
                rx.table.cell(n.total, class_name="num"), rx.table.cell(n.reason,
                                                                        class_name="wrap"),
                rx.table.cell(n.created), data_testid="credit-row"))),
            width="100%", size="1"),
        rx.foreach(S.pending, lambda p: rx.callout(rx.hstack(
            rx.text("Credit of ", rx.text.strong(p.total), " requested by ", p.requested_by,
                    " (", p.reason, ") waits for a second finance user.", size="2"),
            rx.spacer(),
            rx.cond(p.mine,
                    rx.badge("You requested it: another finance user decides",
                             color_scheme="gray", data_testid="pending-mine"),
                    rx.cond(decide, rx.hstack(
                        rx.button("Approve credit", size="1", color_scheme="green",
                                  on_click=S.approve_credit(p.id),
                                  data_testid="approve-credit"),
                        rx.button("Reject", size="1", color_scheme="red", variant="soft",
                                  on_click=S.open_reject(p.id), data_testid="reject-credit"),
                        spacing="2"))),
            width="100%", align="center"),
            color_scheme="amber", icon="hourglass", width="100%", data_testid="pending-credit")),
        rx.cond(S.credit_notes.length() == 0,
                rx.text("No credit notes.", size="2", color_scheme="gray")),
        testid="credit-notes")


def _history() -> rx.Component:
    return section("History", rx.table.root(
        header_table("When", "Who", "Action", "Reason"),
        rx.table.body(rx.foreach(S.history, lambda a: rx.table.row(
            rx.table.cell(a.at), rx.table.cell(a.actor), rx.table.cell(rx.code(a.action)),
            rx.table.cell(a.reason, class_name="wrap"), data_testid="history-row"))),
        width="100%", size="1"), testid="history")


# ----------------------------------------------------------------------------- dialogs


def _dialog(name: str, title: str, *body: rx.Component) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(rx.dialog.title(title), *body, max_width="640px",
                          data_testid=f"dialog-{name}"),
        open=S.dialog == name, on_open_change=S.dialog_changed,
    )


def _cancel() -> rx.Component:
    return rx.dialog.close(rx.button("Cancel", type="button", variant="soft",
                                     color_scheme="gray"))


def _reason_dialog(name: str, title: str, text: str, label: str, handler,
                   color: str, error: rx.Var = S.action_error) -> rx.Component:
    return _dialog(name, title, rx.form(rx.vstack(
        rx.text(text, size="2"),
        rx.text_area(name="reason", placeholder="Reason (required, kept in the audit log)",
                     width="100%", data_testid=f"{name}-reason"),
        error_callout(error, f"{name}-error"),
        rx.hstack(_cancel(), rx.button(label, type="submit", color_scheme=color,
                                       data_testid=f"{name}-confirm"),
                  justify="end", width="100%"),
        spacing="3", width="100%"), on_submit=handler, reset_on_submit=False))


def _edit_dialog() -> rx.Component:
    return _dialog("edit", "Edit a draft line", rx.form(rx.vstack(
        rx.text(S.edit_label, size="2", color_scheme="gray"),
        rx.text("Description", size="2"),
        rx.input(name="description", default_value=S.edit_description, key=S.edit_line_id,
                 width="100%", data_testid="edit-description"),
        rx.hstack(
            rx.vstack(rx.text("Quantity", size="2"),
                      rx.input(name="quantity", default_value=S.edit_quantity,
                               key=S.edit_line_id.to_string() + "q",
                               data_testid="edit-quantity"), spacing="1"),
            rx.vstack(rx.text("Amount (", S.currency, ", before tax)", size="2"),
                      rx.input(name="amount", placeholder="unchanged",
                               data_testid="edit-amount"), spacing="1"),
            spacing="3"),
        rx.text("Changing only the quantity of a line with one unit price reprices it; tax, "
                "prepaid credit and totals are recomputed.", size="1", color_scheme="gray"),
        rx.text_area(name="reason", placeholder="Reason (required)", width="100%",
                     data_testid="edit-reason"),
        error_callout(S.edit_error, "edit-error"),
        rx.hstack(_cancel(), rx.button("Save line", type="submit", data_testid="edit-save"),
                  justify="end", width="100%"),
        spacing="2", width="100%"), on_submit=S.save_edit))


def _credit_form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.checkbox("Credit everything still open (full credit)", name="full",
                    data_testid="credit-full"),
        rx.text("Or enter amounts before tax per line (tax is credited in proportion):",
                size="2"),
        rx.table.root(
            header_table("Line", "Amount", "Credited", "Credit"),
            rx.table.body(rx.foreach(S.lines, lambda x: rx.cond(
                x.creditable_minor > 0,
                rx.table.row(
                    rx.table.cell(x.description, class_name="wrap"),
                    rx.table.cell(x.amount, class_name="num"),
                    rx.table.cell(x.credited, class_name="num"),
                    rx.table.cell(rx.input(name="line_" + x.id.to_string(), placeholder="0.00",
                                           width="110px", data_testid="credit-line")))))),
            width="100%", size="1"),
        rx.text_area(name="reason", placeholder="Reason (required, shown on the note)",
                     width="100%", data_testid="credit-reason"),
        error_callout(S.credit_error, "credit-error"),
        rx.hstack(_cancel(), rx.button("Preview", type="submit", data_testid="credit-preview"),
                  justify="end", width="100%"),
        spacing="2", width="100%"), on_submit=S.preview_credit)


def _credit_preview() -> rx.Component:
    return rx.vstack(
        rx.hstack(stat("Amount", S.credit_amount), stat("Tax", S.credit_tax),
                  stat("Credit total", S.credit_total, "credit-total"), spacing="3"),
        rx.text("Reason: ", S.credit_reason, size="2"),
        rx.cond(S.credit_needs_approval,
                rx.callout("Above the approval threshold: the note will wait in pending "
                           "approval until another finance user approves it.",
                           icon="hourglass", color_scheme="amber",
                           data_testid="credit-needs-approval"),
                rx.callout("Within the threshold: the note is issued at once.", icon="check",
                           color_scheme="green", data_testid="credit-immediate")),
        error_callout(S.credit_error, "credit-error"),
        rx.hstack(rx.button("Change", variant="soft", color_scheme="gray",
                            on_click=S.edit_credit),
                  rx.button("Create credit note", color_scheme="violet",
                            on_click=S.create_credit, data_testid="credit-create"),
                  justify="end", width="100%"),
        spacing="3", width="100%")


def _dialogs() -> rx.Component:
    return rx.fragment(
        _reason_dialog("hold", "Put on hold", "The invoice leaves the approval path until the "
                       "hold is released.", "Hold", S.hold, "amber"),
        _reason_dialog("void", "Void invoice", "A void invoice is never collected; prepaid "
                       "credit it used goes back to the customer.", "Void", S.void, "red"),
        _reason_dialog("uncollectible", "Mark uncollectible", "The open balance is written "
                       "off as uncollectible.", "Mark uncollectible", S.mark_uncollectible,
                       "tomato"),
        _reason_dialog("reject", "Reject credit note", "The credit is not issued.", "Reject",
                       S.reject_credit, "red", S.reject_error),
        _edit_dialog(),
        _dialog("credit", "Credit note",
                rx.cond(S.credit_checked, _credit_preview(), _credit_form())),
    )


def invoice_detail_view() -> rx.Component:
    """Everything about one invoice."""
    return rx.cond(
        S.found,
        rx.vstack(
            rx.link("← Review queue", href="/invoices", size="2"),
            _header(),
            _actions(),
            _stale(),
            _lines(),
            _usage(),
            _compare(),
            _credit_notes(),
            _history(),
            _dialogs(),
            width="100%", spacing="3",
        ),
        rx.callout(S.message, icon="search-x", color_scheme="gray", data_testid="not-found-msg"),
    )
