"""Deterministic buckets from a hash of a key and an id (pure).

No random state: the same key and id give the same answer on any machine. Experiment arms,
rollout stages and bill-run waves all place customers with these two functions.
"""

from __future__ import annotations

import hashlib

#: Number of buckets; one bucket is one basis point (0.01 %) of customers.
BASIS_POINTS = 10_000


def stable_hash64(key: str, item_id: str) -> int:
    """The first 8 bytes (big-endian) of ``sha256(f"{key}:{item_id}")``."""
    digest = hashlib.sha256(f"{key}:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def bucket_bp(key: str, item_id: str) -> int:
    """The item's bucket in basis points, in ``[0, 10000)``; stable for a given key.

    Args:
        key: the rollout's, experiment's or bill run's stable key.
        item_id: e.g. the customer's id.

    Returns:
        The bucket, uniformly spread over ``0..9999``.
    """
    return stable_hash64(key, item_id) % BASIS_POINTS
