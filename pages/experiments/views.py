"""Views of the experiments overview and of one experiment."""

import reflex as rx
from plotly.io import templates

from console.catalog import REGIONS, SEGMENTS
from console.experiments import DEFAULT_GUARDRAILS, PRIMARY_METRICS
from console.money import CURRENCY_EXPONENTS
from pages.experiments.common import MONTHS
from pages.experiments.state import ExperimentsState, ExperimentState
from pages.experiments.widgets import (
    error_callout,
    field,
    header_table,
    info,
    native_select,
    progress_bar,
    reason_form,
    section,
    status_badge,
    timeline_table,
)
from pages.session import SessionState

RUN = "run_experiments"
APPROVE = "approve_experiments"
WHITE = templates["plotly_white"]


def _any(name: str, values, label: str, testid: str) -> rx.Component:
    return native_select(name, [("", label), *[(v, v.replace("_", " ")) for v in values]],
                         testid)


def _versions(name: str, rows: rx.Var, testid: str, *, blank: str = "") -> rx.Component:
    options = [rx.el.option(blank, value="")] if blank else []
    return rx.el.select(*options, rx.foreach(rows, lambda v: rx.el.option(
        v.label, value=v.id.to_string())), name=name, class_name="native-select",
        data_testid=testid)


def _number(name: str, default: str, testid: str, width: str = "80px") -> rx.Component:
    return rx.input(name=name, default_value=default, width=width, data_testid=testid)


def _guardrail_inputs(prefix: str) -> rx.Component:
    d = DEFAULT_GUARDRAILS
    return rx.hstack(
        field("Dispute rate (+pts)", _number("max_dispute_rate",
                                              f"{d['max_dispute_rate'] * 100:g}",
                                              f"{prefix}-guard-dispute")),
        field("Payment failures (+pts)", _number("max_payment_failure_rate",
                                                  f"{d['max_payment_failure_rate'] * 100:g}",
                                                  f"{prefix}-guard-payment")),
        field("Churn (+pts)", _number("max_churn_delta", f"{d['max_churn_delta'] * 100:g}",
                                      f"{prefix}-guard-churn")),
        field("Support load (+pts)", _number("max_support_rate", "",
                                             f"{prefix}-guard-support")),
        spacing="3", wrap="wrap")


def _experiment_form() -> rx.Component:
    s = ExperimentsState
    return rx.card(rx.form(rx.vstack(
        rx.heading("New experiment", size="4"),
        rx.text("Arms offer published plan versions only (publish new prices through the "
                "catalog approval flow first). Starting needs a second person's approval.",
                size="2", color_scheme="gray"),
        rx.hstack(
            field("Key (never changes)", rx.input(name="key", placeholder="team-fee-2027",
                                                  data_testid="exp-key")),
            field("Name", rx.input(name="name", width="320px", data_testid="exp-name")),
            spacing="3", wrap="wrap"),
        field("Hypothesis", rx.text_area(name="hypothesis", width="660px", rows="2",
                                         data_testid="exp-hypothesis")),
        rx.hstack(
            field("Control version", _versions("control_version", s.published, "exp-control")),
            field("Weight", _number("control_weight", "50", "exp-control-weight")),
            field("Variant version", _versions("variant_version", s.published, "exp-variant")),
            field("Weight", _number("variant_weight", "50", "exp-variant-weight")),
            spacing="3", wrap="wrap", align="end"),
        rx.hstack(
            field("Second variant (optional)", _versions("variant2_version", s.published,
                                                         "exp-variant2", blank="none")),
            field("Weight", _number("variant2_weight", "50", "exp-variant2-weight")),
            spacing="3", wrap="wrap", align="end"),
        rx.hstack(
            field("Segment", _any("segment", SEGMENTS, "any segment", "exp-segment")),
            field("Region", _any("region", REGIONS, "any region", "exp-region")),
            field("Currency", _any("currency", list(CURRENCY_EXPONENTS), "any currency",
                                   "exp-currency")),
            field("Who", native_select("audience", [
                ("new", "new customers only"),
                ("existing", "new customers and existing ones at renewal")], "exp-audience")),
            spacing="3", wrap="wrap"),
        rx.hstack(
            field("Primary metric", native_select("primary_metric",
                                                  list(PRIMARY_METRICS.items()), "exp-metric")),
            field("Planned days", _number("planned_days", "30", "exp-days")),
            field("Minimum sample per arm", _number("min_sample", "100", "exp-min-sample",
                                                    "110px")),
            spacing="3", wrap="wrap"),
        rx.text("Guardrails: the largest tolerated rise of a variant over control, in "
                "percentage points (blank: not guarded).", size="1", color_scheme="gray"),
        _guardrail_inputs("exp"),
        error_callout(s.experiment_error, "exp-error"),
        rx.hstack(rx.button("Create draft", type="submit", data_testid="exp-create"),
                  rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                            on_click=s.toggle_experiment_form)),
        spacing="3"), on_submit=s.create_experiment), width="100%",
        data_testid="experiment-form")


