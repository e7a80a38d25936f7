"""Helpers shared by the usage, bill-run, invoice and credit-note services.

* :func:`require`: the server-side role check (system actors pass; people need the permission).
* :func:`policy`: a policy_setting value with defaults.
* :func:`next_number`: gap-free document numbers taken under a lock.
* :func:`record_many`: many audit events appended to the hash chain in one statement (bill
  runs write one event per draft invoice; :func:`console.services.audit.record` one at a time
  would cost a query and a flush per invoice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from console.audit import GENESIS_HASH, AuditEntry, entry_hash, jsonable
from console.auth.roles import Permission, Role, parse_roles, permissions_for
from console.billing.numbering import format_number
from console.services.audit import _PG_AUDIT_LOCK, Actor
from console.services.errors import NotAllowed
from models import AuditEvent, InvoiceNumberSequence, PolicySetting, UserRole
from models.types import utcnow


def roles_of(session: Session, user_id: int) -> frozenset[Role]:
    """The roles a user holds now (read in the caller's transaction)."""
    names = session.execute(sa.select(UserRole.role).where(UserRole.user_id == user_id)).scalars()
    return parse_roles(names)


def require(session: Session, actor: Actor, *permissions: Permission) -> None:
    """Refuse unless the actor holds at least one of ``permissions`` (system actors pass).

    Raises:
        NotAllowed: when a person lacks every one of the permissions.
    """
    if actor.user_id is None:
        return
    granted = permissions_for(roles_of(session, actor.user_id))
    if not any(p in granted for p in permissions):
        raise NotAllowed("You are not allowed to do this. Nothing was changed.")


def policy(session: Session, key: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """``policy_setting[key]`` merged over ``defaults``."""
    row = session.get(PolicySetting, key)
    merged = dict(defaults)
    if row is not None and isinstance(row.value, dict):
        merged.update(row.value)
    return merged


def _dialect_insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def next_number(session: Session, *, series: str, year: int) -> str:
    """Take the next gap-free number of ``series`` for ``year`` inside the caller's transaction.

    The counter row is created if missing (``ON CONFLICT DO NOTHING``), then locked: ``SELECT
    ... FOR UPDATE`` on PostgreSQL; on SQLite the unit of work already holds the write lock
    (``BEGIN IMMEDIATE``). A rolled-back transaction gives its number back, so numbers have no
    gaps.
    """
    insert = _dialect_insert(session)
    session.execute(insert(InvoiceNumberSequence).values(series=series, year=year, last_number=0)
                    .on_conflict_do_nothing(index_elements=["series", "year"]))
    query = sa.select(InvoiceNumberSequence.last_number).where(
        InvoiceNumberSequence.series == series, InvoiceNumberSequence.year == year)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    last = session.execute(query).scalar_one()
    session.execute(sa.update(InvoiceNumberSequence).where(
        InvoiceNumberSequence.series == series, InvoiceNumberSequence.year == year)
        .values(last_number=last + 1))
    return format_number(series, year, last + 1)


@dataclass(frozen=True)
class AuditItem:
    """One audit event for :func:`record_many`."""

    action: str
    object_type: str
    object_id: str | int
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    reason: str = ""


def record_many(session: Session, *, actor: Actor, items: Sequence[AuditItem],
                at: datetime | None = None) -> int:
    """Append many audit events to the chain in the caller's transaction (one INSERT).

    Same chain and lock as :func:`console.services.audit.record`: on PostgreSQL the advisory
    lock serialises appenders; on SQLite the write lock does.

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


def major_text(minor: int, exp: int) -> str:
    """Minor units as plain major-unit text with the currency's decimals (no symbol)."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10 ** exp) if exp else (abs(minor), 0)
    return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"
