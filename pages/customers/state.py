"""Customers list (server-side filters and pagination) and customer detail."""

import plotly.graph_objects as go
import reflex as rx

from console import customers as svc
from console.collections import MessageRow, customer_messages_view
from console.customers import (
    CustomerFilter,
    CustomerRow,
    DisputeItem,
    InvoiceItem,
    TimelineItem,
)
from console.kernel.errors import NotFound, ServiceError
from console.kernel.roles import Permission
from pages.session import SessionState, requires


class CustomersState(SessionState):
    """The customers table: one page of rows in state, the rest stays in the database."""

    text: str = ""
    segment: str = ""
    region: str = ""
    currency: str = ""
    status: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 0
    pages: int = 1
    total: int = 0
    rows: list[CustomerRow] = []

    def _fetch(self) -> None:
        f = CustomerFilter(self.text, self.segment, self.region, self.currency, self.status,
                           self.sort, self.descending)
        result = svc.customer_page(f, self.page)
        self.rows, self.total, self.pages, self.page = (result.rows, result.total, result.pages,
                                                        result.page)

    @requires(Permission.VIEW_CUSTOMERS, quiet=True)
    def load(self):
        """Load the first page (on page load)."""
        self._fetch()

    @requires(Permission.VIEW_CUSTOMERS)
    def apply_filters(self, form_data: dict):
        """Apply the filter form and go back to the first page."""
        def pick(key: str, allowed: list[str]) -> str:
            value = str(form_data.get(key, "") or "")
            return value if value in allowed else ""

        self.text = str(form_data.get("text", ""))[:100]
        self.segment = pick("segment", svc.FILTER_CHOICES["segment"])
        self.region = pick("region", svc.FILTER_CHOICES["region"])
        self.currency = pick("currency", svc.FILTER_CHOICES["currency"])
        self.status = pick("status", svc.FILTER_CHOICES["status"])
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_CUSTOMERS)
    def sort_by(self, column: str):
        """Sort by a column; clicking it again flips the direction."""
        if column not in svc.SORTS:
            return
        self.descending = not self.descending if self.sort == column else column == "mrr"
        self.sort = column
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_CUSTOMERS)
    def next_page(self):
        """Show the next page."""
        if self.page + 1 < self.pages:
            self.page += 1
            self._fetch()

    @requires(Permission.VIEW_CUSTOMERS)
    def prev_page(self):
        """Show the previous page."""
        if self.page > 0:
            self.page -= 1
            self._fetch()


class CustomerDetailState(SessionState):
    """One customer: subscriptions, timeline, invoices, disputes and a usage chart."""

    found: bool = False
    message: str = ""
    code: str = ""
    name: str = ""
    email: str = ""
    segment: str = ""
    region: str = ""
    country: str = ""
    currency: str = ""
    status: str = ""
    payment_terms: str = ""
    legal_name: str = ""
    address: str = ""
    tax_id: str = ""
    mrr: str = ""
    credit_balance: str = ""
    created: str = ""
    timeline: list[TimelineItem] = []
    invoices: list[InvoiceItem] = []
    disputes: list[DisputeItem] = []
    messages: list[MessageRow] = []
    customer_id: int = 0
    usage_figure: go.Figure = go.Figure()
    payment_terms_days: int = 30
    _customer_id: int = 0
    _version: int = 0
    terms_error: str = ""

    @requires(Permission.VIEW_CUSTOMERS, quiet=True)
    def load(self):
        """Load the customer named by the route."""
        raw = str(self.router.url).split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        self.found = False
        if not raw.isdigit():
            self.message = "No such customer."
            return None
        self._show(int(raw))
        from pages.customers.subscription_state import SubscriptionsState
        return SubscriptionsState.load if self.found else None

    def _show(self, customer_id: int) -> None:
        try:
            d = svc.customer_detail_view(customer_id)
        except NotFound as exc:
            self.message = str(exc)
            return
        self.found = True
        self._customer_id, self._version = d.id, d.version
        self.payment_terms_days = d.payment_terms_days
        self.terms_error = ""
        for key in ("code", "name", "email", "segment", "region", "country", "currency",
                    "status", "payment_terms", "legal_name", "address", "tax_id", "mrr",
                    "credit_balance", "created", "timeline", "invoices",
                    "disputes"):
            setattr(self, key, getattr(d, key))
        self.messages = customer_messages_view(d.id, limit=20)
        self.customer_id = d.id
        fig = go.Figure()
        meters = sorted({p.meter for p in d.usage})
        for meter in meters:
            pts = [p for p in d.usage if p.meter == meter]
            fig.add_trace(go.Scatter(x=[p.day for p in pts], y=[p.quantity for p in pts],
                                     mode="lines", name=meter))
        fig.update_layout(height=280, margin={"l": 40, "r": 10, "t": 10, "b": 30},
                          legend={"orientation": "h"}, template="plotly_white")
        self.usage_figure = fig

    @requires(Permission.MANAGE_COLLECTIONS)
    def save_terms(self, form_data: dict):
        """Change payment terms with a reason (finance); refused if the customer changed."""
        try:
            days = int(str(form_data.get("days", "")))
        except ValueError:
            self.terms_error = "Choose the payment terms."
            return None
        try:
            svc.update_payment_terms(self._actor_id(), customer_id=self._customer_id, days=days,
                                     reason=str(form_data.get("reason", "")),
                                     expected_version=self._version)
        except ServiceError as exc:
            self.terms_error = str(exc)
            return None
        self.terms_error = ""
        self._show(self._customer_id)
        return rx.toast.success("Payment terms changed.")
