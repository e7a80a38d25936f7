"""Helpers shared by the experiment and rollout states: route ids, form fields, background work."""

from typing import Any, TypeVar

from pages.components.state_helpers import in_thread, route_id, text_of, with_progress

T = TypeVar("T")

#: Simulation windows offered before a start.
MONTHS = ("3", "6", "12")


def int_of(form_data: dict, key: str, default: int = 0) -> int:
    """An integer field of a form (``default`` when blank or not a number)."""
    text = text_of(form_data, key, 20)
    try:
        return int(text)
    except ValueError:
        return default


def months_of(value: Any) -> int:
    """A simulation window from a form (3, 6 or 12; anything else is 3)."""
    text = str(value or "").strip()
    return int(text) if text in MONTHS else 3


__all__ = ["MONTHS", "in_thread", "int_of", "months_of", "route_id", "text_of", "with_progress"]
