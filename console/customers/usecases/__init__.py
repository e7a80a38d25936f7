"""Use-cases (writes) of the customers area: one transaction each, with the audit event."""
