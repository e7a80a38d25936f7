"""Customers: search, the customer view, billing details and the MRR ledger."""

from console.customers.queries.customers import (
    ALLOWED_TERMS,
    FILTER_CHOICES,
    SORTS,
    CustomerFilter,
    CustomerRow,
    DisputeItem,
    InvoiceItem,
    SubscriptionView,
    TimelineItem,
    customer_detail_view,
    customer_page,
    update_payment_terms,
)
from console.customers.usecases.ledger import (
    write_month,
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
