"""The audit hash chain detects changed, removed and reordered entries."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from console.audit.domain import GENESIS_HASH, AuditEntry, entry_hash, jsonable, verify_chain


def _chain(n: int) -> list[tuple[int, AuditEntry, str, str]]:
    rows, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        e = AuditEntry(datetime(2026, 1, i, tzinfo=UTC), i, f"u{i}@x", "invoice.approve",
                       "invoice", str(i), {"status": "draft"}, {"status": "approved"}, "")
        h = entry_hash(e, prev)
        rows.append((i, e, prev, h))
        prev = h
    return rows


def test_intact_chain_verifies() -> None:
    assert verify_chain(_chain(5)) == (5, None)


def test_changed_entry_is_named() -> None:
    rows = _chain(5)
    i, e, prev, h = rows[2]
    rows[2] = (i, replace(e, after={"status": "void"}), prev, h)
    _checked, broken = verify_chain(rows)
    assert broken is not None and broken.entry_id == 3 and "changed" in broken.problem


def test_removed_entry_breaks_the_next_link() -> None:
    rows = _chain(5)
    del rows[1]
    _, broken = verify_chain(rows)
    assert broken is not None and broken.entry_id == 3


def test_hash_is_stable_and_sensitive() -> None:
    e = _chain(1)[0][1]
    assert entry_hash(e, GENESIS_HASH) == entry_hash(e, GENESIS_HASH)
    assert entry_hash(e, GENESIS_HASH) != entry_hash(replace(e, reason="x"), GENESIS_HASH)


def test_jsonable_refuses_floats_and_naive_times() -> None:
    assert jsonable({"a": Decimal("1.50"), "d": datetime(2026, 1, 1, tzinfo=UTC)}) == {
        "a": "1.50", "d": "2026-01-01T00:00:00.000000+00:00"}
    with pytest.raises(TypeError):
        jsonable({"x": 0.1})
    with pytest.raises(ValueError):
        jsonable(datetime(2026, 1, 1))
