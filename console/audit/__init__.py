"""The audit trail: append-only, hash-chained events written in the same transaction as each
change, the audit-log page's reads, and the chain's verification."""

from console.audit.queries import (
    AuditFilter,
    AuditRow,
    audit_csv,
    audit_page,
    export_csv,
    search,
    verify,
    verify_stored_chain,
)
from console.audit.usecases import AuditItem, record, record_many

__all__ = [
    "AuditFilter",
    "AuditItem",
    "AuditRow",
    "audit_csv",
    "audit_page",
    "export_csv",
    "record",
    "record_many",
    "search",
    "verify",
    "verify_stored_chain",
]
