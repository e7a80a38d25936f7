"""The history of usage imports (the usage page's list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from models import UsageImport
from models.db import read_session


@dataclass(frozen=True)
class ImportRow:
    """One usage import in the history list."""

    id: int
    created: str
    source: str
    filename: str
    status: str
    received: int
    inserted: int
    duplicates: int
    rejected: int
    errors: tuple[str, ...]


def recent_imports(session: Session, *, limit: int = 50) -> list[ImportRow]:
    """The latest usage imports, newest first.

    Args:
        session: any session.
        limit: how many at most.

    Returns:
        The imports for display, each with its first 20 errors as ``line N: reason``.
    """
    rows = session.execute(sa.select(UsageImport).order_by(UsageImport.id.desc()).limit(limit)
                           ).scalars().all()
    return [ImportRow(r.id, r.created_at.strftime("%Y-%m-%d %H:%M UTC"), r.source,
                      r.filename or "", r.status, r.received, r.inserted, r.duplicates,
                      r.rejected, tuple(_error_text(e) for e in (r.errors or [])[:20]))
            for r in rows]


def _error_text(error: Any) -> str:
    """One stored error as ``line N: reason`` (older rows use ``row``/``error`` keys)."""
    if not isinstance(error, dict):
        return str(error)
    line = error.get("line", error.get("row", "?"))
    return f"line {line}: {error.get('reason', error.get('error', ''))}"


# --- page-facing


def recent_imports_view(limit: int = 50) -> list[ImportRow]:
    """Page-facing :func:`recent_imports` in its own read session."""
    with read_session() as s:
        return recent_imports(s, limit=limit)
