"""Helpers every area's state uses: route ids, form fields, and blocking work off the loop."""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def route_id(url: Any) -> int | None:
    """The trailing numeric id of a route like ``/catalog/plans/12`` (None if not a number)."""
    raw = str(url).split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    return int(raw) if raw.isdigit() else None


def text_of(form_data: dict, key: str, limit: int = 2000) -> str:
    """A trimmed, length-limited text field of a submitted form."""
    return str(form_data.get(key, "") or "").strip()[:limit]


async def in_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a blocking service call in a worker thread (off the event loop)."""
    return await asyncio.to_thread(lambda: fn(*args, **kwargs))


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


def percent(done: int, total: int) -> int:
    """A progress percentage (0-100) for a bar; 100 when there is nothing to do."""
    if total <= 0:
        return 100
    return max(0, min(100, (100 * done) // total))


async def with_counts(state: Any, work: Callable[[Callable[[int, int], None]], T],
                      show: Callable[[Any, int, int], None], *, every: float = 0.25) -> T:
    """Like :func:`with_progress`, for work that reports ``(done, total)`` counts.

    Args:
        state: the background task's state proxy (entered briefly for each update).
        work: blocking function taking a ``report(done, total)`` callback (called from its
            thread; it only records the numbers).
        show: sets the progress vars on the state (called under the state lock).
        every: seconds between updates.

    Returns:
        What ``work`` returned (its exception is raised here).
    """
    latest: list[tuple[int, int] | None] = [None]

    def report(done: int, total: int) -> None:
        latest[0] = (int(done), int(total))

    task = asyncio.ensure_future(asyncio.to_thread(work, report))
    shown: tuple[int, int] | None = None
    while not task.done():
        await asyncio.wait({task}, timeout=every)
        value = latest[0]
        if value is not None and value != shown and not task.done():
            shown = value
            async with state:
                show(state, *value)
    return task.result()