def _rollout_form() -> rx.Component:
    s = ExperimentsState
    return rx.card(rx.form(rx.vstack(
        rx.heading("New rollout", size="4"),
        rx.text("Moves subscribers from one version to a published one in stages; a preview "
                "of who moves comes before each stage, guardrails are checked after each.",
                size="2", color_scheme="gray"),
        rx.hstack(
            field("Key (never changes)", rx.input(name="key", placeholder="team-v3-rollout",
                                                  data_testid="ro-key")),
            field("Name", rx.input(name="name", width="320px", data_testid="ro-name")),
            spacing="3", wrap="wrap"),
        rx.hstack(
            field("From version", _versions("from_version", s.sources, "ro-from")),
            field("To version (published)", _versions("to_version", s.published, "ro-to")),
            spacing="3", wrap="wrap"),
        rx.hstack(
            field("Stages (% of customers)", rx.input(name="stages",
                                                      default_value="1, 10, 50, 100",
                                                      data_testid="ro-stages")),
            field("Customers move", native_select("timing", [
                ("next_renewal", "at their next renewal"),
                ("date", "on the date given when a stage is confirmed")], "ro-timing")),
            rx.hstack(rx.el.input(type="checkbox", name="include_grandfathered",
                                  data_testid="ro-grandfathered"),
                      rx.text("also move grandfathered subscriptions", size="2"),
                      align="center", padding_top="1.2em"),
            spacing="3", wrap="wrap"),
        rx.text("Guardrails: the largest tolerated rise among moved customers over those not "
                "moved yet, in percentage points (blank: not guarded).", size="1",
                color_scheme="gray"),
        _guardrail_inputs("ro"),
        error_callout(s.rollout_error, "ro-error"),
        rx.hstack(rx.button("Create draft", type="submit", data_testid="ro-create"),
                  rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                            on_click=s.toggle_rollout_form)),
        spacing="3"), on_submit=s.create_rollout), width="100%", data_testid="rollout-form")


def experiments_view() -> rx.Component:
    """Experiments and rollouts, with the forms that create them."""
    s = ExperimentsState
    return rx.vstack(
        error_callout(s.message, "experiments-message"),
        rx.cond(SessionState.permissions.contains(RUN), rx.hstack(
            rx.button(rx.icon("flask-conical", size=14), "New experiment",
                      on_click=s.toggle_experiment_form, data_testid="new-experiment"),
            rx.button(rx.icon("layers", size=14), "New rollout", variant="soft",
                      on_click=s.toggle_rollout_form, data_testid="new-rollout"),
            spacing="2")),
        rx.cond(s.show_experiment_form, _experiment_form()),
        rx.cond(s.show_rollout_form, _rollout_form()),
        section("Experiments", rx.table.root(
            header_table("Key", "Name", "Plan", "Status", "Arms (weights)", "Assigned",
                         "Primary metric", "Started", ""),
            rx.table.body(rx.foreach(s.experiments, lambda e: rx.table.row(
                rx.table.cell(rx.link(e.key, href="/experiments/" + e.id.to_string(),
                                      data_testid="experiment-link")),
                rx.table.cell(e.name), rx.table.cell(e.plan),
                rx.table.cell(status_badge(e.status, e.status_label)),
                rx.table.cell(e.arms), rx.table.cell(e.assigned, class_name="num"),
                rx.table.cell(e.metric), rx.table.cell(e.started),
                rx.table.cell(rx.cond(e.pending != "", rx.badge(e.pending,
                                                                color_scheme="amber"))),
                data_testid="experiment-row"))),
            width="100%", size="1", variant="surface")),
        section("Rollouts", rx.table.root(
            header_table("Key", "Name", "Plan", "Versions", "Status", "Progress", "Members",
                         ""),
            rx.table.body(rx.foreach(s.rollouts, lambda r: rx.table.row(
                rx.table.cell(rx.link(r.key, href="/rollouts/" + r.id.to_string(),
                                      data_testid="rollout-link")),
                rx.table.cell(r.name), rx.table.cell(r.plan), rx.table.cell(r.versions),
                rx.table.cell(status_badge(r.status, r.status_label)),
                rx.table.cell(r.stages), rx.table.cell(r.members, class_name="num"),
                rx.table.cell(rx.cond(r.paused_reason != "", rx.text(
                    r.paused_reason, size="1", color_scheme="red"))),
                data_testid="rollout-row"))),
            width="100%", size="1", variant="surface")),
        width="100%", spacing="3",
    )


