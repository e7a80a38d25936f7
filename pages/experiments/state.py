"""The experiments overview (experiments, rollouts, the two creation forms) and the experiment
page (arms, approvals, results with intervals, simulation, timeline)."""

import plotly.graph_objects as go
import reflex as rx

from console import experiments as svc
from console.experiments import (
    ArmInput,
    ArmResultRow,
    ArmRow,
    ComparisonRow,
    ExperimentInput,
    ExperimentRow,
    RolloutInput,
    RolloutRow,
    SimTotalRow,
    TimelineRow,
    VersionChoice,
)
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from pages.experiments.charts import arpa_figure, lift_figure
from pages.experiments.common import (
    in_thread,
    int_of,
    months_of,
    route_id,
    text_of,
    with_progress,
)
from pages.session import SessionState, requires

#: Results older than this are recomputed in the background when the page opens.
STALE_SECONDS = 300


def _list(form_data: dict, key: str) -> list[str]:
    value = text_of(form_data, key, 64)
    return [value] if value else []


class ExperimentsState(SessionState):
    """/experiments: the lists and the forms that create experiments and rollouts."""

    experiments: list[ExperimentRow] = []
    rollouts: list[RolloutRow] = []
    published: list[VersionChoice] = []
    sources: list[VersionChoice] = []
    show_experiment_form: bool = False
    show_rollout_form: bool = False
    experiment_error: str = ""
    rollout_error: str = ""
    message: str = ""

    def _fetch(self) -> None:
        try:
            data = svc.overview(self._actor_id())
        except ServiceError as exc:
            self.message = str(exc)
            return
        self.message = ""
        self.experiments, self.rollouts = data.experiments, data.rollouts
        self.published, self.sources = data.published, data.sources

    @requires(Permission.VIEW_EXPERIMENTS, quiet=True)
    def load(self):
        """Load the lists (on page load)."""
        self.experiment_error = self.rollout_error = ""
        self._fetch()

    @requires(Permission.RUN_EXPERIMENTS)
    def toggle_experiment_form(self):
        """Show or hide the new-experiment form."""
        self.show_experiment_form = not self.show_experiment_form
        self.experiment_error = ""

    @requires(Permission.RUN_EXPERIMENTS)
    def toggle_rollout_form(self):
        """Show or hide the new-rollout form."""
        self.show_rollout_form = not self.show_rollout_form
        self.rollout_error = ""

    @requires(Permission.RUN_EXPERIMENTS)
    def create_experiment(self, form_data: dict):
        """Create a draft experiment from the form, then open it."""
        variants = [ArmInput("variant" if not text_of(form_data, "variant2_version") else
                             "variant_a", int_of(form_data, "variant_version"),
                             int_of(form_data, "variant_weight", 50))]
        if text_of(form_data, "variant2_version"):
            variants.append(ArmInput("variant_b", int_of(form_data, "variant2_version"),
                                     int_of(form_data, "variant2_weight", 50)))
        try:
            spec = ExperimentInput(
                key=text_of(form_data, "key", 64), name=text_of(form_data, "name", 200),
                hypothesis=text_of(form_data, "hypothesis", 4000),
                control_version_id=int_of(form_data, "control_version"),
                control_weight=int_of(form_data, "control_weight", 50), variants=variants,
                eligibility={"segments": _list(form_data, "segment"),
                             "regions": _list(form_data, "region"),
                             "currencies": _list(form_data, "currency"),
                             "new_customers_only": text_of(form_data, "audience") != "existing"},
                primary_metric=text_of(form_data, "primary_metric", 16),
                guardrails=svc.guardrails_from_form(form_data),
                planned_days=int_of(form_data, "planned_days", 30),
                min_sample=int_of(form_data, "min_sample", 100),
                scheduled_for=None)
            experiment_id = svc.create_experiment(self._actor_id(), spec)
        except ServiceError as exc:
            self.experiment_error = str(exc)
            return None
        self.experiment_error = ""
        self.show_experiment_form = False
        return [rx.toast.success("Draft experiment created."),
                rx.redirect(f"/experiments/{experiment_id}")]

    @requires(Permission.RUN_EXPERIMENTS)
    def create_rollout(self, form_data: dict):
        """Create a draft rollout from the form, then open it."""
        stages = [p.strip().rstrip("%") for p in text_of(form_data, "stages", 200).split(",")]
        try:
            spec = RolloutInput(
                key=text_of(form_data, "key", 64), name=text_of(form_data, "name", 200),
                from_version_id=int_of(form_data, "from_version"),
                to_version_id=int_of(form_data, "to_version"),
                stages=[s for s in stages if s],
                timing=text_of(form_data, "timing", 16) or "next_renewal",
                guardrails=svc.guardrails_from_form(form_data),
                include_grandfathered=bool(form_data.get("include_grandfathered")))
            rollout_id = svc.create_rollout(self._actor_id(), spec)
        except ServiceError as exc:
            self.rollout_error = str(exc)
            return None
        self.rollout_error = ""
        self.show_rollout_form = False
        return [rx.toast.success("Draft rollout created."), rx.redirect(f"/rollouts/{rollout_id}")]


