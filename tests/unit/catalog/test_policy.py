"""Approval policy: who may approve and how many approvals a catalog change needs."""

from decimal import Decimal

import pytest

from console.catalog.domain.policy import (
    ApprovalPolicy,
    ApprovalRequirement,
    Vote,
    approval_refusal,
    is_satisfied,
    requirement_for,
    review_refusal,
)

AUTHOR, LEAD2, FIN, FIN2, SUPPORT = 1, 2, 3, 4, 5
ROLES = {AUTHOR: {"monetization_lead"}, LEAD2: {"monetization_lead"}, FIN: {"finance"},
         FIN2: {"finance"}, SUPPORT: {"support"}}
ONE = ApprovalRequirement(1, False)
TWO = ApprovalRequirement(2, True)
POLICY = ApprovalPolicy()


def vote(user: int) -> Vote:
    return Vote(user, frozenset(ROLES[user]))


@pytest.mark.parametrize(
    ("revenue", "decrease", "expected"),
    [
        (0, Decimal(0), (1, False)),
        (1_000_000, Decimal(0), (1, False)),          # at the threshold: still one
        (1_000_001, Decimal(0), (2, True)),           # above: two incl. finance
        (-1_000_001, Decimal(0), (2, True)),          # a large loss counts too
        (None, Decimal(0), (2, True)),                # unknown (no fx rate): two
        (5, Decimal(10), (1, False)),                 # exactly 10% decrease: one
        (5, Decimal("10.01"), (2, True)),             # more than 10%: two
        (5, Decimal(100), (2, True)),                 # a removed price
    ],
)
def test_requirement(revenue, decrease, expected):
    req = requirement_for(POLICY, revenue_change_minor=revenue, max_price_decrease_pct=decrease)
    assert (req.required_approvals, req.requires_finance) == expected
    assert bool(req.reasons) == expected[1]


@pytest.mark.parametrize(
    ("requirement", "approver", "prior", "refused"),
    [
        (ONE, AUTHOR, [], "You submitted this change"),   # the author never approves
        (TWO, AUTHOR, [vote(FIN)], "You submitted this change"),
        (ONE, SUPPORT, [], "Only a monetization lead or finance"),
        (ONE, None, [], "not by the system"),
        (ONE, LEAD2, [], ""),                              # one approval normally
        (ONE, FIN, [], ""),
        (TWO, LEAD2, [], ""),                              # first of two may be a lead
        (TWO, FIN, [], ""),
        (TWO, FIN2, [vote(FIN)], ""),                      # two finance approvals are fine
        (TWO, FIN, [vote(LEAD2)], ""),                     # finance completes
        (TWO, LEAD2, [vote(LEAD2)], "already approved"),
        (TWO, 6, [vote(LEAD2)], "needs an approval from finance"),
    ],
)
def test_approval_refusal(requirement, approver, prior, refused):
    roles = ROLES.get(approver, {"monetization_lead"}) if approver else set()
    message = approval_refusal(requirement, author_id=AUTHOR, approver_id=approver,
                               approver_roles=roles, approvals=prior)
    assert (message == "") == (refused == "")
    assert refused in message


@pytest.mark.parametrize(
    ("requirement", "votes", "done"),
    [
        (ONE, [], False),
        (ONE, [vote(LEAD2)], True),
        (ONE, [vote(FIN)], True),
        (TWO, [vote(FIN)], False),
        (TWO, [vote(LEAD2), vote(FIN)], True),
        (TWO, [vote(FIN), vote(FIN2)], True),
        (TWO, [vote(LEAD2), Vote(6, frozenset({"monetization_lead"}))], False),  # no finance
        (TWO, [vote(FIN), vote(FIN)], False),                                     # same person
    ],
)
def test_is_satisfied(requirement, votes, done):
    assert is_satisfied(requirement, votes) is done


def test_review_refusal():
    assert "withdraw" in review_refusal(author_id=AUTHOR, reviewer_id=AUTHOR,
                                        reviewer_roles={"monetization_lead"})
    assert review_refusal(author_id=AUTHOR, reviewer_id=FIN, reviewer_roles={"finance"}) == ""
    assert review_refusal(author_id=AUTHOR, reviewer_id=SUPPORT, reviewer_roles={"support"})


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, ApprovalPolicy(1_000_000, Decimal(10), "USD")),
        ({"catalog_revenue_change_minor": 500, "other_key": 1},
         ApprovalPolicy(500, Decimal(10), "USD")),
        ({"catalog_price_decrease_pct": "5", "reporting_currency": "EUR"},
         ApprovalPolicy(1_000_000, Decimal(5), "EUR")),
    ],
)
def test_policy_from_setting(setting, expected):
    assert ApprovalPolicy.from_setting(setting) == expected


@pytest.mark.parametrize("bad", [{"catalog_revenue_change_minor": -1},
                                 {"catalog_revenue_change_minor": "10"},
                                 {"catalog_price_decrease_pct": 2.5},
                                 {"catalog_price_decrease_pct": "x"}])
def test_policy_from_setting_refuses_bad_values(bad):
    with pytest.raises(ValueError):
        ApprovalPolicy.from_setting(bad)


def test_describe():
    assert ONE.describe() == "1 approval"
    assert TWO.describe() == "2 approvals, one from finance"


def test_editors_of_the_draft_cannot_approve_either():
    message = approval_refusal(ONE, author_id=AUTHOR, approver_id=LEAD2,
                               approver_roles={"monetization_lead"}, approvals=[],
                               editor_ids={AUTHOR, LEAD2})
    assert "You edited this draft" in message
