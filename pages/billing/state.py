"""Bill runs (start a period, first wave, progress, release the rest) and usage imports
(upload a CSV/JSONL file and read its report)."""

import asyncio
import contextlib
import logging
import os
import re
import tempfile
from datetime import date
from pathlib import Path

import reflex as rx

from console import billing as svc
from console import billing as usage_svc
from console.billing import BillRunRow, ImportReport, ImportRow, RunOutcome, month_period
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from pages.components.state_helpers import percent, text_of, with_counts
from pages.session import SessionState, requires

log = logging.getLogger(__name__)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
USAGE_SUFFIXES = (".csv", ".jsonl", ".ndjson")
#: Largest usage file the page accepts (bigger files: the CLI or the HTTP API).
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def _next_month(runs: list[BillRunRow]) -> str:
    """The month after the newest run's period (this month when there is none)."""
    if not runs:
        return date.today().strftime("%Y-%m")  # noqa: DTZ011 - a default for a picker
    year, month = int(runs[0].period[:4]), int(runs[0].period[5:7])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}"


def outcome_text(o: RunOutcome, period: str) -> tuple[str, str]:
    """(kind, sentence) describing what a run did: ``created``, ``nothing_new`` (every invoice
    of the period existed) or ``empty`` (nothing to bill in the released share)."""
    waiting = (f" {o.not_released} customers wait for the next wave (run paused)."
               if o.not_released else "")
    if o.created == 0 and o.skipped_existing == 0:
        return "empty", (f"Bill run #{o.bill_run_id} for {period}: no invoice to draft in the "
                         "released share." + waiting)
    if o.created == 0:
        return "nothing_new", (
            f"Nothing new for {period}: all {o.skipped_existing} invoices of this period "
            "already exist, so no invoice was created (bill runs never bill twice)." + waiting)
    return "created", (f"Bill run #{o.bill_run_id} for {period}: {o.created} draft invoices "
                       f"created, {o.skipped_existing} already existed, in {o.seconds:.1f} s."
                       + waiting)


class BillRunsState(SessionState):
    """/bill-runs: the runs and their progress; finance starts, resumes and releases them."""

    runs: list[BillRunRow] = []
    month: str = ""
    running: bool = False
    progress: int = 0
    progress_text: str = ""
    outcome_kind: str = ""
    outcome: str = ""
    error: str = ""

    def _refresh(self) -> None:
        self.runs = svc.bill_runs_view()

    @requires(Permission.VIEW_INVOICES, quiet=True)
    def load(self):
        """Load the runs (on page load)."""
        self.error = ""
        self._refresh()
        if not self.running:
            self.month = _next_month(self.runs)

    @requires(Permission.VIEW_INVOICES)
    def refresh(self):
        """Read the runs again (e.g. while a run started elsewhere is going)."""
        self._refresh()

    async def _run(self, run_id: int, user_id: int, period: str):
        """Draft the run's invoices in a worker thread while showing its progress."""
        def show(state: "BillRunsState", done: int, total: int) -> None:
            state.progress = percent(done, total)
            state.progress_text = f"{done:,} of {total:,} invoices drafted"

        kind = text = error = ""
        try:
            result = await with_counts(
                self, lambda report: svc.run_bill_run_for_user(run_id, user_id=user_id,
                                                               progress=report), show)
            kind, text = outcome_text(result, period)
        except ServiceError as exc:
            error = str(exc)
        except Exception as exc:  # the run is marked failed; show why, keep the page alive
            log.exception("bill run %s failed", run_id)
            error = f"The bill run failed: {exc}. Resume it to continue."
        try:
            runs = await asyncio.to_thread(svc.bill_runs_view)
        except Exception:
            log.exception("reading the bill runs failed")
            runs = None
        async with self:
            self.outcome_kind, self.outcome, self.error = kind, text, error
            self.running = False
            if not error:
                self.progress = 100
            if runs is not None:
                self.runs = runs

    async def _begin(self, label: str) -> int | None:
        """Mark the page busy; returns the acting user, or None when a run is going."""
        async with self:
            if self.running:
                return None
            self.running, self.progress, self.progress_text = True, 0, label
            self.error, self.outcome, self.outcome_kind = "", "", ""
            return self._actor_id()

    @staticmethod
    def _why(exc: Exception) -> str:
        """A service refusal as it is; anything else logged and summarised."""
        if isinstance(exc, ServiceError):
            return str(exc)
        log.exception("bill run action failed")
        return f"Something went wrong ({type(exc).__name__}); nothing was started. Try again."

    async def _fail(self, message: str) -> None:
        async with self:
            self.error, self.running = message, False

    async def _open_and_run(self, actor_id: int, open_run, *args, **kwargs) -> None:
        """Open (or find) the run with ``open_run(*args, **kwargs)``, then draft its invoices."""
        try:
            row = await asyncio.to_thread(lambda: open_run(*args, **kwargs))
        except Exception as exc:
            await self._fail(self._why(exc))
            return
        await self._run(row.id, actor_id, row.period)

    @rx.event(background=True)
    @requires(Permission.RUN_BILLING)
    async def start_run(self, form_data: dict):
        """Start (or re-run) the bill run of the chosen month with an optional first wave."""
        month = text_of(form_data, "month", 7)
        wave_text = text_of(form_data, "wave", 3)
        match = _MONTH.match(month)
        if not match or not 1 <= int(match.group(2)) <= 12:
            async with self:
                self.error = "Choose the month to bill (YYYY-MM)."
            return
        if wave_text and (not wave_text.isdigit() or not 1 <= int(wave_text) <= 100):
            async with self:
                self.error = "The first wave must be a whole percentage from 1 to 100."
            return
        wave = int(wave_text) if wave_text else 100
        period = month_period(int(match.group(1)), int(match.group(2)))
        user_id = await self._begin("Starting…")
        if user_id is None:
            return
        async with self:
            self.month = month
        await self._open_and_run(user_id, svc.start_bill_run_view, period.start, period.end,
                                 user_id=user_id, wave_percent=wave)

    @rx.event(background=True)
    @requires(Permission.RUN_BILLING)
    async def release_rest(self, bill_run_id: int):
        """Release every remaining customer of a paused run and draft their invoices."""
        user_id = await self._begin("Releasing the rest…")
        if user_id is None:
            return
        await self._open_and_run(user_id, svc.release_wave_view, bill_run_id, 100,
                                 user_id=user_id)

    @rx.event(background=True)
    @requires(Permission.RUN_BILLING)
    async def resume(self, bill_run_id: int):
        """Run a bill run again: drafts only what is missing (after a failure, or to check)."""
        user_id = await self._begin("Resuming…")
        if user_id is None:
            return
        await self._open_and_run(user_id, svc.bill_run_view, bill_run_id)


