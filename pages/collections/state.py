"""Collections: the aging worklist, write-off approvals, dunning runs, CSV export, and one
customer's receivables with the actions finance takes on them."""

import asyncio
import uuid
from datetime import UTC, date, datetime, time

import reflex as rx

from console import collections as pay_svc
from console import collections as svc
from console.collections import (
    AGING_BUCKETS,
    AgingRow,
    AttemptRow,
    MessageRow,
    NoteRow,
    OpenInvoiceRow,
    WorklistFilter,
    WorklistRow,
    WriteOffRow,
)
from console.disputes import parse_amounts
from console.kernel.errors import ServiceError
from console.kernel.roles import Permission
from pages.session import SessionState, requires

CURRENCIES = ("USD", "EUR", "GBP")
NOTE, PROMISE = "Note", "Promise to pay"


def text_of(form_data: dict, key: str, limit: int = 2000) -> str:
    """A trimmed, length-limited text field of a submitted form."""
    return str(form_data.get(key, "") or "").strip()[:limit]


def day_of(text: str) -> date | None:
    """A YYYY-MM-DD date (None when blank or malformed)."""
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def today() -> date:
    """Today in UTC."""
    return datetime.now(UTC).date()


class CollectionsState(SessionState):
    """The worklist: one page in state, the rest in the database."""

    as_of: str = ""
    bucket: str = ""
    currency: str = ""
    text: str = ""
    sort: str = "oldest"
    page: int = 0
    pages: int = 1
    total: int = 0
    rows: list[WorklistRow] = []
    aging: list[AgingRow] = []
    write_offs: list[WriteOffRow] = []
    decidable: list[int] = []
    dunning_day: str = ""
    dunning_running: bool = False
    dunning_result: str = ""
    exporting: bool = False
    error: str = ""

    def _filter(self) -> WorklistFilter:
        return WorklistFilter(self.bucket, self.currency, self.text, self.sort)

    def _as_of(self) -> date:
        return day_of(self.as_of) or today()

    def _fetch(self) -> None:
        result = svc.worklist_view(self._filter(), as_of=self._as_of(), page=self.page)
        self.rows, self.total, self.pages, self.page = (result.rows, result.total,
                                                        result.pages, result.page)
        self.aging, self.as_of = result.aging, result.as_of
        self.write_offs = svc.pending_write_offs_view()
        me = self._actor_id()
        self.decidable = [w.id for w in self.write_offs if w.requested_by_id != me]

    @requires(Permission.VIEW_COLLECTIONS, quiet=True)
    def load(self):
        """Load the worklist as of today (on page load)."""
        self.as_of = today().isoformat()
        self.dunning_day = self.as_of
        self.page, self.error = 0, ""
        self._fetch()

    @requires(Permission.VIEW_COLLECTIONS)
    def apply_filters(self, form_data: dict):
        """Apply as-of date, bucket, currency, search and sort."""
        day = text_of(form_data, "as_of", 10)
        if day and day_of(day) is None:
            self.error = f"{day!r} is not a date like 2026-11-30."
            return
        self.error = ""
        self.as_of = day or today().isoformat()
        bucket = text_of(form_data, "bucket", 10)
        self.bucket = bucket if bucket in AGING_BUCKETS else ""
        cur = text_of(form_data, "currency", 3)
        self.currency = cur if cur in CURRENCIES else ""
        self.text = text_of(form_data, "text", 100)
        sort = text_of(form_data, "sort", 10)
        self.sort = sort if sort in svc.SORTS else "oldest"
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_COLLECTIONS)
    def show_bucket(self, bucket: str):
        """Only customers with a balance in ``bucket`` (clicking a total)."""
        self.bucket = bucket if bucket in AGING_BUCKETS and bucket != self.bucket else ""
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_COLLECTIONS)
    def next_page(self):
        """Show the next page."""
        if self.page + 1 < self.pages:
            self.page += 1
            self._fetch()

    @requires(Permission.VIEW_COLLECTIONS)
    def prev_page(self):
        """Show the previous page."""
        if self.page > 0:
            self.page -= 1
            self._fetch()

    @rx.event(background=True)
    @requires(Permission.VIEW_COLLECTIONS)
    async def export_csv(self):
        """Every open invoice matching the filters as CSV (built in a worker thread)."""
        async with self:
            self.exporting = True
            f, as_of, user_id = self._filter(), self._as_of(), self._actor_id()
        try:
            text = await asyncio.to_thread(svc.export_csv_view, f, user_id=user_id, as_of=as_of)
        except ServiceError as exc:
            async with self:
                self.exporting = False
            yield rx.toast.error(str(exc))
            return
        async with self:
            self.exporting = False
        yield rx.download(data=text, filename=f"receivables-{as_of.isoformat()}.csv")

    @rx.event(background=True)
    @requires(Permission.MANAGE_COLLECTIONS)
    async def run_dunning(self, form_data: dict):
        """One dunning pass up to the end of the chosen day (UTC), in a worker thread."""
        day = day_of(text_of(form_data, "day", 10))
        if day is None:
            yield rx.toast.error("Choose the day to run dunning for (YYYY-MM-DD).")
            return
        async with self:
            if self.dunning_running:
                return
            self.dunning_running, self.dunning_day = True, day.isoformat()
            user_id = self._actor_id()
        now = datetime.combine(day, time(23, 59, 59), UTC)
        try:
            report = await asyncio.to_thread(pay_svc.run_dunning_view, user_id=user_id,
                                             now=now)
            message, ok = report.summary(), not report.errors
        except ServiceError as exc:
            message, ok = str(exc), False
        async with self:
            self.dunning_running, self.dunning_result = False, message
            self._fetch()
        yield rx.toast.success(message) if ok else rx.toast.error(message)

    @requires(Permission.MANAGE_COLLECTIONS)
    def approve_write_off(self, request_id: int, version: int):
        """Approve a write-off (never your own: refused on the server)."""
        out = svc.decide_write_off_view(int(request_id), int(version), user_id=self._actor_id(),
                                        approve=True)
        self._fetch()
        return rx.toast.success(out.message) if out.ok else rx.toast.error(out.message)

    @requires(Permission.MANAGE_COLLECTIONS)
    def reject_write_off(self, form_data: dict):
        """Reject a write-off with a comment."""
        rid = text_of(form_data, "request_id", 20)
        version = text_of(form_data, "version", 20)
        if not (rid.isdigit() and version.isdigit()):
            return rx.toast.error("Reload the page and try again.")
        out = svc.decide_write_off_view(int(rid), int(version), user_id=self._actor_id(),
                                        approve=False, comment=text_of(form_data, "comment"))
        self._fetch()
        return rx.toast.success(out.message) if out.ok else rx.toast.error(out.message)


