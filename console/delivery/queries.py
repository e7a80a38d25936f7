"""Reads for the Webhooks page: endpoints (never their secrets) and deliveries, in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from models import User, WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.db import read_session

#: Delivery statuses as a person reads them, with a badge colour.
STATUS = {"pending": ("Waiting", "gray"), "delivered": ("Delivered", "green"),
          "failed": ("Failed, will retry", "orange"), "dead": ("Gave up", "red")}
STATUS_FILTERS = [("", "All"), ("failed", "Failed, will retry"), ("dead", "Gave up"),
                  ("pending", "Waiting"), ("delivered", "Delivered")]
PER_PAGE = 25


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint (no secret)."""

    id: int
    url: str
    description: str
    event_types: str
    enabled: bool
    state: str
    created: str
    waiting: int
    delivered: int
    failing: int
    dead: int
    version: int


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery of one event to one endpoint."""

    id: int
    event_uid: str
    topic: str
    ordering_key: str
    endpoint: str
    status: str
    tone: str
    attempts: int
    last_attempt: str
    next_attempt: str
    result: str
    created: str
    replayable: bool
    version: int


@dataclass(frozen=True)
class DeliveryPage:
    """A page of deliveries, newest first."""

    rows: list[DeliveryRow] = field(default_factory=list)
    total: int = 0
    page: int = 0
    pages: int = 1


def endpoint_rows(session: Session) -> list[EndpointRow]:
    """Every endpoint with its delivery counts."""
    d = WebhookDelivery.__table__
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, n in session.execute(
            sa.select(d.c.endpoint_id, d.c.status, sa.func.count())
            .group_by(d.c.endpoint_id, d.c.status)):
        counts.setdefault(endpoint_id, {})[status] = n
    rows = session.execute(
        sa.select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.description,
                  WebhookEndpoint.event_types, WebhookEndpoint.enabled,
                  WebhookEndpoint.created_at, WebhookEndpoint.version, User.email)
        .outerjoin(User, User.id == WebhookEndpoint.created_by)
        .order_by(WebhookEndpoint.id)).all()
    out = []
    for ep_id, url, description, types, enabled, created_at, version, email in rows:
        c = counts.get(ep_id, {})
        out.append(EndpointRow(
            int(ep_id), url, description, ", ".join(types or []) or "all events",
            bool(enabled), "Enabled" if enabled else "Disabled",
            f"{_when(created_at)} by {email or 'the system'}", c.get("pending", 0),
            c.get("delivered", 0), c.get("failed", 0), c.get("dead", 0), int(version)))
    return out


def _result(d: WebhookDelivery) -> str:
    if d.status == "delivered":
        return f"HTTP {d.last_status_code}" if d.last_status_code else "Delivered"
    if d.last_error:
        return d.last_error
    return "Not tried yet"


def delivery_page(session: Session, *, status: str = "", endpoint_id: int = 0, page: int = 0,
                  per_page: int = PER_PAGE) -> DeliveryPage:
    """Deliveries, newest first, filtered by status and endpoint, one page of them."""
    conds = []
    if status in STATUS:
        conds.append(WebhookDelivery.status == status)
    if endpoint_id:
        conds.append(WebhookDelivery.endpoint_id == endpoint_id)
    total = session.execute(sa.select(sa.func.count()).select_from(WebhookDelivery)
                            .where(*conds)).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    rows = session.execute(
        sa.select(WebhookDelivery, WebhookEvent.uid, WebhookEvent.topic,
                  WebhookEvent.ordering_key, WebhookEndpoint.url)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(*conds).order_by(WebhookDelivery.id.desc())
        .offset(page * per_page).limit(per_page)).all()
    out = []
    for d, uid, topic, key, url in rows:
        label, tone = STATUS.get(d.status, (d.status, "gray"))
        waiting = d.status in ("pending", "failed")
        out.append(DeliveryRow(
            int(d.id), uid, topic, key, url, label, tone, d.attempts, _when(d.last_attempt_at),
            _when(d.next_attempt_at) if waiting else "", _result(d), _when(d.created_at),
            d.status in ("failed", "dead"), d.version))
    return DeliveryPage(out, int(total), page, pages)


# --- page-facing

def endpoints_view() -> list[EndpointRow]:
    """The Webhooks page's endpoint table."""
    with read_session() as s:
        return endpoint_rows(s)


def deliveries_view(*, status: str = "", endpoint_id: int = 0, page: int = 0) -> DeliveryPage:
    """The Webhooks page's delivery table."""
    with read_session() as s:
        return delivery_page(s, status=status, endpoint_id=endpoint_id, page=page)
