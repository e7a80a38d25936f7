"""Users, their roles, sign-in sessions and invitations."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import fk, pk, ts, utcnow


class User(SQLModel, table=True):
    """A person who signs in to the console (local account or OIDC identity)."""

    __tablename__ = "app_user"
    __table_args__ = (sa.UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: int | None = Field(default=None, sa_column=pk())
    email: str = Field(sa_column=sa.Column(sa.String(320), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    password_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    auth_source: str = Field(default="local", sa_column=sa.Column(sa.String(16), nullable=False))
    oidc_issuer: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    oidc_subject: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    is_active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    is_demo: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    failed_logins: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=ts())
    last_login_at: datetime | None = Field(default=None, sa_column=ts())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class UserRole(SQLModel, table=True):
    """One role held by a user; a user may hold several."""

    __tablename__ = "user_role"

    user_id: int = Field(sa_column=sa.Column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True))
    role: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    granted_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    granted_by: int | None = Field(default=None, sa_column=fk("app_user.id", nullable=True,
                                                                index=False))


class UserSession(SQLModel, table=True):
    """A server-side sign-in session; the cookie holds a random token, the row its SHA-256."""

    __tablename__ = "user_session"

    id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    user_id: int = Field(sa_column=fk("app_user.id", ondelete="CASCADE"))
    auth_method: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    expires_at: datetime = Field(sa_column=ts(nullable=False, index=True))
    last_seen_at: datetime | None = Field(default=None, sa_column=ts())
    revoked_at: datetime | None = Field(default=None, sa_column=ts())
    user_agent: str | None = Field(default=None, sa_column=sa.Column(sa.String(300)))


class LoginTicket(SQLModel, table=True):
    """A one-time, seconds-long ticket that turns a verified sign-in into an HttpOnly cookie."""

    __tablename__ = "login_ticket"

    id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    user_id: int = Field(sa_column=fk("app_user.id", ondelete="CASCADE"))
    auth_method: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    expires_at: datetime = Field(sa_column=ts(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=ts())


class Invitation(SQLModel, table=True):
    """An admin's invitation of a new local user with the roles they will hold."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, sa_column=pk())
    email: str = Field(sa_column=sa.Column(sa.String(320), nullable=False, index=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    roles: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    invited_by: int = Field(sa_column=fk("app_user.id"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    expires_at: datetime = Field(sa_column=ts(nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=ts())
    revoked_at: datetime | None = Field(default=None, sa_column=ts())
