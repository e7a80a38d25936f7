"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, json_col, pk, ts


class AuditEvent(SQLModel, table=True):
    """One change: who did what to which object, before/after, why; chained by SHA-256."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, sa_column=pk())
    occurred_at: datetime = Field(sa_column=ts(nullable=False, index=True))
    actor_id: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True))
    actor_label: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    object_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    object_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    before: dict | None = Field(default=None, sa_column=json_col())
    after: dict | None = Field(default=None, sa_column=json_col())
    reason: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    prev_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
