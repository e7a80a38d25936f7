"""/catalog/changes/[change_id]: the diff against the published version, the revenue-impact
simulation, approvals, and the review decisions (each re-checked by the service)."""

from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
import reflex as rx

from console import catalog as svc
from console.catalog import (
    ApprovalRow,
    DiffRow,
    EntitlementDiffRow,
    ImpactRow,
    SimulationView,
    TotalRow,
)
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from pages.catalog.common import months_of, route_id, text_of, with_progress
from pages.session import SessionState, requires

_ROW_FIELDS = ("plan_id", "plan_code", "plan_name", "version_id", "version_label", "kind_label",
               "status", "status_label", "reason", "author", "created_at", "decided_at",
               "approvals", "requirement", "revenue_change")


def histogram_figure(sim: SimulationView | None) -> go.Figure:
    """A bar chart of how many customers fall in each band of % change."""
    fig = go.Figure()
    if sim is not None:
        fig.add_trace(go.Bar(x=[b.label for b in sim.histogram],
                             y=[b.count for b in sim.histogram],
                             marker_color="#3e63dd", hovertemplate="%{x}: %{y} customers"))
    fig.update_layout(autosize=True, height=280, margin={"l": 40, "r": 10, "t": 10, "b": 40},
                      template="plotly_white", plot_bgcolor="white", paper_bgcolor="white",
                      xaxis_title="Change of the bill", yaxis_title="Customers",
                      yaxis={"gridcolor": "#e5e7eb", "rangemode": "tozero"}, bargap=0.15)
    return fig


