"""Jobs view: the job table (admins: Run now, Change schedule), progress, the latest runs."""

import reflex as rx

from pages.components.widgets import can, error_callout, header_table, section
from pages.jobs.state import JobsState

J = JobsState


def _outcome(tone: rx.Var, label: rx.Var, testid: str) -> rx.Component:
    return rx.badge(label, color_scheme=rx.match(tone, ("green", "green"), ("red", "red"),
                                                 ("blue", "blue"), "gray"),
                    data_testid=testid)


def _job_row(j) -> rx.Component:
    admin = can("run_jobs")
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(j.title, weight="medium", data_testid="job-title"),
                                rx.text(j.description, size="1", color_scheme="gray"),
                                spacing="1"), width="22%"),
        rx.table.cell(rx.vstack(
            rx.text(j.schedule_text, data_testid="job-schedule"),
            rx.code(j.schedule, size="1", white_space="nowrap"),
            rx.cond(j.custom, rx.badge("changed by an admin", size="1", color_scheme="amber")),
            spacing="1"), width="15%"),
        rx.table.cell(rx.cond(j.last_when != "", rx.vstack(
            rx.text(j.last_when, data_testid="job-last-when"),
            rx.text(j.last_by, " · ", j.last_duration, size="1", color_scheme="gray",
                    data_testid="job-last-meta"),
            spacing="1"), rx.text("—")), width="14%"),
        rx.table.cell(rx.vstack(
            _outcome(j.last_tone, j.last_outcome, "job-outcome"),
            rx.cond(j.last_detail != "", rx.text(
                j.last_detail, size="1", class_name="wrap",
                color_scheme=rx.cond(j.last_tone == "red", "red", "gray"),
                data_testid="job-detail")),
            spacing="1"), width="23%"),
        rx.table.cell(rx.text(j.next_run, data_testid="job-next"), width="11%"),
        rx.table.cell(rx.cond(admin, rx.vstack(
            rx.button(rx.icon("play", size=14), "Run now", size="1",
                      on_click=J.run_now(j.name), disabled=J.running_job != "",
                      loading=J.running_job == j.name, data_testid="job-run-now"),
            rx.button("Change schedule", size="1", variant="soft",
                      on_click=J.edit_schedule(j.name), data_testid="job-edit-schedule"),
            spacing="1", align="stretch")), min_width="150px", white_space="nowrap"),
        data_testid="job-row", data_job=j.name,
    )


def _schedule_form() -> rx.Component:
    return rx.cond(J.editing_job != "", rx.card(rx.form(rx.vstack(
        rx.heading("Schedule of ", J.editing_title, size="3"),
        rx.text("Five fields in UTC: minute, hour, day of month, month, day of week (names, "
                "e.g. mon-fri). '0 2 * * *' runs every day at 02:00 UTC; '*/5 * * * *' every "
                "5 minutes.", size="1", color_scheme="gray"),
        rx.hstack(rx.input(name="schedule", default_value=J.editing_schedule,
                           key=J.editing_job, width="220px", data_testid="schedule-input"),
                  rx.button("Save schedule", type="submit", data_testid="schedule-save"),
                  rx.button("Cancel", variant="soft", type="button",
                            on_click=J.cancel_schedule),
                  spacing="2"),
        error_callout(J.schedule_error, "schedule-error"),
        spacing="2"), on_submit=J.save_schedule), width="100%"))


def _progress() -> rx.Component:
    return rx.cond(J.running_job != "", rx.callout(
        rx.hstack(rx.spinner(size="2"),
                  rx.text("Running ", J.running_title, "… ", J.running_seconds.to_string(),
                          " s", data_testid="job-running-text"),
                  align="center", spacing="2"),
        color_scheme="blue", width="100%", data_testid="job-progress"))


def _result() -> rx.Component:
    return rx.cond((J.result_message != "") & (J.running_job == ""), rx.callout(
        J.result_message, icon=rx.cond(J.result_ok, "circle-check", "triangle-alert"),
        color_scheme=rx.cond(J.result_ok, "green", "red"), width="100%",
        data_testid="job-result"))


def _run_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.title),
        rx.table.cell(r.when, white_space="nowrap"),
        rx.table.cell(r.by),
        rx.table.cell(r.duration, class_name="num"),
        rx.table.cell(_outcome(r.tone, r.outcome, "run-outcome")),
        rx.table.cell(r.detail, class_name="wrap"),
        data_testid="run-row",
    )


def _history() -> rx.Component:
    return section(
        "Latest runs",
        rx.hstack(
            rx.button("All jobs", size="1", on_click=J.show_history(""),
                      variant=rx.cond(J.history_job == "", "solid", "soft")),
            rx.foreach(J.jobs, lambda j: rx.button(
                j.title, size="1", on_click=J.show_history(j.name),
                variant=rx.cond(J.history_job == j.name, "solid", "soft"))),
            spacing="1", wrap="wrap"),
        rx.table.root(
            header_table("Job", "Started", "How", "Took", "Outcome", "Summary or error"),
            rx.table.body(rx.foreach(J.runs, _run_row)),
            width="100%", size="1", variant="surface"),
        testid="job-history",
    )


def jobs_view() -> rx.Component:
    """The jobs, progress of a run started here, its result, and the latest runs."""
    return rx.vstack(
        rx.hstack(
            rx.text("Times are UTC. Each due run happens once, whichever worker takes it; a "
                    "missed run catches up once.", size="2", color_scheme="gray"),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), "Refresh", size="1", variant="soft",
                      on_click=J.refresh, data_testid="jobs-refresh"),
            width="100%", align="center"),
        _progress(),
        _result(),
        _schedule_form(),
        rx.table.root(
            header_table("Job", "Schedule", "Last run", "Outcome", "Next run", ""),
            rx.table.body(rx.foreach(J.jobs, _job_row)),
            width="100%", size="2", variant="surface"),
        _history(),
        width="100%", spacing="3",
    )
