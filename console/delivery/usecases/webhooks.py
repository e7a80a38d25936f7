"""Sending webhook deliveries: claim due ones, POST them signed, record the outcome.

* Claim: a short transaction picks due deliveries (``SELECT ... FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; SQLite's write lock serialises claimers) and leases them to this worker with a
  conditional update; the HTTP request runs outside any transaction. Two deliverers running
  at once never hold the same delivery.
* Ordering: a delivery waits while an earlier event of the same ordering key to the same
  endpoint is neither delivered nor dead.
* Outcome: 2xx = delivered; anything else (an HTTP error, a timeout, a refused connection, a
  redirect) counts as a failed attempt, retried with backoff (:mod:`console.delivery.domain
  .retry`) until ``CONSOLE_WEBHOOK_MAX_ATTEMPTS`` attempts, then dead.
* The ``webhook-id`` is the event's uid on every attempt: receivers deduplicate by it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from console.delivery.domain import after_failure, signed_headers
from console.kernel.metrics import WEBHOOK_DELIVERIES
from console.kernel.process import worker_name
from console.kernel.settings import settings
from models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.db import unit_of_work
from models.types import utcnow

log = logging.getLogger(__name__)

BATCH = 10
UNFINISHED = ("pending", "failed")
USER_AGENT = "monetization-console-webhooks/1"


@dataclass
class DeliveryReport:
    """What one pass did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def summary(self) -> str:
        """One line for the job history."""
        if not (self.delivered or self.failed or self.dead):
            return "nothing to deliver"
        return (f"{self.delivered} delivered, {self.failed} failed (will retry), "
                f"{self.dead} given up")


@dataclass(frozen=True)
class _Work:
    delivery_id: int
    attempts: int
    url: str
    secret: str
    uid: str
    body: bytes


def body_of(event: WebhookEvent) -> bytes:
    """The request body: ``{"type", "timestamp", "data"}`` (Standard Webhooks' shape)."""
    doc = {"type": event.topic, "timestamp": event.created_at.isoformat(),
           "data": event.payload}
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def _due_ids(session, *, now: datetime, wall: datetime, limit: int,
             only: Sequence[int] | None) -> list[int]:
    d, e = WebhookDelivery.__table__, WebhookEvent.__table__
    ep = WebhookEndpoint.__table__
    d2, e2 = aliased(WebhookDelivery), aliased(WebhookEvent)
    earlier = (sa.select(d2.id).join(e2, e2.id == d2.event_id)
               .where(d2.endpoint_id == d.c.endpoint_id, e2.ordering_key == e.c.ordering_key,
                      e2.id < e.c.id, d2.status.in_(UNFINISHED)))
    stmt = (sa.select(d.c.id).join(e, e.c.id == d.c.event_id).join(ep, ep.c.id == d.c.endpoint_id)
            .where(d.c.status.in_(UNFINISHED), d.c.next_attempt_at <= now,
                   sa.or_(d.c.lease_until.is_(None), d.c.lease_until < wall),
                   ep.c.enabled.is_(True), ~sa.exists(earlier))
            .order_by(e.c.id, d.c.id).limit(limit))
    if only is not None:
        stmt = stmt.where(d.c.id.in_(list(only)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=d, skip_locked=True)
    return list(session.execute(stmt).scalars())


def claim(*, now: datetime, worker: str, limit: int = BATCH,
          only: Sequence[int] | None = None) -> list[_Work]:
    """Lease up to ``limit`` due deliveries to ``worker`` (one short transaction)."""
    wall = utcnow()
    lease = timedelta(seconds=limit * settings().webhook_timeout_seconds + 60)
    d = WebhookDelivery.__table__
    with unit_of_work() as s:
        ids = _due_ids(s, now=now, wall=wall, limit=limit, only=only)
        if not ids:
            return []
        got = set(s.execute(
            sa.update(d).where(d.c.id.in_(ids), d.c.status.in_(UNFINISHED),
                               sa.or_(d.c.lease_until.is_(None), d.c.lease_until < wall))
            .values(lease_until=wall + lease, leased_by=worker[:128])
            .returning(d.c.id)).scalars())
        rows = s.execute(
            sa.select(WebhookDelivery, WebhookEndpoint, WebhookEvent)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id.in_(got)).order_by(WebhookEvent.id)).all()
        return [_Work(int(dl.id), dl.attempts, ep.url, ep.secret, ev.uid, body_of(ev))
                for dl, ep, ev in rows]


