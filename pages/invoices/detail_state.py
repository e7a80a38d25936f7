"""One invoice: lines, the usage behind them, earlier invoices, history, reviewer actions and
credit notes. Every action sends the version the page was loaded at; a stale version is refused
by the service (nothing changes) and its message is shown."""

from dataclasses import dataclass

import plotly.graph_objects as go
import reflex as rx

from console import billing as cn
from console import billing as exports
from console import billing as svc
from console import disputes as credit_decisions
from console.audit import AuditRow
from console.billing import CreditNoteRow, EventRow, FlagView, InvoiceSummary, LineView
from console.kernel.errors import ServiceError
from console.kernel.outcome import Outcome
from console.kernel.roles import Permission
from console.money import MoneyError, parse_major
from pages.components.state_helpers import route_id, text_of
from pages.session import SessionState, requires

EVENTS_PAGE = 20
DIALOGS = ("hold", "void", "uncollectible", "edit", "credit", "reject")


@dataclass(frozen=True)
class UsageOption:
    """A usage line whose usage can be shown."""

    line_id: int
    label: str


@dataclass(frozen=True)
class PendingDecision:
    """A credit note of this invoice waiting for a second finance user."""

    id: int
    total: str
    reason: str
    requested_by: str
    created: str
    mine: bool


