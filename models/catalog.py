"""Products, features, meters, plans, versioned rate cards, entitlements and their approvals."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, json_col, minor, pk, ts, utcnow


class Product(SQLModel, table=True):
    """A sellable product; plans belong to one."""

    __tablename__ = "product"

    id: int | None = Field(default=None, sa_column=pk())
    code: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class Meter(SQLModel, table=True):
    """How usage events of one type aggregate into billable units."""

    __tablename__ = "meter"

    id: int | None = Field(default=None, sa_column=pk())
    code: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    event_type: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    #: sum | count | max | unique_count | latest
    aggregation: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    #: event property counted by unique_count (the quantity is used otherwise)
    field_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    unit: str = Field(default="unit", sa_column=sa.Column(sa.String(32), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class Feature(SQLModel, table=True):
    """An entitlement key (e.g. ``sso``, ``api_calls``) that plan versions grant."""

    __tablename__ = "feature"

    id: int | None = Field(default=None, sa_column=pk())
    product_id: int = Field(sa_column=fk("product.id"))
    key: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    #: boolean | limit | metered
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    meter_id: int | None = Field(default=None, sa_column=fk("meter.id", nullable=True))


class Plan(SQLModel, table=True):
    """A plan of a product; its prices live in versions."""

    __tablename__ = "plan"

    id: int | None = Field(default=None, sa_column=pk())
    product_id: int = Field(sa_column=fk("product.id"))
    code: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    #: month | year
    interval: str = Field(default="month", sa_column=sa.Column(sa.String(8), nullable=False))
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class PlanVersion(SQLModel, table=True):
    """A versioned rate card: draft -> pending_approval -> approved -> published -> retired."""

    __tablename__ = "plan_version"
    __table_args__ = (sa.UniqueConstraint("plan_id", "number"),)

    id: int | None = Field(default=None, sa_column=pk())
    plan_id: int = Field(sa_column=fk("plan.id"))
    number: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    status: str = Field(default="draft", sa_column=sa.Column(sa.String(24), nullable=False,
                                                               index=True))
    based_on_id: int | None = Field(default=None, sa_column=fk("plan_version.id", nullable=True,
                                                                 index=False))
    effective_from: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    effective_to: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    notes: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    created_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=ts())
    published_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                  index=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class Price(SQLModel, table=True):
    """A rate-card row: a flat fee, seat price or metered charge with its charge model."""

    __tablename__ = "price"

    id: int | None = Field(default=None, sa_column=pk())
    plan_version_id: int = Field(sa_column=fk("plan_version.id", ondelete="CASCADE"))
    meter_id: int | None = Field(default=None, sa_column=fk("meter.id", nullable=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    #: recurring | seat | usage | one_time
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    #: standard | graduated | volume | package | percentage | graduated_percentage
    charge_model: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    properties: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    region: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    segment: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    #: month | year
    billing_interval: str = Field(default="month", sa_column=sa.Column(sa.String(8),
                                                                         nullable=False))
    pay_in_advance: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    minimum_minor: int | None = Field(default=None, sa_column=minor(nullable=True, default=None))
    commit_minor: int | None = Field(default=None, sa_column=minor(nullable=True, default=None))
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))


class Entitlement(SQLModel, table=True):
    """What a plan version grants for one feature: on/off, a limit, or metered."""

    __tablename__ = "entitlement"
    __table_args__ = (sa.UniqueConstraint("plan_version_id", "feature_id"),)

    id: int | None = Field(default=None, sa_column=pk())
    plan_version_id: int = Field(sa_column=fk("plan_version.id", ondelete="CASCADE"))
    feature_id: int = Field(sa_column=fk("feature.id"))
    enabled: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    limit_value: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))


class ChangeRequest(SQLModel, table=True):
    """A draft plan version submitted for approval, with its diff and revenue simulation."""

    __tablename__ = "change_request"

    id: int | None = Field(default=None, sa_column=pk())
    plan_version_id: int = Field(sa_column=fk("plan_version.id"))
    #: price_change | rollback | import
    kind: str = Field(default="price_change", sa_column=sa.Column(sa.String(16), nullable=False))
    #: pending | approved | rejected | changes_requested | withdrawn | published
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(24), nullable=False,
                                                                 index=True))
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    author_id: int = Field(sa_column=fk("app_user.id"))
    required_approvals: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    requires_finance: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    diff: dict | None = Field(default=None, sa_column=json_col())
    simulation: dict | None = Field(default=None, sa_column=json_col())
    effective_from: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=ts())
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class ApprovalRequest(SQLModel, table=True):
    """A maker-checker request outside the catalog: large credits, write-offs, experiment starts."""

    __tablename__ = "approval_request"

    id: int | None = Field(default=None, sa_column=pk())
    #: credit_note | write_off | dispute_credit | experiment_start | experiment_conclude
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, index=True))
    subject_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    subject_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    #: pending | approved | rejected | canceled
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False,
                                                                 index=True))
    requested_by: int = Field(sa_column=fk("app_user.id"))
    required_role: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    payload: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    reason: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=ts())
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class Approval(SQLModel, table=True):
    """One reviewer's decision on a change request or approval request."""

    __tablename__ = "approval"
    __table_args__ = (sa.UniqueConstraint("subject_type", "subject_id", "approver_id"),)

    id: int | None = Field(default=None, sa_column=pk())
    #: change_request | approval_request
    subject_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    subject_id: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))
    approver_id: int = Field(sa_column=fk("app_user.id"))
    approver_roles: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON,
                                                                            nullable=False))
    #: approve | reject | request_changes
    decision: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    comment: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class PlanMigration(SQLModel, table=True):
    """A scheduled move of (some) subscribers from one plan version to another."""

    __tablename__ = "plan_migration"

    id: int | None = Field(default=None, sa_column=pk())
    from_version_id: int = Field(sa_column=fk("plan_version.id"))
    to_version_id: int = Field(sa_column=fk("plan_version.id"))
    #: scheduled | running | completed | canceled
    status: str = Field(default="scheduled", sa_column=sa.Column(sa.String(16), nullable=False))
    #: next_renewal | date
    timing: str = Field(default="next_renewal", sa_column=sa.Column(sa.String(16),
                                                                      nullable=False))
    effective_date: date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    customer_filter: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON,
                                                                            nullable=False))
    preview: dict | None = Field(default=None, sa_column=json_col())
    created_by: int = Field(sa_column=fk("app_user.id"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class BackgroundJob(SQLModel, table=True):
    """Progress and result of long work (simulations, KPI recompute, exports) across workers."""

    __tablename__ = "background_job"

    id: int | None = Field(default=None, sa_column=pk())
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, index=True))
    #: queued | running | done | failed
    status: str = Field(default="queued", sa_column=sa.Column(sa.String(16), nullable=False))
    progress: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    params: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    result: dict | None = Field(default=None, sa_column=json_col())
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=ts())
