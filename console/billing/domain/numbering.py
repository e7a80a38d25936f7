"""Gap-free document numbers: ``INV-YYYY-NNNNNN`` for invoices, ``CN-YYYY-NNNNNN`` for credits.

The counter per series and year lives in ``invoice_number_sequence`` and is taken under a lock
by the services; this module only formats and parses.
"""

from __future__ import annotations

import re

INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"
MAX_NUMBER = 999_999

_PATTERN = re.compile(r"^(?P<series>[A-Z]{1,8})-(?P<year>\d{4})-(?P<n>\d{6})$")


def format_number(series: str, year: int, n: int) -> str:
    """Format a document number, e.g. ``format_number("INV", 2026, 7) == "INV-2026-000007"``.

    Raises:
        ValueError: for an unknown-looking series, a year outside 1000-9999 or ``n`` outside
            1-999999.
    """
    if not re.fullmatch(r"[A-Z]{1,8}", series or ""):
        raise ValueError(f"series must be 1-8 capital letters, got {series!r}")
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits, got {year}")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_NUMBER:
        raise ValueError(f"number must be between 1 and {MAX_NUMBER}, got {n!r}")
    return f"{series}-{year:04d}-{n:06d}"


def parse_number(text: str) -> tuple[str, int, int]:
    """Split a document number into ``(series, year, n)``.

    Raises:
        ValueError: when ``text`` is not a document number.
    """
    match = _PATTERN.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a document number like INV-2026-000001")
    return match["series"], int(match["year"]), int(match["n"])
