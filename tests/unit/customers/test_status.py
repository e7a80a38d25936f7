"""A customer's status, MRR and leading plan version, read off their subscriptions."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.customers.domain.status import (
    CustomerStatus,
    SubscriptionFacts,
    customer_mrr_minor,
    customer_status,
    leading_plan_version_id,
)

S = SubscriptionFacts
STATUSES = ("trialing", "active", "past_due", "canceled")


@pytest.mark.parametrize(("subs", "current", "expected"), [
    ([], "active", "churned"),
    ([], "free", "churned"),
    ([S("canceled", 0)], "active", "churned"),
    ([S("canceled", 0), S("canceled", 0)], "past_due", "churned"),
    ([S("active", 5000)], "active", "active"),
    ([S("active", 5000)], "churned", "active"),
    ([S("active", 5000), S("past_due", 2000)], "active", "past_due"),
    ([S("trialing", 0), S("past_due", 0)], "free", "past_due"),
    ([S("past_due", 0), S("canceled", 0)], "active", "past_due"),
    ([S("active", 0)], "free", "free"),
    ([S("trialing", 0)], "free", "free"),
    ([S("trialing", 9000)], "free", "free"),  # a trial does not bill yet
    ([S("active", 0)], "active", "active"),  # only a free customer stays free
    ([S("active", 0)], "churned", "active"),
    ([S("active", 100)], "free", "active"),  # a free customer who pays is active
    ([S("canceled", 0), S("active", 100)], "churned", "active"),
])
def test_status(subs, current, expected):
    got = customer_status(subscriptions=subs, current=current)
    assert got == expected
    assert isinstance(got, CustomerStatus)


@pytest.mark.parametrize(("subs", "mrr"), [
    ([], 0),
    ([S("active", 5000)], 5000),
    ([S("active", 5000), S("past_due", 2000)], 7000),
    ([S("trialing", 9000)], 0),
    ([S("canceled", 9000)], 0),
    ([S("active", 100), S("trialing", 200), S("past_due", 300), S("canceled", 400)], 400),
])
def test_mrr_counts_only_subscriptions_that_bill(subs, mrr):
    assert customer_mrr_minor(subscriptions=subs) == mrr


@pytest.mark.parametrize(("subs", "version"), [
    ([], None),
    ([S("trialing", 9000, 1), S("canceled", 9000, 2)], None),
    ([S("active", 100, 1), S("past_due", 300, 2), S("trialing", 900, 3)], 2),
    ([S("active", 500, 1), S("active", 500, 2)], 1),  # the first of equals
    ([S("active", 0, 7)], 7),
])
def test_leading_plan_version(subs, version):
    assert leading_plan_version_id(subscriptions=subs) == version


subscriptions = st.lists(st.builds(S, st.sampled_from(STATUSES), st.integers(0, 10**9),
                                   st.integers(1, 50)), max_size=8)


@given(subscriptions, st.sampled_from(list(CustomerStatus)))
def test_properties(subs, current):
    status = customer_status(subscriptions=subs, current=current)
    mrr = customer_mrr_minor(subscriptions=subs)
    assert mrr >= 0
    assert (status == CustomerStatus.CHURNED) == all(s.status == "canceled" for s in subs)
    if status == CustomerStatus.FREE:
        assert mrr == 0 and current == CustomerStatus.FREE
    assert (leading_plan_version_id(subscriptions=subs) is None) == (
        not any(s.status in ("active", "past_due") for s in subs))
    # Order does not change status or MRR.
    assert customer_status(subscriptions=subs[::-1], current=current) == status
    assert customer_mrr_minor(subscriptions=subs[::-1]) == mrr
