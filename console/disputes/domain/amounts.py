"""Amounts typed on the dispute pages (per line, in major units) as minor units.

Parsing is :func:`console.money.parse_major`'s (the one parser of typed money); this module only
applies it per line and words the refusal for the page.
"""

from __future__ import annotations

from collections.abc import Mapping

from console.kernel.errors import InvalidInput
from console.money import MoneyError, parse_major


def parse_amounts(texts: Mapping[int, str], currency: str) -> dict[int, int]:
    """Typed major-unit amounts per line -> minor units (blank entries are skipped).

    Args:
        texts: line id -> the text typed for it (``"12.50"``, ``"1,200"``, or blank).
        currency: the ISO 4217 code the amounts are in (it fixes the decimals allowed).

    Returns:
        line id -> minor units, for the lines with an amount.

    Raises:
        InvalidInput: an amount that is not a number in the currency.
    """
    out: dict[int, int] = {}
    for line_id, text in texts.items():
        raw = str(text or "").strip()
        if not raw:
            continue
        try:
            out[int(line_id)] = parse_major(raw, currency)
        except (MoneyError, ValueError):
            raise InvalidInput(f"{raw!r} is not an amount in {currency}.") from None
    return out
