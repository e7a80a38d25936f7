"""The invoice review queue: filters, sorting, server-side pages of 50, bulk approve and issue."""

import asyncio
from dataclasses import dataclass

import reflex as rx

from console import billing as svc
from console.billing import Choice, ReviewFilter, ReviewRow
from console.kernel.outcome import Outcome
from console.kernel.roles import Permission
from console.money import MoneyError, parse_major
from pages.components.state_helpers import percent, text_of
from pages.session import SessionState, requires

#: The status tabs: value sent to the service ("" = the queue: draft + on hold) and label.
STATUS_TABS: tuple[tuple[str, str], ...] = (
    ("", "To review"), ("draft", "Draft"), ("in_review", "On hold"), ("approved", "Approved"),
    ("issued", "Issued"), ("paid", "Paid"), ("void", "Void"),
    ("uncollectible", "Uncollectible"), ("all", "All"),
)
_TAB_VALUES = {value or "queue" for value, _ in STATUS_TABS}
#: Statuses a bulk action can take (approve drafts, issue approved invoices).
SELECTABLE = ("draft", "approved")
#: Invoices per bulk transaction batch (progress is shown between batches).
BULK_CHUNK = 10
#: Largest selection one bulk action takes.
MAX_SELECTED = 500


@dataclass(frozen=True)
class BulkResult:
    """The outcome of a bulk action for one invoice."""

    invoice_id: int
    label: str
    ok: bool
    message: str
    status: str


def _label(row: ReviewRow) -> str:
    return f"{row.customer_name} · {row.period}"


