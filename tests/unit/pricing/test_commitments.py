"""Minimum-spend true-ups and prepaid credit draw-down."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.pricing import (
    CreditAllocation,
    apply_prepaid_credits,
    draw_down_credits,
    true_up,
)


@pytest.mark.parametrize(
    ("charged", "minimum", "expected"),
    [
        (0, 10000, 10000),  # nothing used: the whole minimum
        (7500, 10000, 2500),  # 10000 - 7500
        (10000, 10000, 0),  # exactly met
        (12000, 10000, 0),  # exceeded: never negative
        (-500, 10000, 10500),  # net credit in the period still owes the minimum
        (5000, 0, 0),  # no commitment
    ],
)
def test_true_up(charged: int, minimum: int, expected: int) -> None:
    assert true_up(charged_minor=charged, minimum_minor=minimum) == expected


def test_true_up_refuses_negative_minimum_and_non_int() -> None:
    with pytest.raises(ValueError, match="minimum_minor"):
        true_up(charged_minor=0, minimum_minor=-1)
    with pytest.raises(TypeError):
        true_up(charged_minor=1.5, minimum_minor=10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("charge", "balance", "expected"),
    [
        (3000, 10000, (0, 7000)),  # fully covered: 10000 - 3000 left
        (10000, 10000, (0, 0)),  # exactly used up
        (12000, 10000, (2000, 0)),  # 12000 - 10000 still to charge
        (3000, 0, (3000, 0)),  # no credit
        (0, 500, (0, 500)),  # nothing to pay
        (-400, 500, (-400, 500)),  # a refund line draws nothing and adds nothing
    ],
)
def test_draw_down_credits(charge: int, balance: int, expected: tuple[int, int]) -> None:
    assert draw_down_credits(charge_minor=charge, credit_balance_minor=balance) == expected


def test_draw_down_refuses_negative_balance() -> None:
    with pytest.raises(ValueError, match="credit_balance_minor"):
        draw_down_credits(charge_minor=100, credit_balance_minor=-1)


def test_apply_prepaid_credits_in_line_order() -> None:
    # 5000 credit over 2000, -300, 4000, 1000: 2000 fully, refund untouched, 3000 of 4000, none
    allocation = apply_prepaid_credits(
        line_amounts_minor=[2000, -300, 4000, 1000], credit_balance_minor=5000
    )
    assert allocation == CreditAllocation(
        applied_minor=(2000, 0, 3000, 0),
        due_minor=(0, -300, 1000, 1000),
        remaining_credit_minor=0,
    )
    assert allocation.total_applied_minor == 5000


def test_apply_prepaid_credits_leaves_unused_balance() -> None:
    allocation = apply_prepaid_credits(line_amounts_minor=[100, 200], credit_balance_minor=1000)
    assert allocation.applied_minor == (100, 200)
    assert allocation.remaining_credit_minor == 700


def test_apply_prepaid_credits_checks_arguments_without_lines() -> None:
    assert apply_prepaid_credits(line_amounts_minor=[], credit_balance_minor=5) == CreditAllocation(
        (), (), 5
    )
    with pytest.raises(ValueError):
        apply_prepaid_credits(line_amounts_minor=[], credit_balance_minor=-5)


@settings(deadline=None)
@given(
    lines=st.lists(st.integers(min_value=-(10**6), max_value=10**8), max_size=8),
    balance=st.integers(min_value=0, max_value=10**9),
)
def test_credit_is_conserved(lines: list[int], balance: int) -> None:
    """Credit applied plus credit left is the starting balance; nothing is over-applied."""
    allocation = apply_prepaid_credits(line_amounts_minor=lines, credit_balance_minor=balance)
    assert allocation.total_applied_minor + allocation.remaining_credit_minor == balance
    for line, applied, due in zip(
        lines, allocation.applied_minor, allocation.due_minor, strict=True
    ):
        assert 0 <= applied <= max(line, 0)
        assert applied + due == line
