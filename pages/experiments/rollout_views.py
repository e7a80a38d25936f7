"""View of one staged rollout."""

import reflex as rx
from plotly.io import templates

from pages.experiments.rollout_state import RolloutState
from pages.experiments.widgets import (
    error_callout,
    header_table,
    info,
    reason_form,
    section,
    status_badge,
    timeline_table,
)
from pages.session import SessionState

RUN = "run_experiments"
WHITE = templates["plotly_white"]


def _chart(figure: rx.Var, width: str) -> rx.Component:
    return rx.box(rx.plotly(data=figure, width="100%", template=WHITE), width=width)


def _preview() -> rx.Component:
    s = RolloutState
    return rx.cond(s.preview_shown, rx.card(rx.vstack(
        rx.heading("Stage ", s.preview_position.to_string(), " · ",
                   s.preview_percent.to_string(), "% of customers", size="3"),
        rx.text(s.preview_count.to_string(), " subscription(s) move on ", s.preview_effective,
                ".", size="2", data_testid="preview-count"),
        rx.cond(s.preview_note != "", rx.text(s.preview_note, size="2", color_scheme="gray")),
        rx.table.root(
            header_table("Currency", "Subscriptions", "MRR before", "MRR after", "Change"),
            rx.table.body(rx.foreach(s.preview_totals, lambda t: rx.table.row(
                rx.table.cell(t.currency), rx.table.cell(t.subscriptions, class_name="num"),
                rx.table.cell(t.mrr_before, class_name="num"),
                rx.table.cell(t.mrr_after, class_name="num"),
                rx.table.cell(t.change, class_name="num"), data_testid="preview-total"))),
            width="100%", size="1", variant="surface"),
        rx.table.root(
            header_table("Customer", "Moves on", "MRR before", "MRR after", "Change"),
            rx.table.body(rx.foreach(s.preview_lines, lambda ln: rx.table.row(
                rx.table.cell(rx.link(ln.customer_code,
                                      href="/customers/" + ln.customer_id.to_string()),
                              " ", ln.customer_name),
                rx.table.cell(ln.move_on), rx.table.cell(ln.mrr_before, class_name="num"),
                rx.table.cell(ln.mrr_after, class_name="num"),
                rx.table.cell(ln.change, class_name="num"), data_testid="preview-line"))),
            width="100%", size="1", variant="surface"),
        rx.hstack(
            rx.button("Confirm stage ", s.preview_position.to_string(), on_click=s.confirm_next,
                      disabled=s.busy, data_testid="confirm-stage"),
            rx.button("Cancel", variant="soft", color_scheme="gray", on_click=s.cancel_preview),
            rx.cond(s.busy, rx.spinner(size="2")),
            spacing="2", align="center"),
        spacing="2", width="100%"), width="100%", data_testid="stage-preview"))


def _actions() -> rx.Component:
    s = RolloutState
    can_advance = ((s.status == "draft") | (s.status == "running")) & ~s.all_confirmed
    advance = rx.form(rx.hstack(
        rx.cond(s.timing == "date", rx.hstack(
            rx.text("Move on", size="2"),
            rx.input(name="move_date", type="date", default_value=s.move_date,
                     data_testid="move-date"), align="center", spacing="2")),
        rx.button("Preview stage ", s.next_position.to_string(), " (",
                  s.next_percent.to_string(), "%)", type="submit", variant="soft",
                  data_testid="preview-stage"),
        spacing="2", align="center"), on_submit=s.preview_next)
    return rx.cond(SessionState.permissions.contains(RUN), section(
        "Actions",
        rx.cond(can_advance, advance),
        _preview(),
        rx.cond(s.status == "running", rx.hstack(
            rx.button(rx.icon("shield-check", size=14), "Check guardrails now", variant="soft",
                      on_click=s.check_guardrails, disabled=s.busy,
                      data_testid="check-guardrails"),
            rx.cond(s.all_confirmed, rx.button("Complete rollout", variant="soft",
                                               color_scheme="green", on_click=s.complete,
                                               data_testid="complete-rollout")),
            rx.cond(s.busy, rx.spinner(size="2")),
            spacing="2", align="center")),
        rx.cond(s.status == "running", reason_form(s.pause, "Pause", "pause-rollout",
                                                   color="orange")),
        rx.cond(s.status == "paused", reason_form(s.resume, "Resume", "resume-rollout",
                                                  color="blue")),
        rx.cond((s.status == "running") | (s.status == "paused") | (s.status == "completed"),
                reason_form(s.rollback, "Roll back every moved customer", "rollback",
                            color="red")),
        testid="rollout-actions"))


