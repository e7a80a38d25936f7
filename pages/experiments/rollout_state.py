"""The rollout page: stages, who moved, guardrail charts, and the owner's actions."""

from datetime import UTC, datetime

import plotly.graph_objects as go
import reflex as rx

from console import experiments as svc
from console.experiments import (
    GuardrailView,
    MemberRow,
    PreviewLine,
    PreviewTotal,
    StageRow,
    TimelineRow,
)
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from pages.experiments.charts import guardrail_figure, history_figure
from pages.experiments.common import in_thread, route_id, text_of
from pages.session import SessionState, requires


class RolloutState(SessionState):
    """/rollouts/[rollout_id]: one staged rollout."""

    found: bool = False
    message: str = ""
    rollout_id: int = 0
    key: str = ""
    name: str = ""
    plan: str = ""
    from_version: str = ""
    to_version: str = ""
    status: str = ""
    status_label: str = ""
    timing: str = ""
    timing_label: str = ""
    include_grandfathered: bool = False
    owner: str = ""
    paused_reason: str = ""
    guardrails: str = ""
    stages: list[StageRow] = []
    next_position: int = 0
    next_percent: int = 0
    all_confirmed: bool = False
    members: list[MemberRow] = []
    moved: int = 0
    scheduled: int = 0
    rolled_back: int = 0
    guardrail_rows: list[GuardrailView] = []
    guardrail_note: str = ""
    timeline: list[TimelineRow] = []
    guard_chart: go.Figure = go.Figure()
    history_chart: go.Figure = go.Figure()
    has_history: bool = False
    preview_shown: bool = False
    preview_position: int = 0
    preview_percent: int = 0
    preview_count: int = 0
    preview_effective: str = ""
    preview_note: str = ""
    preview_lines: list[PreviewLine] = []
    preview_totals: list[PreviewTotal] = []
    move_date: str = ""
    busy: bool = False
    error: str = ""
    _version: int = 0
    _preview_date: str = ""

    def _show(self, rollout_id: int) -> None:
        try:
            d = svc.rollout(rollout_id, self._actor_id())
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found, self.rollout_id, self._version = True, d.id, d.version
        for key in ("key", "name", "plan", "from_version", "to_version", "status",
                    "status_label", "timing", "timing_label", "include_grandfathered", "owner",
                    "paused_reason", "guardrails", "stages", "next_position", "next_percent",
                    "all_confirmed", "members", "moved", "scheduled", "rolled_back",
                    "guardrail_rows", "guardrail_note", "timeline"):
            setattr(self, key, getattr(d, key))
        self.guard_chart = guardrail_figure(d.guardrail_rows)
        self.history_chart = history_figure(d.history)
        self.has_history = bool(d.history)

    @requires(Permission.VIEW_EXPERIMENTS, quiet=True)
    def load(self):
        """Load the rollout named by the route."""
        self.error, self.busy, self.preview_shown = "", False, False
        self.move_date = datetime.now(UTC).date().isoformat()
        rollout_id = route_id(self.router.url)
        if rollout_id is None:
            self.found, self.message = False, "No such rollout."
            return
        self._show(rollout_id)

    def _act(self, message: str, call, *args, **kwargs):
        """Run ``call(*args, **kwargs)``; on success refresh and confirm, on a refusal show
        why (the service re-checks the role and writes the audit event)."""
        try:
            call(*args, **kwargs)
        except ServiceError as exc:
            return self._refused(exc)
        self._show(self.rollout_id)
        return rx.toast.success(message)

    def _refused(self, exc: ServiceError):
        self._show(self.rollout_id)
        self.error = str(exc)
        return rx.toast.error(str(exc))

    @requires(Permission.RUN_EXPERIMENTS)
    def preview_next(self, form_data: dict):
        """Show who the next stage would move and the MRR change, before confirming."""
        day = text_of(form_data, "move_date", 20) if self.timing == "date" else ""
        try:
            p = svc.preview(self._actor_id(), self.rollout_id, day)
        except ServiceError as exc:
            return self._refused(exc)
        self.error = ""
        self.preview_shown = True
        self._preview_date = day
        self.preview_position, self.preview_percent, self.preview_count = (
            p.position, p.percent, p.count)
        self.preview_effective, self.preview_note = p.effective, p.note
        self.preview_lines, self.preview_totals = p.lines, p.totals
        return None

    @requires(Permission.RUN_EXPERIMENTS)
    def cancel_preview(self):
        """Close the preview without confirming."""
        self.preview_shown = False

    @rx.event(background=True)
    @requires(Permission.RUN_EXPERIMENTS)
    async def confirm_next(self):
        """Confirm the previewed stage (guardrails of the stage before are checked first)."""
        async with self:
            if self.busy or not self.preview_shown:
                return
            self.busy, self.error = True, ""
            args = (self._actor_id(), self.rollout_id, self._version, self._preview_date)
        try:
            result = await in_thread(svc.confirm, *args)
        except ServiceError as exc:
            async with self:
                self.busy = False
                toast = self._refused(exc)
            yield toast
            return
        async with self:
            self.busy, self.preview_shown = False, False
            self._show(args[1])
        if result.paused:
            yield rx.toast.error(f"Paused instead: {result.message}")
        else:
            yield rx.toast.success(result.message)

    @rx.event(background=True)
    @requires(Permission.RUN_EXPERIMENTS)
    async def check_guardrails(self):
        """Check the guardrails now; a breach pauses the rollout and tells its owner."""
        async with self:
            if self.busy:
                return
            self.busy, self.error = True, ""
            user_id, rollout_id = self._actor_id(), self.rollout_id
        try:
            report = await in_thread(svc.check_guardrails, user_id, rollout_id)
        except ServiceError as exc:
            async with self:
                self.busy = False
                toast = self._refused(exc)
            yield toast
            return
        async with self:
            self.busy = False
            self._show(rollout_id)
        if report.passed:
            yield rx.toast.success("All guardrails hold.")
        else:
            yield rx.toast.error(report.describe())

    @requires(Permission.RUN_EXPERIMENTS)
    def pause(self, form_data: dict):
        """Pause the rollout by hand."""
        return self._act("Rollout paused.", svc.pause_rollout, self._actor_id(), self.rollout_id,
                         text_of(form_data, "reason"), self._version)

    @requires(Permission.RUN_EXPERIMENTS)
    def resume(self, form_data: dict):
        """Resume a paused rollout (a reason is required)."""
        return self._act("Rollout resumed.", svc.resume_rollout, self._actor_id(), self.rollout_id,
                         text_of(form_data, "reason"), self._version)

    @requires(Permission.RUN_EXPERIMENTS)
    def complete(self):
        """Complete a rollout whose stages are all confirmed."""
        try:
            result = svc.complete_rollout(self._actor_id(), self.rollout_id, self._version)
        except ServiceError as exc:
            return self._refused(exc)
        self._show(self.rollout_id)
        if result.paused:
            return rx.toast.error(f"Paused instead: {result.message}")
        return rx.toast.success(result.message)

    @rx.event(background=True)
    @requires(Permission.RUN_EXPERIMENTS)
    async def rollback(self, form_data: dict):
        """Return every moved customer to the version it came from, in one step."""
        reason = text_of(form_data, "reason")
        async with self:
            if self.busy:
                return
            self.busy, self.error = True, ""
            args = (self._actor_id(), self.rollout_id, reason, self._version)
        try:
            result = await in_thread(svc.rollback, *args)
        except ServiceError as exc:
            async with self:
                self.busy = False
                toast = self._refused(exc)
            yield toast
            return
        async with self:
            self.busy, self.preview_shown = False, False
            self._show(args[1])
        yield rx.toast.success(
            f"Rolled back: {result.returned} subscription(s) returned, {result.canceled} "
            f"scheduled move(s) canceled, {result.left_alone} left alone.")
