"""Appending to the audit trail: append-only, hash-chained, in the caller's transaction.

Every change of a catalog version, invoice, credit note, dispute, experiment, subscription,
user role (and everything else a person or job changes) calls :func:`record` or
:func:`record_many` inside the same unit of work as the change. Appenders are serialised so
that the chain stays a chain: on PostgreSQL by a transaction-scoped advisory lock, on SQLite
by the unit of work's write lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit.domain import GENESIS_HASH, AuditEntry, entry_hash, jsonable
from console.kernel.actor import Actor
from models import AuditEvent
from models.types import utcnow

#: Serialises chain appends across PostgreSQL sessions (SQLite serialises writers already).
_PG_AUDIT_LOCK = 0x0A0D17


@dataclass(frozen=True)
class AuditItem:
    """One audit event to append."""

    action: str
    object_type: str
    object_id: str | int
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    reason: str = ""


def record_many(session: Session, *, actor: Actor, items: Sequence[AuditItem],
                at: datetime | None = None) -> int:
    """Append ``items`` to the chain in the caller's transaction (one INSERT).

    Args:
        session: the open unit of work that also holds the change.
        actor: who made the change.
        items: the events, in order.
        at: the time of the change (defaults to now).

    Returns:
        The number of events written.
    """
    if not items:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    session.flush()
    prev = session.execute(
        sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none() or GENESIS_HASH
    when = at or utcnow()
    rows = []
    for item in items:
        entry = AuditEntry(
            occurred_at=when, actor_id=actor.user_id, actor_label=actor.label,
            action=item.action, object_type=item.object_type, object_id=str(item.object_id),
            before=jsonable(item.before) if item.before is not None else None,
            after=jsonable(item.after) if item.after is not None else None,
            reason=item.reason)
        digest = entry_hash(entry, prev)
        rows.append({
            "occurred_at": when, "actor_id": entry.actor_id, "actor_label": entry.actor_label,
            "action": entry.action, "object_type": entry.object_type,
            "object_id": entry.object_id, "before": entry.before, "after": entry.after,
            "reason": entry.reason, "prev_hash": prev, "hash": digest})
        prev = digest
    session.execute(sa.insert(AuditEvent.__table__), rows)
    return len(rows)


def record(session: Session, *, actor: Actor, action: str, object_type: str,
           object_id: str | int, before: Mapping[str, Any] | None = None,
           after: Mapping[str, Any] | None = None, reason: str = "",
           at: datetime | None = None) -> None:
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
    record_many(session, actor=actor, at=at, items=[AuditItem(
        action=action, object_type=object_type, object_id=object_id, before=before,
        after=after, reason=reason)])
