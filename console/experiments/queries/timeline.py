"""The audit history of an experiment or rollout, as its page shows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.experiments.queries.labels import time_text
from models import AuditEvent


@dataclass(frozen=True)
class TimelineRow:
    """One audit event of an experiment or rollout."""

    at: str
    actor: str
    action: str
    detail: str
    reason: str


def _detail(ev: AuditEvent) -> str:
    after = ev.after or {}
    keep = ("status", "winner", "stage", "percent", "members", "returned", "canceled",
            "left_alone", "paused_reason", "kind", "scheduled_for")
    parts = [f"{k.replace('_', ' ')}: {after[k]}" for k in keep
             if k in after and after[k] not in (None, "")]
    return " · ".join(parts)


def timeline(session: Session, *, object_type: str, object_id: int,
             extra: Sequence[tuple[str, Sequence[int]]] = ()) -> list[TimelineRow]:
    """Return the audit events of an object (and of related objects), oldest first.

    Args:
        session: an open session.
        object_type: the audited object's type (``experiment``, ``rollout``).
        object_id: its id.
        extra: (object type, ids) of related objects whose events belong on the same page.
    """
    conds = [sa.and_(AuditEvent.object_type == object_type,
                     AuditEvent.object_id == str(object_id))]
    for kind, ids in extra:
        if ids:
            conds.append(sa.and_(AuditEvent.object_type == kind,
                                 AuditEvent.object_id.in_([str(i) for i in ids])))
    events = session.execute(sa.select(AuditEvent).where(sa.or_(*conds))
                             .order_by(AuditEvent.id)).scalars().all()
    return [TimelineRow(at=time_text(ev.occurred_at), actor=ev.actor_label,
                        action=ev.action, detail=_detail(ev),
                        reason=ev.reason) for ev in events]
