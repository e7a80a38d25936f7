"""Jobs: every scheduled job with its schedule in words, last run, next run; admins run one
now (a background event: the page stays live and shows the elapsed time) or change its
schedule. Finance and viewers read."""

import asyncio
import time

import reflex as rx

from console import jobs as svc
from console.jobs import JobRow, RunRow
from console.kernel.roles import Permission
from pages.components.state_helpers import text_of
from pages.session import SessionState, requires


class JobsState(SessionState):
    """/jobs."""

    jobs: list[JobRow] = []
    runs: list[RunRow] = []
    history_job: str = ""
    running_job: str = ""
    running_title: str = ""
    running_seconds: int = 0
    result_ok: bool = True
    result_message: str = ""
    editing_job: str = ""
    editing_title: str = ""
    editing_schedule: str = ""
    schedule_error: str = ""

    def _refresh(self) -> None:
        self.jobs = svc.jobs_view()
        self.runs = svc.history_view(self.history_job)

    @requires(Permission.VIEW_JOBS, quiet=True)
    def load(self):
        """Load the jobs and the latest runs (reads only); a result shown before (perhaps to
        someone else in this tab) is forgotten."""
        self.editing_job, self.schedule_error = "", ""
        if not self.running_job:
            self.result_message = ""
        self._refresh()

    @requires(Permission.VIEW_JOBS)
    def refresh(self):
        """Read the jobs again (last and next runs move on their own)."""
        self._refresh()

    @requires(Permission.VIEW_JOBS)
    def show_history(self, job: str):
        """Show the latest runs of one job ("" for every job)."""
        self.history_job = job if job in {j.name for j in svc.JOBS} else ""
        self.runs = svc.history_view(self.history_job)

    @rx.event(background=True)
    @requires(Permission.RUN_JOBS)
    async def run_now(self, name: str):
        """Run one job now in a worker thread, showing the elapsed seconds until it ends."""
        async with self:
            if self.running_job:
                yield rx.toast.warning(f"{self.running_title} is still running.")
                return
            spec = next((j for j in svc.JOBS if j.name == name), None)
            if spec is None:
                yield rx.toast.error("There is no such job. Nothing was run.")
                return
            user_id, history = self._actor_id(), self.history_job
            self.running_job, self.running_title = spec.name, spec.title
            self.running_seconds, self.result_message = 0, ""
        started = time.monotonic()
        task = asyncio.ensure_future(asyncio.to_thread(svc.run_now, user_id, name))
        while not task.done():
            await asyncio.wait({task}, timeout=0.5)
            async with self:
                self.running_seconds = int(time.monotonic() - started)
        outcome = task.result()
        rows, runs = await asyncio.to_thread(
            lambda: (svc.jobs_view(), svc.history_view(history)))
        async with self:
            self.jobs, self.runs = rows, runs
            self.running_job = self.running_title = ""
            self.result_ok, self.result_message = outcome.ok, outcome.message
        if not outcome.ok:
            yield rx.toast.error(outcome.message)

    @requires(Permission.RUN_JOBS)
    def edit_schedule(self, name: str):
        """Open the schedule form of one job."""
        row = next((j for j in self.jobs if j.name == name), None)
        if row is None:
            return
        self.editing_job, self.editing_title = row.name, row.title
        self.editing_schedule, self.schedule_error = row.schedule, ""

    @requires(Permission.RUN_JOBS)
    def cancel_schedule(self):
        """Close the schedule form without saving."""
        self.editing_job, self.schedule_error = "", ""

    @requires(Permission.RUN_JOBS)
    def save_schedule(self, form_data: dict):
        """Save the schedule typed in the form (a schedule that cannot be read changes
        nothing and says why)."""
        if not self.editing_job:
            return None
        outcome = svc.change_schedule(self._actor_id(), self.editing_job,
                                      text_of(form_data, "schedule", 100))
        if not outcome.ok:
            self.schedule_error = outcome.message
            return None
        self.editing_job, self.schedule_error = "", ""
        self._refresh()
        return rx.toast.success(outcome.message)
