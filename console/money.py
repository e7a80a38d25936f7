"""Money: integer minor units plus an ISO 4217 currency, and the one rounding function.

Amounts in the domain are :class:`decimal.Decimal`; they are stored and summed as integer
minor units. Rounding happens once per invoice line, half-up at the currency exponent, in
:func:`round_minor`; every other module calls it rather than rounding on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: Digits after the decimal point per currency (ISO 4217).
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "JPY": 0,
    "KWD": 3,
    "BHD": 3,
}

_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


class MoneyError(ValueError):
    """Raised for an unknown currency, a float amount or text that is not an amount."""


def exponent(currency: str) -> int:
    """Return the number of minor-unit digits of ``currency``.

    Raises:
        MoneyError: if the currency is not known.
    """
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def _as_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise MoneyError("money is never built from a float; pass a Decimal, int or decimal string")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise MoneyError(f"{value!r} is not a number") from None


def round_minor(amount: Decimal | int | str, currency: str) -> int:
    """Round a major-unit amount once, half-up at the currency exponent, to integer minor units.

    Args:
        amount: unrounded amount in major units (e.g. ``Decimal("10.005")`` USD).
        currency: ISO 4217 code.

    Returns:
        The amount in minor units (``1001`` for the example above).
    """
    exp = exponent(currency)
    quantum = Decimal(1).scaleb(-exp)
    rounded = _as_decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)
    return int(rounded.scaleb(exp))


def to_major(minor: int, currency: str) -> Decimal:
    """Return integer minor units as an exact major-unit Decimal (``1001`` USD -> ``10.01``)."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise MoneyError(f"minor units must be an int, got {type(minor).__name__}")
    return Decimal(minor).scaleb(-exponent(currency))


def parse_major(text: str, currency: str) -> int:
    """Parse user-typed major units (``"1,234.50"``) into minor units, refusing extra precision.

    Raises:
        MoneyError: if the text is not a number or has more decimals than the currency allows.
    """
    cleaned = str(text).strip().replace(",", "").replace("_", "")
    if not cleaned:
        raise MoneyError("amount is required")
    value = _as_decimal(cleaned)
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not a number")
    exp = exponent(currency)
    if value.as_tuple().exponent < -exp:  # type: ignore[operator]
        raise MoneyError(f"{currency} amounts have at most {exp} decimals")
    return int(value.scaleb(exp))


def major_text(minor: int, currency: str) -> str:
    """Minor units as plain major-unit text with the currency's decimals and no symbol or
    grouping, for CSV and breakdowns: ``major_text(-5, "USD") == "-0.05"``."""
    exp = exponent(currency)
    return f"{to_major(minor, currency):.{exp}f}"


def format_minor(minor: int, currency: str, *, with_code: bool = False) -> str:
    """Format minor units for display: ``format_minor(123456, "USD") == "$1,234.56"``."""
    exp = exponent(currency)
    major = to_major(minor, currency)
    sign = "-" if major < 0 else ""
    body = f"{abs(major):,.{exp}f}"
    symbol = _SYMBOLS.get(currency)
    if with_code or symbol is None:
        return f"{sign}{body} {currency}"
    return f"{sign}{symbol}{body}"


def format_signed_minor(minor: int, currency: str) -> str:
    """A change of money with its sign: ``+$10.00``, ``-$10.00``, ``$0.00``."""
    text = format_minor(minor, currency)
    return f"+{text}" if minor > 0 else text


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise MoneyError(f"minor units must be an int, got {type(self.minor).__name__}")
        exponent(self.currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build Money from a major-unit amount, rounding half-up once."""
        return cls(round_minor(amount, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in ``currency``."""
        return cls(0, currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    @property
    def major(self) -> Decimal:
        """The exact amount in major units."""
        return to_major(self.minor, self.currency)

    def format(self) -> str:
        """Human-readable amount with currency symbol."""
        return format_minor(self.minor, self.currency)