# --------------------------------------------------------------------------- detail


def _pending() -> rx.Component:
    s = ExperimentState
    return rx.cond(s.has_pending, rx.callout.root(rx.callout.text(rx.vstack(
        rx.text(rx.text.strong(s.pending_label, " awaiting approval"), " · asked by ",
                s.pending_by, " on ", s.pending_at, data_testid="pending-title"),
        rx.text("Reason: ", s.pending_reason, size="2"),
        rx.text(s.pending_detail, size="2", data_testid="pending-detail"),
        rx.cond(
            s.pending_blocked != "",
            rx.text(s.pending_blocked, size="2", weight="medium", data_testid="approve-blocked"),
            rx.cond(SessionState.permissions.contains(APPROVE), rx.hstack(
                rx.form(rx.hstack(
                    rx.input(name="comment", placeholder="Comment (optional)", width="240px",
                             data_testid="approve-comment"),
                    rx.button("Approve", type="submit", color_scheme="green",
                              data_testid="approve"),
                    spacing="2", align="center"), on_submit=s.approve),
                rx.form(rx.hstack(
                    rx.input(name="comment", placeholder="Why not (required)", width="240px",
                             data_testid="reject-comment"),
                    rx.button("Reject", type="submit", color_scheme="red", variant="soft",
                              data_testid="reject"),
                    spacing="2", align="center"), on_submit=s.reject),
                spacing="4", wrap="wrap")),
        ),
        rx.cond((s.pending_blocked != "") & SessionState.permissions.contains(RUN),
                rx.button("Withdraw request", variant="soft", color_scheme="gray", size="1",
                          on_click=s.withdraw, data_testid="withdraw")),
        spacing="2")), color_scheme="amber", width="100%", data_testid="pending-request"))


