"""How times and invoice periods read on the dispute pages."""

from __future__ import annotations

from datetime import UTC, datetime

from models import Invoice


def timestamp(value: datetime | None) -> str:
    """``"2026-04-06 09:00 UTC"``, or empty for None."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def as_utc(value: datetime | None) -> datetime | None:
    """The datetime with its UTC zone: SQLite hands back naive datetimes; they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def period_text(inv: Invoice) -> str:
    """An invoice's period, ``"2026-03-01 – 2026-03-31"``."""
    return f"{inv.period_start:%Y-%m-%d} – {inv.period_end:%Y-%m-%d}"
