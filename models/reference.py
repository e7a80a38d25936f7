"""Reference data: exchange rates for reporting and the configurable policy settings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, ts, utcnow


class FxRate(SQLModel, table=True):
    """Units of the reporting currency per one unit of ``currency`` (decimal text)."""

    __tablename__ = "fx_rate"

    currency: str = Field(sa_column=sa.Column(sa.String(3), primary_key=True))
    reporting_currency: str = Field(sa_column=sa.Column(sa.String(3), primary_key=True))
    rate: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class PolicySetting(SQLModel, table=True):
    """A named policy value (approval thresholds, SLA hours per reason, dunning schedule)."""

    __tablename__ = "policy_setting"

    key: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    value: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    updated_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                index=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
