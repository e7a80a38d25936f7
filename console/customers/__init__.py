"""Customers: search, the customer view, billing details and the MRR ledger."""

from console.customers.domain.details import (
    ALLOWED_TERMS,
    FIELDS,
    REGION_LABELS,
    REGIONS,
    SEGMENT_LABELS,
    SEGMENTS,
    CustomerDetails,
    country_name,
    parse_details,
)
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
from console.customers.usecases.details import (
    create_customer,
    create_customer_view,
    update_customer,
    update_customer_view,
)
from console.customers.usecases.ledger import (
    latest_ledger_month,
    refresh_customer,
    sync_month,
    write_month,
)
from console.customers.usecases.payment_terms import (
    update_payment_terms,
)

__all__ = [
    "ALLOWED_TERMS",
    "FIELDS",
    "FILTER_CHOICES",
    "REGIONS",
    "REGION_LABELS",
    "SEGMENTS",
    "SEGMENT_LABELS",
    "SORTS",
    "CustomerDetails",
    "CustomerFilter",
    "CustomerRow",
    "DisputeItem",
    "InvoiceItem",
    "SubscriptionView",
    "TimelineItem",
    "country_name",
    "create_customer",
    "create_customer_view",
    "customer_detail_view",
    "customer_page",
    "latest_ledger_month",
    "parse_details",
    "refresh_customer",
    "sync_month",
    "update_customer",
    "update_customer_view",
    "update_payment_terms",
    "write_month",
]
