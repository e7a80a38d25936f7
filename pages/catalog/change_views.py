"""View of a change request: diff, simulation, approvals and decisions."""

import reflex as rx

from pages.catalog.change_state import ChangeState
from pages.catalog.views import diff_table, entitlement_diff_table
from pages.catalog.widgets import (
    error_callout,
    header_table,
    months_select,
    progress_bar,
    section,
    status_badge,
)
from pages.components.layout import stat


def _simulation() -> rx.Component:
    s = ChangeState
    return rx.cond(s.has_simulation, rx.vstack(
        rx.text(s.sim_note, " Window: ", s.sim_window, " (", s.sim_months.to_string(),
                " months), computed in ", s.sim_elapsed, ".", size="2", color_scheme="gray",
                data_testid="sim-note"),
        rx.hstack(stat("Customers", s.sim_customers.to_string(), "sim-customers"),
                  stat("Pay more", s.sim_increased.to_string(), "sim-increased"),
                  stat("Pay less", s.sim_decreased.to_string(), "sim-decreased"),
                  stat("Unchanged", s.sim_unchanged.to_string(), "sim-unchanged"),
                  stat("Revenue change (reporting currency)", s.sim_revenue_change,
                       "sim-revenue"),
                  spacing="3", wrap="wrap"),
        rx.table.root(
            header_table("Currency", "Customers", "Pay more", "Pay less", "Unchanged",
                         "Billed now", "Would bill", "Change", "Change %"),
            rx.table.body(rx.foreach(s.sim_totals, lambda t: rx.table.row(
                rx.table.cell(t.currency), rx.table.cell(t.customers, class_name="num"),
                rx.table.cell(t.increased, class_name="num"),
                rx.table.cell(t.decreased, class_name="num"),
                rx.table.cell(t.unchanged, class_name="num"),
                rx.table.cell(t.old, class_name="num"), rx.table.cell(t.new, class_name="num"),
                rx.table.cell(t.change, class_name="num"),
                rx.table.cell(t.change_pct, class_name="num"), data_testid="sim-total-row"))),
            width="100%", size="1", variant="surface"),
        rx.grid(
            rx.vstack(rx.text("Customers by change of their bill", size="2", weight="medium"),
                      rx.plotly(data=s.sim_figure, use_resize_handler=True,
                                config={"displayModeBar": False},
                                style={"width": "100%", "height": "280px"}),
                      width="100%", data_testid="sim-histogram"),
            rx.vstack(
                rx.text("Most affected customers", size="2", weight="medium"),
                rx.table.root(
                    header_table("Customer", "Currency", "Now", "Would be", "Change", "%"),
                    rx.table.body(rx.foreach(s.sim_top, lambda c: rx.table.row(
                        rx.table.cell(rx.link(c.customer_code + " · " + c.customer_name,
                                              href="/customers/" + c.customer_id.to_string())),
                        rx.table.cell(c.currency), rx.table.cell(c.old, class_name="num"),
                        rx.table.cell(c.new, class_name="num"),
                        rx.table.cell(rx.text(c.change, color_scheme=rx.match(
                            c.direction, ("increase", "red"), ("decrease", "green"), "gray")),
                            class_name="num"),
                        rx.table.cell(c.change_pct, class_name="num"),
                        data_testid="sim-top-row"))),
                    width="100%", size="1", variant="surface"),
                width="100%"),
            columns="2", spacing="4", width="100%"),
        rx.foreach(s.sim_notes, lambda n: rx.text("• ", n, size="1", color_scheme="gray")),
        width="100%", spacing="3"),
        rx.text("No simulation stored.", size="2", color_scheme="gray"))


def _rerun() -> rx.Component:
    s = ChangeState
    return rx.cond(((s.status == "pending") | (s.status == "approved"))
                   & ChangeState.permissions.contains("approve_catalog"),
                   rx.vstack(
                       rx.form(rx.hstack(
                           rx.text("Re-run the simulation over", size="2"),
                           months_select("rerun-months"),
                           rx.button(rx.icon("refresh-cw", size=14), "Re-run", type="submit",
                                     variant="soft", loading=s.sim_running,
                                     data_testid="rerun"),
                           align="center", spacing="2"), on_submit=s.rerun_simulation),
                       progress_bar(s.sim_running, s.sim_progress, "Simulating…",
                                    "rerun-progress"),
                       spacing="2"))


