"""The Subscriptions section of the customer page: changes with their preview, and the changes
waiting for a finance approval."""

import reflex as rx

from console import subscriptions as svc
from console.kernel.roles import Permission
from console.subscriptions import ActionChoice, PendingChange, PlanChoice, PreviewLine
from console.subscriptions import SubscriptionRow as Row
from pages.components.state_helpers import route_id
from pages.session import SessionState, requires

#: The form fields of a change (what ``parse_change`` reads).
FIELDS = ("kind", "subscription_id", "plan_id", "seats", "interval", "effective_on", "reason")


class SubscriptionsState(SessionState):
    """The customer's subscriptions, the change dialog (form, then preview) and approvals."""

    rows: list[Row] = []
    plans: list[PlanChoice] = []
    pending: list[PendingChange] = []
    today: str = ""
    open: bool = False
    step: str = "form"
    kind: str = ""
    title: str = ""
    subscription_id: int = 0
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    message: str = ""
    p_title: str = ""
    p_effective: str = ""
    p_period: str = ""
    p_lines: list[PreviewLine] = []
    p_total: str = ""
    p_mrr_before: str = ""
    p_mrr_after: str = ""
    p_mrr_change: str = ""
    p_versions: str = ""
    p_gained: list[str] = []
    p_lost: list[str] = []
    p_changed: list[str] = []
    p_approval: str = ""
    p_needs_approval: bool = False
    p_notes: list[str] = []
    reject_id: int = 0
    _customer_id: int = 0

    def _fetch(self) -> None:
        got = svc.section_view(self._customer_id, self._actor_id())
        self.rows, self.plans, self.pending, self.today = (got.rows, got.plans, got.pending,
                                                           got.today)

    @requires(Permission.VIEW_CUSTOMERS, quiet=True)
    def load(self):
        """Load the section for the customer named by the route."""
        customer_id = route_id(self.router.url)
        self.open = False
        if customer_id is None:
            return
        self._customer_id = customer_id
        self._fetch()

    def _start(self, kind: str, title: str, sub: Row | None) -> None:
        self.kind, self.title, self.step, self.open = kind, title, "form", True
        self.subscription_id = sub.id if sub else 0
        plan = str(sub.plan_id) if sub else (str(self.plans[0].id) if self.plans else "")
        self.values = {"kind": kind, "subscription_id": str(self.subscription_id),
                       "plan_id": plan, "seats": str(sub.seats) if sub else "1",
                       "interval": sub.interval_code if sub else "month",
                       "effective_on": self.today, "reason": "",
                       "expected_version": str(sub.version) if sub else ""}
        self.errors, self.message = {}, ""

    @requires(Permission.CHANGE_SUBSCRIPTIONS)
    def open_new(self):
        """Open the dialog for a new subscription."""
        self._start("new", "New subscription", None)

    @requires(Permission.CHANGE_SUBSCRIPTIONS)
    def open_change(self, subscription_id: int, kind: str):
        """Open the dialog for a change of one subscription."""
        sub = next((r for r in self.rows if r.id == subscription_id), None)
        choice = next((a for a in sub.actions if a.kind == kind), None) if sub else None
        if sub is None or choice is None:
            return rx.toast.error("This change is not available for that subscription.")
        self._start(kind, choice.label, sub)
        return None

    @requires(Permission.VIEW_CUSTOMERS)
    def open_changed(self, is_open: bool):
        """Close the dialog (Escape, outside click or Cancel)."""
        self.open = is_open

    @requires(Permission.CHANGE_SUBSCRIPTIONS)
    def preview(self, form_data: dict):
        """Show what the change does before it is confirmed (nothing is written)."""
        values = {**self.values, **{k: str(form_data.get(k, "") or "")[:2000]
                                    for k in FIELDS if k in form_data}}
        self.values = values
        got = svc.preview_view(self._customer_id, values)
        if not got.ok:
            self.errors, self.message = dict(got.errors), "" if got.errors else got.message
            return
        p = got.preview
        self.errors, self.message, self.step = {}, "", "preview"
        self.p_title, self.p_effective, self.p_period = p.title, p.effective_on, p.invoice_period
        self.p_lines, self.p_total = p.lines, p.lines_total
        self.p_mrr_before, self.p_mrr_after, self.p_mrr_change = (p.mrr_before, p.mrr_after,
                                                                  p.mrr_change)
        self.p_versions = (p.version_after if p.version_before in ("—", p.version_after)
                           else f"{p.version_before} → {p.version_after}")
        self.p_gained, self.p_lost, self.p_changed = p.gained, p.lost, p.changed
        self.p_approval, self.p_needs_approval, self.p_notes = (p.approval_text,
                                                                p.needs_approval, p.notes)

    @requires(Permission.CHANGE_SUBSCRIPTIONS)
    def back(self):
        """Back from the preview to the form."""
        self.step = "form"

    @requires(Permission.CHANGE_SUBSCRIPTIONS)
    def confirm(self):
        """Apply the change shown in the preview (or send it for approval)."""
        out = svc.propose_view(self._actor_id(), self._customer_id, dict(self.values))
        if not out.ok:
            self.step, self.errors = "form", dict(out.errors)
            self.message = "" if out.errors else out.message
            return None
        self.open = False
        self._fetch()
        from pages.customers.state import CustomerDetailState
        return [CustomerDetailState.load, rx.toast.success(out.message)]

    @requires(Permission.APPROVE_SUBSCRIPTION_CHANGES)
    def approve(self, request_id: int):
        """Approve a waiting change (never your own): it takes effect now."""
        out = svc.approve_view(self._actor_id(), request_id)
        self._fetch()
        if not out.ok:
            return rx.toast.error(out.message)
        from pages.customers.state import CustomerDetailState
        return [CustomerDetailState.load, rx.toast.success(out.message)]

    @requires(Permission.APPROVE_SUBSCRIPTION_CHANGES)
    def open_reject(self, request_id: int):
        """Ask for the reason of a rejection."""
        self.reject_id, self.message = request_id, ""

    @requires(Permission.APPROVE_SUBSCRIPTION_CHANGES)
    def reject(self, form_data: dict):
        """Reject a waiting change with a comment."""
        out = svc.reject_view(self._actor_id(), self.reject_id,
                              str(form_data.get("comment", "") or "")[:2000])
        if not out.ok:
            self.message = out.message
            return None
        self.reject_id, self.message = 0, ""
        self._fetch()
        return rx.toast.success(out.message)

    @requires(Permission.APPROVE_SUBSCRIPTION_CHANGES)
    def cancel_reject(self):
        """Close the rejection form."""
        self.reject_id = 0


__all__ = ["ActionChoice", "SubscriptionsState"]
