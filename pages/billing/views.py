"""Bill runs and usage imports views."""

import reflex as rx

from pages.billing.state import BillRunsState, UsageState
from pages.invoices.widgets import can, error_callout, header_table, progress_bar, status_badge

B = BillRunsState
U = UsageState
UPLOAD_ID = "usage_upload"


def _start_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("Start a bill run", size="3"),
        rx.hstack(
            rx.vstack(rx.text("Month", size="2"),
                      rx.input(type="month", name="month", default_value=B.month, key=B.month,
                               data_testid="run-month"), spacing="1"),
            rx.vstack(rx.text("First wave (% of customers, optional)", size="2"),
                      rx.input(type="number", name="wave", placeholder="100", min=1, max=100,
                               width="120px", data_testid="run-wave"), spacing="1"),
            rx.button(rx.icon("play", size=14), "Run", type="submit", disabled=B.running,
                      data_testid="run-start"),
            align="end", spacing="3", wrap="wrap"),
        rx.text("A period has one bill run. Running it again drafts only what is missing: "
                "invoices that exist are never created twice. With a first wave, review those "
                "invoices, then release the rest.", size="1", color_scheme="gray"),
        spacing="2", width="100%"), on_submit=B.start_run), width="100%")


def _outcome() -> rx.Component:
    def box(icon: str, color: str, testid: str) -> rx.Component:
        return rx.callout(B.outcome, icon=icon, color_scheme=color, data_testid=testid,
                          width="100%")

    return rx.match(
        B.outcome_kind,
        ("created", box("circle-check", "green", "run-created")),
        ("nothing_new", box("info", "blue", "run-nothing-new")),
        ("empty", box("info", "gray", "run-empty")),
        rx.fragment(),
    )


def _run_row(r) -> rx.Component:
    finance = can("run_billing")
    return rx.table.row(
        rx.table.cell("#", r.id.to_string()),
        rx.table.cell(r.period, white_space="nowrap"),
        rx.table.cell(status_badge(r.status, "run-status")),
        rx.table.cell(r.released),
        rx.table.cell(rx.hstack(rx.progress(value=r.processed, max=rx.cond(r.total > 0, r.total,
                                                                             1),
                                            width="120px"),
                                rx.text(r.processed.to_string() + " / " + r.total.to_string(),
                                        size="1"), align="center", spacing="2")),
        rx.table.cell(r.invoices, class_name="num", data_testid="run-invoices"),
        rx.table.cell(r.flagged, class_name="num"),
        rx.table.cell(r.created),
        rx.table.cell(rx.hstack(
            rx.link("Review", href="/invoices?run=" + r.id.to_string(), size="2",
                    data_testid="run-review"),
            rx.cond(finance & (r.status == "paused"), rx.button(
                "Release the rest", size="1", on_click=B.release_rest(r.id),
                disabled=B.running, data_testid="run-release")),
            rx.cond(finance & ((r.status == "failed") | (r.status == "pending")), rx.button(
                "Resume", size="1", variant="soft", on_click=B.resume(r.id),
                disabled=B.running, data_testid="run-resume")),
            spacing="2", align="center")),
        rx.table.cell(r.error, class_name="wrap"),
        data_testid="run-row",
    )


def bill_runs_view() -> rx.Component:
    """The start form (finance), progress, outcome and the list of runs."""
    return rx.vstack(
        rx.cond(can("run_billing"), _start_form()),
        progress_bar(B.running, B.progress, B.progress_text, "run-progress"),
        error_callout(B.error, "run-error"),
        _outcome(),
        rx.hstack(rx.heading("Bill runs", size="4"), rx.spacer(),
                  rx.button(rx.icon("refresh-cw", size=14), "Refresh", variant="soft",
                            size="1", on_click=B.refresh, data_testid="runs-refresh"),
                  width="100%", align="center"),
        rx.table.root(
            header_table("Run", "Period", "Status", "Released", "Progress", "Invoices",
                         "Flagged", "Created", "", "Error"),
            rx.table.body(rx.foreach(B.runs, _run_row)),
            width="100%", size="1", variant="surface"),
        width="100%", spacing="3",
    )