def _actions() -> rx.Component:
    s = ExperimentState
    conclude = rx.form(rx.hstack(
        rx.el.select(rx.foreach(s.arm_names, lambda n: rx.el.option(n, value=n)),
                     name="winner", class_name="native-select", data_testid="winner"),
        rx.el.select(rx.el.option("Other arms keep their price", value="keep"),
                     rx.el.option("Other arms move to the winner at renewal", value="migrate"),
                     name="losers", class_name="native-select", data_testid="losers"),
        rx.input(name="reason", placeholder="Why this arm wins", width="280px",
                 data_testid="conclude-reason"),
        rx.button("Request conclusion", type="submit", variant="soft", color_scheme="green",
                  data_testid="request-conclusion"),
        spacing="2", align="center"), on_submit=s.request_conclusion, reset_on_submit=True)
    start = rx.form(rx.vstack(
        rx.hstack(
            rx.input(name="reason", placeholder="Why start it now (required)", width="320px",
                     data_testid="start-reason"),
            native_select("months", [(m, f"simulate {m} months") for m in MONTHS],
                          "start-months"),
            rx.input(name="start_on", type="date", data_testid="start-date"),
            rx.button("Request start", type="submit", data_testid="request-start",
                      disabled=s.simulating),
            spacing="2", align="center", wrap="wrap"),
        rx.text("The revenue simulation runs first and goes to the approver with the request; "
                "leave the date empty to start as soon as it is approved.", size="1",
                color_scheme="gray"),
        spacing="1"), on_submit=s.request_start)
    live = rx.vstack(
        rx.cond(s.status == "running",
                reason_form(s.pause, "Pause", "pause", color="orange"),
                reason_form(s.resume, "Resume", "resume", color="blue",
                            placeholder="Reason (optional)")),
        rx.cond(~s.has_pending, conclude),
        reason_form(s.roll_back, "Roll back (no winner)", "roll-back", color="red"),
        spacing="2")
    return rx.cond(SessionState.permissions.contains(RUN), section("Actions", rx.match(
        s.status,
        ("draft", rx.cond(s.has_pending, rx.text("Waiting for the start approval.", size="2"),
                          start)),
        ("scheduled", rx.text("Approved: it starts on ", s.scheduled_for,
                              " (the daily experiments-due run starts it).", size="2")),
        ("running", live),
        ("paused", live),
        rx.text("No further steps: this experiment is ", s.status_label.lower(), ".", size="2"),
    ), progress_bar(s.simulating, s.sim_progress, "Simulating revenue impact…",
                    "sim-progress"), testid="experiment-actions"))


def _results() -> rx.Component:
    s = ExperimentState
    return section(
        "Results",
        rx.hstack(
            rx.button(rx.icon("refresh-cw", size=14), "Refresh results", variant="soft",
                      on_click=s.refresh_results, disabled=s.refreshing,
                      data_testid="refresh-results"),
            rx.cond(s.refreshing, rx.spinner(size="2")),
            rx.text(rx.cond(s.results_at != "", "Computed " + s.results_at, s.results_note),
                    size="2", color_scheme="gray", data_testid="results-at"),
            rx.cond(s.sample_reached,
                    rx.badge("Minimum sample reached", color_scheme="green",
                             data_testid="sample-badge"),
                    rx.badge("Minimum sample not reached: no winner yet", color_scheme="amber",
                             data_testid="sample-badge")),
            align="center", spacing="3", wrap="wrap"),
        rx.text(s.sample_text, size="1", color_scheme="gray", data_testid="sample-text"),
        rx.cond(s.arm_results.length() > 0, rx.table.root(
            header_table("Arm", "Customers", "Conversion", "ARPA (" + s.currency + ")",
                         "MRR", "Churn", "Expansion", "Disputes", "Payment failures"),
            rx.table.body(rx.foreach(s.arm_results, lambda a: rx.table.row(
                rx.table.cell(a.name, rx.cond(a.is_control, rx.badge("control", ml="2"))),
                rx.table.cell(a.customers, class_name="num"),
                rx.table.cell(a.conversion, class_name="num"),
                rx.table.cell(a.arpa, class_name="num"), rx.table.cell(a.mrr, class_name="num"),
                rx.table.cell(a.churn, class_name="num"),
                rx.table.cell(a.expansion, class_name="num"),
                rx.table.cell(a.dispute_rate, class_name="num"),
                rx.table.cell(a.payment_failure_rate, class_name="num"),
                data_testid="result-row"))),
            width="100%", size="1", variant="surface")),
        rx.cond(s.comparisons.length() > 0, rx.table.root(
            header_table("Metric", "Arm", "Variant − control", "95% interval", "Reading"),
            rx.table.body(rx.foreach(s.comparisons, lambda c: rx.table.row(
                rx.table.cell(c.label, rx.cond(c.primary, rx.badge("primary", ml="2",
                                                                   color_scheme="blue"))),
                rx.table.cell(c.arm), rx.table.cell(c.diff, class_name="num"),
                rx.table.cell(c.interval), rx.table.cell(c.verdict),
                data_testid="comparison-row"))),
            width="100%", size="1", variant="surface")),
        rx.foreach(s.breaches, lambda b: rx.callout(b, color_scheme="red", icon="shield-alert",
                                                    size="1", data_testid="experiment-breach")),
        rx.cond(s.comparisons.length() > 0, rx.hstack(
            rx.box(rx.plotly(data=s.lift_chart, width="100%", template=WHITE), width="60%"),
            rx.box(rx.plotly(data=s.arpa_chart, width="100%", template=WHITE), width="40%"),
            width="100%", data_testid="result-charts")),
        testid="results")