class InvoiceState(SessionState):
    """/invoices/[invoice_id]."""

    found: bool = False
    message: str = ""
    invoice_id: int = 0
    number: str = ""
    status: str = ""
    version: int = 0
    customer_id: int = 0
    customer_code: str = ""
    customer_name: str = ""
    plan: str = ""
    period: str = ""
    currency: str = ""
    subtotal: str = ""
    tax: str = ""
    total: str = ""
    credited: str = ""
    paid: str = ""
    balance: str = ""
    hold_reason: str = ""
    created: str = ""
    issued: str = ""
    due: str = ""
    bill_run_id: int = 0
    flags: list[FlagView] = []
    lines: list[LineView] = []
    previous: list[InvoiceSummary] = []
    history: list[AuditRow] = []
    credit_notes: list[CreditNoteRow] = []
    pending: list[PendingDecision] = []
    actions: list[str] = []
    action_error: str = ""
    dialog: str = ""
    # usage behind a usage line
    usage_options: list[UsageOption] = []
    usage_line_id: int = 0
    usage_figure: go.Figure = go.Figure()
    events: list[EventRow] = []
    events_page: int = 0
    events_pages: int = 1
    events_total: int = 0
    # line editor
    edit_line_id: int = 0
    edit_label: str = ""
    edit_description: str = ""
    edit_quantity: str = ""
    edit_error: str = ""
    # credit note
    credit_checked: bool = False
    credit_amount: str = ""
    credit_tax: str = ""
    credit_total: str = ""
    credit_needs_approval: bool = False
    credit_error: str = ""
    credit_reason: str = ""
    reject_id: int = 0
    reject_error: str = ""
    _invoice_id: int = 0
    _version: int = 0
    _currency: str = "USD"
    _credit_lines: dict[str, int] = {}
    _credit_full: bool = False
    _pending_versions: dict[str, int] = {}

    # ------------------------------------------------------------------ reading

    def _show(self, invoice_id: int) -> None:
        try:
            d = svc.invoice_detail_view(invoice_id)
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found, self.message = True, ""
        self._invoice_id, self._version, self._currency = d.id, d.version, d.currency
        self.invoice_id, self.version = d.id, d.version
        for key in ("number", "status", "customer_id", "customer_code", "customer_name", "plan",
                    "period", "currency", "subtotal", "tax", "total", "credited", "paid",
                    "balance", "hold_reason", "created", "issued", "due"):
            setattr(self, key, getattr(d, key))
        self.bill_run_id = d.bill_run_id or 0
        self.flags, self.lines = list(d.flags), list(d.lines)
        self.previous, self.history = list(d.previous), list(d.history)
        self.credit_notes, self.actions = list(d.credit_notes), list(d.actions)
        me = self._actor_id()
        waiting = cn.pending_credits_view(invoice_id=d.id)
        self.pending = [PendingDecision(p.id, p.total, p.reason, p.requested_by, p.created,
                                        p.requested_by_id == me) for p in waiting]
        self._pending_versions = {str(p.id): p.version for p in waiting}
        self.usage_options = [UsageOption(u.line_id, u.meter or f"line {u.line_id}")
                              for u in d.usage]
        shown = next((u for u in d.usage if u.line_id == self.usage_line_id), None)
        shown = shown or (d.usage[0] if d.usage else None)
        if shown is None:
            self.usage_line_id, self.events, self.events_total = 0, [], 0
            self.events_page, self.events_pages = 0, 1
            self.usage_figure = go.Figure()
            return
        self.usage_line_id = shown.line_id
        self._chart(shown.meter, list(shown.daily))
        self.events, self.events_total = list(shown.events), shown.events_total
        self.events_page = 0
        self.events_pages = max(1, -(-shown.events_total // EVENTS_PAGE))

    def _chart(self, meter: str, daily: list) -> None:
        fig = go.Figure(go.Bar(x=[p.day for p in daily], y=[p.value for p in daily],
                               customdata=[[p.quantity, p.events] for p in daily],
                               hovertemplate="%{x}<br>%{customdata[0]} units"
                                             "<br>%{customdata[1]} events<extra></extra>",
                               name=meter))
        fig.update_layout(height=240, margin={"l": 40, "r": 10, "t": 24, "b": 30},
                          title={"text": f"{meter}: daily usage", "font": {"size": 13}},
                          template="plotly_white", bargap=0.15)
        self.usage_figure = fig

    @requires(Permission.VIEW_INVOICES, quiet=True)
    def load(self):
        """Load the invoice named by the route."""
        self.found, self.action_error, self.dialog = False, "", ""
        self.credit_checked = False
        invoice_id = route_id(self.router.url)
        if invoice_id is None:
            self.message = "No such invoice."
            return
        self.usage_line_id = 0
        self._show(invoice_id)

    @requires(Permission.VIEW_INVOICES)
    def reload(self):
        """Load the invoice again (after someone else changed it)."""
        self.action_error = ""
        if self._invoice_id:
            self._show(self._invoice_id)

    @requires(Permission.VIEW_INVOICES)
    def show_usage(self, line_id: str):
        """Show the usage behind another usage line."""
        if not str(line_id).isdigit() or not self._invoice_id:
            return
        self.usage_line_id = int(line_id)
        self._show(self._invoice_id)

    def _events(self) -> None:
        try:
            rows, total = svc.line_events_view(self.usage_line_id, self.events_page, EVENTS_PAGE)
        except ServiceError as exc:
            self.action_error = str(exc)
            return
        self.events, self.events_total = rows, total
        self.events_pages = max(1, -(-total // EVENTS_PAGE))

    @requires(Permission.VIEW_INVOICES)
    def events_next(self):
        """The next page of usage events."""
        if self.events_page + 1 < self.events_pages:
            self.events_page += 1
            self._events()

    @requires(Permission.VIEW_INVOICES)
    def events_prev(self):
        """The previous page of usage events."""
        if self.events_page > 0:
            self.events_page -= 1
            self._events()

    @requires(Permission.VIEW_INVOICES)
    def download_pdf(self):
        """Download the invoice as PDF."""
        try:
            f = exports.invoice_pdf_file(self._invoice_id)
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        return rx.download(data=f.content, filename=f.filename, mime_type=f.media_type)

    @requires(Permission.VIEW_INVOICES)
    def download_csv(self):
        """Download the invoice's lines as CSV."""
        try:
            f = exports.invoice_csv_file(self._invoice_id)
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        return rx.download(data=f.content.decode("utf-8"), filename=f.filename,
                           mime_type=f.media_type)

    # ------------------------------------------------------------------ dialogs

    @requires(Permission.REVIEW_INVOICES)
    def open_dialog(self, name: str):
        """Open the hold, void, uncollectible or credit dialog."""
        if name in DIALOGS:
            self.dialog = name
            self.edit_error = self.credit_error = self.reject_error = ""
            if name == "credit":
                self.credit_checked = False

    @requires(Permission.VIEW_INVOICES)
    def dialog_changed(self, is_open: bool):
        """Close the dialog (Escape, outside click or Cancel)."""
        if not is_open:
            self.dialog = ""

    @requires(Permission.REVIEW_INVOICES)
    def open_edit(self, line_id: int):
        """Open the line editor for one line."""
        line = next((x for x in self.lines if x.id == line_id), None)
        if line is None:
            return
        self.edit_line_id, self.edit_label = line.id, f"Line {line.position}: {line.amount}"
        self.edit_description, self.edit_quantity = line.description, line.quantity
        self.edit_error = ""
        self.dialog = "edit"

    # ------------------------------------------------------------------ actions

    def _after(self, outcome: Outcome):
        if not outcome.ok:
            self.action_error = outcome.message
            return rx.toast.error(outcome.message)
        self.action_error, self.dialog = "", ""
        self._show(self._invoice_id)
        return rx.toast.success(outcome.message)

    @requires(Permission.REVIEW_INVOICES)
    def approve(self):
        """Approve this draft."""
        return self._after(svc.approve_view(self._invoice_id, self._version,
                                            user_id=self._actor_id()))

    @requires(Permission.REVIEW_INVOICES)
    def release_hold(self):
        """Release the hold (back to draft)."""
        return self._after(svc.release_hold_view(self._invoice_id, self._version,
                                                 user_id=self._actor_id()))

    @requires(Permission.REVIEW_INVOICES)
    def issue(self):
        """Issue this approved invoice (assigns its number)."""
        return self._after(svc.issue_view(self._invoice_id, self._version,
                                          user_id=self._actor_id()))

    @requires(Permission.REVIEW_INVOICES)
    def mark_paid(self):
        """Record a payment of the open balance."""
        return self._after(svc.mark_paid_view(self._invoice_id, self._version,
                                              user_id=self._actor_id()))

    @requires(Permission.REVIEW_INVOICES)
    def hold(self, form_data: dict):
        """Put the invoice on hold with a reason."""
        return self._after(svc.hold_view(self._invoice_id, self._version,
                                         text_of(form_data, "reason"),
                                         user_id=self._actor_id()))

    @requires(Permission.REVIEW_INVOICES)
    def void(self, form_data: dict):
        """Void the invoice with a reason."""
        return self._after(svc.void_view(self._invoice_id, self._version,
                                         text_of(form_data, "reason"),
                                         user_id=self._actor_id()))

    @requires(Permission.REVIEW_INVOICES)
    def mark_uncollectible(self, form_data: dict):
        """Mark the issued invoice uncollectible with a reason."""
        return self._after(svc.mark_uncollectible_view(self._invoice_id, self._version,
                                                       text_of(form_data, "reason"),
                                                       user_id=self._actor_id()))

    @requires(Permission.REVIEW_INVOICES)
    def save_edit(self, form_data: dict):
        """Save the edited line (amount in major units, quantity, description) with a reason."""
        line = next((x for x in self.lines if x.id == self.edit_line_id), None)
        if line is None:
            self.edit_error = "That line is no longer on this invoice; reload."
            return None
        amount_text = text_of(form_data, "amount", 40)
        quantity = text_of(form_data, "quantity", 40)
        description = text_of(form_data, "description", 500)
        amount = None
        if amount_text:
            try:
                amount = parse_major(amount_text, self._currency)
            except MoneyError as exc:
                self.edit_error = f"Amount: {exc}"
                return None
        outcome = svc.edit_line_view(
            self._invoice_id, self._version, line.id, text_of(form_data, "reason"),
            user_id=self._actor_id(), amount_minor=amount,
            quantity=quantity if quantity and quantity != line.quantity else None,
            description=description if description and description != line.description
            else None)
        if not outcome.ok:
            self.edit_error = outcome.message
            return rx.toast.error(outcome.message)
        self.edit_error = ""
        return self._after(outcome)

    # ------------------------------------------------------------------ credit notes

    def _requested(self, form_data: dict) -> tuple[dict[int, int] | None, bool, str]:
        """(line id -> minor units, full?, error) from the credit form."""
        full = str(form_data.get("full", "") or "") in ("on", "true", "True", "1")
        if full:
            return None, True, ""
        lines: dict[int, int] = {}
        for x in self.lines:
            text = text_of(form_data, f"line_{x.id}", 40)
            if not text:
                continue
            try:
                lines[x.id] = parse_major(text, self._currency)
            except MoneyError as exc:
                return None, False, f"Line {x.position}: {exc}"
        if not lines:
            return None, False, "Enter an amount on at least one line, or credit everything."
        return lines, False, ""

    @requires(Permission.ISSUE_CREDIT_NOTES)
    def preview_credit(self, form_data: dict):
        """Check a credit against the caps and show its totals (nothing is written)."""
        lines, full, error = self._requested(form_data)
        self.credit_checked = False
        if error:
            self.credit_error = error
            return
        self.credit_reason = text_of(form_data, "reason")
        if not self.credit_reason:
            self.credit_error = "A reason is required for a credit note."
            return
        p = cn.preview_credit(self._invoice_id, lines=lines, full=full)
        if not p.ok:
            self.credit_error = p.message
            return
        self._credit_lines = {str(k): v for k, v in (lines or {}).items()}
        self._credit_full = full
        self.credit_error = ""
        self.credit_checked = True
        self.credit_amount, self.credit_tax, self.credit_total = p.amount, p.tax, p.total
        self.credit_needs_approval = p.needs_approval

    @requires(Permission.ISSUE_CREDIT_NOTES)
    def edit_credit(self):
        """Go back from the preview to the credit form."""
        self.credit_checked = False

    @requires(Permission.ISSUE_CREDIT_NOTES)
    def create_credit(self):
        """Create the previewed credit note (issued, or pending a second finance user)."""
        if not self.credit_checked:
            return None
        out = cn.create_credit_note_view(
            self._invoice_id, user_id=self._actor_id(), reason=self.credit_reason,
            lines={int(k): v for k, v in self._credit_lines.items()} or None,
            full=self._credit_full)
        if not out.ok:
            self.credit_error, self.credit_checked = out.message, False
            return rx.toast.error(out.message)
        self.dialog, self.credit_checked, self.action_error = "", False, ""
        self._show(self._invoice_id)
        return rx.toast.success(out.message)

    @requires(Permission.APPROVE_CREDITS)
    def approve_credit(self, credit_note_id: int):
        """Approve a pending credit note (another finance user than its creator)."""
        version = self._pending_versions.get(str(credit_note_id), 0)
        out = credit_decisions.approve_credit_note_view(credit_note_id, version,
                                                        user_id=self._actor_id())
        if not out.ok:
            self.action_error = out.message
            return rx.toast.error(out.message)
        self.action_error = ""
        self._show(self._invoice_id)
        return rx.toast.success(out.message)

    @requires(Permission.APPROVE_CREDITS)
    def open_reject(self, credit_note_id: int):
        """Open the reject dialog for a pending credit note."""
        self.reject_id, self.reject_error, self.dialog = credit_note_id, "", "reject"

    @requires(Permission.APPROVE_CREDITS)
    def reject_credit(self, form_data: dict):
        """Reject the pending credit note with a reason."""
        version = self._pending_versions.get(str(self.reject_id), 0)
        out = credit_decisions.reject_credit_note_view(
            self.reject_id, version, text_of(form_data, "reason"), user_id=self._actor_id())
        if not out.ok:
            self.reject_error = out.message
            return rx.toast.error(out.message)
        self.dialog = ""
        self._show(self._invoice_id)
        return rx.toast.success(out.message)