def _import_file(path: str, name: str, user_id: int) -> ImportReport:
    """Read the saved upload and import it (worker thread); the file is removed after."""
    try:
        return usage_svc.import_usage_upload(name, Path(path).read_bytes(), user_id=user_id)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


class UsageState(SessionState):
    """/usage: upload a usage file and read the report; the latest imports."""

    imports: list[ImportRow] = []
    importing: bool = False
    has_report: bool = False
    report_status: str = ""
    report_filename: str = ""
    report_received: int = 0
    report_inserted: int = 0
    report_duplicates: int = 0
    report_rejected: int = 0
    report_errors: list[str] = []
    report_more: int = 0
    error: str = ""
    _upload_path: str = ""
    _upload_name: str = ""

    def _refresh(self) -> None:
        self.imports = usage_svc.recent_imports_view(limit=30)

    @requires(Permission.VIEW_INVOICES, quiet=True)
    def load(self):
        """Load the latest imports (on page load)."""
        self.error = ""
        self._refresh()

    @requires(Permission.IMPORT_USAGE)
    async def upload(self, files: list[rx.UploadFile]):
        """Receive the chosen file, keep it in a private temp file, then import it in the
        background."""
        if self.importing:
            return None
        if not files:
            self.error = "Choose a .csv or .jsonl file first."
            return None
        upload = files[0]
        name = Path(upload.name or upload.filename or "upload").name
        if Path(name).suffix.lower() not in USAGE_SUFFIXES:
            self.error = "Usage files must be .csv or .jsonl."
            return rx.clear_selected_files("usage_upload")
        data = await upload.read()
        if len(data) > MAX_UPLOAD_BYTES:
            self.error = "The file is larger than 200 MB: import it with the CLI or the API."
            return rx.clear_selected_files("usage_upload")
        fd, path = tempfile.mkstemp(prefix="usage-upload-", suffix=Path(name).suffix.lower())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        self._upload_path, self._upload_name = path, name
        self.importing, self.error, self.has_report = True, "", False
        return [rx.clear_selected_files("usage_upload"), UsageState.run_import]

    @rx.event(background=True)
    @requires(Permission.IMPORT_USAGE)
    async def run_import(self):
        """Import the uploaded file (worker thread) and show the report."""
        async with self:
            path, name, user_id = self._upload_path, self._upload_name, self._actor_id()
            self._upload_path = ""
            if not path:
                self.importing = False
                return
        try:
            report = await asyncio.to_thread(_import_file, path, name, user_id)
        except ServiceError as exc:
            async with self:
                self.error, self.importing = str(exc), False
            return
        except Exception as exc:  # keep the page usable and say what went wrong
            log.exception("usage upload %s failed", name)
            async with self:
                self.error, self.importing = f"The import failed: {exc}", False
            return
        try:
            imports = await asyncio.to_thread(usage_svc.recent_imports_view, 30)
        except Exception:  # the report matters more than the history list
            log.exception("reading the import history failed")
            imports = None
        async with self:
            if imports is not None:
                self.imports = imports
            self.importing, self.has_report = False, True
            self.report_status, self.report_filename = report.status, report.filename or name
            self.report_received, self.report_inserted = report.received, report.inserted
            self.report_duplicates, self.report_rejected = report.duplicates, report.rejected
            self.report_errors = [f"line {e.line}: {e.reason}" for e in report.errors[:200]]
            self.report_more = max(0, report.rejected - len(self.report_errors))
        if report.accepted:
            yield rx.toast.success(f"Imported {report.inserted} events "
                                   f"({report.duplicates} duplicates skipped).")
        else:
            yield rx.toast.error(f"Rejected: {report.rejected} bad lines; nothing was written.")
