"""Credit-note caps: per line, per invoice balance, proportional tax rounded per line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.billing.domain.credit_notes import (
    CreditableLine,
    CreditNoteError,
    credit_tax_minor,
    plan_credit,
)

FEE = CreditableLine(1, "Platform fee", 10000, 1000)
USAGE = CreditableLine(2, "API calls", 2035, 181)
CREDIT = CreditableLine(3, "Unused fee", -2529, -253)


@pytest.mark.parametrize(
    ("line", "amount", "tax"),
    [
        (FEE, 3333, 333),  # 333.3
        (FEE, 3335, 334),  # 333.5 -> half up
        (FEE, 10000, 1000),  # the whole line: all its tax
        (USAGE, 1000, 89),  # 181 * 1000 / 2035 = 88.94
        (CreditableLine(1, "x", 10000, 1000, 3333, 333), 6667, 667),  # empties: tax left
        (CreditableLine(1, "x", 100, 0), 50, 0),
    ],
)
def test_proportional_tax(line: CreditableLine, amount: int, tax: int) -> None:
    assert credit_tax_minor(line, amount, "USD") == tax


def test_partial_credit_by_line() -> None:
    plan = plan_credit(lines=[FEE, USAGE], requested={1: 3333, 2: 1000}, full=False,
                       invoice_remaining_minor=13216, currency="USD")
    assert [(c.line_id, c.amount_minor, c.tax_minor) for c in plan.lines] == [
        (1, 3333, 333), (2, 1000, 89)]
    assert (plan.amount_minor, plan.tax_minor, plan.total_minor) == (4333, 422, 4755)


@pytest.mark.parametrize(
    ("lines", "requested", "remaining", "message"),
    [
        ([FEE], {1: 10001}, 99999, "only \\$100.00 left"),
        ([CreditableLine(1, "fee", 10000, 1000, 9000, 900)], {1: 1001}, 99999, "\\$10.00 left"),
        ([FEE], {1: 10000}, 10999, "remaining balance of \\$109.99"),
        ([FEE], {9: 1}, 99999, "not on this invoice"),
        ([FEE], {1: 0}, 99999, "positive"),
        ([FEE], {1: -5}, 99999, "positive"),
        ([CREDIT], {3: 1}, 99999, "left to credit"),  # negative lines are not creditable
        ([FEE], {}, 99999, "at least one line"),
        ([FEE], {1: 1}, 0, "nothing left"),
    ],
)
def test_caps_refuse(lines: list[CreditableLine], requested: dict[int, int], remaining: int,
                     message: str) -> None:
    with pytest.raises(CreditNoteError, match=message):
        plan_credit(lines=lines, requested=requested, full=False,
                    invoice_remaining_minor=remaining, currency="USD")


def test_full_credit_stops_at_the_balance_and_settles_it() -> None:
    # Prepaid credit lowered the invoice total to 82.00 (8200): the full credit equals it.
    plan = plan_credit(lines=[FEE, USAGE, CREDIT], requested=None, full=True,
                       invoice_remaining_minor=8200, currency="USD")
    assert plan.total_minor == 8200
    assert [c.line_id for c in plan.lines] == [1]
    plan = plan_credit(lines=[FEE, USAGE], requested=None, full=True,
                       invoice_remaining_minor=20000, currency="USD")
    assert plan.total_minor == 13216 and len(plan.lines) == 2


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(1, 10**7), tax_pct=st.integers(0, 30),
       steps=st.lists(st.integers(1, 10**6), min_size=1, max_size=6),
       currency=st.sampled_from(["USD", "JPY", "KWD"]))
def test_crediting_in_steps_never_exceeds_the_line(amount: int, tax_pct: int, steps: list[int],
                                                   currency: str) -> None:
    tax = amount * tax_pct // 100
    credited = credited_tax = 0
    for step in steps:
        line = CreditableLine(1, "l", amount, tax, credited, credited_tax)
        if line.remaining_minor == 0:
            break
        ask = min(step, line.remaining_minor)
        plan = plan_credit(lines=[line], requested={1: ask}, full=False,
                           invoice_remaining_minor=10**12, currency=currency)
        credited += plan.amount_minor
        credited_tax += plan.tax_minor
        assert 0 <= credited_tax <= tax
    line = CreditableLine(1, "l", amount, tax, credited, credited_tax)
    if line.remaining_minor:
        plan = plan_credit(lines=[line], requested=None, full=True,
                           invoice_remaining_minor=10**12, currency=currency)
        credited += plan.amount_minor
        credited_tax += plan.tax_minor
    assert (credited, credited_tax) == (amount, tax)
