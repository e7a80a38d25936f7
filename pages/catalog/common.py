"""Helpers shared by the catalog states: route ids, choices, background progress."""

from typing import Any, TypeVar

from console.catalog import REGIONS, SEGMENTS
from console.money import CURRENCY_EXPONENTS
from pages.components.state_helpers import in_thread, route_id, text_of, with_progress

T = TypeVar("T")

#: Simulation windows offered on submit, rollback, import and re-run.
MONTHS = ("3", "6", "12")
CURRENCIES = tuple(CURRENCY_EXPONENTS)
REGION_CHOICES = REGIONS
SEGMENT_CHOICES = SEGMENTS

#: A starting point per charge model for the properties editor (Lago's schema).
EXAMPLES: dict[str, str] = {
    "standard": '{\n  "amount": "10"\n}',
    "graduated": (
        '{\n  "graduated_ranges": [\n'
        '    {"from_value": 0, "to_value": 1000, "per_unit_amount": "0", "flat_amount": "0"},\n'
        '    {"from_value": 1001, "to_value": null, "per_unit_amount": "0.01", '
        '"flat_amount": "0"}\n  ]\n}'
    ),
    "volume": (
        '{\n  "volume_ranges": [\n'
        '    {"from_value": 0, "to_value": 1000, "per_unit_amount": "0.02", "flat_amount": "0"},\n'
        '    {"from_value": 1001, "to_value": null, "per_unit_amount": "0.01", '
        '"flat_amount": "0"}\n  ]\n}'
    ),
    "package": '{\n  "amount": "5",\n  "package_size": 1000,\n  "free_units": 0\n}',
    "percentage": '{\n  "rate": "1.5",\n  "fixed_amount": "0.30"\n}',
    "graduated_percentage": (
        '{\n  "graduated_percentage_ranges": [\n'
        '    {"from_value": 0, "to_value": 10000, "rate": "2", "flat_amount": "0"},\n'
        '    {"from_value": 10001, "to_value": null, "rate": "1", "flat_amount": "0"}\n  ]\n}'
    ),
}

#: The usage levels the editor previews unless the user types others.
DEFAULT_LEVELS = "0, 1, 10, 100, 1000, 10000, 100000"


def months_of(value: Any) -> int:
    """A simulation window from a form (3, 6 or 12; anything else is 3)."""
    text = str(value or "").strip()
    return int(text) if text in MONTHS else 3


__all__ = [
    "CURRENCIES",
    "DEFAULT_LEVELS",
    "EXAMPLES",
    "MONTHS",
    "REGION_CHOICES",
    "SEGMENT_CHOICES",
    "in_thread",
    "months_of",
    "route_id",
    "text_of",
    "with_progress",
]