class ReviewState(SessionState):
    """/invoices: one page of invoices in state; the rest stays in the database."""

    tab: str = "queue"
    flag: str = ""
    customer: str = ""
    plan_id: str = ""
    run_id: str = ""
    currency: str = ""
    min_amount: str = ""
    max_amount: str = ""
    sort: str = "created"
    descending: bool = True
    page: int = 0
    pages: int = 1
    total: int = 0
    rows: list[ReviewRow] = []
    filter_error: str = ""
    flag_choices: list[Choice] = []
    plan_choices: list[Choice] = []
    run_choices: list[Choice] = []
    currency_choices: list[str] = []
    selected: list[int] = []
    page_all: bool = False
    bulk_running: bool = False
    bulk_action: str = ""
    bulk_progress: int = 0
    bulk_summary: str = ""
    results: list[BulkResult] = []
    _versions: dict[str, int] = {}
    _labels: dict[str, str] = {}

    # ------------------------------------------------------------------ reading

    def _status(self) -> str:
        return "" if self.tab == "queue" else self.tab

    def _filter(self) -> ReviewFilter:
        exp_currency = self.currency or "USD"
        low = parse_major(self.min_amount, exp_currency) if self.min_amount else None
        high = parse_major(self.max_amount, exp_currency) if self.max_amount else None
        return ReviewFilter(
            flag=self.flag, status=self._status(), customer=self.customer,
            plan_id=int(self.plan_id) if self.plan_id.isdigit() else None,
            bill_run_id=int(self.run_id) if self.run_id.isdigit() else None,
            min_amount_minor=low, max_amount_minor=high, currency=self.currency)

    def _fetch(self) -> None:
        try:
            f = self._filter()
        except MoneyError as exc:  # a preset amount that no longer parses: drop it
            self.filter_error = f"Amount: {exc}"
            self.min_amount = self.max_amount = ""
            f = self._filter()
        result = svc.review_page(f, sort=self.sort, descending=self.descending, page=self.page)
        self._show(result)

    def _show(self, result: svc.ReviewPage) -> None:
        self.rows, self.total, self.pages, self.page = (result.rows, result.total, result.pages,
                                                        result.page)
        # Keep the versions of selected rows fresh when they are on the page.
        for r in result.rows:
            if r.id in self.selected:
                self._versions[str(r.id)] = r.version
        self._sync()

    def _sync(self) -> None:
        """Whether every selectable row of the page is ticked (the header checkbox)."""
        ids = [r.id for r in self.rows if r.status in SELECTABLE]
        self.page_all = bool(ids) and all(i in self.selected for i in ids)

    def _choices(self) -> None:
        c = svc.review_choices()
        self.flag_choices, self.plan_choices = c.flags, c.plans
        self.run_choices, self.currency_choices = c.runs, c.currencies

    @requires(Permission.VIEW_INVOICES, quiet=True)
    def load(self):
        """Load the choices and the first page; ``?run=``, ``?flag=``, ``?status=`` preset
        the filters (links from the bill runs page)."""
        params = self.router.url.query_parameters
        self.filter_error = ""
        self.page = 0
        self.results, self.bulk_summary = [], ""
        self.selected, self._versions = [], {}
        run = str(params.get("run", "") or "")
        if run:
            self.run_id = run if run.isdigit() else ""
            self.flag = self.customer = self.plan_id = self.currency = ""
            self.min_amount = self.max_amount = ""
        flag = str(params.get("flag", "") or "")
        if flag:
            self.flag = flag[:40]
        status = str(params.get("status", "") or "")
        if status in _TAB_VALUES:
            self.tab = status
        self._choices()
        self._fetch()

    @requires(Permission.VIEW_INVOICES)
    def apply_filters(self, form_data: dict):
        """Apply the filter form and go back to the first page."""
        def pick(key: str, allowed: list[str]) -> str:
            value = text_of(form_data, key, 40)
            return value if value in allowed else ""

        currency = pick("currency", list(self.currency_choices))
        low, high = text_of(form_data, "min_amount", 24), text_of(form_data, "max_amount", 24)
        try:
            for text in (low, high):
                if text:
                    parse_major(text, currency or "USD")
        except MoneyError as exc:
            self.filter_error = f"Amount: {exc}"
            return
        self.flag = pick("flag", [c.value for c in self.flag_choices])
        self.plan_id = pick("plan_id", [c.value for c in self.plan_choices])
        self.run_id = pick("run_id", [c.value for c in self.run_choices])
        self.currency, self.min_amount, self.max_amount = currency, low, high
        self.customer = text_of(form_data, "customer", 100)
        self.filter_error = ""
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_INVOICES)
    def clear_filters(self):
        """Remove every filter (the status tab stays)."""
        self.flag = self.customer = self.plan_id = self.run_id = self.currency = ""
        self.min_amount = self.max_amount = self.filter_error = ""
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_INVOICES)
    def set_tab(self, tab: str):
        """Show another status (the review queue, approved, issued, ...)."""
        if tab not in _TAB_VALUES:
            return
        self.tab = tab
        self.page = 0
        self.selected, self._versions = [], {}
        self._fetch()

    @requires(Permission.VIEW_INVOICES)
    def sort_by(self, column: str):
        """Sort by a column; clicking it again flips the direction."""
        if column not in svc.SORTS:
            return
        self.descending = not self.descending if self.sort == column else column != "customer"
        self.sort = column
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_INVOICES)
    def next_page(self):
        """Show the next page."""
        if self.page + 1 < self.pages:
            self.page += 1
            self._fetch()

    @requires(Permission.VIEW_INVOICES)
    def prev_page(self):
        """Show the previous page."""
        if self.page > 0:
            self.page -= 1
            self._fetch()

    # ------------------------------------------------------------------ selection

    @requires(Permission.REVIEW_INVOICES)
    def toggle(self, invoice_id: int):
        """Tick or untick one invoice of the page."""
        row = next((r for r in self.rows if r.id == invoice_id), None)
        if row is None:
            return
        if invoice_id in self.selected:
            self.selected = [i for i in self.selected if i != invoice_id]
            self._versions.pop(str(invoice_id), None)
        elif len(self.selected) < MAX_SELECTED:
            self.selected = [*self.selected, invoice_id]
            self._versions[str(invoice_id)] = row.version
            self._labels[str(invoice_id)] = _label(row)
        self._sync()

    @requires(Permission.REVIEW_INVOICES)
    def select_page(self, checked: bool):
        """Tick (or untick) every draft or approved invoice of this page."""
        ids = [r.id for r in self.rows]
        if checked:
            extra = [r for r in self.rows if r.id not in self.selected and r.status in SELECTABLE]
            extra = extra[:max(0, MAX_SELECTED - len(self.selected))]
            self.selected = [*self.selected, *[r.id for r in extra]]
            for r in extra:
                self._versions[str(r.id)] = r.version
                self._labels[str(r.id)] = _label(r)
        else:
            self.selected = [i for i in self.selected if i not in ids]
            for i in ids:
                self._versions.pop(str(i), None)
        self._sync()

    @requires(Permission.REVIEW_INVOICES)
    def clear_selection(self):
        """Untick everything."""
        self.selected, self._versions, self._labels = [], {}, {}
        self.page_all = False

    # ------------------------------------------------------------------ bulk actions

    async def _bulk(self, action: str):
        """Run ``action`` (approve | issue) for the selection in batches, with progress."""
        async with self:
            if self.bulk_running or not self.selected:
                return
            items = [(i, self._versions.get(str(i), 0)) for i in self.selected]
            labels = dict(self._labels)
            user_id = self._actor_id()
            self.bulk_running, self.bulk_action, self.bulk_progress = True, action, 0
            self.results, self.bulk_summary = [], ""
        outcomes: list[Outcome] = []
        try:
            for start in range(0, len(items), BULK_CHUNK):
                chunk = items[start:start + BULK_CHUNK]
                if action == "approve":
                    done = await asyncio.to_thread(svc.approve_many_view, chunk, user_id=user_id)
                else:
                    done = await asyncio.to_thread(
                        lambda c=chunk: [svc.issue_view(i, v, user_id=user_id) for i, v in c])
                outcomes.extend(done)
                async with self:
                    self.bulk_progress = percent(len(outcomes), len(items))
        finally:
            ok = sum(1 for o in outcomes if o.ok)
            verb = "approved" if action == "approve" else "issued"
            async with self:
                self.results = [BulkResult(o.object_id, labels.get(str(o.object_id),
                                                                    f"#{o.object_id}"),
                                           o.ok, o.message, o.status) for o in outcomes]
                self.bulk_summary = (f"{ok} of {len(items)} invoices {verb}; "
                                     f"{len(outcomes) - ok} refused.")
                self.bulk_running, self.bulk_action = False, ""
                self.selected, self._versions, self._labels = [], {}, {}
                query = (self._filter(), self.sort, self.descending, self.page)
            result = await asyncio.to_thread(
                lambda: svc.review_page(query[0], sort=query[1], descending=query[2],
                                        page=query[3]))
            async with self:
                self._show(result)
        if ok == len(items):
            yield rx.toast.success(f"{ok} invoices {verb}.")
        else:
            yield rx.toast.warning(f"{ok} of {len(items)} invoices {verb}; see the results.")

    @rx.event(background=True)
    @requires(Permission.REVIEW_INVOICES)
    async def approve_selected(self):
        """Approve the ticked invoices (one transaction each; each outcome is listed)."""
        async for item in self._bulk("approve"):
            yield item

    @rx.event(background=True)
    @requires(Permission.REVIEW_INVOICES)
    async def issue_selected(self):
        """Issue the ticked approved invoices (numbers are assigned; each outcome listed)."""
        async for item in self._bulk("issue"):
            yield item
