"""The Subscriptions section of the customer page and its change dialog."""

import reflex as rx

from pages.components.widgets import can, error_callout, header_table, section
from pages.customers.subscription_state import SubscriptionsState as S


def _is(*kinds: str) -> rx.Var:
    cond = S.kind == kinds[0]
    for kind in kinds[1:]:
        cond = cond | (S.kind == kind)
    return cond


def _error(key: str) -> rx.Component:
    return rx.cond(S.errors.contains(key), rx.text(S.errors[key], color_scheme="red", size="1",
                                                   data_testid=f"change-error-{key}"))


def _labelled(label: str, control: rx.Component, key: str) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), control, _error(key),
                     spacing="1", width="100%")


def _form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.cond(_is("new", "plan", "reactivate"), _labelled("Plan", rx.el.select(
            rx.foreach(S.plans, lambda p: rx.el.option(p.label, value=p.id.to_string())),
            name="plan_id", default_value=S.values["plan_id"], key=S.values["plan_id"],
            class_name="native-select", data_testid="change-plan"), "plan_id")),
        rx.cond(_is("new", "plan", "seats", "reactivate"), _labelled("Seats", rx.input(
            name="seats", type="number", min=1, default_value=S.values["seats"],
            key=S.values["seats"], data_testid="change-seats"), "seats")),
        rx.cond(_is("new", "interval", "reactivate"), _labelled("Billing", rx.el.select(
            rx.el.option("Monthly", value="month"), rx.el.option("Yearly", value="year"),
            name="interval", default_value=S.values["interval"], key=S.values["interval"],
            class_name="native-select", data_testid="change-interval"), "interval")),
        rx.cond(_is("new", "plan", "seats", "interval", "cancel_now"), _labelled(
            "Takes effect on (today or an earlier day of this month)", rx.input(
                name="effective_on", type="date", default_value=S.values["effective_on"],
                key=S.values["effective_on"], data_testid="change-effective"),
            "effective_on")),
        _labelled("Reason (kept in the audit log)", rx.text_area(
            name="reason", default_value=S.values["reason"], width="100%",
            data_testid="change-reason"), "reason"),
        error_callout(S.message, "change-message"),
        rx.hstack(rx.dialog.close(rx.button("Cancel", type="button", variant="soft",
                                            color_scheme="gray")),
                  rx.button("Preview", type="submit", data_testid="change-preview"),
                  justify="end", width="100%"),
        spacing="3", width="100%"), on_submit=S.preview, reset_on_submit=False)


def _list(title: str, items: rx.Var, testid: str, color: str) -> rx.Component:
    return rx.cond(items.length() > 0, rx.vstack(
        rx.text(title, size="2", weight="medium"),
        rx.foreach(items, lambda t: rx.badge(t, color_scheme=color, data_testid=testid)),
        spacing="1", align="start"))


def _preview() -> rx.Component:
    return rx.vstack(
        rx.text(S.p_title, weight="bold", data_testid="preview-title"),
        rx.text("Takes effect on ", S.p_effective, " · ", S.p_versions, size="2",
                color_scheme="gray"),
        rx.cond(S.p_lines.length() > 0, rx.vstack(
            rx.text("The next invoice (", S.p_period, ") will carry:", size="2"),
            rx.table.root(header_table("", "Line", "Amount"), rx.table.body(
                rx.foreach(S.p_lines, lambda ln: rx.table.row(
                    rx.table.cell(rx.badge(ln.label)), rx.table.cell(ln.description),
                    rx.table.cell(ln.amount, class_name="num"), data_testid="preview-line"))),
                width="100%", size="1"),
            rx.text("Total of these lines (before tax): ", rx.text.strong(
                S.p_total, data_testid="preview-total"), size="2"),
            width="100%", spacing="2"),
            rx.text("No invoice line changes.", size="2", color_scheme="gray")),
        rx.hstack(rx.text("MRR ", S.p_mrr_before, " → ", S.p_mrr_after, size="2"),
                  rx.badge(S.p_mrr_change, data_testid="preview-mrr-change"), spacing="2",
                  align="center"),
        _list("Gains", S.p_gained, "preview-gained", "green"),
        _list("Loses", S.p_lost, "preview-lost", "red"),
        _list("Limits change", S.p_changed, "preview-changed", "blue"),
        rx.foreach(S.p_notes, lambda n: rx.text(n, size="2", color_scheme="gray")),
        rx.callout(S.p_approval, icon="info", color_scheme=rx.cond(S.p_needs_approval, "amber",
                                                                       "gray"),
                   data_testid="preview-approval"),
        rx.hstack(rx.button("Back", type="button", variant="soft", color_scheme="gray",
                            on_click=S.back),
                  rx.button(rx.cond(S.p_needs_approval, "Send for approval", "Confirm"),
                            on_click=S.confirm, data_testid="change-confirm"),
                  justify="end", width="100%"),
        spacing="3", width="100%")


