"""Scheduled jobs: one row per claimed run (the lock, the history and the Jobs page's data)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, pk, ts, utcnow


class JobRun(SQLModel, table=True):
    """A claimed run of a job for one schedule slot; UNIQUE(job, slot) makes it run once.

    A manual run ("Run now") gets the second it was asked for as its slot.
    """

    __tablename__ = "job_run"
    __table_args__ = (sa.UniqueConstraint("job", "slot", name="uq_job_run_job_slot"),
                      sa.Index("ix_job_run_started", "started_at"))

    id: int | None = Field(default=None, sa_column=pk())
    job: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    slot: datetime = Field(sa_column=ts(nullable=False))
    #: running | succeeded | failed
    status: str = Field(default="running", sa_column=sa.Column(sa.String(16), nullable=False))
    #: schedule | manual
    trigger: str = Field(default="schedule", sa_column=sa.Column(sa.String(16), nullable=False))
    worker: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    requested_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                  index=False))
    #: how many times the slot was claimed (a crashed claim past its lease is taken again)
    claims: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=ts())
    duration_ms: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    summary: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class JobSchedule(SQLModel, table=True):
    """An admin's schedule for a job, replacing the registry's default (audited), in force
    from ``updated_at`` on."""

    __tablename__ = "job_schedule"

    id: int | None = Field(default=None, sa_column=pk())
    job: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    cron: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    updated_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                index=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