class CustomerCollectionsState(SessionState):
    """One customer's open receivables, attempts, emails and notes, and finance's actions."""

    found: bool = False
    message: str = ""
    customer_id: int = 0
    code: str = ""
    name: str = ""
    email: str = ""
    status: str = ""
    currency: str = ""
    payment_token: str = ""
    payment_terms: str = ""
    open_total: str = ""
    as_of: str = ""
    invoices: list[OpenInvoiceRow] = []
    notes: list[NoteRow] = []
    attempts: list[AttemptRow] = []
    messages: list[MessageRow] = []
    write_offs: list[WriteOffRow] = []
    note_kind: str = "note"
    error: str = ""
    _nonce: str = ""

    def _show(self, customer_id: int) -> None:
        try:
            d = svc.customer_collections_view(customer_id)
        except ServiceError as exc:
            self.found, self.message = False, str(exc)
            return
        self.found = True
        for key in ("customer_id", "code", "name", "email", "status", "currency",
                    "payment_token", "payment_terms", "open_total", "as_of", "invoices",
                    "notes", "attempts", "messages", "write_offs"):
            setattr(self, key, getattr(d, key))

    @requires(Permission.VIEW_COLLECTIONS, quiet=True)
    def load(self):
        """Load the customer named by the route."""
        raw = str(self.router.url).split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        self.error, self._nonce = "", uuid.uuid4().hex[:12]
        if not raw.isdigit():
            self.found, self.message = False, "No such customer."
            return
        self._show(int(raw))

    def _after(self, ok: bool, message: str):
        self._show(self.customer_id)
        self.error = "" if ok else message
        return rx.toast.success(message) if ok else rx.toast.error(message)

    @requires(Permission.MANAGE_COLLECTIONS)
    def charge(self, invoice_id: int):
        """Charge the card on file now. The idempotency key lasts until the page is reloaded,
        so a double click never charges twice."""
        key = f"ui-{int(invoice_id)}-{self._nonce}"
        out = pay_svc.charge_invoice_view(int(invoice_id), user_id=self._actor_id(),
                                          idempotency_key=key)
        return self._after(out.ok, out.message)

    @requires(Permission.MANAGE_COLLECTIONS)
    def record_payment(self, form_data: dict):
        """Record a bank transfer or cheque against an invoice."""
        invoice_id = text_of(form_data, "invoice_id", 20)
        row = next((i for i in self.invoices if str(i.id) == invoice_id), None)
        if row is None:
            return self._after(False, "Choose an open invoice.")
        try:
            amount = parse_amounts({row.id: text_of(form_data, "amount", 40)}, row.currency)
        except ServiceError as exc:
            return self._after(False, str(exc))
        if row.id not in amount:
            return self._after(False, "Type the amount received.")
        out = pay_svc.record_payment_view(row.id, amount[row.id], user_id=self._actor_id(),
                                          method=text_of(form_data, "method", 16) or
                                          "bank_transfer",
                                          reference=text_of(form_data, "reference", 64))
        return self._after(out.ok, out.message)

    @requires(Permission.MANAGE_COLLECTIONS)
    def update_token(self, form_data: dict):
        """Store the customer's new payment method token."""
        out = pay_svc.update_payment_token_view(self.customer_id, text_of(form_data, "token",
                                                                          64),
                                                user_id=self._actor_id(),
                                                reason=text_of(form_data, "reason"))
        return self._after(out.ok, out.message)

    @requires(Permission.MANAGE_COLLECTIONS)
    def set_note_kind(self, kind: str):
        """Switch the note form between a note and a promise to pay."""
        self.note_kind = "promise_to_pay" if kind in ("promise_to_pay", PROMISE) else "note"

    @requires(Permission.MANAGE_COLLECTIONS)
    def add_note(self, form_data: dict):
        """Add a note or a promise to pay."""
        invoice = text_of(form_data, "invoice_id", 20)
        out = svc.add_note_view(self.customer_id, text_of(form_data, "body"),
                                user_id=self._actor_id(), kind=self.note_kind,
                                invoice_id=int(invoice) if invoice.isdigit() else None,
                                promised_on=text_of(form_data, "promised_on", 10),
                                promised_amount=text_of(form_data, "promised_amount", 40))
        return self._after(out.ok, out.message)

    @requires(Permission.MANAGE_COLLECTIONS)
    def request_write_off(self, form_data: dict):
        """Ask another finance user to write an invoice off."""
        invoice = text_of(form_data, "invoice_id", 20)
        if not invoice.isdigit():
            return self._after(False, "Choose an open invoice.")
        out = svc.request_write_off_view(int(invoice), text_of(form_data, "reason"),
                                         user_id=self._actor_id())
        return self._after(out.ok, out.message)
