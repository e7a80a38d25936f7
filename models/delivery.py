"""Signed webhook delivery (endpoints, the event outbox, one delivery per event and endpoint)
and the sending record of outbox e-mails."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, pk, ts, utcnow


class WebhookEndpoint(SQLModel, table=True):
    """A receiver of signed events. The secret is shown once, at creation, and never again."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, sa_column=pk())
    url: str = Field(sa_column=sa.Column(sa.String(2000), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    #: ``whsec_`` + base64 of 32 random bytes (Standard Webhooks)
    secret: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: topics it wants (``entitlements.changed``, ``entitlements.*``); empty: every topic
    event_types: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    enabled: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    created_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class WebhookEvent(SQLModel, table=True):
    """The outbox: one event, written in the transaction of the change it tells about."""

    __tablename__ = "webhook_event"
    __table_args__ = (sa.Index("ix_webhook_event_ordering", "ordering_key", "id"),)

    id: int | None = Field(default=None, sa_column=pk())
    #: the ``webhook-id`` header (``msg_...``): the receiver's idempotency key
    uid: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, unique=True))
    topic: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: events of one key reach an endpoint in order (e.g. ``customer:42``)
    ordering_key: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    payload: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class WebhookDelivery(SQLModel, table=True):
    """One event to one endpoint: pending -> delivered | failed (retried) -> dead."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_delivery_event_endpoint"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint_status", "endpoint_id", "status"),
    )

    id: int | None = Field(default=None, sa_column=pk())
    event_id: int = Field(sa_column=fk("webhook_event.id", index=False))
    endpoint_id: int = Field(sa_column=fk("webhook_endpoint.id", index=False))
    #: pending | delivered | failed | dead
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    #: a deliverer holds the delivery until then (claimed, request in flight)
    lease_until: datetime | None = Field(default=None, sa_column=ts())
    leased_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    last_attempt_at: datetime | None = Field(default=None, sa_column=ts())
    last_status_code: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    delivered_at: datetime | None = Field(default=None, sa_column=ts())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class MailDelivery(SQLModel, table=True):
    """The sending of one outbox e-mail: claimed before it is sent, so it goes out at most once.

    sending -> sent | failed (retried later) -> dead. A ``sending`` row that never finished
    (the worker stopped mid-send) is left for a person: it may or may not have gone out.
    """

    __tablename__ = "mail_delivery"

    id: int | None = Field(default=None, sa_column=pk())
    message_id: int = Field(sa_column=sa.Column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("outbox_message.id"), nullable=False, unique=True))
    #: sending | sent | failed | dead
    status: str = Field(default="sending", sa_column=sa.Column(sa.String(16), nullable=False))
    attempts: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    worker: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    #: smtp | file
    transport: str = Field(default="", sa_column=sa.Column(sa.String(16), nullable=False))
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    next_attempt_at: datetime | None = Field(default=None, sa_column=ts())
    sent_at: datetime | None = Field(default=None, sa_column=ts())
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    #: the Message-ID header, or the file written
    reference: str | None = Field(default=None, sa_column=sa.Column(sa.String(300)))
