"""Who may join an experiment: the segment, region and currency filters, and new or existing
customers; how eligibility reads on the page."""

import pytest

from console.experiments.domain.eligibility import (
    eligibility_refusal,
    eligibility_text,
    new_customers_only,
    normalize_eligibility,
)
from console.kernel.errors import InvalidInput

SEGMENTS = ("smb", "mid_market", "enterprise")
REGIONS = ("na", "emea")
SMB_EMEA_USD = {"segment": "smb", "region": "emea", "currency": "USD"}


def test_new_customers_only_is_the_default():
    assert new_customers_only(None) and new_customers_only({})
    assert not new_customers_only({"new_customers_only": False})


def test_the_allowed_segments_and_regions_are_the_callers():
    assert normalize_eligibility({"segments": "mid_market", "regions": ["na"]},
                                 segments=SEGMENTS, regions=REGIONS) == {
        "segments": ["mid_market"], "regions": ["na"], "currencies": [],
        "new_customers_only": True}
    with pytest.raises(InvalidInput, match="'apac' is not one of na, emea"):
        normalize_eligibility({"regions": ["apac"]}, segments=SEGMENTS, regions=REGIONS)


@pytest.mark.parametrize(("elig", "customer", "refusal"), [
    ({}, {**SMB_EMEA_USD, "is_new": True}, ""),
    ({}, {**SMB_EMEA_USD, "is_new": False, "subscriber": True},
     "Not eligible: the experiment is for new customers only."),
    ({"segments": ["enterprise"]}, {**SMB_EMEA_USD, "is_new": True},
     "Not eligible: segment smb is not one of enterprise."),
    ({"regions": ["na", "apac"]}, {**SMB_EMEA_USD, "is_new": True},
     "Not eligible: region emea is not one of na, apac."),
    ({"currencies": ["EUR"]}, {**SMB_EMEA_USD, "is_new": True},
     "Not eligible: currency USD is not one of EUR."),
    ({"new_customers_only": False}, {**SMB_EMEA_USD, "is_new": False, "subscriber": True}, ""),
    ({"new_customers_only": False}, {**SMB_EMEA_USD, "is_new": True}, ""),
    ({"new_customers_only": False}, {**SMB_EMEA_USD, "is_new": False},
     "Not eligible: neither a new customer nor a subscriber of this plan."),
])
def test_the_first_failing_filter_is_the_reason(elig, customer, refusal):
    customer = {"subscriber": False, **customer}
    assert eligibility_refusal(elig, **customer) == refusal


def test_filters_are_checked_before_newness():
    assert eligibility_refusal({"segments": ["enterprise"]}, segment="smb", region="na",
                               currency="USD", is_new=False, subscriber=False).startswith(
        "Not eligible: segment smb")


def test_eligibility_reads_as_one_line():
    assert eligibility_text({"segments": ["mid_market"], "regions": ["na", "emea"],
                             "currencies": ["USD", "EUR"], "new_customers_only": True}) == (
        "mid market · na, emea · USD, EUR · new customers only")
