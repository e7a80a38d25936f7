"""Column types shared by every table: UTC timestamps, 64-bit ids, money and quantities."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

#: Usage quantities are stored as integers in millionths so sums are exact on every database.
QUANTITY_SCALE = 1_000_000


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no offset of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        # SQLite keeps text: store naive UTC so string ordering matches time ordering.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


#: BIGINT primary keys that still autoincrement on SQLite (which only does so for INTEGER).
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def pk() -> Any:
    """A 64-bit autoincrementing primary key column."""
    return sa.Column(BigIntPK, primary_key=True, autoincrement=True)


def fk(
    target: str, *, nullable: bool = False, index: bool = True, ondelete: str | None = None
) -> Any:
    """A 64-bit foreign key column to ``target`` ("table.id")."""
    return sa.Column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey(target, ondelete=ondelete),
        nullable=nullable,
        index=index,
    )


def minor(*, nullable: bool = False, default: int | None = 0) -> Any:
    """An amount in integer minor units (always paired with a currency column)."""
    return sa.Column(sa.BigInteger(), nullable=nullable, default=default,
                     server_default=None if default is None else str(default))


def ts(*, nullable: bool = True, index: bool = False, default: Any = None) -> Any:
    """A timezone-aware UTC timestamp column."""
    return sa.Column(UTCDateTime(), nullable=nullable, index=index, default=default)


def json_col(*, nullable: bool = True) -> Any:
    """A JSON document column (dicts/lists of plain JSON values)."""
    return sa.Column(sa.JSON(), nullable=nullable)


def quantity_to_micro(value: Decimal) -> int:
    """Convert an exact decimal quantity to stored millionths, refusing extra precision."""
    scaled = value * QUANTITY_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"quantity {value} has more than 6 decimals")
    return int(scaled)


def micro_to_quantity(value: int) -> Decimal:
    """Convert stored millionths back to an exact decimal quantity."""
    return (Decimal(value) / QUANTITY_SCALE).normalize()
