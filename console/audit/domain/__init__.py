"""The audit chain: canonical hashing of audit entries and verification of a chain."""

from console.audit.domain.chain import (
    GENESIS_HASH,
    AuditEntry,
    ChainBreak,
    entry_hash,
    jsonable,
    verify_chain,
)

__all__ = ["GENESIS_HASH", "AuditEntry", "ChainBreak", "entry_hash", "jsonable", "verify_chain"]
