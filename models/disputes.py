"""Dispute cases: the disputed lines, the timeline of events and the evidence files."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, minor, pk, ts, utcnow


class Dispute(SQLModel, table=True):
    """A dispute case.

    open -> investigating -> awaiting_customer -> resolved_credited | resolved_rejected | withdrawn.
    """

    __tablename__ = "dispute"

    id: int | None = Field(default=None, sa_column=pk())
    customer_id: int = Field(sa_column=fk("customer.id"))
    invoice_id: int | None = Field(default=None, sa_column=fk("invoice.id", nullable=True))
    status: str = Field(default="open", sa_column=sa.Column(sa.String(24), nullable=False,
                                                             index=True))
    #: usage_disagreement | price_plan_mismatch | duplicate_charge | service_issue
    #: | cancellation_not_honoured | other
    reason: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    description: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    amount_minor: int = Field(default=0, sa_column=minor())
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    owner_id: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True))
    opened_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                               index=False))
    opened_at: datetime = Field(sa_column=ts(nullable=False, index=True))
    response_due_at: datetime = Field(sa_column=ts(nullable=False, index=True))
    resolved_at: datetime | None = Field(default=None, sa_column=ts())
    resolution_note: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    credited_minor: int = Field(default=0, sa_column=minor())
    reopened_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class DisputeLine(SQLModel, table=True):
    """An invoice line under dispute and the amount disputed on it."""

    __tablename__ = "dispute_line"

    id: int | None = Field(default=None, sa_column=pk())
    dispute_id: int = Field(sa_column=fk("dispute.id", ondelete="CASCADE"))
    invoice_line_id: int = Field(sa_column=fk("invoice_line.id"))
    amount_minor: int = Field(default=0, sa_column=minor())


class DisputeEvidence(SQLModel, table=True):
    """A file attached to a dispute (type and size checked on upload)."""

    __tablename__ = "dispute_evidence"

    id: int | None = Field(default=None, sa_column=pk())
    dispute_id: int = Field(sa_column=fk("dispute.id", ondelete="CASCADE"))
    filename: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    content_type: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    size_bytes: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    uploaded_by: int = Field(sa_column=fk("app_user.id", index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class DisputeEvent(SQLModel, table=True):
    """One entry on a dispute's timeline."""

    __tablename__ = "dispute_event"

    id: int | None = Field(default=None, sa_column=pk())
    dispute_id: int = Field(sa_column=fk("dispute.id", ondelete="CASCADE"))
    #: note | evidence | status_change | customer_contact | assignment | credit_proposed
    kind: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    body: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    from_status: str | None = Field(default=None, sa_column=sa.Column(sa.String(24)))
    to_status: str | None = Field(default=None, sa_column=sa.Column(sa.String(24)))
    evidence_id: int | None = Field(default=None, sa_column=fk("dispute_evidence.id",
                                                                 nullable=True, index=False))
    actor_id: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                              index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
