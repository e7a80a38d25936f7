"""Customer rules: the status and MRR a customer has given their subscriptions. Pure Python
(no database, no UI)."""

from console.customers.domain.status import (
    BILLING_STATUSES,
    CustomerStatus,
    SubscriptionFacts,
    customer_mrr_minor,
    customer_status,
    leading_plan_version_id,
)

__all__ = [
    "BILLING_STATUSES", "CustomerStatus", "SubscriptionFacts", "customer_mrr_minor",
    "customer_status", "leading_plan_version_id",
]