class ExperimentState(SessionState):
    """/experiments/[experiment_id]: one experiment."""

    found: bool = False
    message: str = ""
    experiment_id: int = 0
    key: str = ""
    name: str = ""
    hypothesis: str = ""
    plan: str = ""
    status: str = ""
    status_label: str = ""
    eligibility: str = ""
    primary_metric: str = ""
    guardrails: str = ""
    planned_days: int = 0
    min_sample: int = 0
    scheduled_for: str = ""
    started: str = ""
    ended: str = ""
    winner: str = ""
    author: str = ""
    decision: str = ""
    arms: list[ArmRow] = []
    arm_names: list[str] = []
    has_pending: bool = False
    pending_kind: str = ""
    pending_label: str = ""
    pending_by: str = ""
    pending_at: str = ""
    pending_reason: str = ""
    pending_detail: str = ""
    pending_blocked: str = ""
    currency: str = "USD"
    results_at: str = ""
    results_note: str = ""
    sample_reached: bool = False
    sample_text: str = ""
    arm_results: list[ArmResultRow] = []
    comparisons: list[ComparisonRow] = []
    breaches: list[str] = []
    lift_chart: go.Figure = go.Figure()
    arpa_chart: go.Figure = go.Figure()
    sim_note: str = ""
    sim_rows: list[SimTotalRow] = []
    timeline: list[TimelineRow] = []
    refreshing: bool = False
    simulating: bool = False
    sim_progress: int = 0
    preview_note: str = ""
    preview_rows: list[SimTotalRow] = []
    error: str = ""
    _version: int = 0
    _pending_id: int = 0
    _results_age: float = -1.0

    def _show(self, experiment_id: int) -> None:
        try:
            d = svc.experiment(experiment_id, self._actor_id())
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found, self.experiment_id, self._version = True, d.id, d.version
        for key in ("key", "name", "hypothesis", "plan", "status", "status_label",
                    "eligibility", "primary_metric", "guardrails", "planned_days", "min_sample",
                    "scheduled_for", "started", "ended", "winner", "author", "decision", "arms",
                    "currency", "results_at", "results_note", "sample_reached", "sample_text",
                    "arm_results", "comparisons", "breaches", "timeline"):
            setattr(self, key, getattr(d, key))
        self.arm_names = [a.name for a in d.arms]
        self.sim_note, self.sim_rows = d.simulation_note, d.simulation
        p = d.pending
        self.has_pending = p is not None
        self._pending_id = p.id if p else 0
        self.pending_kind = p.kind if p else ""
        self.pending_label = p.kind_label if p else ""
        self.pending_by = p.requested_by if p else ""
        self.pending_at = p.requested_at if p else ""
        self.pending_reason = p.reason if p else ""
        self.pending_detail = p.detail if p else ""
        self.pending_blocked = p.blocked if p else ""
        self._results_age = -1.0 if d.results_age_seconds is None else d.results_age_seconds
        self.lift_chart = lift_figure(d.comparisons)
        self.arpa_chart = arpa_figure(d.comparisons, d.currency)

    @requires(Permission.VIEW_EXPERIMENTS, quiet=True)
    def load(self):
        """Load the experiment named by the route; refresh stale results in the background."""
        self.error, self.preview_note, self.preview_rows = "", "", []
        self.refreshing = self.simulating = False
        experiment_id = route_id(self.router.url)
        if experiment_id is None:
            self.found, self.message = False, "No such experiment."
            return None
        self._show(experiment_id)
        if self.found and self.status == "running" and (
                self._results_age < 0 or self._results_age > STALE_SECONDS):
            return ExperimentState.refresh_results
        return None

    def _done(self, message: str):
        self.error = ""
        self._show(self.experiment_id)
        return rx.toast.success(message)

    def _act(self, message: str, call, *args, **kwargs):
        """Run ``call(*args, **kwargs)``; on success refresh and confirm, on a refusal show
        why (the service re-checks the role and writes the audit event)."""
        try:
            call(*args, **kwargs)
        except ServiceError as exc:
            return self._refused(exc)
        return self._done(message)

    def _refused(self, exc: ServiceError):
        self._show(self.experiment_id)
        self.error = str(exc)
        return rx.toast.error(str(exc))

    @rx.event(background=True)
    @requires(Permission.VIEW_EXPERIMENTS)
    async def refresh_results(self):
        """Enrol eligible customers and recompute the results in a worker thread."""
        async with self:
            if self.refreshing or not self.experiment_id:
                return
            self.refreshing, self.error = True, ""
            experiment_id, user_id = self.experiment_id, self._actor_id()
        try:
            done = await in_thread(svc.refresh, user_id, experiment_id)
        except ServiceError as exc:
            async with self:
                self.refreshing, self.error = False, str(exc)
            return
        async with self:
            self.refreshing = False
            self._show(experiment_id)
        note = (f"Results refreshed: {done.enrolment.assigned} new assignment(s)"
                + (f", {done.enrolment.skipped_elsewhere} skipped (in another experiment on "
                   "this plan)" if done.enrolment.skipped_elsewhere else "") + ".")
        yield rx.toast.success(note)

    @rx.event(background=True)
    @requires(Permission.VIEW_EXPERIMENTS)
    async def run_simulation(self, form_data: dict):
        """Simulate each variant's revenue impact over the eligible cohort (shown only)."""
        months = months_of(form_data.get("months"))
        async with self:
            if self.simulating or not self.experiment_id:
                return
            self.simulating, self.sim_progress, self.error = True, 0, ""
            experiment_id, user_id = self.experiment_id, self._actor_id()
        try:
            sim = await with_progress(self, "sim_progress", lambda report: svc.simulate(
                user_id, experiment_id, months, report))
        except ServiceError as exc:
            async with self:
                self.simulating, self.error = False, str(exc)
            return
        async with self:
            self.simulating = False
            self.preview_note, self.preview_rows = sim.note, sim.rows
        yield rx.toast.success("Simulation finished.")

    @rx.event(background=True)
    @requires(Permission.RUN_EXPERIMENTS)
    async def request_start(self, form_data: dict):
        """Simulate, then ask a second person to approve the start."""
        months = months_of(form_data.get("months"))
        reason = text_of(form_data, "reason")
        start = text_of(form_data, "start_on", 20)
        async with self:
            if self.simulating or not self.experiment_id:
                return
            self.simulating, self.sim_progress, self.error = True, 0, ""
            experiment_id, user_id = self.experiment_id, self._actor_id()
        try:
            await with_progress(self, "sim_progress", lambda report: svc.request_start(
                user_id, experiment_id, reason=reason, months=months, scheduled_for=start,
                progress=report))
        except ServiceError as exc:
            async with self:
                self.simulating = False
                self._show(experiment_id)
                self.error = str(exc)
            yield rx.toast.error(str(exc))
            return
        async with self:
            self.simulating = False
            self._show(experiment_id)
        yield rx.toast.success("Start requested: someone else must approve it.")

    @requires(Permission.APPROVE_EXPERIMENTS)
    def approve(self, form_data: dict):
        """Approve the pending request (refused on the server for its author and requester)."""
        try:
            label = svc.approve(self._actor_id(), self._pending_id, text_of(form_data, "comment"))
        except ServiceError as exc:
            return self._refused(exc)
        return self._done(f"Approved: the experiment is {label.lower()}.")

    @requires(Permission.APPROVE_EXPERIMENTS)
    def reject(self, form_data: dict):
        """Reject the pending request with a comment."""
        return self._act("Request rejected.", svc.reject, self._actor_id(), self._pending_id,
                         text_of(form_data, "comment"))

    @requires(Permission.RUN_EXPERIMENTS)
    def withdraw(self):
        """Take the pending request back (its requester or the author)."""
        return self._act("Request withdrawn.", svc.withdraw, self._actor_id(), self._pending_id)

    @requires(Permission.RUN_EXPERIMENTS)
    def pause(self, form_data: dict):
        """Pause a running experiment."""
        return self._act("Experiment paused.", svc.pause, self._actor_id(), self.experiment_id,
                         text_of(form_data, "reason"), self._version)

    @requires(Permission.RUN_EXPERIMENTS)
    def resume(self, form_data: dict):
        """Resume a paused experiment."""
        return self._act("Experiment resumed.", svc.resume, self._actor_id(), self.experiment_id,
                         text_of(form_data, "reason"), self._version)

    @requires(Permission.RUN_EXPERIMENTS)
    def request_conclusion(self, form_data: dict):
        """Ask for approval to conclude with a winner (refused before the minimum sample)."""
        return self._act("Conclusion requested: someone else must approve it.",
                         svc.request_conclusion, self._actor_id(), self.experiment_id,
                         winner=text_of(form_data, "winner", 64),
                         reason=text_of(form_data, "reason"),
                         losers=text_of(form_data, "losers", 16) or "keep")

    @requires(Permission.RUN_EXPERIMENTS)
    def roll_back(self, form_data: dict):
        """Stop the experiment without a winner."""
        return self._act("Experiment rolled back.", svc.roll_back, self._actor_id(),
                         self.experiment_id, text_of(form_data, "reason"), self._version)