class ChangeState(SessionState):
    """A change request as a reviewer sees it, and the decisions the viewer may take."""

    found: bool = False
    message: str = ""
    change_id: int = 0
    plan_id: int = 0
    plan_code: str = ""
    plan_name: str = ""
    version_id: int = 0
    version_label: str = ""
    kind_label: str = ""
    status: str = ""
    status_label: str = ""
    reason: str = ""
    author: str = ""
    created_at: str = ""
    decided_at: str = ""
    approvals: str = ""
    requirement: str = ""
    revenue_change: str = ""
    baseline: str = ""
    diff_summary: str = ""
    prices: list[DiffRow] = []
    entitlements: list[EntitlementDiffRow] = []
    approval_rows: list[ApprovalRow] = []
    policy_reasons: list[str] = []
    can_approve: bool = False
    approve_blocked: str = ""
    can_review: bool = False
    can_withdraw: bool = False
    can_publish: bool = False
    has_simulation: bool = False
    sim_note: str = ""
    sim_months: int = 0
    sim_window: str = ""
    sim_customers: int = 0
    sim_increased: int = 0
    sim_decreased: int = 0
    sim_unchanged: int = 0
    sim_revenue_change: str = ""
    sim_elapsed: str = ""
    sim_totals: list[TotalRow] = []
    sim_top: list[ImpactRow] = []
    sim_notes: list[str] = []
    sim_figure: go.Figure = go.Figure()
    sim_running: bool = False
    sim_progress: int = 0
    publish_date: str = ""
    error: str = ""

    def _set_simulation(self, sim: SimulationView | None, note: str) -> None:
        self.has_simulation = sim is not None
        self.sim_note = note
        if sim is None:
            self.sim_totals, self.sim_top, self.sim_notes = [], [], []
        else:
            self.sim_months, self.sim_window, self.sim_customers = (sim.months, sim.window,
                                                                    sim.customers)
            self.sim_increased, self.sim_decreased, self.sim_unchanged = (
                sim.increased, sim.decreased, sim.unchanged)
            self.sim_revenue_change, self.sim_elapsed = sim.revenue_change, sim.elapsed
            self.sim_totals, self.sim_top, self.sim_notes = sim.totals, sim.top[:20], sim.notes
        self.sim_figure = histogram_figure(sim)

    def _show(self, change_id: int) -> None:
        try:
            d = svc.change_request(change_id, user_id=self._actor_id())
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found, self.change_id = True, d.row.id
        for key in _ROW_FIELDS:
            setattr(self, key, getattr(d.row, key))
        self.baseline, self.diff_summary = d.baseline, d.diff_summary
        self.prices, self.entitlements = d.prices, d.entitlements
        self.approval_rows, self.policy_reasons = d.approvals, d.policy_reasons
        self.can_approve, self.approve_blocked = d.can_approve, d.approve_blocked
        self.can_review, self.can_withdraw, self.can_publish = (d.can_review, d.can_withdraw,
                                                                d.can_publish)
        self._set_simulation(d.simulation, "Stored with the change request when it was opened.")

    @requires(Permission.VIEW_CATALOG, quiet=True)
    def load(self):
        """Load the change request named by the route."""
        self.error, self.sim_running = "", False
        self.publish_date = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
        change_id = route_id(self.router.url)
        if change_id is None:
            self.found, self.message = False, "No such change request."
            return
        self._show(change_id)

    def _decided(self, message: str):
        self.error = ""
        self._show(self.change_id)
        return rx.toast.success(message)

    def _refused(self, exc: ServiceError):
        self._show(self.change_id)
        self.error = str(exc)
        return rx.toast.error(str(exc))

    @requires(Permission.APPROVE_CATALOG)
    def approve(self, form_data: dict):
        """Approve (refused on the server for the author, editors and repeat approvals)."""
        try:
            label = svc.approve_change(user_id=self._actor_id(), change_request_id=self.change_id,
                                       comment=text_of(form_data, "comment"))
        except ServiceError as exc:
            return self._refused(exc)
        return self._decided(f"Approval recorded; the change request is {label.lower()}.")

    @requires(Permission.APPROVE_CATALOG)
    def reject(self, form_data: dict):
        """Reject with a comment; the version returns to draft."""
        try:
            svc.reject_change(user_id=self._actor_id(), change_request_id=self.change_id,
                              comment=text_of(form_data, "comment"))
        except ServiceError as exc:
            return self._refused(exc)
        return self._decided("Change request rejected.")

    @requires(Permission.APPROVE_CATALOG)
    def request_changes(self, form_data: dict):
        """Send back to the author with a comment; the version returns to draft."""
        try:
            svc.ask_for_changes(user_id=self._actor_id(), change_request_id=self.change_id,
                                comment=text_of(form_data, "comment"))
        except ServiceError as exc:
            return self._refused(exc)
        return self._decided("Sent back to the author.")

    @requires(Permission.EDIT_CATALOG)
    def withdraw(self, form_data: dict):
        """The author takes the change request back; the version returns to draft."""
        try:
            svc.withdraw_change(user_id=self._actor_id(), change_request_id=self.change_id,
                                comment=text_of(form_data, "comment"))
        except ServiceError as exc:
            return self._refused(exc)
        return self._decided("Change request withdrawn; the draft can be edited again.")

    @requires(Permission.APPROVE_CATALOG)
    def publish(self, form_data: dict):
        """Publish an approved change from an effective date (YYYY-MM-DD)."""
        day = text_of(form_data, "effective_from", 20)
        try:
            svc.publish_change(user_id=self._actor_id(), change_request_id=self.change_id,
                               effective_from=day)
        except ServiceError as exc:
            return self._refused(exc)
        return self._decided(f"Published; effective from {day}.")

    @rx.event(background=True)
    @requires(Permission.APPROVE_CATALOG)
    async def rerun_simulation(self, form_data: dict):
        """Re-run the revenue simulation over 3, 6 or 12 months in a worker thread."""
        months = months_of(form_data.get("months"))
        async with self:
            if self.sim_running or not self.version_id:
                return
            if self.status not in ("pending", "approved"):
                self.error = "Only an open change request can be simulated again."
                return
            version_id = self.version_id
            self.sim_running, self.sim_progress, self.error = True, 0, ""
        try:
            view = await with_progress(self, "sim_progress", lambda report: svc.run_simulation(
                version_id=version_id, months=months, progress=report))
        except ServiceError as exc:
            async with self:
                self.sim_running, self.error = False, str(exc)
            return
        async with self:
            self.sim_running, self.sim_progress = False, 100
            self._set_simulation(view, f"Re-run just now over {months} months (shown only; "
                                       "the stored simulation is unchanged).")
        yield rx.toast.success("Simulation finished.")
