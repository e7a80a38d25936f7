"""Managing webhook endpoints (admin): add one (its secret is shown once), disable or enable
it, send it a test event, replay a failed or dead delivery. Each is audited; the secret never
enters the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.delivery.domain import check_url, new_secret, parse_event_types
from console.delivery.usecases.outbox import enqueue
from console.delivery.usecases.webhooks import deliver_due
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import check_version, conditional_update
from console.kernel.errors import Conflict, FieldError, NotFound, ServiceError
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.db import read_session, unit_of_work
from models.types import utcnow

REPLAYABLE = ("failed", "dead")
TEST_TOPIC = "webhook.test"


@dataclass(frozen=True)
class NewEndpoint:
    """A created endpoint and its secret (the only time the secret leaves the server)."""

    id: int
    url: str
    secret: str
    version: int = 1


def _public(ep: WebhookEndpoint) -> dict:
    return {"url": ep.url, "description": ep.description, "event_types": list(ep.event_types),
            "enabled": ep.enabled}


def _endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    ep = session.get(WebhookEndpoint, endpoint_id)
    if ep is None:
        raise NotFound("That webhook endpoint does not exist. Nothing was changed.")
    return ep


def create_endpoint(session: Session, *, actor: Actor, url: str, description: str = "",
                    event_types: str | list[str] = "") -> NewEndpoint:
    """Add a receiver; returns it with its new secret (shown once, never again).

    Raises:
        FieldError: on ``url`` (not http(s), no host...) or ``event_types``; nothing changed.
        NotAllowed: without MANAGE_WEBHOOKS.
    """
    require(session, actor, Permission.MANAGE_WEBHOOKS)
    clean_url = check_url(url)
    wanted = parse_event_types(event_types)
    text = str(description or "").strip()
    if len(text) > 300:
        raise FieldError("description", "at most 300 characters")
    secret = new_secret()
    ep = WebhookEndpoint(url=clean_url, description=text, secret=secret, event_types=wanted,
                         enabled=True, created_by=actor.user_id)
    session.add(ep)
    session.flush()
    record(session, actor=actor, action="webhook.endpoint_created", object_type="webhook_endpoint",
           object_id=ep.id, after=_public(ep))
    return NewEndpoint(int(ep.id or 0), ep.url, secret, ep.version)


def set_enabled(session: Session, *, actor: Actor, endpoint_id: int, enabled: bool,
                expect_version: int | None = None) -> WebhookEndpoint:
    """Disable (nothing more is sent to it; pending deliveries wait) or enable an endpoint.

    Raises:
        NotAllowed, NotFound, Conflict (changed by someone else, or already in that state).
    """
    require(session, actor, Permission.MANAGE_WEBHOOKS)
    ep = _endpoint(session, endpoint_id)
    check_version(ep, expect_version)
    if ep.enabled == enabled:
        raise Conflict(f"This endpoint is already {'enabled' if enabled else 'disabled'}. "
                       "Nothing was changed.")
    before = _public(ep)
    conditional_update(session, ep, enabled=enabled, updated_at=utcnow())
    record(session, actor=actor,
           action="webhook.endpoint_enabled" if enabled else "webhook.endpoint_disabled",
           object_type="webhook_endpoint", object_id=ep.id, before=before, after=_public(ep))
    return ep


def send_test(session: Session, *, actor: Actor, endpoint_id: int) -> WebhookDelivery:
    """Queue a ``webhook.test`` event for one enabled endpoint; returns its delivery.

    Raises:
        NotAllowed, NotFound, Conflict (the endpoint is disabled).
    """
    require(session, actor, Permission.MANAGE_WEBHOOKS)
    ep = _endpoint(session, endpoint_id)
    if not ep.enabled:
        raise Conflict("This endpoint is disabled; enable it before sending a test event. "
                       "Nothing was sent.")
    event = enqueue(session, topic=TEST_TOPIC, ordering_key=f"test:endpoint:{ep.id}",
                    payload={"message": "A test event from the monetization console.",
                             "endpoint_id": ep.id, "requested_by": actor.label},
                    endpoint_ids=[int(ep.id or 0)])
    record(session, actor=actor, action="webhook.test_sent", object_type="webhook_endpoint",
           object_id=ep.id, after={"event": event.uid, "topic": TEST_TOPIC})
    return session.execute(sa.select(WebhookDelivery).where(
        WebhookDelivery.event_id == event.id, WebhookDelivery.endpoint_id == ep.id)).scalar_one()


def replay(session: Session, *, actor: Actor, delivery_id: int,
           expect_version: int | None = None) -> WebhookDelivery:
    """Send a failed or dead delivery again now, with a fresh set of attempts (same
    ``webhook-id``, so a receiver that already processed it can tell).

    Raises:
        NotAllowed, NotFound, Conflict (delivered, pending, or changed by someone else).
    """
    require(session, actor, Permission.MANAGE_WEBHOOKS)
    d = session.get(WebhookDelivery, delivery_id)
    if d is None:
        raise NotFound("That delivery does not exist. Nothing was changed.")
    check_version(d, expect_version)
    if d.status not in REPLAYABLE:
        raise Conflict(f"Only failed or dead deliveries can be replayed; this one is "
                       f"{d.status}. Nothing was changed.")
    before = {"status": d.status, "attempts": d.attempts, "last_error": d.last_error}
    conditional_update(session, d, status="pending", attempts=0, next_attempt_at=utcnow(),
                       lease_until=None, leased_by=None)
    event = session.get(WebhookEvent, d.event_id)
    record(session, actor=actor, action="webhook.delivery_replayed",
           object_type="webhook_delivery", object_id=d.id, before=before,
           after={"status": "pending", "event": event.uid if event else None,
                  "endpoint_id": d.endpoint_id})
    return d


# --- page-facing

def add_endpoint(user_id: int, *, url: str, description: str = "",
                 event_types: str = "") -> tuple[Outcome, str]:
    """Add an endpoint for the page: the outcome, and the secret to show once ("" if refused)."""
    try:
        with unit_of_work() as s:
            new = create_endpoint(s, actor=actor_for(s, user_id), url=url,
                                  description=description, event_types=event_types)
    except ServiceError as exc:
        return Outcome(False, str(exc)), ""
    return Outcome(True, "Endpoint added. Copy its signing secret now: it is not shown again.",
                   new.id, new.version), new.secret


def disable_endpoint(user_id: int, endpoint_id: int, version: int | None = None) -> Outcome:
    """Disable an endpoint (page)."""
    return act(user_id, set_enabled, done="Endpoint disabled: nothing more is sent to it.",
               object_id=endpoint_id, endpoint_id=endpoint_id, enabled=False,
               expect_version=version)


def enable_endpoint(user_id: int, endpoint_id: int, version: int | None = None) -> Outcome:
    """Enable an endpoint again (page); deliveries that waited go out."""
    return act(user_id, set_enabled, done="Endpoint enabled.", object_id=endpoint_id,
               endpoint_id=endpoint_id, enabled=True, expect_version=version)


def _attempt_now(outcome: Outcome, what: str) -> Outcome:
    if not outcome.ok or outcome.object_id is None:
        return outcome
    report = deliver_due(only=[outcome.object_id], limit=1)
    with read_session() as s:
        d = s.get(WebhookDelivery, outcome.object_id)
        status, error = (d.status, d.last_error or "") if d else ("", "")
    if report.delivered or status == "delivered":
        return Outcome(True, f"{what} delivered.", outcome.object_id)
    if status in ("failed", "dead"):
        later = "it will be retried" if status == "failed" else "no more attempts are left"
        return Outcome(False, f"{what} not delivered: {error}; {later}.", outcome.object_id)
    return Outcome(True, f"{what} queued: it waits for an earlier event of the same key.",
                   outcome.object_id)


def send_test_event(user_id: int, endpoint_id: int) -> Outcome:
    """Send a test event to one endpoint now and say how it went (page)."""
    queued = act(user_id, send_test, done="Test event queued.", object_id=None,
                 endpoint_id=endpoint_id)
    return _attempt_now(queued, "Test event")


def replay_delivery(user_id: int, delivery_id: int, version: int | None = None) -> Outcome:
    """Replay a failed or dead delivery now and say how it went (page)."""
    replayed = act(user_id, replay, done="Delivery queued again.", object_id=delivery_id,
                   delivery_id=delivery_id, expect_version=version)
    return _attempt_now(replayed, "Replayed delivery")
