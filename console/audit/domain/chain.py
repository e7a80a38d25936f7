"""Hash chain over audit entries: each entry's SHA-256 covers its content and the previous hash.

Changing, removing or reordering any stored entry breaks the chain at that entry, which
:func:`verify_chain` reports by id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64


def jsonable(value: Any) -> Any:
    """Turn a value into plain JSON types, stably (Decimal and dates as text, enums by value)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not allowed in the audit trail; use Decimal or int")
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an audit entry")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    raise TypeError(f"cannot put {type(value).__name__} in the audit trail")


@dataclass(frozen=True)
class AuditEntry:
    """The hashed content of one audit event."""

    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of ``entry`` and the previous entry's hash."""
    doc = {
        "prev": prev_hash,
        "at": jsonable(entry.occurred_at),
        "actor_id": entry.actor_id,
        "actor": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": jsonable(entry.before),
        "after": jsonable(entry.after),
        "reason": entry.reason,
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first entry whose stored hashes do not match the chain."""

    entry_id: int
    problem: str


def verify_chain(rows: Iterable[tuple[int, AuditEntry, str, str]]) -> tuple[int, ChainBreak | None]:
    """Check ``(id, entry, prev_hash, hash)`` rows in id order.

    Returns:
        The number of entries checked and the first break, or None when the chain holds.
    """
    expected_prev = GENESIS_HASH
    checked = 0
    for entry_id, entry, prev_hash, stored_hash in rows:
        checked += 1
        if prev_hash != expected_prev:
            return checked, ChainBreak(entry_id, "prev_hash does not match the previous entry "
                                                 "(an entry before it was removed or reordered)")
        if entry_hash(entry, prev_hash) != stored_hash:
            return checked, ChainBreak(entry_id, "content does not match its hash (the entry was "
                                                 "changed)")
        expected_prev = stored_hash
    return checked, None
