"""Customers: search, the customer view, billing details and the MRR ledger."""

from console.customers.queries.customer_detail import (
    DisputeItem,
    InvoiceItem,
    SubscriptionView,
    TimelineItem,
    customer_detail_view,
)
from console.customers.queries.customer_search import (
    FILTER_CHOICES,
    SORTS,
    CustomerFilter,
    CustomerRow,
    customer_page,
)
from console.customers.usecases.ledger import (
    write_month,
)
from console.customers.usecases.payment_terms import (
    ALLOWED_TERMS,
    update_payment_terms,
)

__all__ = [
    "ALLOWED_TERMS",
    "FILTER_CHOICES",
    "SORTS",
    "CustomerFilter",
    "CustomerRow",
    "DisputeItem",
    "InvoiceItem",
    "SubscriptionView",
    "TimelineItem",
    "customer_detail_view",
    "customer_page",
    "update_payment_terms",
    "write_month",
]
