"""Money: one rounding function, exponents per currency, no floats."""

from decimal import Decimal

import pytest

from console.money import Money, MoneyError, format_minor, parse_major, round_minor, to_major


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("10.005", "USD", 1001),      # half-up at 2 decimals
    ("10.004999", "USD", 1000),
    ("-10.005", "USD", -1001),    # half away from zero
    ("0.5", "JPY", 1),            # exponent 0
    ("1.2345", "KWD", 1235),      # exponent 3
    ("1.2344", "BHD", 1234),
    ("0", "EUR", 0),
])
def test_round_minor(amount: str, currency: str, minor: int) -> None:
    assert round_minor(Decimal(amount), currency) == minor


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError):
        round_minor(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1.0, "USD")  # type: ignore[arg-type]


def test_unknown_currency() -> None:
    with pytest.raises(MoneyError, match="unknown currency"):
        round_minor(Decimal(1), "XXX")


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("1,234.50", "USD", 123450), ("12", "JPY", 12), ("0.125", "KWD", 125)])
def test_parse_major(text: str, currency: str, minor: int) -> None:
    assert parse_major(text, currency) == minor


@pytest.mark.parametrize(("text", "message"), [
    ("1.234", "at most 2 decimals"), ("", "required"), ("abc", "not a number")])
def test_parse_major_refuses(text: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        parse_major(text, "USD")


def test_format_and_arithmetic() -> None:
    assert format_minor(123456, "USD") == "$1,234.56"
    assert format_minor(-5, "EUR") == "-€0.05"
    assert format_minor(1000, "JPY") == "¥1,000"
    assert format_minor(1500, "KWD") == "1.500 KWD"
    assert (Money(150, "USD") + Money(50, "USD")).minor == 200
    assert to_major(1001, "USD") == Decimal("10.01")
    with pytest.raises(MoneyError):
        Money(1, "USD") + Money(1, "EUR")
