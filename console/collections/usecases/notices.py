"""Emails to customers about their payments, written to the outbox (a sender delivers them)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from console.collections.domain.dunning import Message
from models import OutboxMessage


def send_notice(session: Session, customer_id: int, msg: Message, *, invoice_id: int,
                now: datetime) -> OutboxMessage:
    """Write ``msg`` about an invoice to the customer's outbox.

    Args:
        session: the open unit of work.
        customer_id: the customer it goes to.
        msg: the email (see :mod:`console.collections.domain.dunning`).
        invoice_id: the invoice it is about.
        now: when it was written.

    Returns:
        The outbox row.
    """
    row = OutboxMessage(customer_id=customer_id, kind=msg.kind, subject=msg.subject,
                        body=msg.body, related_type="invoice", related_id=invoice_id,
                        created_at=now)
    session.add(row)
    session.flush()
    return row
