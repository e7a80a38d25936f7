"""Pure billing rules: status machine, numbering, tax per line, totals (with a property)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.billing.domain.lines import LineDraft, LineKind, finalize, prepaid_credit_line, totals
from console.billing.domain.numbering import format_number, parse_number
from console.billing.domain.status import (
    InvoiceAction,
    InvoiceStatus,
    TransitionError,
    allowed_actions,
    transition,
)
from console.billing.domain.tax import line_tax_minor, rate_text
from console.money import exponent, round_minor

A, S = InvoiceAction, InvoiceStatus


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (S.DRAFT, A.APPROVE, S.APPROVED),
        (S.DRAFT, A.HOLD, S.IN_REVIEW),
        (S.APPROVED, A.HOLD, S.IN_REVIEW),
        (S.IN_REVIEW, A.RELEASE_HOLD, S.DRAFT),
        (S.DRAFT, A.EDIT, S.DRAFT),
        (S.IN_REVIEW, A.EDIT, S.IN_REVIEW),
        (S.APPROVED, A.ISSUE, S.ISSUED),
        (S.ISSUED, A.MARK_PAID, S.PAID),
        (S.ISSUED, A.MARK_UNCOLLECTIBLE, S.UNCOLLECTIBLE),
        (S.ISSUED, A.VOID, S.VOID),
        (S.DRAFT, A.VOID, S.VOID),
        (S.ISSUED, A.CREDIT, S.ISSUED),
        (S.PAID, A.CREDIT, S.PAID),
    ],
)
def test_allowed_transitions(status: S, action: A, expected: S) -> None:
    assert transition(status, action) == expected


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (S.IN_REVIEW, A.APPROVE, "release a hold"),
        (S.ISSUED, A.EDIT, "issued invoices never change"),
        (S.APPROVED, A.EDIT, "issued invoices never change"),
        (S.PAID, A.EDIT, "This invoice is paid"),
        (S.DRAFT, A.ISSUE, "Only approved"),
        (S.PAID, A.VOID, "voided"),
        (S.VOID, A.APPROVE, "This invoice is void"),
        (S.DRAFT, A.CREDIT, "issued or paid"),
        (S.ISSUED, A.APPROVE, "Only draft"),
    ],
)
def test_refused_transitions(status: S, action: A, message: str) -> None:
    with pytest.raises(TransitionError, match=message):
        transition(status, action)


def test_allowed_actions_for_buttons() -> None:
    assert A.APPROVE in allowed_actions("draft") and A.ISSUE not in allowed_actions("draft")
    assert set(allowed_actions("issued")) == {A.VOID, A.MARK_PAID, A.MARK_UNCOLLECTIBLE,
                                              A.CREDIT}
    assert allowed_actions("void") == ()


@pytest.mark.parametrize(
    ("series", "year", "n", "text"),
    [
        ("INV", 2026, 1, "INV-2026-000001"),
        ("INV", 2026, 999_999, "INV-2026-999999"),
        ("CN", 2031, 42, "CN-2031-000042"),
    ],
)
def test_number_format_round_trips(series: str, year: int, n: int, text: str) -> None:
    assert format_number(series, year, n) == text
    assert parse_number(text) == (series, year, n)


@pytest.mark.parametrize(
    ("series", "year", "n"),
    [("INV", 2026, 0), ("INV", 2026, 1_000_000), ("inv", 2026, 1), ("INV", 26, 1),
     ("INV", 2026, True), ("", 2026, 1)],
)
def test_number_format_refuses(series: str, year: int, n: int) -> None:
    with pytest.raises(ValueError):
        format_number(series, year, n)


@pytest.mark.parametrize("text", ["INV-2026-1", "INV2026000001", "INV-2026-0000001", ""])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize(
    ("amount", "rate", "currency", "tax"),
    [
        (3477, "8.875", "USD", 309),  # 308.58375 -> 309
        (2661, "8.875", "USD", 236),  # 236.16375 -> 236
        (1000, "8.875", "USD", 89),  # 88.75 -> 89 (half up)
        (-2529, "20", "EUR", -506),  # 505.8 -> negative line, negative tax
        (-250, "10", "USD", -25),
        (5, "10", "USD", 1),  # 0.5 cent -> 1 (half up)
        (4, "10", "USD", 0),
        (5000, "10", "JPY", 500),
        (1234, "7.5", "JPY", 93),  # 92.55 -> 93
        (12345, "5", "KWD", 617),  # 617.25 fils -> 617
        (12350, "5", "KWD", 618),  # 617.5 -> 618
        (10000, "0", "USD", 0),
    ],
)
def test_tax_per_line(amount: int, rate: str, currency: str, tax: int) -> None:
    assert line_tax_minor(amount, rate, currency) == tax


@pytest.mark.parametrize("bad", ["-1", "101", "abc", "NaN"])
def test_tax_rate_refuses_bad_rates(bad: str) -> None:
    with pytest.raises(ValueError):
        line_tax_minor(100, bad, "USD")
    with pytest.raises(ValueError):
        line_tax_minor(100, 0.2, "USD")  # type: ignore[arg-type]


def test_rate_text() -> None:
    assert rate_text("20.000") == "20" and rate_text(Decimal("8.875")) == "8.875"


def test_credit_line_is_untaxed_and_capped_at_the_total() -> None:
    lines = finalize([LineDraft(LineKind.RECURRING, "fee", 1000),
                      LineDraft(LineKind.PRORATION_CREDIT, "unused", -400)],
                     tax_rate="10", currency="USD")
    credit, left = prepaid_credit_line(lines, credit_balance_minor=5000)
    assert credit is not None and credit.amount_minor == -660 and credit.tax_minor == 0
    assert left == 4340
    tot = totals([*lines, credit])
    assert (tot.subtotal_minor, tot.tax_minor, tot.total_minor) == (-60, 60, 0)
    assert prepaid_credit_line(lines, credit_balance_minor=0) == (None, 0)


CURRENCIES = ["USD", "EUR", "JPY", "KWD", "BHD"]
amounts = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("100000"), places=6,
                      allow_nan=False, allow_infinity=False)
rates = st.sampled_from(["0", "5", "7.5", "8.875", "10", "19", "20", "21.5"])


@settings(max_examples=300, deadline=None)
@given(currency=st.sampled_from(CURRENCIES), raw=st.lists(amounts, min_size=1, max_size=12),
       rate=rates, balance=st.integers(min_value=0, max_value=10**9))
def test_total_is_the_sum_of_rounded_lines_and_their_tax(currency: str, raw: list[Decimal],
                                                          rate: str, balance: int) -> None:
    drafts = [LineDraft(LineKind.USAGE, f"line {i}", round_minor(a, currency))
              for i, a in enumerate(raw)]
    taxed = finalize(drafts, tax_rate=rate, currency=currency)
    credit, left = prepaid_credit_line(taxed, credit_balance_minor=balance)
    lines = [*taxed, *([credit] if credit else [])]
    tot = totals(lines)
    assert tot.subtotal_minor == sum(x.amount_minor for x in lines)
    assert tot.tax_minor == sum(x.tax_minor for x in lines)
    assert tot.total_minor == tot.subtotal_minor + tot.tax_minor
    exp = exponent(currency)
    for x, a in zip(taxed, raw, strict=False):
        # Each line rounded once, half-up at the currency exponent; tax rounded per line.
        assert x.amount_minor == int((a * 10**exp).quantize(Decimal(1), "ROUND_HALF_UP"))
        expected_tax = (Decimal(x.amount_minor) * Decimal(rate) / 100).quantize(
            Decimal(1), "ROUND_HALF_UP")
        assert x.tax_minor == int(expected_tax)
    assert 0 <= left <= balance
    assert tot.total_minor >= min(0, sum(x.gross_minor for x in taxed))
    if credit:
        assert tot.total_minor >= 0 and left == balance + credit.amount_minor
