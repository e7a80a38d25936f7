"""Reading the audit trail: the audit-log page, its CSV export, and verifying the chain."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit.domain import AuditEntry, ChainBreak, verify_chain
from models import AuditEvent
from models.db import read_session


def _entry(row: AuditEvent) -> AuditEntry:
    return AuditEntry(
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        actor_label=row.actor_label,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        before=row.before,
        after=row.after,
        reason=row.reason,
    )


def _stream(session: Session, batch: int = 5000) -> Iterator[tuple[int, AuditEntry, str, str]]:
    last_id = 0
    while True:
        rows = session.execute(
            sa.select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id)
            .limit(batch)
        ).scalars().all()
        if not rows:
            return
        for row in rows:
            yield row.id, _entry(row), row.prev_hash, row.hash
        last_id = rows[-1].id
        session.expunge_all()


def verify(session: Session) -> tuple[int, ChainBreak | None]:
    """Verify the whole stored chain, in id order, a batch at a time.

    Returns:
        The number of entries checked and the first break, or None when the chain holds.
    """
    return verify_chain(_stream(session))


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit-log page and export."""

    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    """One audit event for display (preformatted text only)."""

    id: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    reason: str
    before: str
    after: str


def _where(f: AuditFilter) -> list[Any]:
    conds: list[Any] = []
    if f.action:
        conds.append(AuditEvent.action.like(f"{f.action}%"))
    if f.object_type:
        conds.append(AuditEvent.object_type == f.object_type)
    if f.object_id:
        conds.append(AuditEvent.object_id == f.object_id)
    if f.actor:
        conds.append(AuditEvent.actor_label.ilike(f"%{f.actor}%"))
    if f.since:
        conds.append(AuditEvent.occurred_at >= f.since)
    if f.until:
        conds.append(AuditEvent.occurred_at < f.until)
    return conds


def _compact(doc: Mapping[str, Any] | None) -> str:
    if not doc:
        return ""
    return ", ".join(f"{k}={v}" for k, v in doc.items())


def _row(ev: AuditEvent) -> AuditRow:
    return AuditRow(
        id=ev.id or 0,
        at=ev.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        actor=ev.actor_label,
        action=ev.action,
        object_type=ev.object_type,
        object_id=ev.object_id,
        reason=ev.reason,
        before=_compact(ev.before),
        after=_compact(ev.after),
    )


def search(session: Session, f: AuditFilter, *, page: int, page_size: int = 50
           ) -> tuple[list[AuditRow], int]:
    """One page of audit events, newest first.

    Args:
        session: an open session.
        f: the filters.
        page: the page wanted, from 0.
        page_size: events per page.

    Returns:
        The page's rows and the total number of events matching the filter.
    """
    conds = _where(f)
    total = session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(*conds)
                            ).scalar_one()
    rows = session.execute(
        sa.select(AuditEvent).where(*conds).order_by(AuditEvent.id.desc())
        .offset(max(page, 0) * page_size).limit(page_size)
    ).scalars().all()
    return [_row(r) for r in rows], int(total)


def export_csv(session: Session, f: AuditFilter, *, limit: int = 100_000) -> str:
    """The filtered audit log as CSV text, oldest first, with the hashes for auditors.

    Args:
        session: an open session.
        f: the filters.
        limit: the most events written.

    Returns:
        The CSV text (header row first).
    """
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["id", "occurred_at", "actor", "action", "object_type", "object_id", "reason",
                "before", "after", "prev_hash", "hash"])
    rows = session.execute(
        sa.select(AuditEvent).where(*_where(f)).order_by(AuditEvent.id).limit(limit)
    ).scalars()
    for ev in rows:
        w.writerow([ev.id, ev.occurred_at.isoformat(), ev.actor_label, ev.action,
                    ev.object_type, ev.object_id, ev.reason, _compact(ev.before),
                    _compact(ev.after), ev.prev_hash, ev.hash])
    return out.getvalue()


# --- page-facing

def audit_page(f: AuditFilter, page: int, page_size: int = 50) -> tuple[list[AuditRow], int]:
    """One page of the audit log for the UI."""
    with read_session() as s:
        return search(s, f, page=page, page_size=page_size)


def audit_csv(f: AuditFilter) -> str:
    """The filtered audit log as CSV for download."""
    with read_session() as s:
        return export_csv(s, f)


def verify_stored_chain() -> str:
    """A one-line verdict on the stored chain, for the audit page and the CLI."""
    with read_session() as s:
        checked, broken = verify(s)
    if broken is None:
        return f"OK: {checked} audit events, chain intact."
    return f"BROKEN at audit event {broken.entry_id}: {broken.problem} ({checked} checked)."
