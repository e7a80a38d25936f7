"""Use-cases: orchestrate domain rules and persistence in one transaction, with the audit trail."""