def _policy() -> rx.Component:
    s = ChangeState
    return rx.vstack(
        rx.text("Needs ", rx.text.strong(s.requirement), "; approved so far: ", s.approvals,
                ".", size="2", data_testid="requirement"),
        rx.cond(s.policy_reasons.length() > 0,
                rx.vstack(rx.text("Why:", size="2"),
                          rx.foreach(s.policy_reasons, lambda r: rx.text(
                              "• ", r, size="2", data_testid="policy-reason")),
                          spacing="1"),
                rx.text("The simulated revenue change and every price decrease are below the "
                        "policy's thresholds, so one approval is enough.", size="2",
                        color_scheme="gray", data_testid="policy-reason")),
        rx.text("Whoever made or edited the change never approves it.", size="1",
                color_scheme="gray"),
        rx.cond(s.approval_rows.length() == 0,
                rx.text("No decisions yet.", size="2", color_scheme="gray"),
                rx.table.root(
                    header_table("Reviewer", "Roles", "Decision", "Comment", "At"),
                    rx.table.body(rx.foreach(s.approval_rows, lambda a: rx.table.row(
                        rx.table.cell(a.approver), rx.table.cell(a.roles),
                        rx.table.cell(rx.badge(a.decision_label, color_scheme=rx.match(
                            a.decision, ("approve", "green"), ("reject", "red"), "orange"))),
                        rx.table.cell(a.comment, class_name="wrap"), rx.table.cell(a.at),
                        data_testid="approval-row"))),
                    width="100%", size="1", variant="surface")),
        width="100%", spacing="2",
    )


def _decision_form(handler, label: str, testid: str, placeholder: str,
                   color: str = "gray", icon: str = "check") -> rx.Component:
    return rx.form(rx.hstack(
        rx.input(name="comment", placeholder=placeholder, width="340px",
                 data_testid=f"{testid}-comment"),
        rx.button(rx.icon(icon, size=14), label, type="submit", color_scheme=color,
                  data_testid=testid),
        spacing="2", align="center"), on_submit=handler, reset_on_submit=True)


def _decisions() -> rx.Component:
    s = ChangeState
    return rx.vstack(
        rx.cond(s.can_approve,
                _decision_form(s.approve, "Approve", "approve", "Comment (optional)",
                               "green"),
                rx.cond(s.approve_blocked != "",
                        rx.callout(s.approve_blocked, icon="shield-x", color_scheme="gray",
                                   size="1", data_testid="approve-blocked"))),
        rx.cond(s.can_review, rx.vstack(
            _decision_form(s.request_changes, "Request changes", "request-changes",
                           "What should change? (required)", "orange", "message-square"),
            _decision_form(s.reject, "Reject", "reject", "Why reject? (required)", "red", "x"),
            spacing="2")),
        rx.cond(s.can_withdraw,
                _decision_form(s.withdraw, "Withdraw", "withdraw", "Comment (optional)",
                               "gray", "undo-2")),
        rx.cond(s.can_publish, rx.form(rx.hstack(
            rx.text("Publish effective from", size="2"),
            rx.input(name="effective_from", type="date", default_value=s.publish_date,
                     width="170px", data_testid="publish-date"),
            rx.button(rx.icon("rocket", size=14), "Publish", type="submit",
                      data_testid="publish"),
            rx.text("Existing subscribers stay on their version (grandfathered) until "
                    "migrated.", size="1", color_scheme="gray"),
            spacing="2", align="center", wrap="wrap"), on_submit=s.publish)),
        width="100%", spacing="3",
    )


def change_view() -> rx.Component:
    """Everything a reviewer needs about one change request."""
    s = ChangeState
    return rx.cond(
        s.found,
        rx.vstack(
            rx.hstack(rx.link("Catalog", href="/catalog", size="2"), rx.text("/", size="2"),
                      rx.link(s.plan_name, href="/catalog/plans/" + s.plan_id.to_string(),
                              size="2"),
                      rx.text("/", size="2"), rx.text("Change #", s.change_id, size="2"),
                      spacing="2"),
            rx.hstack(rx.heading(s.kind_label, ": ", s.plan_name, " ", s.version_label,
                                 size="5", data_testid="change-title"),
                      status_badge(s.status, s.status_label), align="center", spacing="2",
                      data_testid="change-status"),
            rx.text(s.reason, size="3", data_testid="change-reason"),
            rx.text("Opened by ", s.author, " on ", s.created_at,
                    rx.cond(s.decided_at != "", " · decided " + s.decided_at, ""),
                    " · compared with ", s.baseline, " · ",
                    rx.link("open " + s.version_label,
                            href="/catalog/versions/" + s.version_id.to_string()),
                    size="2", color_scheme="gray"),
            error_callout(s.error, "change-error"),
            section("Review", rx.card(rx.vstack(_policy(), rx.separator(), _decisions(),
                                                width="100%", spacing="3"), width="100%"),
                    testid="review"),
            section("What changes", rx.text(s.diff_summary, size="2", data_testid="diff-summary"),
                    rx.cond(s.prices.length() > 0, diff_table(s.prices, "diff-row")),
                    rx.cond(s.entitlements.length() > 0,
                            entitlement_diff_table(s.entitlements, "ent-diff-row")),
                    testid="diff"),
            section("Revenue impact (simulated on current subscribers' real usage)",
                    _rerun(), _simulation(), testid="simulation"),
            width="100%", spacing="2",
        ),
        rx.callout(s.message, icon="search-x", color_scheme="gray", data_testid="not-found"),
    )