def _report() -> rx.Component:
    return rx.cond(U.has_report, rx.card(rx.vstack(
        rx.hstack(rx.text(U.report_filename, weight="bold"),
                  status_badge(U.report_status, "report-status"), spacing="2", align="center"),
        rx.hstack(
            rx.text("Received ", rx.text.strong(U.report_received), size="2"),
            rx.text("Inserted ", rx.text.strong(U.report_inserted, data_testid="report-inserted"),
                    size="2"),
            rx.text("Duplicates ", rx.text.strong(U.report_duplicates,
                                                  data_testid="report-duplicates"), size="2"),
            rx.text("Rejected ", rx.text.strong(U.report_rejected,
                                                data_testid="report-rejected"), size="2"),
            spacing="4"),
        rx.cond(U.report_rejected > 0, rx.callout(
            "One bad line rejects the whole file: nothing was written. Fix the lines below and "
            "import the file again.", color_scheme="red", icon="triangle-alert")),
        rx.foreach(U.report_errors, lambda e: rx.text(e, size="1", font_family="monospace",
                                                      data_testid="report-error")),
        rx.cond(U.report_more > 0, rx.text("… and ", U.report_more.to_string(), " more",
                                           size="1")),
        spacing="2", width="100%"), width="100%", data_testid="import-report"))


def _uploader() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("Import usage", size="3"),
        rx.text("CSV (header row) or JSON Lines with customer_code, event_type, quantity, "
                "timestamp (ISO-8601 with offset), idempotency_key and optional properties. "
                "Duplicates by idempotency key are skipped; one bad line rejects the file.",
                size="1", color_scheme="gray"),
        rx.upload(
            rx.vstack(rx.icon("upload", size=20),
                      rx.text("Drop a .csv or .jsonl file here, or click to choose", size="2"),
                      align="center", spacing="1"),
            id=UPLOAD_ID, multiple=False, max_files=1,
            accept={"text/csv": [".csv"], "application/x-ndjson": [".jsonl", ".ndjson"]},
            border="1px dashed var(--gray-8)", border_radius="8px", padding="1.2em",
            width="100%", data_testid="usage-dropzone"),
        rx.hstack(
            rx.foreach(rx.selected_files(UPLOAD_ID),
                       lambda f: rx.badge(f, data_testid="selected-file")),
            rx.spacer(),
            rx.button(rx.icon("file-up", size=14), "Import",
                      on_click=U.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                      disabled=U.importing, data_testid="usage-import"),
            width="100%", align="center"),
        rx.cond(U.importing, rx.hstack(rx.spinner(size="2"), rx.text("Importing…", size="2"),
                                       data_testid="importing")),
        error_callout(U.error, "usage-error"),
        spacing="2", width="100%"), width="100%")


def usage_view() -> rx.Component:
    """Upload (finance), the report of the last import, and the import history."""
    return rx.vstack(
        rx.cond(can("import_usage"), _uploader()),
        _report(),
        rx.heading("Recent imports", size="4"),
        rx.table.root(
            header_table("#", "When", "Source", "File", "Status", "Received", "Inserted",
                         "Duplicates", "Rejected", "First problems"),
            rx.table.body(rx.foreach(U.imports, lambda r: rx.table.row(
                rx.table.cell(r.id), rx.table.cell(r.created), rx.table.cell(r.source),
                rx.table.cell(r.filename), rx.table.cell(status_badge(r.status)),
                rx.table.cell(r.received, class_name="num"),
                rx.table.cell(r.inserted, class_name="num"),
                rx.table.cell(r.duplicates, class_name="num"),
                rx.table.cell(r.rejected, class_name="num"),
                rx.table.cell(rx.foreach(r.errors[:3], lambda e: rx.text(e, size="1")),
                              class_name="wrap"),
                data_testid="import-row"))),
            width="100%", size="1", variant="surface"),
        width="100%", spacing="3",
    )
