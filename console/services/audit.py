"""Writing and verifying the audit trail (append-only, hash-chained, same transaction)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import GENESIS_HASH, AuditEntry, ChainBreak, entry_hash, jsonable, verify_chain
from models import AuditEvent, User
from models.types import utcnow

#: Serialises chain appends across PostgreSQL sessions (SQLite serialises writers already).
_PG_AUDIT_LOCK = 0x0A0D17


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, or the system (CLI, seeding, scheduled jobs)."""

    user_id: int | None
    label: str

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        """An actor for work no person started (e.g. ``system:cli``)."""
        return cls(None, what)


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Append one audit event inside the caller's transaction (committed with the change).

    Args:
        session: the open unit of work that also holds the change.
        actor: who made the change.
        action: dotted verb, e.g. ``invoice.approve``.
        object_type: e.g. ``invoice``.
        object_id: the changed object's id.
        before: the relevant fields before the change (None for a creation).
        after: the relevant fields after the change (None for a deletion).
        reason: the user's stated reason, if any.
        at: the time of the change (defaults to now).
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    prev = session.execute(
        sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev_hash = prev or GENESIS_HASH
    entry = AuditEntry(
        occurred_at=at or utcnow(),
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        reason=reason,
    )
    event = AuditEvent(
        occurred_at=entry.occurred_at,
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        before=entry.before,
        after=entry.after,
        reason=entry.reason,
        prev_hash=prev_hash,
        hash=entry_hash(entry, prev_hash),
    )
    session.add(event)
    session.flush()
    return event


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
    """Verify the whole stored chain; returns (entries checked, first break or None)."""
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
    """One page of audit events, newest first, and the total count matching the filter."""
    conds = _where(f)
    total = session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(*conds)
                            ).scalar_one()
    rows = session.execute(
        sa.select(AuditEvent).where(*conds).order_by(AuditEvent.id.desc())
        .offset(max(page, 0) * page_size).limit(page_size)
    ).scalars().all()
    return [_row(r) for r in rows], int(total)


def export_csv(session: Session, f: AuditFilter, *, limit: int = 100_000) -> str:
    """The filtered audit log as CSV text (oldest first), including hashes for auditors."""
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


def actor_for(session: Session, user_id: int) -> Actor:
    """The audit actor for a user id (label = email)."""
    user = session.get(User, user_id)
    return Actor(user_id, user.email if user else f"user:{user_id}")


# --- page-facing entry points (own transaction each) -----------------------------------------

def audit_page(f: AuditFilter, page: int, page_size: int = 50) -> tuple[list[AuditRow], int]:
    """One page of the audit log for the UI."""
    from models.db import read_session

    with read_session() as s:
        return search(s, f, page=page, page_size=page_size)


def audit_csv(f: AuditFilter) -> str:
    """The filtered audit log as CSV for download."""
    from models.db import read_session

    with read_session() as s:
        return export_csv(s, f)


def verify_stored_chain() -> str:
    """A one-line verdict on the stored chain, for the audit page and the CLI."""
    from models.db import read_session

    with read_session() as s:
        checked, broken = verify(s)
    if broken is None:
        return f"OK: {checked} audit events, chain intact."
    return f"BROKEN at audit event {broken.entry_id}: {broken.problem} ({checked} checked)."
