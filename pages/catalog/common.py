"""Helpers shared by the catalog states: route ids, choices, background progress."""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from console.catalog.ratecard import REGIONS, SEGMENTS
from console.money import CURRENCY_EXPONENTS

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


def route_id(url: Any) -> int | None:
    """The trailing numeric id of a route like ``/catalog/plans/12`` (None if not a number)."""
    raw = str(url).split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    return int(raw) if raw.isdigit() else None


def months_of(value: Any) -> int:
    """A simulation window from a form (3, 6 or 12; anything else is 3)."""
    text = str(value or "").strip()
    return int(text) if text in MONTHS else 3


def text_of(form_data: dict, key: str, limit: int = 2000) -> str:
    """A trimmed, length-limited text field of a submitted form."""
    return str(form_data.get(key, "") or "").strip()[:limit]


async def in_thread(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a blocking service call in a worker thread (off the event loop)."""
    return await asyncio.to_thread(lambda: fn(**kwargs))


async def with_progress(state: Any, attr: str, work: Callable[[Callable[[int], None]], T]) -> T:
    """Run ``work(report)`` in a worker thread while copying its progress into ``state.attr``.

    Args:
        state: the background task's state proxy (entered briefly for each update).
        attr: the int var that shows progress (0-100).
        work: blocking function taking a ``report(pct)`` callback.

    Returns:
        What ``work`` returned (its exception is raised here).
    """
    latest = [0]

    def report(pct: int) -> None:
        latest[0] = max(0, min(100, int(pct)))

    task = asyncio.ensure_future(asyncio.to_thread(work, report))
    shown = -1
    while not task.done():
        await asyncio.wait({task}, timeout=0.3)
        if latest[0] != shown and not task.done():
            shown = latest[0]
            async with state:
                setattr(state, attr, shown)
    return task.result()