def rollout_view() -> rx.Component:
    """Everything about one rollout."""
    s = RolloutState
    return rx.cond(
        s.found,
        rx.vstack(
            rx.hstack(rx.heading(s.name, size="5", data_testid="rollout-name"), rx.code(s.key),
                      status_badge(s.status, s.status_label, "rollout-status"),
                      align="center", spacing="2"),
            rx.link("← All experiments and rollouts", href="/experiments", size="2"),
            rx.cond(s.status == "paused", rx.callout(
                rx.text(rx.text.strong("Paused. "), s.paused_reason), color_scheme="red",
                icon="octagon-pause", width="100%", data_testid="rollout-paused")),
            error_callout(s.error, "rollout-error"),
            rx.grid(
                rx.vstack(info("Plan", s.plan),
                          info("Moves", s.from_version + " → " + s.to_version,
                               "rollout-versions"),
                          info("When", s.timing_label),
                          info("Grandfathered", rx.cond(s.include_grandfathered, "moved too",
                                                        "never moved")), spacing="1"),
                rx.vstack(info("Owner", s.owner), info("Guardrails", s.guardrails),
                          info("Moved now", s.moved.to_string(), "moved-count"),
                          info("Scheduled", s.scheduled.to_string(), "scheduled-count"),
                          info("Rolled back", s.rolled_back.to_string(), "rolled-back-count"),
                          spacing="1"),
                columns="2", spacing="4", width="100%"),
            _actions(),
            section("Stages", rx.table.root(
                header_table("#", "Customers", "Status", "Move date", "Confirmed",
                             "Subscriptions", "MRR change", "Guardrails"),
                rx.table.body(rx.foreach(s.stages, lambda st: rx.table.row(
                    rx.table.cell(st.position), rx.table.cell(st.percent.to_string() + "%"),
                    rx.table.cell(status_badge(st.status, st.status_label)),
                    rx.table.cell(st.effective), rx.table.cell(st.confirmed),
                    rx.table.cell(st.members, class_name="num"), rx.table.cell(st.mrr_change),
                    rx.table.cell(st.guardrails), data_testid="stage-row"))),
                width="100%", size="1", variant="surface")),
            section(
                "Guardrails",
                rx.text(s.guardrail_note, size="2", data_testid="guardrail-note"),
                rx.table.root(
                    header_table("Guardrail", "Moved", "Not moved yet", "Tolerated rise", ""),
                    rx.table.body(rx.foreach(s.guardrail_rows, lambda g: rx.table.row(
                        rx.table.cell(g.label), rx.table.cell(g.moved),
                        rx.table.cell(g.baseline), rx.table.cell(g.threshold),
                        rx.table.cell(rx.cond(g.breached, rx.badge("breached",
                                                                   color_scheme="red"))),
                        data_testid="guardrail-row"))),
                    width="100%", size="1", variant="surface"),
                rx.cond((s.guardrail_rows.length() > 0) | s.has_history, rx.hstack(
                    rx.cond(s.guardrail_rows.length() > 0, _chart(s.guard_chart, "55%")),
                    rx.cond(s.has_history, _chart(s.history_chart, "45%")),
                    width="100%", data_testid="guardrail-charts")),
                testid="guardrails"),
            section("Who moved", rx.table.root(
                header_table("Customer", "Stage", "From", "Now on", "Move date", "State"),
                rx.table.body(rx.foreach(s.members, lambda m: rx.table.row(
                    rx.table.cell(rx.link(m.customer_code,
                                          href="/customers/" + m.customer_id.to_string()),
                                  " ", m.customer_name),
                    rx.table.cell(m.stage), rx.table.cell(m.from_version),
                    rx.table.cell(m.now_on), rx.table.cell(m.moved_on),
                    rx.table.cell(rx.badge(m.state)), data_testid="member-row"))),
                width="100%", size="1", variant="surface")),
            section("Timeline", timeline_table(s.timeline)),
            width="100%", spacing="2",
        ),
        rx.callout(s.message, icon="search-x", color_scheme="gray"),
    )