def _dialog() -> rx.Component:
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(S.title),
        rx.cond(S.step == "form", _form(), _preview()),
        max_width="720px", data_testid="dialog-change"),
        open=S.open, on_open_change=S.open_changed)


def _actions(row) -> rx.Component:
    return rx.cond(can("change_subscriptions"), rx.hstack(rx.foreach(
        row.actions, lambda a: rx.button(a.label, size="1", variant="soft",
                                         on_click=S.open_change(row.id, a.kind),
                                         data_testid="sub-action-" + a.kind)),
        spacing="1", wrap="wrap"))


def _pending() -> rx.Component:
    return rx.cond(S.pending.length() > 0, rx.vstack(
        rx.heading("Waiting for approval", size="3"),
        rx.table.root(header_table("Change", "Proposed by", "When", "MRR change", "Reason", ""),
                      rx.table.body(rx.foreach(S.pending, lambda p: rx.table.row(
                          rx.table.cell(p.title), rx.table.cell(p.proposed_by),
                          rx.table.cell(p.proposed_at), rx.table.cell(p.mrr_change),
                          rx.table.cell(p.reason),
                          rx.table.cell(rx.cond(p.can_decide, rx.hstack(
                              rx.button("Approve", size="1", on_click=S.approve(p.id),
                                        data_testid="pending-approve"),
                              rx.button("Reject", size="1", color_scheme="red", variant="soft",
                                        on_click=S.open_reject(p.id),
                                        data_testid="pending-reject")))),
                          data_testid="pending-row"))), width="100%", size="1"),
        rx.cond(S.reject_id != 0, rx.form(rx.hstack(
            rx.input(name="comment", placeholder="Why is it rejected?", width="320px",
                     data_testid="reject-comment"),
            rx.button("Reject change", type="submit", color_scheme="red"),
            rx.button("Cancel", type="button", variant="soft", on_click=S.cancel_reject),
            spacing="2"), on_submit=S.reject)),
        width="100%", spacing="2"))


def subscriptions_section() -> rx.Component:
    """The customer's subscriptions with their changes, and changes waiting for approval."""
    return section("Subscriptions", rx.cond(can("change_subscriptions"), rx.button(
        rx.icon("plus", size=14), "New subscription", size="2", variant="soft",
        on_click=S.open_new, data_testid="sub-new")),
        rx.table.root(
            header_table("Plan", "Status", "Seats", "Billing", "Current period", "MRR", ""),
            rx.table.body(rx.foreach(S.rows, lambda x: rx.table.row(
                rx.table.cell(x.plan), rx.table.cell(rx.vstack(
                    rx.text(x.status), rx.cond(x.note != "", rx.text(x.note, size="1",
                                                                    color_scheme="amber")),
                    spacing="0")),
                rx.table.cell(x.seats), rx.table.cell(x.interval), rx.table.cell(x.period),
                rx.table.cell(x.mrr, class_name="num"), rx.table.cell(_actions(x)),
                data_testid="subscription-row"))),
            width="100%", size="1"),
        _pending(), _dialog(), testid="subscriptions")
