"""/disputes/[dispute_id]: one case, its evidence for a decision, and the actions on it."""

import plotly.graph_objects as go
import reflex as rx

from console import disputes as svc
from console import disputes as views
from console.billing import EventRow
from console.disputes import (
    MAX_EVIDENCE_BYTES,
    AttemptRow,
    CaseCredit,
    CaseLine,
    DisputeRef,
    EvidenceRow,
    InvoiceRef,
    OwnerChoice,
    PaymentRow,
    PlanChangeRow,
    PlanPriceRow,
    TimelineRow,
    UsageSeries,
)
from console.kernel.errors import ServiceError
from console.kernel.outcome import Outcome
from console.kernel.roles import Permission
from pages.disputes.state import int_of, text_of
from pages.session import SessionState, requires

LINES, FULL = "Chosen lines", "Full credit"

#: CaseDetail fields copied one to one into state (tuples become lists).
_FIELDS = (
    "version", "status", "status_label", "reason", "reason_label", "description",
    "customer_id", "customer_code", "customer_name", "customer_email", "invoice_id",
    "invoice_number", "invoice_status", "invoice_period", "invoice_total", "invoice_credited",
    "invoice_paid", "invoice_balance", "currency", "amount", "owner_id", "owner", "opened_by",
    "opened", "due", "sla_state", "sla_text", "resolved", "resolution_note", "credited",
    "reopened_count", "reopen_until", "can_reopen", "actions", "threshold", "lines",
    "plan_id", "plan_label", "plan_prices", "plan_changes", "invoices", "disputes",
    "payments", "attempts", "timeline", "evidence", "credits", "pending_credit_id",
    "pending_credit_total", "pending_credit_by", "can_approve_credit", "approve_blocked",
    "uncounted_credit", "evidence_hint",
)


def usage_figure(series: UsageSeries | None) -> go.Figure:
    """Daily usage of one disputed usage line (aggregated points, never raw events)."""
    fig = go.Figure()
    if series is not None and series.points:
        fig.add_trace(go.Bar(x=[p.day for p in series.points],
                             y=[p.value for p in series.points], marker_color="#3e63dd",
                             hovertemplate="%{x}: %{y}<extra></extra>", name=series.meter))
    fig.update_layout(height=240, margin={"l": 40, "r": 10, "t": 10, "b": 30},
                      template="plotly_white", yaxis_title="Units per day", bargap=0.2)
    return fig


