"""A customer's status and MRR, read off their subscriptions (pure rules).

* MRR is the sum of the MRR of the subscriptions that bill: ``active`` and ``past_due``
  (a trial does not bill yet; a canceled subscription no longer does).
* Status: ``churned`` when every subscription is canceled (or there is none); ``past_due``
  when any live subscription is past due; ``free`` when nothing bills and the customer was
  already free; ``active`` otherwise.
* The plan version the ``mrr_monthly`` ledger names is that of the billing subscription with
  the largest MRR (the first of equals).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class CustomerStatus(StrEnum):
    """The status of a customer."""

    ACTIVE = "active"
    PAST_DUE = "past_due"
    FREE = "free"
    CHURNED = "churned"


#: Subscription statuses that bill (count towards MRR).
BILLING_STATUSES: frozenset[str] = frozenset({"active", "past_due"})
#: The subscription status that no longer counts as live.
CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class SubscriptionFacts:
    """What the customer rules need to know about one subscription.

    Attributes:
        status: ``trialing``, ``active``, ``past_due`` or ``canceled``.
        mrr_minor: the subscription's MRR in minor units of the customer's currency.
        plan_version_id: the plan version it is on.
    """

    status: str
    mrr_minor: int
    plan_version_id: int | None = None


def _billing(subscriptions: Iterable[SubscriptionFacts]) -> list[SubscriptionFacts]:
    return [s for s in subscriptions if s.status in BILLING_STATUSES]


def customer_mrr_minor(*, subscriptions: Iterable[SubscriptionFacts]) -> int:
    """The customer's MRR: the sum over subscriptions that bill (active or past due).

    Args:
        subscriptions: every subscription of the customer.

    Returns:
        MRR in minor units.
    """
    return sum(s.mrr_minor for s in _billing(subscriptions))


def customer_status(*, subscriptions: Sequence[SubscriptionFacts], current: str
                    ) -> CustomerStatus:
    """The status a customer has given their subscriptions.

    Args:
        subscriptions: every subscription of the customer.
        current: the customer's status now (a free customer stays free while nothing bills).

    Returns:
        ``churned`` with no live subscription, ``past_due`` when one is past due, ``free``
        when nothing bills and the customer was free, else ``active``.
    """
    live = [s for s in subscriptions if s.status != CANCELED]
    if not live:
        return CustomerStatus.CHURNED
    if any(s.status == "past_due" for s in live):
        return CustomerStatus.PAST_DUE
    if customer_mrr_minor(subscriptions=live) == 0 and current == CustomerStatus.FREE:
        return CustomerStatus.FREE
    return CustomerStatus.ACTIVE


def leading_plan_version_id(*, subscriptions: Iterable[SubscriptionFacts]) -> int | None:
    """The plan version of the billing subscription with the largest MRR.

    Args:
        subscriptions: every subscription of the customer, in a stable order (the first of
            equal MRRs wins).

    Returns:
        Its plan version id, or None when nothing bills.
    """
    top = max(_billing(subscriptions), key=lambda s: s.mrr_minor, default=None)
    return top.plan_version_id if top is not None else None
