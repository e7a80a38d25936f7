"""Use-cases (writes) of the catalog area: one transaction each, with the audit event."""