def _post(client: httpx.Client, work: _Work) -> tuple[int | None, str]:
    """POST one delivery; ``(status code, error text)`` (error empty on 2xx)."""
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               **signed_headers(work.secret, work.uid, int(time.time()), work.body)}
    try:
        resp = client.post(work.url, content=work.body, headers=headers)
    except httpx.TimeoutException:
        return None, f"no answer within {settings().webhook_timeout_seconds:g} s"
    except httpx.HTTPError as exc:
        return None, f"could not reach the receiver ({type(exc).__name__}: {exc})"[:500]
    if 200 <= resp.status_code < 300:
        return resp.status_code, ""
    if 300 <= resp.status_code < 400:
        return resp.status_code, (f"HTTP {resp.status_code}: redirects are not followed; "
                                  "give the final address")
    text = " ".join(resp.text.split())[:300]
    return resp.status_code, f"HTTP {resp.status_code}" + (f": {text}" if text else "")


def _record(work: _Work, *, worker: str, code: int | None, error: str, now: datetime,
            report: DeliveryReport) -> None:
    d = WebhookDelivery.__table__
    wall = utcnow()
    attempts = work.attempts + 1
    values: dict = {"attempts": attempts, "last_attempt_at": wall, "last_status_code": code,
                    "lease_until": None, "leased_by": None, "version": d.c.version + 1}
    if not error:
        values.update(status="delivered", delivered_at=wall, last_error=None)
        outcome = "delivered"
    else:
        step = after_failure(attempts=attempts, max_attempts=settings().webhook_max_attempts,
                             now=now, jitter=random.random())
        values.update(status=step.status, last_error=error)
        if step.next_at is not None:
            values["next_attempt_at"] = step.next_at
        outcome = step.status
    with unit_of_work() as s:
        changed = s.execute(sa.update(d).where(d.c.id == work.delivery_id,
                                               d.c.leased_by == worker[:128])
                            .values(**values)).rowcount
    if changed != 1:
        log.warning("delivery %s: the lease was lost before its outcome (%s) was recorded",
                    work.delivery_id, outcome)
        return
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
    setattr(report, outcome, getattr(report, outcome) + 1)


def deliver_due(*, now: datetime | None = None, worker: str | None = None, limit: int = 500,
                only: Sequence[int] | None = None,
                client: httpx.Client | None = None) -> DeliveryReport:
    """Send due deliveries until none is left or ``limit`` were attempted.

    Args:
        now: the clock deciding what is due and when to retry (default now).
        worker: the name on leases (default: host and pid).
        limit: at most this many attempts in this pass.
        only: only these delivery ids (e.g. a test event sent from the page).
        client: an httpx client (default: one with the configured timeout, no redirects).
    """
    now = now or utcnow()
    worker = worker or worker_name()
    report = DeliveryReport()
    own = client is None
    client = client or httpx.Client(timeout=settings().webhook_timeout_seconds,
                                    follow_redirects=False)
    attempted = 0
    try:
        while attempted < limit:
            batch = claim(now=now, worker=worker, limit=min(BATCH, limit - attempted),
                          only=only)
            if not batch:
                break
            for work in batch:
                code, error = _post(client, work)
                _record(work, worker=worker, code=code, error=error, now=now, report=report)
                attempted += 1
    finally:
        if own:
            client.close()
    return report
