"""Use-cases (writes) of the disputes area: one transaction each, with the audit event."""
