"""Metered usage: raw events (idempotent), daily aggregates and import batches."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, json_col, pk, ts, utcnow


class UsageEvent(SQLModel, table=True):
    """One usage event; ``quantity_micro`` is the quantity in millionths (exact sums)."""

    __tablename__ = "usage_event"
    __table_args__ = (
        sa.Index("ix_usage_event_customer_meter_time", "customer_id", "meter_id", "occurred_at"),
    )

    id: int | None = Field(default=None, sa_column=pk())
    idempotency_key: str = Field(sa_column=sa.Column(sa.String(128), nullable=False, unique=True))
    customer_id: int = Field(sa_column=fk("customer.id", index=False))
    meter_id: int = Field(sa_column=fk("meter.id", index=False))
    quantity_micro: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    properties: dict | None = Field(default=None, sa_column=json_col())
    occurred_at: datetime = Field(sa_column=ts(nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    import_id: int | None = Field(default=None, sa_column=fk("usage_import.id", nullable=True))


class UsageDaily(SQLModel, table=True):
    """Per customer, meter and UTC day: sum, count and max of quantities (for charts)."""

    __tablename__ = "usage_daily"

    customer_id: int = Field(sa_column=sa.Column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("customer.id"), primary_key=True))
    meter_id: int = Field(sa_column=sa.Column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("meter.id"), primary_key=True))
    day: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    quantity_micro: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    max_micro: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    events: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))


class UsageImport(SQLModel, table=True):
    """A batch of usage events received from a file or the HTTP endpoint."""

    __tablename__ = "usage_import"

    id: int | None = Field(default=None, sa_column=pk())
    #: cli | api | demo
    source: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    filename: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    #: accepted | rejected
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    received: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    inserted: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    duplicates: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    rejected: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    errors: list | None = Field(default=None, sa_column=json_col())
    created_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
