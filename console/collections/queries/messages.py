"""The customer's emails in the outbox (dunning reminders, notices), for the customer pages."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.collections.queries.receivables import minute_text
from models import OutboxMessage
from models.db import read_session


@dataclass(frozen=True)
class MessageRow:
    """An email in the outbox (dunning reminders, notices)."""

    id: int
    at: str
    kind: str
    subject: str
    body: str
    sent: str


def customer_messages(session: Session, customer_id: int, *, limit: int = 50
                      ) -> list[MessageRow]:
    """A customer's outbox messages, newest first.

    Args:
        session: an open session.
        customer_id: the customer.
        limit: at most this many messages.

    Returns:
        The messages, preformatted.
    """
    rows = session.execute(sa.select(OutboxMessage).where(OutboxMessage.customer_id == customer_id)
                           .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                           .limit(limit)).scalars().all()
    return [MessageRow(m.id, minute_text(m.created_at), m.kind, m.subject, m.body,
                       minute_text(m.sent_at) or "not sent yet")
            for m in rows]


# --- page-facing


def customer_messages_view(customer_id: int, *, limit: int = 50) -> list[MessageRow]:
    """Page-facing :func:`customer_messages`."""
    with read_session() as s:
        return customer_messages(s, customer_id, limit=limit)
