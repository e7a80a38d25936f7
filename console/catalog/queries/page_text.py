"""Text to and from the catalog pages: dates, timestamps, signed amounts, JSON, user names."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.kernel.errors import InvalidInput
from models import User

#: Shown where a plan has no published version.
DASH = "—"


def day_text(value: date | None) -> str:
    """``2025-04-01``, or ``""`` for no date."""
    return value.isoformat() if value else ""


def timestamp_text(value: datetime | None) -> str:
    """``2025-04-01 09:30 UTC``, or ``""`` for no time."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def pretty_json(value: Any) -> str:
    """Indented JSON with sorted keys, or ``""`` for ``None``."""
    return json.dumps(value, indent=2, sort_keys=True) if value is not None else ""


def parse_day(value: date | str, field: str) -> date:
    """A date as the page sends it (a date or ``YYYY-MM-DD``).

    Raises:
        InvalidInput: naming ``field`` when the text is not a date.
    """
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field}: enter a date as YYYY-MM-DD.") from None


def user_names(session: Session) -> dict[int, str]:
    """User id -> display name."""
    return dict(session.execute(sa.select(User.id, User.name)).all())
