"""The optimistic conditional update: the one way a use-case moves a versioned row.

``UPDATE t SET version = version + 1, ... WHERE id = ? AND version = ? [AND status = ?]``:
two racing writers both read version ``n``; only one UPDATE matches, the other gets
:class:`~console.kernel.errors.Conflict` with :func:`stale_message`. On PostgreSQL the loser's
UPDATE waits for the winner's commit and then finds no matching row; on SQLite the unit of
work's write lock serialises them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.kernel.errors import Conflict
from models.types import utcnow

_SAME: Any = object()


def stale_message(obj: Any) -> str:
    """The one message for a lost race: ``This invoice was changed by someone else; ...``."""
    what = type(obj).__tablename__.replace("_", " ")
    return (f"This {what} was changed by someone else; reload to see the change. "
            "Nothing was changed.")


def try_conditional_update(session: Session, obj: Any, *, expect_version: int | None = None,
                           expect_status: Any = _SAME, where: Sequence[Any] = (),
                           refresh: bool = True, **values: Any) -> bool:
    """Update ``obj``'s row if it still has the version (and status) that was read.

    Args:
        session: the caller's unit of work.
        obj: a mapped row with ``id`` and ``version`` columns.
        expect_version: the version the caller saw (default: ``obj.version`` as loaded).
        expect_status: the status the row must still have (default: ``obj.status`` when the
            table has a status column; ``None`` to skip the check).
        where: further conditions the row must meet.
        refresh: reload ``obj`` after the update.
        **values: the columns to set (``status`` among them for a move); ``version`` is
            bumped and ``updated_at`` touched when the table has it.

    Returns:
        Whether the row was updated (False: someone else changed it first).
    """
    table = type(obj).__table__
    seen = obj.version if expect_version is None else expect_version
    conds = [table.c.id == obj.id, table.c.version == seen, *where]
    if expect_status is _SAME:
        expect_status = getattr(obj, "status", None) if "status" in table.c else None
    if expect_status is not None:
        conds.append(table.c.status == expect_status)
    if "updated_at" in table.c and "updated_at" not in values:
        values["updated_at"] = utcnow()
    changed = session.execute(
        sa.update(table).where(*conds).values(version=seen + 1, **values)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        session.expire(obj)
        return False
    if refresh:
        session.refresh(obj)
    return True


def conditional_update(session: Session, obj: Any, *, expect_version: int | None = None,
                       expect_status: Any = _SAME, where: Sequence[Any] = (),
                       **values: Any) -> None:
    """:func:`try_conditional_update`, refusing when someone else changed the row first.

    Raises:
        Conflict: with :func:`stale_message` when the row changed since it was read.
    """
    if not try_conditional_update(session, obj, expect_version=expect_version,
                                  expect_status=expect_status, where=where, **values):
        raise Conflict(stale_message(obj))


def check_version(obj: Any, expected_version: int | None) -> None:
    """Refuse when the page showed an older version of ``obj`` than the database holds.

    Raises:
        Conflict: with :func:`stale_message`.
    """
    if expected_version is not None and expected_version != obj.version:
        raise Conflict(stale_message(obj))
