"""Pricing experiments (arms, sticky assignments) and staged rollouts."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, json_col, pk, ts, utcnow


class Experiment(SQLModel, table=True):
    """draft -> scheduled -> running -> paused -> concluded | rolled_back."""

    __tablename__ = "experiment"

    id: int | None = Field(default=None, sa_column=pk())
    key: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    hypothesis: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    plan_id: int = Field(sa_column=fk("plan.id"))
    status: str = Field(default="draft", sa_column=sa.Column(sa.String(16), nullable=False,
                                                               index=True))
    eligibility: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    #: conversion | arpa | expansion | churn
    primary_metric: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    guardrails: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    planned_days: int = Field(default=30, sa_column=sa.Column(sa.Integer, nullable=False))
    min_sample: int = Field(default=100, sa_column=sa.Column(sa.Integer, nullable=False))
    scheduled_for: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    started_at: datetime | None = Field(default=None, sa_column=ts())
    ended_at: datetime | None = Field(default=None, sa_column=ts())
    # No FK: experiment_arm points back here, and a cycle would need ALTER on SQLite.
    winner_arm_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    results: dict | None = Field(default=None, sa_column=json_col())
    created_by: int = Field(sa_column=fk("app_user.id", index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class ExperimentArm(SQLModel, table=True):
    """One arm: the plan version it offers and its allocation weight."""

    __tablename__ = "experiment_arm"
    __table_args__ = (sa.UniqueConstraint("experiment_id", "name"),)

    id: int | None = Field(default=None, sa_column=pk())
    experiment_id: int = Field(sa_column=fk("experiment.id", ondelete="CASCADE"))
    name: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    plan_version_id: int = Field(sa_column=fk("plan_version.id", index=False))
    weight: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    is_control: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))


class ExperimentAssignment(SQLModel, table=True):
    """A customer's sticky arm, stored the first time it is used."""

    __tablename__ = "experiment_assignment"
    __table_args__ = (sa.UniqueConstraint("experiment_id", "customer_id"),)

    id: int | None = Field(default=None, sa_column=pk())
    experiment_id: int = Field(sa_column=fk("experiment.id", ondelete="CASCADE"))
    arm_id: int = Field(sa_column=fk("experiment_arm.id"))
    customer_id: int = Field(sa_column=fk("customer.id"))
    assigned_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class Rollout(SQLModel, table=True):
    """A staged move of customers from one plan version to another, with guardrails."""

    __tablename__ = "rollout"

    id: int | None = Field(default=None, sa_column=pk())
    key: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    plan_id: int = Field(sa_column=fk("plan.id"))
    from_version_id: int = Field(sa_column=fk("plan_version.id", index=False))
    to_version_id: int = Field(sa_column=fk("plan_version.id", index=False))
    #: draft | running | paused | completed | rolled_back
    status: str = Field(default="draft", sa_column=sa.Column(sa.String(16), nullable=False))
    #: next_renewal | date
    timing: str = Field(default="next_renewal", sa_column=sa.Column(sa.String(16),
                                                                      nullable=False))
    guardrails: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    include_grandfathered: bool = Field(default=False, sa_column=sa.Column(sa.Boolean,
                                                                             nullable=False))
    owner_id: int = Field(sa_column=fk("app_user.id", index=False))
    paused_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class RolloutStage(SQLModel, table=True):
    """One stage of a rollout (e.g. 10%) and the guardrail check after it."""

    __tablename__ = "rollout_stage"
    __table_args__ = (sa.UniqueConstraint("rollout_id", "position"),)

    id: int | None = Field(default=None, sa_column=pk())
    rollout_id: int = Field(sa_column=fk("rollout.id", ondelete="CASCADE"))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    percent: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    #: pending | completed | breached
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False))
    effective_date: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    preview: dict | None = Field(default=None, sa_column=json_col())
    guardrail_result: dict | None = Field(default=None, sa_column=json_col())
    confirmed_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                  index=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=ts())


class RolloutMember(SQLModel, table=True):
    """A subscription moved by a rollout stage, with the version it came from (for rollback)."""

    __tablename__ = "rollout_member"
    __table_args__ = (sa.UniqueConstraint("rollout_id", "subscription_id"),)

    id: int | None = Field(default=None, sa_column=pk())
    rollout_id: int = Field(sa_column=fk("rollout.id", ondelete="CASCADE"))
    stage_id: int = Field(sa_column=fk("rollout_stage.id", index=False))
    customer_id: int = Field(sa_column=fk("customer.id"))
    subscription_id: int = Field(sa_column=fk("subscription.id", index=False))
    from_version_id: int = Field(sa_column=fk("plan_version.id", index=False))
    moved_on: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    rolled_back_on: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