def _simulation() -> rx.Component:
    s = ExperimentState
    rows = lambda var, testid: rx.table.root(  # noqa: E731
        header_table("Arm", "Version", "Currency", "Customers", "Control", "Variant",
                     "Change", "%"),
        rx.table.body(rx.foreach(var, lambda r: rx.table.row(
            rx.table.cell(r.arm), rx.table.cell(r.version), rx.table.cell(r.currency),
            rx.table.cell(r.customers, class_name="num"), rx.table.cell(r.old, class_name="num"),
            rx.table.cell(r.new, class_name="num"), rx.table.cell(r.change, class_name="num"),
            rx.table.cell(r.change_pct, class_name="num"), data_testid=testid))),
        width="100%", size="1", variant="surface")
    return section(
        "Revenue simulation",
        rx.cond(s.sim_note != "", rx.vstack(
            rx.text("Sent with the start request: ", s.sim_note, size="2",
                    data_testid="sim-note"),
            rows(s.sim_rows, "sim-row"), width="100%"),
            rx.text("No simulation stored yet (one runs with the start request).", size="2",
                    color_scheme="gray")),
        rx.form(rx.hstack(
            native_select("months", [(m, f"{m} months") for m in MONTHS], "sim-months"),
            rx.button("Run simulation now", type="submit", variant="soft",
                      disabled=s.simulating, data_testid="run-simulation"),
            spacing="2", align="center"), on_submit=s.run_simulation),
        rx.cond(s.preview_note != "", rx.vstack(
            rx.text("Just now: ", s.preview_note, size="2", data_testid="preview-sim-note"),
            rows(s.preview_rows, "preview-sim-row"), width="100%")),
        testid="simulation")


def experiment_view() -> rx.Component:
    """Everything about one experiment."""
    s = ExperimentState
    return rx.cond(
        s.found,
        rx.vstack(
            rx.hstack(rx.heading(s.name, size="5", data_testid="experiment-name"),
                      rx.code(s.key), status_badge(s.status, s.status_label,
                                                   "experiment-status"),
                      align="center", spacing="2"),
            rx.link("← All experiments", href="/experiments", size="2"),
            error_callout(s.error, "experiment-error"),
            _pending(),
            rx.grid(
                rx.vstack(info("Plan", s.plan), info("Hypothesis", s.hypothesis),
                          info("Eligible", s.eligibility, "experiment-eligibility"),
                          info("Primary metric", s.primary_metric),
                          info("Guardrails", s.guardrails), spacing="1"),
                rx.vstack(info("Author", s.author),
                          info("Planned", s.planned_days.to_string() + " days"),
                          info("Minimum sample", s.min_sample.to_string() + " per arm"),
                          info("Start date", s.scheduled_for), info("Started", s.started),
                          info("Ended", s.ended),
                          rx.cond(s.winner != "", info("Winner", s.winner, "experiment-winner")),
                          rx.cond(s.decision != "", info("Decision", s.decision)),
                          spacing="1"),
                columns="2", spacing="4", width="100%"),
            section("Arms", rx.table.root(
                header_table("Arm", "Plan version", "Weight", "Assigned"),
                rx.table.body(rx.foreach(s.arms, lambda a: rx.table.row(
                    rx.table.cell(a.name, rx.cond(a.is_control, rx.badge("control", ml="2"))),
                    rx.table.cell(a.version), rx.table.cell(a.weight, class_name="num"),
                    rx.table.cell(a.assigned, class_name="num"), data_testid="arm-row"))),
                width="100%", size="1", variant="surface")),
            _actions(),
            _results(),
            _simulation(),
            section("Timeline", timeline_table(s.timeline)),
            width="100%", spacing="2",
        ),
        rx.callout(s.message, icon="search-x", color_scheme="gray"),
    )
