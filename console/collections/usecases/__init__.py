"""Use-cases (writes) of the collections area: one transaction each, with the audit event."""