class CaseState(SessionState):
    """A dispute case as a support or finance user sees it."""

    found: bool = False
    message: str = ""
    dispute_id: int = 0
    version: int = 0
    status: str = ""
    status_label: str = ""
    reason: str = ""
    reason_label: str = ""
    description: str = ""
    customer_id: int = 0
    customer_code: str = ""
    customer_name: str = ""
    customer_email: str = ""
    invoice_id: int = 0
    invoice_number: str = ""
    invoice_status: str = ""
    invoice_period: str = ""
    invoice_total: str = ""
    invoice_credited: str = ""
    invoice_paid: str = ""
    invoice_balance: str = ""
    currency: str = ""
    amount: str = ""
    owner_id: int = 0
    owner: str = ""
    opened_by: str = ""
    opened: str = ""
    due: str = ""
    sla_state: str = ""
    sla_text: str = ""
    resolved: str = ""
    resolution_note: str = ""
    credited: str = ""
    reopened_count: int = 0
    reopen_until: str = ""
    can_reopen: bool = False
    actions: list[str] = []
    threshold: str = ""
    lines: list[CaseLine] = []
    plan_id: int = 0
    plan_label: str = ""
    plan_prices: list[PlanPriceRow] = []
    plan_changes: list[PlanChangeRow] = []
    invoices: list[InvoiceRef] = []
    disputes: list[DisputeRef] = []
    payments: list[PaymentRow] = []
    attempts: list[AttemptRow] = []
    timeline: list[TimelineRow] = []
    evidence: list[EvidenceRow] = []
    credits: list[CaseCredit] = []
    pending_credit_id: int = 0
    pending_credit_total: str = ""
    pending_credit_by: str = ""
    can_approve_credit: bool = False
    approve_blocked: str = ""
    uncounted_credit: bool = False
    evidence_hint: str = ""
    owners: list[OwnerChoice] = []
    usage_lines: list[UsageSeries] = []
    usage_line_id: int = 0
    usage_label: str = ""
    usage_chart: go.Figure = go.Figure()
    events: list[EventRow] = []
    events_total: int = 0
    events_page: int = 0
    events_pages: int = 1
    day_from: str = ""
    day_to: str = ""
    credit_mode: str = "lines"
    error: str = ""
    _pending_credit_version: int = 0

    # ------------------------------------------------------------------ loading

    def _show(self, dispute_id: int) -> None:
        try:
            d = views.case_view(dispute_id, user_id=self._actor_id())
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found, self.dispute_id = True, d.id
        for key in _FIELDS:
            value = getattr(d, key)
            setattr(self, key, list(value) if isinstance(value, tuple) else value)
        self._pending_credit_version = d.pending_credit_version
        self.usage_lines = list(d.usage)
        if not any(u.line_id == self.usage_line_id for u in d.usage):
            self.usage_line_id = d.usage[0].line_id if d.usage else 0
            self.day_from = self.day_to = ""
            self.events_page = 0
        self._show_usage()

    def _show_usage(self) -> None:
        series = next((u for u in self.usage_lines if u.line_id == self.usage_line_id), None)
        self.usage_chart = usage_figure(series)
        self.usage_label = f"{series.label} ({series.start} – {series.end})" if series else ""
        if series is None:
            self.events, self.events_total, self.events_pages = [], 0, 1
            return
        try:
            page = views.line_usage_events_view(dispute_id=self.dispute_id,
                                                line_id=series.line_id, day_from=self.day_from,
                                                day_to=self.day_to, page=self.events_page)
        except ServiceError as exc:
            self.error = str(exc)
            return
        self.events, self.events_total = page.rows, page.total
        self.events_page, self.events_pages = page.page, page.pages

    @requires(Permission.VIEW_DISPUTES, quiet=True)
    def load(self):
        """Load the dispute named by the route."""
        raw = str(self.router.url).split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        self.error = ""
        self.owners = views.owner_choices_view()
        if not raw.isdigit():
            self.found, self.message = False, "No such dispute."
            return
        self.usage_line_id = 0
        self._show(int(raw))

    def _done(self, out: Outcome):
        self._show(self.dispute_id)
        if not out.ok:
            self.error = out.message
            return rx.toast.error(out.message)
        self.error = ""
        return rx.toast.success(out.message)

    @requires(Permission.VIEW_DISPUTES)
    def refresh(self):
        """Reload the case."""
        self._show(self.dispute_id)

    # ------------------------------------------------------------------ usage

    @requires(Permission.VIEW_DISPUTES)
    def choose_usage_line(self, value: str):
        """Show the usage behind another disputed usage line."""
        self.usage_line_id = int_of(value) or 0
        self.day_from = self.day_to = ""
        self.events_page = 0
        self._show_usage()

    @requires(Permission.VIEW_DISPUTES)
    def filter_events(self, form_data: dict):
        """Filter the usage events to a day range (YYYY-MM-DD)."""
        self.day_from = text_of(form_data, "day_from", 10)
        self.day_to = text_of(form_data, "day_to", 10)
        self.events_page = 0
        self.error = ""
        self._show_usage()

    @requires(Permission.VIEW_DISPUTES)
    def next_events(self):
        """The next page of usage events."""
        if self.events_page + 1 < self.events_pages:
            self.events_page += 1
            self._show_usage()

    @requires(Permission.VIEW_DISPUTES)
    def prev_events(self):
        """The previous page of usage events."""
        if self.events_page > 0:
            self.events_page -= 1
            self._show_usage()

    # ------------------------------------------------------------------ work

    @requires(Permission.WORK_DISPUTES)
    def take(self):
        """Assign the case to me."""
        return self._done(svc.assign_view(self.dispute_id, self.version, self._actor_id(),
                                          user_id=self._actor_id()))

    @requires(Permission.WORK_DISPUTES)
    def assign(self, form_data: dict):
        """Give the case to the chosen owner (empty: unassign)."""
        owner = int_of(form_data.get("owner"))
        return self._done(svc.assign_view(self.dispute_id, self.version, owner,
                                          user_id=self._actor_id()))

    @requires(Permission.WORK_DISPUTES)
    def change_status(self, action: str):
        """Start the investigation, wait for the customer, or resume."""
        return self._done(svc.change_status_view(self.dispute_id, self.version, action,
                                                 user_id=self._actor_id()))

    @requires(Permission.WORK_DISPUTES)
    def add_note(self, form_data: dict):
        """Add a note or a record of customer contact to the timeline."""
        kind = text_of(form_data, "kind", 20) or "note"
        return self._done(svc.add_note_view(self.dispute_id, text_of(form_data, "body"),
                                            user_id=self._actor_id(), kind=kind))

    @requires(Permission.WORK_DISPUTES)
    async def upload_evidence(self, files: list[rx.UploadFile]):
        """Attach evidence files (type and size are checked on the server)."""
        if not files:
            return rx.toast.error("Choose a file first.")
        messages, ok = [], True
        for f in files:
            content = f.file.read(MAX_EVIDENCE_BYTES + 1)
            out = svc.add_evidence_view(self.dispute_id, f.filename or "", content,
                                        user_id=self._actor_id())
            ok = ok and out.ok
            messages.append(out.message)
        self._show(self.dispute_id)
        text = " ".join(messages)
        self.error = "" if ok else text
        return [rx.clear_selected_files("evidence"),
                rx.toast.success(text) if ok else rx.toast.error(text)]

    @requires(Permission.VIEW_DISPUTES)
    def download_evidence(self, evidence_id: int):
        """Download an attached file."""
        try:
            name, _, content = svc.evidence_file(self.dispute_id, int(evidence_id))
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        return rx.download(data=content, filename=name)

    # ------------------------------------------------------------------ resolve

    @requires(Permission.WORK_DISPUTES)
    def set_credit_mode(self, mode: str):
        """Credit chosen lines, or everything still creditable."""
        self.credit_mode = "full" if mode in ("full", FULL) else "lines"

    @requires(Permission.WORK_DISPUTES)
    def propose_credit(self, form_data: dict):
        """Credit the invoice (full or per line); above the threshold it waits for finance."""
        full = self.credit_mode == "full"
        lines = None
        if not full:
            texts = {x.id: text_of(form_data, f"credit_{x.id}", 40) for x in self.lines}
            try:
                lines = views.parse_amounts(texts, self.currency)
            except ServiceError as exc:
                self.error = str(exc)
                return rx.toast.error(str(exc))
        return self._done(svc.propose_credit_view(
            self.dispute_id, self.version, text_of(form_data, "reason"),
            user_id=self._actor_id(), lines=lines, full=full))

    @requires(Permission.APPROVE_CREDITS)
    def approve_credit(self, form_data: dict):
        """Approve the pending credit (refused on the server for its proposer)."""
        return self._done(svc.approve_credit_view(
            self.dispute_id, self.pending_credit_id, self._pending_credit_version,
            user_id=self._actor_id(), comment=text_of(form_data, "comment")))

    @requires(Permission.APPROVE_CREDITS)
    def reject_credit(self, form_data: dict):
        """Reject the pending credit with a reason; the case stays open."""
        return self._done(svc.reject_credit_view(
            self.dispute_id, self.pending_credit_id, self._pending_credit_version,
            text_of(form_data, "reason"), user_id=self._actor_id()))

    @requires(Permission.WORK_DISPUTES)
    def close_as_credited(self):
        """Resolve as credited when the credit note was approved elsewhere."""
        return self._done(svc.close_as_credited_view(self.dispute_id, self.version,
                                                     user_id=self._actor_id()))

    @requires(Permission.WORK_DISPUTES)
    def reject_dispute(self, form_data: dict):
        """Uphold the charges with an explanation."""
        return self._done(svc.reject_view(self.dispute_id, self.version,
                                          text_of(form_data, "explanation"),
                                          user_id=self._actor_id()))

    @requires(Permission.WORK_DISPUTES)
    def withdraw(self, form_data: dict):
        """The customer withdrew the dispute."""
        return self._done(svc.withdraw_view(self.dispute_id, self.version,
                                            text_of(form_data, "note"),
                                            user_id=self._actor_id()))

    @requires(Permission.WORK_DISPUTES)
    def reopen(self, form_data: dict):
        """Reopen within the window."""
        return self._done(svc.reopen_view(self.dispute_id, self.version,
                                          text_of(form_data, "reason"),
                                          user_id=self._actor_id()))
