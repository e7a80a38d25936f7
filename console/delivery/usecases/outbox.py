"""The webhook outbox: :func:`enqueue` writes an event and its deliveries in the caller's
transaction, so a change and its notification commit (or roll back) together."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.delivery.domain import check_topic, topic_matches
from console.kernel.errors import FieldError
from models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.types import utcnow


def new_uid() -> str:
    """A fresh ``webhook-id``: ``msg_`` + 26 random hex characters (never a dot)."""
    return "msg_" + secrets.token_hex(13)


def enqueue(session: Session, *, topic: str, ordering_key: str, payload: Mapping[str, Any],
            endpoint_ids: Sequence[int] | None = None) -> WebhookEvent:
    """Write an outbox event and one pending delivery per enabled endpoint that wants it.

    Call it inside the unit of work of the change it tells about (e.g. an entitlement change),
    never in a transaction of its own: if the change rolls back, so does the event.

    Args:
        session: the caller's unit of work.
        topic: e.g. ``entitlements.changed`` (lower case, dot-separated).
        ordering_key: events of one key reach each endpoint in the order they were written,
            e.g. ``customer:42``.
        payload: the event's data (JSON values: str, int, float, bool, None, lists, dicts).
        endpoint_ids: only these endpoints (e.g. a test event); default: every enabled
            endpoint whose event types match.

    Returns:
        The event (flushed: it has its id and ``uid``, the receivers' idempotency key).

    Raises:
        FieldError: for a bad topic, an empty ordering key or a payload that is not JSON.
    """
    topic = check_topic(topic)
    key = str(ordering_key or "").strip()
    if not key or len(key) > 200:
        raise FieldError("ordering_key", "give a key of 1 to 200 characters, e.g. customer:42")
    try:
        data = json.loads(json.dumps(dict(payload), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise FieldError("payload", f"must be JSON data ({exc})") from None
    now = utcnow()
    event = WebhookEvent(uid=new_uid(), topic=topic, ordering_key=key, payload=data,
                         created_at=now)
    session.add(event)
    session.flush()
    stmt = sa.select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
        WebhookEndpoint.enabled.is_(True))
    if endpoint_ids is not None:
        stmt = stmt.where(WebhookEndpoint.id.in_(list(endpoint_ids)))
    rows = [{"event_id": event.id, "endpoint_id": endpoint_id, "status": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now, "version": 1}
            for endpoint_id, wanted in session.execute(stmt.order_by(WebhookEndpoint.id))
            if endpoint_ids is not None or topic_matches(topic, list(wanted or []))]
    if rows:
        session.execute(sa.insert(WebhookDelivery.__table__), rows)
    return event
