"""The disputes queue (views, filters, SLA countdowns, bulk assignment) and the new-dispute form."""

from datetime import UTC, datetime

import reflex as rx

from console import disputes as svc
from console import disputes as views
from console.disputes import DisputeRow, FormLine, InvoiceChoice, OwnerChoice, QueueFilter
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from pages.session import SessionState, requires


def text_of(form_data: dict, key: str, limit: int = 5000) -> str:
    """A trimmed, length-limited text field of a submitted form."""
    return str(form_data.get(key, "") or "").strip()[:limit]


def int_of(value: object) -> int | None:
    """A positive whole number from a form or a query parameter (None otherwise)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


class DisputesState(SessionState):
    """The queue: one page of cases in state; counts per tab; selection for bulk assignment."""

    view: str = "active"
    reason: str = ""
    text: str = ""
    page: int = 0
    pages: int = 1
    total: int = 0
    rows: list[DisputeRow] = []
    count_active: int = 0
    count_mine: int = 0
    count_unassigned: int = 0
    count_due_soon: int = 0
    count_overdue: int = 0
    owners: list[OwnerChoice] = []
    selected: list[int] = []
    refreshed: str = ""

    def _fetch(self) -> None:
        result = views.queue_view(QueueFilter(self.view, self.reason, self.text),
                                  user_id=self._actor_id(), page=self.page)
        self.rows, self.total, self.pages, self.page = (result.rows, result.total,
                                                        result.pages, result.page)
        c = result.counts
        self.count_active, self.count_mine, self.count_unassigned = (c.active, c.mine,
                                                                     c.unassigned)
        self.count_due_soon, self.count_overdue = c.due_soon, c.overdue
        visible = {r.id for r in self.rows}
        self.selected = [i for i in self.selected if i in visible]
        self.refreshed = datetime.now(UTC).strftime("%H:%M UTC")

    @requires(Permission.VIEW_DISPUTES, quiet=True)
    def load(self):
        """Load the queue (on page load); ``?view=mine`` etc. opens a tab."""
        params = self.router.url.query_parameters
        view = str(params.get("view", "") or "")
        if view in views.VIEWS:
            self.view = view
        self.page = 0
        self.selected = []
        self.owners = views.owner_choices_view()
        self._fetch()

    @requires(Permission.VIEW_DISPUTES)
    def set_view(self, view: str):
        """Switch tab (my cases, unassigned, due soon, overdue, ...)."""
        if view in views.VIEWS:
            self.view = view
            self.page = 0
            self._fetch()

    @requires(Permission.VIEW_DISPUTES)
    def apply_filters(self, form_data: dict):
        """Filter by reason and customer (or #id)."""
        reason = text_of(form_data, "reason", 40)
        self.reason = reason if reason in dict(views.reason_choices()) else ""
        self.text = text_of(form_data, "text", 100)
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_DISPUTES)
    def refresh(self):
        """Reload the page (the countdowns move on)."""
        self._fetch()

    @requires(Permission.VIEW_DISPUTES)
    def next_page(self):
        """Show the next page."""
        if self.page + 1 < self.pages:
            self.page += 1
            self._fetch()

    @requires(Permission.VIEW_DISPUTES)
    def prev_page(self):
        """Show the previous page."""
        if self.page > 0:
            self.page -= 1
            self._fetch()

    @requires(Permission.WORK_DISPUTES)
    def toggle(self, dispute_id: int):
        """Select or unselect a case for bulk assignment."""
        if dispute_id in self.selected:
            self.selected = [i for i in self.selected if i != dispute_id]
        elif any(r.id == dispute_id for r in self.rows):
            self.selected = [*self.selected, dispute_id]

    @requires(Permission.WORK_DISPUTES)
    def bulk_assign(self, form_data: dict):
        """Give every selected case to the chosen owner (``me`` or a user id; empty unassigns)."""
        if not self.selected:
            return rx.toast.error("Select the cases to assign first.")
        choice = text_of(form_data, "owner", 20)
        owner = self._actor_id() if choice == "me" else int_of(choice)
        outcomes = svc.bulk_assign_view(list(self.selected), owner, user_id=self._actor_id())
        failed = [o.message for o in outcomes if not o.ok]
        done = len(outcomes) - len(failed)
        self.selected = []
        self._fetch()
        if failed:
            return rx.toast.error(f"{done} assigned; {len(failed)} refused: {failed[0]}")
        return rx.toast.success(f"{done} case(s) assigned.")


class NewDisputeState(SessionState):
    """Open a dispute from a customer (choose the invoice) or straight from an invoice."""

    found: bool = False
    message: str = ""
    customer_id: int = 0
    customer_code: str = ""
    customer_name: str = ""
    currency: str = ""
    invoices: list[InvoiceChoice] = []
    invoice_id: int = 0
    invoice_label: str = ""
    lines: list[FormLine] = []
    busy_dispute_id: int = 0
    error: str = ""

    def _show(self, *, customer_id: int | None, invoice_id: int | None) -> None:
        try:
            form = views.new_dispute_form_view(customer_id=customer_id, invoice_id=invoice_id)
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found = True
        for key in ("customer_id", "customer_code", "customer_name", "currency", "invoices",
                    "invoice_id", "invoice_label", "lines", "busy_dispute_id"):
            setattr(self, key, getattr(form, key))

    @requires(Permission.WORK_DISPUTES, quiet=True)
    def load(self):
        """Read ``customer_id`` / ``invoice_id`` from the query string."""
        params = self.router.url.query_parameters
        self.error = ""
        self._show(customer_id=int_of(params.get("customer_id")),
                   invoice_id=int_of(params.get("invoice_id")))

    @requires(Permission.WORK_DISPUTES)
    def choose_invoice(self, value: str):
        """Show the chosen invoice's lines (empty: a dispute without an invoice)."""
        self.error = ""
        self._show(customer_id=self.customer_id, invoice_id=int_of(value))

    @requires(Permission.WORK_DISPUTES)
    def submit(self, form_data: dict):
        """Open the dispute and go to its case page."""
        owner_choice = text_of(form_data, "owner", 20)
        owner = self._actor_id() if owner_choice == "me" else int_of(owner_choice)
        try:
            if self.invoice_id:
                texts = {x.id: text_of(form_data, f"line_{x.id}", 40) for x in self.lines}
                lines, amount = views.parse_amounts(texts, self.currency), None
            else:
                parsed = views.parse_amounts({0: text_of(form_data, "amount", 40)},
                                             self.currency)
                lines, amount = None, parsed.get(0)
        except ServiceError as exc:
            self.error = str(exc)
            return None
        out = svc.open_dispute_view(
            user_id=self._actor_id(), customer_id=self.customer_id,
            reason=text_of(form_data, "reason", 40),
            description=text_of(form_data, "description"),
            invoice_id=self.invoice_id or None, lines=lines, amount_minor=amount,
            owner_id=owner)
        if not out.ok:
            self.error = out.message
            return rx.toast.error(out.message)
        self.error = ""
        return [rx.toast.success(out.message), rx.redirect(f"/disputes/{out.object_id}")]
