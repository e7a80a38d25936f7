"""What a monetization lead types into the experiment and rollout forms, checked at the boundary.

Each check returns the clean value or raises :class:`~console.kernel.errors.InvalidInput` with
the message the page shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from itertools import pairwise
from typing import Any

from console.kernel.errors import InvalidInput

_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")


def check_key(key: str) -> str:
    """Return ``key`` as a lower-case stable key (2-64 letters, digits, ``-`` and ``_``).

    Args:
        key: the typed key (trimmed and lower-cased here).

    Returns:
        The clean key.

    Raises:
        InvalidInput: if it is not such a key (it seeds the assignment hash and never changes).
    """
    key = (key or "").strip().lower()
    if not _KEY.fullmatch(key):
        raise InvalidInput("key: use 2-64 lower-case letters, digits, '-' or '_' "
                           "(it seeds the assignment hash and never changes).")
    return key


def check_text(text: str, what: str, *, limit: int = 200) -> str:
    """Return ``text`` trimmed, refusing it when empty or longer than ``limit``.

    Args:
        text: the typed text.
        what: how the message names it (``"A reason"``).
        limit: the most characters allowed.

    Raises:
        InvalidInput: if it is empty or too long.
    """
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required.")
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters.")
    return text


def check_int(value: Any, *, what: str, low: int, high: int) -> int:
    """Return ``value`` as a whole number in ``[low, high]``.

    Raises:
        InvalidInput: if it is not a whole number or is out of range.
    """
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} must be a whole number.") from None
    if not low <= number <= high:
        raise InvalidInput(f"{what} must be between {low} and {high}.")
    return number


def check_stages(stages: Sequence[Any]) -> list[int]:
    """Return a rollout's stage sizes: 1 to 20 whole percentages in 1-100, strictly rising.

    Raises:
        InvalidInput: if a stage is not a whole number, out of range, or not above the one before.
    """
    try:
        values = [int(s) for s in stages]
    except (TypeError, ValueError):
        raise InvalidInput("stages: use whole percentages such as 1, 10, 50, 100.") from None
    if not values or len(values) > 20:
        raise InvalidInput("stages: give between 1 and 20 stages.")
    if any(not 1 <= v <= 100 for v in values):
        raise InvalidInput("stages: each stage is a percentage between 1 and 100.")
    if any(b <= a for a, b in pairwise(values)):
        raise InvalidInput("stages: each stage must be larger than the one before.")
    return values


def parse_date(text: str | date | None, *, what: str) -> date | None:
    """Return the day typed as ``2026-12-01`` (None when blank; a date passes through).

    Raises:
        InvalidInput: if the text is not an ISO date.
    """
    if text is None or isinstance(text, date):
        return text
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what}: use a date like 2026-12-01.") from None
